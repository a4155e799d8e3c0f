"""Mode state machine: every transition and every lane-change refusal reason."""
from __future__ import annotations

import math

import numpy as np
import pytest
from planning_fixtures import driver, perception, rear

from lcc_plus.common.types import (
    EgoState,
    IntentKind,
    LaneChangePhase,
    LaneChangeTrigger,
    LaneLine,
    Lead,
    Lever,
    LineType,
    Mode,
    Perception,
    TakeoverDemand,
    TakeoverLevel,
    TurnSignal,
)
from lcc_plus.planning.mode_manager import ModeManager
from lcc_plus.planning.params import ModeManagerParams

DT = 0.05


class Harness:
    """Steps a ModeManager at 20 Hz with settable inputs."""

    def __init__(self, speed: float = 25.0, **overrides):
        self.mm = ModeManager(ModeManagerParams.from_config(overrides))
        self.t = 0.0
        self.ego = EgoState(speed_mps=speed)
        self.per = perception()
        self.drv = driver()
        self.rear = rear()
        self.takeover = TakeoverDemand()
        self.out = None
        self.history = []

    def run(self, seconds: float = DT, **drv) -> Harness:
        for _ in range(max(int(round(seconds / DT)), 1)):
            d = driver(**{**self.drv.__dict__, **drv})
            self.out = self.mm.step(self.t, self.ego, d, self.per, self.rear, self.takeover)
            self.history.append((self.t, *self.out))
            self.t += DT
        return self

    def engage(self) -> Harness:
        self.run()
        self.run(engage_request=True)
        self.run()
        assert self.status.mode == Mode.LANE_KEEP
        return self

    @property
    def traj(self):
        return self.out[0]

    @property
    def status(self):
        return self.out[1]

    @property
    def intent(self):
        return self.out[2]

    def first(self, predicate) -> float:
        return next(t for t, traj, st, it in self.history if predicate(traj, st, it))


# -- basic modes -------------------------------------------------------------------------------

def test_off_standby_off():
    h = Harness()
    assert h.mm.mode == Mode.OFF
    h.run()
    assert h.status.mode == Mode.STANDBY and h.status.reason == "system available"
    h.per = Perception()
    h.run()
    assert h.status.mode == Mode.OFF and "unavailable" in h.status.reason
    assert len(h.traj.t_s) == 0


def test_engage_from_standby_only():
    h = Harness()
    h.per = Perception()
    h.run(engage_request=True)
    assert h.status.mode == Mode.OFF and h.status.last_refusal == "engage refused: no lane reference"
    h.per = perception()
    h.engage()
    assert h.status.reason == "driver engaged" and h.status.previous_mode == Mode.STANDBY
    assert len(h.traj.t_s) > 10 and np.all(np.isfinite(h.traj.y_m))


@pytest.mark.parametrize("kw, reason", [({"disengage_request": True}, "driver disengaged"),
                                        ({"brake_pedal": 0.3}, "driver braked")])
def test_disengage_to_standby(kw, reason):
    h = Harness().engage()
    h.run(**kw)
    assert h.status.mode == Mode.STANDBY and h.status.reason == reason
    assert len(h.traj.t_s) == 0


def test_override_and_release():
    h = Harness().engage()
    h.run(steering_torque_nm=3.0)
    assert h.status.mode == Mode.OVERRIDE and len(h.traj.t_s) == 0
    h.run(0.5, steering_torque_nm=3.0)
    h.run(0.5)
    assert h.status.mode == Mode.OVERRIDE
    h.run(0.6)
    assert h.status.mode == Mode.LANE_KEEP and h.status.reason == "driver released the steering wheel"


def test_takeover_demand_and_clear():
    h = Harness().engage()
    h.takeover = TakeoverDemand(level=TakeoverLevel.VISUAL, reason="hands off")
    h.run()
    assert h.status.mode == Mode.TAKEOVER_REQUESTED and "hands off" in h.status.reason
    assert len(h.traj.t_s) > 0  # keeps the lane meanwhile
    h.takeover = TakeoverDemand()
    h.run()
    assert h.status.mode == Mode.LANE_KEEP and h.status.reason == "takeover demand cleared"


