"""`lcc-plus record`: record topics into a rosbag2 (MCAP by default, or sqlite3).

    lcc-plus record [-o DIR] [--storage mcap|sqlite3] [--duration S] TOPIC [TOPIC ...]
    lcc-plus record --from-sim SCENARIO [--seed N] [--camera raw|jpeg|none] [--duration S] [-o DIR]

Messages are stored as received (serialized CDR, no round trip through Python
objects), stamped with the receive time of the recorder's clock (ROS time; /clock
with `--use-sim-time`). A topic that has no publisher yet is
subscribed as soon as one appears. The bag carries every message definition, so
`ros2 bag play` and `ros2 bag info` read it. `--from-sim` writes a sample bag straight
from the simulator instead (no DDS; lcc_plus/bags/sample.py).
"""
from __future__ import annotations

import argparse
import importlib
import threading
import time
from datetime import datetime
from pathlib import Path

from rosbags.rosbag2 import StoragePlugin, Writer

from lcc_plus.bags.typestore import UnknownTypeError, ensure_type, typestore

STORAGE = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
BAG_VERSION = 9  # rosbag2 metadata version of Jazzy and Kilted


def message_class(msgtype: str):
    """'pkg/msg/Type' -> the generated Python class."""
    package, _, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{package}.msg"), name)


def subscription_qos(node, topic: str):
    """QoS matching every current publisher: reliable only if all are, transient local if any is."""
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    infos = node.get_publishers_info_by_topic(topic)
    reliable = bool(infos) and all(i.qos_profile.reliability == ReliabilityPolicy.RELIABLE for i in infos)
    latched = any(i.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL for i in infos)
    return QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE)


class BagRecorder:
    """Subscribes to topics as they appear and writes what arrives into an open rosbags Writer."""

    def __init__(self, node, writer: Writer, topics: list[str]):
        self.node, self.writer = node, writer
        self.wanted = [t if t.startswith("/") else "/" + t for t in topics]
        self.connections: dict[str, object] = {}
        self.counts: dict[str, int] = dict.fromkeys(self.wanted, 0)
        self.lock = threading.Lock()
        self._subs = []

    def discover(self) -> None:
        """Subscribe to every wanted topic that has a publisher now."""
        types = dict(self.node.get_topic_names_and_types())
        for topic in self.wanted:
            if topic in self.connections or topic not in types:
                continue
            msgtype = types[topic][0]
            try:
                ensure_type(typestore(), msgtype)
                cls = message_class(msgtype)
            except (UnknownTypeError, ImportError, AttributeError) as err:
                self.node.get_logger().error(f"cannot record {topic}: {err}")
                self.connections[topic] = None
                continue
            with self.lock:
                self.connections[topic] = self.writer.add_connection(topic, msgtype, typestore=typestore())
            self._subs.append(self.node.create_subscription(
                cls, topic, lambda data, t=topic: self._write(t, data), subscription_qos(self.node, topic),
                raw=True))
            self.node.get_logger().info(f"recording {topic} ({msgtype})")

    def _write(self, topic: str, data: bytes) -> None:
        with self.lock:
            self.writer.write(self.connections[topic], self.node.get_clock().now().nanoseconds, data)
            self.counts[topic] += 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topics", nargs="*", metavar="TOPIC", help="topics to record")
    parser.add_argument("-o", "--output", default="", help="bag folder (default: rosbag2_<date>_<time>)")
    parser.add_argument("--storage", choices=tuple(STORAGE), default="mcap", help="storage plugin (default mcap)")
    parser.add_argument("--duration", type=float, default=0.0, metavar="S",
                        help="stop after this many wall-clock seconds (default: until Ctrl-C); with --from-sim: "
                             "simulated seconds (default 10)")
    parser.add_argument("--use-sim-time", action="store_true", help="stamp with /clock instead of the system clock")
    sim = parser.add_argument_group("sample bag from the simulator")
    sim.add_argument("--from-sim", default="", metavar="SCENARIO", help="drive this scenario and write its inputs")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--camera", choices=("raw", "jpeg", "none"), default="jpeg")


def run(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    out = Path(args.output or datetime.now().strftime("rosbag2_%Y_%m_%d-%H_%M_%S"))
    if out.exists():
        raise SystemExit(f"lcc-plus record: {out} exists already")
    if args.from_sim:
        from lcc_plus.bags.sample import write_sim_bag

        write_sim_bag(out, args.from_sim, args.seed, args.duration or 10.0, storage=args.storage,
                      camera=args.camera)
        print(f"sample bag of {args.from_sim} written to {out} ({args.storage})")
        return 0
    if not args.topics:
        raise SystemExit("lcc-plus record: name the topics to record (or --from-sim SCENARIO)")
    from rclpy.parameter import Parameter

    from lcc_plus.nodes.runner import stop_on_ctrl_c_through_rclpy_only

    stop_on_ctrl_c_through_rclpy_only()  # a callback is never cut short: no half-written bag
    rclpy.init(args=["lcc-plus-record"])
    node = rclpy.create_node("lcc_plus_recorder",
                             parameter_overrides=[Parameter("use_sim_time", value=args.use_sim_time)])
    writer = Writer(out, version=BAG_VERSION, storage_plugin=STORAGE[args.storage])
    writer.open()
    recorder = BagRecorder(node, writer, args.topics)
    node.create_timer(0.5, recorder.discover)
    recorder.discover()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    deadline = time.monotonic() + args.duration if args.duration > 0 else None
    try:
        while deadline is None or time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
    except ExternalShutdownException:
        pass
    finally:
        with recorder.lock:
            writer.close()
        node.destroy_node()
        rclpy.try_shutdown()
    for topic, n in recorder.counts.items():
        print(f"{topic}: {n} messages" + ("" if topic in recorder.connections else " (never published)"))
    print(f"bag written to {out} ({args.storage})")
    return 0
