"""Camera-to-gated-command latency of the node graph over DDS, CPU and memory per node, dropped frames.

One measurement (`measure(cfg, ...)`) starts the stack as `lcc-plus up` does (separate
processes, or `lcc_plus_composed` in one process), a bench publisher process
(bench/feed.py: pre-rendered frames and the vehicle inputs) and a probe in this
process that records the arrival time and header stamp of every VlaAction,
Trajectory, proposed and gated ControlCommand.

How a gated command is attributed to its camera frame (`attribute`): only VlaAction
carries the source image stamp; the mode manager, the controller and the safety
monitor each run on their own timer and stamp their output with the time of the step
that made it. So the chain is followed by time:
  frame (image stamp S) -> VlaAction with stamp S, arriving at a_v;
  -> the first Trajectory whose step began at or after a_v (its stamp >= a_v), arriving at a_t;
  -> the first proposed command stamped at or after a_t, arriving at a_p;
  -> the first gated command stamped at or after a_p, arriving at a_g.
latency = a_g - S. A frame whose VlaAction was replaced by a newer one before the
planner stepped never reached a command: it is counted as superseded, not timed.
The probe's arrival time stands in for the arrival at the next node (both are DDS
subscribers of the same topic on this host); when the probe is scheduled late the
chain moves to the next step, so the figure errs high, never low.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bench.procstat import UsageWindow

REPO = Path(__file__).resolve().parents[1]
STAGES = ("vla", "plan", "control", "gate")
STAGE_TEXT = {"vla": "image stamp -> VlaAction (vla_node wait for its timer + decode + model)",
              "plan": "VlaAction -> Trajectory (mode_manager timer wait + step)",
              "control": "Trajectory -> proposed command (controller timer wait + step)",
              "gate": "proposed -> gated command (safety_monitor timer wait + tick)"}


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


@dataclass
class Chain:
    """Per-frame latencies [ms] of the frames that reached a gated command, and what happened to the rest."""

    stages_ms: dict[str, np.ndarray]
    total_ms: np.ndarray
    published: int
    no_action: int  # frames without a VlaAction (dropped by vla_node)
    superseded: int  # VlaAction replaced before the planner stepped
    incomplete: int  # chain not finished when the recording stopped


STAMP_MATCH_NS = 1000  # VlaAction stamps went through float seconds (~0.24 us resolution today)


def match_stamps(image_stamps: np.ndarray, vla: dict[int, int]) -> dict[int, int]:
    """image stamp -> VlaAction arrival, pairing each VlaAction with the image stamp within STAMP_MATCH_NS."""
    keys = np.array(sorted(vla), dtype=np.int64)
    out = {}
    for s in np.asarray(image_stamps, dtype=np.int64):
        i = int(np.searchsorted(keys, s))
        near = [int(keys[j]) for j in (i - 1, i) if 0 <= j < len(keys)]
        best = min(near, key=lambda k: abs(k - int(s)), default=None)
        if best is not None and abs(best - int(s)) <= STAMP_MATCH_NS:
            out[int(s)] = vla[best]
    return out


def _first_at_or_after(stamps: np.ndarray, t: float) -> int | None:
    i = int(np.searchsorted(stamps, t, side="left"))
    return i if i < len(stamps) else None


def attribute(image_stamps: np.ndarray, vla: dict[int, int], traj: np.ndarray, proposed: np.ndarray,
              gated: np.ndarray) -> Chain:
    """Follow each frame to its gated command (see the module docstring). Times are integer ns.

    `vla` maps VlaAction stamp -> arrival (paired with the image stamps by `match_stamps`); `traj`, `proposed`, `gated` are (N, 2)
    arrays of (header stamp, arrival), one row per message.
    """
    def by_stamp(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = np.asarray(a, dtype=np.int64).reshape(-1, 2)
        a = a[np.argsort(a[:, 0], kind="stable")]
        return a[:, 0], a[:, 1]

    traj_s, traj_a = by_stamp(traj)
    prop_s, prop_a = by_stamp(proposed)
    gate_s, gate_a = by_stamp(gated)
    arrivals = np.array(sorted(vla.values()), dtype=np.int64)
    vla = match_stamps(image_stamps, vla)
    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    total: list[float] = []
    no_action = superseded = incomplete = 0
    for s in np.asarray(image_stamps, dtype=np.int64):
        a_v = vla.get(int(s))
        if a_v is None:
            no_action += 1
            continue
        i = _first_at_or_after(traj_s, a_v)
        if i is None:
            incomplete += 1
            continue
        newer = arrivals[arrivals > a_v]
        if len(newer) and newer[0] <= traj_s[i]:
            superseded += 1
            continue
        j = _first_at_or_after(prop_s, traj_a[i])
        k = None if j is None else _first_at_or_after(gate_s, prop_a[j])
        if k is None:
            incomplete += 1
            continue
        for name, dt in zip(STAGES, (a_v - s, traj_a[i] - a_v, prop_a[j] - traj_a[i], gate_a[k] - prop_a[j])):
            stages[name].append(dt * 1e-6)
        total.append((gate_a[k] - s) * 1e-6)
    return Chain({k: np.asarray(v) for k, v in stages.items()}, np.asarray(total), len(image_stamps), no_action,
                 superseded, incomplete)


def vla_latency(image_stamps: np.ndarray, vla: dict[int, int]) -> tuple[np.ndarray, int]:
    """(image stamp -> VlaAction arrival [ms] of every frame that got one, frames without one)."""
    matched = match_stamps(image_stamps, vla)
    got = [a - s for s, a in matched.items()]
    return np.asarray(got, dtype=float) * 1e-6, len(image_stamps) - len(got)


def percentiles(x_ms: np.ndarray) -> dict:
    """n, p50, p95, p99, max of `x_ms` (None when empty)."""
    if len(x_ms) == 0:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "min": None}
    p50, p95, p99 = np.percentile(x_ms, [50, 95, 99])
    return {"n": len(x_ms), "p50": float(p50), "p95": float(p95), "p99": float(p99), "max": float(x_ms.max()),
            "min": float(x_ms.min())}


class Probe:
    """Records (header stamp, arrival) of the stack's outputs; spins in a thread of this process."""

    def __init__(self, cameras: int):
        import rclpy
        from lcc_plus.msg import ControlCommand, Trajectory, VlaAction
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.signals import SignalHandlerOptions

        from lcc_plus.nodes.topics import qos_profile

        self.context = rclpy.Context()
        rclpy.init(context=self.context, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node("bench_probe", context=self.context)
        self.lock = threading.Lock()
        self.vla: dict[int, dict[int, int]] = {k: {} for k in range(cameras)}
        self.inference_ms: list[tuple[int, float]] = []  # (arrival ns, VlaAction.inference_time_ms)
        self.rows: dict[str, list[tuple[int, int]]] = {"traj": [], "proposed": [], "gated": []}
        self.gated_engaged: list[bool] = []

        def stamp_ns(msg) -> int:
            return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec

        def sub(cls, topic, fn):
            self.node.create_subscription(cls, topic, fn, qos_profile(topic.lstrip("/")))

        def on_vla(k):
            def cb(msg):
                now = time.time_ns()
                with self.lock:
                    self.vla[k][stamp_ns(msg)] = now
                    if k == 0:
                        self.inference_ms.append((now, msg.inference_time_ms))
            return cb

        def on_row(name):
            def cb(msg):
                now = time.time_ns()
                with self.lock:
                    self.rows[name].append((stamp_ns(msg), now))
                    if name == "gated":
                        self.gated_engaged.append(bool(msg.engaged))
            return cb

        sub(VlaAction, "/lcc/vla_action", on_vla(0))
        for k in range(1, cameras):
            sub(VlaAction, f"/bench/camera_{k}/vla_action", on_vla(k))
        sub(Trajectory, "/lcc/trajectory", on_row("traj"))
        sub(ControlCommand, "/lcc/command_proposed", on_row("proposed"))
        sub(ControlCommand, "/lcc/command", on_row("gated"))
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        # close() shuts the executor down before the context, so spin() returns without raising
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def live(self, cameras: int) -> bool:
        """The whole chain has produced output: VlaActions of every camera and gated commands."""
        with self.lock:
            return all(len(self.vla[k]) >= 3 for k in range(cameras)) and all(
                len(r) >= 3 for r in self.rows.values())

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        self.context.try_shutdown()
        self.thread.join(timeout=5.0)


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
