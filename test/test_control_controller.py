"""Controller core: closed loop on the simulator's vehicle model (step, circle, S-curve, speed change)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from planning_fixtures import Car, Road, jerk_05s_max

from lcc_plus.common.types import CommandSource, EgoState, Trajectory, TurnSignal
from lcc_plus.control.controller import Controller
from lcc_plus.control.params import ControllerParams

DT = 0.02


def drive(road: Road, car: Car, seconds: float, speed_of_s, lane: int = 0, plan_every: int = 5):
    """Closed loop: a new trajectory every `plan_every` steps (10 Hz), control at 50 Hz."""
    ctl = Controller(ControllerParams.from_config())
    log = {"d": [], "ay": [], "v": [], "v_ref": [], "ax": [], "steer": [], "rate": []}
    traj = None
    for k in range(int(seconds / DT)):
        now = k * DT
        if k % plan_every == 0:
            traj = road.trajectory(car, now, speed_of_s, lane=lane)
        cmd = ctl.step(now, car.ego(now), traj)
        assert cmd.engaged and cmd.source == CommandSource.PLANNER
        car.step(cmd.steering_angle_rad, cmd.accel_mps2, DT)
        _, d, _ = road.frenet(car.x, car.y)
        log["d"].append(d - lane * road.width_m)
        log["ay"].append(car.lat_accel)
        log["v"].append(car.speed)
        log["v_ref"].append(cmd.target_speed_mps)
        log["ax"].append(cmd.accel_mps2)
        log["steer"].append(cmd.steering_angle_rad)
        log["rate"].append(cmd.steering_rate_radps)
    return {k: np.asarray(v) for k, v in log.items()}


def comfort(log) -> None:
    assert np.max(np.abs(log["ay"])) <= 3.0
    assert jerk_05s_max(log["ay"], DT) <= 5.0


def test_step_response_from_lateral_offset_settles_without_overshoot():
    road = Road([(0.0, 0.0)], length_m=600.0)
    car = Car(speed=20.0, y=0.8)
    log = drive(road, car, 12.0, lambda s: 20.0)
    assert abs(log["d"][0] - 0.8) < 0.05
    assert np.all(np.abs(log["d"][int(6.0 / DT):]) < 0.05)  # settled within 6 s
    assert np.min(log["d"]) > -0.1                          # critically damped: no real overshoot
    comfort(log)
    p = ControllerParams.from_config()
    assert np.max(np.abs(log["rate"])) <= p.steer_rate_max_radps + 1e-9


def test_constant_radius_curve_tracks_within_a_decimetre():
    # straight, 60 m clothoid into R = 200 m, at 22 m/s: 2.4 m/s^2 steady lateral acceleration
    road = Road([(0.0, 0.0), (50.0, 0.0), (110.0, 1 / 200), (2000.0, 1 / 200)], length_m=700.0)
    car = Car(speed=22.0)
    log = drive(road, car, 25.0, lambda s: 22.0)
    assert np.max(np.abs(log["d"])) < 0.1
    assert np.mean(log["ay"][-int(5.0 / DT):]) == pytest.approx(22.0**2 / 200, rel=0.03)
    comfort(log)


def test_s_curve_keeps_the_lane():
    road = Road([(0.0, 0.0), (40.0, 0.0), (90.0, 1 / 150), (160.0, 1 / 150), (260.0, -1 / 150),
                 (330.0, -1 / 150), (380.0, 0.0), (2000.0, 0.0)], length_m=600.0)
    car = Car(speed=18.0)
    log = drive(road, car, 26.0, lambda s: 18.0)
    assert np.max(np.abs(log["d"])) < 0.15
    comfort(log)


def test_speed_change_follows_the_reference_within_limits():
    road = Road([(0.0, 0.0), (100.0, 0.0), (160.0, 1 / 300), (2000.0, 1 / 300)], length_m=900.0)
    car = Car(speed=15.0)

    def ramp(s: float) -> float:  # 15 -> 25 m/s at 1.5 m/s^2 starting at s = 50 m
        return math.sqrt(15.0**2 + 2 * 1.5 * max(s - 50.0, 0.0)) if s < 50.0 + (25**2 - 15**2) / 3 else 25.0

    log = drive(road, car, 20.0, ramp)
    p = ControllerParams.from_config()
    assert np.max(log["ax"]) <= p.accel_max_mps2 + 1e-9
    assert np.max(np.abs(log["v"] - log["v_ref"])) < 1.0
    assert log["v"][-1] == pytest.approx(25.0, abs=0.3)
    assert np.max(np.abs(log["d"])) < 0.15
    comfort(log)


def test_stop_reference_brings_the_car_to_rest_and_holds():
    road = Road([(0.0, 0.0)], length_m=400.0)
    car = Car(speed=10.0)
    log = drive(road, car, 12.0, lambda s: math.sqrt(max(100.0 - 3.0 * s, 0.0)))  # 1.5 m/s^2 to rest
    assert log["v"][-1] < 0.05
    assert log["ax"][-1] < 0.0  # holds with the brake, never reverses


@pytest.mark.parametrize("traj", [
    Trajectory(),
    Trajectory(t_s=np.array([0.0, 0.1]), x_m=np.array([0.0, np.nan]), y_m=np.zeros(2), speed_mps=np.zeros(2),
               accel_mps2=np.zeros(2), curvature_1pm=np.zeros(2)),
    Trajectory(t_s=np.array([0.1, 0.0]), x_m=np.array([0.0, 1.0]), y_m=np.zeros(2), speed_mps=np.zeros(2),
               accel_mps2=np.zeros(2), curvature_1pm=np.zeros(2)),
    Trajectory(t_s=np.array([0.0, 0.1, 0.2]), x_m=np.zeros(2), y_m=np.zeros(2), speed_mps=np.zeros(2),
               accel_mps2=np.zeros(2), curvature_1pm=np.zeros(2)),
])
def test_unusable_trajectory_disengages_and_holds_the_measured_steering(traj):
    ctl = Controller(ControllerParams.from_config())
    cmd = ctl.step(1.0, EgoState(speed_mps=20.0, steering_angle_rad=0.03), traj)
    assert not cmd.engaged
    assert cmd.steering_angle_rad == pytest.approx(0.03)
    assert cmd.accel_mps2 == 0.0


def test_non_finite_ego_state_still_gives_a_finite_command():
    road = Road([(0.0, 0.0)], length_m=300.0)
    car = Car(speed=15.0)
    traj = road.trajectory(car, 0.0, lambda s: 15.0)
    ctl = Controller(ControllerParams.from_config())
    cmd = ctl.step(0.0, EgoState(speed_mps=math.nan, yaw_rate_radps=math.inf, steering_angle_rad=math.nan), traj)
    values = (cmd.steering_angle_rad, cmd.steering_rate_radps, cmd.accel_mps2, cmd.target_speed_mps)
    assert all(map(math.isfinite, values))


def test_turn_signal_and_hazard_pass_through():
    road = Road([(0.0, 0.0)], length_m=300.0)
    car = Car(speed=15.0)
    traj = road.trajectory(car, 0.0, lambda s: 15.0)
    traj.turn_signal = TurnSignal.HAZARD
    cmd = Controller(ControllerParams.from_config()).step(0.0, car.ego(0.0), traj)
    assert cmd.hazard and cmd.turn_signal == TurnSignal.HAZARD
