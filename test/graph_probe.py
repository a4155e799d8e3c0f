"""Test helper: an rclpy node in the test process that collects what the lcc_plus graph publishes."""
from __future__ import annotations

import threading
import time
from collections import defaultdict


class GraphProbe:
    """Subscribes to the stack's outputs and keeps every message, per topic, with its receive time."""

    def __init__(self, topics: dict[str, type] | None = None):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from lcc_plus.msg import (
            ControlCommand,
            Heartbeat,
            ModeState,
            SafetyStatus,
            TakeoverRequest,
            Trajectory,
            VehicleState,
            VlaAction,
        )
        from rclpy.executors import SingleThreadedExecutor

        from lcc_plus.nodes.topics import qos_profile

        self.topics = topics or {
            "/lcc/command": ControlCommand, "/lcc/command_proposed": ControlCommand, "/lcc/mode": ModeState,
            "/lcc/safety_status": SafetyStatus, "/lcc/takeover_request": TakeoverRequest,
            "/lcc/vla_action": VlaAction, "/lcc/trajectory": Trajectory, "/lcc/heartbeat": Heartbeat,
            "/vehicle/state": VehicleState, "/diagnostics": DiagnosticArray}
        self.context = rclpy.Context()
        rclpy.init(context=self.context, signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
        self.node = rclpy.create_node("lcc_plus_test_probe", context=self.context)
        self.messages: dict[str, list] = defaultdict(list)
        self.lock = threading.Lock()
        for topic, cls in self.topics.items():
            self.node.create_subscription(cls, topic, lambda m, t=topic: self._keep(t, m), qos_profile(topic))
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()

    def _spin(self) -> None:
        from rclpy.executors import ExternalShutdownException

        try:
            self.executor.spin()
        except ExternalShutdownException:
            pass

    def _keep(self, topic: str, msg) -> None:
        with self.lock:
            self.messages[topic].append((time.monotonic(), msg))

    def get(self, topic: str, since: float = 0.0) -> list:
        with self.lock:
            return [m for t, m in self.messages[topic] if t >= since]

    def wait_for(self, predicate, timeout_s: float, poll_s: float = 0.1) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(poll_s)
        return predicate()

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=2.0)
        self.context.try_shutdown()
        self.thread.join(timeout=5.0)
