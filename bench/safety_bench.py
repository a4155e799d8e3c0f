"""Safety monitor core speed: ms per tick (p50 / p95 / max) with all inputs at their rates,
for a healthy drive, a lane hold on a dead model, an MRM, and ms per rejected message in a
burst of bad ones. Writes bench/results/safety.md.

    scripts/in_env.sh python bench/safety_bench.py [--seconds 60]
"""
from __future__ import annotations

import argparse
import math
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lcc_plus.common.types import (
    Command,
    CommandSource,
    DriverControls,
    EgoState,
    LaneLine,
    Mode,
    ModeStatus,
    Perception,
    RearObject,
    RearSensing,
)
from lcc_plus.safety.monitor import SafetyMonitor
from lcc_plus.safety.params import load_safety_params

OUT = Path(__file__).resolve().parent / "results" / "safety.md"


def perception(stamp_s: float, speed_mps: float) -> Perception:
    t = np.linspace(0.0, 10.0, 33)  # openpilot-sized plan: 33 points over 10 s
    lines = [LaneLine(np.array([y, 0.0, 1e-4, 0.0]), 0.0, 80.0, 0.9) for y in (5.25, 1.75, -1.75, -5.25)]
    return Perception(stamp_s=stamp_s, path_t_s=t, path_x_m=speed_mps * t, path_y_m=1e-4 * (speed_mps * t) ** 2,
                      path_speed_mps=np.full_like(t, speed_mps), lane_lines=lines, confidence=0.9)


def drive(seconds: float, drop: set[str], label: str) -> np.ndarray:
    p = load_safety_params()
    mon = SafetyMonitor(p)
    rate = p.rate_hz
    rear = [RearObject(id=i, x_m=-10.0 * i, y_m=3.5, vx_mps=25.0, vy_mps=0.0) for i in range(8)]
    times = []
    for n in tqdm(range(int(seconds * rate)), desc=label, leave=False):
        now = 100.0 + n / rate
        live = n > rate  # the fault starts after one second
        mon.on_vehicle_state(EgoState(stamp_s=now, speed_mps=25.0), now)
        mon.on_driver(DriverControls(stamp_s=now, engage_request=10 <= n < 15), now)
        if n % 2 == 0:
            mon.on_image(now, p.image_width_px, p.image_height_px, p.image_encoding, now)
            if not (live and "vla_action" in drop):
                mon.on_perception(perception(now, 25.0), now)
            mon.on_rear(RearSensing(stamp_s=now, objects=rear), now)
            mon.on_mode(ModeStatus(stamp_s=now, mode=Mode.LANE_KEEP), now)
        if not (live and "vehicle_state_nan" in drop):
            mon.on_command(Command(stamp_s=now, target_speed_mps=25.0, source=CommandSource.PLANNER, engaged=True),
                           now)
        else:
            mon.on_vehicle_state(EgoState(stamp_s=now + 1e-3, speed_mps=math.nan), now)
        t0 = time.perf_counter()
        mon.tick(now)
        times.append(time.perf_counter() - t0)
    return np.asarray(times) * 1e3


def burst(count: int) -> float:
    p = load_safety_params()
    mon = SafetyMonitor(p)
    bad = EgoState(stamp_s=100.0, speed_mps=math.nan)
    t0 = time.perf_counter()
    for _ in tqdm(range(count), desc="burst", leave=False):
        mon.on_vehicle_state(replace(bad), 100.0)
    ms = (time.perf_counter() - t0) * 1e3 / count
    assert mon.watchdog.topics["vehicle_state"].rejected_total == count
    return ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    rows = []
    for label, drop in (("healthy", set()), ("hold (model silent)", {"vla_action"}),
                        ("MRM (NaN vehicle state)", {"vehicle_state_nan"})):
        ms = drive(args.seconds, drop, label)
        rows.append(f"| {label} | {len(ms)} | {np.percentile(ms, 50):.3f} | {np.percentile(ms, 95):.3f} | "
                    f"{ms.max():.3f} |")
    per_msg = burst(10000)
    period_ms = 1e3 / load_safety_params().rate_hz
    text = "\n".join([
        "# Safety monitor core speed",
        "",
        f"`scripts/in_env.sh python bench/safety_bench.py --seconds {args.seconds:g}` on {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, one process. Tick budget at {1e3 / period_ms:g} Hz: {period_ms:.0f} ms.",
        "",
        "| case | ticks | p50 [ms] | p95 [ms] | max [ms] |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"Rejecting a NaN vehicle state: {per_msg * 1e3:.1f} us per message (10000 in a burst, all counted).",
        "",
    ])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
