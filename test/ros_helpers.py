"""Helpers for tests that talk over real DDS: message filling, comparison, spinning."""
from __future__ import annotations

import importlib
import time

import numpy as np


def message_classes(package: str = "lcc_plus") -> dict[str, type]:
    from pathlib import Path

    msg_mod = importlib.import_module(f"{package}.msg")
    names = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "msg").glob("*.msg"))
    return {n: getattr(msg_mod, n) for n in names}


def _value_for(type_str: str, seed: int):
    if type_str in ("float", "double"):
        return 0.25 + seed
    if type_str.startswith(("int", "uint", "octet")):
        return (seed % 100) + 1
    if type_str == "boolean":
        return seed % 2 == 1
    if type_str.startswith("string"):
        return f"s{seed}-ünï"
    return None


def fill(msg, seed: int = 1):
    """Set every field of `msg` to a non-default value derived from `seed`; returns msg."""
    for i, (name, type_str) in enumerate(msg.get_fields_and_field_types().items()):
        s = seed + i
        current = getattr(msg, name)
        if hasattr(current, "get_fields_and_field_types"):
            fill(current, s)
            continue
        if type_str.startswith("sequence<") or "[" in type_str:
            inner = type_str.split("<", 1)[1].rstrip(">") if type_str.startswith("sequence<") else type_str.split("[")[0]
            if "/" in inner:  # sequence or array of messages
                if isinstance(current, list) and current:  # fixed-size array
                    for j, item in enumerate(current):
                        fill(item, s + j)
                else:
                    pkg, _, typ = inner.partition("/")
                    cls = getattr(importlib.import_module(f"{pkg}.msg"), typ)
                    setattr(msg, name, [fill(cls(), s + j) for j in range(3)])
                continue
            n = len(current) if len(current) else 3
            value = _value_for(inner, s)
            if isinstance(value, float):
                setattr(msg, name, [value + j for j in range(n)])
            elif isinstance(value, int):
                setattr(msg, name, [(value + j) % 100 for j in range(n)])
            else:
                setattr(msg, name, [f"s{s + j}" for j in range(n)])
            continue
        value = _value_for(type_str, s)
        if value is not None:
            setattr(msg, name, value)
    return msg


def equal(a, b) -> bool:
    if hasattr(a, "get_fields_and_field_types"):
        return type(a) is type(b) and all(equal(getattr(a, f), getattr(b, f)) for f in a.get_fields_and_field_types())
    if isinstance(a, (list, tuple, np.ndarray)):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    return a == b


def spin_until(executor, predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
        if predicate():
            return True
    return predicate()
