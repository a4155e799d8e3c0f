"""Small-road nudging past a stopped vehicle, or stop behind it and request a takeover."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from planning_fixtures import driver, rear

from lcc_plus.common.types import EgoState, LaneLine, Lead, LineType, Mode, Perception, TakeoverDemand
from lcc_plus.planning.mode_manager import ModeManager
from lcc_plus.planning.nudge import (
    CRAWL_SPEED_MPS,
    RAMP_HEADING_MAX_RAD,
    RAMP_HEADING_RAD,
    NudgePass,
    choose_offset,
    pass_clearance_m,
    waiting_gap_m,
)
from lcc_plus.planning.params import ModeManagerParams

DT = 0.05
P = ModeManagerParams.from_config()


def small_road(centre_line: LineType = LineType.DASHED, curvature_1pm: float = 0.0) -> list[LaneLine]:
    """One lane each way: the ego lane's left line is the centre line, no adjacent lane seen."""
    def line(c0: float, kind: LineType) -> LaneLine:
        return LaneLine(np.array([c0, 0.0, 0.5 * curvature_1pm, 0.0]), 0.0, 60.0, 0.9, kind)
    return [LaneLine(), line(1.75, centre_line), line(-1.75, LineType.ROAD_EDGE), LaneLine()]


def drive_past(obstacle_offset_m, oncoming: Lead | None = None, centre_line=LineType.DASHED,
               seconds: float = 20.0, speed: float = 12.0, model_path_y_m: float | None = None,
               seen=lambda t_s: True, curvature_1pm: float = 0.0, obstacle_at_m: float = 60.0,
               model_path_reach_m: float = 80.0, range_noise_m=lambda k: 0.0):
    """Ego follows its plan's speed exactly; the obstacle stands `obstacle_at_m` ahead at
    `obstacle_offset_m` (or that function of t_s), perceived while `seen(t_s)`; the model's path (if any) is straight at
    `model_path_y_m` out to `model_path_reach_m`. `oncoming`: the passing side's Lead, or a
    function of (t_s, odometer_m, speed_mps) giving it; `range_noise_m(k)` is added to the
    obstacle's range in frame k."""
    mm = ModeManager(P)
    v, odo, t = speed, 0.0, 0.0
    log = []
    for k in range(int(seconds / DT)):
        gap = obstacle_at_m - odo
        offset_m = obstacle_offset_m(t) if callable(obstacle_offset_m) else obstacle_offset_m
        lead = Lead(gap + range_noise_m(k), -v, offset_m, 0.9) if gap > -1.0 and seen(t) else Lead()
        left = oncoming(t, odo, v) if callable(oncoming) else oncoming or Lead()
        per = Perception(lane_lines=small_road(centre_line, curvature_1pm), lead=lead, lead_left=left, confidence=0.9)
        if model_path_y_m is not None:
            per.path_x_m, per.path_y_m = np.linspace(0.0, model_path_reach_m, 17), np.full(17, model_path_y_m)
        traj, st, _ = mm.step(t, EgoState(speed_mps=v), driver(engage_request=k == 1, set_speed_mps=speed), per,
                              rear(), TakeoverDemand())
        if len(traj.t_s):
            v = float(np.interp(DT, traj.t_s, traj.speed_mps))
        odo += v * DT
        t += DT
        log.append((t, gap, v, traj, st))
    return mm, log


def offset_alongside(log) -> float:
    """Planned lateral offset where the obstacle is, read from plans made while approaching it."""
    ys = [float(np.interp(gap, tr.x_m, tr.y_m)) for _, gap, _, tr, _ in log if 5.0 < gap < 40.0 and len(tr.t_s)]
    return float(np.median(ys))


def test_nudge_inside_the_lane_past_a_parked_car():
    mm, log = drive_past(-1.6)  # parked mostly on the verge
    need = -1.6 + 0.5 * P.nudge_obstacle_width_m + P.nudge_clearance_m + 0.5 * P.vehicle_width_m
    assert offset_alongside(log) == pytest.approx(need, abs=0.05)
    assert need <= 0.5 * 3.5 - 0.5 * P.vehicle_width_m + P.nudge_line_overlap_m
    assert all(st.mode == Mode.LANE_KEEP for _, _, _, _, st in log[2:])
    passing = [v for _, gap, v, _, _ in log if -5.0 < gap < 5.0]
    assert max(passing) <= P.nudge_speed_mps + 0.3
    assert log[-1][3].y_m[0] == pytest.approx(0.0, abs=0.05)  # back to the lane centre after the pass
    assert any("passing stopped vehicle inside the lane" in e.reason for e in mm.drain_events())


