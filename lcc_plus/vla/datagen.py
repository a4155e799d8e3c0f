"""`lcc-plus datagen`: VLA training data from the simulator, labelled with ground truth.

Each episode drives one catalog scenario with one seed. A driver follows a path
with the project's Controller (lcc_plus/control); every `frame_gap_s` the camera
frame is rendered with a per-episode random look (Appearance.randomized: domain
randomization), remapped into the network's virtual camera (preprocess.py) and
stored as uint8 with the ground-truth labels (`sim.ground_truth.perceive` under the
intent the episode asks for, encoded by decode.encode). What drives:
  expert     the ground-truth path itself;
  recovery   the expert plus injected steering perturbations that push the car off
             the lane centre and askew; the labels show the way back (source "recovery"
             while a perturbation or its after-effect lasts);
  pace       (any expert or recovery episode, `curve_pace_fraction` of them) the car
             takes bends at a random multiple of the expert's curve speed, so each place
             is seen at many speeds; the labels stay the expert's plan from there. A path
             learned from one speed per place keeps its y(t) whatever the speed, and at
             another speed that is another road (docs/results/README.md, hairpins);
  placement  (any expert or recovery episode, `placement_fraction` of them) the car holds a
             random lateral offset from the true path and drives at a random fraction of its
             speed, both redrawn every few seconds. There are only the catalog's maps, so a
             network that saw each place at one speed and one placement reads the place from
             both and reports the lines it saw there (docs/results/README.md, "Why right
             offline and wrong in closed loop"); the labels are the truth from where the car is.
             The offset keeps to the lane's room and is none near parked cars and obstacles;
  bends      (any expert or recovery episode, `bend_variation_fraction` of them) the road of
             the scenario with each bend's radius scaled and the whole road mirrored half of
             the time (scenarios.with_varied_bends): same traffic, another road to read;
  dagger     the current model (closed loop), by `dagger_driver`: `path` feeds its path
             straight to the Controller; `stack` runs the pipeline as evaluated (model,
             ModeManager, Controller, SafetyMonitor: evaluation.drivers `stack`), so the data
             holds the planner's own speeds and placement too (docs/results/README.md, "DAgger
             through the stack"). Every state it visits gets the ground-truth label under the
             intent the model was given. If it strays more than `dagger_takeover_m` from the
             true path, the expert takes over for a moment so the drive can go on.
Intents: each episode requests lane changes (left or right, where a lane exists)
at random times and draws a fork preference, so the network learns to follow them.
Episodes run in worker processes (tqdm bar over episodes) and go into .npz shards.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from tqdm import tqdm

from lcc_plus.common import params
from lcc_plus.common.params import spec
from lcc_plus.common.types import (
    EgoState,
    ForkPreference,
    Intent,
    IntentKind,
    Perception,
    TakeoverDemand,
    Trajectory,
    TurnSignal,
)
from lcc_plus.vla import dataset as ds
from lcc_plus.vla.decode import LAYOUT_VERSION, PATH_S_M, encode
from lcc_plus.vla.preprocess import CameraIntrinsics, Preprocessor, encode_state, virtual_camera_k

if TYPE_CHECKING:
    from lcc_plus.sim.ground_truth import GroundTruthParams

REPO_DIR = Path(__file__).resolve().parents[2]
# What the labels mean beyond the output layout; data of another version is regenerated.
# 2: paths pass parked cars when no oncoming car is in the way (ground_truth nudge).
# 3: leads are every object in the lane's corridor, parked cars the path passes included.
# 4: on two-way roads the left lead is the nearest vehicle on the oncoming side (ground_truth.leads).
# 5: a pass waits for oncoming cars the expert meets at the speed it pulls out to, not at its crawl.
# 6: a pass is out before the front bumper (not the rear axle) nears the obstacle, and a pull-out
#    from a crawl follows one curve from where it began.
LABEL_VERSION = 6
SOURCE_INDEX = {name: i for i, name in enumerate(ds.SOURCES)}
_SIGNAL = {IntentKind.KEEP_LANE: TurnSignal.OFF, IntentKind.CHANGE_LEFT: TurnSignal.LEFT,
           IntentKind.CHANGE_RIGHT: TurnSignal.RIGHT}


@dataclass(frozen=True)
class DatagenParams:
    """Section `vla_datagen` of config/vla_train.yaml."""

    out_dir: str = spec("data folder (relative to the repo root)")
    scenarios: str = spec("comma-separated catalog scenario names, or `all`")
    episodes: int = spec("expert/recovery episodes", min=1)
    first_seed: int = spec("seed of the first episode (keep clear of evaluation seeds)", min=0)
    episode_duration_s: float = spec("longest episode", unit="s", min=5.0, max=600.0)
    control_dt_s: float = spec("simulation / control step", unit="s", min=0.01, max=0.2)
    frame_gap_s: float = spec("time between stored frames (and between the network's input frames)", unit="s",
                              min=0.02, max=1.0)
    num_frames: int = spec("frames per network input", min=1, max=4)
    width: int = spec("network input width", unit="px", min=32, max=1024)
    height: int = spec("network input height", unit="px", min=16, max=512)
    crop_top_frac: float = spec("top of the kept image band, fraction of image height", min=0.0, max=1.0)
    crop_bottom_frac: float = spec("bottom of the kept image band, fraction of image height", min=0.0, max=1.0)
    randomize_appearance: bool = spec("draw a random look per episode (domain randomization)")
    recovery_fraction: float = spec("share of episodes with injected perturbations", min=0.0, max=1.0)
    perturbation_rate_per_min: float = spec("perturbations per minute in a recovery episode", unit="1/min",
                                            min=0.0, max=60.0)
    perturbation_lat_accel_mps2: float = spec("largest injected lateral acceleration (as a steering offset)",
                                              unit="m/s^2", min=0.0, max=5.0)
    perturbation_duration_s: float = spec("longest injected perturbation", unit="s", min=0.1, max=5.0)
    curve_pace_fraction: float = spec("share of expert/recovery episodes driven at a random curve pace",
                                      min=0.0, max=1.0)
    curve_pace_min: float = spec("slowest curve pace, a multiple of the expert's curve speed", min=0.3, max=1.0)
    curve_pace_max: float = spec("fastest curve pace, a multiple of the expert's curve speed", min=1.0, max=2.0)
    curve_pace_hold_s: float = spec("longest time one drawn pace is held", unit="s", min=1.0, max=60.0)
    placement_fraction: float = spec("share of expert/recovery episodes driven off-centre and slower",
                                     min=0.0, max=1.0)
    placement_offset_max_m: float = spec("largest lateral offset held from the true path", unit="m",
                                         min=0.0, max=1.5)
    placement_speed_min: float = spec("slowest speed, a multiple of the true path's", min=0.1, max=1.0)
    placement_shift_rate_mps: float = spec("how fast the held offset moves to a newly drawn one", unit="m/s",
                                           min=0.05, max=2.0)
    placement_hold_s: float = spec("longest time one drawn offset and speed are held", unit="s",
                                   min=1.0, max=60.0)
    placement_edge_margin_m: float = spec("clearance the placed car's body keeps to its lane's edges",
                                          unit="m", min=0.0, max=2.0)
    placement_clear_ahead_m: float = spec("no offset from this far before a parked car or obstacle near the "
                                          "path until the car is past it", unit="m", min=0.0, max=200.0)
    bend_variation_fraction: float = spec("share of expert/recovery episodes on a road with other bend radii "
                                          "(and mirrored half of the time)", min=0.0, max=1.0)
    bend_radius_scale_min: float = spec("smallest factor on a bend's radius", min=0.5, max=1.0)
    bend_radius_scale_max: float = spec("largest factor on a bend's radius", min=1.0, max=2.0)
    lane_change_rate_per_min: float = spec("lane-change requests per minute", unit="1/min", min=0.0, max=30.0)
    lane_change_hold_s: float = spec("how long a lane-change intent is held", unit="s", min=1.0, max=20.0)
    dagger_episodes: int = spec("episodes per DAgger round", min=0)
    dagger_driver: str = spec("what drives DAgger episodes: the model's path into the Controller, or the whole stack",
                              choices=("path", "stack"))
    dagger_takeover_m: float = spec("lateral deviation from the true path at which the expert steps in",
                                    unit="m", min=0.2, max=3.0)
    workers: int = spec("worker processes", min=1, max=64)
    shard_samples: int = spec("samples per .npz shard", min=100)

    def validate(self) -> None:
        if self.crop_top_frac >= self.crop_bottom_frac:
            raise ValueError("crop_top_frac must be below crop_bottom_frac")
        if self.frame_gap_s < self.control_dt_s:
            raise ValueError("frame_gap_s must be at least control_dt_s")
        if self.bend_radius_scale_min > self.bend_radius_scale_max:
            raise ValueError("bend_radius_scale_min must not exceed bend_radius_scale_max")
        if self.curve_pace_min > self.curve_pace_max:
            raise ValueError("curve_pace_min must not exceed curve_pace_max")


def scenario_names(p: DatagenParams) -> list[str]:
    """Episode scenarios in turn: `all`, suite and scenario names, comma-separated; a name
    given twice gets twice the episodes (how the small-road suite is weighted up)."""
    from lcc_plus.sim import scenarios

    catalog = list(scenarios.catalog())
    names: list[str] = []
    for item in (s.strip() for s in p.scenarios.split(",")):
        if item == "all":
            names += catalog
        elif item in scenarios.SUITES:
            names += [s.name for s in scenarios.suite(item)]
        elif item in catalog:
            names.append(item)
        elif item:
            raise ValueError(f"unknown scenario or suite {item!r}; suites: {', '.join(scenarios.SUITES)}; "
                             f"scenarios: {', '.join(catalog)}")
    if not names:
        raise ValueError("vla_datagen.scenarios names no scenario")
    return names


def input_manifest(p: DatagenParams) -> dict:
    """Input geometry of the network (the virtual camera) derived from the simulator's camera."""
    from lcc_plus.sim.camera import CameraModel

    cam = CameraModel.from_config()
    src = CameraIntrinsics(cam.width, cam.height, tuple(cam.k.ravel()), tuple(cam.d))
    k = virtual_camera_k(src, p.crop_top_frac, p.crop_bottom_frac, p.width, p.height)
    return {"num_frames": p.num_frames, "width": p.width, "height": p.height, "input_k": k.ravel().tolist(),
            "camera": {"width": src.width, "height": src.height, "k": list(src.k), "d": list(src.d)},
            "frame_gap_s": p.frame_gap_s, "crop_top_frac": p.crop_top_frac,
            "crop_bottom_frac": p.crop_bottom_frac}


