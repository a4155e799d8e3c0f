"""Triggers of system-initiated lane changes (UN R171), each held for `trigger_hold_s`.

- LANE_END: the ego lane narrows below `lane_end_width_m` ahead (lanes.LaneView.lane_end)
  at a place that stays put as the car drives (lane_end.LaneEndTracker);
- BLOCKED: a stopped vehicle in the ego lane within `blocked_range_m`;
- SLOW_LEAD: the lead is `slow_lead_gain_mps` slower than wanted and the passing lane
  (left in keep-right countries) offers that gain;
- KEEP_RIGHT: back to the keep-side lane when its lead is no slower than
  (wanted - gain + hysteresis) or beyond `keep_side_clear_m`: the hysteresis band
  between overtaking and returning stops ping-pong, as does `system_cooldown_s`.

SLOW_LEAD and KEEP_RIGHT are discretionary: only from `discretionary_speed_min_mps`
(motorway-like speed), because the perception cannot tell a lane of oncoming traffic
from one in our direction (two-way roads carry no such flag).
"""
from __future__ import annotations

import math

from lcc_plus.common.types import LaneChangeTrigger, Lead, Perception
from lcc_plus.planning.gap import lead_exists
from lcc_plus.planning.lanes import LaneView
from lcc_plus.planning.params import ModeManagerParams


def lane_end_to_leave(view: LaneView, lane_end: tuple[float, int], p: ModeManagerParams) -> tuple[float, int]:
    """The confirmed lane end (distance, side to move to) that the lane-end trigger reacts to:
    nearer than `lane_end_trigger_m`, with a lane on that side; else (inf, 0)."""
    end_m, side = lane_end
    return (end_m, side) if end_m < p.lane_end_trigger_m and side and view.adjacent(side) else (math.inf, 0)


class TriggerMonitor:
    """Evaluates the triggers every cycle and reports one once it has held long enough."""

    def __init__(self, p: ModeManagerParams):
        self.p = p
        self._since: dict[LaneChangeTrigger, float] = {}

    @property
    def pass_side(self) -> int:
        return 1 if self.p.keep_side == "right" else -1

    def _lead_speed(self, lead: Lead, ego_speed_mps: float) -> float | None:
        return ego_speed_mps + lead.relative_speed_mps if lead_exists(lead, self.p) else None

    def conditions(self, view: LaneView, perception: Perception, ego_speed_mps: float, wanted_mps: float,
                   cooldown_over: bool, lane_end: tuple[float, int]) -> dict[LaneChangeTrigger, int]:
        """Triggers whose condition holds now, with the direction each asks for; `lane_end` is the
        confirmed (distance, side) from lane_end.LaneEndTracker."""
        p, out = self.p, {}
        end_side = lane_end_to_leave(view, lane_end, p)[1]
        if end_side:
            out[LaneChangeTrigger.LANE_END] = end_side
        lead = perception.lead
        v_lead = self._lead_speed(lead, ego_speed_mps)
        side_lead = {1: perception.lead_left, -1: perception.lead_right}
        if v_lead is not None and v_lead < p.stopped_speed_mps and lead.distance_m < p.blocked_range_m:
            for side in (self.pass_side, -self.pass_side):
                if view.adjacent(side):
                    out[LaneChangeTrigger.BLOCKED] = side
                    break
        if not cooldown_over or ego_speed_mps < p.discretionary_speed_min_mps:
            return out
        slow = (v_lead is not None and lead.distance_m < p.slow_lead_range_m
                and v_lead < wanted_mps - p.slow_lead_gain_mps)
        if slow and v_lead >= p.stopped_speed_mps and view.adjacent(self.pass_side):
            v_pass = self._lead_speed(side_lead[self.pass_side], ego_speed_mps)
            if v_pass is None or v_pass > v_lead + p.slow_lead_gain_mps:
                out[LaneChangeTrigger.SLOW_LEAD] = self.pass_side
        keep = -self.pass_side
        if not slow and view.adjacent(keep):
            keep_lead = side_lead[keep]
            v_keep = self._lead_speed(keep_lead, ego_speed_mps)
            if (v_keep is None or keep_lead.distance_m > p.keep_side_clear_m
                    or v_keep >= wanted_mps - p.slow_lead_gain_mps + p.slow_lead_hysteresis_mps):
                out[LaneChangeTrigger.KEEP_RIGHT] = keep
        return out

    def update(self, now_s: float, active: dict[LaneChangeTrigger, int]) -> tuple[LaneChangeTrigger, int] | None:
        """The highest-priority active trigger once held for `trigger_hold_s` (its timer restarts).

        A lower-priority trigger never fires while a higher one is active but still holding.
        """
        for trig in list(self._since):
            if trig not in active:
                del self._since[trig]
        for trig in active:
            self._since.setdefault(trig, now_s)
        for trig in (LaneChangeTrigger.LANE_END, LaneChangeTrigger.BLOCKED, LaneChangeTrigger.SLOW_LEAD,
                     LaneChangeTrigger.KEEP_RIGHT):
            if trig in active:
                if now_s - self._since[trig] < self.p.trigger_hold_s:
                    return None
                self._since[trig] = now_s
                return trig, active[trig]
        return None

    def reset(self) -> None:
        self._since.clear()