def test_nudge_into_the_free_road_when_no_oncoming_traffic():
    mm, log = drive_past(0.0)
    need = 0.5 * P.nudge_obstacle_width_m + P.nudge_clearance_m + 0.5 * P.vehicle_width_m
    assert offset_alongside(log) == pytest.approx(need, abs=0.05)
    assert any("free road" in e.reason for e in mm.drain_events())
    assert all(st.mode == Mode.LANE_KEEP for _, _, _, _, st in log[2:])


def oncoming_stream(ground_mps: float = 12.0, spacing_m: float = 100.0):
    """Oncoming cars `spacing_m` apart at `ground_mps`, each seen from `spacing_m` away."""
    def lead(t_s: float, odo_m: float, speed_mps: float) -> Lead:
        return Lead(spacing_m - (ground_mps * t_s + odo_m) % spacing_m, -ground_mps - speed_mps, 3.5, 0.9)
    return lead


def approaching(start_m: float, ground_mps: float = 10.0):
    """One oncoming car `start_m` ahead at `ground_mps`, seen until it meets the car; and the
    time it meets the obstacle `obstacle_at_m` ahead, from a drive_past log."""
    def lead(t_s: float, odo_m: float, speed_mps: float) -> Lead:
        range_m = start_m - ground_mps * t_s - odo_m
        return Lead(range_m, -ground_mps - speed_mps, 3.5, 0.9) if range_m > 0.0 else Lead()

    def met_s(log, obstacle_at_m: float) -> float:
        return next(t for t, gap, _, _, _ in log if start_m - ground_mps * t - (obstacle_at_m - gap) <= 0.0)
    return lead, met_s


@pytest.mark.parametrize("oncoming, centre_line, path_y, why", [
    (oncoming_stream(), LineType.DASHED, None, "oncoming traffic too close"),
    (None, LineType.ROAD_EDGE, None, "no free road"),
    (None, LineType.DASHED, 0.0, "the model does not pass it"),
])
def test_stop_behind_and_request_takeover(oncoming, centre_line, path_y, why):
    mm, log = drive_past(0.0, oncoming=oncoming, centre_line=centre_line, seconds=20.0, model_path_y_m=path_y)
    t, gap, v, traj, st = log[-1]
    assert v < 0.2 and gap >= P.standstill_gap_m - 0.5
    assert st.mode == Mode.TAKEOVER_REQUESTED and why in st.reason
    assert mm.takeover_request_reason == st.reason
    assert max(abs(float(np.interp(g, tr.x_m, tr.y_m))) for _, g, _, tr, _ in log if g > 5 and len(tr.t_s)) < 0.05


def test_an_oncoming_car_the_camera_lost_still_holds_the_pass_back_until_it_has_gone_by():
    # unmarked_lane: the oncoming car went out of the model's lead slot 4 s before it met the car
    # (hidden behind the parked car on the bend), and the pass into its half began the next frame.
    ground_mps, start_m, lost_s = 10.0, 76.0, 1.0

    def oncoming(t_s: float, odo_m: float, speed_mps: float) -> Lead:
        range_m = start_m - ground_mps * t_s - odo_m
        return Lead(range_m, -ground_mps - speed_mps, 3.5, 0.9) if t_s < lost_s else Lead()

    obstacle_at_m = 45.0
    mm, log = drive_past(0.0, oncoming=oncoming, obstacle_at_m=obstacle_at_m, seconds=12.0, speed=6.0)
    met_s = next(t for t, gap, _, _, _ in log if start_m - ground_mps * t - (obstacle_at_m - gap) <= 0.0)
    passes = [e.stamp_s for e in mm.drain_events() if e.reason.startswith("nudge")]
    assert passes, "the pass is made once the oncoming car has gone by"
    assert met_s - 0.5 <= passes[0] <= met_s + 1.0, (met_s, passes)


