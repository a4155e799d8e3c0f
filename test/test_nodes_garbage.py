"""Every node, in its own process, survives garbage on each of its inputs and reports it.

Garbage (NaN, out-of-range enums, arrays of mismatched sizes, images with unsupported
encodings or wrong buffer sizes, undecodable JPEG) goes to each input over DDS; the
node must stay alive, count the rejection with its reason on /diagnostics, and still
answer a well-formed input afterwards.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.ros

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def probe():
    from graph_probe import GraphProbe

    p = GraphProbe()
    yield p
    p.close()


def _start(executable: str, *ros_args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(REPO / "nodes" / executable), "--ros-args", *ros_args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(2)
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def _rejections(probe, node_name: str) -> dict[str, str]:
    """Latest `<input>.rejected` / `.last_reason` values the node published on /diagnostics."""
    out: dict[str, str] = {}
    for msg in probe.get("/diagnostics"):
        for status in msg.status:
            if status.name == f"{node_name}: inputs":
                out.update({kv.key: kv.value for kv in status.values})
    return out


def _publisher(probe, cls, topic):
    from lcc_plus.nodes.topics import qos_profile

    return probe.node.create_publisher(cls, topic, qos_profile(topic))


def _wait_for_subscriber(probe, topic: str, timeout_s: float = 30.0) -> None:
    assert probe.wait_for(lambda: probe.node.count_subscribers(topic) > 0, timeout_s), f"no subscriber on {topic}"


def _stamp(msg, t: float = 1.0):
    from lcc_plus.nodes.conversions import to_stamp

    msg.header.stamp = to_stamp(t)
    return msg


def _good_state(t: float):
    from lcc_plus.common.types import EgoState
    from lcc_plus.nodes.conversions import ego_to_msg

    return ego_to_msg(EgoState(stamp_s=t, speed_mps=20.0))


def _send_until(probe, publish, done, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        publish()
        if done():
            return True
        time.sleep(0.1)
    return False


def _check_rejected(probe, node_name: str, publish_garbage, expected: dict[str, str]) -> None:
    """Publish garbage until each input in `expected` shows rejections with a reason containing its text
    (DDS discovery may drop the first messages)."""
    def seen() -> bool:
        r = _rejections(probe, node_name)
        return all(int(r.get(f"{i}.rejected", "0")) > 0 and text in r.get(f"{i}.last_reason", "")
                   for i, text in expected.items())

    assert _send_until(probe, publish_garbage, seen, 30.0), _rejections(probe, node_name)


def test_controller_survives_garbage(probe):
    from lcc_plus.msg import Trajectory, VehicleState

    proc = _start("controller_node")
    try:
        state_pub = _publisher(probe, VehicleState, "/vehicle/state")
        traj_pub = _publisher(probe, Trajectory, "/lcc/trajectory")
        _wait_for_subscriber(probe, "/vehicle/state")
        _wait_for_subscriber(probe, "/lcc/trajectory")
        def garbage() -> None:
            state_pub.publish(_stamp(VehicleState(turn_signal=9)))
            state_pub.publish(_stamp(VehicleState(speed_mps=float("nan"))))
            traj_pub.publish(_stamp(Trajectory(t_s=[0.0, 1.0], x_m=[0.0])))

        _check_rejected(probe, "controller", garbage, {"vehicle_state": "non-finite",
                                                       "trajectory": "differ in length"})
        assert proc.poll() is None
        assert _send_until(probe, lambda: state_pub.publish(_good_state(2.0)),
                           lambda: len(probe.get("/lcc/command_proposed")) > 0)
    finally:
        out = _stop(proc)
    assert "Traceback" not in out, out


def test_mode_manager_survives_garbage(probe):
    from lcc_plus.msg import DriverInput, ObjectList, TakeoverRequest, TrackedObject, VehicleState, VlaAction

    proc = _start("mode_manager_node")
    try:
        pubs = {t: _publisher(probe, c, t) for t, c in (
            ("/vehicle/state", VehicleState), ("/vehicle/driver_input", DriverInput),
            ("/lcc/vla_action", VlaAction), ("/sensing/rear_objects", ObjectList),
            ("/lcc/takeover_request", TakeoverRequest))}
        for topic in pubs:
            _wait_for_subscriber(probe, topic)
        garbage = {
            "/vehicle/state": _stamp(VehicleState(yaw_rate_radps=float("inf"))),
            "/vehicle/driver_input": _stamp(DriverInput(turn_signal_lever=7)),
            "/lcc/vla_action": _stamp(VlaAction(path_t_s=[0.0, 1.0], path_x_m=[1.0], intent=5)),
            "/sensing/rear_objects": _stamp(ObjectList(objects=[TrackedObject(x_m=float("nan"))],
                                                       rear_range_m=float("nan"))),
            "/lcc/takeover_request": _stamp(TakeoverRequest(level=9)),
        }
        def publish_garbage() -> None:
            for topic, msg in garbage.items():
                pubs[topic].publish(msg)

        _check_rejected(probe, "mode_manager", publish_garbage, {
            "vehicle_state": "non-finite", "driver_input": "turn_signal_lever=7",
            "vla_action": "VlaAction.intent=5", "takeover_request": "TakeoverRequest.level=9",
            "rear_objects": "non-finite"})
        assert proc.poll() is None

        def good() -> None:
            pubs["/vehicle/state"].publish(_good_state(3.0))
            pubs["/vehicle/driver_input"].publish(_stamp(DriverInput(hands_on=True), 3.0))
            pubs["/sensing/rear_objects"].publish(garbage["/sensing/rear_objects"])  # rejected, never planned on

        assert _send_until(probe, good, lambda: len(probe.get("/lcc/mode")) > 3)
        assert proc.poll() is None
    finally:
        out = _stop(proc)
    assert "Traceback" not in out, out


def test_twist_adapter_maps_commands_and_survives_garbage():
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import TwistStamped
    from graph_probe import GraphProbe
    from lcc_plus.msg import ControlCommand

    probe = GraphProbe({"/lcc/cmd_twist": TwistStamped, "/diagnostics": DiagnosticArray})
    proc = _start("twist_adapter_node", "-p", "wheelbase_m:=2.5")
    try:
        pub = _publisher(probe, ControlCommand, "/lcc/command")
        _wait_for_subscriber(probe, "/lcc/command")
        def garbage() -> None:
            pub.publish(_stamp(ControlCommand(steering_angle_rad=float("nan"), engaged=True)))
            pub.publish(_stamp(ControlCommand(source=17, engaged=True)))

        _check_rejected(probe, "twist_adapter", garbage, {"command": "ControlCommand.source=17"})
        good = _stamp(ControlCommand(steering_angle_rad=0.1, target_speed_mps=10.0, engaged=True, source=1), 4.0)
        assert _send_until(probe, lambda: pub.publish(good), lambda: len(probe.get("/lcc/cmd_twist")) > 0)
        twist = probe.get("/lcc/cmd_twist")[-1].twist
        assert twist.linear.x == pytest.approx(10.0)
        assert twist.angular.z == pytest.approx(10.0 * np.tan(0.1) / 2.5)
        for _ in range(10):  # not engaged: the adapter stays silent, the driver is in charge
            pub.publish(_stamp(ControlCommand(target_speed_mps=10.0, engaged=False), 5.0))
            time.sleep(0.05)
        time.sleep(0.5)
        assert {m.header.stamp.sec for m in probe.get("/lcc/cmd_twist")} == {4}
    finally:
        out = _stop(proc)
        probe.close()
    assert "Traceback" not in out, out


def test_bad_parameter_stops_start_up_with_a_clear_message():
    proc = _start("controller_node", "-p", "rate_hz:=0.0")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "cannot start" in out and "rate_hz" in out and "[1, 500]" in out


def test_ackermann_adapter_explains_a_missing_ackermann_msgs():
    pytest.importorskip("rclpy")
    try:
        import ackermann_msgs  # noqa: F401
    except ImportError:
        proc = _start("ackermann_adapter_node")
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 2 and "ackermann_msgs is not installed" in out
    else:
        pytest.skip("ackermann_msgs is installed here; the adapter runs")


@pytest.fixture(scope="module")
def vla_model(tmp_path_factory) -> Path:
    """The shipped model; else an untrained export of the same network (this tests the node, not the model)."""
    from stack_model import stack_model_path

    shipped = stack_model_path()
    if shipped.is_file():
        return shipped
    torch = pytest.importorskip("torch", reason=f"no shipped VLA model at {shipped} and no torch to export one")
    from lcc_plus.sim.camera import CameraModel
    from lcc_plus.vla.export import export_onnx
    from lcc_plus.vla.model import VlaNet
    from lcc_plus.vla.preprocess import CameraIntrinsics, virtual_camera_k
    from lcc_plus.vla.runtime import InputSpec

    info = CameraModel.from_config().to_camera_info()
    cam = CameraIntrinsics(info["width"], info["height"], tuple(info["k"]), tuple(info["d"]))
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vla") / "untrained.onnx"
    export_onnx(VlaNet(2, 64, 128), InputSpec(2, 128, 64, virtual_camera_k(cam, 0.35, 0.95, 128, 64), cam, 0.1),
                path)
    return path


def test_vla_node_rejects_bad_images_and_still_runs_good_ones(probe, vla_model):
    from lcc_plus.msg import VehicleState
    from sensor_msgs.msg import CameraInfo, CompressedImage, Image

    from lcc_plus.nodes import conversions as conv

    proc = _start("vla_node", "-p", f"model_path:={vla_model}", "-p", "max_frame_age_s:=5.0")
    try:
        pubs = {t: _publisher(probe, c, t) for t, c in (
            ("/camera/image_raw", Image), ("/camera/image_raw/compressed", CompressedImage),
            ("/camera/camera_info", CameraInfo), ("/vehicle/state", VehicleState))}
        for topic in pubs:
            _wait_for_subscriber(probe, topic, 60.0)

        def now_stamped(msg):
            return _stamp(msg, time.time())

        def garbage() -> None:
            pubs["/vehicle/state"].publish(now_stamped(VehicleState(speed_mps=20.0)))
            pubs["/camera/camera_info"].publish(now_stamped(CameraInfo(width=640, height=480)))
            pubs["/camera/image_raw"].publish(now_stamped(Image(height=4, width=4, encoding="16UC1", step=8,
                                                                data=bytes(32))))
            time.sleep(0.15)  # one frame per processing period: the node keeps only the newest
            pubs["/camera/image_raw/compressed"].publish(now_stamped(CompressedImage(format="jpeg", data=b"junk")))
            time.sleep(0.15)

        _check_rejected(probe, "vla_node", garbage, {"image": "16UC1", "image_compressed": "cannot decode",
                                                     "camera_info": "focal"})

        def nan_state() -> None:
            pubs["/vehicle/state"].publish(now_stamped(VehicleState(speed_mps=float("nan"))))

        _check_rejected(probe, "vla_node", nan_state, {"vehicle_state": "non-finite"})
        assert proc.poll() is None
        rgb = np.zeros((480, 640, 3), np.uint8)

        def good() -> None:
            pubs["/vehicle/state"].publish(now_stamped(VehicleState(speed_mps=20.0)))
            pubs["/camera/image_raw"].publish(conv.rgb_to_image(rgb, time.time()))
            time.sleep(0.1)

        assert _send_until(probe, good, lambda: len(probe.get("/lcc/vla_action")) > 0, 30.0)
        assert probe.get("/lcc/vla_action")[-1].model_id.startswith(vla_model.name)
    finally:
        out = _stop(proc)
    assert "Traceback" not in out, out


def test_sim_node_survives_garbage_commands(probe):
    from lcc_plus.msg import ControlCommand, TakeoverRequest

    proc = _start("sim_node", "-p", "duration_s:=60.0", "-p", "wait_for_stack_s:=0.0")
    try:
        cmd_pub = _publisher(probe, ControlCommand, "/lcc/command")
        takeover_pub = _publisher(probe, TakeoverRequest, "/lcc/takeover_request")
        _wait_for_subscriber(probe, "/lcc/command", 60.0)

        def garbage() -> None:
            cmd_pub.publish(_stamp(ControlCommand(accel_mps2=float("inf"), engaged=True)))
            takeover_pub.publish(_stamp(TakeoverRequest(level=42)))

        _check_rejected(probe, "sim", garbage, {"command": "non-finite", "takeover_request": "level=42"})
        before = len(probe.get("/vehicle/state"))
        assert probe.wait_for(lambda: len(probe.get("/vehicle/state")) > before + 5, 20.0)
        assert proc.poll() is None
    finally:
        out = _stop(proc)
    assert "Traceback" not in out, out