def path_trajectory(p: Perception) -> Trajectory:
    """A Perception's path as a Trajectory for the controller (accel and curvature by differences)."""
    t, x, y, v = (np.asarray(a, float) for a in (p.path_t_s, p.path_x_m, p.path_y_m, p.path_speed_mps))
    dx, dy = np.gradient(x, t), np.gradient(y, t)
    ddx, ddy = np.gradient(dx, t), np.gradient(dy, t)
    curvature = (dx * ddy - dy * ddx) / np.maximum(np.hypot(dx, dy) ** 3, 1e-3)
    return Trajectory(stamp_s=p.stamp_s, t_s=t, x_m=x, y_m=y, speed_mps=v, accel_mps2=np.gradient(v, t),
                      curvature_1pm=curvature, confidence=p.confidence)


@dataclass(frozen=True)
class EpisodeJob:
    scenario: str
    seed: int
    episode_id: int
    mode: str                 # "expert", "recovery" or "dagger"
    model_path: str = ""      # the model that drives in "dagger" mode


class _IntentSchedule:
    """Random lane-change requests and one fork preference per episode."""

    def __init__(self, p: DatagenParams, rng: np.random.Generator):
        self.p, self.rng = p, rng
        self.fork = ForkPreference(int(rng.integers(0, len(ForkPreference))))
        self.kind, self.until_s = IntentKind.KEEP_LANE, 0.0
        self.next_s = self._gap()

    def _gap(self) -> float:
        rate = self.p.lane_change_rate_per_min / 60.0
        return float(self.rng.exponential(1.0 / rate)) if rate > 0 else float("inf")

    def complete(self, now_s: float) -> None:
        """The world finished the lane change: back to keeping the lane (else it would go on to the next)."""
        self.kind, self.next_s = IntentKind.KEEP_LANE, now_s + self._gap()

    def at(self, now_s: float, has_left: bool, has_right: bool) -> Intent:
        if self.kind != IntentKind.KEEP_LANE and now_s >= self.until_s:
            self.kind, self.next_s = IntentKind.KEEP_LANE, now_s + self._gap()
        if self.kind == IntentKind.KEEP_LANE and now_s >= self.next_s:
            options = [k for k, ok in ((IntentKind.CHANGE_LEFT, has_left), (IntentKind.CHANGE_RIGHT, has_right)) if ok]
            if options:
                self.kind = options[int(self.rng.integers(0, len(options)))]
                self.until_s = now_s + self.p.lane_change_hold_s
            else:
                self.next_s = now_s + self._gap()
        return Intent(stamp_s=now_s, intent=self.kind, fork_preference=self.fork)


