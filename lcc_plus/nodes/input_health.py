"""Count, log and publish the messages a node rejects, per input.

A node must survive garbage on any input and say so. `guard(...)` wraps a
subscription callback: the message is converted, checked and handed on; a
ConversionError, a non-finite number or an exception from the core is counted
against that input, logged (throttled) with its reason, and published once a
second on /diagnostics (diagnostic_msgs/DiagnosticArray, WARN while rejections
keep coming).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node

from lcc_plus.nodes import topics
from lcc_plus.nodes.conversions import ConversionError


def non_finite_fields(value: Any, prefix: str = "") -> list[str]:
    """Names of the float fields (dataclass fields, arrays, nested) of `value` that are NaN or inf."""
    if dataclasses.is_dataclass(value):
        out: list[str] = []
        for f in dataclasses.fields(value):
            out += non_finite_fields(getattr(value, f.name), f"{prefix}{f.name}.")
        return out
    if isinstance(value, (list, tuple)) and value and not isinstance(value[0], (int, float, np.floating)):
        out = []
        for i, item in enumerate(value):
            out += non_finite_fields(item, f"{prefix}{i}.")
        return out
    if isinstance(value, (np.ndarray, list, tuple)):
        arr = np.asarray(value)
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            return [prefix.rstrip(".")]
        return []
    if isinstance(value, float) and not math.isfinite(value):
        return [prefix.rstrip(".")]
    return []


def require_finite(value: Any, what: str) -> Any:
    """`value` unchanged, or ConversionError naming its non-finite fields."""
    bad = non_finite_fields(value)
    if bad:
        raise ConversionError(f"{what}: non-finite value in {', '.join(bad[:5])}")
    return value


class InputHealth:
    """Per-input accepted/rejected counters of one node, published on its ~/output/diagnostics."""

    def __init__(self, node: Node, node_name: str, period_s: float = 1.0):
        self._node = node
        self._name = node_name
        self._counts: dict[str, list[int]] = {}  # input -> [accepted, rejected, rejected this period]
        self._last_reason: dict[str, str] = {}
        self._pub = node.create_publisher(DiagnosticArray, "~/output/diagnostics",
                                          topics.qos_for(node_name, "~/output/diagnostics"))
        self._timer = node.create_timer(period_s, self.publish)

    def accepted(self, input_name: str) -> None:
        self._counts.setdefault(input_name, [0, 0, 0])[0] += 1

    def rejected(self, input_name: str, reason: str) -> None:
        counts = self._counts.setdefault(input_name, [0, 0, 0])
        counts[1] += 1
        counts[2] += 1
        self._last_reason[input_name] = reason
        self._node.get_logger().warning(f"rejected a message on {input_name}: {reason}",
                                        throttle_duration_sec=1.0)

    def rejected_count(self, input_name: str) -> int:
        return self._counts.get(input_name, [0, 0, 0])[1]

    def guard(self, input_name: str, convert: Callable[[Any], Any], handle: Callable[[Any], None]):
        """A subscription callback: `handle(convert(msg))`, with every failure counted and reported."""

        def callback(msg) -> None:
            try:
                value = convert(msg)
            except (ConversionError, ValueError, TypeError, OverflowError) as err:
                self.rejected(input_name, str(err))
                return
            try:
                handle(value)
            except Exception as err:  # the node must outlive any input; the reason is reported
                self.rejected(input_name, f"processing failed: {type(err).__name__}: {err}")
                return
            self.accepted(input_name)

        return callback

    def subscribe(self, msg_type, input_name: str, convert: Callable[[Any], Any], handle: Callable[[Any], None],
                  *, finite: bool = False, qos=None):
        """Subscribe to `~/input/<input_name>` through `guard`; `finite` also rejects NaN and inf fields."""
        private = f"~/input/{input_name}"
        checked = (lambda m: require_finite(convert(m), msg_type.__name__)) if finite else convert
        return self._node.create_subscription(msg_type, private, self.guard(input_name, checked, handle),
                                              qos or topics.qos_for(self._name, private))

    def protect(self, step_name: str, step: Callable[[], None]) -> Callable[[], None]:
        """A timer callback running `step`; an exception is counted against `step_name`, not raised."""

        def callback() -> None:
            try:
                step()
            except Exception as err:  # an exception would end the executor and with it the node
                self.rejected(step_name, f"step failed: {type(err).__name__}: {err}")

        return callback

    def publish(self) -> None:
        status = DiagnosticStatus(name=f"{self._name}: inputs", hardware_id=self._node.get_fully_qualified_name())
        recent = {name: c[2] for name, c in self._counts.items() if c[2]}
        status.level = DiagnosticStatus.WARN if recent else DiagnosticStatus.OK
        status.message = ("rejecting " + ", ".join(f"{n} ({self._last_reason[n]})" for n in recent)) if recent else "ok"
        for name, c in sorted(self._counts.items()):
            status.values += [KeyValue(key=f"{name}.accepted", value=str(c[0])),
                              KeyValue(key=f"{name}.rejected", value=str(c[1]))]
            if name in self._last_reason:
                status.values.append(KeyValue(key=f"{name}.last_reason", value=self._last_reason[name]))
            c[2] = 0
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self._node.get_clock().now().to_msg()
        self._pub.publish(msg)
