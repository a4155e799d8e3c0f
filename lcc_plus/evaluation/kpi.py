"""Driving KPIs of one run and of a suite of runs, from Traces.

Conventions (also in docs/evaluation.md):
- Distance and time "per takeover" count only what the system drove while engaged:
  the driver's own kilometres after a takeover are not the system's credit.
- With zero takeovers the per-takeover value is a lower bound (">= the distance
  driven"); every ratio says whether it is exact, a lower or an upper bound, or
  undefined. Nothing divides by zero.
- At-fault collisions and lane departures count against the system when it was driving
  or had handed over less than `handover_blame_s` before; the simulated driver's own
  are counted apart (`collisions_at_fault_manual`).
- Comfort and safety figures (accelerations, jerk, TTC, lateral error) are taken
  over engaged steps only; lateral error also leaves out lane changes and a settle
  time after each lane change and each hand-back.
- Jerk follows the UN R79 method on the 20 Hz log (see signals.py).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lcc_plus.evaluation.params import EvaluationParams
from lcc_plus.evaluation.signals import averaged_jerk
from lcc_plus.evaluation.trace import EventKind, LaneChange, Trace

EXACT, LOWER, UPPER, UNDEFINED = "exact", "lower", "upper", "undefined"


def per_takeover(count: int, km: float, minutes: float) -> dict:
    """km and minutes per takeover; with no takeover, the driven amount as a lower bound."""
    if count < 0:
        raise ValueError(f"takeover count must not be negative, got {count}")
    if count == 0:
        return {"count": 0, "km_per_takeover": km, "min_per_takeover": minutes, "bound": LOWER}
    return {"count": count, "km_per_takeover": km / count, "min_per_takeover": minutes / count, "bound": EXACT}


def takeover_ratio(a: dict, b: dict, key: str = "km_per_takeover") -> dict:
    """a / b of two per_takeover results, with what kind of bound the quotient is."""
    va, vb = a[key], b[key]
    bound_of = {(EXACT, EXACT): EXACT, (LOWER, EXACT): LOWER, (EXACT, LOWER): UPPER}
    bound = bound_of.get((a["bound"], b["bound"]), UNDEFINED)
    if bound == UNDEFINED or vb <= 0.0 or (bound == UPPER and va <= 0.0):
        why = "both runs had no takeover" if (a["bound"], b["bound"]) == (LOWER, LOWER) else "no distance"
        return {"value": None, "bound": UNDEFINED, "why": why}
    return {"value": va / vb, "bound": bound}


def format_bounded(value: float | None, bound: str, fmt: str = "{:.2f}") -> str:
    """'>= 3.20', '<= 0.50', '3.20' or 'n/a' for a bounded number."""
    if value is None or bound == UNDEFINED:
        return "n/a"
    prefix = {LOWER: ">= ", UPPER: "<= "}.get(bound, "")
    return prefix + fmt.format(value)


def lane_keep_mask(trace: Trace, settle_s: float) -> np.ndarray:
    """Steps that count for lateral error: engaged, not changing lanes, settled after either."""
    busy = ~trace.engaged | trace.lane_changing
    mask = ~busy & np.isfinite(trace.lateral_error_m)  # nan: off the road (a departure, counted apart)
    last_busy_t = -math.inf
    for i, t in enumerate(trace.t_s):
        if busy[i]:
            last_busy_t = t
        elif t - last_busy_t < settle_s - 1e-9:  # tolerance: sampled times are not exact
            mask[i] = False
    return mask


def _engaged_amount(trace: Trace) -> tuple[float, float]:
    """(km, minutes) driven with the system engaged, step by step."""
    if trace.t_s.size < 2:
        return 0.0, 0.0
    step_engaged = trace.engaged[:-1]
    d_m = np.diff(trace.distance_m)[step_engaged].sum()
    dt_s = np.diff(trace.t_s)[step_engaged].sum()
    return float(d_m) / 1000.0, float(dt_s) / 60.0


def _max_abs(x: np.ndarray, mask: np.ndarray) -> float:
    return float(np.max(np.abs(x[mask]))) if np.any(mask) else 0.0


def _lane_change_stats(changes: Sequence[LaneChange], p: EvaluationParams) -> dict:
    outcomes = ("completed", "refused", "aborted", "cancelled", "pending")
    changes = [c for c in changes if c.trigger != "manual"]  # the driver's own, while driving by hand
    out: dict = {"requested": len(changes),
                 "requested_by_driver": sum(c.trigger == "driver" for c in changes),
                 "requested_by_system": sum(c.trigger != "driver" for c in changes)}
    for o in outcomes:
        out[o] = sum(c.outcome == o for c in changes)
    starts = [c.t_start_s - c.t_request_s for c in changes if c.t_start_s is not None]
    durations = [c.t_end_s - c.t_start_s for c in changes
                 if c.outcome == "completed" and c.t_start_s is not None and c.t_end_s is not None]
    out["start_delay_s"] = _stats(starts)
    out["duration_s"] = _stats(durations)
    driver_done = [c for c in changes if c.trigger == "driver" and c.outcome == "completed"]
    out["driver_completed_in_r79_window"] = sum(
        c.t_start_s is not None and c.t_end_s is not None
        and p.lane_change_min_start_s <= c.t_start_s - c.t_request_s <= p.lane_change_max_start_s
        and c.t_end_s - c.t_start_s <= p.lane_change_max_duration_s
        for c in driver_done)
    out["refusal_reasons"] = sorted({c.reason for c in changes if c.outcome == "refused" and c.reason})
    return out


def _stats(values: Sequence[float]) -> dict:
    if not values:
        return {"n": 0, "mean": None, "max": None}
    return {"n": len(values), "mean": float(np.mean(values)), "max": float(np.max(values))}


def _lateral_error(errors_m: np.ndarray) -> dict:
    if errors_m.size == 0:
        return {"n": 0, "rms_m": None, "p95_m": None}
    return {"n": int(errors_m.size), "rms_m": float(np.sqrt(np.mean(errors_m ** 2))),
            "p95_m": float(np.percentile(np.abs(errors_m), 95))}


class _Parts:
    """Everything additive about one run, so that a suite is the sum of its runs."""

    def __init__(self, trace: Trace, p: EvaluationParams):
        t = trace
        self.runs = 1
        self.duration_s = float(t.t_s[-1] - t.t_s[0]) if t.t_s.size else 0.0
        self.distance_km = float(t.distance_m[-1] - t.distance_m[0]) / 1000.0 if t.t_s.size else 0.0
        self.engaged_km, self.engaged_min = _engaged_amount(t)
        # A run the system never took over has no takeover and no km: say so, or it would look clean.
        self.runs_never_engaged = int(self.engaged_min == 0.0)
        self.takeovers_system = len(t.events_of(EventKind.TAKEOVER_SYSTEM))
        self.takeovers_driver = len(t.events_of(EventKind.TAKEOVER_DRIVER))
        takeover_t = [e.t_s for e in t.events if e.kind in (EventKind.TAKEOVER_SYSTEM, EventKind.TAKEOVER_DRIVER)]

        def systems(e) -> bool:
            """The system's doing: it drove, or handed over less than `handover_blame_s` before."""
            return e.at_fault and (e.engaged or any(0.0 <= e.t_s - tt <= p.handover_blame_s for tt in takeover_t))

        collisions = t.events_of(EventKind.COLLISION)
        self.collisions = len(collisions)
        self.collisions_at_fault = sum(systems(e) for e in collisions)
        self.collisions_at_fault_manual = sum(e.at_fault and not systems(e) for e in collisions)
        departures = t.events_of(EventKind.LANE_DEPARTURE)
        self.lane_departures = len(departures)
        self.lane_departures_engaged = sum(systems(e) for e in departures)
        keep = lane_keep_mask(t, p.lane_keep_settle_s)
        self.lat_err = t.lateral_error_m[keep]
        self.lat_err_marked = t.lateral_error_m[keep & t.marked]
        eng = t.engaged
        self.max_lat_accel = _max_abs(t.accel_lat_mps2, eng)
        jerk = averaged_jerk(t.accel_lat_mps2, t.t_s, p.jerk_window_s, p.jerk_filter_cutoff_hz,
                             p.jerk_filter_order) if t.t_s.size else np.zeros(0)
        raw_jerk = averaged_jerk(t.accel_lat_mps2, t.t_s, p.jerk_window_s, 0.0, 2) if t.t_s.size else jerk
        self.max_lat_jerk = _max_abs(jerk, eng)
        self.max_lat_jerk_unfiltered = _max_abs(raw_jerk, eng)
        lon = t.accel_lon_mps2
        self.max_accel = float(np.max(lon[eng])) if np.any(eng) else 0.0
        self.max_decel = float(-np.min(lon[eng])) if np.any(eng) else 0.0
        lon_jerk = averaged_jerk(lon, t.t_s, p.jerk_window_s, p.jerk_filter_cutoff_hz,
                                 p.jerk_filter_order) if t.t_s.size else np.zeros(0)
        self.max_lon_jerk = _max_abs(lon_jerk, eng)
        ttc = t.ttc_s[eng]
        self.min_ttc = float(np.min(ttc)) if ttc.size else math.inf
        dt = np.diff(t.t_s, append=t.t_s[-1]) if t.t_s.size else np.zeros(0)
        self.ttc_critical_s = float(dt[eng & (t.ttc_s < p.ttc_critical_s)].sum())
        self.allowed_m = float(np.sum(dt * t.allowed_speed_mps))
        self.lane_changes = list(t.lane_changes)
        self.faults = [(e.detail, e.t_s) for e in t.events_of(EventKind.FAULT)]
        self.fault_outcomes = [e.detail for e in t.events_of(EventKind.FAULT_OUTCOME)]

    def merge(self, o: _Parts) -> None:
        for name in ("runs", "runs_never_engaged", "duration_s", "distance_km", "engaged_km", "engaged_min",
                     "takeovers_system",
                     "takeovers_driver", "collisions", "collisions_at_fault", "collisions_at_fault_manual",
                     "lane_departures",
                     "lane_departures_engaged", "ttc_critical_s", "allowed_m"):
            setattr(self, name, getattr(self, name) + getattr(o, name))
        self.lat_err = np.concatenate([self.lat_err, o.lat_err])
        self.lat_err_marked = np.concatenate([self.lat_err_marked, o.lat_err_marked])
        for name in ("max_lat_accel", "max_lat_jerk", "max_lat_jerk_unfiltered", "max_accel", "max_decel",
                     "max_lon_jerk"):
            setattr(self, name, max(getattr(self, name), getattr(o, name)))
        self.min_ttc = min(self.min_ttc, o.min_ttc)
        self.lane_changes += o.lane_changes
        self.faults += o.faults
        self.fault_outcomes += o.fault_outcomes

    def to_dict(self, p: EvaluationParams) -> dict:
        total = self.takeovers_system + self.takeovers_driver
        return {
            "runs": self.runs,
            "duration_s": self.duration_s,
            "distance_km": self.distance_km,
            "engaged_km": self.engaged_km,
            "engaged_min": self.engaged_min,
            "engaged_share": self.engaged_min * 60.0 / self.duration_s if self.duration_s > 0.0 else None,
            "runs_never_engaged": self.runs_never_engaged,
            "takeovers": {
                "system": per_takeover(self.takeovers_system, self.engaged_km, self.engaged_min),
                "driver": per_takeover(self.takeovers_driver, self.engaged_km, self.engaged_min),
                "total": per_takeover(total, self.engaged_km, self.engaged_min),
            },
            "collisions": self.collisions,
            "collisions_at_fault": self.collisions_at_fault,
            "collisions_at_fault_manual": self.collisions_at_fault_manual,
            "lane_departures": self.lane_departures,
            "lane_departures_engaged": self.lane_departures_engaged,
            "lateral_error": _lateral_error(self.lat_err),
            "lateral_error_marked": _lateral_error(self.lat_err_marked),
            "lateral": {
                "max_accel_mps2": self.max_lat_accel,
                "accel_ok": self.max_lat_accel <= p.lat_accel_limit_mps2,
                "max_jerk_mps3": self.max_lat_jerk,
                "max_jerk_unfiltered_mps3": self.max_lat_jerk_unfiltered,
                "jerk_ok": self.max_lat_jerk <= p.lat_jerk_limit_mps3,
            },
            "longitudinal": {
                "max_accel_mps2": self.max_accel,
                "max_decel_mps2": self.max_decel,
                "max_jerk_mps3": self.max_lon_jerk,
                "accel_ok": self.max_accel <= p.lon_accel_limit_mps2,
                "decel_ok": self.max_decel <= p.lon_decel_limit_mps2,
                "jerk_ok": self.max_lon_jerk <= p.lon_jerk_limit_mps3,
            },
            "lane_changes": _lane_change_stats(self.lane_changes, p),
            "progress": (self.distance_km * 1000.0 / self.allowed_m) if self.allowed_m > 0.0 else None,
            "min_ttc_s": None if math.isinf(self.min_ttc) else self.min_ttc,
            "ttc_below_critical_s": self.ttc_critical_s,
            "faults": {"injected": len(self.faults),
                       "ended_in_takeover_or_mrm": sum(o in ("takeover", "mrm") for o in self.fault_outcomes),
                       "outcomes": sorted(self.fault_outcomes)},
        }


def run_kpis(trace: Trace, p: EvaluationParams) -> dict:
    """KPIs of one run as a JSON-ready dict."""
    return _Parts(trace, p).to_dict(p)


def suite_kpis(traces: Sequence[Trace], p: EvaluationParams) -> dict:
    """KPIs of several runs pooled: sums of counts and distances, pooled lateral error, worst extremes."""
    if not traces:
        raise ValueError("a suite needs at least one run")
    total = _Parts(traces[0], p)
    for t in traces[1:]:
        total.merge(_Parts(t, p))
    return total.to_dict(p)