class _Perturbation:
    """Lateral-acceleration pulses injected at random times as steering offsets (recovery episodes)."""

    def __init__(self, p: DatagenParams, rng: np.random.Generator, active: bool, wheelbase_m: float):
        self.p, self.rng, self.active, self.wheelbase_m = p, rng, active, wheelbase_m
        self.start_s, self.end_s, self.accel_mps2 = self._draw(0.0)
        self.last_end_s = -float("inf")

    def _draw(self, now_s: float) -> tuple[float, float, float]:
        rate = self.p.perturbation_rate_per_min / 60.0
        if not self.active or rate <= 0:
            return float("inf"), float("inf"), 0.0
        start = now_s + 1.0 + float(self.rng.exponential(1.0 / rate))
        duration = float(self.rng.uniform(0.2, 1.0)) * self.p.perturbation_duration_s
        accel = float(self.rng.uniform(0.3, 1.0) * self.p.perturbation_lat_accel_mps2 * self.rng.choice((-1.0, 1.0)))
        return start, start + duration, accel

    def steer_at(self, now_s: float, speed_mps: float) -> float:
        """Steering offset [rad]: kinematic delta = L * a_lat / v^2 (floored speed keeps it bounded)."""
        if now_s >= self.end_s:
            self.last_end_s = self.end_s
            self.start_s, self.end_s, self.accel_mps2 = self._draw(now_s)
        if not self.start_s <= now_s < self.end_s:
            return 0.0
        return self.wheelbase_m * self.accel_mps2 / max(speed_mps, 5.0) ** 2

    def recovering(self, now_s: float) -> bool:
        """During a perturbation and for 3 s after it (the way back)."""
        return self.active and (self.start_s <= now_s < self.end_s or now_s < self.last_end_s + 3.0)


