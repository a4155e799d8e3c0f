"""mode_manager: lane keeping and route-free lane changes; Trajectory, ModeState and Intent out.

Inputs: ~/input/vla_action (VlaAction), ~/input/vehicle_state (VehicleState),
~/input/driver_input (DriverInput), ~/input/rear_objects (ObjectList),
~/input/takeover_request (TakeoverRequest from the safety monitor). Outputs:
~/output/trajectory (Trajectory), ~/output/mode (ModeState, every cycle: mode,
lane-change phase, the reason of the last transition and of the last refusal),
~/output/intent (Intent, latched, on change), ~/output/markers (MarkerArray: path,
lane lines, leads). The core (lcc_plus/planning/mode_manager.py) steps on a timer
at `rate_hz`; every transition and refusal is also logged with its reason.
"""
from __future__ import annotations

import rclpy.time
from rclpy.node import Node
from visualization_msgs.msg import MarkerArray

from lcc_plus.common.types import Intent, Perception, RearSensing, TakeoverDemand
from lcc_plus.msg import (
    DriverInput,
    ModeState,
    ObjectList,
    TakeoverRequest,
    Trajectory,
    VehicleState,
    VlaAction,
)
from lcc_plus.msg import Intent as IntentMsg
from lcc_plus.nodes import conversions as conv
from lcc_plus.nodes import topics
from lcc_plus.nodes.input_health import InputHealth
from lcc_plus.nodes.markers import plan_markers
from lcc_plus.nodes.node_config import NODES_YAML, LoopNodeParams
from lcc_plus.nodes.node_params import declare_params
from lcc_plus.nodes.runner import run_node
from lcc_plus.planning.mode_manager import ModeManager
from lcc_plus.planning.params import ModeManagerParams

NAME = "mode_manager"


class ModeManagerNode(Node):
    def __init__(self, **node_kwargs):
        super().__init__(NAME, **node_kwargs)
        self.mm = ModeManager(declare_params(self, ModeManagerParams, "planning.yaml", NAME))
        self.p = declare_params(self, LoopNodeParams, NODES_YAML, NAME)
        self.health = InputHealth(self, NAME)
        self.ego = None
        self.ego_received = None
        self.driver = None
        self.perception = Perception()
        self.rear = RearSensing(available=False)  # no rear sensing heard yet: no lane change
        self.takeover = TakeoverDemand()
        self.intent: Intent | None = None
        self.last_refusal = ""

        def pub(msg_type, name):
            return self.create_publisher(msg_type, name, topics.qos_for(NAME, name))

        self.pub_traj = pub(Trajectory, "~/output/trajectory")
        self.pub_mode = pub(ModeState, "~/output/mode")
        self.pub_intent = pub(IntentMsg, "~/output/intent")
        self.pub_markers = pub(MarkerArray, "~/output/markers")
        self.health.subscribe(VlaAction, "vla_action", conv.perception_from_msg, self._setter("perception"))
        self.health.subscribe(VehicleState, "vehicle_state", conv.ego_from_msg, self._on_ego, finite=True)
        self.health.subscribe(DriverInput, "driver_input", conv.driver_from_msg, self._setter("driver"), finite=True)
        self.health.subscribe(ObjectList, "rear_objects", conv.rear_from_msg, self._setter("rear"), finite=True)
        self.health.subscribe(TakeoverRequest, "takeover_request", conv.takeover_from_msg, self._setter("takeover"))
        self.create_timer(1.0 / self.p.rate_hz, self.health.protect("step", self._step))

    def _setter(self, attribute: str):
        return lambda value: setattr(self, attribute, value)

    def _on_ego(self, ego) -> None:
        self.ego, self.ego_received = ego, self.get_clock().now()

    def _step(self) -> None:
        now = self.get_clock().now()
        if self.ego is None or self.driver is None:
            self.get_logger().info("waiting for vehicle state and driver input", throttle_duration_sec=5.0)
            return
        if now - self.ego_received > rclpy.time.Duration(seconds=self.p.input_timeout_s):
            self.health.rejected("vehicle_state", f"no vehicle state for more than {self.p.input_timeout_s} s: "
                                 "no plan")
            return
        now_s = now.nanoseconds * 1e-9
        traj, status, intent = self.mm.step(now_s, self.ego, self.driver, self.perception, self.rear, self.takeover)
        for event in self.mm.drain_events():
            self.get_logger().info(f"mode {event.from_mode.name} -> {event.to_mode.name} "
                                   f"(phase {event.phase.name}): {event.reason}")
        if status.last_refusal and status.last_refusal != self.last_refusal:
            self.get_logger().warning(f"lane change refused: {status.last_refusal}")
        self.last_refusal = status.last_refusal
        self.pub_traj.publish(conv.trajectory_to_msg(traj))
        self.pub_mode.publish(conv.mode_to_msg(status))
        if self.intent is None or (intent.intent, intent.fork_preference, intent.text) != (
                self.intent.intent, self.intent.fork_preference, self.intent.text):
            self.pub_intent.publish(conv.intent_to_msg(intent))
            self.intent = intent
        self.pub_markers.publish(plan_markers(now.to_msg(), traj, self.perception))


def main() -> int:
    return run_node(ModeManagerNode, NAME)
