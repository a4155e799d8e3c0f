"""Safety checks that judge the situation; each returns a Check(name, value, limit, active, severity)."""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from lcc_plus.common.types import (
    LINE_EGO_LEFT,
    LINE_EGO_RIGHT,
    LINE_LEFT_OUTER,
    LINE_RIGHT_OUTER,
    Check,
    LaneLine,
    Lead,
    Severity,
)


class Sustained:
    """True once a condition has held continuously for `duration_s` (debounce)."""

    def __init__(self, duration_s: float):
        self.duration_s = duration_s
        self._since_s: float | None = None

    def update(self, condition: bool, now_s: float) -> bool:
        if not condition:
            self._since_s = None
            return False
        if self._since_s is None or now_s < self._since_s:
            self._since_s = now_s
        return now_s - self._since_s >= self.duration_s

    def held_s(self, now_s: float) -> float:
        return 0.0 if self._since_s is None else max(0.0, now_s - self._since_s)


def ttc_check(lead: Lead, min_probability: float, ttc_limit_s: float) -> Check:
    """Time to collision with the ego-lane lead: gap / closing speed (inf when not closing);
    imminent below the limit."""
    ttc = math.inf
    if lead.probability >= min_probability and lead.relative_speed_mps < 0.0:
        ttc = max(lead.distance_m, 0.0) / -lead.relative_speed_mps
    return Check("ttc_lead_s", ttc, ttc_limit_s, ttc < ttc_limit_s, Severity.IMMINENT)


_STAMP_TOLERANCE_S = 1e-3  # frames 0.1 s apart are 0.2 s apart two frames on, whatever the rounding


class LeadRange:
    """The range of the model's ego-lane lead over its last frames, to confirm that the gap a TTC
    check reads from the model's relative speed really shrinks.

    The model's relative speed is one frame's guess; its range, frame after frame, is a second
    witness. A lead whose range stays put or grows while the model says it closes is not
    confirmed: a parked car read as creeping towards the standing ego, or the blend of two cars
    while the model hands the lead over from the one being passed to the next (parked_village,
    model 8d7c853e: both stopped the car for nothing). A lead that was not there a window ago
    (a cut-in) and a history shorter than the window leave the model's word standing, so a
    lead that appears close is judged at once."""

    def __init__(self, window_s: float, fraction: float):
        self.window_s = window_s
        self.fraction = fraction
        self._frames: deque[tuple[float, float | None]] = deque()  # (stamp [s], range [m] or None: no lead)
        self._closing_mps: float | None = None  # of the frames above; the monitor reads it every tick

    def record(self, stamp_s: float, distance_m: float | None) -> None:
        """One model frame: the range of its ego-lane lead, None when it has none."""
        if self._frames and stamp_s <= self._frames[-1][0]:
            if stamp_s == self._frames[-1][0]:
                return  # the same frame again
            self._frames.clear()  # time ran back (a replayed bag, a clock reset): old ranges mean nothing now
        self._frames.append((stamp_s, distance_m))
        while len(self._frames) > 2 and stamp_s - self._frames[1][0] >= self.window_s - _STAMP_TOLERANCE_S:
            self._frames.popleft()  # keep one frame at least a window old
        self._closing_mps = self._shrink_rate_mps()

    def _shrink_rate_mps(self) -> float | None:
        if len(self._frames) < 2 or any(d is None for _, d in self._frames):
            return None  # the lead was not there a window ago
        (t_then, d_then), (t_now, d_now) = self._frames[0], self._frames[-1]
        span_s = t_now - t_then
        if not self.window_s - _STAMP_TOLERANCE_S <= span_s <= 4.0 * self.window_s:
            return None  # too short, or frames missed for long: no second witness
        return (d_then - d_now) / span_s

    def closing_mps(self) -> float | None:
        """How fast the range shrank over the last window (negative: it grew); None when the lead
        was not there a window ago, or the history is shorter than one window or has a gap of
        several."""
        return self._closing_mps

    def confirms(self, closing_mps: float) -> bool:
        """Whether the range bears out a model closing speed (m/s, positive when closing)."""
        return self._closing_mps is None or self._closing_mps >= self.fraction * closing_mps


def lead_beside(lead: Lead, left: LaneLine, right: LaneLine, ego_width_m: float, lead_width_m: float,
                margin_m: float, min_line_probability: float) -> bool:
    """Whether the ego, keeping its place in the lane, passes the lead beside it: their bodies
    more than `margin_m` apart sideways (a parked car at the lane's edge while the ego drives
    along the other side). Then the lead is no longer a gap to close, and the TTC and RSS
    checks, which assume it is, do not apply. Without both ego-lane lines the ego's place in
    the lane is unknown and the lead counts as ahead."""
    if not (left.probability >= min_line_probability and right.probability >= min_line_probability):
        return False  # also NaN
    lane_centre_m = 0.5 * (float(left.y_at(0.0)) + float(right.y_at(0.0)))  # base_link y of the ego-lane centre
    apart_m = abs(lead.lateral_offset_m + lane_centre_m)  # lead centre from the ego's centre line
    return bool(math.isfinite(apart_m) and apart_m > 0.5 * (ego_width_m + lead_width_m) + margin_m)


