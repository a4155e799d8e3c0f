"""Parameters: values in config/*.yaml (ROS 2 parameter-file format), ranges in code.

A core declares its parameters as a frozen dataclass whose fields carry no default
but a `spec(...)` with description, unit and range. The YAML file is the single
source of the default values; `load(...)` checks that it names every field, no
unknown ones, with the right type and inside the range, and says which file and
key is wrong otherwise. The ROS nodes declare the same specs as ROS parameters.
"""
from __future__ import annotations

import dataclasses
import math
import os
import sys
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import yaml

T = TypeVar("T")


class ParamError(ValueError):
    """A parameter file or value is malformed; the message names the file and key."""


def spec(description: str, *, unit: str = "", min: float | None = None, max: float | None = None,
         choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field with no default, described and ranged."""
    return dataclasses.field(
        metadata={"description": description, "unit": unit, "min": min, "max": max, "choices": choices}
    )


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    name: str
    type: type
    description: str
    unit: str
    min: float | None
    max: float | None
    choices: tuple[str, ...] | None


def specs(cls: type) -> list[ParamSpec]:
    hints = get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        m = f.metadata
        out.append(ParamSpec(f.name, hints[f.name], m.get("description", ""), m.get("unit", ""),
                             m.get("min"), m.get("max"), m.get("choices")))
    return out


def _check_number(where: str, value: Any, s: ParamSpec) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(f"{where}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ParamError(f"{where}: must be finite, got {value!r}")
    if s.min is not None and value < s.min:
        raise ParamError(f"{where}: {value} is below the minimum {s.min} {s.unit}".rstrip())
    if s.max is not None and value > s.max:
        raise ParamError(f"{where}: {value} is above the maximum {s.max} {s.unit}".rstrip())


def _coerce(where: str, value: Any, s: ParamSpec) -> Any:
    t = s.type
    if t is bool:
        if not isinstance(value, bool):
            raise ParamError(f"{where}: expected true or false, got {value!r}")
        return value
    if t is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"{where}: expected an integer, got {value!r}")
        _check_number(where, value, s)
        return value
    if t is float:
        _check_number(where, value, s)
        return float(value)
    if t is str:
        if not isinstance(value, str):
            raise ParamError(f"{where}: expected a string, got {value!r}")
        if s.choices and value not in s.choices:
            raise ParamError(f"{where}: {value!r} is not one of {', '.join(s.choices)}")
        return value
    if t in (list[float], tuple[float, ...]):
        if not isinstance(value, (list, tuple)) or not value:
            raise ParamError(f"{where}: expected a non-empty list of numbers, got {value!r}")
        for i, v in enumerate(value):
            _check_number(f"{where}[{i}]", v, s)
        return tuple(float(v) for v in value)
    raise ParamError(f"{where}: unsupported parameter type {t}")


def from_dict(cls: type[T], values: dict[str, Any], source: str = "<dict>") -> T:
    """Build `cls` from a flat dict, checking names, types and ranges."""
    if not isinstance(values, dict):
        raise ParamError(f"{source}: expected a mapping of parameters, got {type(values).__name__}")
    known = {s.name: s for s in specs(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ParamError(f"{source}: unknown parameter(s) {', '.join(unknown)} for {cls.__name__}")
    missing = sorted(set(known) - set(values))
    if missing:
        raise ParamError(f"{source}: missing parameter(s) {', '.join(missing)} for {cls.__name__}")
    kwargs = {name: _coerce(f"{source}: {name}", values[name], s) for name, s in known.items()}
    obj = cls(**kwargs)
    validate = getattr(obj, "validate", None)
    if validate is not None:
        try:
            validate()
        except ValueError as err:
            raise ParamError(f"{source}: {err}") from err
    return obj


def node_section(path: Path, node_name: str) -> dict[str, Any]:
    """The `ros__parameters` mapping of `node_name` (or `/**`) in a ROS 2 parameter file."""
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError as err:
        raise ParamError(f"parameter file not found: {path}") from err
    except yaml.YAMLError as err:
        raise ParamError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(doc, dict):
        raise ParamError(f"{path}: expected `<node>: ros__parameters: {{...}}` at the top level")
    for key in (node_name, f"/{node_name}", "/**"):
        section = doc.get(key)
        if isinstance(section, dict) and "ros__parameters" in section:
            return section["ros__parameters"] or {}
    raise ParamError(f"{path}: no `{node_name}: ros__parameters:` section (found: {', '.join(map(str, doc))})")


def load(cls: type[T], file_name: str, node_name: str, overrides: dict[str, Any] | None = None) -> T:
    """Load `cls` from config/<file_name>, section `node_name`, with optional overrides."""
    path = config_dir() / file_name
    values = dict(node_section(path, node_name))
    values.update(overrides or {})
    return from_dict(cls, values, f"{path} [{node_name}]")


def config_dir() -> Path:
    """config/ of the source tree, a colcon install or a pip install (LCC_PLUS_CONFIG_DIR wins)."""
    env = os.environ.get("LCC_PLUS_CONFIG_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "config")
    candidates.append(Path(sys.prefix) / "share" / "lcc_plus" / "config")
    try:
        from ament_index_python.packages import get_package_share_directory

        candidates.append(Path(get_package_share_directory("lcc_plus")) / "config")
    except Exception:  # no ament index: not a ROS install
        pass
    for c in candidates:
        if c.is_dir():
            return c
    raise ParamError("cannot find the lcc_plus config/ folder; set LCC_PLUS_CONFIG_DIR")
