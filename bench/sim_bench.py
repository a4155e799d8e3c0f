"""Simulator throughput (world steps/s with and without camera rendering) and the wall time of
the full-catalog evaluation. Writes bench/results/sim.md.

The world is stepped with the system disengaged, so the driver model drives: this times
the simulator alone (map, vehicle, traffic, radar, driver, log; plus the renderer when on),
not the stack. One process, one numeric thread.

    scripts/in_env.sh python bench/sim_bench.py [--seconds 20] [--catalog-info out/eval/all/run_info.json]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import platform
import time
from pathlib import Path

from tqdm import tqdm

from lcc_plus.common.types import Command, TakeoverDemand
from lcc_plus.sim import scenarios
from lcc_plus.sim.world import World

SCENARIOS = ("highway_slow_truck", "parked_village")


def steps_per_s(name: str, render: bool, seconds: float) -> tuple[float, int]:
    """World steps per wall second over `seconds` of simulated time (observe + step)."""
    world = World(scenarios.get(name), seed=0, render=render)
    n = int(round(seconds / world.p.step_s))
    done = 0
    t0 = time.perf_counter()
    for _ in tqdm(range(n), desc=f"{name} render={render}", unit="step", leave=False):
        if world.done:
            break
        world.observe()
        world.step(Command(), TakeoverDemand())
        done += 1
    return done / (time.perf_counter() - t0), done


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="simulated seconds per measurement")
    ap.add_argument("--catalog-info", default=None,
                    help="run_info.json of a full-catalog `lcc-plus eval --suite all` run to record")
    ap.add_argument("--catalog-command", default="", help="the command that produced --catalog-info")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "sim.md"))
    args = ap.parse_args()
    rows = []
    for name in SCENARIOS:
        for render in (False, True):
            rate, n = steps_per_s(name, render, args.seconds)
            rows.append(f"| {name} | {'yes' if render else 'no'} | {n} | {rate:.1f} | {rate * 0.05:.2f} |")
    lines = ["# Simulator throughput", "",
             f"`scripts/in_env.sh python bench/sim_bench.py --seconds {args.seconds:g}` on {platform.machine()}, "
             f"{os.cpu_count()} CPUs shared with other jobs, Python {platform.python_version()}, one process. "
             "Each step is `world.observe()` + `world.step()` at 20 Hz with the driver model driving (the stack "
             "not included); with rendering, observe() draws the 640x480 camera image.", "",
             "| scenario | render | steps | steps/s | x real time |", "|---|---|---|---|---|", *rows, ""]
    if args.catalog_info:
        info = json.loads(Path(args.catalog_info).read_text())
        lines += ["# Full catalog evaluation", "",
                  f"`{args.catalog_command}`: {info['runs']} runs, {info['sim_s']:.0f} s simulated, "
                  f"{info['workers']} workers, wall time {info['wall_s']:.0f} s "
                  f"({info['sim_s'] / info['wall_s']:.1f}x real time overall).", ""]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