def test_mrm_stops_with_hazards_then_locks():
    h = Harness().engage()
    h.takeover = TakeoverDemand(level=TakeoverLevel.MRM, reason="driver unresponsive")
    h.run()
    assert h.status.mode == Mode.MRM and h.traj.turn_signal == TurnSignal.HAZARD
    assert h.traj.accel_mps2[0] < 0.0 and h.traj.speed_mps[-1] < h.traj.speed_mps[0]
    assert np.min(h.traj.accel_mps2) >= -4.0
    h.ego = EgoState(speed_mps=0.0)
    h.run()
    assert h.status.mode == Mode.OFF and "locked" in h.status.reason
    h.takeover = TakeoverDemand()
    h.run(engage_request=True)
    assert h.status.mode == Mode.OFF and "locked" in h.status.last_refusal


def test_driver_ends_mrm():
    h = Harness().engage()
    h.takeover = TakeoverDemand(level=TakeoverLevel.MRM)
    h.run()
    h.run(brake_pedal=0.5)
    assert h.status.mode == Mode.STANDBY and "minimal risk" in h.status.reason


def test_lost_lanes_fall_back_and_request_takeover():
    h = Harness().engage()
    h.per = Perception(confidence=0.0)
    h.run(0.5)
    assert h.status.mode == Mode.LANE_KEEP
    assert h.traj.speed_mps[-1] < h.traj.speed_mps[0]  # slows down on the held curvature
    h.run(0.6)
    assert h.status.mode == Mode.TAKEOVER_REQUESTED and "no lane lines" in h.status.reason
    assert h.mm.takeover_request_reason == h.status.reason
    h.per = perception()
    h.run()
    assert h.status.mode == Mode.LANE_KEEP and h.mm.takeover_request_reason == ""


def with_path(per: Perception, y_m: float = 0.0) -> Perception:
    per.path_x_m = np.linspace(0.0, 100.0, 21)
    per.path_y_m = np.full(21, y_m)
    return per


@pytest.mark.parametrize("prob, offset, y0", [
    (0.45, 0.2, -0.1),   # half-trusted lines: half way between lane centre and path
    (0.95, 0.2, -0.2),   # trusted lines that agree with the path: the lane centre
    (0.95, 1.0, 0.0),    # lines 1 m off a confident path (a bad fit): the path
    (0.95, 0.45, -0.225),  # in between: lane weight falls from 1 at 0.3 m to 0 at 0.6 m of disagreement
])
def test_lane_centre_and_model_path_blend(prob, offset, y0):
    h = Harness().engage()
    h.per = with_path(perception(prob=prob, offset_m=offset))
    h.run()
    assert h.traj.y_m[0] == pytest.approx(y0, abs=0.02)


@pytest.mark.parametrize("left_lane, follows_path", [
    (True, False),   # a lane on the left: the path is an overtake nobody chose, the lane centre holds
    (False, True),   # nothing there (a bend the cubic misses): the lines are doubted, the path counts
])
def test_model_path_veering_into_an_adjacent_lane_is_not_followed(left_lane, follows_path):
    h = Harness().engage()
    h.per = perception(prob=0.95, left_lane=left_lane)
    h.per.path_x_m = np.linspace(0.0, 100.0, 21)
    h.per.path_y_m = np.clip(0.05 * (h.per.path_x_m - 5.0), 0.0, 3.5)  # 1 m left at 25 m, a lane at 75 m
    h.run()
    y_20m = float(np.interp(20.0, h.traj.x_m, h.traj.y_m))
    assert (y_20m > 0.3) == follows_path, y_20m


