"""Forks and splits without a route: which branch to follow and the reference into it.

A fork shows as the ego lane widening (its two lines diverge at the gore point).
The branch is a side (+1 left, -1 right). `default` keeps the current lane's
continuation: the branch whose line bends least. `main` takes the branch away from
where exits leave (the keep side: right-hand traffic exits on the right). The choice
is frozen once the gore is closer than `fork_commit_distance_m`, so nothing changes
abruptly near it. The reference follows the chosen line at half the lane width seen
at the car, which equals the lane centre until the lines diverge: no jump.
"""
from __future__ import annotations

import math

import numpy as np

from lcc_plus.common.types import LINE_EGO_LEFT, LINE_EGO_RIGHT, ForkPreference
from lcc_plus.planning.lanes import Curve, LaneView
from lcc_plus.planning.params import ModeManagerParams

PREFERENCE_BY_NAME = {"default": ForkPreference.DEFAULT, "main": ForkPreference.MAIN,
                      "left": ForkPreference.LEFT, "right": ForkPreference.RIGHT}


class ForkSelector:
    """Keeps the branch choice across frames."""

    def __init__(self, p: ModeManagerParams):
        self.p = p
        self.side = 0
        self.gore_m = math.inf

    def update(self, view: LaneView, preference: ForkPreference) -> int:
        """Side of the branch to follow (0: no fork ahead)."""
        self.gore_m = view.fork_gore()
        if not math.isfinite(self.gore_m):
            self.side = 0
            return 0
        if self.side != 0 and self.gore_m < self.p.fork_commit_distance_m:
            return self.side
        self.side = self._choose(view, preference)
        return self.side

    def _choose(self, view: LaneView, preference: ForkPreference) -> int:
        if preference == ForkPreference.LEFT:
            return 1
        if preference == ForkPreference.RIGHT:
            return -1
        if preference == ForkPreference.MAIN:
            return 1 if self.p.keep_side == "right" else -1
        bend_left = view.heading_change(LINE_EGO_LEFT, self.gore_m)
        bend_right = view.heading_change(LINE_EGO_RIGHT, self.gore_m)
        if bend_left == bend_right:
            return 1 if self.p.keep_side == "right" else -1
        return 1 if bend_left < bend_right else -1

    def reference(self, view: LaneView, side: int) -> Curve | None:
        """Centre of the chosen branch, or the plain lane centre when there is no fork."""
        line = view.line(LINE_EGO_LEFT if side > 0 else LINE_EGO_RIGHT) if side else None
        if line is None:
            return view.centre(0)
        half = 0.5 * view.width_m

        def ref(x: np.ndarray) -> np.ndarray:
            h = np.minimum(0.5 * view.width_at(x), half)
            return line(x) - side * h

        return ref
