"""pyinstrument profile of the four stack nodes in one process while the bench feed publishes.

    python -m bench.profile --params FILE --seconds 10 --out FILE.txt

The nodes are the same classes `lcc_plus_composed` runs, with its remaps, but on a
SingleThreadedExecutor in the main thread, so that one sampling profiler sees every
callback; time in `rcl_wait` / `wait_for_ready_callbacks` is idle time (waiting for a
timer or a message). The parent (bench/__main__.py) starts the feed beside it.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lcc_plus.nodes.topics import STACK_NODES


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", required=True, help="ROS 2 parameter file laid over config/*.yaml")
    ap.add_argument("--seconds", type=float, default=10.0, help="profiled time after the first frames")
    ap.add_argument("--startup-timeout", type=float, default=90.0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)

    import rclpy
    from pyinstrument import Profiler
    from rclpy.executors import SingleThreadedExecutor

    from lcc_plus.nodes.composed import node_class, with_default_remaps

    names = list(STACK_NODES)
    rclpy.init(args=with_default_remaps(names, ["bench_profile", "--ros-args", "--params-file", args.params]))
    nodes = [node_class(n)() for n in names]
    executor = SingleThreadedExecutor()
    for node in nodes:
        executor.add_node(node)
    vla = nodes[0]
    deadline = time.monotonic() + args.startup_timeout
    while vla.frames_processed < 10:  # model loaded, DDS matched, frames flowing
        if time.monotonic() > deadline:
            print(f"bench.profile: no frames processed within {args.startup_timeout:.0f} s", file=sys.stderr)
            return 1
        executor.spin_once(timeout_sec=0.1)
    profiler = Profiler(interval=0.001)
    frames0 = vla.frames_processed
    profiler.start()
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        executor.spin_once(timeout_sec=0.05)
    profiler.stop()
    header = (f"# {args.seconds:g} s of the four stack nodes in one process (SingleThreadedExecutor), "
              f"{vla.frames_processed - frames0} frames run by vla_node\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(header + profiler.output_text(unicode=False, color=False, show_all=False))
    for node in nodes:
        node.destroy_node()
    rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