def test_unmarked_two_way_road_keeps_right():
    # 5 m road, 1.85 m car: the keep-side half's middle is 1.25 m from the middle; with no one
    # coming the car drives 0.5 m clear of the edge (1.075 m from the middle), never jumping there.
    h = Harness(speed=8.0).engage()
    h.per = perception(width_m=5.0, left_lane=False, right_lane=False)
    h.run()
    assert -1.25 <= h.traj.y_m[0] < -1.2
    h.run(2.0)
    assert h.traj.y_m[0] == pytest.approx(-1.075, abs=0.01)
    oncoming = Lead(distance_m=100.0, relative_speed_mps=-20.0, lateral_offset_m=0.0, probability=0.9)
    h.per = perception(width_m=5.0, left_lane=False, right_lane=False, lead_left=oncoming)  # meets in 5 s
    h.run(1.0)
    assert h.traj.y_m[0] == pytest.approx(-1.25, abs=0.01)
    h.per = perception(width_m=5.0, left_lane=False, right_lane=False)  # beside: the camera lost it
    h.run(1.5)
    assert h.traj.y_m[0] == pytest.approx(-1.25, abs=0.01)
    h.run(2.0)
    assert h.traj.y_m[0] == pytest.approx(-1.075, abs=0.01)
    h = Harness(keep_side="left", speed=8.0).engage()
    h.per = perception(width_m=5.0, left_lane=False, right_lane=False)
    h.run(2.0)
    assert h.traj.y_m[0] == pytest.approx(1.075, abs=0.01)
    h.per = perception(width_m=3.5, left_lane=False, right_lane=False)  # one-way width: the middle
    h.run()
    assert h.traj.y_m[0] == pytest.approx(0.0, abs=0.01)


def test_a_frame_without_the_far_edge_keeps_the_two_way_place():
    # Hairpin: the model sees the left edge to 0 m for a few frames; the road is still two-way.
    h = Harness(speed=8.0).engage()
    h.per = perception(width_m=5.0, left_lane=False, right_lane=False)
    h.run(2.0)
    place = h.traj.y_m[0]
    blind = perception(width_m=5.0, left_lane=False, right_lane=False)
    blind.lane_lines[1] = LaneLine()  # no left edge: no measured width
    h.per = blind
    h.run(0.3)
    assert h.traj.y_m[0] == pytest.approx(place, abs=0.05)


@pytest.mark.parametrize("bad", [
    Perception(lane_lines=[LaneLine(np.array([np.nan, 0, 0, 0]), 0, 80, 0.9, LineType.DASHED)] * 4,
               confidence=math.nan, lead=Lead(math.nan, math.nan, math.nan, math.nan)),
    Perception(lane_lines=[], confidence=0.9),
    Perception(lane_lines=["junk", None], path_x_m=np.array([0.0, np.inf]), path_y_m=np.zeros(2), confidence=0.9),
    None,
])
def test_malformed_input_never_raises(bad):
    h = Harness().engage()
    h.per = bad
    h.ego = EgoState(speed_mps=math.nan, yaw_rate_radps=math.inf)
    h.run(1.5)
    traj, status, intent = h.out
    assert all(np.all(np.isfinite(a)) for a in (traj.x_m, traj.y_m, traj.speed_mps, traj.curvature_1pm))
    assert status.mode == Mode.TAKEOVER_REQUESTED and status.reason


def test_events_are_bounded_and_drained():
    h = Harness(max_events=3).engage()
    for _ in range(3):
        h.run(steering_torque_nm=3.0)
        h.run(1.2)
    events = h.mm.drain_events()
    assert len(events) == 3 and all(e.reason for e in events)
    assert h.mm.drain_events() == []


# -- driver lane change (R79 category C) ---------------------------------------------------------

