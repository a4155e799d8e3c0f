"""Turn a reference curve, a lateral offset and a speed plan into a Trajectory.

The reference y(x) is walked by arc length; the offset is applied along its normal
(lane-change blend, nudge). Points are placed at the speed plan's distances, the
curvature comes from the dense offset path, so the controller gets a consistent
feed-forward. All in base_link (REP-103).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lcc_plus.common.types import Trajectory, TurnSignal
from lcc_plus.planning.lanes import Curve
from lcc_plus.planning.speed_policy import SpeedPlan

DENSE_STEP_M = 0.5
MIN_LENGTH_M = 20.0
LEAD_IN_M = 3.0

# offset(t_s, s_m) -> lateral offset [m], positive left, for arrays of equal shape
Offset = Callable[[np.ndarray, np.ndarray], np.ndarray]


def centre_geometry(centre: Curve, length_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dense (s, x, y, heading) of y = centre(x) from x = 0 to at least `length_m` of arc."""
    # Start a little behind the car so that differences at x = 0 are central, not one-sided.
    x = np.arange(-LEAD_IN_M, max(length_m, MIN_LENGTH_M) * 1.5 + DENSE_STEP_M, DENSE_STEP_M)
    y = np.asarray(centre(x), dtype=float)
    return _arc(x, y)


def _arc(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(s, x, y, heading) with s = 0 at the first point with x >= 0."""
    ds = np.hypot(np.diff(x), np.diff(y))
    s = np.concatenate(([0.0], np.cumsum(np.maximum(ds, 1e-9))))
    s -= np.interp(0.0, x, s) if x[0] < 0.0 < x[-1] else 0.0
    heading = np.unwrap(np.arctan2(np.gradient(y), np.gradient(x)))
    return s, x, y, heading


def _along_normal(x: np.ndarray, y: np.ndarray, heading: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (x, y) with the given headings moved by d [m, + left] along their normals."""
    return x - np.sin(heading) * d, y + np.cos(heading) * d


def moved_along_normal(centre: Curve, offset_of_s: Callable[[np.ndarray], np.ndarray], length_m: float) -> Curve:
    """y = centre(x) moved by offset_of_s(arc length) [m, + left] along its normal, as y of x again;
    over at least `length_m` of arc, then centre(x) moved by the last offset in y."""
    s, x, y, heading = centre_geometry(centre, length_m)
    d = np.asarray(offset_of_s(s), dtype=float) * np.ones_like(s)
    x_new, y_new = _along_normal(x, y, heading, d)
    # Where the centre turns past 90 degrees the moved points fold back in x; y(x) keeps the
    # first branch (the part a trajectory of the horizon can reach).
    ahead = np.concatenate(([True], x_new[1:] > np.maximum.accumulate(x_new)[:-1]))
    x_new, y_new, d_end = x_new[ahead], y_new[ahead], float(d[-1])

    def curve(q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        return np.where(q <= x_new[-1], np.interp(q, x_new, y_new), np.asarray(centre(q), dtype=float) + d_end)
    return curve


def curvature_of(s: np.ndarray, heading: np.ndarray) -> np.ndarray:
    return np.gradient(heading, s)


def curvature_along(centre: Curve, length_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(s, curvature) of y = centre(x), dense, over at least `length_m` of arc."""
    s, _, _, heading = centre_geometry(centre, length_m)
    return s, curvature_of(s, heading)


def max_curvature(centre: Curve, length_m: float) -> float:
    """Largest |curvature| [1/m] of y = centre(x) from the car to `length_m` of arc."""
    s, k = curvature_along(centre, length_m)
    return float(np.max(np.abs(k[(s >= 0.0) & (s <= length_m)]), initial=0.0))


def build(stamp_s: float, centre: Curve, plan: SpeedPlan, offset: Offset | None, turn_signal: TurnSignal,
          confidence: float) -> Trajectory:
    """Trajectory along `centre` (+ `offset` along its normal) timed by `plan`."""
    s_c, x_c, y_c, h_c = centre_geometry(centre, float(plan.s_m[-1]) + 5.0)
    if offset is not None:
        # Time at each dense arc length, from the speed plan (strictly increasing for interp).
        s_plan = plan.s_m + 1e-9 * np.arange(len(plan.s_m))
        # Outside the plan, time runs on at the end speeds: behind the car it is the recent past,
        # so a manoeuvre under way continues smoothly through x = 0 instead of kinking there.
        beyond = plan.t_s[-1] + (s_c - s_plan[-1]) / max(plan.speed_mps[-1], 1.0)
        before = s_c / max(plan.speed_mps[0], 1.0)
        t_dense = np.where(s_c > s_plan[-1], beyond, np.where(s_c < 0.0, before, np.interp(s_c, s_plan, plan.t_s)))
        d = np.asarray(offset(t_dense, s_c), dtype=float)
        s_c, x_c, y_c, h_c = _arc(*_along_normal(x_c, y_c, h_c, d))
    kappa = curvature_of(s_c, h_c)
    s = np.clip(plan.s_m, 0.0, s_c[-1])
    return Trajectory(
        stamp_s=stamp_s, t_s=plan.t_s.copy(), x_m=np.interp(s, s_c, x_c), y_m=np.interp(s, s_c, y_c),
        speed_mps=plan.speed_mps.copy(), accel_mps2=plan.accel_mps2.copy(), curvature_1pm=np.interp(s, s_c, kappa),
        turn_signal=turn_signal, confidence=float(np.clip(confidence, 0.0, 1.0)),
    )
