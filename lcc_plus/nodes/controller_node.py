"""controller: tracks the mode manager's Trajectory, publishes the proposed ControlCommand.

Inputs ~/input/trajectory (lcc_plus/Trajectory), ~/input/vehicle_state
(lcc_plus/VehicleState); output ~/output/command (lcc_plus/ControlCommand, proposed:
the safety monitor gates it). The core (lcc_plus/control/controller.py) runs on a
timer at `rate_hz`; without a fresh vehicle state the step is skipped and reported.
"""
from __future__ import annotations

import rclpy.time
from rclpy.node import Node

from lcc_plus.common.types import Trajectory
from lcc_plus.control.controller import Controller
from lcc_plus.control.params import ControllerParams
from lcc_plus.msg import ControlCommand, VehicleState
from lcc_plus.msg import Trajectory as TrajectoryMsg
from lcc_plus.nodes import conversions as conv
from lcc_plus.nodes import topics
from lcc_plus.nodes.input_health import InputHealth
from lcc_plus.nodes.node_config import NODES_YAML, LoopNodeParams
from lcc_plus.nodes.node_params import declare_params
from lcc_plus.nodes.runner import run_node

NAME = "controller"


class ControllerNode(Node):
    def __init__(self, **node_kwargs):
        super().__init__(NAME, **node_kwargs)
        self.ctl = Controller(declare_params(self, ControllerParams, "control.yaml", NAME, on_change=self._set_core))
        self.p = declare_params(self, LoopNodeParams, NODES_YAML, NAME)
        self.health = InputHealth(self, NAME)
        self.ego = None
        self.ego_received = None
        self.traj = Trajectory()
        self.pub = self.create_publisher(ControlCommand, "~/output/command", topics.qos_for(NAME, "~/output/command"))
        self.health.subscribe(VehicleState, "vehicle_state", conv.ego_from_msg, self._on_ego, finite=True)
        self.health.subscribe(TrajectoryMsg, "trajectory", conv.trajectory_from_msg, self._on_traj)
        self.create_timer(1.0 / self.p.rate_hz, self._step)

    def _set_core(self, p: ControllerParams) -> None:
        self.ctl.p = p

    def _on_ego(self, ego) -> None:
        self.ego, self.ego_received = ego, self.get_clock().now()

    def _on_traj(self, traj: Trajectory) -> None:
        self.traj = traj

    def _step(self) -> None:
        now = self.get_clock().now()
        if self.ego is None:
            self.get_logger().info("waiting for the first vehicle state", throttle_duration_sec=5.0)
            return
        if now - self.ego_received > rclpy.time.Duration(seconds=self.p.input_timeout_s):
            self.health.rejected("vehicle_state", f"no vehicle state for more than {self.p.input_timeout_s} s: "
                                 "no command proposed")
            return
        cmd = self.ctl.step(now.nanoseconds * 1e-9, self.ego, self.traj)
        self.pub.publish(conv.command_to_msg(cmd))


def main() -> int:
    return run_node(ControllerNode, NAME)