def test_driver_lane_change_timing_and_indicator():
    h = Harness().engage()
    t0 = h.t
    h.run(0.1, lever=Lever.LEFT)
    h.run(8.0)
    assert h.first(lambda tr, st, it: st.mode == Mode.LANE_CHANGE) == pytest.approx(t0)
    t_exec = h.first(lambda tr, st, it: st.lane_change_phase == LaneChangePhase.EXECUTE)
    t_done = h.first(lambda tr, st, it: st.lane_change_phase == LaneChangePhase.COMPLETE)
    t_keep = h.first(lambda tr, st, it: tr.turn_signal == TurnSignal.OFF and st.mode == Mode.LANE_KEEP)
    assert 1.0 <= t_exec - t0 <= 5.0
    assert t_done - t_exec <= 5.0
    assert t_keep - t_done <= 0.5
    for t, tr, st, it in h.history:
        if t0 <= t < t_done:
            assert tr.turn_signal == TurnSignal.LEFT and it.intent == IntentKind.CHANGE_LEFT
            assert st.lane_change_trigger == LaneChangeTrigger.DRIVER and st.lane_change_direction == 1
        if t_exec - 0.3 < t < t_exec:
            assert tr.y_m[0] == pytest.approx(0.0, abs=1e-6)  # no lateral motion before EXECUTE
    assert h.status.reason == "lane change complete"
    assert h.intent.intent == IntentKind.KEEP_LANE


def _change_right_until_execute() -> Harness:
    h = Harness().engage()
    h.run(0.1, lever=Lever.RIGHT)
    while h.status.lane_change_phase != LaneChangePhase.EXECUTE:
        assert h.t < 10.0
        h.run()
    return h


def test_a_re_index_blended_over_frames_moves_the_target_once():
    # The model hands over from the old lane's lines to the new lane's over 5 frames, 0.4 m a
    # frame: no frame-to-frame jump is near a lane width, yet the car has crossed.
    h = _change_right_until_execute()
    for offset_m in (-0.4, -0.8, -1.3):         # towards the right line (at -1.75 - offset)
        h.per = perception(offset_m=offset_m)
        h.run()
    for offset_m in (-0.95, -0.55, -0.15, 0.25, 0.45, 0.45, 0.3):  # right line -0.8 .. -2.2
        h.per = perception(offset_m=offset_m)
        h.run()
    lc = h.mm.lane_change
    assert lc is not None and (lc.origin_rel, lc.target_rel) == (1, 0)
    h.per = perception(offset_m=1.6)           # a later jump (a bad fit) moves nothing further
    h.run()
    h.per = perception(offset_m=0.2)
    h.run()
    assert (lc.origin_rel, lc.target_rel) == (1, 0)


def test_line_noise_while_approaching_the_crossed_line_is_no_re_index():
    h = _change_right_until_execute()
    for offset_m in (-0.3, -0.7, -0.4, -1.0, -0.7, -1.2, -0.95):  # +-0.3 m jitter on the way over
        h.per = perception(offset_m=offset_m)
        h.run()
    lc = h.mm.lane_change
    assert lc is not None and (lc.origin_rel, lc.target_rel) == (0, -1)


@pytest.mark.parametrize("setup, reason", [
    (lambda h: setattr(h, "per", perception(types=(LineType.SOLID, LineType.DASHED))), "solid line"),
    (lambda h: setattr(h, "per", perception(left_lane=False)), "no adjacent lane"),
    (lambda h: setattr(h, "per", perception(lead_left=Lead(60.0, -45.0, 3.5, 0.9))), "no adjacent lane"),
    (lambda h: setattr(h, "ego", EgoState(speed_mps=4.0)), "speed below minimum"),
    (lambda h: setattr(h, "per", perception(confidence=0.4)), "low model confidence"),
    (lambda h: setattr(h, "rear", rear(available=False)), "unsafe gap: no rear sensing"),
])
def test_driver_request_refusals(setup, reason):
    h = Harness().engage()
    setup(h)
    h.run(0.1, lever=Lever.LEFT)
    assert h.status.mode == Mode.LANE_KEEP
    assert reason in h.status.last_refusal and "by driver" in h.status.last_refusal
    assert h.traj.turn_signal == TurnSignal.OFF


def test_refusal_while_takeover_warning_active():
    h = Harness().engage()
    h.takeover = TakeoverDemand(level=TakeoverLevel.AUDIBLE, reason="eyes off")
    h.run(0.1, lever=Lever.LEFT)
    assert h.status.mode == Mode.TAKEOVER_REQUESTED
    assert "takeover warning active" in h.status.last_refusal


