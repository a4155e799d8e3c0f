"""Builds an evaluation Trace from the world's log (lcc_plus/sim/log.py) and the system's records."""
from __future__ import annotations

from lcc_plus.evaluation.trace import Event, EventKind, LaneChange, Trace

WORLD_EVENT_KINDS = {"takeover_system": EventKind.TAKEOVER_SYSTEM, "takeover_driver": EventKind.TAKEOVER_DRIVER,
                     "collision": EventKind.COLLISION, "lane_departure": EventKind.LANE_DEPARTURE,
                     "scripted": EventKind.SCRIPTED}


def lane_changes_from_world(world_records, planner_records: list[LaneChange]) -> list[LaneChange]:
    """The world's lane changes (what the car did), with the planner's trigger and refusal reason
    where the planner's record of the same request says more."""
    out = []
    for r in world_records:
        match = next((p for p in planner_records
                      if abs(p.t_request_s - r.t_request_s) <= 0.5 and p.direction == r.direction), None)
        trigger, reason = r.trigger, r.reason
        if match is not None:
            trigger = match.trigger if r.trigger == "system" else r.trigger
            if match.outcome == "refused" and match.reason:
                reason = f"{match.reason} ({reason})" if reason else match.reason
        out.append(LaneChange(r.t_request_s, r.direction, trigger, r.outcome, r.t_start_s, r.t_end_s, reason))
    return out


def trace_from_world(log, *, suite: str, scenario: str, driver: str, seed: int,
                     planner_lane_changes: list[LaneChange], extra_events: list[Event]) -> Trace:
    """Trace of one run: per-step arrays from the world log, its events, plus `extra_events` (faults)."""
    a = log.arrays()
    if len(log) == 0:
        raise ValueError(f"{scenario}: the world log is empty (no step was run)")
    events = [Event(e.t_s, WORLD_EVENT_KINDS[e.kind], e.detail, bool(e.at_fault), bool(e.engaged))
              for e in log.events if e.kind in WORLD_EVENT_KINDS]
    events += extra_events
    events.sort(key=lambda e: (e.t_s, e.kind.value, e.detail))
    return Trace(scenario=scenario, driver=driver, seed=seed, t_s=a["t_s"], distance_m=a["distance_m"],
                 speed_mps=a["speed_mps"], allowed_speed_mps=a["speed_limit_mps"],
                 accel_lon_mps2=a["accel_lon_mps2"], accel_lat_mps2=a["accel_lat_mps2"],
                 lateral_error_m=a["lateral_error_m"], ttc_s=a["ttc_s"], engaged=a["engaged"],
                 lane_changing=a["lane_changing"], marked=a["marked"], events=events,
                 lane_changes=lane_changes_from_world(log.lane_changes, planner_lane_changes), suite=suite)
