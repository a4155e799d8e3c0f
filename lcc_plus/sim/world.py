"""The closed-loop world: map, ego vehicle, traffic, radar, driver model, log.

    world = World(scenario, seed, render=True)
    obs = world.observe()                    # what the car's sensors give the stack
    world.step(command, takeover, dt_s)      # advance; the driver model reacts
    world.done, world.log

Who drives each step: the system's `command` when it is engaged and the driver model
does not hold control; otherwise the driver model (see driver.py). The observation
holds only what a real car provides (image, EgoState, DriverControls, RearSensing)
plus `gt` (privileged ground-truth Perception, computed on first access) and
`world` (privileged access, for the expert only). The map frame is x east, y north;
observations are in base_link (rear axle, x forward, y left).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from lcc_plus.common import params
from lcc_plus.common.params import spec
from lcc_plus.common.types import (
    Command,
    DriverControls,
    EgoState,
    ForkPreference,
    IntentKind,
    Lever,
    Perception,
    RearObject,
    RearSensing,
    TakeoverDemand,
    TurnSignal,
)
from lcc_plus.sim.driver import DriverModel, DriverParams
from lcc_plus.sim.ground_truth import FORK_TO_PREFERENCE, GroundTruthParams, PathPlan, perceive, plan_path
from lcc_plus.sim.log import LaneChangeRecord, LogEvent, WorldLog
from lcc_plus.sim.polyline import Polyline, to_frame
from lcc_plus.sim.radar import RadarParams, RearRadar, TrueObject
from lcc_plus.sim.road import LanePosition, RoadNetwork
from lcc_plus.sim.scene import BoundaryKind, Pose2D, Scene, VehicleBox
from lcc_plus.sim.traffic import Traffic, TrafficParams
from lcc_plus.sim.vehicle import Vehicle, VehicleParams, VehicleState

PAINTED = (BoundaryKind.DASHED, BoundaryKind.SOLID, BoundaryKind.SOLID_DASHED, BoundaryKind.DOUBLE_SOLID)
NO_CROSSING = (BoundaryKind.SOLID, BoundaryKind.DOUBLE_SOLID, BoundaryKind.ROAD_BORDER, BoundaryKind.CURBSTONE)


@dataclass(frozen=True)
class WorldParams:
    step_s: float = spec("default world step", unit="s", min=0.005, max=0.2)
    desired_speed_factor: float = spec("drivers aim at this fraction of the speed limit", min=0.5, max=1.2)
    lane_change_refuse_s: float = spec("a requested lane change not started within this is refused",
                                       unit="s", min=2.0, max=30.0)
    lane_change_timeout_s: float = spec("a started lane change not completed within this is aborted",
                                        unit="s", min=3.0, max=30.0)
    lane_change_start_m: float = spec("lateral move towards the target that starts a lane change",
                                      unit="m", min=0.1, max=1.5)
    lane_change_complete_m: float = spec("distance to the target lane centre that completes it",
                                         unit="m", min=0.1, max=1.5)
    tyre_inset_m: float = spec("the tyres' outer edge inside the body's side (departures count tyres)",
                               unit="m", min=0.0, max=0.3)
    ttc_margin_m: float = spec("lateral margin of the corridor for time-to-collision", unit="m",
                               min=0.0, max=1.0)
    gap_front_m: float = spec("free space needed ahead in the target lane for a lane change", unit="m",
                              min=5.0, max=100.0)
    gap_rear_s: float = spec("free time needed behind in the target lane (at the closing speed)", unit="s",
                             min=0.5, max=5.0)
    gap_rear_min_m: float = spec("free space needed behind in the target lane", unit="m", min=3.0, max=50.0)
    map_origin_lat_deg: float = spec("latitude of the map projection origin", unit="deg", min=-80.0, max=84.0)
    map_origin_lon_deg: float = spec("longitude of the map projection origin", unit="deg", min=-180.0, max=180.0)

    @classmethod
    def from_config(cls, overrides: dict | None = None) -> WorldParams:
        return params.load(cls, "sim.yaml", "sim", overrides)


@dataclass
class Observation:
    """One instant as the car sees it. `gt`, `true_rear` and `scene` are computed on
    first access; `gt` and `scene` may also be given (dataclasses.replace(obs, gt=...))."""

    stamp_s: float
    image_rgb: np.ndarray | None
    ego: EgoState
    driver: DriverControls
    rear: RearSensing
    world: World
    gt: dataclasses.InitVar[Perception | None] = None
    scene: dataclasses.InitVar[Scene | None] = None

    def __post_init__(self, gt: Perception | None, scene: Scene | None) -> None:
        self._gt, self._scene = gt, scene

    def _get_gt(self) -> Perception:
        if self._gt is None:
            self._gt = perceive(self.world)
        return self._gt

    def _get_scene(self) -> Scene:
        if self._scene is None:
            self._scene = self.world.scene()
        return self._scene

    @property
    def true_rear(self) -> RearSensing:
        """Privileged, for the expert: exact rear and side objects (World.true_rear)."""
        return self.world.true_rear()


# Set after the dataclass is built, so that `gt` and `scene` stay init arguments
# (for dataclasses.replace) while reading them computes them lazily.
Observation.gt = property(Observation._get_gt, doc="Ground-truth Perception (privileged).")
Observation.scene = property(Observation._get_scene, doc="Scene for the renderer.")


@dataclass
class LaneChangeState:
    """A lane change the world sees, from request (lever or indicator) to its outcome."""

    t_request_s: float
    direction: int
    trigger: str
    source_lane_id: int
    target_lane_id: int | None = None
    started: bool = False
    t_start_s: float | None = None
    crossed: bool = False

    @property
    def intent(self) -> IntentKind:
        return IntentKind.CHANGE_LEFT if self.direction > 0 else IntentKind.CHANGE_RIGHT

    def progress(self, world: World) -> float:
        pos = world.lane_pos
        if pos is None or self.target_lane_id is None:
            return 0.0
        lane = world.net.lanes[pos.lane_id]
        width = float(lane.width_at(pos.s_m))
        mid = 0.5 * sum(lane.offsets_at(pos.s_m))
        if pos.lane_id == self.target_lane_id:
            return float(np.clip(1.0 - abs(pos.d_m - mid) / width, 0.5, 1.0))
        return float(np.clip(self.direction * (pos.d_m - mid) / width, 0.0, 0.5))


class World:
    """Closed-loop simulator for one scenario and seed."""

    def __init__(self, scenario, seed: int, render: bool = True, map_path: str | None = None):
        self.scenario = scenario
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.p = WorldParams.from_config()
        self.vp = VehicleParams.from_config()
        self.gt_params = GroundTruthParams.from_config()
        self.desired_speed_factor = self.p.desired_speed_factor
        origin = (self.p.map_origin_lat_deg, self.p.map_origin_lon_deg)
        self.net = RoadNetwork.load(map_path or scenario.map_path(), origin)
        self.fork = ForkPreference(scenario.fork_preference)
        self._pref = FORK_TO_PREFERENCE[self.fork]
        x, y, yaw, v = scenario.ego_start(self.net)
        self.vehicle = Vehicle(self.vp, VehicleState(x, y, yaw, v))
        self.time_s = 0.0
        self.lane_pos: LanePosition | None = self.net.locate(*self._base_pose())
        if self.lane_pos is None:
            raise ValueError(f"scenario {scenario.name}: the ego starts off the road at ({x:.1f}, {y:.1f})")
        self.traffic = Traffic(self.net, _traffic_params())
        scenario.populate(self.traffic, self.net, self.rng)
        self.driver = DriverModel(DriverParams.from_config(), scenario.driver_script)
        self.radar = RearRadar(RadarParams.from_config(), self.vp.rear_overhang_m, self.vp.length_m,
                               self.vp.width_m, np.random.default_rng(self.seed + 1))
        self.render = render
        self._renderer = self._appearance = None
        if render:
            self._renderer, self._appearance = _make_renderer(np.random.default_rng(self.seed + 2),
                                                              scenario.appearance)
        self.log = WorldLog()
        self.lane_change: LaneChangeState | None = None
        self.nudging: dict[int, bool] = {}
        self.pull_out_from: dict[int, tuple[float, float]] = {}  # ground truth: where a pull-out began
        self.ttc_s = math.inf
        self._ahead: list[tuple[float, float, float]] = []  # (gap m, closing m/s, lead speed m/s)
        self._signal = TurnSignal.OFF
        self._prev_lever = Lever.NONE
        # Indicator side still lit from a finished lane change (R79 lets it stay on for
        # 0.5 s after lane keeping resumes): it must not open a new record.
        self._spent_signal = 0
        self._distance_m = 0.0
        self._off_edge = False
        self._in_collision: set[int] = set()
        self._takeovers_logged = 0
        self._system_steer = 0.0
        self._controls = DriverControls()
        self._rear = RearSensing(available=False)
        self._plan_cache: dict = {}
        self.agents_on_line_cache: dict = {}  # ground_truth's per-step projections
        self._road_polys = self.net.road_polygons()
        self.done = False
        self.system_engaged = False
        self._update_metrics()
        self._sense()

    # --- public API -----------------------------------------------------------------------
    def observe(self) -> Observation:
        st = self.vehicle.state
        ego = EgoState(self.time_s, st.speed_mps, st.yaw_rate_radps, st.steer_rad, st.accel_mps2,
                       st.lat_accel_mps2, self._signal)
        obs = Observation(self.time_s, None, ego, self._controls, self._rear, self)
        if self._renderer is not None:
            obs.image_rgb = self._renderer.render(obs.scene, self._appearance, self.rng)
        return obs

    def step(self, command: Command, takeover: TakeoverDemand | None = None, dt_s: float | None = None) -> None:
        """Advance by dt_s (default the configured step) under `command` and `takeover`."""
        if self.done:
            raise RuntimeError("the scenario is over (world.done); start a new World")
        dt = self.p.step_s if dt_s is None else float(dt_s)
        if not (0.0 < dt <= 1.0):
            raise ValueError(f"dt_s must be in (0, 1] s, got {dt_s}")
        takeover = takeover or TakeoverDemand()
        t = self.time_s
        self.driver.update(t, self, takeover, command.engaged)
        system = command.engaged and not self.driver.in_control
        self.system_engaged = system
        if system:
            steer, accel, signal = command.steering_angle_rad, command.accel_mps2, TurnSignal(command.turn_signal)
            if self.driver.override_shift(t) is not None:
                steer = self.driver.command(self, t)[0]
        else:
            steer, accel, signal = self.driver.command(self, t)
        self._system_steer = command.steering_angle_rad
        self._log_takeovers(system)
        st = self.vehicle.state
        x0, y0 = st.x_m, st.y_m
        self.vehicle.step(steer, accel, dt)
        self._distance_m += math.hypot(st.x_m - x0, st.y_m - y0)
        bx, by, byaw = self._base_pose()
        for agent_id, kind, phase in self.traffic.step(dt, t, np.array([bx, by]) + self._centre_shift(),
                                                       byaw, st.speed_mps, (self.vp.length_m, self.vp.width_m)):
            self.log.events.append(LogEvent(t + dt, "scripted", f"{kind}:{phase}:{agent_id}", False, system))
        self.time_s = round(t + dt, 9)  # no drift from summing 0.05 s a thousand times
        self._plan_cache.clear()  # plans hold for one state; this is a new one
        attentive = self.driver.attentive(self.time_s)
        if attentive != self.driver.attentive(t):
            phase = "done" if attentive else "triggered"
            self.log.events.append(LogEvent(self.time_s, "scripted", f"inattentive:{phase}:0", False, system))
        self._signal = signal
        prev = self.lane_pos
        self.lane_pos = self.net.locate(bx, by, byaw, prev.lane_id if prev else None, self._pref)
        self._track_lane_change(prev, system)
        self._update_metrics()
        self._check_departures(prev, system)
        self._check_collisions(system)
        self._sense()
        self._record(system)
        self._check_done()

    # --- privileged helpers (expert, driver model, ground truth) ------------------------------
    def plan(self, intent: IntentKind | None = None, nudge: bool = True) -> PathPlan:
        """Ground-truth driving line and speed plan for this instant (cached per step)."""
        key = (intent, nudge)
        if key not in self._plan_cache:
            self._plan_cache[key] = plan_path(self, intent, self.fork, self.gt_params, nudge)
        return self._plan_cache[key]

    def perceive(self, intent: IntentKind | None = None, nudge: bool = True) -> Perception:
        """Ground-truth Perception (see ground_truth.perceive)."""
        return perceive(self, intent, self.fork, nudge=nudge)

    def true_rear(self) -> RearSensing:
        """Privileged rear sensing: every object behind and beside, exact and without delay."""
        st = self.vehicle.state
        objects, left, right = [], False, False
        rear_x = -self.vp.rear_overhang_m
        front_x = self.vp.length_m - self.vp.rear_overhang_m
        for a in self.traffic.agents:
            rel = to_frame(np.array([a.x_m, a.y_m]), st.x_m, st.y_m, st.yaw_rad)
            x, y = float(rel[0]), float(rel[1])
            if x - 0.5 * a.length_m > front_x or x < -self.radar.p.rear_range_m:
                continue
            dyaw = a.yaw_rad - st.yaw_rad
            lane = int(round(y / self.radar.p.lane_width_m))
            lane = lane if abs(lane) <= 1 else -128
            objects.append(RearObject(a.id, x, y, a.speed_mps * math.cos(dyaw), a.speed_mps * math.sin(dyaw),
                                      a.length_m, a.width_m, lane))
            beside = rear_x - self.radar.p.blind_spot_rear_m <= x + 0.5 * a.length_m
            left |= lane == 1 and beside
            right |= lane == -1 and beside
        return RearSensing(self.time_s, objects, left, right, True, self.radar.p.rear_range_m)

    def allowed_speed_mps(self) -> float:
        return self.net.lanes[self.lane_pos.lane_id].speed_limit_mps if self.lane_pos else 0.0

    def calm(self) -> bool:
        """Nothing is happening that a driver would not hand back control in."""
        return self.lane_pos is not None and self.ttc_s > 4.0 and self.lane_change is None \
            and self.edge_margin_m(1.0) > 0.3

    def edge_margin_m(self, lookahead_s: float) -> float:
        """Predicted clearance of the body to the road's edge after lookahead_s (negative:
        over it), extrapolating the heading error and the yaw rate relative to the lane."""
        pos = self.lane_pos
        if pos is None:
            return -1.0
        st, vp = self.vehicle.state, self.vp
        lane = self.net.lanes[pos.lane_id]
        herr = pos.heading_error_rad
        line = self._ego_line()  # the chain, not the lanelet: a bend may begin just past its end
        s_e = float(line.project(np.array([[st.x_m, st.y_m]]))[0][0])
        curvature = float(line.curvature_at(s_e))
        rel_yaw_rate = st.yaw_rate_radps - st.speed_mps * curvature
        herr_end = herr + rel_yaw_rate * lookahead_s
        d_pred = pos.d_m + st.speed_mps * lookahead_s * 0.5 * (math.sin(herr) + math.sin(herr_end))
        # Heading left swings the front corners left and the rear ones a little right (and the
        # other way round); the same front reach on both sides had a car turning left out of a
        # stop, 0.36 m off the right edge, read as leaving the road on the right.
        swing = math.sin(herr_end)
        front, rear = vp.length_m - vp.rear_overhang_m, vp.rear_overhang_m
        left_reach = 0.5 * vp.width_m + max(front * swing, -rear * swing)
        right_reach = 0.5 * vp.width_m + max(-front * swing, rear * swing)
        left, right = lane.offsets_at(pos.s_m)
        left_limit = float(left) + self._extra_room(lane.left_id if lane.left_id is not None else lane.opposite_id)
        right_limit = float(right) - self._extra_room(lane.right_id)
        return min(left_limit - (d_pred + left_reach), (d_pred - right_reach) - right_limit)

    def _extra_room(self, lane_id: int | None) -> float:
        return float(self.net.lanes[lane_id].width_at(0.0)) if lane_id is not None else 0.0

    def gap_free(self, direction: int) -> bool:
        """Privileged: the adjacent lane has room for a lane change now."""
        pos = self.lane_pos
        if pos is None:
            return False
        lane = self.net.lanes[pos.lane_id]
        target = lane.left_id if direction > 0 else lane.right_id
        if target is None:
            return False
        line = self.net.chain_polyline(_around(self.net, target))
        st = self.vehicle.state
        s_e = float(line.project(np.array([[st.x_m, st.y_m]]))[0][0])
        agents = self.traffic.agents
        if not agents:
            return True
        s_a, d_a = line.project(np.array([[a.x_m, a.y_m] for a in agents]), s_e - 150.0, s_e + 150.0)
        for a, sa, da in zip(agents, s_a, d_a):
            if abs(float(da)) > 0.5 * (a.width_m + self.vp.width_m) + 0.5:
                continue
            ds = float(sa) - s_e
            closing = a.speed_mps - st.speed_mps
            if -max(self.p.gap_rear_min_m, closing * self.p.gap_rear_s) - a.length_m < ds < self.p.gap_front_m:
                return False
        return True

    def required_decel_mps2(self) -> float:
        """Braking needed to match the speed of the closest closing object ahead before reaching it."""
        need = 0.0
        for gap, closing, _ in self._ahead:
            if closing > 0.0:
                need = max(need, math.inf if gap <= 0.5 else closing * closing / (2.0 * (gap - 0.5)))
        return need

    def lead(self) -> tuple[float, float]:
        """Bumper gap (m) and speed (m/s) of the nearest object ahead in the corridor."""
        if not self._ahead:
            return math.inf, 0.0
        gap, _, v = min(self._ahead)
        return gap, v

    def overtake_direction(self, deficit_mps: float, gap_m: float, check_gap: bool = True) -> int:
        """+1 when a slow lead ahead should be passed on the left and the left lane allows it."""
        gap, v_lead = self.lead()
        pos = self.lane_pos
        if pos is None or gap > gap_m or v_lead > self.allowed_speed_mps() * self.desired_speed_factor - deficit_mps:
            return 0
        lane = self.net.lanes[pos.lane_id]
        if lane.left_id is not None and lane.left_change_ok and (not check_gap or self.gap_free(1)):
            return 1
        return 0

    def manual_lane_change_intent(self, deficit_mps: float, gap_m: float) -> IntentKind:
        """What a human at the wheel would do: carry on a lane change, leave an ending
        lane, pass a blocking or slow lead, else keep the lane."""
        if self.lane_change is not None and self.lane_change.started:
            return self.lane_change.intent
        pos = self.lane_pos
        if pos is None:
            return IntentKind.KEEP_LANE
        lane = self.net.lanes[pos.lane_id]
        plan = self.plan(IntentKind.KEEP_LANE)
        chain_end = plan.line.length - plan.s0_m
        lane_ends = self.net.lane_ends(plan.own_chain[-1])
        blocked = plan.lead_gap_m < 80.0 and plan.lead_speed_mps < 1.0
        slow = self.overtake_direction(deficit_mps, gap_m, check_gap=False) > 0
        for direction, nb, ok in ((1, lane.left_id, lane.left_change_ok), (-1, lane.right_id, lane.right_change_ok)):
            if nb is None:
                continue
            wanted = (lane_ends and chain_end < 300.0 and self._lane_goes_on(nb)) \
                or (ok and direction > 0 and (blocked or slow)) \
                or (ok and direction < 0 and blocked and lane.left_id is None)
            if wanted and self.gap_free(direction):
                return IntentKind.CHANGE_LEFT if direction > 0 else IntentKind.CHANGE_RIGHT
        return IntentKind.KEEP_LANE

    def _lane_goes_on(self, lane_id: int) -> bool:
        chain = self.net.lane_chain(lane_id, 400.0)
        return sum(self.net.lanes[i].length for i in chain) > 350.0 or bool(self.net.lanes[chain[-1]].successors)

    def scene(self) -> Scene:
        bx, by, byaw = self._base_pose()
        boxes = [VehicleBox(a.x_m, a.y_m, a.yaw_rad, a.length_m, a.width_m,
                            0.8 if a.kind == "obstacle" else 1.5, a.color_rgb) for a in self.traffic.agents]
        return Scene(Pose2D(bx, by, byaw), self.net.boundaries, boxes, self._road_polys)

    # --- internals ------------------------------------------------------------------------
    def _base_pose(self) -> tuple[float, float, float]:
        st = self.vehicle.state
        return st.x_m, st.y_m, st.yaw_rad

    def _centre_shift(self) -> np.ndarray:
        """Rear axle to body centre, in the map frame."""
        st, vp = self.vehicle.state, self.vp
        k = 0.5 * vp.length_m - vp.rear_overhang_m
        return np.array([k * math.cos(st.yaw_rad), k * math.sin(st.yaw_rad)])

    def drive_pos(self) -> LanePosition | None:
        """The ego's place on a lane driven its way: lane_pos, or while overtaking in the
        oncoming lane (or off the road) the nearest lane of our direction."""
        pos = self.lane_pos
        if pos is not None and abs(pos.heading_error_rad) <= math.pi / 2:
            return pos
        return self.net.nearest(*self._base_pose())

    def in_oncoming_lane(self) -> bool:
        return self.lane_pos is not None and _facing(self.lane_pos) < 0

    def _ego_line(self) -> Polyline | None:
        if self.lane_pos is None:
            return None
        return self.net.chain_polyline(_around(self.net, self.drive_pos().lane_id, self._pref))

    def _update_metrics(self) -> None:
        """Time-to-collision and the objects ahead in the ego's corridor."""
        self.ttc_s = math.inf
        self._ahead = []
        line = self._ego_line()
        if line is None or not self.traffic.agents:
            return
        st, vp = self.vehicle.state, self.vp
        xy = np.array([[a.x_m, a.y_m] for a in self.traffic.agents])
        s_e, d_e = line.project(np.array([[st.x_m, st.y_m]]))
        s_e, d_e = float(s_e[0]), float(d_e[0])
        s_a, d_a = line.project(xy, s_e - 20.0, s_e + 200.0)
        front = vp.length_m - vp.rear_overhang_m
        heading_e = float(line.heading_at(s_e))
        v_e = st.speed_mps * math.cos(st.yaw_rad - heading_e)
        for a, sa, da in zip(self.traffic.agents, s_a, d_a):
            if abs(da - d_e) > 0.5 * (a.width_m + vp.width_m) + self.p.ttc_margin_m:
                continue
            gap = float(sa) - 0.5 * a.length_m - (s_e + front)
            if gap < -a.length_m - vp.length_m or gap > 200.0:
                continue
            v_a = a.speed_mps * math.cos(a.yaw_rad - float(line.heading_at(sa)))
            closing = v_e - v_a
            self._ahead.append((gap, closing, v_a))
            if gap <= 0.0:
                self.ttc_s = 0.0
            elif closing > 0.1:
                self.ttc_s = min(self.ttc_s, gap / closing)

    def _track_lane_change(self, prev: LanePosition | None, system: bool) -> None:
        t, pos = self.time_s, self.lane_pos
        lever = self.driver.lever
        lc = self.lane_change
        if lever != Lever.NONE and self._prev_lever == Lever.NONE and lc is None and pos is not None:
            self.lane_change = lc = LaneChangeState(t, 1 if lever == Lever.LEFT else -1, "driver", pos.lane_id)
        self._prev_lever = lever
        sig = {TurnSignal.LEFT: 1, TurnSignal.RIGHT: -1}.get(self._signal, 0)
        if sig != self._spent_signal:
            self._spent_signal = 0
        if lc is None and sig and sig != self._spent_signal and pos is not None:
            if self._neighbour(self.net.lanes[pos.lane_id], sig * _facing(pos)) is not None:
                self.lane_change = lc = LaneChangeState(t, sig, "system" if system else "manual", pos.lane_id)
        if lc is None:
            return
        if pos is None:
            self._finish("aborted", "left the road")
            return
        lane = self.net.lanes[pos.lane_id]
        mid = 0.5 * sum(lane.offsets_at(pos.s_m))
        # Our left is the lanelet's right while we drive against it (overtaking).
        side = lc.direction * _facing(pos)
        if not lc.started:
            if sig == lc.direction and side * (pos.d_m - mid) > self.p.lane_change_start_m:
                target = self._neighbour(lane, side)
                if target is not None:
                    lc.started, lc.t_start_s, lc.target_lane_id, lc.source_lane_id = True, t, target, pos.lane_id
            elif lc.trigger != "driver" and sig != lc.direction:
                self._finish("cancelled", "indicator off before the manoeuvre")
            elif t - lc.t_request_s > self.p.lane_change_refuse_s:
                self._finish("refused", f"not started within {self.p.lane_change_refuse_s:g} s")
            return
        if not lc.crossed and pos.lane_id != lc.source_lane_id and prev is not None \
                and pos.lane_id not in self.net.lanes[prev.lane_id].successors:
            lc.crossed = True
            lc.target_lane_id = pos.lane_id
        if lc.crossed and (abs(pos.d_m - mid) < self.p.lane_change_complete_m or sig != lc.direction):
            self._finish("completed", "")
        elif not lc.crossed and sig != lc.direction:
            self._finish("aborted", "indicator off before crossing")
        elif t - lc.t_start_s > self.p.lane_change_timeout_s:
            self._finish("aborted", f"not completed within {self.p.lane_change_timeout_s:g} s")
        else:
            # The source and target lanes move on to their successors as we drive.
            if not lc.crossed and pos.lane_id != lc.source_lane_id:
                lc.source_lane_id = pos.lane_id
                target = self._neighbour(lane, side)
                lc.target_lane_id = target if target is not None else lc.target_lane_id

    @staticmethod
    def _neighbour(lane, direction: int) -> int | None:
        """The lane a change to `direction` goes into; left of a two-way road's lane is the
        oncoming lane (overtaking)."""
        if direction > 0:
            return lane.left_id if lane.left_id is not None else lane.opposite_id
        return lane.right_id if lane.right_id is not None else lane.opposite_id

    def _finish(self, outcome: str, reason: str) -> None:
        lc = self.lane_change
        self.log.lane_changes.append(LaneChangeRecord(lc.t_request_s, lc.direction, lc.trigger, outcome,
                                                      lc.t_start_s, self.time_s, reason))
        self._spent_signal = {TurnSignal.LEFT: 1, TurnSignal.RIGHT: -1}.get(self._signal, 0)
        self.lane_change = None

    def _check_departures(self, prev: LanePosition | None, system: bool) -> None:
        pos, t = self.lane_pos, self.time_s
        if pos is None:
            if prev is not None:
                self.log.events.append(LogEvent(t, "lane_departure", "off the road", True, system))
            return
        # A departure is the tyre over the edge: the tyres sit inside the body's width.
        margin = self.edge_margin_m(0.0) + self.p.tyre_inset_m
        if margin < 0.0 and not self._off_edge:
            self.log.events.append(LogEvent(t, "lane_departure", f"over the road edge by {-margin:.2f} m",
                                            True, system))
        self._off_edge = margin < 0.0
        if prev is None or prev.lane_id == pos.lane_id:
            return
        old = self.net.lanes[prev.lane_id]
        if pos.lane_id in old.successors or prev.lane_id in self.net.lanes[pos.lane_id].predecessors:
            return
        if pos.lane_id in (old.left_id, old.opposite_id):
            side, bound, ok = 1, old.left, old.left_change_ok
        elif pos.lane_id == old.right_id:
            side, bound, ok = -1, old.right, old.right_change_ok
        else:
            return  # overlapping lanelets (a split): no line between them
        side *= _facing(prev)
        lc = self.lane_change
        signalled = lc is not None and lc.started and lc.direction == side
        if bound.kind == BoundaryKind.SOLID_DASHED and not ok or bound.kind in NO_CROSSING:
            self.log.events.append(LogEvent(t, "lane_departure", f"crossed a {bound.kind.value} line", True, system))
        elif not signalled:
            self.log.events.append(LogEvent(t, "lane_departure", f"crossed a {bound.kind.value} line without a "
                                            "lane change", True, system))

    def _check_collisions(self, system: bool) -> None:
        st, vp = self.vehicle.state, self.vp
        c = np.array([st.x_m, st.y_m]) + self._centre_shift()
        touching = set()
        for a in self.traffic.agents:
            if abs(a.x_m - c[0]) > 15.0 or abs(a.y_m - c[1]) > 15.0:
                continue
            if not _boxes_overlap(c, st.yaw_rad, vp.length_m, vp.width_m,
                                  np.array([a.x_m, a.y_m]), a.yaw_rad, a.length_m, a.width_m):
                continue
            touching.add(a.id)
            if a.id in self._in_collision:
                continue
            rel = to_frame(np.array([a.x_m, a.y_m]), c[0], c[1], st.yaw_rad)
            # The ego is to blame unless the other hit it from behind.
            at_fault = a.static or rel[0] > -0.25 * vp.length_m
            self.log.events.append(LogEvent(self.time_s, "collision", f"{a.kind} {a.id}", bool(at_fault), system))
        self._in_collision = touching

    def _log_takeovers(self, system: bool) -> None:
        for rec in self.driver.takeovers[self._takeovers_logged:]:
            kind = "takeover_system" if rec.kind == "system_requested" else "takeover_driver"
            self.log.events.append(LogEvent(rec.t_s, kind, rec.reason, True, True))
        self._takeovers_logged = len(self.driver.takeovers)

    def _sense(self) -> None:
        st = self.vehicle.state
        objects = []
        for a in self.traffic.agents:
            rel = to_frame(np.array([a.x_m, a.y_m]), st.x_m, st.y_m, st.yaw_rad)
            dyaw = a.yaw_rad - st.yaw_rad
            objects.append(TrueObject(a.id, float(rel[0]), float(rel[1]), a.speed_mps * math.cos(dyaw),
                                      a.speed_mps * math.sin(dyaw), a.length_m, a.width_m))
        self._rear = self.radar.measure(self.time_s, objects, st.speed_mps)
        self._controls = self.driver.controls(self.time_s, self, self._system_steer)

    def _record(self, system: bool) -> None:
        st, pos = self.vehicle.state, self.lane_pos
        err, lane_id, marked, limit = math.nan, -1, False, 0.0
        if pos is not None:
            lane = self.net.lanes[pos.lane_id]
            left, right = lane.offsets_at(pos.s_m)
            drive = float(lane.driving_offset_at(pos.s_m, self.vp.width_m))
            err, lane_id, limit = pos.d_m - drive, pos.lane_id, lane.speed_limit_mps
            marked = all(b.kind in PAINTED and b.wear < 0.7 for b in (lane.left, lane.right))
        lc = self.lane_change
        self.log.append(t_s=self.time_s, x_m=st.x_m, y_m=st.y_m, yaw_rad=st.yaw_rad, speed_mps=st.speed_mps,
                        accel_lon_mps2=st.accel_mps2, accel_lat_mps2=st.lat_accel_mps2,
                        yaw_rate_radps=st.yaw_rate_radps, steer_rad=st.steer_rad, distance_m=self._distance_m,
                        lateral_error_m=err, lane_id=lane_id, lane_changing=bool(lc and lc.started),
                        engaged=system, driver_in_control=self.driver.in_control, speed_limit_mps=limit,
                        ttc_s=self.ttc_s, marked=marked, on_road=pos is not None,
                        turn_signal=int(self._signal))

    def _check_done(self) -> None:
        if self.time_s >= self.scenario.duration_s - 1e-9:
            self.done = True
            return
        pos = self.lane_pos
        if pos is None:
            return
        chain = self.net.lane_chain(pos.lane_id, 30.0, pos.s_m, self._pref)
        remaining = sum(self.net.lanes[i].length for i in chain) - pos.s_m
        last = chain[-1]
        if remaining < 15.0 and not self.net.lanes[last].successors and not self.net.lane_ends(last):
            self.done = True  # reached the end of the map


