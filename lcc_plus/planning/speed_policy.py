"""Speed policy: set speed, speed limit, curve speed, lead following; ACC-like limits.

The planned speed is simulated forward over the horizon: the wanted acceleration is
the smaller of the speed-cap tracking term and the lead-following term (time gap
plus a kinematic braking need while closing), then clipped to [-decel_comfort,
accel_max] and jerk-limited. The speed cap along the path holds the set speed, the
known speed limit and, ahead of curves, sqrt(a_lat / |kappa|) reached with a gentle
anticipation deceleration; ahead of a lane end, until the lane change has begun,
`lane_end_speed_mps` reached the same way.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lcc_plus.planning.params import ModeManagerParams

_PREVIEW_M = np.linspace(2.0, 150.0, 38)


@dataclass(frozen=True)
class LeadTrack:
    """A vehicle to follow: bumper gap now and its speed over ground."""

    gap_m: float
    speed_mps: float


@dataclass
class SpeedPlan:
    t_s: np.ndarray
    s_m: np.ndarray
    speed_mps: np.ndarray
    accel_mps2: np.ndarray


def curve_speed_cap(p: ModeManagerParams, s_m: np.ndarray, curvature_1pm: np.ndarray,
                    v_max_mps: float) -> Callable[[np.ndarray], np.ndarray]:
    """Speed cap as a function of arc length: v_max, curve limit and anticipation before curves."""
    k = np.maximum(np.abs(curvature_1pm), 1e-6)
    v_curve = np.minimum(np.sqrt(p.curve_lat_accel_mps2 / k), v_max_mps)
    # v_allow(s) = min over s' >= s of sqrt(v_curve(s')^2 + 2 a (s' - s))
    v2 = v_curve**2 + 2.0 * p.curve_anticipation_decel_mps2 * s_m
    allow2 = np.minimum.accumulate(v2[::-1])[::-1] - 2.0 * p.curve_anticipation_decel_mps2 * s_m
    allow = np.sqrt(np.maximum(allow2, 0.0))
    return lambda s: np.interp(s, s_m, allow)


def arrival_cap(p: ModeManagerParams, at_m: float, speed_mps: float) -> Callable[[np.ndarray], np.ndarray]:
    """Speed cap as a function of arc length that reaches `speed_mps` at `at_m` and holds it beyond,
    slowing at the curve anticipation deceleration (a place to arrive at slowly, like a bend)."""
    a = p.curve_anticipation_decel_mps2
    return lambda s: np.sqrt(speed_mps**2 + 2.0 * a * np.maximum(at_m - np.asarray(s, float), 0.0))


def plan_speed(p: ModeManagerParams, t_s: np.ndarray, speed0_mps: float, accel0_mps2: float,
               cap: Callable[[np.ndarray], np.ndarray], leads: list[LeadTrack], decel_max_mps2: float | None = None
               ) -> SpeedPlan:
    """Forward-simulated speed profile at the times `t_s` (t_s[0] = 0); `cap(s_m)` works on arrays."""
    decel = p.decel_comfort_mps2 if decel_max_mps2 is None else decel_max_mps2
    n = len(t_s)
    s, v, a = np.zeros(n), np.zeros(n), np.zeros(n)
    v[0] = max(speed0_mps, 0.0)
    a_prev = float(np.clip(accel0_mps2, -decel, p.accel_max_mps2))
    for k in range(n):
        dt = t_s[1] - t_s[0] if k == 0 else t_s[k] - t_s[k - 1]
        wanted = p.speed_gain_1ps * (float(cap(s[k])) - v[k])
        # Caps ahead below the present speed are met on arrival: the constant deceleration reaching
        # each one in time. One above it is no limit: as a constant acceleration it held a car that
        # crawled at 0.3 m/s towards a 1 m/s pass 3 m ahead at +0.01 m/s^2 for 20 s (unmarked_lane).
        ahead = s[k] + _PREVIEW_M
        need = (np.asarray(cap(ahead), dtype=float) ** 2 - v[k] ** 2) / (2.0 * _PREVIEW_M)
        wanted = min(wanted, float(np.min(need, initial=math.inf, where=need < 0.0)))
        for lead in leads:
            wanted = min(wanted, _follow_accel(p, lead, t_s[k], s[k], v[k]))
        wanted = min(max(wanted, -decel), p.accel_max_mps2)
        a[k] = min(max(wanted, a_prev - p.jerk_max_mps3 * dt), a_prev + p.jerk_max_mps3 * dt)
        if v[k] <= 0.0 and a[k] < 0.0:
            a[k] = 0.0
        a_prev = a[k]
        if k + 1 < n:
            dt_next = t_s[k + 1] - t_s[k]
            v[k + 1] = max(v[k] + a[k] * dt_next, 0.0)
            s[k + 1] = s[k] + 0.5 * (v[k] + v[k + 1]) * dt_next
    return SpeedPlan(np.asarray(t_s, float), s, v, a)


def _follow_accel(p: ModeManagerParams, lead: LeadTrack, t: float, s: float, v: float) -> float:
    """Time-gap following of a constant-speed lead, braking at least as hard as closing needs
    once that need reaches `closing_decel_min_mps2`.

    Below it the time-gap term rules: a need that small is a slower car far ahead, and
    meeting it at once kept the car from ever speeding up towards it (a parked car seen
    190 m ahead held parked_village's car at 2.7 m/s for 10 s, then slowed it 6.9 -> 3.8 m/s
    over 200 m).
    """
    gap = lead.gap_m + lead.speed_mps * t - s
    wanted_gap = p.standstill_gap_m + p.time_gap_s * v
    a = p.gap_gain_1ps2 * (gap - wanted_gap) + p.gap_speed_gain_1ps * (lead.speed_mps - v)
    if v > lead.speed_mps:
        room = max(gap - p.standstill_gap_m, 0.1)
        need = (v - lead.speed_mps) ** 2 / (2.0 * room)
        if need >= p.closing_decel_min_mps2:
            a = min(a, -need)
    return a


def stop_plan(t_s: np.ndarray, speed0_mps: float, decel_mps2: float) -> SpeedPlan:
    """Constant deceleration to standstill (MRM, lost lanes)."""
    t = np.asarray(t_s, float)
    v0 = max(speed0_mps, 0.0)
    t_stop = v0 / decel_mps2 if decel_mps2 > 0 else math.inf
    v = np.maximum(v0 - decel_mps2 * t, 0.0)
    tt = np.minimum(t, t_stop)
    s = v0 * tt - 0.5 * decel_mps2 * tt * tt
    a = np.where(t < t_stop, -decel_mps2, 0.0)
    return SpeedPlan(t, s, v, a)
