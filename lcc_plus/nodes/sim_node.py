"""sim: the built-in simulator as a ROS node, driving /clock.

Outputs, once per world step (config/sim.yaml step_s) in simulated time:
~/output/image (sensor_msgs/Image rgb8, the rendered front camera),
~/output/camera_info (CameraInfo of config/camera.yaml), ~/output/vehicle_state
(VehicleState), ~/output/driver_input (DriverInput of the driver model),
~/output/rear_objects (ObjectList of the rear/corner radar), ~/output/ground_truth
(VlaAction from the true map and objects: what the `expert` driver sees; for
evaluation and debugging, and wired in place of the model by the graph's
`perception: ground_truth` option) and /clock (rosgraph_msgs/Clock). Inputs: ~/input/command (the GATED ControlCommand of the
safety monitor), ~/input/takeover_request (TakeoverRequest: the driver model reacts
to it), ~/input/mode (ModeState, only to record lane changes in the report).

The world advances one step per wall-clock tick of step_s / rate_factor, so
`rate_factor` 2 runs twice as fast as real time. In lockstep (`lockstep_timeout_s` >
0) a step also waits until the stack has answered the earlier ones (LOCKSTEP: the
gated command of the last step, the proposed command of the one before, the model's
output for the frame two steps back), so a loaded CPU slows the simulation down
instead of starving the stack of simulated time; ~/input/sync/* are read only for
their stamps. A command older than `command_timeout_s` of
simulated time counts as none: the car hands control back to the driver model, as
a vehicle interface must. At the end of the scenario the node writes the KPI report
(report.json, report.md) into `report_dir` and exits with status 0.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from rclpy.node import Node
from rclpy.task import Future
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image

from lcc_plus.common.types import Command, ModeStatus, TakeoverDemand
from lcc_plus.evaluation import params as eval_params
from lcc_plus.evaluation import report
from lcc_plus.evaluation.kpi import run_kpis
from lcc_plus.evaluation.lane_changes import LaneChangeTracker
from lcc_plus.evaluation.world_trace import trace_from_world
from lcc_plus.msg import (
    ControlCommand,
    DriverInput,
    ModeState,
    ObjectList,
    TakeoverRequest,
    VehicleState,
    VlaAction,
)
from lcc_plus.nodes import conversions as conv
from lcc_plus.nodes import topics
from lcc_plus.nodes.input_health import InputHealth
from lcc_plus.nodes.node_config import NODES_YAML, SimNodeParams
from lcc_plus.nodes.node_params import declare_params
from lcc_plus.nodes.runner import StartupError, run_node
from lcc_plus.sim import scenarios
from lcc_plus.sim.camera import CameraModel
from lcc_plus.sim.world import World

NAME = "sim"
DRIVER_NAME = "stack_ros"  # the driver column of the KPI report
# Published by the stack once it is up (vla_node creates its publisher after loading the model).
STACK_OUTPUTS = ("lcc/vla_action", "lcc/trajectory")
# stack output -> how many steps it may lag behind the last observation in lockstep
LOCKSTEP = {"command": 0, "command_proposed": 1, "vla_action": 2}


def kpi_line(kpis: dict) -> str:
    """The headline KPIs of one run on one line."""
    lat = kpis["lateral_error"]["rms_m"]
    return (f"{kpis['distance_km']:.2f} km ({kpis['engaged_km']:.2f} km engaged), "
            f"takeovers {kpis['takeovers']['total']['count']} (system {kpis['takeovers']['system']['count']}), "
            f"collisions {kpis['collisions']}, lane departures {kpis['lane_departures']}, "
            f"lateral error RMS {'n/a' if lat is None else f'{lat:.3f} m'}, "
            f"lane changes {kpis['lane_changes']['completed']}/{kpis['lane_changes']['requested']}, "
            f"progress {kpis['progress']:.0%}")


class SimNode(Node):
    def __init__(self, **node_kwargs):
        super().__init__(NAME, **node_kwargs)
        self.p = declare_params(self, SimNodeParams, NODES_YAML, NAME)
        if self.get_parameter("use_sim_time").value:
            raise StartupError("the simulator drives /clock itself: start it with use_sim_time:=false")
        try:
            scenario = scenarios.get(self.p.scenario)
        except ValueError as err:
            raise StartupError(str(err)) from err
        if self.p.duration_s > 0.0:
            scenario = dataclasses.replace(scenario, duration_s=self.p.duration_s)
        self.scenario = scenario
        self.world = World(scenario, self.p.seed, render=True)
        self.camera_info = CameraModel.from_config().to_camera_info()
        self.health = InputHealth(self, NAME)
        self.tracker = LaneChangeTracker()
        self.command: Command | None = None
        self.command_received_s = -float("inf")
        self.takeover = TakeoverDemand()
        self.mode: ModeStatus | None = None
        self.finished = Future()
        self.answered_s = dict.fromkeys(LOCKSTEP, -float("inf"))  # newest stamp heard per stack output
        self.last_obs_s: float | None = None
        self.absent: set[str] = set()  # outputs that missed the lockstep timeout
        self.last_step_wall_s = 0.0
        self.started_wall_s: float | None = None
        self.created_wall_s = time.monotonic()

        def pub(msg_type, name):
            return self.create_publisher(msg_type, name, topics.qos_for(NAME, name))

        self.pub_image = pub(Image, "~/output/image")
        self.pub_info = pub(CameraInfo, "~/output/camera_info")
        self.pub_ego = pub(VehicleState, "~/output/vehicle_state")
        self.pub_driver = pub(DriverInput, "~/output/driver_input")
        self.pub_rear = pub(ObjectList, "~/output/rear_objects")
        self.pub_gt = pub(VlaAction, "~/output/ground_truth")
        self.pub_clock = self.create_publisher(Clock, "/clock", topics.qos_profile("/clock"))
        self.health.subscribe(ControlCommand, "command", conv.command_from_msg, self._on_command, finite=True)
        self.health.subscribe(TakeoverRequest, "takeover_request", conv.takeover_from_msg, self._on_takeover)
        self.health.subscribe(ModeState, "mode", conv.mode_from_msg, self._on_mode)
        for name, msg_type in (("vla_action", VlaAction), ("command_proposed", ControlCommand)):
            self.health.subscribe(msg_type, f"sync/{name}", lambda m: conv.to_seconds(m.header.stamp),
                                  lambda t, n=name: self._answered(n, t))
        self.timer = self.create_timer(self.world.p.step_s / self.p.rate_factor, self.health.protect("step", self._tick))
        self.get_logger().info(f"scenario {scenario.name} (seed {self.p.seed}, {scenario.duration_s:.0f} s) at "
                               f"{self.p.rate_factor}x real time, step {self.world.p.step_s} s")

    def _on_command(self, cmd: Command) -> None:
        self.command, self.command_received_s = cmd, self.world.time_s
        self._answered("command", cmd.stamp_s)

    def _answered(self, output: str, stamp_s: float) -> None:
        self.answered_s[output] = max(self.answered_s[output], stamp_s)
        if output in self.absent:
            self.absent.discard(output)
            self.get_logger().info(f"{output} answers again: back in lockstep")

    def _waiting_for_stack(self) -> bool:
        """In lockstep: a stack output has not answered the recent steps yet, and the wait is not over.
        An output silent for `lockstep_timeout_s` (a dead node) leaves the lockstep until it answers."""
        if self.p.lockstep_timeout_s <= 0.0 or self.last_obs_s is None:
            return False
        step = self.world.p.step_s
        late = [k for k, lag in LOCKSTEP.items()
                if k not in self.absent and self.answered_s[k] < self.last_obs_s - lag * step - 1e-6]
        if not late:
            return False
        if time.monotonic() - self.last_step_wall_s <= self.p.lockstep_timeout_s:
            return True
        self.absent.update(late)
        self.get_logger().warning(f"{', '.join(late)} silent for {self.p.lockstep_timeout_s} s of wall time: "
                                  "stepping on without")
        return False

    def _on_takeover(self, demand: TakeoverDemand) -> None:
        self.takeover = demand

    def _on_mode(self, status: ModeStatus) -> None:
        self.mode = status

    def _stack_ready(self) -> bool:
        """The gated command, the model output and the plan have publishers (the model is loaded),
        and the camera has a subscriber."""
        publishers = [self.resolve_topic_name(name) for name in ("~/input/command", *STACK_OUTPUTS)]
        return all(self.count_publishers(t) > 0 for t in publishers) \
            and self.count_subscribers(self.resolve_topic_name("~/output/image")) > 0

    def _tick(self) -> None:
        if self.started_wall_s is None:
            waited_s = time.monotonic() - self.created_wall_s
            if not self._stack_ready() and waited_s < self.p.wait_for_stack_s:
                self.pub_clock.publish(Clock(clock=conv.to_stamp(self.world.time_s)))
                return
            if self._stack_ready():
                self.get_logger().info(f"stack up after {waited_s:.1f} s: clock starts")
            else:
                self.get_logger().warning(f"no stack after {waited_s:.0f} s: starting the clock anyway")
            self.started_wall_s = time.monotonic()
        if self._waiting_for_stack():
            return
        self._step_world()
        if self.world.done:
            self._finish()

    def _step_world(self) -> None:
        obs = self.world.observe()
        stamp = obs.stamp_s
        self.last_obs_s, self.last_step_wall_s = stamp, time.monotonic()
        self.pub_clock.publish(Clock(clock=conv.to_stamp(stamp)))
        if obs.image_rgb is not None:
            self.pub_image.publish(conv.rgb_to_image(obs.image_rgb, stamp, self.camera_info["frame_id"]))
            self.pub_info.publish(conv.dict_to_camera_info(self.camera_info, stamp))
        self.pub_ego.publish(conv.ego_to_msg(obs.ego))
        self.pub_driver.publish(conv.driver_to_msg(dataclasses.replace(obs.driver, stamp_s=stamp)))
        self.pub_rear.publish(conv.rear_to_msg(dataclasses.replace(obs.rear, stamp_s=stamp)))
        if self.pub_gt.get_subscription_count() > 0:
            self.pub_gt.publish(conv.perception_to_msg(dataclasses.replace(obs.gt, stamp_s=stamp,
                                                                          model_id="ground_truth")))
        self.tracker.update(stamp, obs.driver.lever, self.mode)
        fresh = self.command is not None and stamp - self.command_received_s <= self.p.command_timeout_s
        self.world.step(self.command if fresh else Command(stamp_s=stamp), self.takeover)

    def _finish(self) -> None:
        self.timer.cancel()
        wall_s = time.monotonic() - (self.started_wall_s or self.created_wall_s)
        trace = trace_from_world(self.world.log, suite=self.scenario.suite, scenario=self.scenario.name,
                                 driver=DRIVER_NAME, seed=self.p.seed, planner_lane_changes=self.tracker.changes,
                                 extra_events=[])
        p = eval_params.load()
        kpis = run_kpis(trace, p)
        self.get_logger().info(f"scenario done: {self.world.time_s:.1f} s simulated in {wall_s:.1f} s wall "
                               f"({self.world.time_s / max(wall_s, 1e-9):.2f}x real time); {kpi_line(kpis)}")
        if self.p.report_dir:
            request = {"command": f"sim_node scenario:={self.scenario.name} seed:={self.p.seed}",
                       "scenario": self.scenario.name, "seed": self.p.seed, "driver": DRIVER_NAME}
            out = Path(self.p.report_dir)
            report.write(report.build([report.RunResult(trace, {})], p, request), out,
                         {"wall_s": wall_s, "sim_s": self.world.time_s, "rate_factor": self.p.rate_factor})
            self.get_logger().info(f"KPI report written to {out / 'report.md'}")
        if self.p.exit_when_done:
            self.finished.set_result(0)


def main() -> int:
    return run_node(SimNode, NAME)
