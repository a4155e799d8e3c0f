"""Escalation stages with their deadlines, the stop profiles and the lane hold."""
from __future__ import annotations

import math

import numpy as np
import pytest
from safety_feed import healthy_perception

from lcc_plus.common.types import CommandSource, TakeoverLevel, TurnSignal
from lcc_plus.safety.escalation import NO_DEMAND, AttentionTimer, Stage, TransitionDemand, most_severe
from lcc_plus.safety.mrm import PathHold, decel_ramp_mps2, lane_path, stopping_command


def test_transition_demand_visual_audible_mrm_with_deadlines():
    d = TransitionDemand(audible_s=4.0, mrm_s=10.0)
    assert d.stage(0.0) == NO_DEMAND
    d.raise_("stale:vla_action", 100.0)
    d.raise_("later reason", 101.0)  # a demand keeps its first reason and timing
    assert d.stage(100.0) == Stage(TakeoverLevel.VISUAL, "stale:vla_action", 104.0)
    assert d.stage(103.99).level == TakeoverLevel.VISUAL
    assert d.stage(104.0) == Stage(TakeoverLevel.AUDIBLE, "stale:vla_action", 110.0)
    assert d.stage(109.99).level == TakeoverLevel.AUDIBLE
    assert d.stage(110.0).level == TakeoverLevel.MRM
    d.clear()
    assert not d.active and d.stage(200.0) == NO_DEMAND


def test_hands_off_timer_meets_r79_optical_15s_acoustic_30s():
    h = AttentionTimer("hands off", 15.0, 30.0, 40.0)
    h.update(True, 0.0)
    assert h.stage(14.9).level == TakeoverLevel.NONE
    assert h.stage(15.0) == Stage(TakeoverLevel.VISUAL, "hands off 15.0 s", 30.0)
    assert h.stage(30.0).level == TakeoverLevel.AUDIBLE and h.stage(30.0).deadline_s == 40.0
    assert h.stage(40.0).level == TakeoverLevel.MRM
    h.update(False, 41.0)
    assert h.stage(41.0) == NO_DEMAND and h.held_s(41.0) == 0.0


def test_most_severe_picks_the_highest_level():
    a, b = Stage(TakeoverLevel.VISUAL, "a"), Stage(TakeoverLevel.AUDIBLE, "b")
    assert most_severe(a, b, NO_DEMAND) is b
    assert most_severe() == NO_DEMAND


@pytest.mark.parametrize("decel,jerk", [(2.0, 2.5), (4.0, 2.5), (6.0, 30.0)])
def test_decel_ramp_is_jerk_limited_and_settles_at_the_target(decel, jerk):
    dt, a, seq = 0.02, 1.0, []
    for _ in range(500):
        a = decel_ramp_mps2(a, decel, jerk, dt)
        seq.append(a)
    steps = np.abs(np.diff([1.0, *seq]))
    assert np.max(steps) <= jerk * dt + 1e-12
    assert seq[-1] == -decel and min(seq) >= -decel


def test_decel_ramp_eases_off_from_a_harder_braking():
    assert decel_ramp_mps2(-6.0, 2.0, 2.5, 0.02) == pytest.approx(-5.95)


def test_stopping_command_has_hazards_and_zero_target():
    c = stopping_command(5.0, CommandSource.MRM, 0.01, -2.0, hazard=True)
    assert c.engaged and c.hazard and c.turn_signal == TurnSignal.HAZARD and c.target_speed_mps == 0.0
    assert c.source == CommandSource.MRM


def test_lane_path_prefers_the_lane_centre_over_the_model_path():
    q = healthy_perception(0.0, 20.0)
    q.path_y_m = q.path_y_m + 1.0  # the model wants to drift left
    x, y = lane_path(q, 0.5)
    assert np.allclose(y, 0.0)
    for ln in q.lane_lines:
        ln.probability = 0.0
    x, y = lane_path(q, 0.5)
    assert np.allclose(y, 1.0)
    q.path_x_m = q.path_x_m[:1]
    q.path_y_m = q.path_y_m[:1]
    assert lane_path(q, 0.5) is None


def test_path_hold_steers_back_onto_the_stored_path():
    h = PathHold(2.8, 1.0, 6.0)
    assert h.steering_rad(20.0) is None
    x = np.linspace(0.0, 200.0, 101)
    h.set_path(x, np.zeros_like(x))
    assert h.steering_rad(20.0) == pytest.approx(0.0)
    # drift 0.5 m to the left with a small heading error: steer right
    h.advance(20.0, 0.05, 0.5)
    assert h.steering_rad(20.0) < 0.0
    # a path curving left: steer left
    h.set_path(x, 0.002 * x ** 2)
    assert h.steering_rad(20.0) > 0.0


def test_path_hold_closes_the_loop_on_a_bicycle():
    """Simulate a kinematic bicycle steered by the hold on a curved path: it stays on it."""
    L, v, dt = 2.8, 20.0, 0.02
    h = PathHold(L, 1.0, 6.0)
    s = np.linspace(0.0, 300.0, 301)
    R = 500.0
    h.set_path(R * np.sin(s / R), R * (1 - np.cos(s / R)) - 0.3)   # the ego starts 0.3 m off the path
    x, y, yaw = 0.0, 0.0, 0.0
    for _ in range(400):
        delta = h.steering_rad(v)
        yr = v * math.tan(delta) / L
        h.advance(v, yr, dt)
        x, y, yaw = x + v * math.cos(yaw) * dt, y + v * math.sin(yaw) * dt, yaw + yr * dt
    err = math.hypot(x, y - (R - 0.3)) - R
    assert abs(err) < 0.15
