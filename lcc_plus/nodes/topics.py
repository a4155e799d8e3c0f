"""Default global topic of every node's private topic names, and their QoS.

Nodes name their topics privately (`~/input/<name>`, `~/output/<name>`). This table
maps each to its default topic (docs/architecture.md). The defaults are relative
names (no leading slash) so that a namespace applies to them; with no namespace
they resolve to `/camera/image_raw`, `/lcc/command`, ... `/clock` and
`/diagnostics` stay absolute, as ROS tools expect them there.

`ros_args_with_default_remaps(node, argv)` appends the default rules after the
user's: rcl uses the first rule that matches, so a user's `-r ~/input/image:=...`
wins over the default. The launch files and `lcc-plus up` use the same table.
"""
from __future__ import annotations

# node name -> private topic -> default topic
TOPICS: dict[str, dict[str, str]] = {
    "vla_node": {
        "~/input/image": "camera/image_raw",
        "~/input/image_compressed": "camera/image_raw/compressed",
        "~/input/camera_info": "camera/camera_info",
        "~/input/vehicle_state": "vehicle/state",
        "~/input/intent": "lcc/intent",
        "~/output/vla_action": "lcc/vla_action",
        "~/output/debug_image": "lcc/debug/image",
        "~/output/diagnostics": "/diagnostics",
    },
    "mode_manager": {
        "~/input/vla_action": "lcc/vla_action",
        "~/input/vehicle_state": "vehicle/state",
        "~/input/driver_input": "vehicle/driver_input",
        "~/input/rear_objects": "sensing/rear_objects",
        "~/input/takeover_request": "lcc/takeover_request",
        "~/output/trajectory": "lcc/trajectory",
        "~/output/mode": "lcc/mode",
        "~/output/intent": "lcc/intent",
        "~/output/markers": "lcc/debug/markers",
        "~/output/diagnostics": "/diagnostics",
    },
    "controller": {
        "~/input/trajectory": "lcc/trajectory",
        "~/input/vehicle_state": "vehicle/state",
        "~/output/command": "lcc/command_proposed",
        "~/output/diagnostics": "/diagnostics",
    },
    "safety_monitor": {
        "~/input/image": "camera/image_raw",
        "~/input/vehicle_state": "vehicle/state",
        "~/input/driver_input": "vehicle/driver_input",
        "~/input/vla_action": "lcc/vla_action",
        "~/input/rear_objects": "sensing/rear_objects",
        "~/input/mode": "lcc/mode",
        "~/input/command": "lcc/command_proposed",
        "~/output/command": "lcc/command",
        "~/output/safety_status": "lcc/safety_status",
        "~/output/takeover_request": "lcc/takeover_request",
        "~/output/heartbeat": "lcc/heartbeat",
        "~/output/diagnostics": "/diagnostics",
    },
    "sim": {
        "~/input/command": "lcc/command",
        "~/input/takeover_request": "lcc/takeover_request",
        "~/input/mode": "lcc/mode",
        "~/input/sync/vla_action": "lcc/vla_action",
        "~/input/sync/command_proposed": "lcc/command_proposed",
        "~/output/image": "camera/image_raw",
        "~/output/camera_info": "camera/camera_info",
        "~/output/vehicle_state": "vehicle/state",
        "~/output/driver_input": "vehicle/driver_input",
        "~/output/rear_objects": "sensing/rear_objects",
        "~/output/ground_truth": "lcc/ground_truth",
        "~/output/diagnostics": "/diagnostics",
    },
    "twist_adapter": {
        "~/input/command": "lcc/command",
        "~/output/twist": "lcc/cmd_twist",
        "~/output/diagnostics": "/diagnostics",
    },
    "ackermann_adapter": {
        "~/input/command": "lcc/command",
        "~/output/ackermann": "lcc/cmd_ackermann",
        "~/output/diagnostics": "/diagnostics",
    },
}

# The stack, in start-up order (the simulator is added by sim.launch.py / --sim).
STACK_NODES: tuple[str, ...] = ("vla_node", "mode_manager", "controller", "safety_monitor")

# QoS per default topic: (reliable, depth, transient_local). Subscribers to camera
# images use the sensor-data profile (best effort) instead, which matches both.
QOS: dict[str, tuple[bool, int, bool]] = {
    "camera/image_raw": (True, 1, False),
    "camera/image_raw/compressed": (True, 1, False),
    "camera/camera_info": (True, 1, False),
    "lcc/intent": (True, 1, True),
    "lcc/takeover_request": (True, 10, True),
    "lcc/safety_status": (True, 100, False),
    "lcc/heartbeat": (True, 1, False),
    "lcc/debug/markers": (True, 1, False),
    "lcc/debug/image": (False, 1, False),
}
_DEFAULT_QOS = (True, 10, False)


def default_topic(node_name: str, private_name: str) -> str:
    """The default topic `private_name` (e.g. `~/input/image`) of `node_name` maps to."""
    try:
        return TOPICS[node_name][private_name]
    except KeyError as err:
        raise KeyError(f"no default topic for {node_name} {private_name}; see lcc_plus/nodes/topics.py") from err


def default_remaps(node_name: str) -> list[tuple[str, str]]:
    """(private name, default topic) pairs of `node_name`."""
    if node_name not in TOPICS:
        raise KeyError(f"unknown node {node_name!r}; known: {', '.join(TOPICS)}")
    return list(TOPICS[node_name].items())


def ros_args_with_default_remaps(node_name: str, argv: list[str], node_prefix: bool = False) -> list[str]:
    """`argv` with the default `-r ~/x:=topic` rules of `node_name` appended after the user's.

    With `node_prefix` the rules read `node_name:~/x:=topic`, so that in a process
    holding several nodes each rule only touches its own node.
    """
    prefix = f"{node_name}:" if node_prefix else ""
    extra = ["--ros-args"]
    for private, topic in default_remaps(node_name):
        extra += ["-r", f"{prefix}{private}:={topic}"]
    return [*argv, *extra]


def qos_profile(topic: str):
    """The rclpy QoSProfile of a default topic (see QOS); sensor-data for camera subscribers."""
    from rclpy.qos import QoSDurabilityPolicy, QoSHistoryPolicy, QoSProfile, QoSReliabilityPolicy

    reliable, depth, latched = QOS.get(topic.lstrip("/"), _DEFAULT_QOS)
    return QoSProfile(
        history=QoSHistoryPolicy.KEEP_LAST,
        depth=depth,
        reliability=QoSReliabilityPolicy.RELIABLE if reliable else QoSReliabilityPolicy.BEST_EFFORT,
        durability=QoSDurabilityPolicy.TRANSIENT_LOCAL if latched else QoSDurabilityPolicy.VOLATILE,
    )


def qos_for(node_name: str, private_name: str):
    """QoS of a node's private topic, looked up through its default topic."""
    return qos_profile(default_topic(node_name, private_name))
