"""The bench probe: records header stamp and arrival time of the stack's outputs over DDS."""
from __future__ import annotations

import threading
import time

import rclpy
from lcc_plus.msg import ControlCommand, Trajectory, VlaAction
from rclpy.executors import SingleThreadedExecutor
from rclpy.signals import SignalHandlerOptions

from lcc_plus.nodes.topics import qos_profile


class Probe:
    """Records (header stamp, arrival) of the stack's outputs; spins in a thread of this process."""

    def __init__(self, cameras: int):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node("bench_probe", context=self.context)
        self.lock = threading.Lock()
        self.vla: dict[int, dict[int, int]] = {k: {} for k in range(cameras)}
        self.inference_ms: list[tuple[int, float]] = []  # (arrival ns, VlaAction.inference_time_ms)
        self.rows: dict[str, list[tuple[int, int]]] = {"traj": [], "proposed": [], "gated": []}
        self.gated_engaged: list[bool] = []

        def stamp_ns(msg) -> int:
            return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec

        def sub(cls, topic, fn):
            self.node.create_subscription(cls, topic, fn, qos_profile(topic.lstrip("/")))

        def on_vla(k):
            def cb(msg):
                now = time.time_ns()
                with self.lock:
                    self.vla[k][stamp_ns(msg)] = now
                    if k == 0:
                        self.inference_ms.append((now, msg.inference_time_ms))
            return cb

        def on_row(name):
            def cb(msg):
                now = time.time_ns()
                with self.lock:
                    self.rows[name].append((stamp_ns(msg), now))
                    if name == "gated":
                        self.gated_engaged.append(bool(msg.engaged))
            return cb

        sub(VlaAction, "/lcc/vla_action", on_vla(0))
        for k in range(1, cameras):
            sub(VlaAction, f"/bench/camera_{k}/vla_action", on_vla(k))
        sub(Trajectory, "/lcc/trajectory", on_row("traj"))
        sub(ControlCommand, "/lcc/command_proposed", on_row("proposed"))
        sub(ControlCommand, "/lcc/command", on_row("gated"))
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        # close() shuts the executor down before the context, so spin() returns without raising
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def live(self, cameras: int) -> bool:
        """The whole chain has produced output: VlaActions of every camera and gated commands."""
        with self.lock:
            return all(len(self.vla[k]) >= 3 for k in range(cameras)) and all(
                len(r) >= 3 for r in self.rows.values())

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        self.context.try_shutdown()
        self.thread.join(timeout=5.0)
