"""Camera-to-gated-command latency of the node graph over DDS, CPU and memory per node, dropped frames.

One measurement (`measure(cfg, ...)`) starts the stack as `lcc-plus up` does (separate
processes, or `lcc_plus_composed` in one process), a bench publisher process
(bench/feed.py: pre-rendered frames and the vehicle inputs) and a probe in this
process (bench/probe.py); bench/attribution.py follows each frame to the gated
command that first used it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bench.attribution import STAGES, Chain, attribute, percentiles, vla_latency
from bench.probe import Probe
from bench.procstat import UsageWindow

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LatencyConfig:
    """One point of the latency matrix."""

    deployment: str  # "processes" or "composed"
    rate_hz: float  # camera rate
    size: str  # "640x480" or "1280x720"
    cameras: int = 1  # cameras >= 2: one more vla_node process per extra camera (processes only)
    vla_rate_hz: float | None = None  # vla_node process_rate_hz; None: the shipped config/nodes.yaml value

    @property
    def label(self) -> str:
        text = f"{self.deployment}, {self.rate_hz:g} Hz, {self.size}"
        if self.cameras > 1:
            text += f", {self.cameras} cameras"
        return text


def params_file(cfg: LatencyConfig, path: Path, model: str = "") -> Path:
    """A parameter file laid over config/*.yaml: the model and rate of each vla_node, and the camera size
    and rate the safety monitor expects."""
    w, h = (int(v) for v in cfg.size.split("x"))
    doc = {"safety_monitor": {"ros__parameters": {"image_width_px": w, "image_height_px": h,
                                                  "period_image_s": 1.0 / cfg.rate_hz}}}
    for name in ["vla_node"] + [f"vla_node_{k}" for k in range(1, cfg.cameras)]:
        p = {} if cfg.vla_rate_hz is None else {"process_rate_hz": cfg.vla_rate_hz}
        doc[name] = {"ros__parameters": {**p, **({"model_path": model} if model else {})}}
    path.write_text(yaml.safe_dump(doc))
    return path


def _extra_vla_specs(cfg: LatencyConfig, params: Path):
    from lcc_plus.launcher.graph import ProcessSpec

    specs = []
    for k in range(1, cfg.cameras):
        base = f"bench/camera_{k}"
        remaps = [("~/input/image", f"{base}/image_raw"), ("~/input/camera_info", f"{base}/camera_info"),
                  ("~/input/image_compressed", f"{base}/image_raw/compressed"),
                  ("~/output/vla_action", f"{base}/vla_action"), ("~/output/debug_image", f"{base}/debug_image")]
        specs.append(ProcessSpec(f"vla_node_{k}", "vla_node", f"vla_node_{k}", [], remaps,
                                 {"use_sim_time": False}, [str(params)]))
    return specs


def ros_environment() -> dict[str, str]:
    """This process's environment plus the Fast DDS profile `lcc-plus up` gives the nodes."""
    from lcc_plus.launcher.dds import profile_environment

    env = dict(os.environ)
    env.update(profile_environment(env))
    return env


@dataclass
class Timing:
    warmup_s: float
    window_s: float
    startup_timeout_s: float
    tail_s: float = 0.5  # frames of the last tail_s of the window are not timed: their chain may be unfinished


@dataclass
class Measurement:
    config: LatencyConfig
    chain: Chain  # camera 0, the one that drives the planner
    cameras: dict[int, tuple[np.ndarray, int]]  # every camera: vla_latency()
    usage: dict  # process label -> ProcessUsage
    node_of: dict[str, str]  # process label -> what runs in it
    inference_ms: np.ndarray
    engaged_fraction: float
    feed_late: int
    load_avg: tuple[float, float, float]


def measure(cfg: LatencyConfig, model: str, workdir: Path, timing: Timing) -> Measurement:
    """Run the graph for `cfg` and measure it; raises RuntimeError when the chain does not come up."""
    from lcc_plus.launcher.graph import GraphOptions, graph
    from lcc_plus.launcher.processes import Supervisor

    if cfg.cameras > 1 and cfg.deployment != "processes":
        raise ValueError("extra cameras run as extra vla_node processes: deployment must be 'processes'")
    tag = cfg.label.replace(", ", "_").replace(" ", "")
    workdir.mkdir(parents=True, exist_ok=True)
    params = params_file(cfg, workdir / f"params_{tag}.yaml", model)
    specs = graph(GraphOptions(composed=cfg.deployment == "composed", params_file=str(params)))
    specs += _extra_vla_specs(cfg, params)
    env = ros_environment()
    log = open(workdir / f"log_{tag}.txt", "w")
    sup = Supervisor(specs, env=env, grace_s=5.0, out=log)
    probe = feed = None
    stamps_path = workdir / f"stamps_{tag}.json"
    try:
        sup.start()
        probe = Probe(cfg.cameras)
        feed = subprocess.Popen([sys.executable, "-m", "bench.feed", "--size", cfg.size, "--rate-hz", str(cfg.rate_hz),
                                 "--cameras", str(cfg.cameras), "--stamps-out", str(stamps_path),
                                 "--frames-cache", str(workdir / "frames")],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timing.startup_timeout_s
        while not probe.live(cfg.cameras):
            dead = [label for label, p in sup.procs.items() if p.poll() is not None]
            if feed.poll() is not None:
                dead.append("bench feed")
            if dead or time.monotonic() > deadline:
                why = f"{', '.join(dead)} exited" if dead else f"no output within {timing.startup_timeout_s:.0f} s"
                raise RuntimeError(f"{cfg.label}: the chain did not come up ({why}); see {log.name}")
            time.sleep(0.2)
        time.sleep(timing.warmup_s)
        pids = {label: p.pid for label, p in sup.procs.items()}
        window = UsageWindow({**pids, "bench feed": feed.pid, "bench probe": os.getpid()})
        t0_ns = time.time_ns()
        window.start()
        time.sleep(timing.window_s)
        usage = window.stop()
        load = os.getloadavg()
        t1_ns = time.time_ns() - int(timing.tail_s * 1e9)
        time.sleep(timing.tail_s)
    finally:
        if feed is not None:
            feed.send_signal(signal.SIGTERM)
            try:
                feed.wait(timeout=10.0)
            except subprocess.TimeoutExpired:
                feed.kill()
        if probe is not None:
            probe.close()
        sup.stop()
        log.close()
    try:
        published = json.loads(stamps_path.read_text())
    except (OSError, ValueError) as err:
        raise RuntimeError(f"{cfg.label}: the feed left no frame stamps ({err}); see {log.name}") from err
    with probe.lock:
        rows = {k: np.asarray(v, dtype=np.int64).reshape(-1, 2) for k, v in probe.rows.items()}
        cameras = {}
        for k in range(cfg.cameras):
            stamps = np.asarray(published["cameras"][str(k)], dtype=np.int64)
            stamps = stamps[(stamps >= t0_ns) & (stamps < t1_ns)]
            cameras[k] = vla_latency(stamps, probe.vla[k])
            if k == 0:
                chain = attribute(stamps, probe.vla[0], rows["traj"], rows["proposed"], rows["gated"])
        in_window = rows["gated"][:, 1] >= t0_ns
        engaged = np.asarray(probe.gated_engaged, dtype=bool)[in_window] if len(in_window) else np.zeros(0, bool)
        inference = np.asarray([ms for t, ms in probe.inference_ms if t0_ns <= t < t1_ns])
    node_of = {label: ("vla_node, mode_manager, controller, safety_monitor" if label == "composed" else
                       "bench (frames + vehicle inputs)" if label == "bench feed" else
                       "bench (recording, this process)" if label == "bench probe" else label)
               for label in usage}
    return Measurement(cfg, chain, cameras, usage, node_of, inference, float(engaged.mean()) if len(engaged) else 0.0,
                       int(published["late"]), load)


def summary(m: Measurement) -> dict:
    """JSON-ready figures of one measurement."""
    c = m.chain
    stack = {k: v for k, v in m.usage.items() if not k.startswith("bench")}
    return {
        "config": m.config.__dict__, "label": m.config.label,
        "latency_ms": percentiles(c.total_ms),
        "stages_ms": {s: percentiles(c.stages_ms[s]) for s in STAGES},
        "frames": {"published": c.published, "dropped_by_vla_node": c.no_action, "superseded": c.superseded,
                   "incomplete": c.incomplete},
        "cameras": {str(k): {"vla_ms": percentiles(lat), "dropped_by_vla_node": dropped}
                    for k, (lat, dropped) in m.cameras.items()},
        "processes": {k: {"runs": m.node_of[k], "cpu_percent": u.cpu_percent, "rss_mb": u.rss_mb,
                          "peak_rss_mb": u.peak_rss_mb} for k, u in m.usage.items()},
        "stack_cpu_percent_of_one_core": sum(u.cpu_percent for u in stack.values()),
        "stack_rss_mb": sum(u.rss_mb for u in stack.values()),
        "inference_ms": percentiles(m.inference_ms),
        "engaged_fraction": m.engaged_fraction, "feed_late": m.feed_late, "load_avg": list(m.load_avg),
    }
