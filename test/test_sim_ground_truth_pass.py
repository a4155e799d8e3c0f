"""Ground truth's pass of a parked car on a two-way road: which oncoming cars it waits for."""
import math

import numpy as np
import pytest

from lcc_plus.common.types import ForkPreference, IntentKind
from lcc_plus.sim import ground_truth, scenarios
from lcc_plus.sim.world import World

GT = ground_truth.GroundTruthParams.from_config()


def test_time_to_drive_is_distance_over_speed_at_the_target_speed():
    assert ground_truth._time_to_drive_s(80.0, 10.0, 10.0, GT) == pytest.approx(8.0, abs=0.11)


def test_time_to_drive_from_standstill_counts_the_speed_up():
    from_rest = ground_truth._time_to_drive_s(73.0, 0.0, 11.1, GT)
    # Slower than at the road's speed all along, far quicker than crawling at 3 m/s the whole way.
    assert 73.0 / 11.1 + 2.0 < from_rest < 73.0 / 3.0 - 8.0
    assert ground_truth._time_to_drive_s(100.0, 0.0, 11.1, GT) > from_rest


def test_time_to_drive_with_nowhere_to_go_is_capped_at_a_minute():
    assert ground_truth._time_to_drive_s(50.0, 0.0, 0.0, GT) == pytest.approx(60.0, abs=0.11)


def _plan(world: World, nudge: bool) -> ground_truth.PathPlan:
    return ground_truth.plan_path(world, IntentKind.KEEP_LANE, ForkPreference.DEFAULT, GT, nudge)


def _passes_with_oncoming_at(ahead_m: float | None) -> bool:
    """Ego at standstill 20 m behind parked_village's first parked car, an oncoming car at 30 km/h
    `ahead_m` ahead on the oncoming half (None: no oncoming car): does the plan pass the parked car?"""
    world = World(scenarios.get("parked_village"), 0, render=False)
    parked = world.traffic.agents[0]
    oncoming = next(a for a in world.traffic.agents if a.oncoming)
    line = _plan(world, nudge=False).line
    s_parked = float(line.project(np.array([[parked.x_m, parked.y_m]]))[0][0])
    s_ego = s_parked - 0.5 * parked.length_m - 20.0 - (world.vp.length_m - world.vp.rear_overhang_m)
    st = world.vehicle.state
    st.x_m, st.y_m = (float(v) for v in line.xy_at(s_ego, -1.375))
    st.yaw_rad, st.speed_mps = float(line.heading_at(s_ego)), 0.0
    world.lane_pos = world.net.locate(st.x_m, st.y_m, st.yaw_rad)
    if ahead_m is None:
        world.traffic.agents.remove(oncoming)
    else:
        oncoming.x_m, oncoming.y_m = (float(v) for v in line.xy_at(s_ego + ahead_m, 1.375))
        oncoming.yaw_rad = float(line.heading_at(s_ego + ahead_m)) + math.pi
        oncoming.speed_mps = 30.0 / 3.6
    plan = _plan(world, nudge=True)
    return float(np.interp(s_parked, plan.line.s, plan.offset_m)) > -1.375 + 1.5


def test_a_pass_from_standstill_waits_for_oncoming_cars_it_would_meet_only():
    assert _passes_with_oncoming_at(None)
    assert not _passes_with_oncoming_at(120.0)
    # At 200 m the car is gone by before it gets there: timed at a 3 m/s crawl it waited (290 m).
    assert _passes_with_oncoming_at(200.0)


def test_a_pull_out_from_a_crawl_is_out_before_the_front_bumper_is_close():
    """unmarked_lane: the data's expert (ground truth's path) waits at a crawl behind the parked
    car on the bend for the oncoming car, then pulls out. Measured from the rear axle and
    restarted flat from the car each step, its pull-out was 0.4 m short 3.5 m before the parked
    car (TTC 1.0 s, the safety driver). Here the car crawls out at 1 m/s from 10 m behind it,
    placed on the plan's line each step as the car that follows it is."""
    world = World(scenarios.get("unmarked_lane"), 0, render=False)
    parked = next(a for a in world.traffic.agents if not a.oncoming)
    for a in [a for a in world.traffic.agents if a.oncoming]:
        world.traffic.agents.remove(a)
    st = world.vehicle.state

    def place(line, s_m: float, d_m: float) -> None:
        st.x_m, st.y_m = (float(v) for v in line.xy_at(s_m, d_m))
        st.yaw_rad, st.speed_mps = float(line.heading_at(s_m)), 1.0
        world.lane_pos = world.net.locate(st.x_m, st.y_m, st.yaw_rad)

    place(_plan(world, nudge=False).line, 150.0, -1.375)  # the first plan's line ends short of the parked car
    line = _plan(world, nudge=False).line
    s_parked = float(line.project(np.array([[parked.x_m, parked.y_m]]))[0][0])
    front = world.vp.length_m - world.vp.rear_overhang_m
    place(line, s_parked - 0.5 * parked.length_m - 10.0 - front, -1.375)
    while True:
        plan = _plan(world, nudge=True)  # each plan has its own line, from the car
        (s_parked,), (d_parked,) = plan.line.project(np.array([[parked.x_m, parked.y_m]]))
        if plan.s0_m + front >= s_parked - 0.5 * parked.length_m - 2.0:
            break
        s_next = plan.s0_m + 0.1
        place(plan.line, s_next, float(np.interp(s_next, plan.line.s, plan.offset_m)))
    assert world.pull_out_from  # the case is the one described: a pull-out from a crawl
    d_ego = float(plan.line.project(np.array([[st.x_m, st.y_m]]))[1][0])
    need = d_parked + 0.5 * parked.width_m + 0.5 * world.vp.width_m + GT.nudge_margin_m
    assert d_ego >= need - 0.05  # out, 2 m before the front bumper reaches the parked car
