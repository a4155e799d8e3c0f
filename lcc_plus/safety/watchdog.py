"""Per-topic watchdog: stale and never-received inputs, and the count of rejected messages.

Liveness is judged on the monitor's internal monotonic clock at reception (a message only counts when it
passed admission), so a publisher that keeps sending frozen, backwards or garbage
stamped messages goes stale just like a silent one. Every rejection is counted, in
total per reason and in a sliding window for the check.
"""
from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field

from lcc_plus.common.types import Check, Severity


@dataclass
class TopicWatch:
    """Book-keeping of one input topic."""

    name: str
    stale_after_s: float
    severity: Severity
    last_rx_s: float | None = None        # monitor clock at the last accepted message
    last_stamp_s: float | None = None     # header stamp of the last accepted message
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)   # reason -> count, never reset
    recent: deque = field(default_factory=deque)         # monitor clock of recent rejections
    last_reject_reason: str = ""

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


class Watchdog:
    """Tracks every input topic; `checks(now)` reports stale/missing and rejection-rate checks."""

    def __init__(self, start_s: float, rejected_window_s: float, rejected_max: int):
        self._start_s = start_s
        self._window_s = rejected_window_s
        self._rejected_max = rejected_max
        self.topics: dict[str, TopicWatch] = {}

    def add(self, name: str, period_s: float, stale_periods: float, stale_min_s: float,
            severity: Severity) -> None:
        self.topics[name] = TopicWatch(name, max(stale_periods * period_s, stale_min_s), severity)

    def accept(self, name: str, stamp_s: float, now_s: float) -> None:
        t = self.topics[name]
        t.last_rx_s, t.last_stamp_s = now_s, stamp_s
        t.accepted += 1

    def reject(self, name: str, reason: str, now_s: float) -> None:
        t = self.topics[name]
        t.rejected[reason.split(":", 1)[0]] += 1
        t.recent.append(now_s)
        t.last_reject_reason = reason

    def age_s(self, name: str, now_s: float) -> float:
        """Seconds since the last accepted message, or since start when none came yet."""
        t = self.topics[name]
        return now_s - (t.last_rx_s if t.last_rx_s is not None else self._start_s)

    def is_stale(self, name: str, now_s: float) -> bool:
        t = self.topics[name]
        return t.last_rx_s is None or self.age_s(name, now_s) > t.stale_after_s

    def forget_stamps(self) -> None:
        """The clock jumped: accept the publishers' new time base from the next message on."""
        for t in self.topics.values():
            t.last_stamp_s = None

    def checks(self, now_s: float) -> list[Check]:
        out = []
        for t in self.topics.values():
            while t.recent and t.recent[0] < now_s - self._window_s:
                t.recent.popleft()
            kind = "missing" if t.last_rx_s is None else "stale"
            out.append(Check(f"{kind}:{t.name}", self.age_s(t.name, now_s), t.stale_after_s,
                             self.is_stale(t.name, now_s), t.severity))
            n = len(t.recent)
            out.append(Check(f"rejected:{t.name}", float(n), float(self._rejected_max),
                             n > self._rejected_max, Severity.NONCRITICAL))
            # The running total, so that a burst shows in full in every status (a counter, no limit).
            out.append(Check(f"rejected_total:{t.name}", float(t.rejected_total), math.inf, False, Severity.INFO))
        return out
