"""Lane-change records from mode status sequences."""
from __future__ import annotations

from lcc_plus.common.types import LaneChangePhase, LaneChangeTrigger, Lever, Mode, ModeStatus
from lcc_plus.evaluation.lane_changes import LaneChangeTracker

KEEP = ModeStatus(mode=Mode.LANE_KEEP)


def lc(phase, trigger=LaneChangeTrigger.DRIVER, direction=1, reason=""):
    return ModeStatus(mode=Mode.LANE_CHANGE, lane_change_phase=phase, lane_change_trigger=trigger,
                      lane_change_direction=direction, reason=reason)


def feed(steps):
    tr = LaneChangeTracker()
    for t, lever, status in steps:
        tr.update(t, lever, status)
    return tr.changes


def test_driver_request_completed_with_times():
    (c,) = feed([(0.0, Lever.NONE, KEEP), (1.0, Lever.LEFT, lc(LaneChangePhase.PREPARE)),
                 (1.5, Lever.LEFT, lc(LaneChangePhase.PREPARE)), (2.5, Lever.NONE, lc(LaneChangePhase.EXECUTE)),
                 (6.0, Lever.NONE, lc(LaneChangePhase.COMPLETE)), (6.3, Lever.NONE, KEEP)])
    assert (c.trigger, c.direction, c.outcome) == ("driver", 1, "completed")
    assert (c.t_request_s, c.t_start_s, c.t_end_s) == (1.0, 2.5, 6.0)


def test_refusal_attaches_its_reason_to_the_waiting_request():
    refused = ModeStatus(mode=Mode.LANE_KEEP, last_refusal="solid line", last_refusal_s=1.05)
    (c,) = feed([(1.0, Lever.RIGHT, KEEP), (1.05, Lever.RIGHT, refused), (1.1, Lever.NONE, refused)])
    assert (c.direction, c.outcome, c.reason) == (-1, "refused", "solid line")


def test_system_lane_change_aborted_after_lateral_motion():
    (c,) = feed([(0.0, Lever.NONE, KEEP), (1.0, Lever.NONE, lc(LaneChangePhase.PREPARE, LaneChangeTrigger.SLOW_LEAD)),
                 (4.5, Lever.NONE, lc(LaneChangePhase.EXECUTE, LaneChangeTrigger.SLOW_LEAD)),
                 (5.0, Lever.NONE, ModeStatus(mode=Mode.LANE_KEEP, reason="abort: rear car closing"))])
    assert (c.trigger, c.outcome, c.t_start_s) == ("slow_lead", "aborted", 4.5)


def test_cancel_before_motion_and_unanswered_request_stays_pending():
    changes = feed([(0.0, Lever.NONE, KEEP), (1.0, Lever.NONE, lc(LaneChangePhase.PREPARE, LaneChangeTrigger.BLOCKED)),
                    (2.0, Lever.NONE, ModeStatus(mode=Mode.LANE_KEEP, reason="cancel: gap closed")),
                    (3.0, Lever.LEFT, KEEP), (9.0, Lever.NONE, KEEP)])
    assert [(c.trigger, c.outcome) for c in changes] == [("blocked", "cancelled"), ("driver", "pending")]
