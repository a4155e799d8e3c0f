"""Which gated command first used each camera frame, and how long each stage took.

Only VlaAction carries the source image stamp; the mode manager, the controller and
the safety monitor each run on their own timer and stamp their output with the time of
the step that made it. So the chain is followed by time:
  frame (image stamp S) -> VlaAction with stamp S, arriving at a_v;
  -> the first Trajectory whose step began at or after a_v (its stamp >= a_v), arriving at a_t;
  -> the first proposed command stamped at or after a_t, arriving at a_p;
  -> the first gated command stamped at or after a_p, arriving at a_g.
latency = a_g - S. A frame whose VlaAction was replaced by a newer one before the
planner stepped never reached a command: it is counted as superseded, not timed.
Arrival times are those of the bench probe (bench/probe.py), which stand in for the
arrival at the next node (both are DDS subscribers of the same topic on this host);
when the probe is scheduled late the chain moves to the next step, so the figure errs
high, never low. All times are integer ns on the ROS (system) clock.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STAGES = ("vla", "plan", "control", "gate")
STAGE_TEXT = {"vla": "image stamp -> VlaAction (vla_node wait for its timer + decode + model)",
              "plan": "VlaAction -> Trajectory (mode_manager timer wait + step)",
              "control": "Trajectory -> proposed command (controller timer wait + step)",
              "gate": "proposed -> gated command (safety_monitor timer wait + tick)"}


@dataclass
class Chain:
    """Per-frame latencies [ms] of the frames that reached a gated command, and what happened to the rest."""

    stages_ms: dict[str, np.ndarray]
    total_ms: np.ndarray
    published: int
    no_action: int  # frames without a VlaAction (dropped by vla_node)
    superseded: int  # VlaAction replaced before the planner stepped
    incomplete: int  # chain not finished when the recording stopped


STAMP_MATCH_NS = 1000  # VlaAction stamps went through float seconds (~0.24 us resolution today)


def match_stamps(image_stamps: np.ndarray, vla: dict[int, int]) -> dict[int, int]:
    """image stamp -> VlaAction arrival, pairing each VlaAction with the image stamp within STAMP_MATCH_NS."""
    keys = np.array(sorted(vla), dtype=np.int64)
    out = {}
    for s in np.asarray(image_stamps, dtype=np.int64):
        i = int(np.searchsorted(keys, s))
        near = [int(keys[j]) for j in (i - 1, i) if 0 <= j < len(keys)]
        best = min(near, key=lambda k: abs(k - int(s)), default=None)
        if best is not None and abs(best - int(s)) <= STAMP_MATCH_NS:
            out[int(s)] = vla[best]
    return out


def _first_at_or_after(stamps: np.ndarray, t: float) -> int | None:
    i = int(np.searchsorted(stamps, t, side="left"))
    return i if i < len(stamps) else None


def attribute(image_stamps: np.ndarray, vla: dict[int, int], traj: np.ndarray, proposed: np.ndarray,
              gated: np.ndarray) -> Chain:
    """Follow each frame to its gated command (see the module docstring). Times are integer ns.

    `vla` maps VlaAction stamp -> arrival (paired with the image stamps by `match_stamps`); `traj`, `proposed`, `gated` are (N, 2)
    arrays of (header stamp, arrival), one row per message.
    """
    def by_stamp(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = np.asarray(a, dtype=np.int64).reshape(-1, 2)
        a = a[np.argsort(a[:, 0], kind="stable")]
        return a[:, 0], a[:, 1]

    traj_s, traj_a = by_stamp(traj)
    prop_s, prop_a = by_stamp(proposed)
    gate_s, gate_a = by_stamp(gated)
    arrivals = np.array(sorted(vla.values()), dtype=np.int64)
    vla = match_stamps(image_stamps, vla)
    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    total: list[float] = []
    no_action = superseded = incomplete = 0
    for s in np.asarray(image_stamps, dtype=np.int64):
        a_v = vla.get(int(s))
        if a_v is None:
            no_action += 1
            continue
        i = _first_at_or_after(traj_s, a_v)
        if i is None:
            incomplete += 1
            continue
        newer = arrivals[arrivals > a_v]
        if len(newer) and newer[0] <= traj_s[i]:
            superseded += 1
            continue
        j = _first_at_or_after(prop_s, traj_a[i])
        k = None if j is None else _first_at_or_after(gate_s, prop_a[j])
        if k is None:
            incomplete += 1
            continue
        for name, dt in zip(STAGES, (a_v - s, traj_a[i] - a_v, prop_a[j] - traj_a[i], gate_a[k] - prop_a[j])):
            stages[name].append(dt * 1e-6)
        total.append((gate_a[k] - s) * 1e-6)
    return Chain({k: np.asarray(v) for k, v in stages.items()}, np.asarray(total), len(image_stamps), no_action,
                 superseded, incomplete)


def vla_latency(image_stamps: np.ndarray, vla: dict[int, int]) -> tuple[np.ndarray, int]:
    """(image stamp -> VlaAction arrival [ms] of every frame that got one, frames without one)."""
    matched = match_stamps(image_stamps, vla)
    got = [a - s for s, a in matched.items()]
    return np.asarray(got, dtype=float) * 1e-6, len(image_stamps) - len(got)


def percentiles(x_ms: np.ndarray) -> dict:
    """n, p50, p95, p99, max of `x_ms` (None when empty)."""
    if len(x_ms) == 0:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "min": None}
    p50, p95, p99 = np.percentile(x_ms, [50, 95, 99])
    return {"n": len(x_ms), "p50": float(p50), "p95": float(p95), "p99": float(p99), "max": float(x_ms.max()),
            "min": float(x_ms.min())}
