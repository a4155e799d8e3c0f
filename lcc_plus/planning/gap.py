"""Gap acceptance for a lane change: RSS ahead, EC JRC critical distance behind.

Vehicles ahead in the target lane come from the model (Perception.lead_left/right);
vehicles beside and behind from rear and corner sensing (RearSensing objects and
blind-spot flags), which the front camera cannot see. Without usable rear sensing
no gap is ever accepted.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from lcc_plus.common.types import Lead, RearSensing
from lcc_plus.planning.params import ModeManagerParams

LANE_UNKNOWN = -128


def rss_safe_distance_m(v_rear_mps: float, v_front_mps: float, response_s: float, accel_max_mps2: float,
                        brake_min_mps2: float, brake_max_mps2: float) -> float:
    """RSS minimal safe longitudinal distance between a rear and a front car (same direction)."""
    v_resp = v_rear_mps + response_s * accel_max_mps2
    d = (v_rear_mps * response_s + 0.5 * accel_max_mps2 * response_s**2 + v_resp**2 / (2.0 * brake_min_mps2)
         - v_front_mps**2 / (2.0 * brake_max_mps2))
    return max(0.0, d)


def critical_rear_distance_m(v_rear_mps: float, v_ego_mps: float, reaction_s: float, decel_mps2: float,
                             time_gap_s: float) -> float:
    """EC JRC / R79 critical distance S = dv*tB + dv^2/(2a) + v*tG to an approaching rear car."""
    dv = max(v_rear_mps - v_ego_mps, 0.0)
    return dv * reaction_s + dv * dv / (2.0 * decel_mps2) + max(v_ego_mps, 0.0) * time_gap_s


@dataclass(frozen=True)
class GapResult:
    safe: bool
    reason: str  # empty when safe


def lead_exists(lead: Lead, p: ModeManagerParams) -> bool:
    vals = (lead.distance_m, lead.relative_speed_mps, lead.lateral_offset_m, lead.probability)
    return all(map(math.isfinite, vals)) and lead.probability >= p.lead_probability_min and lead.distance_m >= 0.0


def oncoming_within_s(lead: Lead, ego_speed_mps: float, p: ModeManagerParams) -> float:
    """Seconds until `lead` meets the ego if it drives towards it (faster than `stopped_speed_mps`
    over ground against our direction); inf otherwise. `ego_speed_mps` >= 0."""
    if not lead_exists(lead, p) or ego_speed_mps + lead.relative_speed_mps >= -p.stopped_speed_mps:
        return math.inf
    return lead.distance_m / -lead.relative_speed_mps


def rear_usable(rear: RearSensing, p: ModeManagerParams) -> bool:
    return bool(rear.available) and math.isfinite(rear.rear_range_m) and rear.rear_range_m >= p.rear_range_min_m


def assess_gap(p: ModeManagerParams, side: int, ego_speed_mps: float, lane_width_m: float,
               lead_target: Lead, rear: RearSensing, executing: bool = False) -> GapResult:
    """Is the target lane on `side` (+1 left, -1 right) free enough to move into now?

    To start, vehicles ahead need the RSS distance. Once the car moves over (`executing`),
    the speed plan already follows the target-lane lead, so only a vehicle ahead closer
    than the shortest following distance (`time_gap_min_s`) is a reason to go back;
    vehicles beside and behind are judged the same way in both cases.
    """
    if not rear_usable(rear, p):
        return GapResult(False, "unsafe gap: no rear sensing")
    if (rear.blind_spot_left if side > 0 else rear.blind_spot_right):
        return GapResult(False, "unsafe gap: vehicle in blind spot")
    rss = dict(response_s=p.rss_response_time_s, accel_max_mps2=p.rss_accel_max_mps2,
               brake_min_mps2=p.rss_brake_min_mps2, brake_max_mps2=p.rss_brake_max_mps2)
    def front_need(v_front: float) -> float:
        if executing:
            return max(p.gap_min_m, p.time_gap_min_s * ego_speed_mps)
        return max(p.gap_min_m, rss_safe_distance_m(ego_speed_mps, v_front, **rss))

    if lead_exists(lead_target, p):
        need = front_need(max(ego_speed_mps + lead_target.relative_speed_mps, 0.0))
        if lead_target.distance_m < need:
            return GapResult(False, f"unsafe gap: vehicle ahead at {lead_target.distance_m:.0f} m < {need:.0f} m")
    front = p.vehicle_length_m - p.rear_overhang_m
    back = -p.rear_overhang_m
    for ob in rear.objects:
        vals = (ob.x_m, ob.y_m, ob.vx_mps, ob.length_m, ob.existence_probability)
        if not all(map(math.isfinite, vals)) or ob.existence_probability < p.lead_probability_min:
            continue
        in_target = ob.lane == side if ob.lane != LANE_UNKNOWN else abs(ob.y_m - side * lane_width_m) < 0.5 * lane_width_m
        if not in_target:
            continue
        half = 0.5 * max(ob.length_m, 0.0)
        if ob.x_m - half > front:
            gap = ob.x_m - half - front
            need = front_need(max(ob.vx_mps, 0.0))
            where = "ahead"
        elif ob.x_m + half < back:
            gap = back - (ob.x_m + half)
            need = max(p.gap_min_m, critical_rear_distance_m(ob.vx_mps, ego_speed_mps, p.rear_reaction_s,
                                                             p.rear_brake_max_mps2, p.rear_time_gap_s))
            where = "behind"
        else:
            return GapResult(False, f"unsafe gap: vehicle beside (track {ob.id})")
        if gap < need:
            return GapResult(False, f"unsafe gap: vehicle {where} at {gap:.0f} m < {need:.0f} m")
    return GapResult(True, "")
