"""Turns the per-step mode status and driver lever into LaneChange records.

A driver request starts at the lever's rising edge; a system lane change starts when
the mode enters LANE_CHANGE with a non-driver trigger. A request then ends as
completed (phase COMPLETE reached), refused (a new refusal while it waits), aborted
(left LANE_CHANGE after lateral motion started) or cancelled (left before it).
A driver request the system neither started nor refused stays "pending": the R79
window check counts it as a miss.
"""
from __future__ import annotations

from lcc_plus.common.types import LaneChangePhase, LaneChangeTrigger, Lever, Mode, ModeStatus
from lcc_plus.evaluation.trace import LaneChange

TRIGGER_NAMES = {LaneChangeTrigger.NONE: "system", LaneChangeTrigger.DRIVER: "driver",
                 LaneChangeTrigger.SLOW_LEAD: "slow_lead", LaneChangeTrigger.LANE_END: "lane_end",
                 LaneChangeTrigger.BLOCKED: "blocked", LaneChangeTrigger.KEEP_RIGHT: "keep_right"}


class LaneChangeTracker:
    """Feed `update` once per step; `changes` holds the records so far."""

    def __init__(self) -> None:
        self.changes: list[LaneChange] = []
        self._lever = Lever.NONE
        self._active: LaneChange | None = None   # the request being served, if any
        self._in_lane_change = False
        self._last_refusal_s: float | None = None

    def update(self, t_s: float, lever: Lever, status: ModeStatus | None) -> None:
        lever = Lever(lever)
        if lever != Lever.NONE and lever != self._lever:
            self._close("cancelled", t_s, "superseded by a new request")
            self._active = LaneChange(t_s, +1 if lever == Lever.LEFT else -1, "driver")
            self.changes.append(self._active)
        self._lever = lever
        if status is None:
            return
        self._refusal(t_s, status)
        in_lc = status.mode == Mode.LANE_CHANGE
        if in_lc and not self._in_lane_change and self._active is None:
            self._active = LaneChange(t_s, status.lane_change_direction or 0,
                                      TRIGGER_NAMES.get(LaneChangeTrigger(status.lane_change_trigger), "system"))
            self.changes.append(self._active)
        if in_lc and self._active is not None:
            phase = LaneChangePhase(status.lane_change_phase)
            if phase in (LaneChangePhase.EXECUTE, LaneChangePhase.COMPLETE) and self._active.t_start_s is None:
                self._active.t_start_s = t_s
            if phase == LaneChangePhase.COMPLETE:
                self._close("completed", t_s, "")
        elif self._in_lane_change and self._active is not None:
            started = self._active.t_start_s is not None
            reason = status.reason.lower()
            outcome = "aborted" if ("abort" in reason or (started and "cancel" not in reason)) else "cancelled"
            self._close(outcome, t_s, status.reason)
        self._in_lane_change = in_lc

    def _refusal(self, t_s: float, status: ModeStatus) -> None:
        if not status.last_refusal or status.last_refusal_s == self._last_refusal_s:
            return
        self._last_refusal_s = status.last_refusal_s
        if self._active is not None and self._active.trigger == "driver" and self._active.t_start_s is None:
            self._close("refused", t_s, status.last_refusal)

    def _close(self, outcome: str, t_s: float, reason: str) -> None:
        if self._active is None:
            return
        self._active.outcome = outcome
        self._active.t_end_s = t_s
        self._active.reason = reason
        self._active = None
