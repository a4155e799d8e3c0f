"""Ego vehicle model against closed-form cases."""
import math

import numpy as np
import pytest

from lcc_plus.sim.vehicle import Vehicle, VehicleParams, VehicleState


def test_steady_state_circle_radius_is_wheelbase_over_tan_steer():
    p = VehicleParams.from_config()
    v = Vehicle(p, VehicleState(speed_mps=10.0))
    steer = 0.1
    for _ in range(100):  # settle the actuator
        v.step(steer, 0.0, 0.05)
    pts = []
    for _ in range(200):
        v.step(steer, 0.0, 0.05)
        pts.append((v.state.x_m, v.state.y_m))
    pts = np.array(pts)
    # Algebraic circle fit: x^2 + y^2 + D x + E y + F = 0.
    a = np.c_[pts, np.ones(len(pts))]
    b = -(pts ** 2).sum(axis=1)
    d, e, f = np.linalg.lstsq(a, b, rcond=None)[0]
    radius = math.sqrt(d * d / 4 + e * e / 4 - f)
    assert radius == pytest.approx(p.wheelbase_m / math.tan(steer), rel=1e-3)
    assert v.state.yaw_rate_radps == pytest.approx(10.0 * math.tan(steer) / p.wheelbase_m, rel=1e-6)
    assert v.state.lat_accel_mps2 == pytest.approx(100.0 * math.tan(steer) / p.wheelbase_m, rel=1e-6)


def test_straight_line_acceleration_matches_delay_plus_first_order_lag():
    p = VehicleParams.from_config()
    v = Vehicle(p, VehicleState(speed_mps=5.0))
    a_cmd, dt, n = 2.0, 0.05, 100
    for _ in range(n):
        v.step(0.0, a_cmd, dt)
    t = n * dt - p.accel_delay_s
    tau = p.accel_time_constant_s
    expected_v = 5.0 + a_cmd * (t - tau * (1.0 - math.exp(-t / tau)))
    assert v.state.speed_mps == pytest.approx(expected_v, rel=5e-3)
    assert v.state.y_m == pytest.approx(0.0, abs=1e-9)
    assert v.state.accel_mps2 == pytest.approx(a_cmd, rel=1e-3)


def test_steering_dead_time_and_rate_limit():
    p = VehicleParams.from_config({"steer_time_constant_s": 0.0})
    v = Vehicle(p, VehicleState(speed_mps=10.0))
    dt = p.internal_step_s
    history = []
    for _ in range(int(1.0 / dt)):
        v.step(0.5, 0.0, dt)
        history.append(v.state.steer_rad)
    history = np.array(history)
    n_delay = int(round(p.steer_delay_s / dt))
    assert np.all(history[:n_delay] == 0.0)
    assert history[n_delay] > 0.0
    rates = np.diff(history) / dt
    assert rates.max() <= p.max_steer_rate_radps + 1e-9
    # Rate-limited ramp: after the dead time the angle grows at exactly the limit.
    t_ramp = 0.3
    k = n_delay + int(t_ramp / dt)
    assert history[k] == pytest.approx(p.max_steer_rate_radps * (t_ramp + dt), rel=1e-6)


def test_command_is_clipped_and_no_reverse():
    p = VehicleParams.from_config()
    v = Vehicle(p, VehicleState(speed_mps=1.0))
    for _ in range(100):
        v.step(5.0, -50.0, 0.05)
    assert v.state.speed_mps == 0.0
    assert abs(v.state.steer_rad) <= p.max_steer_rad + 1e-12
    x = v.state.x_m
    v.step(0.0, -3.0, 0.05)
    assert v.state.x_m == x


def test_non_finite_command_is_rejected():
    v = Vehicle(VehicleParams.from_config(), VehicleState())
    with pytest.raises(ValueError, match="non-finite"):
        v.step(float("nan"), 0.0, 0.05)
