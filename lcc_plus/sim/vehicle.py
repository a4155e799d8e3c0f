"""Ego vehicle: kinematic bicycle at the rear axle with delayed, rate-limited actuators.

State is in the map frame (x east, y north, yaw counter-clockwise). The steering
command passes a dead time, a rate limit and a first-order lag; the acceleration
command a dead time and a first-order lag, then both are clipped to the limits.
The path of the rear axle is exact for a constant steering angle: a circle of
radius wheelbase / tan(steer).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from lcc_plus.common import params
from lcc_plus.common.params import spec


@dataclass(frozen=True)
class VehicleParams:
    wheelbase_m: float = spec("distance between the axles", unit="m", min=1.0, max=6.0)
    length_m: float = spec("body length", unit="m", min=2.0, max=20.0)
    width_m: float = spec("body width", unit="m", min=1.0, max=3.0)
    rear_overhang_m: float = spec("rear axle to rear bumper", unit="m", min=0.0, max=3.0)
    max_steer_rad: float = spec("road-wheel angle limit", unit="rad", min=0.1, max=1.0)
    max_steer_rate_radps: float = spec("road-wheel angle rate limit", unit="rad/s", min=0.05, max=5.0)
    steer_delay_s: float = spec("steering actuator dead time", unit="s", min=0.0, max=1.0)
    steer_time_constant_s: float = spec("steering first-order lag", unit="s", min=0.0, max=1.0)
    accel_delay_s: float = spec("longitudinal actuator dead time", unit="s", min=0.0, max=1.0)
    accel_time_constant_s: float = spec("longitudinal first-order lag", unit="s", min=0.0, max=2.0)
    max_accel_mps2: float = spec("acceleration limit", unit="m/s^2", min=0.5, max=10.0)
    max_decel_mps2: float = spec("deceleration limit (positive)", unit="m/s^2", min=1.0, max=15.0)
    internal_step_s: float = spec("integration step", unit="s", min=0.001, max=0.05)

    @classmethod
    def from_config(cls, overrides: dict | None = None) -> VehicleParams:
        return params.load(cls, "vehicle.yaml", "sim", overrides)


@dataclass
class VehicleState:
    """Rear-axle pose and motion in the map frame."""

    x_m: float = 0.0
    y_m: float = 0.0
    yaw_rad: float = 0.0
    speed_mps: float = 0.0
    steer_rad: float = 0.0
    accel_mps2: float = 0.0     # longitudinal, as realised
    yaw_rate_radps: float = 0.0
    lat_accel_mps2: float = 0.0


class _DeadTime:
    """Holds a command for a fixed number of internal steps (a FIFO, zero-order hold)."""

    def __init__(self, delay_s: float, step_s: float, initial: float):
        n = int(round(delay_s / step_s))
        self.buf: deque[float] = deque([initial] * n)

    def push(self, value: float) -> float:
        if not self.buf:
            return value
        self.buf.append(value)
        return self.buf.popleft()


class Vehicle:
    """Integrates the ego vehicle; `step(steer_cmd_rad, accel_cmd_mps2, dt_s)`."""

    def __init__(self, p: VehicleParams, state: VehicleState):
        self.p = p
        self.state = state
        self._steer_delay = _DeadTime(p.steer_delay_s, p.internal_step_s, state.steer_rad)
        self._accel_delay = _DeadTime(p.accel_delay_s, p.internal_step_s, state.accel_mps2)
        self._steer_lagged = state.steer_rad

    def step(self, steer_cmd_rad: float, accel_cmd_mps2: float, dt_s: float) -> VehicleState:
        if not (math.isfinite(steer_cmd_rad) and math.isfinite(accel_cmd_mps2)):
            raise ValueError(f"non-finite vehicle command: steer {steer_cmd_rad}, accel {accel_cmd_mps2}")
        p, st = self.p, self.state
        n = max(1, int(round(dt_s / p.internal_step_s)))
        h = dt_s / n
        steer_cmd = max(-p.max_steer_rad, min(p.max_steer_rad, steer_cmd_rad))
        accel_cmd = max(-p.max_decel_mps2, min(p.max_accel_mps2, accel_cmd_mps2))
        for _ in range(n):
            target = self._steer_delay.push(steer_cmd)
            self._steer_lagged += _lag_gain(h, p.steer_time_constant_s) * (target - self._steer_lagged)
            max_delta = p.max_steer_rate_radps * h
            st.steer_rad += max(-max_delta, min(max_delta, self._steer_lagged - st.steer_rad))
            a_target = self._accel_delay.push(accel_cmd)
            st.accel_mps2 += _lag_gain(h, p.accel_time_constant_s) * (a_target - st.accel_mps2)
            v0 = st.speed_mps
            v1 = max(0.0, v0 + st.accel_mps2 * h)
            dist = 0.5 * (v0 + v1) * h
            curvature = math.tan(st.steer_rad) / p.wheelbase_m
            if abs(curvature) < 1e-9:
                st.x_m += dist * math.cos(st.yaw_rad)
                st.y_m += dist * math.sin(st.yaw_rad)
            else:
                yaw1 = st.yaw_rad + dist * curvature
                st.x_m += (math.sin(yaw1) - math.sin(st.yaw_rad)) / curvature
                st.y_m -= (math.cos(yaw1) - math.cos(st.yaw_rad)) / curvature
                st.yaw_rad = yaw1
            st.speed_mps = v1
            st.yaw_rate_radps = v1 * curvature
            st.lat_accel_mps2 = v1 * v1 * curvature
        if st.speed_mps == 0.0 and st.accel_mps2 < 0.0:
            st.accel_mps2 = 0.0  # standing still: brakes hold, no reverse
        st.yaw_rad = math.atan2(math.sin(st.yaw_rad), math.cos(st.yaw_rad))
        return st


def _lag_gain(h: float, tau: float) -> float:
    return 1.0 if tau <= 0.0 else 1.0 - math.exp(-h / tau)
