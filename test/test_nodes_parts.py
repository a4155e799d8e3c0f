"""Pieces of the node glue: the VLA node's frame history and overlay camera, markers, input health."""
from __future__ import annotations

import math

import numpy as np
import pytest

pytestmark = pytest.mark.ros


def test_frame_history_hands_frames_the_model_gap_apart():
    from lcc_plus.nodes.vla_node import FrameHistory

    h = FrameHistory(num_frames=2, gap_s=0.1)
    frames = {t: np.full((2, 2, 3), i, np.uint8) for i, t in enumerate(np.arange(0.0, 1.0, 0.05))}
    out = None
    for t, f in frames.items():
        out = h.frames_for(float(t), f)
    assert len(out) == 2 and out[-1] is frames[max(frames)]
    assert int(out[0][0, 0, 0]) == len(frames) - 3, "the earlier frame is 0.1 s (two frames at 20 Hz) back"
    # a gap in the stream: no frame near t - gap, the model gets the newest only (it repeats it)
    assert len(h.frames_for(5.0, frames[0.0])) == 1
    # time going back (bag loop) starts over instead of pairing frames across the jump
    assert len(h.frames_for(0.5, frames[0.0])) == 1


def test_overlay_camera_takes_camera_info_intrinsics():
    from lcc_plus.common.params import ParamError
    from lcc_plus.nodes.vla_node import overlay_camera
    from lcc_plus.sim.camera import CameraModel

    info = CameraModel.from_config().to_camera_info()
    cam = overlay_camera({**info, "width": 1280, "height": 960, "k": [1040.0, 0, 640, 0, 1040.0, 480, 0, 0, 1]})
    assert (cam.width, cam.height) == (1280, 960)
    with pytest.raises((ParamError, ValueError)):
        overlay_camera({**info, "width": 320, "height": 240})


def test_markers_show_path_lines_and_leads_and_delete_what_is_absent():
    from builtin_interfaces.msg import Time
    from visualization_msgs.msg import Marker

    from lcc_plus.common.types import LaneLine, Lead, Perception, Trajectory
    from lcc_plus.nodes.markers import plan_markers

    traj = Trajectory(x_m=np.array([0.0, 10.0, math.nan, 30.0]), y_m=np.zeros(4))
    lines = [LaneLine(np.array([1.75, 0, 0, 0]), 0.0, 50.0, 0.9), LaneLine(probability=0.1),
             LaneLine(np.array([-1.75, 0, 0, 0]), 0.0, 50.0, 0.9), LaneLine(np.array([math.nan] * 4), 0, 50, 0.9)]
    p = Perception(lane_lines=lines, lead=Lead(30.0, -1.0, 0.2, 0.9), lead_left=Lead(probability=0.9))
    markers = plan_markers(Time(sec=1), traj, p).markers
    by_key = {(m.ns, m.id): m for m in markers}
    assert by_key[("path", 0)].action == Marker.ADD and len(by_key[("path", 0)].points) == 3  # NaN point dropped
    assert [by_key[("lanes", i)].action for i in range(4)] == [Marker.ADD, Marker.DELETE, Marker.ADD, Marker.DELETE]
    assert by_key[("leads", 0)].pose.position.x == pytest.approx(32.25)
    assert by_key[("leads", 1)].action == Marker.DELETE  # distance 0: no lead
    assert all(m.header.frame_id == "base_link" for m in markers)
    empty = plan_markers(Time(), None, None).markers
    assert {m.action for m in empty} == {Marker.DELETE} and len(empty) == 8


def test_non_finite_fields_are_named():
    from lcc_plus.common.types import EgoState, Perception, RearObject, RearSensing
    from lcc_plus.nodes.conversions import ConversionError
    from lcc_plus.nodes.input_health import non_finite_fields, require_finite

    assert non_finite_fields(EgoState(speed_mps=math.nan, yaw_rate_radps=math.inf)) == ["speed_mps", "yaw_rate_radps"]
    rear = RearSensing(objects=[RearObject(1, 0.0, 0.0, 0.0, 0.0), RearObject(2, math.nan, 0.0, 0.0, 0.0)])
    assert non_finite_fields(rear) == ["objects.1.x_m"]
    p = Perception(path_y_m=np.array([0.0, math.nan]))
    assert non_finite_fields(p) == ["path_y_m"]
    with pytest.raises(ConversionError, match="speed_mps"):
        require_finite(EgoState(speed_mps=math.nan), "VehicleState")
    assert require_finite(EgoState(), "VehicleState") == EgoState()
