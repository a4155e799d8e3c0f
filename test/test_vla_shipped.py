"""The shipped model (lcc_plus/models/vla.onnx): metadata, size, and outputs on simulator frames.

Needs no torch: onnxruntime runs the file exactly as vla_node does. The frames come
from the simulator World (held-out seed 3; training used seeds from 100000) and the
outputs are compared with its ground truth. The tolerances are the floor a usable
model must meet, not its typical accuracy (docs/model_card.md has that).
"""
import hashlib
import json

import numpy as np
import pytest

from lcc_plus.common.types import (
    LINE_EGO_LEFT,
    LINE_EGO_RIGHT,
    Command,
    EgoState,
    Intent,
    IntentKind,
    TakeoverDemand,
)
from lcc_plus.sim import scenarios
from lcc_plus.sim.world import World
from lcc_plus.vla.decode import LAYOUT_VERSION
from lcc_plus.vla.runtime import VlaRuntime, load_params

MODEL = load_params().resolved_model_path()


@pytest.fixture(scope="module")
def vla():
    return VlaRuntime(MODEL, threads=1)


def _two_frames(name: str):
    """Frames 0.1 s apart from the start of a scenario, the ego state and the ground truth."""
    world = World(scenarios.get(name), 3, render=True)
    first = world.observe()
    for _ in range(2):
        world.step(Command(), TakeoverDemand(), 0.05)
    now = world.observe()
    ego = EgoState(stamp_s=now.stamp_s, speed_mps=now.ego.speed_mps, yaw_rate_radps=now.ego.yaw_rate_radps)
    return [first.image_rgb, now.image_rgb], ego, now.gt


def test_metadata_matches_the_file():
    meta = json.loads(MODEL.with_suffix(".json").read_text())
    data = MODEL.read_bytes()
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(data) < 20e6 and meta["size_bytes"] == len(data)
    assert meta["layout_version"] == LAYOUT_VERSION
    assert meta["parity_max_abs_diff"] < 1e-3
    assert meta["model_id"] == VlaRuntime(MODEL).model_id


@pytest.mark.parametrize("name", ["highway_slow_truck", "urban_slow_lead"])
def test_lane_lines_path_and_intent_on_simulator_frames(vla, name):
    frames, ego, gt = _two_frames(name)
    keep = vla.infer(frames, ego, Intent())
    for i in (LINE_EGO_LEFT, LINE_EGO_RIGHT):
        assert keep.lane_lines[i].probability > 0.5
        assert keep.lane_lines[i].y_at(10.0) == pytest.approx(gt.lane_lines[i].y_at(10.0), abs=0.7)
    assert keep.path_t_s[-1] >= 4.0 and keep.path_t_s.size >= 10
    assert keep.path_y_m[2] == pytest.approx(np.interp(1.0, gt.path_t_s, gt.path_y_m), abs=0.5)  # 1 s ahead
    left = vla.infer(frames, ego, Intent(intent=IntentKind.CHANGE_LEFT))
    assert left.path_y_m[-1] > keep.path_y_m[-1] + 0.8  # the intent bends the plan towards the left lane
