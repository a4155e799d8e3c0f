"""Test helper: drives a SafetyMonitor with a consistent, healthy set of inputs on a simulated
clock, with hooks to drop topics or replace messages (fault injection)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from lcc_plus.common.types import (
    Command,
    CommandSource,
    DriverControls,
    EgoState,
    LaneLine,
    LineType,
    Mode,
    ModeStatus,
    Perception,
    RearSensing,
)
from lcc_plus.safety.monitor import MonitorOutput, SafetyMonitor
from lcc_plus.safety.params import load_safety_params

RATE_HZ = 50.0
LANE_HALF_WIDTH_M = 1.75


def straight_lane(offset_m: float) -> LaneLine:
    return LaneLine(coefficients=np.array([offset_m, 0.0, 0.0, 0.0]), x_min_m=0.0, x_max_m=60.0,
                    probability=0.95, line_type=LineType.DASHED)


def healthy_perception(stamp_s: float, speed_mps: float) -> Perception:
    t = np.linspace(0.0, 5.0, 21)
    lines = [straight_lane(3 * LANE_HALF_WIDTH_M), straight_lane(LANE_HALF_WIDTH_M),
             straight_lane(-LANE_HALF_WIDTH_M), straight_lane(-3 * LANE_HALF_WIDTH_M)]
    return Perception(stamp_s=stamp_s, path_t_s=t, path_x_m=speed_mps * t, path_y_m=np.zeros_like(t),
                      path_speed_mps=np.full_like(t, speed_mps), lane_lines=lines, confidence=0.9,
                      model_id="test")


@dataclass
class Feed:
    """Publishes every input at its rate and ticks the monitor at RATE_HZ on a simulated clock."""

    monitor: SafetyMonitor
    now_s: float = 100.0
    speed_mps: float = 20.0
    hands_on: bool = True
    eyes_on: bool = True
    torque_nm: float = 0.0
    brake: float = 0.0
    engage: bool = False
    disengage: bool = False
    command: Command = field(default_factory=lambda: Command(target_speed_mps=20.0, source=CommandSource.PLANNER,
                                                             engaged=True))
    drop: set = field(default_factory=set)        # topics not published
    mutate: dict = field(default_factory=dict)    # topic -> function(message) -> message
    outputs: list = field(default_factory=list)
    follow: bool = True                           # ego speed follows the gated command
    _n: int = 0

    def _emit(self, topic: str, msg, call) -> None:
        if topic in self.drop:
            return
        if topic in self.mutate:
            msg = self.mutate[topic](msg)
        call(msg)

    def step(self) -> MonitorOutput:
        m, t = self.monitor, self.now_s
        self._emit("vehicle_state", EgoState(stamp_s=t, speed_mps=self.speed_mps),
                   lambda x: m.on_vehicle_state(x, t))
        self._emit("driver_input", DriverControls(stamp_s=t, steering_torque_nm=self.torque_nm,
                                                  hands_on=self.hands_on, eyes_on_road=self.eyes_on,
                                                  brake_pedal=self.brake, engage_request=self.engage,
                                                  disengage_request=self.disengage),
                   lambda x: m.on_driver(x, t))
        if self._n % 2 == 0:  # 25 Hz camera and model
            self._emit("image", (t, 640, 480, "rgb8"), lambda x: m.on_image(*x, t))
            self._emit("vla_action", healthy_perception(t, self.speed_mps), lambda x: m.on_perception(x, t))
            self._emit("rear_objects", RearSensing(stamp_s=t), lambda x: m.on_rear(x, t))
            self._emit("mode", ModeStatus(stamp_s=t, mode=Mode.LANE_KEEP), lambda x: m.on_mode(x, t))
        self._emit("command", replace(self.command, stamp_s=t), lambda x: m.on_command(x, t))
        out = m.tick(t)
        self.outputs.append(out)
        if self.follow:
            self.speed_mps = max(0.0, self.speed_mps + out.command.accel_mps2 / RATE_HZ) \
                if out.command.engaged else self.speed_mps
        self.now_s = round(self.now_s + 1.0 / RATE_HZ, 9)
        self._n += 1
        return out

    def run(self, duration_s: float) -> list[MonitorOutput]:
        n = int(round(duration_s * RATE_HZ))
        return [self.step() for _ in range(n)]

    def engage_now(self) -> MonitorOutput:
        """Warm up the inputs, then press engage for one driver message."""
        self.run(0.5)
        self.engage = True
        self.step()
        self.engage = False
        return self.run(0.1)[-1]


def make_feed(**overrides) -> Feed:
    return Feed(SafetyMonitor(load_safety_params(overrides)))


def check(out: MonitorOutput, name: str):
    return next(c for c in out.report.checks if c.name == name)
