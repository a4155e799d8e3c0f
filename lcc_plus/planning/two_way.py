"""Where to drive on an unmarked two-way road: the keep-side half, nearer the middle while no one comes.

On a road both directions share without a centre line (small country roads, villages), the
middle of the keep-side half leaves a car on a 5 m road 0.33 m from the edge, and the model's
0.1-0.3 m errors in tight bends then reach the edge (`narrow_curves`). A driver uses more of
the road while it is empty and keeps to the side when a car comes the other way. So does this,
from the model's report of the oncoming side (`Perception.lead_left` when keeping right). The
camera loses an oncoming car before it has gone by, so the keep-side place is held a while
after the last sighting.
"""
from __future__ import annotations

import math

from lcc_plus.common.types import Lead
from lcc_plus.planning.gap import oncoming_within_s
from lcc_plus.planning.params import ModeManagerParams


class TwoWayPlacement:
    """Distance of the lane reference from the road's middle on an unmarked two-way road."""

    def __init__(self, p: ModeManagerParams):
        self.p = p
        self.offset_m: float | None = None  # from the middle, towards the keep side
        self._hold_until_s = -math.inf

    @property
    def active(self) -> bool:
        """It placed the car on the last cycle (the road was taken as unmarked two-way)."""
        return self.offset_m is not None

    def reset(self) -> None:
        self.offset_m, self._hold_until_s = None, -math.inf

    def update(self, now_s: float, dt_s: float, width_m: float, ego_speed_mps: float, oncoming: Lead) -> float:
        """The offset [m] to drive at now; moves at most `two_way_shift_rate_mps` per second."""
        p = self.p
        half_middle = 0.25 * width_m
        if oncoming_within_s(oncoming, ego_speed_mps, p) <= p.two_way_oncoming_s:
            self._hold_until_s = now_s + p.two_way_oncoming_hold_s
        if now_s < self._hold_until_s:
            target = half_middle
        else:
            # Nearer the middle, never with the body over it, never further out than the half's middle.
            edge_clear = 0.5 * width_m - 0.5 * p.vehicle_width_m - p.two_way_edge_clearance_m
            target = min(half_middle, max(edge_clear, 0.5 * p.vehicle_width_m))
        if self.offset_m is None:
            self.offset_m = half_middle
        step = p.two_way_shift_rate_mps * max(dt_s, 0.0)
        self.offset_m += min(max(target - self.offset_m, -step), step)
        return self.offset_m