class _CurvePace:
    """The ground-truth params the car drives by in a pace episode: curve speed at a random multiple
    of the expert's (the lateral acceleration allowed scales with its square), redrawn now and then.
    Speed limits stay as they are: the stack never plans above them, it meets bends too fast."""

    def __init__(self, p: DatagenParams, rng: np.random.Generator, active: bool, base: GroundTruthParams):
        self.p, self.rng, self.active, self.base = p, rng, active, base
        self.until_s, self.params = -float("inf"), base

    def params_at(self, now_s: float) -> GroundTruthParams | None:
        """The params to drive by, or None when the episode drives at the expert's pace."""
        if not self.active:
            return None
        if now_s >= self.until_s:
            pace = float(self.rng.uniform(self.p.curve_pace_min, self.p.curve_pace_max))
            self.until_s = now_s + float(self.rng.uniform(0.5, 1.0)) * self.p.curve_pace_hold_s
            self.params = replace(self.base, lat_accel_mps2=self.base.lat_accel_mps2 * pace ** 2)
        return self.params


class _Placement:
    """Where a placement episode drives: the true path moved sideways by a held offset (reached at
    `placement_shift_rate_mps`, not jumped to) at a held fraction of its speed. The controller
    tracks the geometry, so the car sits off-centre and slower while the labels stay the truth.

    The offset stays inside the room the road leaves (`room_left_m`/`room_right_m` of `apply`):
    an unbounded one put the car on the curb or beside a parked car, where the simulated driver
    took over and the episode taught a pass nobody would drive (docs/results/README.md, "Seen from
    elsewhere on the road")."""

    def __init__(self, p: DatagenParams, rng: np.random.Generator, active: bool):
        self.p, self.rng, self.active = p, rng, active
        self.until_s, self.last_s = -float("inf"), None
        self.offset_m, self.target_m, self.speed_factor = 0.0, 0.0, 1.0

    def _advance(self, now_s: float, room_left_m: float, room_right_m: float) -> None:
        if now_s >= self.until_s:
            self.target_m = float(self.rng.uniform(-1.0, 1.0)) * self.p.placement_offset_max_m
            self.speed_factor = float(self.rng.uniform(self.p.placement_speed_min, 1.0))
            self.until_s = now_s + float(self.rng.uniform(0.5, 1.0)) * self.p.placement_hold_s
        dt = 0.0 if self.last_s is None else max(now_s - self.last_s, 0.0)
        self.last_s = now_s
        step = self.p.placement_shift_rate_mps * dt
        target = float(np.clip(self.target_m, -max(room_right_m, 0.0), max(room_left_m, 0.0)))
        self.offset_m += float(np.clip(target - self.offset_m, -step, step))

    def apply(self, now_s: float, path: Perception, room_left_m: float = float("inf"),
              room_right_m: float = float("inf")) -> Perception:
        """`path` moved left by the held offset (along its normal) and slowed by the held factor.
        The offset heads for the drawn one clipped to [-room_right_m, room_left_m] (0 where either
        is negative)."""
        if not self.active:
            return path
        self._advance(now_s, room_left_m, room_right_m)
        x, y = np.asarray(path.path_x_m, float), np.asarray(path.path_y_m, float)
        heading = np.arctan2(np.gradient(y), np.gradient(x)) if len(x) > 1 else np.zeros_like(x)
        return replace(path, path_x_m=x - self.offset_m * np.sin(heading),
                       path_y_m=y + self.offset_m * np.cos(heading),
                       path_speed_mps=np.asarray(path.path_speed_mps, float) * self.speed_factor)


