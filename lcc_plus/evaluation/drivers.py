"""The drivers evaluated in closed loop, each a policy `act(obs) -> (Command, TakeoverDemand, extras)`.

All three run the same chain as the ROS graph: perception -> planner -> Controller ->
SafetyMonitor; only the perception source and the planner differ:
- `expert`: ground-truth perception (obs.gt: the true map and objects) and true rear
  objects, into the ModeManager. The upper bound and the source of training labels.
- `lcc`: the classic lane-centering + ACC baseline (lcc_baseline.LccPlanner) on the
  ground-truth ego lane lines and ego-lane lead.
- `stack`: the VLA model on the camera image (it gets ego speed and yaw rate only)
  into the ModeManager; rear and corner sensing and the driver controls as a car has them.
"""
from __future__ import annotations

import dataclasses
import math
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lcc_plus.common.types import (
    Command,
    EgoState,
    Intent,
    ModeStatus,
    Perception,
    RearSensing,
    SafetyReport,
    TakeoverDemand,
    Trajectory,
)
from lcc_plus.control.controller import Controller
from lcc_plus.control.params import ControllerParams
from lcc_plus.safety.monitor import SafetyMonitor
from lcc_plus.safety.params import load_safety_params

DRIVERS = ("expert", "lcc", "stack")


@dataclass
class StepExtras:
    """What the system intended at one step (for the KPIs, the video and the fault bookkeeping)."""

    status: ModeStatus
    trajectory: Trajectory
    perception: Perception | None
    report: SafetyReport
    proposed: Command
    notes: dict = field(default_factory=dict)


class Pipeline:
    """perception -> planner -> Controller -> SafetyMonitor for one car, one call per observation.

    `perceive(obs, intent) -> Perception | None` is the perception source; `rear(obs)`
    picks the rear and corner sensing; the planner has the ModeManager's `step` signature.
    """

    def __init__(self, name: str, perceive, planner, rear, image_size_px: tuple[int, int]):
        self.name = name
        self.perceive = perceive
        self.planner = planner
        self.rear = rear
        self.controller = Controller(ControllerParams.from_config())
        self.monitor = SafetyMonitor(load_safety_params())
        self.image_size_px = image_size_px
        self.drop_perception = False          # set by fault injection: the model node is dead
        self.image_stamp_s: float | None = None  # set by fault injection: a frozen camera's stamp
        self._perception: Perception | None = None
        self._intent = Intent()
        self._takeover = TakeoverDemand()

    @property
    def intent(self) -> Intent:
        """The intent the next perception call is given (the planner's, from the step before)."""
        return self._intent

    def act(self, obs) -> tuple[Command, TakeoverDemand, StepExtras]:
        now = obs.stamp_s
        mon = self.monitor
        rear = self.rear(obs)
        mon.on_vehicle_state(obs.ego, now)
        mon.on_driver(obs.driver, now)
        mon.on_rear(rear, now)
        # The camera is fitted and running for every driver, whether or not its pixels are rendered.
        w, h = (obs.image_rgb.shape[1], obs.image_rgb.shape[0]) if obs.image_rgb is not None else self.image_size_px
        mon.on_image(now if self.image_stamp_s is None else self.image_stamp_s, w, h, "rgb8", now)
        if not self.drop_perception:
            p = self.perceive(obs, self._intent)
            if p is not None:
                self._perception = p
                mon.on_perception(p, now)
        perception = self._perception if self._perception is not None else Perception(stamp_s=now, confidence=0.0)
        traj, status, intent = self.planner.step(now, obs.ego, obs.driver, perception, rear, self._takeover)
        self._intent = intent
        mon.on_mode(status, now)
        proposed = self.controller.step(now, obs.ego, traj)
        mon.on_command(proposed, now)
        out = mon.tick(now)
        self._takeover = out.takeover
        return out.command, out.takeover, StepExtras(status, traj, self._perception, out.report, proposed)


def _ground_truth(obs, intent: Intent) -> Perception | None:
    """The true lanes and objects; None when the car is off the road (there are no lanes to give)."""
    try:
        return obs.gt
    except RuntimeError:
        return None


