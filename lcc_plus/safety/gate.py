"""Command gate: clamps and rate-limits a command to the speed-dependent limits.

Lateral: the road-wheel angle delta must satisfy, at the ego speed v,
  |delta| <= steer limit, |v^2 tan(delta) / L| <= lateral acceleration limit   (absolute bounds),
  |delta - delta_prev| / dt <= steering rate limit,
  |a_y(delta) - a_y(delta_prev)| / dt <= lateral jerk limit                     (rate bounds).
The absolute bounds win when they contradict a rate bound (the previous output was
legal at another speed). Longitudinal: acceleration within [-decel, +accel] and its
change within the jerk limit; an emergency stop keeps only its own jerk limit.
Every bound that moved the command is returned as an INFO Check "filter:<name>"
with the proposed value and the limit.
"""
from __future__ import annotations

import math
from dataclasses import replace

from lcc_plus.common.types import Check, Command, Severity
from lcc_plus.safety.limits import LimitTable

_SPEED_EPS_MPS = 0.1  # below this the lateral acceleration bound carries no information


def lateral_accel_mps2(speed_mps: float, steer_rad: float, wheelbase_m: float) -> float:
    """Bicycle-model lateral acceleration a_y = v^2 tan(delta) / L."""
    return speed_mps * speed_mps * math.tan(steer_rad) / wheelbase_m


def steer_for_lateral_accel(speed_mps: float, accel_mps2: float, wheelbase_m: float) -> float:
    """Inverse of lateral_accel_mps2 (speed must be above zero)."""
    return math.atan(accel_mps2 * wheelbase_m / (speed_mps * speed_mps))


class _Bounds:
    """An interval [lo, hi] narrowed by named bounds, recording which ones cut the proposal."""

    def __init__(self, proposed: float):
        self.proposed = proposed
        self.lo, self.hi = -math.inf, math.inf
        self.checks: list[Check] = []

    def narrow(self, name: str, lo: float, hi: float, value: float, limit: float) -> None:
        """Intersect with [lo, hi]. The absolute bounds all contain zero and are applied first, so
        only a rate bound can empty the interval; it then gives way to them."""
        active = not lo <= self.proposed <= hi
        self.checks.append(Check(f"filter:{name}", value, limit, active, Severity.INFO))
        new_lo, new_hi = max(self.lo, lo), min(self.hi, hi)
        if new_lo <= new_hi:
            self.lo, self.hi = new_lo, new_hi

    def value(self) -> float:
        return min(max(self.proposed, self.lo), self.hi)


class CommandGate:
    """Stateful filter: remembers the last output to apply rate and jerk limits."""

    def __init__(self, table: LimitTable, wheelbase_m: float):
        self._table = table
        self._wheelbase_m = wheelbase_m
        self._prev: Command | None = None

    @property
    def last(self) -> Command | None:
        return self._prev

    def reset(self, current_steer_rad: float, current_accel_mps2: float) -> None:
        """Start the rate limits from the vehicle's actual state (on engagement)."""
        self._prev = Command(steering_angle_rad=current_steer_rad, accel_mps2=current_accel_mps2)

    def filter(self, cmd: Command, speed_mps: float, dt_s: float, emergency: bool = False,
               commit: bool = True) -> tuple[Command, list[Check]]:
        """The gated command and one Check per bound; commit=False leaves the rate-limit state as is."""
        lim = self._table.at(speed_mps)
        v = abs(speed_mps)
        dt = max(dt_s, 1e-3)
        prev = self._prev or cmd
        L = self._wheelbase_m

        lat = _Bounds(cmd.steering_angle_rad)
        lat.narrow("steer_angle_rad", -lim.steer_rad, lim.steer_rad, abs(cmd.steering_angle_rad), lim.steer_rad)
        ay = lateral_accel_mps2(v, cmd.steering_angle_rad, L)
        if v > _SPEED_EPS_MPS:
            d = steer_for_lateral_accel(v, lim.lat_accel_mps2, L)
            lat.narrow("lat_accel_mps2", -d, d, abs(ay), lim.lat_accel_mps2)
        rate = lim.steer_rate_radps * dt
        lat.narrow("steer_rate_radps", prev.steering_angle_rad - rate, prev.steering_angle_rad + rate,
                   abs(cmd.steering_angle_rad - prev.steering_angle_rad) / dt, lim.steer_rate_radps)
        if v > _SPEED_EPS_MPS:
            ay_prev = lateral_accel_mps2(v, prev.steering_angle_rad, L)
            jerk = lim.lat_jerk_mps3 * dt
            lo = steer_for_lateral_accel(v, ay_prev - jerk, L)
            hi = steer_for_lateral_accel(v, ay_prev + jerk, L)
            lat.narrow("lat_jerk_mps3", lo, hi, abs(ay - ay_prev) / dt, lim.lat_jerk_mps3)
        steer = lat.value()

        lon = _Bounds(cmd.accel_mps2)
        if not emergency:
            lon.narrow("lon_accel_mps2", -lim.lon_decel_mps2, lim.lon_accel_mps2, cmd.accel_mps2,
                       lim.lon_accel_mps2 if cmd.accel_mps2 >= 0 else -lim.lon_decel_mps2)
            step = lim.lon_jerk_mps3 * dt
            lon.narrow("lon_jerk_mps3", prev.accel_mps2 - step, prev.accel_mps2 + step,
                       abs(cmd.accel_mps2 - prev.accel_mps2) / dt, lim.lon_jerk_mps3)
        accel = lon.value()

        out = replace(cmd, steering_angle_rad=steer, accel_mps2=accel,
                      steering_rate_radps=(steer - prev.steering_angle_rad) / dt)
        if commit:
            self._prev = out
        return out, lat.checks + lon.checks
