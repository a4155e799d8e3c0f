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
The model path is smoothed before use (`smooth_path`): its curvature, not only its
position, steers the car.
"""
from __future__ import annotations

import functools

import numpy as np

from lcc_plus.common.types import Perception
from lcc_plus.planning.lanes import Curve
from lcc_plus.planning.params import ModeManagerParams

# The model's points carry a few centimetres of noise each; 2-3 m apart, that turns into
# curvature swings of 0.03 1/m (a hairpin's whole curvature), which the controller would steer.
# So x(s) and y(s) are smoothed: least squares to the points plus a penalty on the third
# derivative (the change of curvature) over SMOOTHING_LENGTH_M, a scale below which a road's
# curvature does not change. Shapes longer than that stay (4 cm off a noisy hairpin path).
SMOOTHING_LENGTH_M = 3.0
MIN_STEP_M = 0.05          # points closer than this (the car stopping) add no shape
MAX_NODES = 200            # grid nodes, so a long highway path costs no more than a slow one
LEAD_IN_M = 5.0            # the smoothed path continued behind the car: the trajectory builder
                           # differentiates at x = 0


def model_path(perception: Perception, p: ModeManagerParams, lane: Curve | None) -> Curve | None:
    """y(x) of the model's planned path, smoothed (`smooth_path`), or None if unusable.

    Beyond its points the path runs parallel to `lane` (or straight on without one): a
    short path (slow driving) has no reliable end shape to continue.
    """
    try:
        conf = float(perception.confidence)
        x = np.asarray(perception.path_x_m, dtype=float).reshape(-1)
        y = np.asarray(perception.path_y_m, dtype=float).reshape(-1)
    except (AttributeError, TypeError, ValueError):
        return None
    if not np.isfinite(conf) or conf < p.path_confidence_min or x.size < 2 or x.size != y.size:
        return None
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return None
    return smooth_path(x, y, lane)


def smooth_path(x: np.ndarray, y: np.ndarray, lane: Curve | None) -> Curve | None:
    """y(x) of the smoothed polyline (x, y), parallel to `lane` beyond its end; None when the
    points do not lead forward.

    Where the path turns back (past 90 degrees in a hairpin) y(x) ends; the rest of the
    hairpin is beyond what a y(x) reference can hold and is left to the next frames.
    """
    keep = np.concatenate(([True], np.hypot(np.diff(x), np.diff(y)) >= MIN_STEP_M))
    x, y = x[keep], y[keep]
    if x.size < 2:
        return None
    s = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
    grid = _grid(s[-1])
    x_dense, y_dense = _whittaker(s, np.stack([x, y], axis=1), grid).T
    back = np.flatnonzero(np.diff(x_dense) <= 0.0)
    if back.size:
        x_dense, y_dense = x_dense[:back[0] + 1], y_dense[:back[0] + 1]
    if x_dense.size < 2 or x_dense[-1] <= 0.0:
        return None
    slope_start = (y_dense[1] - y_dense[0]) / (x_dense[1] - x_dense[0])
    slope_end = (y_dense[-1] - y_dense[-2]) / (x_dense[-1] - x_dense[-2])
    x_end, y_end = float(x_dense[-1]), float(y_dense[-1])

    def f(q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        inside = np.interp(q, x_dense, y_dense)
        behind = y_dense[0] + slope_start * (q - x_dense[0])
        if lane is None:
            ahead = y_end + slope_end * (q - x_end)
        else:
            ahead = y_end + np.asarray(lane(q), dtype=float) - float(lane(x_end))
        return np.where(q < x_dense[0], behind, np.where(q > x_end, ahead, inside))

    return f


def _grid(length_m: float) -> np.ndarray:
    """Arc lengths of the smoothing nodes, from LEAD_IN_M behind the first point to the last."""
    step = max(0.5, (length_m + LEAD_IN_M) / (MAX_NODES - 1))
    return np.arange(-LEAD_IN_M, length_m + step, step)


def _whittaker(s: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Values (N, K) at arc lengths s, smoothed onto `grid` (M, K): minimises the squared misfit
    at the points plus point density * SMOOTHING_LENGTH_M**6 * integral of the third derivative
    squared (so the smoothing scale does not depend on how many points there are). Nodes
    without points (behind the first) continue the curvature on."""
    step = grid[1] - grid[0]
    n = grid.size
    i = np.clip(np.searchsorted(grid, s, side="right") - 1, 0, n - 2)
    u = (s - grid[i]) / step
    interp = np.zeros((s.size, n))
    interp[np.arange(s.size), i] = 1.0 - u
    interp[np.arange(s.size), i + 1] = u
    density = s.size / max(s[-1], step)
    # (D3 / step^3)^T (D3 / step^3) * step, D3 the third differences of unit spacing
    system = interp.T @ interp + density * SMOOTHING_LENGTH_M**6 / step**5 * _third_difference_gram(n)
    return np.linalg.solve(system, interp.T @ values)


@functools.lru_cache(maxsize=32)  # a few speeds in use at a time; 0.3 MB each at most
def _third_difference_gram(n: int) -> np.ndarray:
    """D^T D for D the (n - 3, n) third-difference matrix: built once per grid size, not per frame."""
    third = np.diff(np.eye(n), 3, axis=0)
    gram = third.T @ third
    gram.flags.writeable = False  # shared between calls
    return gram


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
