"""The oncoming vehicle on the passing side, as a pass is judged by it.

Faults of the model's report of it (`Perception.lead_left` when keeping right) showed on
`unmarked_lane`'s bend, and each is answered here from the sightings over time:

- Lost too early: the probability fell under the detection threshold 64 m and 4 s before
  the car met it (hidden behind the parked car), and the pass into its half of the road
  began the next frame. A vehicle seen closing does not vanish, so the last sighting is moved
  on at its speed over ground against the ego's own speed and stays the side's threat until
  it would have met the car or `oncoming_memory_s` after the last sighting.
- Seen where nothing is: a false detection stood at 63 m for 5 s while reported closing at
  11 m/s, and held the car behind the parked car. A sighting whose range, over
  `oncoming_confirm_s`, shrank less than half of what its reported speed says is taken at
  the speed its ranges show.
- Stalled on a real car: `unmarked_lane` s2's oncoming car, its ranges shrinking from 157 m to
  72 m as reported over 5 s, then read 72-75 m for 2 s while it closed some 25 m. Taken at the
  speed those ranges showed, it stopped counting, and the pass began towards it. A car whose
  ranges have once shown it closing is carried on as a lost one while they stall; only a
  sighting that never came closer is taken at its ranges' speed.
- Too far to tell: beyond RANGES_TELL_WITHIN_M a real car's first ranges stand still (`unmarked_lane`
  s4 and s15: 170-176 m while it closed from 188 m to 168 m), and taken at their speed it stopped
  counting 8-10 s before it met the car, in 29 of 35 logged drives. Ranges reaching that far may show a
  vehicle closing but never overrule its report.
- Dropping out: with a probability about the threshold every other sighting is missing, and a
  window whose first range is missing told nothing: s43's false detection at 59-62 m held the car
  for 7 s until the takeover request, and s11's real car, seen closing, was forgotten as such after
  a dropout and let go at 78 m, 6 s before it met the car, when its ranges stalled. Within
  RANGES_TELL_WITHIN_M, enough ranges over most of the window tell the speed.
"""
from __future__ import annotations

import math
from dataclasses import replace

from lcc_plus.common.types import Lead
from lcc_plus.planning.gap import oncoming_within_s
from lcc_plus.planning.params import ModeManagerParams
from lcc_plus.planning.ranges import RangeWitness

# As the safety monitor's lead-range confirmation (config/safety.yaml lead_range_fraction):
# the model's range at 60 m jumps by up to 7 m from frame to frame.
RANGE_FRACTION = 0.5
# The model's ranges tell a vehicle's speed within RANGES_TELL_WITHIN_M (see the module's notes).
# There a report that drops out is judged on RANGES_MIN ranges spanning SPAN_SHARE_MIN of the
# window: 12 of the 40 frames of 2 s at the 20 Hz model rate.
SPAN_SHARE_MIN = 0.75
RANGES_MIN = 12
RANGES_TELL_WITHIN_M = 100.0


class OncomingMemory:
    """The oncoming vehicle on one side: confirmed by its ranges, carried on after it is lost."""

    def __init__(self, p: ModeManagerParams):
        self.p = p
        self._lead: Lead | None = None        # as last seen or predicted, relative to the ego
        self._ground_speed_mps = 0.0          # its speed over ground towards us
        self._seen_s = -math.inf
        self._ranges = RangeWitness(p.oncoming_confirm_s, SPAN_SHARE_MIN, RANGES_MIN, RANGES_TELL_WITHIN_M)
        self._closing_shown = False  # its ranges over a window have shown it closing

    def reset(self) -> None:
        self._lead, self._seen_s = None, -math.inf
        self._ranges.reset()
        self._closing_shown = False

    def update(self, now_s: float, dt_s: float, ego_speed_mps: float, seen: Lead) -> Lead:
        """The lead to judge the side by this cycle: `seen` while it is an oncoming vehicle (at
        the speed its ranges show where they contradict it), else (lost, or its ranges stalled
        after they had shown it closing) the remembered one moved on by `dt_s`, else `seen`."""
        if math.isfinite(oncoming_within_s(seen, ego_speed_mps, self.p)):
            ranged = self._as_ranged(now_s, seen)
            if ranged is seen or not self._closing_shown:  # not the stall of a car seen closing
                return self._sighted(now_s, ego_speed_mps, ranged)
        if self._lead is None:
            return seen
        closing_mps = self._ground_speed_mps + ego_speed_mps
        distance_m = self._lead.distance_m - closing_mps * max(dt_s, 0.0)
        if distance_m <= 0.0 or now_s - self._seen_s > self.p.oncoming_memory_s:
            self.reset()
            return seen
        self._lead = replace(self._lead, distance_m=distance_m, relative_speed_mps=-closing_mps)
        return self._lead

    def _sighted(self, now_s: float, ego_speed_mps: float, seen: Lead) -> Lead:
        """`seen` (as its ranges have it), remembered while it is an oncoming vehicle."""
        if not math.isfinite(oncoming_within_s(seen, ego_speed_mps, self.p)):
            self._lead = None
            return seen
        self._lead, self._seen_s = seen, now_s
        self._ground_speed_mps = -(ego_speed_mps + seen.relative_speed_mps)
        return seen

    def _as_ranged(self, now_s: float, seen: Lead) -> Lead:
        """`seen`, at the closing speed its ranges over `oncoming_confirm_s` show where that is
        less than RANGE_FRACTION of the reported one and they are near enough to tell it."""
        rate_mps = self._ranges.rate_mps(now_s, seen.distance_m)  # - closing
        if rate_mps is None:  # a new window: a new vehicle, or the same after a gap
            self._closing_shown = False
            return seen
        if rate_mps <= RANGE_FRACTION * seen.relative_speed_mps:
            self._closing_shown = True
            return seen
        if self._ranges.farthest_m >= RANGES_TELL_WITHIN_M and not self._closing_shown:
            return seen
        return replace(seen, relative_speed_mps=min(rate_mps, 0.0))
