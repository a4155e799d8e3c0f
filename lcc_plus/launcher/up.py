"""`lcc-plus up`: the node graph of launch/lcc_plus.launch.py as processes, without `ros2 launch`.

The same processes, arguments and parameter files as the launch files
(lcc_plus/launcher/graph.py), over real DDS, with the Fast DDS shared-memory
profile unless the environment names another. Logs are prefixed with the node,
Ctrl-C is forwarded, and the command exits non-zero when a node dies unexpectedly.
"""
from __future__ import annotations

import argparse
import os

from lcc_plus.launcher.dds import profile_environment
from lcc_plus.launcher.graph import PERCEPTION_SOURCES, GraphOptions, graph
from lcc_plus.launcher.processes import Supervisor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("graph")
    g.add_argument("--sim", action="store_true", help="also run the built-in simulator (implies --use-sim-time)")
    g.add_argument("--composed", action="store_true", help="all stack nodes in one process")
    g.add_argument("--params", default="", metavar="FILE", help="ROS 2 parameter file laid over config/*.yaml")
    g.add_argument("--namespace", default="", metavar="NS", help="namespace of every node and topic")
    g.add_argument("--use-sim-time", action="store_true", help="follow /clock")
    g.add_argument("--model-path", default="", help="VLA ONNX model (default: config/vla.yaml)")
    g.add_argument("--camera-topic", default=GraphOptions.camera_topic)
    g.add_argument("--compressed-topic", default=GraphOptions.compressed_topic)
    g.add_argument("--camera-info-topic", default=GraphOptions.camera_info_topic)
    g.add_argument("--twist-adapter", action="store_true", help="also publish TwistStamped on lcc/cmd_twist")
    g.add_argument("--ackermann-adapter", action="store_true",
                   help="also publish AckermannDriveStamped on lcc/cmd_ackermann (needs ackermann_msgs)")
    g.add_argument("--fastdds-profile", default="",
                   help="Fast DDS XML profile (default: config/fastdds_shm.xml unless the environment names "
                        "one; 'none': Fast DDS defaults)")
    s = parser.add_argument_group("simulator (with --sim; defaults in config/nodes.yaml)")
    s.add_argument("--scenario", default="")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--duration", type=float, default=None, metavar="S", help="simulated seconds to drive")
    s.add_argument("--rate-factor", type=float, default=None, help="simulated seconds per wall second")
    s.add_argument("--report-dir", default="", help="folder for the KPI report")
    s.add_argument("--perception", choices=PERCEPTION_SOURCES, default="model",
                   help="model: the VLA model on the camera; ground_truth: the simulator's true lanes and "
                        "objects in place of the model (tests the rest of the graph)")


def options_from_args(args: argparse.Namespace) -> GraphOptions:
    if args.params and not os.path.isfile(args.params):
        raise SystemExit(f"lcc-plus: parameter file {args.params} does not exist")
    return GraphOptions(
        camera_topic=args.camera_topic, compressed_topic=args.compressed_topic,
        camera_info_topic=args.camera_info_topic, model_path=args.model_path,
        params_file=os.path.abspath(args.params) if args.params else "", namespace=args.namespace,
        use_sim_time=args.use_sim_time, composed=args.composed, twist_adapter=args.twist_adapter,
        ackermann_adapter=args.ackermann_adapter, sim=args.sim or args.perception == "ground_truth",
        perception=args.perception,
        sim_overrides={"scenario": args.scenario, "seed": args.seed, "duration_s": args.duration,
                       "rate_factor": args.rate_factor,
                       "report_dir": os.path.abspath(args.report_dir) if args.report_dir else ""})


def supervisor(args: argparse.Namespace) -> Supervisor:
    o = options_from_args(args)
    profile = args.fastdds_profile
    env = dict(os.environ)
    if profile != "none":
        env.update(profile_environment(env, profile or None))
    return Supervisor(graph(o), o.namespace, env)


def run(args: argparse.Namespace) -> int:
    return supervisor(args).run()
