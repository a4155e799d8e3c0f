"""Every lcc_plus message imports, documents its units, and round-trips between two
processes over real DDS; the package is found in the ament index after the build."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MSG_DIR = REPO / "msg"
REQUIRED = ["VehicleState", "DriverInput", "TrackedObject", "ObjectList", "LaneLine", "VlaAction",
            "ModeState", "ControlCommand", "SafetyStatus", "TakeoverRequest"]


def test_required_messages_exist():
    present = {p.stem for p in MSG_DIR.glob("*.msg")}
    assert set(REQUIRED) <= present, set(REQUIRED) - present


@pytest.mark.parametrize("path", sorted(MSG_DIR.glob("*.msg")), ids=lambda p: p.stem)
def test_message_documents_units_or_frame(path):
    text = path.read_text()
    assert text.lstrip().startswith("#"), f"{path.name} must open with a comment saying what it is"
    # Every float field names its unit in the field name or in a trailing comment.
    for line in text.splitlines():
        m = re.match(r"\s*float64(\[\d*\])?\s+(\w+)\s*(#.*)?$", line)
        if m:
            name, comment = m.group(2), m.group(3) or ""
            assert re.search(r"_(m|s|mps|mps2|rad|radps|nm|ms|1pm)$", name) or "[" in comment, (
                f"{path.name}: field {name} has no unit")


@pytest.mark.ros
def test_python_import_of_generated_types():
    from lcc_plus.msg import ControlCommand, SafetyStatus, TakeoverRequest, VlaAction

    assert VlaAction().lane_lines[VlaAction.LINE_EGO_RIGHT].line_type == 0
    assert ControlCommand.SOURCE_MRM == 3
    assert SafetyStatus.LEVEL_EMERGENCY == 4
    assert TakeoverRequest.LEVEL_AUDIBLE == 2


@pytest.mark.ros
def test_package_share_directory():
    from ament_index_python.packages import get_package_share_directory

    share = Path(get_package_share_directory("lcc_plus"))
    assert (share / "package.xml").exists()
    assert (share / "config").is_dir()
    assert (share / "launch").is_dir()


@pytest.mark.ros
def test_every_message_round_trips_between_processes():
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import QoSDurabilityPolicy, QoSProfile, QoSReliabilityPolicy

    sys.path.insert(0, str(Path(__file__).parent))
    from ros_helpers import equal, fill, message_classes, spin_until

    echo = subprocess.Popen([sys.executable, str(Path(__file__).parent / "echo_node.py")])
    rclpy.init()
    try:
        node = rclpy.create_node("lcc_plus_roundtrip")
        qos = QoSProfile(depth=10, reliability=QoSReliabilityPolicy.RELIABLE,
                         durability=QoSDurabilityPolicy.TRANSIENT_LOCAL)
        classes = message_classes()
        sent, received, pubs = {}, {}, {}
        for i, (name, cls) in enumerate(classes.items()):
            sent[name] = fill(cls(), seed=10 * i + 1)
            pubs[name] = node.create_publisher(cls, f"rt/{name}", qos)
            node.create_subscription(cls, f"rt/{name}/echo", lambda m, n=name: received.setdefault(n, m), qos)
        ex = SingleThreadedExecutor()
        ex.add_node(node)

        def all_matched():
            return all(p.get_subscription_count() > 0 for p in pubs.values())

        assert spin_until(ex, all_matched, 30.0), "echo process never subscribed"
        for name, pub in pubs.items():
            pub.publish(sent[name])
        assert spin_until(ex, lambda: len(received) == len(classes), 30.0), (
            f"no echo for {sorted(set(classes) - set(received))}")
        for name in classes:
            assert equal(sent[name], received[name]), f"{name} changed on the way: {received[name]}"
    finally:
        rclpy.try_shutdown()
        echo.terminate()
        echo.wait(timeout=10)


def test_package_xml_is_valid_format3():
    from catkin_pkg.package import parse_package

    pkg = parse_package(str(REPO / "package.xml"))
    assert pkg.name == "lcc_plus"
    assert pkg.package_format == 3
    assert pkg.get_build_type() == "ament_cmake"
    deps = {d.name for d in pkg.exec_depends + pkg.build_depends + pkg.buildtool_depends}
    for needed in ("rosidl_default_generators", "rclpy", "sensor_msgs", "lanelet2_python", "python3-onnxruntime-pip"):
        assert needed in deps, needed