def test_a_pass_not_begun_is_dropped_at_once_when_an_oncoming_car_comes_into_view():
    def oncoming(t_s: float, odo_m: float, speed_mps: float) -> Lead:
        return Lead(130.0 - 10.0 * t_s - odo_m, -10.0 - speed_mps, 3.5, 0.9) if t_s >= 0.5 else Lead()

    mm, log = drive_past(0.0, oncoming=oncoming, obstacle_at_m=70.0, seconds=3.0)
    events = [(e.stamp_s, e.reason) for e in mm.drain_events()]
    planned = next(t for t, r in events if r.startswith("nudge"))
    dropped = next(t for t, r in events if r.startswith("pass dropped before it began"))
    assert planned < 0.5 <= dropped <= 0.55
    assert "oncoming traffic too close" in dict(events)[dropped]
    assert max(abs(float(tr.y_m[0])) for _, _, _, tr, _ in log if len(tr.t_s)) < 0.05


def test_waiting_for_oncoming_traffic_it_stops_with_room_to_pull_out_and_passes_once_it_has_gone_by():
    # At the standstill gap (4 m) no pass fits: the car could only have asked the driver.
    obstacle_at_m = 45.0
    oncoming, meets = approaching(140.0)
    mm, log = drive_past(0.0, oncoming=oncoming, obstacle_at_m=obstacle_at_m, seconds=30.0, speed=6.0)
    met_s = meets(log, obstacle_at_m)
    need = 0.5 * P.nudge_obstacle_width_m + pass_clearance_m(P, 0.0) + 0.5 * P.vehicle_width_m  # from a standstill
    assert min(gap for t, gap, _, _, _ in log if t < met_s) >= waiting_gap_m(P, need) - 1.0
    assert met_s > 9.0 and all(st.mode == Mode.LANE_KEEP for _, _, _, _, st in log[2:])
    passes = [(e.stamp_s, e.reason) for e in mm.drain_events() if e.reason.startswith("nudge")]
    assert passes and met_s <= passes[0][0] <= met_s + 1.0
    assert passes[0][1].startswith(f"nudge {need:+.2f} m: passing stopped vehicle using the free road")


def test_a_model_path_showing_the_pass_does_not_pull_the_car_out_while_it_waits_for_oncoming_traffic():
    # Blended in while waiting, a model path out beside the parked car made the corridor look free:
    # the car drove round it at 6 m/s, reaching it with the oncoming car 20 m away.
    obstacle_at_m = 45.0
    oncoming, meets = approaching(140.0)
    mm, log = drive_past(0.0, oncoming=oncoming, obstacle_at_m=obstacle_at_m, seconds=30.0, speed=6.0,
                         model_path_y_m=2.6)
    met_s = meets(log, obstacle_at_m)
    passes = [e.stamp_s for e in mm.drain_events() if e.reason.startswith("nudge")]
    assert passes and met_s <= passes[0] <= met_s + 1.0
    waiting = [tr for t, _, _, tr, _ in log if 2.0 < t < passes[0] and len(tr.t_s)]
    assert waiting and max(abs(float(np.interp(5.0, tr.x_m, tr.y_m))) for tr in waiting) < 0.05


def test_a_pass_planned_after_a_long_wait_is_given_its_pull_out_before_the_driver_is_asked():
    # unmarked_lane s32: stood 9.5 s for an oncoming car, then the pass was planned, and the
    # "stopped behind the vehicle the pass was planned for" request came 0.5 s later, counted from
    # the stop rather than from the plan, while the car pulled out from its standstill.
    mm, log = drive_past(0.0, oncoming=approaching(150.0)[0], obstacle_at_m=45.0, seconds=35.0, speed=6.0)
    stood = next(t for t, _, v, _, _ in log if v < P.stopped_speed_mps)
    events = [(e.stamp_s, e.reason) for e in mm.drain_events()]
    planned = next(t for t, r in events if r.startswith("nudge"))
    assert planned - stood > P.nudge_wait_max_s - 1.0, "the case: a pass planned late in the wait"
    assert not any("takeover" in r for _, r in events), events
    assert min(gap for _, gap, _, _, _ in log) < -5.0  # it drove past