def test_takeover_warning_cancels_a_preparing_lane_change():
    h = Harness().engage()
    h.run(0.1, lever=Lever.LEFT)
    h.takeover = TakeoverDemand(level=TakeoverLevel.VISUAL)
    h.run()
    assert h.status.mode == Mode.TAKEOVER_REQUESTED and h.status.last_refusal == "takeover warning active"
    assert h.mm.lane_change is None


def test_a_reason_not_to_go_must_hold_before_a_prepared_lane_change_is_dropped():
    h = Harness().engage()
    h.run(0.1, lever=Lever.LEFT)
    h.per = perception(confidence=0.05)   # one noisy stretch shorter than prepare_refusal_hold_s
    h.run(0.5)
    assert h.mm.lane_change is not None and h.status.mode == Mode.LANE_CHANGE
    h.per = perception()
    h.run(0.1)
    h.per = perception(confidence=0.05)   # now it holds
    h.run(0.9)
    assert h.mm.lane_change is not None
    h.run(0.2)
    assert h.mm.lane_change is None and h.status.last_refusal.endswith("low model confidence")


def test_unsafe_gap_until_deadline_is_refused():
    h = Harness().engage()
    h.rear = rear(blind_spot_left=True)
    t0 = h.t
    h.run(0.1, lever=Lever.LEFT)
    h.run(6.0)
    t_end = h.first(lambda tr, st, it: st.mode == Mode.LANE_KEEP and st.last_refusal)
    assert t_end - t0 == pytest.approx(5.0, abs=0.1)
    assert "unsafe gap: vehicle in blind spot" in h.status.last_refusal
    assert all(st.lane_change_phase != LaneChangePhase.EXECUTE for _, _, st, _ in h.history)


def test_opposite_lever_cancels_in_prepare():
    h = Harness().engage()
    h.run(0.5, lever=Lever.LEFT)
    h.run(lever=Lever.NONE)
    h.run(lever=Lever.RIGHT)
    assert h.status.mode == Mode.LANE_KEEP and "driver cancelled" in h.status.reason


def _execute_then_unsafe(after_s: float) -> Harness:
    h = Harness().engage()
    h.run(0.1, lever=Lever.LEFT)
    h.run(1.5)
    assert h.status.lane_change_phase == LaneChangePhase.EXECUTE
    h.run(after_s - 0.1)
    h.rear = rear(blind_spot_left=True)
    h.run(0.5)
    return h


def _returns_to_origin(h: Harness, outcome: str) -> None:
    """The return is part of the manoeuvre (corridor spans both lanes), indicator off, then LANE_KEEP."""
    assert h.status.mode == Mode.LANE_CHANGE and f"lane change {outcome}, returning" in h.status.reason
    assert h.status.lane_change_phase == LaneChangePhase.EXECUTE and h.status.lane_change_direction == 1
    assert h.traj.turn_signal == TurnSignal.OFF and h.intent.intent == IntentKind.KEEP_LANE
    h.run(6.0)
    assert h.status.mode == Mode.LANE_KEEP and h.status.reason == f"back in the origin lane, lane change {outcome}"
    assert h.mm.lane_change is None and h.traj.y_m[0] == pytest.approx(0.0, abs=0.01)
    sigma_peak = max(float(tr.y_m[0]) for _, tr, _, _ in h.history[-130:])
    assert sigma_peak < 3.5 * 0.5  # the return never carries the car over the line


def test_cancel_while_still_in_own_lane():
    h = _execute_then_unsafe(0.5)
    _returns_to_origin(h, "cancelled")


def test_abort_back_to_origin_lane():
    h = _execute_then_unsafe(1.45)
    assert h.traj.y_m[0] > 0.8
    _returns_to_origin(h, "aborted")


