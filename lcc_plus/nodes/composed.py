"""lcc_plus_composed: several lcc_plus nodes in one process on a MultiThreadedExecutor.

Python nodes cannot be loaded into a C++ component container, so `composed:=true`
in the launch file (and `lcc-plus up --composed`) runs this instead. The default
remaps go in as node-prefixed rules (`vla_node:~/input/image:=camera/image_raw`)
after the user's, so user rules still win and each default only touches its node.

    lcc_plus_composed [--nodes vla_node,mode_manager,...] [--ros-args ...]
"""
from __future__ import annotations

import argparse
import importlib
import sys

from rclpy.executors import MultiThreadedExecutor
from rclpy.utilities import remove_ros_args

from lcc_plus.nodes import topics
from lcc_plus.nodes.runner import run_nodes

# node name -> "module:Class"
NODE_CLASSES: dict[str, str] = {
    "vla_node": "lcc_plus.nodes.vla_node:VlaNode",
    "mode_manager": "lcc_plus.nodes.mode_manager_node:ModeManagerNode",
    "controller": "lcc_plus.nodes.controller_node:ControllerNode",
    "safety_monitor": "lcc_plus.nodes.safety_monitor_node:SafetyMonitorNode",
    "sim": "lcc_plus.nodes.sim_node:SimNode",
    "twist_adapter": "lcc_plus.nodes.twist_adapter_node:TwistAdapterNode",
    "ackermann_adapter": "lcc_plus.nodes.ackermann_adapter_node:AckermannAdapterNode",
}


def node_class(name: str) -> type:
    module, _, cls = NODE_CLASSES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def with_default_remaps(names: list[str], argv: list[str]) -> list[str]:
    """`argv` plus the node-prefixed default remaps of every node in `names`."""
    for name in names:
        argv = topics.ros_args_with_default_remaps(name, argv, node_prefix=True)
    return argv


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    parser = argparse.ArgumentParser(prog="lcc_plus_composed", description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default=",".join(topics.STACK_NODES),
                        help=f"comma-separated node names out of {', '.join(NODE_CLASSES)}")
    args = parser.parse_args(remove_ros_args(argv)[1:])
    names = [n.strip() for n in args.nodes.split(",") if n.strip()]
    unknown = [n for n in names if n not in NODE_CLASSES]
    if unknown or not names:
        parser.error(f"unknown node(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(NODE_CLASSES)}")
    return run_nodes([(name, node_class(name)) for name in names], with_default_remaps(names, argv),
                     MultiThreadedExecutor)
