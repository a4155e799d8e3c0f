"""The `lcc` baseline's decisions on hand-made perception: takeovers, refusals, lane change."""
from __future__ import annotations

import numpy as np

from lcc_plus.common.types import (
    DriverControls,
    EgoState,
    LaneLine,
    Lead,
    Lever,
    LineType,
    Mode,
    Perception,
    RearSensing,
    TakeoverDemand,
)
from lcc_plus.evaluation.lcc_baseline import LccPlanner, load_lcc_params

SPEED = 20.0


def line(y0: float, kind=LineType.DASHED, curvature: float = 0.0) -> LaneLine:
    return LaneLine(np.array([y0, 0.0, 0.5 * curvature, 0.0]), -5.0, 80.0, 1.0, kind)


def perception(t: float, lead: Lead | None = None, curvature: float = 0.0, left=LineType.DASHED) -> Perception:
    return Perception(stamp_s=t, lane_lines=[line(5.25, LineType.ROAD_EDGE, curvature), line(1.75, left, curvature),
                                             line(-1.75, LineType.DASHED, curvature),
                                             line(-5.25, LineType.ROAD_EDGE, curvature)],
                      lead=lead or Lead(), confidence=1.0)


def drive(steps, planner=None, **kw):
    """steps: list of (t, driver kwargs, perception kwargs); returns the planner and the last status."""
    planner = planner or LccPlanner(load_lcc_params())
    status = None
    for t, dk, pk in steps:
        ego = EgoState(stamp_s=t, speed_mps=pk.pop("speed", SPEED))
        traj, status, _ = planner.step(t, ego, DriverControls(stamp_s=t, set_speed_mps=25.0, **dk),
                                       perception(t, **pk), RearSensing(stamp_s=t), TakeoverDemand(stamp_s=t))
    return planner, status, traj


def engaged_steps(t0=0.0, n=3):
    return [(t0 + 0.05 * i, {"engage_request": True}, {}) for i in range(n)]


def test_engages_and_centres_in_the_lane():
    _, status, traj = drive(engaged_steps())
    assert status.mode == Mode.LANE_KEEP
    assert abs(traj.y_m).max() < 0.05 and traj.speed_mps[0] > 0.0


def test_stopped_vehicle_ahead_asks_for_a_takeover():
    stopped = Lead(distance_m=40.0, relative_speed_mps=-SPEED, probability=1.0)
    _, status, traj = drive(engaged_steps() + [(0.2, {}, {"lead": stopped})])
    assert status.mode == Mode.TAKEOVER_REQUESTED and "stopped vehicle" in status.reason
    assert traj.accel_mps2[0] < 0.0  # ACC brakes for it meanwhile


def test_curve_beyond_the_lateral_limit_asks_for_a_takeover_but_a_gentle_one_does_not():
    p = load_lcc_params()
    sharp = 1.5 * p.lat_accel_max_mps2 / SPEED ** 2
    gentle = 0.5 * p.lat_accel_max_mps2 / SPEED ** 2
    _, status, _ = drive(engaged_steps() + [(0.2, {}, {"curvature": gentle})])
    assert status.mode == Mode.LANE_KEEP
    _, status, _ = drive(engaged_steps() + [(0.2, {}, {"curvature": sharp})])
    assert status.mode == Mode.TAKEOVER_REQUESTED and "curve" in status.reason


def test_lane_change_only_on_the_lever_and_refused_over_a_solid_line():
    _, status, _ = drive(engaged_steps() + [(0.2, {"lever": Lever.LEFT}, {"left": LineType.SOLID})])
    assert status.mode == Mode.LANE_KEEP and status.last_refusal == "solid line"
    _, status, _ = drive(engaged_steps() + [(0.2, {"lever": Lever.LEFT}, {"speed": 10.0})])
    assert status.last_refusal == "speed below minimum"
    planner, status, _ = drive(engaged_steps() + [(0.2, {"lever": Lever.LEFT}, {})])
    assert status.mode == Mode.LANE_CHANGE and status.lane_change_direction == 1
    _, status, traj = drive([(0.2 + 0.05 * i, {}, {}) for i in range(1, 60)], planner)
    assert status.lane_change_phase.name == "EXECUTE" and traj.y_m[-1] > 1.0  # moving left after the prepare time


def test_no_lane_lines_asks_for_a_takeover():
    planner, _, _ = drive(engaged_steps())
    empty = Perception(stamp_s=0.2)
    status = None
    for i in range(20):
        t = 0.2 + 0.05 * i
        _, status, _ = planner.step(t, EgoState(stamp_s=t, speed_mps=SPEED), DriverControls(stamp_s=t), empty,
                                    RearSensing(stamp_s=t), TakeoverDemand(stamp_s=t))
    assert status.mode == Mode.TAKEOVER_REQUESTED and "no lane lines" in status.reason