def test_no_abort_once_past_the_line():
    h = _execute_then_unsafe(2.6)
    assert h.status.mode == Mode.LANE_CHANGE
    h.run(3.0)
    assert h.status.reason == "lane change complete"


def test_one_unsafe_cycle_does_not_cancel():
    h = Harness().engage()
    h.run(0.1, lever=Lever.LEFT)
    h.run(2.0)
    h.rear = rear(blind_spot_left=True)
    h.run(DT * 3)
    h.rear = rear()
    h.run(5.0)
    assert h.status.reason == "lane change complete"


# -- system-initiated lane changes (R171) --------------------------------------------------------

def slow_lead(v_lead: float = 18.0, ego: float = 25.0, **kw) -> Perception:
    return perception(lead=Lead(50.0, v_lead - ego, 0.0, 0.9), **kw)


def test_slow_lead_overtake_indicator_3s_before_motion():
    h = Harness().engage()
    h.per = slow_lead()
    h.run(12.0)
    t_req = h.first(lambda tr, st, it: st.mode == Mode.LANE_CHANGE)
    t_exec = h.first(lambda tr, st, it: st.lane_change_phase == LaneChangePhase.EXECUTE)
    assert t_exec - t_req >= 3.0
    assert all(tr.turn_signal == TurnSignal.LEFT for t, tr, st, it in h.history if t_req <= t < t_exec)
    st = next(st for t, tr, st, it in h.history if t == t_req)
    assert st.lane_change_trigger == LaneChangeTrigger.SLOW_LEAD and st.lane_change_direction == 1


def test_slow_lead_below_gain_threshold_does_not_trigger():
    h = Harness().engage()
    h.per = slow_lead(v_lead=23.0, right_lane=False)
    h.run(10.0)
    assert all(st.mode != Mode.LANE_CHANGE for _, _, st, _ in h.history)


def test_no_system_lane_change_while_takeover_warning_active():
    h = Harness().engage()
    h.per = slow_lead()
    h.takeover = TakeoverDemand(level=TakeoverLevel.VISUAL)
    h.run(10.0)
    assert all(st.mode != Mode.LANE_CHANGE for _, _, st, _ in h.history)


def test_keep_right_return():
    h = Harness().engage()
    h.per = perception(left_lane=False)
    h.run(12.0)
    st = next(st for _, _, st, _ in h.history if st.mode == Mode.LANE_CHANGE)
    assert st.lane_change_trigger == LaneChangeTrigger.KEEP_RIGHT and st.lane_change_direction == -1


def test_no_return_into_a_slow_keep_side_lane():
    h = Harness().engage()
    h.per = perception(left_lane=False, lead_right=Lead(40.0, -6.0, -3.5, 0.9))
    h.run(12.0)
    assert all(st.mode != Mode.LANE_CHANGE for _, _, st, _ in h.history)


def test_keep_left_convention_overtakes_right():
    h = Harness(keep_side="left").engage()
    h.per = slow_lead()
    h.run(8.0)
    st = next(st for _, _, st, _ in h.history if st.mode == Mode.LANE_CHANGE)
    assert st.lane_change_direction == -1


def drive_toward_lane_end(h: Harness, end_m: float, seconds: float) -> list:
    """Step `h` while its right road edge closes in to 2 m of lane width `end_m` ahead at the
    start, that point coming closer at the harness speed (a real lane end); the steps' history."""
    start = len(h.history)
    for i in range(int(round(seconds / DT))):
        ahead_m = max(end_m - h.ego.speed_mps * DT * i, 5.0)
        h.per.lane_lines[2].coefficients = np.array([-1.75, 0.0, 1.5 / ahead_m**2, 0.0])
        h.run()
    return h.history[start:]


def test_lane_end_triggers_change_away_from_the_converging_line():
    h = Harness(speed=10.0).engage()
    h.per = perception(right_lane=False)
    steps = drive_toward_lane_end(h, 70.0, 4.0)
    st = next(st for _, _, st, _ in steps if st.mode == Mode.LANE_CHANGE)
    assert st.lane_change_trigger == LaneChangeTrigger.LANE_END and st.lane_change_direction == 1


