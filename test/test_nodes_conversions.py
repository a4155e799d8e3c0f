"""Message <-> core type conversions, camera decoding and ROS parameter declaration."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

pytestmark = pytest.mark.ros


def _wire(msg):
    """Serialize and deserialize `msg` as DDS would."""
    from rclpy.serialization import deserialize_message, serialize_message

    return deserialize_message(serialize_message(msg), type(msg))


def _same(a, b) -> bool:
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (list, tuple, np.ndarray)):
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        if a_arr.dtype.kind in "fi":
            return a_arr.shape == b_arr.shape and np.array_equal(a_arr, b_arr, equal_nan=True)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def _cases():
    from lcc_plus.common import types as t

    line = t.LaneLine(coefficients=np.array([1.75, 0.01, 1e-4, -1e-6]), x_min_m=0.0, x_max_m=60.0,
                      probability=0.9, line_type=t.LineType.DASHED)
    lines = [line, dataclasses.replace(line, line_type=t.LineType.SOLID), line,
             dataclasses.replace(line, coefficients=np.array([np.nan, 0.0, 0.0, 0.0]))]
    return {
        "ego": (t.EgoState(1.25, 20.0, 0.01, -0.02, 0.3, float("nan"), t.TurnSignal.LEFT), "ego"),
        "driver": (t.DriverControls(2.0, t.Lever.RIGHT, 1.5, False, True, 0.2, 0.0, True, False, 27.0), "driver"),
        "rear": (t.RearSensing(3.0, [t.RearObject(7, -30.0, 3.5, 30.0, 0.0, lane=1, position_covariance=(1, 0, 0, 2)),
                                     t.RearObject(9, -5.0, -3.5, float("inf"), 0.0)], True, False, True, 80.0), "rear"),
        "perception": (t.Perception(
            stamp_s=4.5, path_t_s=np.linspace(0, 4, 5), path_x_m=np.linspace(0, 80, 5),
            path_y_m=np.array([0.0, 0.1, np.nan, 0.3, 0.4]), path_speed_mps=np.full(5, 20.0), lane_lines=lines,
            lead=t.Lead(40.0, -2.0, 0.1, 0.8), lead_left=t.Lead(), lead_right=t.Lead(12.0, 1.0, -3.5, 0.5),
            intent=t.IntentKind.CHANGE_LEFT, fork_preference=t.ForkPreference.RIGHT, lane_change_progress=0.3,
            confidence=0.7, model_id="vla.onnx@abc123", inference_time_ms=1.3), "perception"),
        "intent": (t.Intent(5.0, t.IntentKind.CHANGE_RIGHT, t.ForkPreference.MAIN, "keep right"), "intent"),
        "trajectory": (t.Trajectory(6.0, *(np.linspace(0, k, 4) for k in (3, 60, 1, 20, 0.5, 0.01)),
                                    t.TurnSignal.RIGHT, 0.9), "trajectory"),
        "mode": (t.ModeStatus(7.0, t.Mode.LANE_CHANGE, t.Mode.LANE_KEEP, t.LaneChangePhase.EXECUTE, -1,
                              t.LaneChangeTrigger.SLOW_LEAD, "slow lead", 6.5, "blind spot", 6.0), "mode"),
        "command": (t.Command(8.0, 0.02, 0.01, -1.5, 25.0, t.TurnSignal.HAZARD, True, t.CommandSource.MRM, True),
                    "command"),
        "safety": (t.SafetyReport(9.0, t.SafetyLevel.TAKEOVER,
                                  [t.Check("ttc_lead_s", 1.2, 2.0, True, t.Severity.CRITICAL)], True, "ttc",
                                  t.TakeoverLevel.AUDIBLE, 42), "safety"),
        "takeover": (t.TakeoverDemand(10.0, t.TakeoverLevel.VISUAL, "hands off", 25.0), "takeover"),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_round_trip_through_the_wire(name):
    from lcc_plus.nodes import conversions as c

    value, stem = _cases()[name]
    msg = _wire(getattr(c, f"{stem}_to_msg")(value))
    back = getattr(c, f"{stem}_from_msg")(msg)
    assert _same(value, back), (value, back)


def test_nan_passes_through_for_the_safety_monitor_to_judge():
    from lcc_plus.nodes import conversions as c

    value, _ = _cases()["perception"]
    back = c.perception_from_msg(_wire(c.perception_to_msg(value)))
    assert math.isnan(back.path_y_m[2]) and math.isnan(back.lane_lines[3].coefficients[0])


def test_stamps():
    from lcc_plus.nodes import conversions as c

    stamp = c.to_stamp(1.9999999999)
    assert (stamp.sec, stamp.nanosec) == (2, 0)
    assert c.to_seconds(c.to_stamp(123.456789)) == pytest.approx(123.456789, abs=1e-9)
    for bad in (float("nan"), float("inf"), -1.0, 2.0**31):
        with pytest.raises(c.ConversionError, match="cannot be a ROS stamp"):
            c.to_stamp(bad)


def test_garbage_messages_raise_with_a_reason():
    from lcc_plus.msg import ModeState, Trajectory, VehicleState, VlaAction

    from lcc_plus.nodes import conversions as c

    with pytest.raises(c.ConversionError, match="turn_signal=9"):
        c.ego_from_msg(VehicleState(turn_signal=9))
    with pytest.raises(c.ConversionError, match="ModeState.mode=42"):
        c.mode_from_msg(ModeState(mode=42))
    with pytest.raises(c.ConversionError, match="differ in length"):
        c.perception_from_msg(VlaAction(path_t_s=[0.0, 1.0], path_x_m=[0.0], path_y_m=[0.0], path_speed_mps=[0.0]))
    with pytest.raises(c.ConversionError, match="differ in length"):
        c.trajectory_from_msg(Trajectory(t_s=[0.0], x_m=[0.0, 1.0]))


def _image(encoding, rows: np.ndarray, pad: int = 0):
    from sensor_msgs.msg import Image

    h, w = rows.shape[:2]
    flat = rows.reshape(h, -1)
    padded = np.concatenate([flat, np.zeros((h, pad), np.uint8)], axis=1)
    return Image(height=h, width=w, encoding=encoding, step=padded.shape[1], data=padded.tobytes())


def test_raw_encodings_decode_to_rgb_even_with_row_padding():
    from lcc_plus.nodes import conversions as c

    rgb = np.random.default_rng(0).integers(0, 255, (4, 5, 3), dtype=np.uint8)
    assert np.array_equal(c.image_to_rgb(_image("rgb8", rgb, pad=3)), rgb)
    assert np.array_equal(c.image_to_rgb(_image("bgr8", rgb[..., ::-1].copy())), rgb)
    gray = rgb[..., 0].copy()
    assert np.array_equal(c.image_to_rgb(_image("mono8", gray, pad=1)), np.repeat(gray[..., None], 3, axis=2))
    assert np.array_equal(c.image_to_rgb(_wire(c.rgb_to_image(rgb, 1.0))), rgb)


def test_bad_raw_images_are_rejected_with_a_reason():
    from sensor_msgs.msg import Image

    from lcc_plus.nodes import conversions as c

    rgb = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(c.ConversionError, match="encoding '16UC1' is not supported"):
        c.image_to_rgb(Image(height=4, width=5, encoding="16UC1", step=10, data=bytes(40)))
    with pytest.raises(c.ConversionError, match="expected step\\*height"):
        c.image_to_rgb(Image(height=4, width=5, encoding="rgb8", step=15, data=bytes(50)))
    with pytest.raises(c.ConversionError, match="smaller than width"):
        c.image_to_rgb(Image(height=4, width=5, encoding="rgb8", step=5, data=bytes(20)))
    with pytest.raises(c.ConversionError, match="empty"):
        c.image_to_rgb(Image(height=0, width=5, encoding="rgb8", step=15))
    with pytest.raises(c.ConversionError, match="uint8 RGB"):
        c.rgb_to_image(rgb[..., 0], 0.0)


def test_compressed_images():
    from sensor_msgs.msg import CompressedImage

    from lcc_plus.nodes import conversions as c

    rgb = np.zeros((16, 24, 3), np.uint8)
    rgb[:, :12] = (200, 30, 10)
    assert np.array_equal(c.compressed_to_rgb(_wire(c.rgb_to_compressed(rgb, 0.5, fmt="png"))), rgb)
    jpeg = c.compressed_to_rgb(c.rgb_to_compressed(rgb, 0.5))
    assert jpeg.shape == rgb.shape and np.abs(jpeg.astype(int) - rgb).mean() < 8
    with pytest.raises(c.ConversionError, match="cannot decode"):
        c.compressed_to_rgb(CompressedImage(format="jpeg", data=b"not a jpeg at all"))
    with pytest.raises(c.ConversionError, match="no data"):
        c.compressed_to_rgb(CompressedImage(format="jpeg"))
    with pytest.raises(c.ConversionError, match="depth"):
        c.compressed_to_rgb(CompressedImage(format="16UC1; compressedDepth", data=b"\x00" * 16))


def test_camera_info_round_trip_and_garbage():
    from sensor_msgs.msg import CameraInfo

    from lcc_plus.nodes import conversions as c

    k = [500.0, 0.0, 320.5, 0.0, 505.0, 240.5, 0.0, 0.0, 1.0]
    cam = {"frame_id": "camera_front", "width": 640, "height": 480, "distortion_model": "plumb_bob",
           "d": [0.1, -0.01, 0.0, 0.0, 0.0], "k": k, "r": [1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0],
           "p": [*k[0:3], 0.0, *k[3:6], 0.0, *k[6:9], 0.0], "binning_x": 0, "binning_y": 0}
    assert c.camera_info_to_dict(_wire(c.dict_to_camera_info(cam, 2.0))) == cam
    with pytest.raises(c.ConversionError, match="cannot be a CameraInfo"):
        c.dict_to_camera_info({"width": 640, "height": 480, "k": [1.0, 2.0]}, 0.0)
    with pytest.raises(c.ConversionError, match="focal"):
        c.camera_info_to_dict(CameraInfo(width=640, height=480))
    with pytest.raises(c.ConversionError, match="empty"):
        c.camera_info_to_dict(CameraInfo())


# --- parameters ---------------------------------------------------------------

@pytest.fixture
def demo_params(tmp_path, monkeypatch):
    from lcc_plus.common.params import spec

    @dataclasses.dataclass(frozen=True)
    class DemoParams:
        gain: float = spec("a gain", unit="1/s", min=0.0, max=2.0)
        count: int = spec("a count", min=1, max=10)
        mode: str = spec("a mode", choices=("fast", "slow"))
        enabled: bool = spec("switch")
        table_mps: list[float] = spec("speeds", unit="m/s", min=0.0)

    (tmp_path / "demo.yaml").write_text(
        "demo_node:\n  ros__parameters:\n    gain: 1\n    count: 3\n    mode: fast\n    enabled: true\n"
        "    table_mps: [1, 2.5]\n")
    monkeypatch.setenv("LCC_PLUS_CONFIG_DIR", str(tmp_path))
    return DemoParams


@pytest.fixture
def ros_context():
    import rclpy

    context = rclpy.Context()
    rclpy.init(context=context)
    yield context
    rclpy.shutdown(context=context)


def _node(context, overrides=()):
    from rclpy.node import Node

    return Node("demo_node", context=context, parameter_overrides=list(overrides))


def test_declared_parameters_carry_defaults_descriptions_and_ranges(demo_params, ros_context):
    from lcc_plus.nodes.node_params import declare_params

    node = _node(ros_context)
    values = declare_params(node, demo_params, "demo.yaml", "demo_node")
    assert values.gain == 1.0 and values.count == 3 and values.table_mps == (1.0, 2.5)
    d = node.describe_parameter("gain")
    assert "a gain" in d.description and "1/s" in d.description
    assert (d.floating_point_range[0].from_value, d.floating_point_range[0].to_value) == (0.0, 2.0)
    assert node.describe_parameter("count").integer_range[0].to_value == 10
    assert "slow" in node.describe_parameter("mode").additional_constraints
    node.destroy_node()


@pytest.mark.parametrize("override, message", [
    (("gain", 5.0), "gain"),
    (("count", 0), "count"),
    (("mode", "warp"), "'warp' is not one of fast, slow"),
    (("table_mps", [-1.0]), "below the minimum"),
    (("gain", "high"), "gain"),
])
def test_bad_start_up_value_stops_with_a_clear_message(demo_params, ros_context, override, message):
    from rclpy.parameter import Parameter

    from lcc_plus.common.params import ParamError
    from lcc_plus.nodes.node_params import declare_params

    node = _node(ros_context, [Parameter(override[0], value=override[1])])
    with pytest.raises(ParamError, match=message) as err:
        declare_params(node, demo_params, "demo.yaml", "demo_node")
    assert "demo_node" in str(err.value)
    node.destroy_node()


def test_runtime_sets_are_validated(demo_params, ros_context):
    from rclpy.parameter import Parameter

    from lcc_plus.nodes.node_params import declare_params

    seen = []
    node = _node(ros_context)
    declare_params(node, demo_params, "demo.yaml", "demo_node", on_change=seen.append)
    refused = node.set_parameters([Parameter("mode", value="warp")])[0]
    assert not refused.successful and "warp" in refused.reason
    assert node.set_parameters([Parameter("table_mps", value=[3.0, 4.0])])[0].successful
    assert seen and seen[-1].table_mps == (3.0, 4.0) and node.get_parameter("mode").value == "fast"
    node.destroy_node()


def test_without_on_change_parameters_are_read_only(demo_params, ros_context):
    from rclpy.parameter import Parameter

    from lcc_plus.nodes.node_params import declare_params

    node = _node(ros_context)
    declare_params(node, demo_params, "demo.yaml", "demo_node")
    assert not node.set_parameters([Parameter("gain", value=1.5)])[0].successful
    node.destroy_node()