def _placement_room(world, plan, p: DatagenParams) -> tuple[float, float]:
    """(left, right) room in m the true path leaves a placed car: to the own lane's edges, less
    `placement_edge_margin_m`; none at all from `placement_clear_ahead_m` before a static object
    near the path until the car is past it, and during a lane change."""
    from lcc_plus.sim import ground_truth

    pos = world.lane_pos
    if pos is None or plan.intent != IntentKind.KEEP_LANE:  # a lane change under way plans its own intent
        return 0.0, 0.0
    line, s0 = plan.line, plan.s0_m
    half_w = 0.5 * world.vp.width_m
    # The projections the plan's nudge made this step (cached in the world), not a second set.
    for a, sa, da in zip(*ground_truth.agents_on_line(world, line, s0)):
        if not a.static or not -(0.5 * a.length_m + 10.0) < sa - s0 < p.placement_clear_ahead_m:
            continue
        if abs(float(da) - float(np.interp(sa, line.s, plan.offset_m))) < 0.5 * a.width_m + half_w + 1.0:
            return 0.0, 0.0
    d_path = float(np.interp(s0, line.s, plan.offset_m))
    # The chain's line runs midway between the lane's edges (ground_truth._driving_offsets).
    left, right = world.net.lanes[pos.lane_id].offsets_at(pos.s_m)
    half_lane = 0.5 * float(left - right)
    inner = half_lane - half_w - p.placement_edge_margin_m
    return inner - d_path, inner + d_path


def _drawn(rng: np.random.Generator, fraction: float, dagger: bool) -> bool:
    """Whether an expert/recovery episode gets an option applied to `fraction` of them. No draw when
    the option is off: the episodes stay those of data made before the option existed."""
    return not dagger and fraction > 0 and rng.uniform() < fraction


_WORKER: dict = {}


def _worker_init(p: DatagenParams, manifest: dict) -> None:
    from lcc_plus.control.controller import Controller
    from lcc_plus.control.params import ControllerParams
    from lcc_plus.sim.render import Renderer

    cv2.setNumThreads(1)  # one process per core already
    renderer = Renderer.from_config()
    cam = manifest["camera"]
    src = CameraIntrinsics(cam["width"], cam["height"], tuple(cam["k"]), tuple(cam["d"]))
    _WORKER.update(p=p, renderer=renderer, controller_params=ControllerParams.from_config(), Controller=Controller,
                   pre=Preprocessor(src, np.asarray(manifest["input_k"]), p.width, p.height), runtimes={})


def _runtime(model_path: str):
    from lcc_plus.vla.runtime import VlaRuntime

    cache = _WORKER["runtimes"]
    if model_path not in cache:
        cache[model_path] = VlaRuntime(model_path, threads=1)
    return cache[model_path]


def _stack(model_path: str):
    """A fresh evaluation `stack` pipeline driven by `model_path` (one per episode: the planner has state)."""
    from lcc_plus.evaluation.drivers import make_policy

    return make_policy("stack", Path(model_path))


