"""One lane change: phases, timing and the blend profile from origin to target lane.

The path during a lane change is origin(x) + sigma(t) * (target(x) - origin(x)):
sigma is a minimum-jerk quintic from 0 to 1 over the manoeuvre duration, so no lane
width has to be assumed and the lateral motion is exactly the lane offset. Lanes
are named relative to the perceived ego lane (`origin_rel`, `target_rel`); when the
perception re-indexes the lanes as the car crosses the line, `shift` follows it.
Cancel and abort replace sigma by a quintic from its current value, rate and
acceleration back to 0 (the origin lane); the manoeuvre (phase EXECUTE, indicator
off) lasts until the car is back, so the corridor still spans both lanes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lcc_plus.common.types import LaneChangePhase, LaneChangeTrigger
from lcc_plus.planning.params import ModeManagerParams
from lcc_plus.planning.profiles import Quintic, min_duration_s

RETURN_DURATIONS_S = np.arange(1.0, 8.01, 0.25)


@dataclass
class LaneChange:
    direction: int                 # +1 left, -1 right
    trigger: LaneChangeTrigger
    requested_s: float
    prepare_min_s: float           # earliest lateral motion after the request
    deadline_s: float              # latest lateral motion after the request
    phase: LaneChangePhase = LaneChangePhase.PREPARE
    origin_rel: int = 0
    target_rel: int = field(default=0)
    profile: Quintic | None = None
    profile_start_s: float = math.nan
    width_m: float = 0.0           # origin-to-target centre distance at the start of the motion
    complete_s: float = math.nan
    unsafe_cycles: int = 0
    returning: bool = False        # cancelled or aborted: sigma goes back to 0
    outcome: str = ""              # "cancelled" or "aborted" while returning
    refused_since_s: float | None = None  # a reason not to go has held since (PREPARE)

    def __post_init__(self) -> None:
        self.target_rel = self.direction

    @classmethod
    def requested(cls, p: ModeManagerParams, now_s: float, direction: int, trigger: LaneChangeTrigger) -> LaneChange:
        system = trigger != LaneChangeTrigger.DRIVER
        return cls(direction, trigger, now_s,
                   p.system_prepare_min_s if system else p.driver_prepare_min_s,
                   p.system_start_deadline_s if system else p.driver_start_deadline_s)

    @property
    def system_initiated(self) -> bool:
        return self.trigger != LaneChangeTrigger.DRIVER

    @property
    def committed_lanes_shifted(self) -> bool:
        """The perception already counts the target lane as the ego lane."""
        return self.target_rel != self.direction

    def sigma(self, t_abs_s: np.ndarray | float) -> np.ndarray:
        """Blend from origin (0) to target (1) at absolute times."""
        if self.profile is None:
            return np.zeros_like(np.asarray(t_abs_s, dtype=float))
        return self.profile.at(np.asarray(t_abs_s, dtype=float) - self.profile_start_s)

    def state(self, now_s: float) -> tuple[float, float, float]:
        if self.profile is None:
            return 0.0, 0.0, 0.0
        p, v, a = self.profile.derivatives(now_s - self.profile_start_s)
        return float(p), float(v), float(a)

    def profile_done(self, now_s: float) -> bool:
        return self.profile is not None and now_s - self.profile_start_s >= self.profile.duration_s

    def start_motion(self, p: ModeManagerParams, now_s: float, width_m: float) -> None:
        """PREPARE -> EXECUTE: the quintic whose lateral acceleration and jerk stay within the limits."""
        self.width_m = max(width_m, p.lane_width_min_m)
        t = min_duration_s(self.width_m, p.lane_change_lat_accel_mps2, p.lane_change_lat_jerk_mps3)
        t = min(max(t, p.lane_change_duration_min_s), p.lane_change_duration_max_s)
        self.profile = Quintic.between(0.0, 0.0, 0.0, 1.0, t)
        self.profile_start_s = now_s
        self.phase = LaneChangePhase.EXECUTE

    def return_profile(self, p: ModeManagerParams, now_s: float) -> tuple[Quintic, float]:
        """(profile, peak sigma) of a return to the origin lane starting now.

        Among returns whose lateral acceleration stays within `return_lat_accel_mps2`, the
        one with the least overshoot of the lateral motion already under way.
        """
        s, v, _ = self.state(now_s)
        limit = p.return_lat_accel_mps2 / max(self.width_m, p.lane_width_min_m)
        best: tuple[float, Quintic] | None = None
        # The starting acceleration is free (a step the steering lag smooths): start braking at once.
        for a0 in np.linspace(-limit, 0.0, 5):
            for t in RETURN_DURATIONS_S:
                q = Quintic.between(s, v, float(a0), 0.0, float(t))
                sigma, _, accel = q.derivatives(np.linspace(0.0, t, 60))
                if np.max(np.abs(accel)) <= limit:
                    if best is None or float(np.max(sigma)) < best[0]:
                        best = (float(np.max(sigma)), q)
                    break
        if best is None:
            q = Quintic.between(s, v, 0.0, 0.0, float(RETURN_DURATIONS_S[-1]))
            best = (float(np.max(q.derivatives(np.linspace(0.0, q.duration_s, 60))[0])), q)
        return best[1], best[0]

    def start_return(self, profile: Quintic, now_s: float, outcome: str) -> None:
        """Cancel or abort (`outcome`) along `profile` (from `return_profile`)."""
        self.profile = profile
        self.profile_start_s = now_s
        self.returning = True
        self.outcome = outcome

    def shift(self, lanes: int) -> None:
        """The perception re-indexed its lanes by `lanes` (+1: the left lane is now the ego lane)."""
        self.origin_rel -= lanes
        self.target_rel -= lanes