def test_the_place_to_wait_at_holds_through_a_flickering_stopped_reading():
    # urban_hard_brake: a lead braking through the stopped threshold read stopped and moving on
    # alternate frames, and the 20 m hold-back came and went with it (jerk 2.5 -> 3.5 m/s^3).
    mm, stream, v = ModeManager(P), oncoming_stream(), 3.0
    planned = []
    for k in range(40):
        t = k * DT
        lead_mps = 0.9 if k % 2 else 1.1  # either side of stopped_speed_mps
        per = Perception(lane_lines=small_road(), lead=Lead(45.0 - v * t, lead_mps - v, 0.0, 0.9),
                         lead_left=stream(t, v * t, v), confidence=0.9)
        traj, _, _ = mm.step(t, EgoState(speed_mps=v), driver(engage_request=k == 1, set_speed_mps=v), per, rear(),
                             TakeoverDemand())
        if k >= 4:
            planned.append(float(np.interp(2.0, traj.t_s, traj.speed_mps)))
    assert max(abs(b - a) for a, b in zip(planned, planned[1:])) < 0.3  # 0.85 m/s frame to frame without the hold


def test_traffic_that_brakes_to_a_stop_is_followed_to_the_standstill_gap_and_waited_for():
    # urban_hard_brake: held 25 m back like a parked car, the car stopped twice behind a lead
    # that crept on at 1 m/s. A lead seen moving is traffic: the usual gap, and no request at once.
    mm, stream = ModeManager(P), oncoming_stream()
    v, odo, lead_at, lead_v = 8.0, 0.0, 30.0, 8.0
    log = []
    for k in range(int(16.0 / DT)):
        t = k * DT
        lead_v = max(lead_v - 4.0 * DT, 0.0) if t > 1.0 else lead_v
        lead_at += lead_v * DT
        gap = lead_at - odo
        per = Perception(lane_lines=small_road(), lead=Lead(gap, lead_v - v, 0.0, 0.9), lead_left=stream(t, odo, v),
                         confidence=0.9)
        traj, st, _ = mm.step(t, EgoState(speed_mps=v), driver(engage_request=k == 1, set_speed_mps=8.0), per,
                              rear(), TakeoverDemand())
        v = float(np.interp(DT, traj.t_s, traj.speed_mps)) if len(traj.t_s) else v
        odo += v * DT
        log.append((t, gap, v, st))
    stood = next(t for t, _, v_, _ in log if v_ < P.stopped_speed_mps)
    assert log[-1][1] < P.standstill_gap_m + 2.0, "followed up to the usual gap, not a waiting place 20 m back"
    assert all(st.mode == Mode.LANE_KEEP for t, _, _, st in log[2:] if t < stood + P.nudge_wait_max_s - 0.5)


def test_a_passing_side_that_stays_in_use_ends_in_a_takeover_request_after_the_wait():
    mm, log = drive_past(0.0, oncoming=oncoming_stream(), seconds=30.0)
    stood = next(t for t, _, v, _, _ in log if v < P.stopped_speed_mps)
    asked = next(t for t, _, _, _, st in log if st.mode == Mode.TAKEOVER_REQUESTED)
    assert asked - stood == pytest.approx(P.nudge_wait_max_s, abs=0.1)
    assert "oncoming traffic too close" in log[-1][4].reason


def test_no_pass_where_the_road_bends_sharply():
    # A hairpin-like bend (R 25 m): the pass is offset along x, built for gentle bends; wait instead.
    mm, log = drive_past(0.0, curvature_1pm=0.04, speed=6.0)
    t, gap, v, traj, st = log[-1]
    assert v < 0.5 and st.mode == Mode.TAKEOVER_REQUESTED and "bend too sharp to pass" in st.reason
    assert not any("passing" in e.reason or "nudge" in e.reason for e in mm.drain_events())


def test_a_pass_planned_for_a_vehicle_no_longer_seen_is_dropped_before_it_begins():
    # A false detection far ahead (seen for the first second only): the pass planned for it must
    # not start 3 s later for nothing.
    mm, log = drive_past(0.0, seen=lambda t_s: t_s < 1.0, seconds=8.0, obstacle_at_m=90.0)
    reasons = [e.reason for e in mm.drain_events()]
    assert any("free road" in r for r in reasons)
    assert any(r == "pass dropped before it began: no stopped vehicle ahead any more" for r in reasons)
    assert mm.nudge is None
    assert max(abs(float(tr.y_m[0])) for _, _, _, tr, _ in log if len(tr.t_s)) < 0.05


