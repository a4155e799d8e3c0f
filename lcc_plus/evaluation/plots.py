"""Plots of one run against distance: lateral error, speed, lateral and longitudinal acceleration."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display (also inside worker processes)
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from lcc_plus.evaluation.params import EvaluationParams
from lcc_plus.evaluation.trace import EventKind, Trace

EVENT_STYLE = {EventKind.TAKEOVER_SYSTEM: ("tab:orange", "system takeover"),
               EventKind.TAKEOVER_DRIVER: ("tab:red", "driver takeover"),
               EventKind.COLLISION: ("black", "collision"),
               EventKind.LANE_DEPARTURE: ("tab:purple", "lane departure"),
               EventKind.FAULT: ("tab:gray", "fault injected")}


def plot_run(trace: Trace, p: EvaluationParams, path: Path, dpi: int = 60) -> Path:
    """Write a 4-panel PNG of `trace`; shaded where the driver is in control or a lane change runs."""
    d = trace.distance_m
    fig, axes = plt.subplots(4, 1, figsize=(8, 7), sharex=True)
    panels = [
        (trace.lateral_error_m, "lateral error [m]", None),
        (trace.speed_mps, "speed [m/s]", trace.allowed_speed_mps),
        (trace.accel_lat_mps2, "lat. accel [m/s^2]", p.lat_accel_limit_mps2),
        (trace.accel_lon_mps2, "lon. accel [m/s^2]", None),
    ]
    for ax, (y, label, ref) in zip(axes, panels):
        ax.plot(d, y, lw=1.0, color="tab:blue")
        if isinstance(ref, np.ndarray):
            ax.plot(d, ref, lw=0.8, ls="--", color="tab:green", label="allowed")
            ax.legend(loc="upper right", fontsize=7)
        elif ref is not None:
            ax.axhline(ref, lw=0.8, ls="--", color="tab:red")
            ax.axhline(-ref, lw=0.8, ls="--", color="tab:red")
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        _shade(ax, d, ~trace.engaged, "tab:red")
        _shade(ax, d, trace.lane_changing, "tab:green")
    axes[-1].plot(d, -p.lon_decel_limit_mps2 * np.ones_like(d), lw=0.8, ls="--", color="tab:red")
    axes[-1].plot(d, p.lon_accel_limit_mps2 * np.ones_like(d), lw=0.8, ls="--", color="tab:red")
    seen = set()
    for e in trace.events:
        if e.kind not in EVENT_STYLE:
            continue
        color, label = EVENT_STYLE[e.kind]
        x = float(np.interp(e.t_s, trace.t_s, d))
        for ax in axes:
            ax.axvline(x, color=color, lw=1.0, label=None)
        if e.kind not in seen:
            axes[0].plot([], [], color=color, label=label)
            seen.add(e.kind)
    if seen:
        axes[0].legend(loc="upper right", fontsize=7)
    axes[-1].set_xlabel("distance [m]  (red shade: driver in control, green: lane change)", fontsize=8)
    fig.suptitle(f"{trace.suite}/{trace.scenario}  driver={trace.driver}  seed={trace.seed}", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    plt.close(fig)
    # A 64-colour palette keeps committed plots around a third of the RGBA size.
    Image.open(buf).convert("RGB").quantize(64).save(path, optimize=True)
    return path


def _shade(ax, d: np.ndarray, mask: np.ndarray, color: str) -> None:
    """Shade the distance spans where `mask` holds."""
    if not np.any(mask):
        return
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):
        ax.axvspan(d[start], d[min(stop, d.size - 1)], color=color, alpha=0.12, lw=0)
