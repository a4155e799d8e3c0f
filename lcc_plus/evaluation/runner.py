"""Closed loop World x policy, one run per (scenario, driver, seed, fault), over worker processes.

`run_one(spec)` drives one run and writes its plot (and video) into the output folder;
`run_all(specs, workers)` spreads independent runs over spawn-started processes with a
tqdm bar and returns the results in a fixed order, so reports do not depend on which
worker finished first.
"""
from __future__ import annotations

import math
import multiprocessing as mp
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from lcc_plus.evaluation import params as eval_params
from lcc_plus.evaluation.drivers import make_policy, needs_images
from lcc_plus.evaluation.faults import FaultInjector
from lcc_plus.evaluation.lane_changes import LaneChangeTracker
from lcc_plus.evaluation.report import RunResult
from lcc_plus.evaluation.trace import Event, EventKind
from lcc_plus.evaluation.world_trace import trace_from_world


@dataclass(frozen=True)
class RunSpec:
    """One closed-loop run. `out_dir` receives its plot and video (paths in the result are relative)."""

    suite: str
    scenario: str
    driver: str
    seed: int
    out_dir: str
    map_path: str | None = None
    fault: str | None = None
    video: bool = False
    video_from_s: float = 0.0  # the clip (video_max_s long) starts at this simulated time
    plot: bool = True
    model_path: str | None = None
    max_s: float | None = None  # stop earlier than the scenario does (smoke tests)

    @property
    def run_id(self) -> str:
        fault = f"_{self.fault}" if self.fault else ""
        return f"{self.driver}_{self.scenario}_s{self.seed}{fault}"


@dataclass
class _Recorder:
    """What the runner keeps per step besides the world log."""

    tracker: LaneChangeTracker = field(default_factory=LaneChangeTracker)
    frames: list = field(default_factory=list)


def run_one(spec: RunSpec) -> RunResult:
    """Drive one scenario with one driver until the world is done; write plot and video."""
    from lcc_plus.sim import scenarios
    from lcc_plus.sim.world import World

    p = eval_params.load()
    scenario = scenarios.from_map(spec.map_path) if spec.map_path else scenarios.get(spec.scenario)
    world = World(scenario, spec.seed, render=needs_images(spec.driver) or spec.video)
    policy = make_policy(spec.driver, Path(spec.model_path) if spec.model_path else None)
    fault = _make_fault(spec, scenario) if spec.fault else None
    rec = _Recorder()
    error = None
    try:
        _drive(spec, world, policy, fault, rec, p)
    except Exception as err:  # one broken run must not hide the others: it is reported as an error
        error = _describe_error(err)
        if len(world.log) == 0:
            raise RuntimeError(f"{spec.run_id}: failed before the first step: {error}") from err
    extra = _fault_events(fault)
    trace = trace_from_world(world.log, suite=spec.suite, scenario=spec.scenario, driver=spec.driver,
                             seed=spec.seed, planner_lane_changes=rec.tracker.changes, extra_events=extra)
    files = _write_files(spec, trace, rec, p)
    return RunResult(trace, files, error)


def _drive(spec: RunSpec, world, policy, fault: FaultInjector | None, rec: _Recorder, p) -> None:
    """The closed loop until the world is done (or `spec.max_s`)."""
    first_video_step = int(round(spec.video_from_s / world.p.step_s))
    video_steps = int(round(p.video_max_s / world.p.step_s))
    step = 0
    end_s = min(spec.max_s if spec.max_s is not None else math.inf, fault.end_s if fault else math.inf)
    while not world.done and world.time_s < end_s - 1e-9:
        obs = world.observe()
        if fault is not None:
            obs = fault.apply(obs)
            policy.drop_perception = fault.drop_perception(obs.stamp_s)
            policy.image_stamp_s = fault.image_stamp_s(obs.stamp_s)
        command, takeover, extras = policy.act(obs)
        rec.tracker.update(obs.stamp_s, obs.driver.lever, extras.status)
        in_clip = first_video_step <= step < first_video_step + video_steps
        if spec.video and in_clip and (step - first_video_step) % p.video_stride == 0 and obs.image_rgb is not None:
            from lcc_plus.evaluation.video import annotate

            rec.frames.append(annotate(obs, extras, p))
        world.step(command, takeover)
        if fault is not None:
            fault.observe_answer(obs.stamp_s, command, takeover, world.driver.in_control)
        step += 1


def _describe_error(err: Exception) -> str:
    """Type, message and the innermost frame inside lcc_plus (where to look)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if "lcc_plus" in f.filename]
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno} ({frames[-1].name})" if frames else ""
    return f"{type(err).__name__}: {err}{where}"


def _make_fault(spec: RunSpec, scenario) -> FaultInjector:
    p = eval_params.load_faults()
    start = min(p.start_s, 0.5 * scenario.duration_s)
    return FaultInjector(spec.fault, start, p.override_s, p.override_torque_nm, p.observe_s)


def _fault_events(fault: FaultInjector | None) -> list[Event]:
    if fault is None:
        return []
    out = [Event(fault.start_s, EventKind.FAULT, fault.kind)]
    t_outcome = fault.outcome_t_s if fault.outcome_t_s is not None else fault.start_s
    out.append(Event(t_outcome, EventKind.FAULT_OUTCOME, fault.outcome))
    return out


def _write_files(spec: RunSpec, trace, rec: _Recorder, p) -> dict[str, str]:
    out = Path(spec.out_dir)
    files = {}
    if spec.plot:
        from lcc_plus.evaluation.plots import plot_run

        rel = Path("plots") / f"{spec.run_id}.png"
        plot_run(trace, p, out / rel)
        files["plot"] = rel.as_posix()
    if spec.video and rec.frames:
        from lcc_plus.evaluation.video import write_video

        rel = write_video(rec.frames, out / "videos" / spec.run_id, p.video_fps)
        files["video"] = rel.relative_to(out).as_posix()
    return files


def run_all(specs: list[RunSpec], workers: int, progress: bool = True) -> list[RunResult]:
    """All runs, `workers` at a time (1: in this process); results in the order of `specs`."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    bar = tqdm(total=len(specs), desc="eval", unit="run", disable=not progress)
    results: list[RunResult | None] = [None] * len(specs)
    try:
        if workers == 1 or len(specs) <= 1:
            for i, s in enumerate(specs):
                results[i] = run_one(s)
                bar.update()
        else:
            _one_thread_per_worker()
            with mp.get_context("spawn").Pool(min(workers, len(specs))) as pool:
                for i, r in pool.imap_unordered(_indexed_run, list(enumerate(specs))):
                    results[i] = r
                    bar.set_postfix_str(specs[i].run_id, refresh=False)
                    bar.update()
    finally:
        bar.close()
    return [r for r in results if r is not None]


def _one_thread_per_worker() -> None:
    """The workers are the parallelism: spawned children inherit one numeric thread each."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _indexed_run(item: tuple[int, RunSpec]) -> tuple[int, RunResult]:
    i, spec = item
    return i, run_one(spec)