def _with_lane_leads(gt: Perception, world, intent: Intent) -> Perception:
    """`gt` with the leads of the lane, not of the path: a parked car the expert's path passes is
    still the lead. The planner decides a pass from the model's path (mode_manager: a stopped lead
    the path clears with room); a lead label that vanishes whenever the expert would pass taught
    the model to drop a parked car ahead while its path waited behind it (parked_village, layout v2)."""
    from lcc_plus.sim import ground_truth

    lead, left, right = ground_truth.lane_leads(world, intent.intent, intent.fork_preference)
    return replace(gt, lead=lead, lead_left=left, lead_right=right)


def run_episode(job: EpisodeJob) -> dict[str, np.ndarray]:
    """Drive one episode; returns its samples (arrays of equal length, `prev` episode-relative)."""
    from lcc_plus.sim import ground_truth, scenarios
    from lcc_plus.sim.appearance import Appearance
    from lcc_plus.sim.world import World

    p: DatagenParams = _WORKER["p"]
    rng = np.random.default_rng([job.seed, SOURCE_INDEX[job.mode], 7])
    dagger = job.mode == "dagger"
    scenario = scenarios.get(job.scenario)
    if _drawn(rng, p.bend_variation_fraction, dagger):
        scenario = scenarios.with_varied_bends(scenario, rng, p.bend_radius_scale_min, p.bend_radius_scale_max)
    world = World(scenario, job.seed, render=False)
    look = Appearance.randomized(rng) if p.randomize_appearance else Appearance()
    look = replace(look, **getattr(scenario, "appearance", {}))  # e.g. the faded-markings scenario's wear
    controller = _WORKER["Controller"](_WORKER["controller_params"])
    schedule = _IntentSchedule(p, rng)
    perturb = _Perturbation(p, rng, job.mode == "recovery", _WORKER["controller_params"].wheelbase_m)
    stack = _stack(job.model_path) if dagger and p.dagger_driver == "stack" else None
    runtime = _runtime(job.model_path) if dagger and stack is None else None
    pace = _CurvePace(p, rng, _drawn(rng, p.curve_pace_fraction, dagger), world.gt_params)
    placement = _Placement(p, rng, _drawn(rng, p.placement_fraction, dagger))
    steps_per_frame = max(1, int(round(p.frame_gap_s / p.control_dt_s)))
    rows: dict[str, list] = {k: [] for k in ("frames", "state", "target", "mask", "line_type", "source")}
    image: np.ndarray | None = None
    history: list[np.ndarray] = []   # raw frames for the model when its path drives
    model_p: Perception | None = None
    expert_until_s = -1.0
    step = 0
    lane_change_started = False
    failure = ""
    while not world.done and step * p.control_dt_s < p.episode_duration_s:
        obs = world.observe()
        now = obs.stamp_s
        ego: EgoState = obs.ego
        if world.lane_pos is None:  # off the road: nothing sensible to label, the episode ends here
            break
        if lane_change_started and world.lane_change is None:
            schedule.complete(now)
        lane_change_started = world.lane_change is not None and world.lane_change.started
        lane = world.net.lanes[world.lane_pos.lane_id]
        intent = stack.intent if stack is not None else schedule.at(now, lane.left_id is not None,
                                                                     lane.right_id is not None)
        pace_params = pace.params_at(now)
        try:
            gt, plan = ground_truth.perceive_with_plan(world, intent.intent, intent.fork_preference)
            drive_gt = gt if pace_params is None else ground_truth.perceive(world, intent.intent,
                                                                            intent.fork_preference, pace_params)
        except RuntimeError:
            break
        if step % steps_per_frame == 0:
            try:
                image = _WORKER["renderer"].render(obs.scene, look, rng)
            except (IndexError, ValueError) as err:
                # A renderer failure on one geometry ends this episode with what it has; the count goes
                # into the manifest so it cannot pass unnoticed.
                failure = f"{job.scenario} seed {job.seed} t={now:.2f}s: {type(err).__name__}: {err}"
                break
            frame = _WORKER["pre"].frame(image)
            labels = encode(_with_lane_leads(gt, world, intent), ego, ground_truth.driving_line_ahead(world, plan, PATH_S_M))
            rows["frames"].append(frame)
            rows["state"].append(encode_state(ego, intent)[0])
            rows["target"].append(labels.target)
            rows["mask"].append(labels.mask)
            rows["line_type"].append(labels.line_type.astype(np.int8))
            source = job.mode if job.mode != "recovery" or perturb.recovering(now) else "expert"
            rows["source"].append(SOURCE_INDEX[source])
            if runtime is not None:
                history = (history + [image])[-runtime.input_spec.num_frames:]
                model_p = runtime.infer(history, ego, intent)
        if stack is not None:
            # Every step, also while the expert steps in: the planner and monitor keep their state.
            obs.image_rgb = image  # the newest frame: the camera runs at the network's frame rate
            stack_command = stack.act(obs)[0]
        # The true path starts at the ego's projection on the driving line: y(0) is how far off it the car is.
        if abs(float(gt.path_y_m[0])) > p.dagger_takeover_m:
            expert_until_s = now + 2.0
        model_drives = now >= expert_until_s
        if stack is not None and model_drives:
            command = stack_command
        else:
            if model_p is not None and model_drives:
                drive_path = model_p
            elif placement.active:  # the room projects the static objects: only worth it when placed
                drive_path = placement.apply(now, drive_gt, *_placement_room(world, plan, p))
            else:
                drive_path = drive_gt
            command = controller.step(now, ego, path_trajectory(drive_path))
            command.steering_angle_rad += perturb.steer_at(now, ego.speed_mps)
            # The indicator is what makes the world track (and the label plan) a system lane change.
            command.turn_signal = _SIGNAL[intent.intent]
        command.engaged = True
        world.step(command, TakeoverDemand(stamp_s=now), p.control_dt_s)
        step += 1
    n = len(rows["frames"])
    out = {k: np.stack(v) if n else np.zeros((0,)) for k, v in rows.items()}
    out["source"] = np.asarray(rows["source"], np.uint8)
    out["prev"] = np.maximum(np.arange(n) - 1, 0).astype(np.int32)
    out["episode"] = np.full(n, job.episode_id, np.int32)
    out["failure"] = failure
    return out