def test_a_one_frame_gap_in_the_detection_keeps_the_pass():
    mm, log = drive_past(0.0, seen=lambda t_s: not 1.0 <= t_s < 1.05)
    need = 0.5 * P.nudge_obstacle_width_m + P.nudge_clearance_m + 0.5 * P.vehicle_width_m
    assert offset_alongside(log) == pytest.approx(need, abs=0.05)
    assert not any("dropped" in e.reason for e in mm.drain_events())


def test_the_pass_is_out_before_the_stopped_vehicle_or_not_planned():
    pass_ = NudgePass.plan(P, 100.0, 12.0, 60.0, 2.0, "test")
    out_before = P.nudge_out_before_s * P.nudge_speed_mps
    assert pass_.offset_at(np.array([100.0 + 60.0 - out_before]))[0] == pytest.approx(2.0)
    assert pass_.offset_at(np.array([pass_.ramp_start_odo_m]))[0] == pytest.approx(0.0)
    assert pass_.hold_end_odo_m > 160.0 + P.nudge_obstacle_length_m  # alongside until past it
    assert NudgePass.plan(P, 100.0, 12.0, pass_.ramp_m + out_before - 0.5, 2.0, "test") is None


@pytest.mark.parametrize("speed_mps", [0.0, 1.0, 3.0, 8.0])
def test_a_ramp_is_never_steeper_than_the_heading_limit(speed_mps):
    # From a crawl the curvature limit alone gave 24 degrees: the front corner swung over a 5 m road's edge.
    pass_ = NudgePass.plan(P, 0.0, speed_mps, 80.0, 2.3, "test")
    s = np.linspace(pass_.ramp_start_odo_m, pass_.hold_start_odo_m, 2001)
    slope = np.max(np.abs(np.gradient(pass_.offset_at(s), s)))
    assert slope <= math.tan(RAMP_HEADING_RAD) + 1e-3


def test_a_pull_out_a_few_metres_short_of_its_waiting_place_ramps_more_steeply_not_at_all():
    # The model's range at 25 m is metres off: a stop 3 m short of the waiting place still passes.
    gap = waiting_gap_m(P, 2.3) - 3.0
    pass_ = NudgePass.plan(P, 0.0, 0.0, gap, 2.3, "test")
    assert pass_ is not None
    s = np.linspace(pass_.ramp_start_odo_m, pass_.hold_start_odo_m, 2001)
    slope = np.max(np.abs(np.gradient(pass_.offset_at(s), s)))
    assert math.tan(RAMP_HEADING_RAD) < slope <= math.tan(RAMP_HEADING_MAX_RAD) + 1e-3
    assert NudgePass.plan(P, 0.0, 0.0, 12.0, 2.3, "test") is None  # too short even at the steepest


def test_the_pass_follows_a_bend_along_its_normal():
    radius_m, offset_m = 50.0, 2.0

    def lane(x: np.ndarray) -> np.ndarray:  # a left bend, flat past its quarter circle
        return radius_m - np.sqrt(np.maximum(radius_m**2 - np.asarray(x, dtype=float) ** 2, 0.0))
    pass_ = NudgePass(offset_m, 8.0, -100.0, -50.0, 100.0, 30.0, 30.0, "test")  # full offset all along
    x = np.linspace(0.0, 30.0, 7)
    y = pass_.applied_to(lane, 0.0)(x)
    # On the bend's inside, on the circle 2 m smaller: not 2 m up in y, which narrows as the road turns.
    assert np.hypot(x, y - radius_m) == pytest.approx(radius_m - offset_m, abs=0.02)


def test_a_pass_on_a_5_m_two_way_road_keeps_its_edge_clearance_not_the_obstacle_clearance():
    # unmarked_lane: a car parked 0.15 m right of the keep-side half's middle of a 5 m road.
    parked = Lead(30.0, -5.0, -0.15, 1.0)
    choice = choose_offset(P, 2.5, 2.5, P.nudge_speed_mps, parked, Lead(), False, None)
    assert choice.reason == "passing stopped vehicle using the free road"
    left_edge_gap = 0.5 * 2.5 + 2.5 - (choice.offset_m + 0.5 * P.vehicle_width_m)
    assert P.nudge_edge_clearance_m <= left_edge_gap < P.nudge_clearance_m
    wider = replace(P, nudge_edge_clearance_m=P.nudge_clearance_m)
    assert choose_offset(wider, 2.5, 2.5, P.nudge_speed_mps, parked, Lead(), False, None).reason == \
        "stopped vehicle ahead: too wide to pass"


