"""`lcc`: a classic lane-centering + ACC product, the baseline the product claim is measured against.

It centres the car between the ego lane lines, follows the ego-lane lead with ACC,
changes lanes only when the driver pulls the lever (dashed line, adjacent lane seen,
blind spot and rear clear, above the R79 60 km/h floor), and asks for a takeover
wherever it cannot go on: no lane lines, the lane ends, the lane splits, a stopped
vehicle or obstacle in the lane, or a curve ahead that needs more lateral
acceleration than its limit at the current speed (it does not slow down for curves).
It shares the planning package's lane geometry, ACC speed profile and trajectory
builder with the mode manager, so the comparison is about decisions, not plumbing.
Same `step` signature as planning.ModeManager.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lcc_plus.common import params
from lcc_plus.common.params import spec
from lcc_plus.common.types import (
    DriverControls,
    EgoState,
    Intent,
    IntentKind,
    LaneChangePhase,
    LaneChangeTrigger,
    Lever,
    LineType,
    Mode,
    ModeStatus,
    Perception,
    RearSensing,
    TakeoverDemand,
    TakeoverLevel,
    Trajectory,
    TurnSignal,
)
from lcc_plus.planning import trajectory as traj_builder
from lcc_plus.planning.lanes import LaneView
from lcc_plus.planning.params import ModeManagerParams
from lcc_plus.planning.speed_policy import LeadTrack, plan_speed, stop_plan

ENGAGED = (Mode.LANE_KEEP, Mode.LANE_CHANGE, Mode.TAKEOVER_REQUESTED)


@dataclass(frozen=True)
class LccParams:
    lat_accel_max_mps2: float = spec("lateral acceleration the product can command; a curve needing more "
                                     "at the current speed asks for a takeover", unit="m/s^2", min=0.5, max=5.0)
    curve_preview_s: float = spec("how far ahead (in time at the current speed) curves are checked", unit="s",
                                  min=0.5, max=10.0)
    preview_min_m: float = spec("shortest distance over which lane end, split and curves are checked", unit="m",
                                min=5.0, max=200.0)
    lane_lost_takeover_s: float = spec("no ego lane lines for this long -> takeover request", unit="s",
                                       min=0.0, max=10.0)
    stopped_speed_mps: float = spec("a lead slower than this counts as stopped", unit="m/s", min=0.0, max=5.0)
    stopped_range_m: float = spec("stopped vehicles are recognised this far ahead", unit="m", min=10.0,
                                  max=200.0)
    lead_lateral_max_m: float = spec("a lead this close to the path centre is in the lane", unit="m",
                                     min=0.5, max=3.0)
    lead_probability_min: float = spec("lead estimates used from this probability", min=0.0, max=1.0)
    lane_change_prepare_s: float = spec("indicator before lateral motion (R79 >= 1 s)", unit="s",
                                        min=1.0, max=5.0)
    lane_change_duration_s: float = spec("lateral motion of a lane change (R79 < 5 s)", unit="s",
                                         min=2.0, max=5.0)
    lane_change_speed_min_mps: float = spec("slowest speed for a lane change (R79 category C)", unit="m/s",
                                            min=0.0, max=40.0)
    rear_clear_m: float = spec("no object within this distance behind in the target lane", unit="m",
                               min=0.0, max=100.0)
    rear_ttc_min_s: float = spec("an object behind in the target lane closing faster than this TTC blocks",
                                 unit="s", min=0.0, max=20.0)
    complete_hold_s: float = spec("COMPLETE phase before lane keeping resumes", unit="s", min=0.0, max=1.0)


def load_lcc_params(overrides: dict | None = None) -> LccParams:
    """LccParams from config/evaluation.yaml, section `lcc_baseline`."""
    return params.load(LccParams, "evaluation.yaml", "lcc_baseline", overrides)


def _smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


class LccPlanner:
    """Lane centering + ACC with driver-requested lane changes and takeover requests."""

    def __init__(self, p: LccParams, mm: ModeManagerParams | None = None):
        self.p = p
        self.mm = mm or ModeManagerParams.from_config()  # lane geometry, ACC and trajectory settings
        self.mode = Mode.OFF
        self.previous_mode = Mode.OFF
        self.reason = "start-up"
        self.last_transition_s = 0.0
        self.last_refusal, self.last_refusal_s = "", 0.0
        self._width_m = self.mm.lane_width_default_m
        self._lever = Lever.NONE
        self._no_lane_since: float | None = None
        self._quiet_since: float | None = None
        self._set_speed_mps = 0.0
        # Lane change: direction, start of PREPARE, start of EXECUTE, crossed into the target lane.
        self._lc_dir = 0
        self._lc_t0 = 0.0
        self._lc_exec_t: float | None = None
        self._lc_done_t: float | None = None
        self._lc_crossed = False
        self._prev_centre_m: float | None = None

    # ------------------------------------------------------------------ step
    def step(self, now_s: float, ego: EgoState, driver: DriverControls, perception: Perception,
             rear: RearSensing, takeover: TakeoverDemand) -> tuple[Trajectory, ModeStatus, Intent]:
        speed = ego.speed_mps if math.isfinite(ego.speed_mps) else 0.0
        speed = max(speed, 0.0)
        view = LaneView(perception, self.mm, self._width_m)
        if view.width_measured:
            self._width_m += 0.1 * (view.width_m - self._width_m)
        centre = view.centre(0)
        self._no_lane_since = None if centre is not None else (self._no_lane_since
                                                                if self._no_lane_since is not None else now_s)
        self._modes(now_s, speed, ego, driver, takeover, centre is not None)
        lever = Lever(driver.lever) if driver.lever in (0, 1, 2) else Lever.NONE
        edge = lever if lever != self._lever and lever != Lever.NONE else Lever.NONE
        self._lever = lever
        if self.mode in ENGAGED:
            own = self._cannot_go_on(now_s, speed, view, perception)
            if own and self.mode != Mode.TAKEOVER_REQUESTED:
                self._lc_dir = 0
                self._transition(now_s, Mode.TAKEOVER_REQUESTED, f"takeover: {own}")
            elif not own and self.mode == Mode.TAKEOVER_REQUESTED and takeover.level == TakeoverLevel.NONE:
                self._transition(now_s, Mode.LANE_KEEP, "can go on again")
            if self.mode == Mode.LANE_KEEP and edge != Lever.NONE:
                self._request(now_s, 1 if edge == Lever.LEFT else -1, speed, view, rear)
            if self.mode == Mode.LANE_CHANGE:
                self._lane_change(now_s, view)
        self._track_crossing(view)
        traj = self._plan(now_s, speed, ego, view, perception)
        return traj, self._status(now_s), self._intent(now_s)

    # ------------------------------------------------------------------ modes
    def _transition(self, now: float, mode: Mode, reason: str) -> None:
        if mode != self.mode:
            self.previous_mode = self.mode
        self.mode, self.reason, self.last_transition_s = mode, reason, now

    def _modes(self, now: float, speed: float, ego: EgoState, driver: DriverControls, takeover: TakeoverDemand,
               lanes: bool) -> None:
        m = self.mm
        braking = driver.brake_pedal > m.brake_disengage
        steering = abs(driver.steering_torque_nm) > m.override_torque_nm
        if driver.set_speed_mps > 0.0:
            self._set_speed_mps = driver.set_speed_mps
        if self.mode == Mode.MRM:
            if braking or driver.disengage_request:
                self._transition(now, Mode.STANDBY, "driver took over during the minimal risk manoeuvre")
            return
        if self.mode in ENGAGED + (Mode.OVERRIDE,) and takeover.level == TakeoverLevel.MRM:
            self._lc_dir = 0
            self._transition(now, Mode.MRM, f"minimal risk manoeuvre: {takeover.reason}")
            return
        if self.mode in ENGAGED + (Mode.OVERRIDE,) and (braking or driver.disengage_request):
            self._lc_dir = 0
            self._transition(now, Mode.STANDBY, "driver braked" if braking else "driver disengaged")
            return
        if self.mode in ENGAGED and steering:
            self._lc_dir = 0
            self._transition(now, Mode.OVERRIDE, "driver steering override")
            return
        if self.mode == Mode.OVERRIDE:
            self._quiet_since = None if steering else (self._quiet_since if self._quiet_since is not None else now)
            if self._quiet_since is not None and now - self._quiet_since >= m.override_release_s:
                self._transition(now, Mode.LANE_KEEP, "driver released the steering wheel")
            return
        if self.mode == Mode.OFF and lanes:
            self._transition(now, Mode.STANDBY, "lane lines seen")
        elif self.mode == Mode.STANDBY and not lanes:
            self._transition(now, Mode.OFF, "no lane lines")
        elif self.mode == Mode.STANDBY and driver.engage_request:
            self._transition(now, Mode.LANE_KEEP, "driver engaged")
        elif self.mode in ENGAGED and takeover.level in (TakeoverLevel.VISUAL, TakeoverLevel.AUDIBLE) \
                and self.mode != Mode.TAKEOVER_REQUESTED:
            self._lc_dir = 0
            self._transition(now, Mode.TAKEOVER_REQUESTED, f"takeover demanded: {takeover.reason}")

    def _cannot_go_on(self, now: float, speed: float, view: LaneView, perception: Perception) -> str:
        """Why the product cannot carry on here, or ''."""
        p = self.p
        if self._no_lane_since is not None and now - self._no_lane_since >= p.lane_lost_takeover_s:
            return "no lane lines"
        preview = max(p.preview_min_m, speed * p.curve_preview_s)
        end_m, _ = view.lane_end()
        if end_m < preview:
            return f"lane ends in {end_m:.0f} m"
        if self._lc_dir == 0 and view.fork_gore() < preview:
            return "lane splits, no route"
        lead = perception.lead
        if lead.probability >= p.lead_probability_min and abs(lead.lateral_offset_m) < p.lead_lateral_max_m \
                and speed + lead.relative_speed_mps < p.stopped_speed_mps and lead.distance_m < p.stopped_range_m:
            return f"stopped vehicle in the lane {lead.distance_m:.0f} m ahead"
        centre = view.centre(0)
        if centre is not None and speed > 1.0:
            need = speed * speed * traj_builder.max_curvature(centre, preview)
            if need > p.lat_accel_max_mps2:
                return f"curve needs {need:.1f} m/s^2 at {speed:.0f} m/s"
        return ""

    # ------------------------------------------------------------------ lane changes (driver only)
    def _refuse(self, now: float, reason: str) -> None:
        self.last_refusal, self.last_refusal_s = reason, now

    def _request(self, now: float, direction: int, speed: float, view: LaneView, rear: RearSensing) -> None:
        p = self.p
        if speed < p.lane_change_speed_min_mps:
            return self._refuse(now, "speed below minimum")
        if not view.adjacent(direction):
            return self._refuse(now, "no adjacent lane")
        if view.boundary_type(direction) != LineType.DASHED:
            return self._refuse(now, "solid line")
        if not rear.available:
            return self._refuse(now, "no rear sensing")
        if (rear.blind_spot_left if direction > 0 else rear.blind_spot_right) or \
                self._rear_blocked(direction, speed, rear):
            return self._refuse(now, "unsafe gap")
        self._lc_dir, self._lc_t0, self._lc_exec_t, self._lc_done_t = direction, now, None, None
        self._lc_crossed = False
        self._transition(now, Mode.LANE_CHANGE, f"driver lane change {'left' if direction > 0 else 'right'}")

    def _rear_blocked(self, direction: int, speed: float, rear: RearSensing) -> bool:
        """An object behind in the target lane too close, or closing too fast (vx is over ground)."""
        for o in rear.objects:
            if o.lane != direction or o.x_m > 5.0:
                continue
            gap = -o.x_m - o.length_m
            closing = o.vx_mps - speed
            if gap < self.p.rear_clear_m or (closing > 0.1 and gap / closing < self.p.rear_ttc_min_s):
                return True
        return False

    def _lane_change(self, now: float, view: LaneView) -> None:
        p = self.p
        if self._lc_exec_t is None and now - self._lc_t0 >= p.lane_change_prepare_s:
            self._lc_exec_t = now
        if self._lc_exec_t is not None and self._lc_done_t is None and self._lc_crossed \
                and now - self._lc_exec_t >= p.lane_change_duration_s:
            self._lc_done_t = now
        if self._lc_done_t is not None and now - self._lc_done_t >= p.complete_hold_s:
            self._lc_dir = 0
            self._transition(now, Mode.LANE_KEEP, "lane change complete")

    def _track_crossing(self, view: LaneView) -> None:
        """The ego lane re-indexes when the car crosses into the target lane: its centre jumps a lane width."""
        centre = view.centre(0)
        c0 = float(centre(0.0)) if centre is not None else None
        if c0 is not None and self._prev_centre_m is not None and self._lc_dir and not self._lc_crossed \
                and self._lc_dir * (c0 - self._prev_centre_m) > 0.5 * self._width_m:
            self._lc_crossed = True
        self._prev_centre_m = c0

    def _offset(self, now: float):
        """Lateral offset from the current ego lane centre during a lane change, or None."""
        if self.mode != Mode.LANE_CHANGE or self._lc_exec_t is None:
            return None
        d, w, t0, dur = self._lc_dir, self._width_m, self._lc_exec_t, self.p.lane_change_duration_s
        base = -d * w if self._lc_crossed else 0.0

        def offset(t: np.ndarray, s: np.ndarray) -> np.ndarray:
            return base + d * w * _smoothstep((now - t0 + t) / dur)

        return offset

    # ------------------------------------------------------------------ plan and status
    def _plan(self, now: float, speed: float, ego: EgoState, view: LaneView, perception: Perception) -> Trajectory:
        m = self.mm
        centre = view.centre(0)
        if self.mode not in ENGAGED + (Mode.MRM,) or centre is None:
            return Trajectory(stamp_s=now)
        t = np.arange(0.0, m.horizon_s + 1e-9, m.sample_dt_s)
        accel0 = ego.accel_x_mps2 if math.isfinite(ego.accel_x_mps2) else 0.0
        if self.mode == Mode.MRM:
            plan = stop_plan(t, speed, 2.0)
        else:
            lead = perception.lead
            leads = []
            if lead.probability >= self.p.lead_probability_min and abs(lead.lateral_offset_m) < self.p.lead_lateral_max_m:
                leads.append(LeadTrack(lead.distance_m, max(speed + lead.relative_speed_mps, 0.0)))
            v_set = self._set_speed_mps if self._set_speed_mps > 0.0 else speed
            plan = plan_speed(m, t, speed, accel0, lambda s: v_set, leads)
        signal = {1: TurnSignal.LEFT, -1: TurnSignal.RIGHT}.get(self._lc_dir, TurnSignal.OFF) \
            if self.mode == Mode.LANE_CHANGE else TurnSignal.OFF
        return traj_builder.build(now, centre, plan, self._offset(now), signal, 1.0)

    def _status(self, now: float) -> ModeStatus:
        phase = LaneChangePhase.NONE
        if self.mode == Mode.LANE_CHANGE:
            phase = (LaneChangePhase.COMPLETE if self._lc_done_t is not None else
                     LaneChangePhase.EXECUTE if self._lc_exec_t is not None else LaneChangePhase.PREPARE)
        return ModeStatus(stamp_s=now, mode=self.mode, previous_mode=self.previous_mode, lane_change_phase=phase,
                          lane_change_direction=self._lc_dir if self.mode == Mode.LANE_CHANGE else 0,
                          lane_change_trigger=LaneChangeTrigger.DRIVER if self.mode == Mode.LANE_CHANGE
                          else LaneChangeTrigger.NONE, reason=self.reason, last_transition_s=self.last_transition_s,
                          last_refusal=self.last_refusal, last_refusal_s=self.last_refusal_s)

    def _intent(self, now: float) -> Intent:
        kind = {1: IntentKind.CHANGE_LEFT, -1: IntentKind.CHANGE_RIGHT}.get(self._lc_dir, IntentKind.KEEP_LANE)
        return Intent(stamp_s=now, intent=kind if self.mode == Mode.LANE_CHANGE else IntentKind.KEEP_LANE)
