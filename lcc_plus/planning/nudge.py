"""Small-road nudging: pass a stopped vehicle by offsetting, or stop behind it.

Order of preference: an offset inside the own lane (the car may cover its line by
`nudge_line_overlap_m`); else an offset into the free part of the road on the
passing side (right-hand traffic passes left) when that side is road, not road edge,
oncoming traffic is at least `oncoming_time_min_s` away and a confident model path
passes too; else no pass: the car stops behind (lead following) and the caller
requests a takeover. Where the passing side is only in use for now (oncoming traffic,
a vehicle beside), the car stops far enough back to pull out from a standstill
(`waiting_gap_m`) and waits up to `nudge_wait_max_s` for it to clear. Offsets here are
from the lane reference (on an unmarked two-way road: the middle of the keep-side half);
the caller moves the obstacle's Lead.lateral_offset_m, which is from the ego lane centre,
into that frame. The passing side's oncoming vehicle comes from oncoming.py.

An active pass lives in odometer coordinates (distance driven), so the offset stays
put in the world while the obstacle leaves the camera's lead slot alongside it. It is
applied along the lane's normal at each arc length, as a driver's pass on a bend is: an
offset along base_link y narrows towards the bend's outside edge as the road turns.
Ramps are quintics in distance, their length chosen so that the lateral acceleration
at the pass speed stays within `nudge_lat_accel_mps2`, the path curvature within
what the car can steer and the heading within RAMP_HEADING_RAD (RAMP_HEADING_MAX_RAD
where the room is shorter).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from lcc_plus.common.types import Lead
from lcc_plus.planning import trajectory as traj_builder
from lcc_plus.planning.gap import lead_exists, oncoming_within_s
from lcc_plus.planning.lanes import Curve
from lcc_plus.planning.params import ModeManagerParams
from lcc_plus.planning.profiles import PEAK_ACCEL_FACTOR, Quintic

RAMP_CURVATURE_MAX_1PM = 0.15  # inside the controller's curvature limit (0.2 1/m)
# Heading of a ramp against the lane: at most RAMP_HEADING_RAD, or RAMP_HEADING_MAX_RAD where the
# room before the obstacle is shorter (a stop a few metres short of the waiting place: the
# model's range at 25 m is metres off). Pull-outs from a crawl on the curvature limit alone
# (9.6 m for 2.3 m, 24 degrees) swung the front corner over a 5 m road's edge, at 20 degrees
# in 3 of unmarked_lane's seeds 0-8; at 12 degrees and 2.5 m/s in 4 of seeds 9-26, at 9 in none.
RAMP_HEADING_RAD = math.radians(9.0)
RAMP_HEADING_MAX_RAD = math.radians(12.0)
PEAK_SLOPE_FACTOR = 15.0 / 8.0  # a quintic ramp's steepest slope over its mean one
PASS_REACH_M = 200.0  # sampled to 1.5x this (centre_geometry): past the 6 s look-ahead at 34 m/s
MIN_OUT_BEFORE_M = 2.0  # as the ground truth's pass (ground_truth._nudge)
# The slowest pass speed a pass is planned for (a pull-out from a standstill). At 1 m/s a pass
# from a standstill (~50 m with its way back) took 50 s.
CRAWL_SPEED_MPS = 2.5
WAIT_MARGIN_M = 1.0  # a stop behind a vehicle to be passed ends within this of its target


@dataclass(frozen=True)
class NudgeChoice:
    offset_m: float  # 0: no pass possible
    reason: str
    model_judged: bool = False  # the model's path reached past the obstacle and passed it
    wait_offset_m: float = 0.0  # refused for now (the passing side is in use): the offset a pass will need


def choose_offset(p: ModeManagerParams, lane_width_m: float, free_room_m: float, ego_speed_mps: float,
                  obstacle: Lead, passing_lead: Lead, passing_blind_spot: bool, model_clears: bool | None
                  ) -> NudgeChoice:
    """Lateral offset [m, + left] from the lane reference that passes `obstacle`, or 0 with why not.
    Beside the obstacle the car keeps pass_clearance_m, from the road's far edge `nudge_edge_clearance_m`.

    `lane_width_m` is the own lane (on an unmarked two-way road: the keep-side half),
    `free_room_m` how much road continues beyond its line on the passing side (0: none),
    `passing_lead` the vehicle the perception reports there, `model_clears` whether the
    model's own path passes the obstacle (None: no usable path). Leaving the own lane
    needs the road, no vehicle beside, oncoming traffic far enough away and, where the
    model has a path, the model passing too: it sees oncoming traffic the lead slots may not.
    """
    half_ego = 0.5 * p.vehicle_width_m
    o, half_ob = obstacle.lateral_offset_m, 0.5 * p.nudge_obstacle_width_m
    clearance = pass_clearance_m(p, ego_speed_mps)
    need_left = o + half_ob + clearance + half_ego
    need_right = o - half_ob - clearance - half_ego
    in_lane = 0.5 * lane_width_m - half_ego + p.nudge_line_overlap_m
    for y in sorted((need_left, need_right), key=abs):
        if abs(y) <= in_lane:
            return NudgeChoice(float(y), "passing stopped vehicle inside the lane")
    side = 1 if p.keep_side == "right" else -1
    y = need_left if side > 0 else need_right
    if free_room_m <= 0.0:
        return NudgeChoice(0.0, "stopped vehicle ahead: no free road beside it")
    if abs(y) > 0.5 * lane_width_m + free_room_m - half_ego - p.nudge_edge_clearance_m:
        return NudgeChoice(0.0, "stopped vehicle ahead: too wide to pass")
    if passing_blind_spot:
        return NudgeChoice(0.0, "stopped vehicle ahead: vehicle beside in the passing lane", wait_offset_m=float(y))
    if lead_exists(passing_lead, p):
        meets_s = oncoming_within_s(passing_lead, ego_speed_mps, p)
        if meets_s < p.oncoming_time_min_s:
            return NudgeChoice(0.0, "stopped vehicle ahead: oncoming traffic too close to pass", wait_offset_m=float(y))
        if math.isinf(meets_s) and (passing_lead.distance_m
                                    < obstacle.distance_m + p.nudge_obstacle_length_m + p.vehicle_length_m):
            return NudgeChoice(0.0, "stopped vehicle ahead: passing lane occupied", wait_offset_m=float(y))
    if model_clears is False:
        return NudgeChoice(0.0, "stopped vehicle ahead: the model does not pass it")
    return NudgeChoice(float(y), "passing stopped vehicle using the free road", model_clears is not None)


def pass_clearance_m(p: ModeManagerParams, speed_mps: float) -> float:
    """Lateral clearance to the passed vehicle for a pass at `speed_mps`: `nudge_slow_clearance_m`
    up to the crawl pass speed, growing linearly to `nudge_clearance_m` at `nudge_speed_mps`."""
    span = max(p.nudge_speed_mps - CRAWL_SPEED_MPS, 1e-6)
    f = min(max((speed_mps - CRAWL_SPEED_MPS) / span, 0.0), 1.0)
    return p.nudge_slow_clearance_m + f * (p.nudge_clearance_m - p.nudge_slow_clearance_m)


def ramp_length_m(p: ModeManagerParams, offset_m: float, pass_speed_mps: float,
                  lat_accel_mps2: float | None = None, heading_max_rad: float = RAMP_HEADING_RAD) -> float:
    """Ramp length meeting the lateral-acceleration limit (`nudge_lat_accel_mps2` unless given)
    at the pass speed, the curvature limit and the heading limit."""
    d = abs(offset_m)
    a = p.nudge_lat_accel_mps2 if lat_accel_mps2 is None else lat_accel_mps2
    by_accel = pass_speed_mps * math.sqrt(PEAK_ACCEL_FACTOR * d / a)
    by_curvature = math.sqrt(PEAK_ACCEL_FACTOR * d / RAMP_CURVATURE_MAX_1PM)
    by_heading = PEAK_SLOPE_FACTOR * d / math.tan(heading_max_rad)
    return max(by_accel, by_curvature, by_heading)


@dataclass
class NudgePass:
    """An active pass: ramp in, hold alongside, ramp out, in odometer metres."""

    offset_m: float
    pass_speed_mps: float
    ramp_start_odo_m: float
    hold_start_odo_m: float
    hold_end_odo_m: float
    ramp_m: float
    return_m: float
    reason: str
    model_judged: bool = False  # planned with the model's path past the obstacle (NudgeChoice)

    @classmethod
    def plan(cls, p: ModeManagerParams, odo_m: float, speed_mps: float, obstacle_gap_m: float, offset_m: float,
             reason: str, model_judged: bool = False) -> NudgePass | None:
        """A pass with full offset `nudge_out_before_s` (at the pass speed, 2 m at least) before the
        front bumper reaches the obstacle, or None if it cannot fit.

        The pass speed is `nudge_speed_mps`, or the present speed when slower (the ramp is then
        shorter and still fits when the car is already close). Out in time, the obstacle has left
        the car's corridor before its time to collision runs short; a ramp that ended at the
        obstacle left the car half in front of it until 0.5 s before (parked_village at 7.5 m/s:
        the safety driver took over at a TTC of 1.2 s).

        The way back, past the obstacle, has no room to fit and is gentler
        (`nudge_return_lat_accel_mps2`): back at the lane's edge on a bend, a car a few degrees
        late on the ramp's steepest heading looked to the safety driver as if it would leave
        the road (parked_village s0, 7 degrees, 0.8 s look-ahead).
        """
        pass_speed = min(max(speed_mps, CRAWL_SPEED_MPS), p.nudge_speed_mps)
        out_before = _out_before_m(p, pass_speed)
        ramp = ramp_length_m(p, offset_m, pass_speed)
        if obstacle_gap_m < ramp + out_before:
            ramp = ramp_length_m(p, offset_m, pass_speed, heading_max_rad=RAMP_HEADING_MAX_RAD)
        if obstacle_gap_m < ramp + out_before:
            return None
        back = ramp_length_m(p, offset_m, pass_speed, p.nudge_return_lat_accel_mps2)
        obstacle_odo = odo_m + obstacle_gap_m
        hold_start = obstacle_odo - out_before
        return cls(offset_m, pass_speed, hold_start - ramp, hold_start, _hold_end_odo_m(p, obstacle_odo), ramp, back,
                   reason, model_judged)

    @property
    def end_odo_m(self) -> float:
        """Where the way back ends."""
        return self.hold_end_odo_m + self.return_m

    def covers(self, p: ModeManagerParams, odo_m: float, obstacle_gap_m: float) -> bool:
        """Whether the hold already reaches past a stopped vehicle `obstacle_gap_m` ahead."""
        return _hold_end_odo_m(p, odo_m + obstacle_gap_m) <= self.hold_end_odo_m

    def held_past(self, p: ModeManagerParams, odo_m: float, obstacle_gap_m: float, offset_m: float
                  ) -> NudgePass | None:
        """This pass held on alongside a further stopped vehicle `obstacle_gap_m` ahead that needs
        `offset_m` (as choose_offset gives it), or None where it should not be.

        Parked cars stand in rows: a pass that ramped back in between two of them would end
        half in front of the next, and a pass of its own cannot start there, so the car braked
        behind it half out in the road (parked_village s1, 20 m apart: 6.4 -> 2.7 m/s while an
        oncoming car came up). Not held on: once the car is ramping back in, for a vehicle far
        enough beyond the ramp for a pass of its own, or one this offset does not clear.
        """
        if self.covers(p, odo_m, obstacle_gap_m):
            return self
        obstacle_odo = odo_m + obstacle_gap_m
        room_for_own = obstacle_odo >= self.end_odo_m + _room_m(p, self.offset_m, self.pass_speed_mps)
        clears = offset_m * self.offset_m > 0.0 and abs(offset_m) <= abs(self.offset_m)
        if odo_m > self.hold_end_odo_m or room_for_own or not clears:
            return None
        return replace(self, hold_end_odo_m=_hold_end_odo_m(p, obstacle_odo))

    def offset_at(self, odo_m: np.ndarray) -> np.ndarray:
        q_in = Quintic.between(0.0, 0.0, 0.0, self.offset_m, self.ramp_m)
        q_out = Quintic.between(self.offset_m, 0.0, 0.0, 0.0, self.return_m)
        odo = np.asarray(odo_m, dtype=float)
        return np.where(odo < self.hold_start_odo_m, q_in.at(odo - self.ramp_start_odo_m),
                        np.where(odo <= self.hold_end_odo_m, self.offset_m, q_out.at(odo - self.hold_end_odo_m)))

    def applied_to(self, lane: Curve, odo_m: float) -> Curve:
        """`lane` (y of x in base_link) moved by the pass along its normal, the car at odometer `odo_m`."""
        return traj_builder.moved_along_normal(lane, lambda s: self.offset_at(odo_m + s), PASS_REACH_M)

    def speed_cap(self, p: ModeManagerParams, odo_m: np.ndarray) -> np.ndarray:
        """Pass speed from the ramp start to the end of the pass, unlimited after it."""
        odo = np.asarray(odo_m, dtype=float)
        to_ramp = np.maximum(self.ramp_start_odo_m - odo, 0.0)
        cap = np.sqrt(self.pass_speed_mps**2 + 2.0 * p.curve_anticipation_decel_mps2 * to_ramp)
        return np.where(odo > self.end_odo_m, np.inf, cap)

    def finished(self, odo_m: float) -> bool:
        return odo_m > self.end_odo_m


def _room_m(p: ModeManagerParams, offset_m: float, pass_speed_mps: float) -> float:
    """Gap to the obstacle a pass at `pass_speed_mps` needs: its ramp, then out before it."""
    return ramp_length_m(p, offset_m, pass_speed_mps) + _out_before_m(p, pass_speed_mps)


def waiting_gap_m(p: ModeManagerParams, offset_m: float) -> float:
    """Where to stop behind a stopped vehicle while the passing side is in use: far enough back
    that the pass with `offset_m` still fits from a standstill (NudgePass.plan at the crawl speed).
    At the standstill gap (4 m) no pass fits and the car could only ask the driver."""
    return _room_m(p, offset_m, CRAWL_SPEED_MPS) + WAIT_MARGIN_M


def _out_before_m(p: ModeManagerParams, pass_speed_mps: float) -> float:
    """How far before the obstacle the pass is fully out: `nudge_out_before_s` at the pass speed."""
    return max(MIN_OUT_BEFORE_M, p.nudge_out_before_s * pass_speed_mps)


def _hold_end_odo_m(p: ModeManagerParams, obstacle_odo_m: float) -> float:
    """Where the car has passed a stopped vehicle whose rear is at `obstacle_odo_m`, with clearance."""
    return obstacle_odo_m + p.nudge_obstacle_length_m + p.vehicle_length_m + p.nudge_clearance_m
