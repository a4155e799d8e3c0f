"""The perceived lanes of one frame: sanitised lines, lane centres, adjacency, lane ends, forks.

Lines come from Perception.lane_lines (cubic y(x) in base_link). A line is used when
its coefficients are finite and its probability reaches `line_probability_min`;
beyond x_max it is extended along its end tangent, which is also
what carries the lane straight across an intersection where the paint stops.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lcc_plus.common.types import (
    LINE_EGO_LEFT,
    LINE_EGO_RIGHT,
    LINE_LEFT_OUTER,
    LINE_RIGHT_OUTER,
    LaneLine,
    LineType,
    Perception,
)
from lcc_plus.planning.params import ModeManagerParams

Curve = Callable[[np.ndarray], np.ndarray]
_SAMPLES_X_M = np.linspace(0.0, 150.0, 76)


def _clean(line: object) -> LaneLine | None:
    """A copy of the line with float coefficients, or None when it is malformed or non-finite."""
    try:
        c = np.asarray(line.coefficients, dtype=float).reshape(-1)
        lo, hi, prob = float(line.x_min_m), float(line.x_max_m), float(line.probability)
        kind = LineType(int(line.line_type))
    except (AttributeError, TypeError, ValueError):
        return None
    if c.size != 4 or not np.all(np.isfinite(c)) or not all(map(math.isfinite, (lo, hi, prob))) or hi <= lo:
        return None
    return LaneLine(c, lo, hi, prob, kind)


def _extended(line: LaneLine) -> Curve:
    """y(x) of the cubic up to x_max, continued along its end tangent beyond (behind the car: the cubic)."""
    c = line.coefficients

    def slope(x: float) -> float:
        return c[1] + 2.0 * c[2] * x + 3.0 * c[3] * x * x

    lo, hi = line.x_min_m, line.x_max_m
    y_hi, s_hi = float(line.y_at(hi)), slope(hi)

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        inside = line.y_at(np.clip(x, lo, hi))
        return np.where(x > hi, y_hi + s_hi * (x - hi), np.where(x < lo, line.y_at(x), inside))

    return f


class LaneView:
    """Lane geometry of one Perception, robust to missing, weak and non-finite lines."""

    def __init__(self, perception: Perception, p: ModeManagerParams, width_hint_m: float):
        self.p = p
        raw = list(getattr(perception, "lane_lines", []) or [])[:4]
        raw += [None] * (4 - len(raw))
        self.lines = [_clean(line) if line is not None else None for line in raw]
        self.used = [ln is not None and ln.probability >= p.line_probability_min for ln in self.lines]
        self._f = [_extended(ln) if ok else None for ln, ok in zip(self.lines, self.used)]
        w = self.width_at(0.0, measured_only=True)
        self.width_measured = w is not None
        self.width_m = float(w) if w is not None else float(width_hint_m)

    # -- lines ------------------------------------------------------------------------------
    def line(self, idx: int) -> Curve | None:
        return self._f[idx]

    def line_type(self, idx: int) -> LineType:
        ln = self.lines[idx]
        return ln.line_type if ln is not None and self.used[idx] else LineType.UNKNOWN

    def line_weight(self, idx: int) -> float:
        """0 for an unused line .. 1 from `line_probability_full` on."""
        if not self.used[idx]:
            return 0.0
        lo, hi = self.p.line_probability_min, self.p.line_probability_full
        return 1.0 if hi <= lo else float(np.clip((self.lines[idx].probability - lo) / (hi - lo), 0.0, 1.0))

    @property
    def lane_weight(self) -> float:
        """Trust in the ego lane centre from its lines: the better line counts, both are better."""
        wl, wr = self.line_weight(LINE_EGO_LEFT), self.line_weight(LINE_EGO_RIGHT)
        return max(wl, wr) if min(wl, wr) > 0.0 else 0.5 * max(wl, wr)

    @property
    def reach_m(self) -> float:
        """How far the painted ego lane lines are seen ahead (0 when neither is used)."""
        ends = [self.lines[i].x_max_m for i in (LINE_EGO_LEFT, LINE_EGO_RIGHT) if self.used[i]]
        return float(min(ends)) if ends else 0.0

    def width_at(self, x_m: float | np.ndarray, measured_only: bool = False):
        left, right = self._f[LINE_EGO_LEFT], self._f[LINE_EGO_RIGHT]
        if left is None or right is None:
            return None if measured_only else np.full_like(np.asarray(x_m, float), self.width_m)
        w = left(x_m) - right(x_m)
        if measured_only:
            w0 = float(np.asarray(w).reshape(-1)[0])
            # Between bare road edges the "lane" may be a whole two-way road, wider than any one lane.
            widest = self.p.two_way_max_width_m if self._edges_only() else self.p.lane_width_max_m
            return w0 if self.p.lane_width_min_m <= w0 <= widest else None
        return w

    # -- lanes ------------------------------------------------------------------------------
    def centre(self, rel: int) -> Curve | None:
        """Centre line of the lane `rel` lanes to the left (-1 right, 0 ego, +1 left)."""
        left, right = self._f[LINE_EGO_LEFT], self._f[LINE_EGO_RIGHT]
        half = 0.5 * self.width_m
        if rel == 0:
            if left is not None and right is not None:
                return lambda x: 0.5 * (left(x) + right(x))
            if left is not None:
                return lambda x: left(x) - half
            if right is not None:
                return lambda x: right(x) + half
            return None
        inner = left if rel > 0 else right
        outer = self._f[LINE_LEFT_OUTER if rel > 0 else LINE_RIGHT_OUTER]
        sign = 1.0 if rel > 0 else -1.0
        if inner is not None and outer is not None and self.adjacent(int(sign)):
            return lambda x: 0.5 * (inner(x) + outer(x))
        ego = self.centre(0)
        if ego is None:
            return None
        shift = rel * self.width_m
        return lambda x: ego(x) + shift

    def _edges_only(self) -> bool:
        return all(self.line_type(i) in (LineType.ROAD_EDGE, LineType.UNKNOWN) for i in (LINE_EGO_LEFT, LINE_EGO_RIGHT))

    def unmarked_two_way(self) -> bool:
        """No markings, just the road's edges, wide enough for two cars and no lane beside."""
        return (self._edges_only() and self.width_measured and self.width_m >= self.p.two_way_min_width_m
                and not self.adjacent(1) and not self.adjacent(-1))

    def adjacent(self, side: int) -> bool:
        """An adjacent lane on `side` (+1 left, -1 right) is seen: both its lines at a plausible width."""
        inner_idx, outer_idx = (LINE_EGO_LEFT, LINE_LEFT_OUTER) if side > 0 else (LINE_EGO_RIGHT, LINE_RIGHT_OUTER)
        inner, outer = self._f[inner_idx], self._f[outer_idx]
        if inner is None or outer is None or self.line_type(inner_idx) == LineType.ROAD_EDGE:
            return False
        width = float(side * (outer(0.0) - inner(0.0)))
        return self.p.lane_width_min_m <= width <= self.p.lane_width_max_m

    def boundary_type(self, side: int) -> LineType:
        return self.line_type(LINE_EGO_LEFT if side > 0 else LINE_EGO_RIGHT)

    def lane_end(self) -> tuple[float, int]:
        """(distance to where the ego lane narrows below `lane_end_width_m`, side to move to), or (inf, 0)."""
        left, right = self._f[LINE_EGO_LEFT], self._f[LINE_EGO_RIGHT]
        if left is None or right is None:
            return math.inf, 0
        xs = _SAMPLES_X_M[_SAMPLES_X_M <= self.reach_m]
        if xs.size == 0:
            return math.inf, 0
        narrow = np.nonzero(left(xs) - right(xs) < self.p.lane_end_width_m)[0]
        if narrow.size == 0:
            return math.inf, 0
        x_end = float(xs[narrow[0]])
        # Move away from the line that converges more.
        left_in = float(left(0.0) - left(x_end))
        right_in = float(right(x_end) - right(0.0))
        return x_end, (1 if right_in >= left_in else -1)

    def fork_gore(self) -> float:
        """Distance to where the ego lane widens past `fork_width_ratio` times its width here, or inf."""
        if not self.width_measured:
            return math.inf
        xs = _SAMPLES_X_M[_SAMPLES_X_M <= self.reach_m]
        wide = np.nonzero(self.width_at(xs) > self.p.fork_width_ratio * self.width_m)[0]
        return float(xs[wide[0]]) if wide.size else math.inf

    def heading_change(self, idx: int, x_m: float) -> float:
        """|slope change| of line `idx` from here to `x_m`: small for the straighter continuation."""
        f = self._f[idx]
        if f is None:
            return math.inf
        d = 0.5
        s0 = (f(d) - f(0.0)) / d
        s1 = (f(x_m + d) - f(x_m)) / d
        return float(abs(s1 - s0))