def _episode_or_failure(job: EpisodeJob) -> dict:
    """run_episode, with a failing episode (simulator error) reported instead of ending the whole run."""
    try:
        return run_episode(job)
    except Exception as err:  # the simulator's own errors are many types; each is counted and shown
        return {"frames": np.zeros((0,)), "failure": f"{job.scenario} seed {job.seed}: {type(err).__name__}: {err}"}


def _run_jobs(p: DatagenParams, manifest: dict, jobs: list[EpisodeJob], writer: ds.ShardWriter,
              desc: str) -> tuple[dict[str, int], list[str]]:
    """Samples per scenario, and the failures that cut episodes short or lost them."""
    counts: dict[str, int] = {}
    failures: list[str] = []
    if not jobs:
        return counts, failures
    with contextlib.ExitStack() as stack:
        if p.workers == 1:
            # In this process: no fork (a process with DDS or ONNX threads may not fork safely).
            _worker_init(p, manifest)
            episodes = map(_episode_or_failure, jobs)
        else:
            pool = stack.enter_context(mp.get_context("fork").Pool(p.workers, initializer=_worker_init,
                                                                   initargs=(p, manifest)))
            episodes = pool.imap(_episode_or_failure, jobs)
        for job, ep in zip(jobs, tqdm(episodes, total=len(jobs), desc=desc, unit="episode")):
            failure = ep.pop("failure")
            if failure:
                failures.append(failure)
                tqdm.write(f"episode cut short or lost: {failure}")
            if len(ep["frames"]):
                writer.add_episode(ep)
                counts[job.scenario] = counts.get(job.scenario, 0) + len(ep["frames"])
    writer.flush()
    if len(failures) > len(jobs) // 2:
        raise RuntimeError(f"{len(failures)} of {len(jobs)} episodes failed; first: {failures[0]}")
    return counts, failures


def episode_jobs(p: DatagenParams) -> list[EpisodeJob]:
    """The expert/recovery episodes of a config; a longer list starts with the shorter one."""
    names = scenario_names(p)
    rng = np.random.default_rng(p.first_seed)
    return [EpisodeJob(names[i % len(names)], p.first_seed + i, p.first_seed + i,
                       "recovery" if rng.uniform() < p.recovery_fraction else "expert") for i in range(p.episodes)]


