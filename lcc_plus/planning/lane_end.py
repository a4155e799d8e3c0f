"""A lane end is a place on the road: it must stay put while the car drives toward it.

The model's ego-lane lines sometimes converge near the far end of their range (a cubic
fitted to 120 m bends in at 80 m). Such an "end" keeps its distance as the car drives on,
so it moves along the road with the car; a real one comes closer by the distance driven.
Only an end whose place on the road (odometer + distance) has stayed within half the
distance driven since `lane_end_confirm_m` ago counts, for the lane-change trigger and
the slowing before it.
"""
from __future__ import annotations

import math
from collections import deque

from lcc_plus.planning.params import ModeManagerParams

MAX_DRIFT_RATIO = 0.5   # a real end's estimate may move by half the distance driven, a moving one by all of it
WINDOW_FACTOR = 4.0     # samples kept over this many confirm distances of driving
SAMPLE_SPACING_M = 0.5  # one sample per this much driving, so standing still does not pile them up


class LaneEndTracker:
    """Feeds on (distance, side) from LaneView.lane_end each cycle; says which ends are real."""

    def __init__(self, p: ModeManagerParams):
        self.p = p
        self._seen: deque[tuple[float, float]] = deque()  # (odometer, odometer + distance to the end) [m]

    def update(self, odo_m: float, end: tuple[float, int]) -> tuple[float, int]:
        """(distance, side) of a confirmed lane end, or (inf, 0)."""
        end_m, side = end
        window_m = WINDOW_FACTOR * self.p.lane_end_confirm_m
        while self._seen and odo_m - self._seen[0][0] > window_m:
            self._seen.popleft()
        if not math.isfinite(end_m):
            return math.inf, 0
        if len(self._seen) >= 2 and odo_m - self._seen[-2][0] < SAMPLE_SPACING_M:
            self._seen.pop()  # the newest estimate replaces one less than a spacing past the last kept
        self._seen.append((odo_m, odo_m + end_m))
        ref = None  # the latest sample at least lane_end_confirm_m of driving back
        for at_m, place_m in self._seen:
            if odo_m - at_m < self.p.lane_end_confirm_m:
                break
            ref = (at_m, place_m)
        if ref is None:
            return math.inf, 0
        stays = abs(odo_m + end_m - ref[1]) <= MAX_DRIFT_RATIO * (odo_m - ref[0])
        return (end_m, side) if stays else (math.inf, 0)
