"""Command gate: speed-dependent limits, every filter clamps to its limit and is flagged."""
from __future__ import annotations

import math

import pytest

from lcc_plus.common.types import Command, Severity
from lcc_plus.safety.gate import CommandGate, lateral_accel_mps2, steer_for_lateral_accel
from lcc_plus.safety.limits import LimitTable
from lcc_plus.safety.params import load_safety_params

P = load_safety_params()
DT = 1.0 / P.rate_hz


def gate_from(steer_rad=0.0, accel_mps2=0.0) -> CommandGate:
    g = CommandGate(LimitTable(P), P.wheelbase_m)
    g.reset(steer_rad, accel_mps2)
    return g


def active(checks) -> set[str]:
    return {c.name for c in checks if c.active}


def test_limit_table_interpolates_on_speed_and_holds_beyond_the_ends():
    t = LimitTable(P)
    assert t.at(0.0).steer_rad == pytest.approx(P.steer_max_rad[0])
    mid = 0.5 * (P.limit_speeds_mps[2] + P.limit_speeds_mps[3])
    assert t.at(mid).steer_rad == pytest.approx(0.5 * (P.steer_max_rad[2] + P.steer_max_rad[3]))
    assert t.at(-mid).steer_rad == t.at(mid).steer_rad
    assert t.at(1000.0).steer_rad == pytest.approx(P.steer_max_rad[-1])


def test_defaults_are_inside_the_reference_limits():
    assert max(P.lat_accel_max_mps2) <= 3.0          # ISO 11270
    assert max(P.lat_jerk_max_mps3) <= 5.0           # ISO 11270 / R79
    assert max(P.steer_max_rad) <= 1.0 and max(P.steer_rate_max_radps) <= 1.0  # Autoware gate
    assert max(P.lon_decel_max_mps2) <= 4.0 and P.mrm_decel_mps2 <= 4.0       # R157
    assert P.hands_off_visual_s <= 15.0 and P.hands_off_audible_s <= 30.0      # R79 5.6.2.2.5
    assert P.takeover_mrm_s >= 10.0                                            # R157


def test_bicycle_relation_round_trips():
    ay = lateral_accel_mps2(20.0, 0.02, 2.8)
    assert ay == pytest.approx(400 * math.tan(0.02) / 2.8)
    assert steer_for_lateral_accel(20.0, ay, 2.8) == pytest.approx(0.02)


def test_a_legal_command_passes_unchanged_with_no_filter_active():
    g = gate_from(0.001, 0.5)
    out, checks = g.filter(Command(steering_angle_rad=0.001, accel_mps2=0.5), 20.0, DT)
    assert out.steering_angle_rad == pytest.approx(0.001) and out.accel_mps2 == pytest.approx(0.5)
    assert active(checks) == set()
    assert all(c.severity == Severity.INFO and c.name.startswith("filter:") for c in checks)


def test_steering_angle_is_clamped_at_low_speed():
    g = gate_from(P.steer_max_rad[0])
    out, checks = g.filter(Command(steering_angle_rad=1.0), 0.0, DT)
    assert out.steering_angle_rad == pytest.approx(P.steer_max_rad[0])
    assert "filter:steer_angle_rad" in active(checks)


def test_lateral_acceleration_is_clamped_from_speed_and_steering():
    v = 25.0
    limit = LimitTable(P).at(v).lat_accel_mps2
    delta = steer_for_lateral_accel(v, limit, P.wheelbase_m)
    g = gate_from(-delta)  # start at the opposite limit, far from the proposal
    for _ in range(2000):  # converge through the rate limits
        out, checks = g.filter(Command(steering_angle_rad=0.1), v, DT)
    assert lateral_accel_mps2(v, out.steering_angle_rad, P.wheelbase_m) == pytest.approx(limit)
    lat = next(c for c in checks if c.name == "filter:lat_accel_mps2")
    assert lat.active and lat.value > lat.limit == pytest.approx(limit)


def test_steering_rate_is_limited_at_low_speed():
    g = gate_from(0.0)
    out, checks = g.filter(Command(steering_angle_rad=0.3), 0.05, DT)
    rate = LimitTable(P).at(0.05).steer_rate_radps
    assert out.steering_angle_rad == pytest.approx(rate * DT)
    assert out.steering_rate_radps == pytest.approx(rate)
    assert "filter:steer_rate_radps" in active(checks)


def test_lateral_jerk_is_limited_at_speed():
    v = 30.0
    g = gate_from(0.0)
    out, checks = g.filter(Command(steering_angle_rad=0.005), v, DT)
    ay = lateral_accel_mps2(v, out.steering_angle_rad, P.wheelbase_m)
    assert ay / DT == pytest.approx(LimitTable(P).at(v).lat_jerk_mps3)
    assert "filter:lat_jerk_mps3" in active(checks)


def test_longitudinal_accel_decel_and_jerk_are_limited():
    lim = LimitTable(P).at(10.0)
    g = gate_from(0.0, lim.lon_accel_mps2)
    out, checks = g.filter(Command(accel_mps2=9.0), 10.0, DT)
    assert out.accel_mps2 == pytest.approx(lim.lon_accel_mps2)
    assert "filter:lon_accel_mps2" in active(checks)
    g = gate_from(0.0, 0.0)
    out, checks = g.filter(Command(accel_mps2=-3.0), 10.0, DT)
    assert out.accel_mps2 == pytest.approx(-lim.lon_jerk_mps3 * DT)
    assert active(checks) == {"filter:lon_jerk_mps3"}
    g = gate_from(0.0, -lim.lon_decel_mps2)
    out, _ = g.filter(Command(accel_mps2=-8.0), 10.0, DT)
    assert out.accel_mps2 == pytest.approx(-lim.lon_decel_mps2)


def test_emergency_keeps_its_deceleration():
    g = gate_from(0.0, -5.0)
    out, checks = g.filter(Command(accel_mps2=-6.0), 10.0, DT, emergency=True)
    assert out.accel_mps2 == -6.0
    assert not any(c.name.startswith("filter:lon") for c in checks)


def test_absolute_bounds_win_over_rate_bounds_after_a_speed_change():
    v = 30.0
    g = gate_from(0.3)  # legal at standstill, far beyond the lateral-accel limit at 30 m/s
    out, _ = g.filter(Command(steering_angle_rad=0.3), v, DT)
    assert lateral_accel_mps2(v, out.steering_angle_rad, P.wheelbase_m) <= LimitTable(P).at(v).lat_accel_mps2 + 1e-9


def test_preview_does_not_move_the_rate_limit_state():
    g = gate_from(0.0)
    g.filter(Command(steering_angle_rad=0.3), 0.05, DT, commit=False)
    out, _ = g.filter(Command(steering_angle_rad=0.3), 0.05, DT)
    assert out.steering_angle_rad == pytest.approx(LimitTable(P).at(0.05).steer_rate_radps * DT)