def _ground_truth_lanes_and_objects(obs, intent: Intent) -> Perception | None:
    """What a lane-centring product perceives: the true lanes and every object in the lane
    as a lead, parked cars included (its path does not bend past them)."""
    try:
        return obs.world.perceive(nudge=False)
    except RuntimeError:
        return None


class TrueRear:
    """The expert's rear and corner sensing: the true objects around the car, without the radar's
    noise, dropouts and latency (same coverage, lane assignment and blind-spot logic)."""

    def __init__(self) -> None:
        self._radar = None

    def __call__(self, obs) -> RearSensing:
        from lcc_plus.sim.polyline import to_frame
        from lcc_plus.sim.radar import RadarParams, RearRadar, TrueObject

        world = obs.world
        if self._radar is None:
            p = dataclasses.replace(RadarParams.from_config(), position_noise_m=0.0, speed_noise_mps=0.0,
                                    dropout_probability=0.0, latency_s=0.0)
            vp = world.vp
            self._radar = RearRadar(p, vp.rear_overhang_m, vp.length_m, vp.width_m, np.random.default_rng(0))
        st = world.vehicle.state
        objects = []
        for a in world.traffic.agents:
            x, y = to_frame(np.array([a.x_m, a.y_m]), st.x_m, st.y_m, st.yaw_rad)
            dyaw = a.yaw_rad - st.yaw_rad
            objects.append(TrueObject(a.id, float(x), float(y), a.speed_mps * math.cos(dyaw),
                                      a.speed_mps * math.sin(dyaw), a.length_m, a.width_m))
        return self._radar.measure(obs.stamp_s, objects, st.speed_mps)


class VlaPerception:
    """The VLA model on the camera: keeps the frame history the model wants, sees ego speed and yaw rate only."""

    def __init__(self, model_path: Path, threads: int = 1):
        from lcc_plus.vla.runtime import VlaRuntime

        self.runtime = VlaRuntime(model_path, threads=threads)
        spec = self.runtime.input_spec
        self.num_frames, self.gap_s = spec.num_frames, spec.frame_gap_s
        self._history: deque[tuple[float, np.ndarray]] = deque(maxlen=64)

    def __call__(self, obs, intent: Intent) -> Perception | None:
        if obs.image_rgb is None:
            raise ValueError("the stack needs camera images: run the world with render=True")
        now = obs.stamp_s
        if not self._history or self._history[-1][1] is not obs.image_rgb:
            self._history.append((now, obs.image_rgb))
        frames = [self._frame_at(now - k * self.gap_s) for k in range(self.num_frames - 1, -1, -1)]
        ego = EgoState(stamp_s=now, speed_mps=obs.ego.speed_mps, yaw_rate_radps=obs.ego.yaw_rate_radps)
        try:
            return self.runtime.infer(frames, ego, intent, stamp_s=now)
        except ValueError:  # non-finite ego speed or yaw rate: the model cannot run
            return None

    def _frame_at(self, t_s: float) -> np.ndarray:
        """The newest frame not newer than t_s (the oldest one early in the run)."""
        for stamp, frame in reversed(self._history):
            if stamp <= t_s + 1e-6:
                return frame
        return self._history[0][1]


def make_policy(name: str, model_path: Path | None = None, image_size_px: tuple[int, int] = (640, 480)) -> Pipeline:
    """A fresh policy for one run."""
    from lcc_plus.evaluation.lcc_baseline import LccPlanner, load_lcc_params
    from lcc_plus.planning.mode_manager import ModeManager
    from lcc_plus.planning.params import ModeManagerParams

    if name == "expert":
        return Pipeline(name, _ground_truth, ModeManager(ModeManagerParams.from_config()), TrueRear(), image_size_px)
    if name == "lcc":
        return Pipeline(name, _ground_truth_lanes_and_objects, LccPlanner(load_lcc_params()), lambda obs: obs.rear,
                        image_size_px)
    if name == "stack":
        from lcc_plus.vla.runtime import load_params

        path = model_path or load_params().resolved_model_path()
        return Pipeline(name, VlaPerception(path), ModeManager(ModeManagerParams.from_config()),
                        lambda obs: obs.rear, image_size_px)
    raise ValueError(f"unknown driver {name!r}; choose one of {', '.join(DRIVERS)}")


def needs_images(name: str) -> bool:
    return name == "stack"