def test_a_pass_holds_on_past_a_second_parked_car_close_behind_the_first():
    first = NudgePass.plan(P, 0.0, 8.0, 60.0, 2.2, "test")
    gap_to_second = first.hold_end_odo_m + 5.0 - 50.0  # seen from odometer 50, close past the first
    held = first.held_past(P, 50.0, gap_to_second, 2.2)
    assert held is not None and held.hold_end_odo_m > first.hold_end_odo_m + 5.0 + P.nudge_obstacle_length_m
    assert held.offset_at(np.array([first.hold_end_odo_m + 10.0]))[0] == pytest.approx(2.2)
    assert first.held_past(P, 50.0, gap_to_second, 2.6) is None  # this offset does not clear it
    assert first.held_past(P, 50.0, gap_to_second, -2.2) is None
    past = first.hold_end_odo_m + 1.0  # already on the way back in
    assert first.held_past(P, past, first.hold_end_odo_m + 5.0 - past, 2.2) is None
    own = first.hold_end_odo_m + first.return_m + first.ramp_m + 20.0 - 50.0  # room for a pass of its own
    assert first.held_past(P, 50.0, own, 2.2) is None
    assert first.held_past(P, 50.0, 10.0, 2.2) is first  # the first car itself


def test_the_way_back_is_gentler_than_the_way_out():
    pass_ = NudgePass.plan(P, 0.0, 8.0, 60.0, 2.2, "test")
    assert pass_.return_m > pass_.ramp_m
    odo = np.linspace(0.0, pass_.hold_end_odo_m + pass_.return_m, 2000)
    slope = np.abs(np.gradient(pass_.offset_at(odo), odo))
    back = odo > pass_.hold_end_odo_m
    assert np.max(slope[back]) < 0.8 * np.max(slope[~back])
    assert not pass_.finished(pass_.hold_end_odo_m + pass_.ramp_m + 1.0)


def test_a_row_of_two_parked_cars_is_passed_in_one_go():
    mm = ModeManager(P)
    v, odo, t = 8.0, 0.0, 0.0
    cars_m = (60.0, 80.0)
    offsets, speeds = [], []
    for k in range(int(20.0 / DT)):
        ahead = [c - odo for c in cars_m if c - odo > -1.0]
        lead = Lead(ahead[0], -v, -1.6, 0.9) if ahead else Lead()
        per = Perception(lane_lines=small_road(), lead=lead, confidence=0.9)
        traj, _, _ = mm.step(t, EgoState(speed_mps=v), driver(engage_request=k == 1, set_speed_mps=8.0), per,
                             rear(), TakeoverDemand())
        if len(traj.t_s):
            v = float(np.interp(DT, traj.t_s, traj.speed_mps))
        odo += v * DT
        t += DT
        if 60.0 <= odo <= 85.0 and len(traj.t_s):
            offsets.append(float(traj.y_m[0]))
        speeds.append(v)
    need = -1.6 + 0.5 * P.nudge_obstacle_width_m + P.nudge_clearance_m + 0.5 * P.vehicle_width_m
    assert min(offsets) > need - 0.3  # out beside both, not back in between them
    assert min(speeds[40:]) > 6.0  # and no braking behind the second
    assert any("held on" in e.reason for e in mm.drain_events())


def test_a_model_path_short_of_the_pass_does_not_hold_it_back():
    """A pass the model's path did not reach (a slow car's path) follows its own offset, not the
    blend with that path; held back, its ramp ran on in distance while the car did not follow."""
    need = -1.6 + 0.5 * P.nudge_obstacle_width_m + P.nudge_clearance_m + 0.5 * P.vehicle_width_m
    _, log = drive_past(-1.6, model_path_y_m=0.0, model_path_reach_m=15.0)
    assert offset_alongside(log) == pytest.approx(need, abs=0.05)
    _, log = drive_past(-1.6, model_path_y_m=0.0)  # a path that reaches past it and keeps the lane
    assert offset_alongside(log) < need - 0.2