def test_a_lane_end_that_moves_with_the_car_is_no_lane_end():
    # The model's far lines can converge at a fixed distance ahead, frame after frame.
    h = Harness(speed=10.0).engage()
    per = perception(right_lane=False)
    per.lane_lines[2].coefficients = np.array([-1.75, 0.0, 1.5 / 60.0**2, 0.0])
    h.per = per
    h.run(8.0)
    assert all(st.mode == Mode.LANE_KEEP for _, _, st, _ in h.history[-150:])
    assert all(tr.accel_mps2[1] > -0.1 for _, tr, _, _ in h.history[-150:])


def test_a_lane_end_is_approached_slowly_until_the_lane_change_begins():
    # At 15 m/s the change moves sideways 5.5 s after the end is confirmed (2 s trigger hold, 3.5 s
    # indicator), 83 m on: with the end first seen 80 m ahead the plan brakes toward
    # lane_end_speed_mps while it waits.
    h = Harness(speed=15.0).engage()
    h.per = perception(right_lane=False)
    steps = drive_toward_lane_end(h, 120.0, 9.5)
    waiting = [tr for _, tr, st, _ in steps if st.lane_change_phase == LaneChangePhase.PREPARE][10:]
    assert waiting and any(st.lane_change_phase == LaneChangePhase.EXECUTE for _, _, st, _ in steps)
    assert all(tr.accel_mps2[1] < -1.0 for tr in waiting)


def test_blocked_lane_triggers_change():
    h = Harness().engage()
    h.per = perception(lead=Lead(70.0, -25.0, 0.0, 0.9))
    h.run(6.0)
    st = next(st for _, _, st, _ in h.history if st.mode == Mode.LANE_CHANGE)
    assert st.lane_change_trigger == LaneChangeTrigger.BLOCKED and st.lane_change_direction == 1


def test_system_refusal_is_recorded_once_per_hold():
    h = Harness().engage()
    h.per = slow_lead(types=(LineType.SOLID, LineType.DASHED))
    h.run(4.5)
    refusals = [e for e in h.mm.drain_events() if e.reason.startswith("refused")]
    assert 1 <= len(refusals) <= 2 and "solid line" in refusals[0].reason and "system (slow_lead)" in refusals[0].reason


def test_driver_request_supersedes_a_preparing_system_lane_change():
    h = Harness().engage()
    h.per = perception(left_lane=True)
    h.run(2.5)  # keep-right return preparing
    assert h.status.lane_change_trigger == LaneChangeTrigger.KEEP_RIGHT
    h.run(lever=Lever.LEFT)
    assert h.status.mode == Mode.LANE_CHANGE and h.status.lane_change_trigger == LaneChangeTrigger.DRIVER
    assert h.status.lane_change_direction == 1 and "superseded" in h.status.last_refusal


def test_invalid_ego_state_requests_takeover():
    h = Harness().engage()
    h.ego = EgoState(speed_mps=math.nan)
    h.run()
    assert h.status.mode == Mode.TAKEOVER_REQUESTED and "invalid vehicle state" in h.status.reason
    assert np.all(np.isfinite(h.traj.speed_mps))
    h.ego = EgoState(speed_mps=25.0)
    h.run()
    assert h.status.mode == Mode.LANE_KEEP


def test_no_discretionary_lane_change_below_motorway_speed():
    """Overtaking and keep-right need motorway-like speed: the other lane may carry oncoming traffic."""
    h = Harness(speed=12.0).engage()
    h.per = slow_lead(v_lead=6.0, ego=12.0)
    h.run(10.0)
    assert all(st.mode != Mode.LANE_CHANGE for _, _, st, _ in h.history)
    h.per = perception(lead=Lead(40.0, -12.0, 0.0, 0.9))  # a stopped car: the mandatory change still happens
    h.run(4.0)
    assert any(st.lane_change_trigger == LaneChangeTrigger.BLOCKED for _, _, st, _ in h.history)
