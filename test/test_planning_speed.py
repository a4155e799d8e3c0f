"""Speed policy: set speed, curve limit, time-gap following, ACC limits."""
from __future__ import annotations

import numpy as np
import pytest

from lcc_plus.planning.params import ModeManagerParams
from lcc_plus.planning.speed_policy import LeadTrack, arrival_cap, curve_speed_cap, plan_speed, stop_plan

P = ModeManagerParams.from_config()
T = np.arange(0.0, 60.0, 0.1)


def flat(v: float):
    return lambda s: np.full_like(np.asarray(s, dtype=float), v)


def check_limits(plan) -> None:
    assert np.max(plan.accel_mps2) <= P.accel_max_mps2 + 1e-9
    assert np.min(plan.accel_mps2) >= -P.decel_comfort_mps2 - 1e-9
    jerk = np.diff(plan.accel_mps2) / np.diff(plan.t_s)
    assert np.max(np.abs(jerk)) <= P.jerk_max_mps3 + 1e-6


def test_set_speed_reached_within_acc_limits():
    plan = plan_speed(P, T, 10.0, 0.0, flat(30.0), [])
    assert plan.speed_mps[-1] == pytest.approx(30.0, abs=0.1)
    check_limits(plan)


def test_curve_cap_keeps_lateral_accel_below_comfort():
    s = np.arange(0.0, 2000.0, 1.0)
    kappa = np.where((s > 400) & (s < 700), 1 / 80.0, 0.0)
    cap = curve_speed_cap(P, s, kappa, 27.0)
    plan = plan_speed(P, T, 27.0, 0.0, cap, [])
    in_curve = (plan.s_m > 400) & (plan.s_m < 700)
    a_lat = plan.speed_mps[in_curve] ** 2 / 80.0
    assert np.max(a_lat) <= P.curve_lat_accel_mps2 + 0.05
    assert cap(0.0) == pytest.approx(27.0)
    check_limits(plan)


def test_lead_following_settles_at_the_time_gap():
    v_lead = 20.0
    plan = plan_speed(P, T, 25.0, 0.0, flat(30.0), [LeadTrack(60.0, v_lead)])
    gap_end = 60.0 + v_lead * T[-1] - plan.s_m[-1]
    assert plan.speed_mps[-1] == pytest.approx(v_lead, abs=0.2)
    assert gap_end == pytest.approx(P.standstill_gap_m + P.time_gap_s * v_lead, abs=2.0)
    gaps = 60.0 + v_lead * T - plan.s_m
    assert np.min(gaps / np.maximum(plan.speed_mps, 0.1)) >= P.time_gap_min_s
    check_limits(plan)


def test_stops_behind_a_stopped_vehicle():
    plan = plan_speed(P, T, 15.0, 0.0, flat(30.0), [LeadTrack(70.0, 0.0)])
    assert plan.speed_mps[-1] < 0.05
    assert 70.0 - plan.s_m[-1] == pytest.approx(P.standstill_gap_m, abs=1.0)
    check_limits(plan)


def test_time_gap_config_is_validated():
    from lcc_plus.common.params import ParamError

    with pytest.raises(ParamError, match="time_gap_min_s"):
        ModeManagerParams.from_config({"time_gap_s": 0.9})
    assert P.time_gap_s == 1.5 and P.time_gap_min_s == 1.0


def test_stop_plan_constant_deceleration():
    plan = stop_plan(T, 20.0, 4.0)
    assert plan.speed_mps[T >= 5.0].max() == 0.0
    assert plan.s_m[-1] == pytest.approx(50.0)


def test_a_stopped_car_far_ahead_does_not_hold_the_car_slow_and_it_still_stops_behind_it():
    horizon = np.arange(0.0, 6.0, 0.1)
    far = plan_speed(P, horizon, 3.0, 0.0, flat(11.0), [LeadTrack(190.0, 0.0)])
    assert far.speed_mps[-1] > 5.0  # the old closing term held it at 3 m/s (-0.02 m/s^2)
    plan = plan_speed(P, T, 3.0, 0.0, flat(11.0), [LeadTrack(190.0, 0.0)])
    assert np.max(plan.speed_mps) > 8.0
    assert plan.speed_mps[-1] < 0.05
    assert 190.0 - plan.s_m[-1] == pytest.approx(P.standstill_gap_m, abs=1.0)
    check_limits(plan)


def test_a_crawling_car_speeds_up_to_a_higher_cap_ahead_and_keeps_under_it():
    # A pass planned from a crawl: 1 m/s from its ramp 3 m ahead. A cap above the present speed
    # bounded the acceleration to the constant one reaching it 150 m on (+0.01 m/s^2).
    cap = arrival_cap(P, 3.0, 1.0)
    plan = plan_speed(P, np.arange(0.0, 6.0, 0.1), 0.3, 0.0, cap, [])
    assert plan.speed_mps[plan.t_s >= 3.0].min() > 0.9
    assert np.all(plan.speed_mps <= cap(plan.s_m) + 0.05)
    check_limits(plan)