def generate(p: DatagenParams, out_dir: Path) -> dict:
    """Expert and recovery episodes into `out_dir`; returns the manifest.

    Data of the same config with fewer episodes is kept and only the missing episodes
    are run (their shards go beside the old ones); data of another config is removed first.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = episode_jobs(p)
    manifest = _reusable_manifest(p, out_dir, jobs)
    if manifest is None:
        if (out_dir / ds.MANIFEST).is_file():
            print(f"{out_dir}: data of another datagen config (or more episodes than asked); regenerating")
        for old in out_dir.glob("*.npz"):
            old.unlink()
        manifest = {"layout_version": LAYOUT_VERSION, "label_version": LABEL_VERSION,
                    "input": input_manifest(p), "episodes_done": [],
                    "scenarios": {}, "failures": []}
    manifest.update(config=asdict(p), config_hash=ds.config_hash(asdict(p)))
    done = set(manifest["episodes_done"])
    todo = [j for j in jobs if j.episode_id not in done]
    batch = len({s.name.split("-")[0] for s in out_dir.glob("expert*.npz")})
    prefix = "expert" if batch == 0 else f"expert{batch}"
    counts, failures = _run_jobs(p, manifest["input"], todo, ds.ShardWriter(out_dir, prefix, p.shard_samples),
                                 "datagen")
    for name, n in counts.items():
        manifest["scenarios"][name] = manifest["scenarios"].get(name, 0) + n
    manifest["failures"] += failures
    manifest["episodes_done"] = sorted(done | {j.episode_id for j in todo})
    (out_dir / ds.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _reusable_manifest(p: DatagenParams, out_dir: Path, jobs: list[EpisodeJob]) -> dict | None:
    """The manifest of data in `out_dir` that this config extends, else None."""
    path = out_dir / ds.MANIFEST
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text())
    same = (manifest.get("layout_version") == LAYOUT_VERSION and manifest.get("label_version") == LABEL_VERSION
            and "episodes_done" in manifest
            and data_identity(manifest.get("config", {})) == data_identity(asdict(p)))
    if not same or not set(manifest["episodes_done"]) <= {j.episode_id for j in jobs}:
        return None
    return manifest


def generate_dagger(p: DatagenParams, out_dir: Path, model_path: Path, round_index: int) -> dict:
    """One DAgger round: the model drives fresh seeds, ground truth labels every visited state."""
    manifest = json.loads((out_dir / ds.MANIFEST).read_text())
    names = scenario_names(p)
    base = p.first_seed + p.episodes + round_index * max(p.dagger_episodes, 1)
    jobs = [EpisodeJob(names[i % len(names)], base + i, base + i, "dagger", str(model_path))
            for i in range(p.dagger_episodes)]
    counts, failures = _run_jobs(p, manifest["input"], jobs,
                                 ds.ShardWriter(out_dir, f"dagger{round_index}", p.shard_samples),
                                 f"dagger round {round_index}")
    manifest.setdefault("dagger", []).append({"round": round_index, "samples": sum(counts.values()),
                                              "scenarios": counts, "failures": failures})
    (out_dir / ds.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def reset_dagger(out_dir: Path) -> dict:
    """Drop the DAgger shards of an earlier run (they depend on that run's model); returns the manifest."""
    for shard in out_dir.glob("dagger*.npz"):
        shard.unlink()
    manifest = json.loads((out_dir / ds.MANIFEST).read_text())
    manifest["dagger"] = []
    (out_dir / ds.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


# Settings that do not change the expert/recovery data: data made with other values is reused
# (`episodes`: more of them extend the data, see generate).
DATA_NEUTRAL = ("workers", "dagger_episodes", "dagger_driver", "dagger_takeover_m", "episodes", "shard_samples")


def data_identity(config: dict) -> str:
    """Hash of the settings that shape the expert/recovery data."""
    return ds.config_hash({k: v for k, v in config.items() if k not in DATA_NEUTRAL})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=REPO_DIR / "config" / "vla_train.yaml",
                        help="config with a `vla_datagen` section")
    parser.add_argument("--episodes", type=int, help="override the number of episodes")
    parser.add_argument("--workers", type=int, help="override the number of worker processes")
    parser.add_argument("--out", type=Path, help="override the output folder")


def run(args: argparse.Namespace) -> int:
    overrides = {k: v for k, v in (("episodes", args.episodes), ("workers", args.workers)) if v is not None}
    values = {**params.node_section(args.config, "vla_datagen"), **overrides}
    p = params.from_dict(DatagenParams, values, f"{args.config} [vla_datagen]")
    out_dir = args.out or (REPO_DIR / p.out_dir)
    manifest = generate(p, out_dir)
    print(f"wrote {sum(manifest['scenarios'].values())} samples to {out_dir}")
    return 0