def _facing(pos: LanePosition) -> int:
    """+1 driving along the lanelet, -1 against it (in the oncoming lane)."""
    return 1 if abs(pos.heading_error_rad) <= math.pi / 2 else -1


def _around(net: RoadNetwork, lane_id: int, preference: int = 0) -> list[int]:
    chain = net.lane_chain(lane_id, 250.0, 0.0, preference)
    preds = net.lanes[lane_id].predecessors
    return [min(preds)] + chain if preds and min(preds) not in chain else chain


def _boxes_overlap(c1, yaw1, l1, w1, c2, yaw2, l2, w2) -> bool:
    """Separating-axis test for two oriented rectangles."""
    def corners(c, yaw, length, width):
        u = np.array([math.cos(yaw), math.sin(yaw)])
        v = np.array([-u[1], u[0]])
        return np.array([c + sx * 0.5 * length * u + sy * 0.5 * width * v
                         for sx, sy in ((1, 1), (1, -1), (-1, -1), (-1, 1))])
    a, b = corners(c1, yaw1, l1, w1), corners(c2, yaw2, l2, w2)
    for yaw in (yaw1, yaw2):
        for axis in (np.array([math.cos(yaw), math.sin(yaw)]), np.array([-math.sin(yaw), math.cos(yaw)])):
            pa, pb = a @ axis, b @ axis
            if pa.max() < pb.min() or pb.max() < pa.min():
                return False
    return True


def _traffic_params() -> TrafficParams:
    return params.load(TrafficParams, "sim.yaml", "sim_traffic")


def _make_renderer(rng: np.random.Generator, appearance_overrides: dict):
    """The camera renderer and one randomized appearance (with the scenario's overrides)."""
    from lcc_plus.sim.appearance import Appearance
    from lcc_plus.sim.camera import CameraModel
    from lcc_plus.sim.render import Renderer

    appearance = dataclasses.replace(Appearance.randomized(rng), **appearance_overrides)
    return Renderer(CameraModel.from_config()), appearance
