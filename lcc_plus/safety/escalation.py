"""Takeover escalation NONE -> VISUAL -> AUDIBLE -> MRM.

Non-critical faults open a latched transition demand (UN R157 5.4.4: it ends only when the
driver takes over or the MRM starts): optical at once, acoustic after `audible_s`, MRM
after `mrm_s` (>= 10 s by default). Driver-attention timers (hands off, eyes off; UN R79
5.6.2.2.5 and R171) escalate on how long the condition has lasted and clear when it ends,
unless they reached MRM. Critical faults skip the demand and start the MRM at once.
"""
from __future__ import annotations

from dataclasses import dataclass

from lcc_plus.common.types import TakeoverLevel


@dataclass(frozen=True)
class Stage:
    """One escalation state: the level, why, and when the next step happens (0 when none)."""

    level: TakeoverLevel
    reason: str = ""
    deadline_s: float = 0.0


NO_DEMAND = Stage(TakeoverLevel.NONE)


class TransitionDemand:
    """Latched takeover demand for non-critical faults."""

    def __init__(self, audible_s: float, mrm_s: float):
        self.audible_s, self.mrm_s = audible_s, mrm_s
        self._start_s: float | None = None
        self._reason = ""

    @property
    def active(self) -> bool:
        return self._start_s is not None

    def raise_(self, reason: str, now_s: float) -> None:
        """Open the demand; a demand already open keeps its first reason and its timing."""
        if self._start_s is None:
            self._start_s, self._reason = now_s, reason

    def clear(self) -> None:
        self._start_s, self._reason = None, ""

    def shift(self, delta_s: float) -> None:
        if self._start_s is not None:
            self._start_s += delta_s

    def stage(self, now_s: float) -> Stage:
        if self._start_s is None:
            return NO_DEMAND
        t = now_s - self._start_s
        if t >= self.mrm_s:
            return Stage(TakeoverLevel.MRM, self._reason)
        if t >= self.audible_s:
            return Stage(TakeoverLevel.AUDIBLE, self._reason, self._start_s + self.mrm_s)
        return Stage(TakeoverLevel.VISUAL, self._reason, self._start_s + self.audible_s)


class AttentionTimer:
    """Escalates on how long a driver condition (hands off, eyes off) has lasted."""

    def __init__(self, name: str, visual_s: float, audible_s: float, mrm_s: float):
        self.name = name
        self.visual_s, self.audible_s, self.mrm_s = visual_s, audible_s, mrm_s
        self._since_s: float | None = None

    def update(self, condition: bool, now_s: float) -> None:
        if not condition:
            self._since_s = None
        elif self._since_s is None or now_s < self._since_s:
            self._since_s = now_s

    def held_s(self, now_s: float) -> float:
        return 0.0 if self._since_s is None else now_s - self._since_s

    def stage(self, now_s: float) -> Stage:
        if self._since_s is None:
            return NO_DEMAND
        t, s = self.held_s(now_s), self._since_s
        reason = f"{self.name} {t:.1f} s"
        if t >= self.mrm_s:
            return Stage(TakeoverLevel.MRM, reason)
        if t >= self.audible_s:
            return Stage(TakeoverLevel.AUDIBLE, reason, s + self.mrm_s)
        if t >= self.visual_s:
            return Stage(TakeoverLevel.VISUAL, reason, s + self.audible_s)
        return Stage(TakeoverLevel.NONE, "", s + self.visual_s)


def most_severe(*stages: Stage) -> Stage:
    """The highest level; ties keep the first given."""
    best = NO_DEMAND
    for s in stages:
        if s.level > best.level:
            best = s
    return best
