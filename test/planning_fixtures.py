"""Test fixtures for the planning and control cores: a tiny road world and a car model.

`Road` is a multi-lane road along a curvature profile; `Road.perception(pose)` gives
ground-truth lane lines (cubics fitted in base_link) and leads like the model would.
`Car` wraps the simulator's vehicle model (kinematic bicycle with actuator dead
times, lags and rate limits).
"""
from __future__ import annotations

import math
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
    Trajectory,
)
from lcc_plus.sim.vehicle import Vehicle, VehicleParams, VehicleState


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

    curvature: list[tuple[float, float]]  # (arc length m, curvature 1/m), ascending; linear in between (clothoids)
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
        k = np.interp(self.s, starts, ks)
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

    def trajectory(self, car: Car, now_s: float, speed_of_s, lane: int = 0, dt: float = 0.1,
                   horizon_s: float = 6.0) -> Trajectory:
        """Lane `lane` centre ahead of the car as a Trajectory in base_link, speed from `speed_of_s(s_m)`."""
        s0, _, i0 = self.frenet(car.x, car.y)
        t = np.arange(0.0, horizon_s + 1e-9, dt)
        v = np.empty_like(t)
        s = np.empty_like(t)
        s[0], v[0] = s0, speed_of_s(s0)
        for k in range(1, len(t)):
            s[k] = s[k - 1] + v[k - 1] * dt
            v[k] = speed_of_s(s[k])
        pts = self.boundary_xy(0, lane * self.width_m, self.length_m)
        xw = np.interp(s, self.s, pts[:, 0])
        yw = np.interp(s, self.s, pts[:, 1])
        c, sn = math.cos(car.yaw), math.sin(car.yaw)
        bx, by = c * (xw - car.x) + sn * (yw - car.y), -sn * (xw - car.x) + c * (yw - car.y)
        k_road = np.interp(s, self.s, np.gradient(self.heading, self.s))
        return Trajectory(stamp_s=now_s, t_s=t, x_m=bx, y_m=by, speed_mps=v, accel_mps2=np.gradient(v, t),
                          curvature_1pm=k_road / (1.0 - lane * self.width_m * k_road))

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


class Car:
    """The simulator's ego vehicle model (lcc_plus.sim.vehicle, config/vehicle.yaml) as a test plant."""

    def __init__(self, speed: float = 0.0, x: float = 0.0, y: float = 0.0, yaw: float = 0.0):
        self.vehicle = Vehicle(VehicleParams.from_config(), VehicleState(x_m=x, y_m=y, yaw_rad=yaw, speed_mps=speed))

    def step(self, steer_cmd: float, accel_cmd: float, dt: float) -> None:
        self.vehicle.step(steer_cmd, accel_cmd, dt)

    @property
    def state(self) -> VehicleState:
        return self.vehicle.state

    x = property(lambda self: self.state.x_m)
    y = property(lambda self: self.state.y_m)
    yaw = property(lambda self: self.state.yaw_rad)
    speed = property(lambda self: self.state.speed_mps)
    steer = property(lambda self: self.state.steer_rad)
    lat_accel = property(lambda self: self.state.lat_accel_mps2)

    def ego(self, now_s: float) -> EgoState:
        st = self.state
        return EgoState(stamp_s=now_s, speed_mps=st.speed_mps, yaw_rate_radps=st.yaw_rate_radps,
                        steering_angle_rad=st.steer_rad, accel_x_mps2=st.accel_mps2, accel_y_mps2=st.lat_accel_mps2)


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
