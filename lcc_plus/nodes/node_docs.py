"""Write docs/nodes.md: every node's inputs, outputs and parameters, from the code and config.

    python -m lcc_plus.nodes.node_docs [--check]

Topics come from lcc_plus/nodes/topics.py, parameters from each node's params
dataclasses (description, unit, range) with their defaults from config/*.yaml, so the
page cannot drift from the code: test/test_nodes_docs.py fails when it is stale.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lcc_plus.common import params
from lcc_plus.nodes import node_config, topics

OUT = Path(__file__).resolve().parents[2] / "docs" / "nodes.md"

# default topic -> message type
TYPES = {
    "camera/image_raw": "sensor_msgs/Image", "camera/image_raw/compressed": "sensor_msgs/CompressedImage",
    "camera/camera_info": "sensor_msgs/CameraInfo", "vehicle/state": "lcc_plus/VehicleState",
    "vehicle/driver_input": "lcc_plus/DriverInput", "sensing/rear_objects": "lcc_plus/ObjectList",
    "lcc/vla_action": "lcc_plus/VlaAction",
    "lcc/ground_truth": "lcc_plus/VlaAction", "lcc/intent": "lcc_plus/Intent", "lcc/trajectory": "lcc_plus/Trajectory",
    "lcc/mode": "lcc_plus/ModeState", "lcc/command_proposed": "lcc_plus/ControlCommand",
    "lcc/command": "lcc_plus/ControlCommand", "lcc/safety_status": "lcc_plus/SafetyStatus",
    "lcc/takeover_request": "lcc_plus/TakeoverRequest", "lcc/heartbeat": "lcc_plus/Heartbeat",
    "/diagnostics": "diagnostic_msgs/DiagnosticArray", "lcc/debug/markers": "visualization_msgs/MarkerArray",
    "lcc/debug/image": "sensor_msgs/Image", "lcc/cmd_twist": "geometry_msgs/TwistStamped",
    "lcc/cmd_ackermann": "ackermann_msgs/AckermannDriveStamped",
}

# node -> (executable, what it does, [(params class path, config file)])
NODES = {
    "vla_node": ("vla_node", "Camera frames through the VLA driving model (lcc_plus/vla/runtime.py); newest frame "
                 "only, processed on a timer, never a backlog. Images: rgb8, bgr8, mono8, or any CompressedImage "
                 "OpenCV decodes; others are rejected with the reason. Subscribes to images with sensor-data QoS.",
                 [("lcc_plus.vla.runtime:VlaParams", "vla.yaml"),
                  ("lcc_plus.nodes.node_config:VlaNodeParams", node_config.NODES_YAML)]),
    "mode_manager": ("mode_manager_node", "Lane keeping and route-free lane changes "
                     "(lcc_plus/planning/mode_manager.py) on a timer; every transition and refusal published with "
                     "its reason in ModeState and logged; markers for the path, lanes and leads.",
                     [("lcc_plus.planning.params:ModeManagerParams", "planning.yaml"),
                      ("lcc_plus.nodes.node_config:LoopNodeParams", node_config.NODES_YAML)]),
    "controller": ("controller_node", "Trajectory tracking (lcc_plus/control/controller.py) on a timer; the "
                   "command it proposes is gated by the safety monitor.",
                   [("lcc_plus.control.params:ControllerParams", "control.yaml"),
                    ("lcc_plus.nodes.node_config:LoopNodeParams", node_config.NODES_YAML)]),
    "safety_monitor": ("safety_monitor_node", "The only publisher of the gated command: limits, checks, "
                       "watchdogs, takeover escalation and MRM (lcc_plus/safety/monitor.py; docs/safety.md).",
                       [("lcc_plus.safety.params:SafetyParams", "safety.yaml")]),
    "sim": ("sim_node", "The built-in simulator (lcc_plus/sim/world.py) driving /clock, rate_factor times real "
            "time; consumes the gated command and the takeover request; writes the KPI report at the end.",
            [("lcc_plus.nodes.node_config:SimNodeParams", node_config.NODES_YAML)]),
    "twist_adapter": ("twist_adapter_node", "Gated command as TwistStamped: linear.x = target speed, angular.z = "
                      "v tan(steering) / wheelbase; only while engaged.",
                      [("lcc_plus.nodes.node_config:TwistAdapterParams", node_config.NODES_YAML)]),
    "ackermann_adapter": ("ackermann_adapter_node", "Gated command as AckermannDriveStamped where ackermann_msgs "
                          "is installed (else it exits with a message): steering angle and target speed are "
                          "set-points; acceleration (|accel|) and jerk are LIMITS, not set-points; only while "
                          "engaged.",
                          [("lcc_plus.nodes.node_config:AckermannAdapterParams", node_config.NODES_YAML)]),
}


def _class(path: str) -> type:
    import importlib

    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _range(s: params.ParamSpec) -> str:
    if s.choices:
        return " / ".join(s.choices)
    if s.min is None and s.max is None:
        return ""
    return f"[{'' if s.min is None else f'{s.min:g}'}, {'' if s.max is None else f'{s.max:g}'}]"


def _qos(topic: str, subscriber_of_camera: bool) -> str:
    if subscriber_of_camera:
        return "best effort, keep last 1 (sensor data)"
    reliable, depth, latched = topics.QOS.get(topic.lstrip("/"), topics._DEFAULT_QOS)
    return f"{'reliable' if reliable else 'best effort'}, keep last {depth}{', transient local' if latched else ''}"


def render() -> str:
    lines = ["# lcc_plus nodes", "",
             "Generated by `python -m lcc_plus.nodes.node_docs` from lcc_plus/nodes/topics.py, the params "
             "dataclasses and config/*.yaml; do not edit by hand. Private names (`~/input/...`, "
             "`~/output/...`) are remappable (`-r ~/input/image:=/my/camera`); the defaults are relative, "
             "so a namespace applies. Every node takes `use_sim_time`, reports rejected input messages "
             "(with the reason) on `/diagnostics`, refuses to start on an invalid parameter (exit status 2), "
             "and stops on Ctrl-C with exit status 0 once the callback in progress has finished "
             "(lcc_plus/nodes/runner.py).", ""]
    for name, (exe, what, classes) in NODES.items():
        lines += [f"## `{name}`", "", f"`ros2 run lcc_plus {exe}`. {what}", "",
                  "| topic (private) | default | type | QoS |", "|---|---|---|---|"]
        for private, default in topics.TOPICS[name].items():
            camera_sub = private.startswith("~/input/image")
            lines.append(f"| `{private}` | `{default}` | {TYPES[default]} | {_qos(default, camera_sub)} |")
        if name == "sim":
            lines.append("| (absolute) | `/clock` | rosgraph_msgs/Clock | reliable, keep last 10 |")
        lines += ["", "| parameter | default | unit | range | description | file |", "|---|---|---|---|---|---|"]
        for path, file_name in classes:
            section = params.node_section(params.config_dir() / file_name, name)
            for s in params.specs(_class(path)):
                lines.append(f"| `{s.name}` | `{section.get(s.name)!r}` | {s.unit} | {_range(s)} | "
                             f"{s.description} | config/{file_name} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/nodes.md is not up to date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text() if OUT.is_file() else ""
        if current != text:
            print(f"{OUT} is stale: run python -m lcc_plus.nodes.node_docs", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
