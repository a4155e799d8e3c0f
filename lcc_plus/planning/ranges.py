"""A vehicle's speed as its ranges over time show it, to check the model's report.

The model reports each vehicle's range and relative speed from two frames 0.1 s apart. The
speed goes wrong where the range does not: on `unmarked_lane` a false oncoming car "closed" at
11 m/s for 6-12 s while its range stood still, and on `stopped_vehicle` a stopped car read as
moving at the ego's own speed from 40 m down to 4 m while its range shrank at 4 m/s. A least
squares line through the ranges over a window tells their rate within about 1 m/s where they
jump 2-3 m from frame to frame, 2.6 m/s at 60 m where they jump 7 m.

For the own lane's lead, the check is on its place along the road (range plus the ego's
odometer), so the ego's own braking over the window does not read as the lead slowing down.
The lead is taken at the speed its places show where that is LEAD_SLOWER_MARGIN_MPS or more
below the reported speed, within LEAD_CHECK_RANGE_M.
"""
from __future__ import annotations

from collections import deque
from dataclasses import replace

import numpy as np

from lcc_plus.common.types import Lead
from lcc_plus.planning.gap import lead_exists
from lcc_plus.planning.params import ModeManagerParams

# Further than this beyond every recent range: another vehicle (the next one after the first
# went by, or the next car ahead once one has left the lane), whose ranges start afresh.
# Beyond every one, not the last: single ranges dip 11 m short of a false detection's 55 m.
RANGE_JUMP_M = 10.0
# Within this range the model's ranges jump 2-3 m from frame to frame: the fitted speed is good
# to about 1 m/s, and a lead this much slower than reported is one.
LEAD_CHECK_RANGE_M = 40.0
LEAD_SLOWER_MARGIN_MPS = 2.0


class RangeWitness:
    """Ranges (or places) of one report slot over the last `window_s`; the rate they show.

    A rate is told once one vehicle's ranges have been gathered for the whole window and span it.
    For a report that drops out now and then, `span_share_min` < 1 lets `ranges_min` ranges that
    span that share of the window tell it, while all of them are within `gappy_within_m`."""

    def __init__(self, window_s: float, span_share_min: float = 1.0, ranges_min: int = 2,
                 gappy_within_m: float = 0.0):
        self.window_s = window_s
        self.span_share_min = span_share_min
        self.ranges_min = max(ranges_min, 2)
        self.gappy_within_m = gappy_within_m
        self._ranges: deque[tuple[float, float]] = deque()  # (t, distance)
        self._since_s = 0.0  # the first range of this vehicle

    def reset(self) -> None:
        self._ranges.clear()

    @property
    def farthest_m(self) -> float:
        """The farthest range in the window."""
        return max((r for _, r in self._ranges), default=0.0)

    def rate_mps(self, now_s: float, distance_m: float) -> float | None:
        """Add a range; its rate of change [m/s] over the window, or None until the ranges tell it."""
        if self._ranges and distance_m > self.farthest_m + RANGE_JUMP_M:
            self._ranges.clear()
        self._ranges.append((now_s, distance_m))
        while self._ranges and self._ranges[0][0] < now_s - self.window_s - 1e-6:
            self._ranges.popleft()
        if len(self._ranges) == 1:  # a new vehicle, or the same after a gap longer than the window
            self._since_s = now_s
        t, r = np.array(self._ranges).T
        share = self.span_share_min if r.max() < self.gappy_within_m else 1.0
        if (now_s - self._since_s < self.window_s - 1e-6 or len(t) < self.ranges_min
                or t[-1] - t[0] < share * self.window_s - 1e-6):
            return None
        return float(np.polyfit(t - t[-1], r, 1)[0])


class LeadSpeedCheck:
    """The own lane's lead at the speed its places along the road show, where they show it
    clearly slower than the model reports (a stopped car read as moving).

    Once they have, the places' speed is taken while it stays below the report, until the lead
    is lost, leaves the check range or another vehicle takes its slot: a car slowed to 1.5 m/s
    behind a stopped car read as moving at that speed has no 2 m/s left to show it by, and
    crept into it."""

    def __init__(self, p: ModeManagerParams):
        self.p = p
        self._places = RangeWitness(p.lead_check_s)
        self._overruled = False  # the places have shown this lead clearly slower than reported

    def update(self, now_s: float, odometer_m: float, ego_speed_mps: float, lead: Lead) -> Lead:
        if not lead_exists(lead, self.p) or lead.distance_m > LEAD_CHECK_RANGE_M:
            self._places.reset()
            self._overruled = False
            return lead
        speed_mps = self._places.rate_mps(now_s, odometer_m + lead.distance_m)
        if speed_mps is None:  # a new window: a new vehicle, or the same after a gap
            self._overruled = False
            return lead
        reported_mps = ego_speed_mps + lead.relative_speed_mps
        margin_mps = 0.0 if self._overruled else LEAD_SLOWER_MARGIN_MPS
        if speed_mps > reported_mps - margin_mps:
            return lead
        self._overruled = True
        return replace(lead, relative_speed_mps=max(speed_mps, 0.0) - ego_speed_mps)
