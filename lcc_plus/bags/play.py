"""`lcc-plus play`: play a rosbag2 (MCAP or sqlite3, ours or recorded by ROS 2) with its timing.

    lcc-plus play BAG [--rate R] [--loop] [--clock [HZ]] [--topics T ...] [--remap FROM:=TO ...]

Messages go out serialized as stored, at their recorded times scaled by 1/rate.
`--clock` publishes /clock from the bag's time (at HZ between messages, default 40
as `ros2 bag play --clock`), so nodes with use_sim_time follow the bag.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from rosbags.rosbag2 import Reader

from lcc_plus.bags.record import message_class

DEFAULT_CLOCK_HZ = 40.0
DRAIN_TIMEOUT_S = 2.0


def parse_remaps(rules: list[str]) -> dict[str, str]:
    out = {}
    for rule in rules:
        src, sep, dst = rule.partition(":=")
        if not sep or not src or not dst:
            raise SystemExit(f"lcc-plus play: remap {rule!r} must read FROM:=TO")
        out[src if src.startswith("/") else "/" + src] = dst if dst.startswith("/") else "/" + dst
    return out


class BagPlayer:
    """Publishes the messages of one bag; `play_once` returns False when interrupted."""

    def __init__(self, node, bag: Path, rate: float, topics: list[str] | None, remaps: dict[str, str],
                 clock_hz: float | None):
        from rosgraph_msgs.msg import Clock

        from lcc_plus.nodes import topics as topic_table

        if rate <= 0.0:
            raise SystemExit(f"lcc-plus play: --rate must be positive, got {rate}")
        self.node, self.bag, self.rate, self.clock_hz = node, bag, rate, clock_hz
        self.published = 0
        with Reader(bag) as reader:
            wanted = {t if t.startswith("/") else "/" + t for t in topics} if topics else None
            self.connections = [c for c in reader.connections if wanted is None or c.topic in wanted]
            if wanted is not None and (missing := wanted - {c.topic for c in self.connections}):
                raise SystemExit(f"lcc-plus play: {bag} has no topic(s) {', '.join(sorted(missing))}")
        self.publishers = {}
        for c in self.connections:
            out_topic = remaps.get(c.topic, c.topic)
            self.publishers[c.id] = node.create_publisher(message_class(c.msgtype), out_topic,
                                                          topic_table.qos_profile(out_topic))
        self.clock_pub = node.create_publisher(Clock, "/clock", topic_table.qos_profile("/clock")) \
            if clock_hz else None
        self._clock_cls = Clock

    def drain(self, timeout_s: float) -> bool:
        """Wait until every reliable subscriber has acknowledged what was published (at most
        `timeout_s` per topic): exiting right after the last message could otherwise drop it."""
        from rclpy.duration import Duration

        pubs = [*self.publishers.values(), *([self.clock_pub] if self.clock_pub is not None else [])]
        return all([pub.wait_for_all_acked(Duration(seconds=timeout_s)) for pub in pubs])

    def _publish_clock(self, bag_ns: int) -> None:
        msg = self._clock_cls()
        msg.clock.sec, msg.clock.nanosec = divmod(bag_ns, 1_000_000_000)
        self.clock_pub.publish(msg)

    def _wait_until(self, wall_s: float, bag_ns_at, spin) -> None:
        """Sleep until `wall_s`, publishing /clock meanwhile; `bag_ns_at(now)` maps wall to bag time."""
        while True:
            now = time.monotonic()
            if now >= wall_s:
                return
            step = wall_s - now if self.clock_pub is None else min(wall_s - now, 1.0 / self.clock_hz)
            spin(step)
            if self.clock_pub is not None:
                self._publish_clock(bag_ns_at(time.monotonic()))

    def play_once(self, spin) -> None:
        with Reader(self.bag) as reader:
            start_ns = None
            wall0 = time.monotonic()
            for connection, stamp_ns, raw in reader.messages(connections=self.connections):
                if start_ns is None:
                    start_ns = stamp_ns
                self._wait_until(wall0 + (stamp_ns - start_ns) * 1e-9 / self.rate,
                                 lambda now, s=start_ns: s + int((now - wall0) * self.rate * 1e9), spin)
                if self.clock_pub is not None:
                    self._publish_clock(stamp_ns)
                self.publishers[connection.id].publish(bytes(raw))
                self.published += 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bag", help="rosbag2 folder (or its .mcap / .db3 file)")
    parser.add_argument("--rate", type=float, default=1.0, help="playback speed factor (default 1)")
    parser.add_argument("--loop", action="store_true", help="play again from the start when done")
    parser.add_argument("--clock", nargs="?", type=float, const=DEFAULT_CLOCK_HZ, default=None, metavar="HZ",
                        help=f"publish /clock from the bag time (default {DEFAULT_CLOCK_HZ:g} Hz)")
    parser.add_argument("--topics", nargs="+", default=None, help="play only these topics")
    parser.add_argument("--remap", nargs="+", default=[], metavar="FROM:=TO", help="publish a topic under another name")
    parser.add_argument("--wait-for-subscribers", type=float, default=1.0, metavar="S",
                        help="wall seconds given to DDS discovery before the first message (default 1)")


def run(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    bag = Path(args.bag)
    if bag.is_file():
        bag = bag.parent
    if not (bag / "metadata.yaml").is_file():
        raise SystemExit(f"lcc-plus play: {args.bag} is not a rosbag2 folder (no metadata.yaml)")
    rclpy.init(args=["lcc-plus-play"])  # our FROM:=TO options are not ROS remap rules for the player itself
    node = rclpy.create_node("lcc_plus_player")
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    player = BagPlayer(node, bag, args.rate, args.topics, parse_remaps(args.remap), args.clock)

    def spin(timeout_s: float) -> None:
        executor.spin_once(timeout_sec=max(timeout_s, 0.0))

    try:
        end = time.monotonic() + args.wait_for_subscribers
        while time.monotonic() < end:
            spin(end - time.monotonic())
        while True:
            player.play_once(spin)
            if not args.loop:
                break
        if not player.drain(DRAIN_TIMEOUT_S):
            print(f"lcc-plus play: not every subscriber acknowledged the last messages within {DRAIN_TIMEOUT_S:g} s")
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    print(f"played {player.published} messages from {bag}")
    return 0