def test_a_slow_pass_keeps_the_slow_clearance_and_a_fast_one_the_full_clearance():
    assert pass_clearance_m(P, 0.0) == pytest.approx(P.nudge_slow_clearance_m)
    assert pass_clearance_m(P, CRAWL_SPEED_MPS) == pytest.approx(P.nudge_slow_clearance_m)
    assert pass_clearance_m(P, P.nudge_speed_mps) == pytest.approx(P.nudge_clearance_m)
    mid = pass_clearance_m(P, 0.5 * (CRAWL_SPEED_MPS + P.nudge_speed_mps))
    assert mid == pytest.approx(0.5 * (P.nudge_slow_clearance_m + P.nudge_clearance_m))
    # A pull-out from a standstill needs the smaller offset: the other half of a 5 m road has no more.
    parked = Lead(30.0, -5.0, -0.15, 1.0)
    slow = choose_offset(P, 2.5, 2.5, 0.0, parked, Lead(), False, None).offset_m
    fast = choose_offset(P, 2.5, 2.5, P.nudge_speed_mps, parked, Lead(), False, None).offset_m
    assert fast - slow == pytest.approx(P.nudge_clearance_m - P.nudge_slow_clearance_m)


def test_a_slow_clearance_above_the_full_one_is_refused():
    with pytest.raises(ValueError, match="nudge_slow_clearance_m"):
        ModeManagerParams.from_config({"nudge_slow_clearance_m": P.nudge_clearance_m + 0.1})


def test_the_same_vehicle_read_a_little_further_on_does_not_announce_a_new_hold_each_frame():
    # The model's range jumps metres from frame to frame; each reading past the hold's end had
    # announced "pass held on", and the repeats pushed the pass out of the 50-event queue.
    mm, log = drive_past(0.0, obstacle_at_m=70.0, range_noise_m=lambda k: 1.5 * (k % 3))
    reasons = [e.reason for e in mm.drain_events()]
    assert sum(r.startswith("nudge") for r in reasons) == 1
    assert not any(r.startswith("pass held on") for r in reasons)
    assert max(abs(float(np.interp(gap, tr.x_m, tr.y_m))) for _, gap, _, tr, _ in log
               if 0.0 < gap < 20.0 and len(tr.t_s)) > 2.0  # it did pass


def test_a_pass_that_turns_out_not_to_clear_stops_the_car_and_then_asks_the_driver():
    # stopped_vehicle: planned for a car read 1.6 m to the side, which then read in the lane's middle.
    mm, log = drive_past(lambda t: -1.6 if t < 1.0 else 0.0, obstacle_at_m=70.0, seconds=30.0, speed=6.0)
    reasons = [e.reason for e in mm.drain_events()]
    assert any(r.startswith("nudge") and "inside the lane" in r for r in reasons)
    assert min(gap for _, gap, _, _, _ in log) > 2.0  # stopped behind it
    asked = [t for t, _, _, _, st in log if st.mode == Mode.TAKEOVER_REQUESTED]
    stopped = next(t for t, _, v, _, _ in log if v < P.stopped_speed_mps)
    assert asked and asked[0] == pytest.approx(stopped + P.nudge_wait_max_s, abs=0.2)
    assert "does not clear it" in reasons[-1]


def test_a_pass_planned_while_the_driver_is_asked_leaves_the_request_its_reason():
    # unmarked_lane s43: the pass was planned in the cycle the request went out, and the status's
    # reason became "nudge +2.12 m: ..."; the monitor's demand and the driver were told that.
    stream = oncoming_stream()
    mm, log = drive_past(0.0, oncoming=lambda t, odo, v: stream(t, odo, v) if t < 24.0 else Lead(), seconds=40.0)
    asked = [(t, st.reason) for t, _, _, _, st in log if st.mode == Mode.TAKEOVER_REQUESTED]
    planned = [e.stamp_s for e in mm.drain_events() if e.reason.startswith("nudge")]
    assert asked and any(asked[0][0] <= t <= asked[-1][0] for t in planned), "the case: a pass planned while asking"
    assert all("oncoming traffic too close" in reason for _, reason in asked), asked
