"""Fault injection: what the system sees, and how the answer is classified."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from lcc_plus.common.types import (
    Command,
    CommandSource,
    DriverControls,
    EgoState,
    Perception,
    TakeoverDemand,
    TakeoverLevel,
)
from lcc_plus.evaluation.faults import FaultInjector
from lcc_plus.evaluation.runner import RunSpec, run_one


@dataclass
class Obs:
    """The observation fields the injector touches (the world's Observation has more)."""

    stamp_s: float
    image_rgb: np.ndarray
    ego: EgoState
    driver: DriverControls
    gt: Perception


def obs(t: float) -> Obs:
    return Obs(t, np.full((4, 4, 3), int(t * 10), np.uint8), EgoState(stamp_s=t, speed_mps=10.0 + t),
               DriverControls(stamp_s=t), Perception(stamp_s=t))


def test_faults_change_only_what_they_break_and_only_from_their_start():
    nan = FaultInjector("nan_ego", 1.0, 1.0, 3.0)
    assert nan.apply(obs(0.5)).ego.speed_mps == 10.5
    assert math.isnan(nan.apply(obs(1.5)).ego.speed_mps) and nan.apply(obs(1.5)).ego.stamp_s == 1.5
    stale = FaultInjector("stale_state", 1.0, 1.0, 3.0)
    stale.apply(obs(1.0))
    assert stale.apply(obs(2.0)).ego.stamp_s == 1.0
    frozen = FaultInjector("frozen_camera", 1.0, 1.0, 3.0)
    first = frozen.apply(obs(1.0))
    later = frozen.apply(obs(2.0))
    assert later.image_rgb is first.image_rgb and later.gt.stamp_s == 1.0 and frozen.image_stamp_s(2.0) == 1.0
    assert later.ego.stamp_s == 2.0
    override = FaultInjector("driver_override", 1.0, 0.5, 3.0)
    assert override.apply(obs(1.2)).driver.steering_torque_nm == 3.0
    assert override.apply(obs(1.6)).driver.steering_torque_nm == 0.0  # lasts override_s only
    drop = FaultInjector("model_dropout", 1.0, 1.0, 3.0)
    assert not drop.drop_perception(0.9) and drop.drop_perception(5.0)
    with pytest.raises(ValueError, match="unknown fault"):
        FaultInjector("gremlins", 1.0, 1.0, 3.0)


def test_outcome_mrm_outranks_a_demand_while_the_system_drives_and_nothing_counts_before_the_start():
    f = FaultInjector("nan_ego", 1.0, 1.0, 3.0)
    mrm = Command(engaged=True, source=CommandSource.MRM)
    f.observe_answer(0.5, mrm, TakeoverDemand(), False)
    assert f.outcome == "none"
    f.apply(obs(1.0))
    f.observe_answer(1.05, Command(engaged=True), TakeoverDemand(), False)
    assert f.outcome == "none"
    f.observe_answer(1.1, Command(engaged=True), TakeoverDemand(level=TakeoverLevel.VISUAL), False)
    assert (f.outcome, f.outcome_t_s) == ("takeover", 1.1)
    f.observe_answer(1.5, mrm, TakeoverDemand(level=TakeoverLevel.MRM), False)
    assert (f.outcome, f.outcome_t_s) == ("mrm", 1.5)
    g = FaultInjector("nan_ego", 1.0, 1.0, 3.0)
    g.apply(obs(1.0))
    g.observe_answer(1.1, Command(engaged=True), TakeoverDemand(level=TakeoverLevel.VISUAL), True)
    g.observe_answer(1.5, mrm, TakeoverDemand(level=TakeoverLevel.MRM), True)  # the driver drives by now
    assert (g.outcome, g.outcome_t_s) == ("takeover", 1.1)


def test_closed_loop_nan_state_ends_in_takeover_or_mrm(tmp_path):
    r = run_one(RunSpec("urban", "urban_slow_lead", "expert", 0, str(tmp_path), fault="nan_ego", plot=False,
                        max_s=14.0))
    outcome = [e.detail for e in r.trace.events if e.kind.value == "fault_outcome"]
    assert outcome in (["takeover"], ["mrm"])
    assert not [e for e in r.trace.events if e.kind.value == "collision"]
