"""Shared helpers for the simulator tests (not a test module)."""
from __future__ import annotations

import math

import numpy as np

from lcc_plus.common.types import Command, TakeoverDemand, TurnSignal
from lcc_plus.sim import scenarios
from lcc_plus.sim.world import World


def run_scenario_events(name: str, seed: int = 0, tail_s: float = 1.0) -> World:
    """Run with the driver model at the wheel until every expected event happened
    (plus tail_s) or the scenario ends."""
    sc = scenarios.get(name)
    world = World(sc, seed, render=False)
    until = math.inf
    while not world.done and world.time_s < until:
        world.step(Command(), TakeoverDemand())
        if until == math.inf and int(world.time_s / 0.05) % 20 == 0 \
                and all(scenarios.event_happened(e, world) for e in sc.expected_events):
            until = world.time_s + tail_s
    return world


def follow_command(world: World, steer_bias_rad: float = 0.0, accel_mps2: float | None = None,
                   offset_m: float = 0.0, signal: TurnSignal = TurnSignal.OFF) -> Command:
    """A privileged lane-following command for exercising the system side in tests:
    pure pursuit on the ground-truth driving line (shifted offset_m left) and its speed plan."""
    plan = world.plan()
    st = world.vehicle.state
    look = max(8.0, 1.5 * st.speed_mps)
    s_t = plan.s0_m + look
    target = plan.line.xy_at(s_t, float(np.interp(s_t, plan.line.s, plan.offset_m)) + offset_m)
    dx, dy = target[0] - st.x_m, target[1] - st.y_m
    y_local = -math.sin(st.yaw_rad) * dx + math.cos(st.yaw_rad) * dy
    steer = math.atan(world.vp.wheelbase_m * 2.0 * y_local / max(dx * dx + dy * dy, 1.0)) + steer_bias_rad
    if accel_mps2 is None:
        accel_mps2 = (plan.speed_mps[1] - plan.speed_mps[0]) / (plan.t_s[1] - plan.t_s[0])
    return Command(stamp_s=world.time_s, steering_angle_rad=steer, accel_mps2=accel_mps2,
                   turn_signal=signal, engaged=True)


def check_scenario(name: str) -> None:
    """Every expected event of `name` happens with the driver model at the wheel, which
    neither collides nor leaves its lane."""
    sc = scenarios.get(name)
    assert sc.description and sc.expected_events
    world = run_scenario_events(name)
    missing = [e for e in sc.expected_events if not scenarios.event_happened(e, world)]
    assert not missing, f"{name}: {missing} did not happen"
    assert not world.log.events_of("collision"), world.log.events_of("collision")
    assert not world.log.events_of("lane_departure"), world.log.events_of("lane_departure")
