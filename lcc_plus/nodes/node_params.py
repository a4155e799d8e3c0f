"""Declare a core's params dataclass as ROS parameters, validated at start-up and at run time.

Every field of the dataclass becomes a ROS parameter with a ParameterDescriptor
(description with unit, FloatingPointRange / IntegerRange from the spec's min/max,
the allowed choices). Defaults come from the config YAML (the single source of
defaults); a `--params-file` or `-p` override replaces them. The resulting values
go through `params.from_dict`, so a bad value stops start-up with a ParamError
naming the node, the key and the allowed range. A runtime `ros2 param set` is
checked the same way by an on-set-parameters callback and refused with the reason.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    ParameterType,
    SetParametersResult,
)
from rclpy.exceptions import InvalidParameterTypeException, InvalidParameterValueException
from rclpy.node import Node
from rclpy.parameter import Parameter

from lcc_plus.common import params

T = TypeVar("T")

_INT64_MAX = 2**63 - 1

_PARAM_TYPES = {
    bool: ParameterType.PARAMETER_BOOL,
    int: ParameterType.PARAMETER_INTEGER,
    float: ParameterType.PARAMETER_DOUBLE,
    str: ParameterType.PARAMETER_STRING,
    list[float]: ParameterType.PARAMETER_DOUBLE_ARRAY,
    tuple[float, ...]: ParameterType.PARAMETER_DOUBLE_ARRAY,
}


def _allowed(s: params.ParamSpec) -> str:
    if s.choices:
        return f"one of {', '.join(s.choices)}"
    lo = "-inf" if s.min is None else f"{s.min:g}"
    hi = "inf" if s.max is None else f"{s.max:g}"
    return f"[{lo}, {hi}] {s.unit}".rstrip()


def descriptor(s: params.ParamSpec, read_only: bool) -> ParameterDescriptor:
    """ROS ParameterDescriptor of one spec: type, description with unit, range, choices."""
    if s.type not in _PARAM_TYPES:
        raise params.ParamError(f"parameter {s.name}: type {s.type} has no ROS parameter type")
    # Floats take dynamic typing so that `gain: 3` in a YAML override is read as 3.0;
    # params.from_dict checks the type instead.
    d = ParameterDescriptor(name=s.name, type=_PARAM_TYPES[s.type], read_only=read_only,
                            dynamic_typing=s.type is float,
                            description=f"{s.description} [{s.unit}]" if s.unit else s.description)
    if s.choices:
        d.additional_constraints = f"one of: {', '.join(s.choices)}"
    if s.type is float and (s.min is not None or s.max is not None):
        d.floating_point_range = [FloatingPointRange(
            from_value=-math.inf if s.min is None else float(s.min),
            to_value=math.inf if s.max is None else float(s.max), step=0.0)]
    elif s.type is int and (s.min is not None or s.max is not None):
        d.integer_range = [IntegerRange(
            from_value=-_INT64_MAX - 1 if s.min is None else int(math.ceil(s.min)),
            to_value=_INT64_MAX if s.max is None else int(math.floor(s.max)), step=1)]
    return d


def _default_for_ros(value: Any, s: params.ParamSpec) -> Any:
    """A YAML default as the ROS type of the spec (YAML `3` for a float parameter is 3.0)."""
    if s.type is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if s.type in (list[float], tuple[float, ...]) and isinstance(value, (list, tuple)):
        return [float(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """ROS parameter value -> plain Python (array.array -> list)."""
    if value is not None and not isinstance(value, (bool, int, float, str, list)):
        return list(value)
    return value


def declare_params(node: Node, cls: type[T], file_name: str, section: str,
                   on_change: Callable[[T], None] | None = None) -> T:
    """Declare every field of `cls` on `node`; return the validated values.

    `file_name` is the config file and `section` the node section in it that hold
    the defaults. Without `on_change` the parameters are read-only at run time;
    with it, a runtime change that passes validation is handed to `on_change`.
    Raises params.ParamError (file or node, key, allowed range) on a bad value.
    """
    path = params.config_dir() / file_name
    defaults = params.node_section(path, section)
    where = f"node {node.get_fully_qualified_name()} (defaults: {path} [{section}])"
    spec_list = params.specs(cls)
    missing = [s.name for s in spec_list if s.name not in defaults]
    if missing:
        raise params.ParamError(f"{path} [{section}]: missing parameter(s) {', '.join(missing)} for {cls.__name__}")
    for s in spec_list:
        try:
            node.declare_parameter(s.name, _default_for_ros(defaults[s.name], s),
                                   descriptor(s, read_only=on_change is None))
        except (InvalidParameterValueException, InvalidParameterTypeException) as err:
            raise params.ParamError(f"{where}: parameter {s.name} is invalid: allowed {_allowed(s)} ({err})") from err
    current = {s.name: _plain(node.get_parameter(s.name).value) for s in spec_list}
    values = params.from_dict(cls, current, where)
    state = {"values": current}

    def on_set(changes: list[Parameter]) -> SetParametersResult:
        mine = {p.name: _plain(p.value) for p in changes if p.name in state["values"]}
        if not mine:
            return SetParametersResult(successful=True)
        merged = {**state["values"], **mine}
        try:
            new = params.from_dict(cls, merged, f"node {node.get_fully_qualified_name()}")
        except params.ParamError as err:
            return SetParametersResult(successful=False, reason=str(err))
        state["values"] = merged
        if on_change is not None:
            on_change(new)
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(on_set)
    return values
