"""The lane-keeping reference: lane centre (fork-aware), blended with the model path.

Choice (issue 4): the plan is built from the lane lines. The model's own path is
blended in only where the lines are weak: weight w = LaneView.lane_weight (0 below
`line_probability_min`, 1 from `line_probability_full`), reference
y = w * lane_centre + (1 - w) * model_path, and the path only counts when the model
confidence reaches `path_confidence_min`. With neither, there is no reference and the
mode manager falls back (hold the current curvature, slow down, request takeover).
"""
from __future__ import annotations

import numpy as np

from lcc_plus.common.types import Perception
from lcc_plus.planning.lanes import Curve
from lcc_plus.planning.params import ModeManagerParams


def model_path(perception: Perception, p: ModeManagerParams) -> Curve | None:
    """y(x) of the model's planned path (end slopes continued), or None if unusable."""
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
    s0 = (y[1] - y[0]) / (x[1] - x[0])
    s1 = (y[-1] - y[-2]) / (x[-1] - x[-2])

    def f(q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        return np.where(q < x[0], y[0] + s0 * (q - x[0]),
                        np.where(q > x[-1], y[-1] + s1 * (q - x[-1]), np.interp(q, x, y)))

    return f


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
