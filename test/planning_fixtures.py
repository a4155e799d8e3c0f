"""Test fixtures for the planning and control cores: a tiny road world and a car model.

`Road` is a multi-lane road along a curvature profile; `Road.perception(pose)` gives
ground-truth lane lines (cubics fitted in base_link) and leads like the model would.
`Car` is a kinematic bicycle with first-order steering and drive lags plus a delay,
used until closed loops run on lcc_plus.sim.vehicle.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from lcc_plus.common.types import (
    DriverControls,
    EgoState,
    LaneLine,
    Lead,
    LineType,
    Perception,
    RearObject,
    RearSensing,
)


def lines(offset_m: float = 0.0, width_m: float = 3.5, left_lane: bool = True, right_lane: bool = True,
          types: tuple[LineType, LineType] = (LineType.DASHED, LineType.DASHED), curvature_1pm: float = 0.0,
          prob: float = 0.95, x_max_m: float = 80.0) -> list[LaneLine]:
    """Straight or constant-curvature lanes; the ego sits `offset_m` left of its lane centre."""
    def line(c0: float, kind: LineType, p: float = prob) -> LaneLine:
        return LaneLine(np.array([c0, 0.0, 0.5 * curvature_1pm, 0.0]), 0.0, x_max_m, p, kind)
    half = 0.5 * width_m
    return [
        line(half + width_m - offset_m, LineType.ROAD_EDGE) if left_lane else LaneLine(),
        line(half - offset_m, types[0] if left_lane else LineType.ROAD_EDGE),
        line(-half - offset_m, types[1] if right_lane else LineType.ROAD_EDGE),
        line(-half - width_m - offset_m, LineType.ROAD_EDGE) if right_lane else LaneLine(),
    ]


def perception(confidence: float = 0.9, lead: Lead | None = None, lead_left: Lead | None = None,
               lead_right: Lead | None = None, **kw) -> Perception:
    return Perception(lane_lines=lines(**kw), lead=lead or Lead(), lead_left=lead_left or Lead(),
                      lead_right=lead_right or Lead(), confidence=confidence)


@dataclass
class Road:
    """Lanes numbered 0 (rightmost) .. n-1; reference line = centre of lane 0."""

    curvature: list[tuple[float, float]]  # (start arc length m, curvature 1/m), ascending
    n_lanes: int = 2
    width_m: float = 3.5
    length_m: float = 2000.0
    inner_type: LineType = LineType.DASHED
    s: np.ndarray = field(init=False)
    xy: np.ndarray = field(init=False)
    heading: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        ds = 0.5
        self.s = np.arange(0.0, self.length_m, ds)
        starts = np.array([c[0] for c in self.curvature])
        ks = np.array([c[1] for c in self.curvature])
        k = ks[np.searchsorted(starts, self.s, side="right") - 1]
        self.heading = np.concatenate(([0.0], np.cumsum(k[:-1] * ds)))
        self.xy = np.stack([np.concatenate(([0.0], np.cumsum(np.cos(self.heading[:-1]) * ds))),
                            np.concatenate(([0.0], np.cumsum(np.sin(self.heading[:-1]) * ds)))], axis=1)

    def frenet(self, x: float, y: float) -> tuple[float, float, int]:
        """(arc length, lateral offset from the reference, index) of the nearest reference point."""
        i = int(np.argmin(np.hypot(self.xy[:, 0] - x, self.xy[:, 1] - y)))
        h = self.heading[i]
        d = -math.sin(h) * (x - self.xy[i, 0]) + math.cos(h) * (y - self.xy[i, 1])
        return float(self.s[i]), float(d), i

    def boundary_xy(self, i0: int, offset_m: float, ahead_m: float = 80.0) -> np.ndarray:
        j = slice(i0, min(i0 + int(ahead_m / 0.5), len(self.s)))
        h = self.heading[j]
        return self.xy[j] + offset_m * np.stack([-np.sin(h), np.cos(h)], axis=1)

    def perception(self, x: float, y: float, yaw: float, leads: dict[int, Lead] | None = None) -> Perception:
        """Ground-truth lane lines around the car at (x, y, yaw); leads keyed by lane relative to the ego."""
        _, d, i0 = self.frenet(x, y)
        ego_lane = int(np.clip(round(d / self.width_m), 0, self.n_lanes - 1))
        out = []
        for rel in (1.5, 0.5, -0.5, -1.5):
            b = ego_lane + rel  # boundary between lanes b-0.5 and b+0.5
            if b < -0.5 or b > self.n_lanes - 0.5:
                out.append(LaneLine())
                continue
            kind = LineType.ROAD_EDGE if b in (-0.5, self.n_lanes - 0.5) else self.inner_type
            pts = self.boundary_xy(i0, b * self.width_m)
            c, s_ = math.cos(yaw), math.sin(yaw)
            px, py = pts[:, 0] - x, pts[:, 1] - y
            bx, by = c * px + s_ * py, -s_ * px + c * py
            keep = bx > -5.0
            coef = np.polyfit(bx[keep], by[keep], 3)[::-1]
            out.append(LaneLine(coef, 0.0, float(bx[keep].max()), 0.95, kind))
        leads = leads or {}
        return Perception(lane_lines=out, lead=leads.get(0, Lead()), lead_left=leads.get(1, Lead()),
                          lead_right=leads.get(-1, Lead()), confidence=0.9)


@dataclass
class Car:
    """Kinematic bicycle; steering and acceleration act through a delay and a first-order lag."""

    wheelbase_m: float = 2.8
    delay_s: float = 0.1
    steer_tau_s: float = 0.1
    accel_tau_s: float = 0.2
    x: float = 0.0
    y: float = 0.0
    yaw: float = 0.0
    speed: float = 0.0
    steer: float = 0.0
    accel: float = 0.0
    _queue: deque = field(default_factory=deque)

    def step(self, steer_cmd: float, accel_cmd: float, dt: float) -> None:
        self._queue.append((steer_cmd, accel_cmd))
        lag = max(int(round(self.delay_s / dt)), 0)
        steer_in, accel_in = self._queue[0] if len(self._queue) > lag else (self.steer, self.accel)
        while len(self._queue) > lag:
            self._queue.popleft()
        self.steer += (steer_in - self.steer) * min(dt / self.steer_tau_s, 1.0)
        self.accel += (accel_in - self.accel) * min(dt / self.accel_tau_s, 1.0)
        if self.speed <= 0.0 and self.accel < 0.0:
            self.accel = 0.0
        self.speed = max(self.speed + self.accel * dt, 0.0)
        self.yaw += self.speed * math.tan(self.steer) / self.wheelbase_m * dt
        self.x += self.speed * math.cos(self.yaw) * dt
        self.y += self.speed * math.sin(self.yaw) * dt

    @property
    def yaw_rate(self) -> float:
        return self.speed * math.tan(self.steer) / self.wheelbase_m

    @property
    def lat_accel(self) -> float:
        return self.speed * self.yaw_rate

    def ego(self, now_s: float) -> EgoState:
        return EgoState(stamp_s=now_s, speed_mps=self.speed, yaw_rate_radps=self.yaw_rate,
                        steering_angle_rad=self.steer, accel_x_mps2=self.accel, accel_y_mps2=self.lat_accel)


def driver(**kw) -> DriverControls:
    kw.setdefault("set_speed_mps", 25.0)
    return DriverControls(**kw)


def rear(objects: list[RearObject] | None = None, **kw) -> RearSensing:
    return RearSensing(objects=objects or [], **kw)


def jerk_05s_max(lat_accel: np.ndarray, dt: float) -> float:
    """Largest 0.5 s moving average of |d a_y / dt| (R79 style, without the Butterworth stage)."""
    jerk = np.diff(lat_accel) / dt
    n = max(int(round(0.5 / dt)), 1)
    return float(np.max(np.abs(np.convolve(jerk, np.ones(n) / n, mode="valid")))) if len(jerk) >= n else 0.0
