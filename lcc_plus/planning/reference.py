"""The lane-keeping reference: lane centre (fork-aware), blended with the model path.

Choice (issue 4): the plan is built from the lane lines. The model's own path is
blended in only where the lines are weak: weight w = LaneView.lane_weight (0 below
`line_probability_min`, 1 from `line_probability_full`), reference
y = w * lane_centre + (1 - w) * model_path, and the path only counts when the model
confidence reaches `path_confidence_min`. Lines also count as weak when the lane
reference strays from a confident path within `lane_path_check_range_m` (w scaled
down from half `lane_path_max_gap_m` to 0 at it): a cubic cannot follow a hairpin,
and a wrong line fit is then what disagrees with the path. A path that heads into an
adjacent lane the lines show is a lane change the mode manager has not chosen (the
model learned the expert's overtakes), not a wrong fit: it is dropped while keeping the
lane. On an unmarked two-way road (both ego lines road
edges, no adjacent lane, at least `two_way_min_width_m` wide) the lane reference is
the middle of the keep-side half. With neither lines nor path there is no reference
and the mode manager falls back (hold the current curvature, slow down, request takeover).
"""
from __future__ import annotations

import numpy as np

from lcc_plus.common.types import Perception
from lcc_plus.planning.lanes import Curve
from lcc_plus.planning.params import ModeManagerParams


def model_path(perception: Perception, p: ModeManagerParams, lane: Curve | None) -> Curve | None:
    """y(x) of the model's planned path, or None if unusable.

    Beyond its points the path runs parallel to `lane` (or straight on without one): a
    short path (slow driving) has no reliable end slope to continue.
    """
    try:
        conf = float(perception.confidence)
        x = np.asarray(perception.path_x_m, dtype=float).reshape(-1)
        y = np.asarray(perception.path_y_m, dtype=float).reshape(-1)
    except (AttributeError, TypeError, ValueError):
        return None
    if not np.isfinite(conf) or conf < p.path_confidence_min or x.size < 2 or x.size != y.size:
        return None
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(np.diff(x) > 0.0)):
        return None
    return _hermite(x, y, lane)


def _hermite(x: np.ndarray, y: np.ndarray, lane: Curve | None) -> Curve:
    """C1 cubic Hermite (Catmull-Rom slopes) through the points, parallel to `lane` outside.

    Straight segments between the points would put all of the path's turning into kinks at
    the points: spikes of curvature that the speed policy and the controller would act on.
    """
    m = np.gradient(y, x)

    def f(q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        i = np.clip(np.searchsorted(x, q) - 1, 0, len(x) - 2)
        h = x[i + 1] - x[i]
        u = np.clip((q - x[i]) / h, 0.0, 1.0)
        h00, h10 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u
        h01, h11 = -2 * u**3 + 3 * u**2, u**3 - u**2
        inside = h00 * y[i] + h10 * h * m[i] + h01 * y[i + 1] + h11 * h * m[i + 1]
        if lane is None:
            return np.where(q < x[0], y[0], np.where(q > x[-1], y[-1], inside))
        ahead = y[-1] + np.asarray(lane(q), dtype=float) - float(lane(x[-1]))
        behind = y[0] + np.asarray(lane(q), dtype=float) - float(lane(x[0]))
        return np.where(q < x[0], behind, np.where(q > x[-1], ahead, inside))

    return f


def path_gap_m(lane: Curve, path: Curve, p: ModeManagerParams) -> np.ndarray | None:
    """Model path minus lane reference (m, + left) at 7 points over `lane_path_check_range_m`,
    None when either is not finite there."""
    xs = np.linspace(0.0, p.lane_path_check_range_m, 7)
    gap = np.asarray(path(xs), dtype=float) - np.asarray(lane(xs), dtype=float)
    return gap if np.all(np.isfinite(gap)) else None


def agreement(gap_m: np.ndarray | None, p: ModeManagerParams) -> float:
    """1 while lane reference and model path agree within half `lane_path_max_gap_m` over the
    near range, falling linearly to 0 at `lane_path_max_gap_m` (no jump between the two)."""
    if gap_m is None:
        return 0.0
    full = 0.5 * p.lane_path_max_gap_m
    return float(np.clip((p.lane_path_max_gap_m - np.max(np.abs(gap_m))) / full, 0.0, 1.0))


def heads_for(gap_m: np.ndarray | None, p: ModeManagerParams) -> int:
    """+1 / -1 when the model path moves away from the lane reference to the left / right by more
    than half `lane_path_max_gap_m` over the near range, else 0.

    Measured from where the path starts (the car): a constant gap is the car off the lane centre
    or a shifted line fit, a growing one is the path steering elsewhere.
    """
    if gap_m is None:
        return 0
    growth = gap_m - gap_m[0]
    worst = float(growth[np.argmax(np.abs(growth))])
    return int(np.sign(worst)) if abs(worst) > 0.5 * p.lane_path_max_gap_m else 0


def blend(lane: Curve | None, lane_weight: float, path: Curve | None) -> Curve | None:
    """Lane centre where trusted, the model path where the lines are weak."""
    if lane is None:
        return path
    if path is None or lane_weight >= 1.0:
        return lane
    w = float(np.clip(lane_weight, 0.0, 1.0))
    return lambda x: w * lane(x) + (1.0 - w) * path(x)


def hold_curvature(curvature_1pm: float) -> Curve:
    """An arc of the current curvature: the fallback reference with no lanes and no model path."""
    k = float(np.clip(curvature_1pm, -0.2, 0.2))
    return lambda x: 0.5 * k * np.asarray(x, dtype=float) ** 2