def rss_min_gap_m(ego_speed_mps: float, lead_speed_mps: float, rho_s: float, accel_max_mps2: float,
                  brake_min_mps2: float, brake_max_mps2: float) -> float:
    """RSS safe longitudinal distance (Shalev-Shwartz et al. 2017) for a rear car at
    ego_speed_mps following a front car at lead_speed_mps."""
    vr, vf = max(ego_speed_mps, 0.0), max(lead_speed_mps, 0.0)
    v_after = vr + rho_s * accel_max_mps2
    d = vr * rho_s + 0.5 * accel_max_mps2 * rho_s ** 2 + v_after ** 2 / (2 * brake_min_mps2) \
        - vf ** 2 / (2 * brake_max_mps2)
    return max(0.0, d)


def rss_check(lead: Lead, ego_speed_mps: float, min_probability: float, rho_s: float, accel_max_mps2: float,
              brake_min_mps2: float, brake_max_mps2: float) -> Check:
    """Gap to the lead against the RSS distance, active when inside it and still closing.
    Reported (INFO); the monitor acts on the TTC, because plain ACC following at a 1-2 s
    time gap is already inside the worst-case RSS distance."""
    if lead.probability < min_probability:
        return Check("rss_gap_m", math.inf, 0.0, False, Severity.INFO)
    need = rss_min_gap_m(ego_speed_mps, ego_speed_mps + lead.relative_speed_mps, rho_s, accel_max_mps2,
                         brake_min_mps2, brake_max_mps2)
    return Check("rss_gap_m", lead.distance_m, need, lead.distance_m < need and lead.relative_speed_mps < 0.0,
                 Severity.INFO)


def corridor_lines(lines: list[LaneLine], lane_change_side: int = 0) -> tuple[LaneLine, LaneLine]:
    """(left, right) lines the ego must stay between.

    Keeping the lane: the ego-lane lines. During a lane change to side s (+1 left, -1 right)
    the corridor is the old lane plus the target lane; which lines bound it depends on
    whether the lines were already relabelled to the target lane, told by which ego-lane
    line is nearer to the ego (the one being crossed).
    """
    left, right = lines[LINE_EGO_LEFT], lines[LINE_EGO_RIGHT]
    if lane_change_side == 0:
        return left, right
    toward, away = (left, right) if lane_change_side > 0 else (right, left)
    relabelled = abs(float(away.y_at(0.0))) < abs(float(toward.y_at(0.0)))
    if lane_change_side > 0:
        return (left, lines[LINE_RIGHT_OUTER]) if relabelled else (lines[LINE_LEFT_OUTER], right)
    return (lines[LINE_LEFT_OUTER], right) if relabelled else (left, lines[LINE_RIGHT_OUTER])


def predicted_lane_clearance_m(left: LaneLine, right: LaneLine, speed_mps: float, steer_rad: float,
                               wheelbase_m: float, width_m: float, horizon_s: float, min_probability: float,
                               step_s: float = 0.05) -> float:
    """Smallest clearance [m] between the ego footprint and the corridor lines over the horizon.

    The footprint is predicted from the gated command and the current state alone: a
    kinematic bicycle at constant speed and road-wheel angle, its front axle corners
    (rear-axle origin, REP-103) compared with the left and right lines. Negative means a
    corner is beyond a line. Lines below `min_probability` are skipped; inf when no line
    is usable.
    """
    usable = [(line, side) for line, side in ((left, +1), (right, -1)) if line.probability >= min_probability]
    if not usable:
        return math.inf
    t = np.arange(0.0, horizon_s + 1e-9, step_s)
    yaw_rate = speed_mps * math.tan(steer_rad) / wheelbase_m
    yaw = yaw_rate * t
    if abs(yaw_rate) > 1e-6:
        x = speed_mps / yaw_rate * np.sin(yaw)
        y = speed_mps / yaw_rate * (1.0 - np.cos(yaw))
    else:
        x, y = speed_mps * t, np.zeros_like(t)
    fx, fy = x + wheelbase_m * np.cos(yaw), y + wheelbase_m * np.sin(yaw)
    half = 0.5 * width_m
    clearance = math.inf
    for line, side in usable:
        cx, cy = fx - side * half * np.sin(yaw), fy + side * half * np.cos(yaw)
        inside = (cx >= line.x_min_m) & (cx <= line.x_max_m)
        if not np.any(inside):
            continue
        gap = side * (np.asarray(line.y_at(cx[inside])) - cy[inside])
        clearance = min(clearance, float(np.min(gap)))
    return clearance
