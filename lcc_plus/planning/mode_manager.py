"""Mode manager core: the mode state machine, lane changes without a route, nudging, the plan.

`ModeManager(params).step(now_s, ego, driver, perception, rear, takeover)` returns
(Trajectory, ModeStatus, Intent). Modes (types.Mode): OFF, STANDBY, LANE_KEEP,
LANE_CHANGE (phases PREPARE / EXECUTE / COMPLETE), OVERRIDE, TAKEOVER_REQUESTED, MRM.
Every transition carries a reason, kept in ModeStatus.reason and in a bounded list of
TransitionEvent (`events`, `drain_events()`) for the node to publish and log.

The trajectory is empty (no points) in OFF, STANDBY and OVERRIDE: the controller then
reports engaged=False. Bad input never raises: missing or non-finite lanes fall back to
the model path, then to holding the current curvature while slowing down, with a
takeover request (`takeover_request_reason`, also in ModeStatus.reason).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from lcc_plus.common.types import (
    LINE_EGO_LEFT,
    LINE_EGO_RIGHT,
    DriverControls,
    EgoState,
    ForkPreference,
    Intent,
    IntentKind,
    LaneChangePhase,
    LaneChangeTrigger,
    Lead,
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
from lcc_plus.planning.forks import PREFERENCE_BY_NAME, ForkSelector
from lcc_plus.planning.gap import assess_gap, lead_exists, oncoming_within_s, rear_usable
from lcc_plus.planning.lane_change import LaneChange
from lcc_plus.planning.lane_end import LaneEndTracker
from lcc_plus.planning.lane_rules import lane_change_allowed
from lcc_plus.planning.lanes import Curve, LaneView
from lcc_plus.planning.nudge import NudgeChoice, NudgePass, choose_offset, waiting_gap_m
from lcc_plus.planning.oncoming import OncomingMemory
from lcc_plus.planning.params import ModeManagerParams
from lcc_plus.planning.ranges import LeadSpeedCheck
from lcc_plus.planning.reference import agreement, blend, heads_for, hold_curvature, model_path, path_gap_m
from lcc_plus.planning.speed_policy import (
    LeadTrack,
    SpeedPlan,
    arrival_cap,
    curve_speed_cap,
    plan_speed,
    stop_plan,
)
from lcc_plus.planning.triggers import TriggerMonitor, lane_end_to_leave
from lcc_plus.planning.two_way import TwoWayPlacement

ENGAGED = (Mode.LANE_KEEP, Mode.LANE_CHANGE, Mode.OVERRIDE, Mode.TAKEOVER_REQUESTED)
PLANNING = (Mode.LANE_KEEP, Mode.LANE_CHANGE, Mode.TAKEOVER_REQUESTED, Mode.MRM)
SIDE_NAME = {1: "left", -1: "right"}
STANDSTILL_MPS = 0.1
# A lead read at least this fast is moving traffic: the model's speed for a parked car scatters
# by about 0.5 m/s, and a lead creeping at the stopped threshold (1 m/s) reads either way.
TRAFFIC_SPEED_MPS = 2.0


@dataclass(frozen=True)
class TransitionEvent:
    """One mode or lane-change phase transition."""

    stamp_s: float
    from_mode: Mode
    to_mode: Mode
    phase: LaneChangePhase
    reason: str


def _finite(value: object, fallback: float = 0.0) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return fallback
    return v if math.isfinite(v) else fallback


TAKEOVER_REFUSAL = "takeover warning active"


def _shifted(curve: Curve, offset_m: float) -> Curve:
    return lambda x: curve(x) + offset_m


class ModeManager:
    """Mode state machine and planner. One instance per vehicle; call `step` every cycle."""

    def __init__(self, p: ModeManagerParams):
        self.p = p
        self.mode = Mode.OFF
        self.previous_mode = Mode.OFF
        self.reason = "start-up"
        self.last_transition_s = 0.0
        self.last_refusal = ""
        self.last_refusal_s = 0.0
        self.events: deque[TransitionEvent] = deque(maxlen=p.max_events)
        self.lane_change: LaneChange | None = None
        self.nudge: NudgePass | None = None
        self.takeover_request_reason = ""
        self.fork_preference = PREFERENCE_BY_NAME[p.fork_preference]
        self.speed_limit_mps = p.speed_limit_mps
        self._forks = ForkSelector(p)
        self._triggers = TriggerMonitor(p)
        self._lane_ends = LaneEndTracker(p)
        self._lane_end: tuple[float, int] = (math.inf, 0)
        self._nudge_doubt_since: float | None = None
        self._width_m = p.lane_width_default_m
        self._nearest_crossed_m: float | None = None  # of the line a lane change crosses
        self._lever = Lever.NONE
        self._override_quiet_since: float | None = None
        self._no_reference_since: float | None = None
        self._blocked_reason = ""
        self._waiting = False  # blocked only for now: wait (nudge_wait_max_s) before asking the driver
        self._wait_gap_m = 0.0  # waiting to pass a vehicle that stands: stop this far behind it
        self._hold_end_announced_m = 0.0  # the active pass's hold end as last announced (odometer)
        self._lead_moving_s = -math.inf  # the ego-lane lead was last read as moving traffic then
        self._moving_since: float | None = None  # the blocking vehicle no longer read as stopped since
        self._stopped_since: float | None = None  # under stopped_speed_mps since (how long a blocked car waited)
        self._nudge_planned_s = -math.inf  # the active pass was planned then
        self._set_speed_mps = 0.0
        self._accel_plan_mps2 = 0.0
        self._odo_m = 0.0
        self._last_now_s: float | None = None
        self._last_lane_change_end_s = -math.inf
        self._mrm_latched = False
        self._fault_reason = ""
        self._engage_held = False
        self._ego_ok = True
        self._lane_ref: Curve | None = None
        self._keep_shift_m = 0.0  # lane reference minus ego lane centre (the frame of Lead.lateral_offset_m)
        self._two_way = TwoWayPlacement(p)
        self._oncoming_memory = OncomingMemory(p)  # on the passing side
        self._lead_check = LeadSpeedCheck(p)  # the own lane's lead against its ranges
        self._passing_lead = Lead()         # what a pass is judged by on the passing side

    # -- public helpers for the node -----------------------------------------------------------
    def set_speed_limit(self, speed_limit_mps: float) -> None:
        """Known legal speed limit (0 or non-finite: unknown)."""
        self.speed_limit_mps = max(_finite(speed_limit_mps), 0.0)

    def set_fork_preference(self, preference: ForkPreference) -> None:
        self.fork_preference = ForkPreference(preference)

    def drain_events(self) -> list[TransitionEvent]:
        """Transition events since the last call (oldest first)."""
        out = list(self.events)
        self.events.clear()
        return out

    # -- main step -----------------------------------------------------------------------------
    def step(self, now_s: float, ego: EgoState, driver: DriverControls, perception: Perception,
             rear: RearSensing, takeover: TakeoverDemand) -> tuple[Trajectory, ModeStatus, Intent]:
        """One planning cycle at `now_s`; never raises (malformed input ends in a safe fallback)."""
        try:
            return self._step(now_s, ego, driver, perception, rear, takeover)
        except Exception as err:  # the planner must keep producing a safe output whatever it is fed
            return self._failsafe(now_s, ego, f"planner fallback: {type(err).__name__}: {err}")

    def _failsafe(self, now_s: float, ego: EgoState, why: str) -> tuple[Trajectory, ModeStatus, Intent]:
        """Drop manoeuvres; when engaged, slow down along the current curvature and request takeover."""
        now = _finite(now_s, self._last_now_s or 0.0)
        self.lane_change, self.nudge = None, None
        if self.mode in ENGAGED and self.mode != Mode.TAKEOVER_REQUESTED:
            self._transition(now, Mode.TAKEOVER_REQUESTED, why)
        self.takeover_request_reason = why
        self._fault_reason = why
        traj = Trajectory(stamp_s=now)
        if self.mode in PLANNING:
            speed = max(_finite(getattr(ego, "speed_mps", 0.0)), 0.0)
            t = np.arange(0.0, self.p.horizon_s + 0.5 * self.p.sample_dt_s, self.p.sample_dt_s)
            centre = hold_curvature(_finite(getattr(ego, "yaw_rate_radps", 0.0)) / max(speed, 1.0))
            traj = traj_builder.build(now, centre, stop_plan(t, speed, self.p.fallback_decel_mps2), None,
                                      TurnSignal.HAZARD if self.mode == Mode.MRM else TurnSignal.OFF, 0.0)
        return traj, self._status(now), self._intent(now)

    def _step(self, now_s: float, ego: EgoState, driver: DriverControls, perception: Perception,
              rear: RearSensing, takeover: TakeoverDemand) -> tuple[Trajectory, ModeStatus, Intent]:
        now = _finite(now_s, self._last_now_s if self._last_now_s is not None else 0.0)
        dt = 0.0 if self._last_now_s is None else min(max(now - self._last_now_s, 0.0), 1.0)
        self._last_now_s = now
        ego_ok = math.isfinite(_finite(ego.speed_mps, math.nan)) and math.isfinite(_finite(ego.yaw_rate_radps, math.nan))
        self._ego_ok = ego_ok
        speed = max(_finite(ego.speed_mps), 0.0)
        self._odo_m += speed * dt
        if speed >= self.p.stopped_speed_mps:
            self._stopped_since = None
        elif self._stopped_since is None:
            self._stopped_since = now
        perception = replace(perception, lead=self._lead_check.update(now, self._odo_m, speed, perception.lead))
        view = LaneView(perception, self.p, self._width_m)
        if view.width_measured:
            self._width_m += 0.1 * (view.width_m - self._width_m)
        self._track_lane_index(view)
        self._lane_end = self._lane_ends.update(self._odo_m, view.lane_end())
        # Right-hand traffic passes on the left, where the oncoming traffic is.
        oncoming_side = perception.lead_left if self.p.keep_side == "right" else perception.lead_right
        self._lane_ref, self._keep_shift_m = self._lane_reference(view, now, dt, speed, oncoming_side)
        self._passing_lead = self._oncoming_memory.update(now, dt, speed, oncoming_side)
        path = model_path(perception, self.p, self._lane_ref)
        has_reference = view.centre(0) is not None or path is not None
        if has_reference or self.mode not in ENGAGED:
            self._no_reference_since = None
        elif self._no_reference_since is None:
            self._no_reference_since = now

        self._update_mode(now, speed, ego, driver, perception, takeover, ego_ok and has_reference)
        lever = Lever(driver.lever) if driver.lever in (0, 1, 2) else Lever.NONE
        lever_edge = lever if lever != self._lever and lever != Lever.NONE else Lever.NONE
        self._lever = lever
        if self.mode in (Mode.LANE_KEEP, Mode.LANE_CHANGE, Mode.TAKEOVER_REQUESTED):
            self._lane_change_logic(now, speed, view, perception, rear, takeover, lever_edge)
            self._nudge_logic(now, speed, view, perception, rear, path)
        traj = self._plan(now, speed, ego, view, perception, path)
        self._fault_reason = ""
        return traj, self._status(now), self._intent(now)

    # -- modes ---------------------------------------------------------------------------------
    def _transition(self, now: float, mode: Mode, reason: str) -> None:
        if mode != self.mode:
            self.previous_mode = self.mode
        # A manoeuvre noted while the driver is asked is logged, but the status keeps saying why
        # the driver is asked: unmarked_lane s43 planned a pass in the cycle its request went out,
        # and the monitor's demand told the driver "nudge +2.12 m: ...".
        if not self.mode == mode == Mode.TAKEOVER_REQUESTED:
            self.reason = reason
        from_mode, self.mode = self.mode, mode
        self.last_transition_s = now
        phase = self.lane_change.phase if self.lane_change is not None else LaneChangePhase.NONE
        self.events.append(TransitionEvent(now, from_mode, mode, phase, reason))

    def _refuse(self, now: float, reason: str) -> None:
        self.last_refusal = reason
        self.last_refusal_s = now
        self.events.append(TransitionEvent(now, self.mode, self.mode, LaneChangePhase.NONE, f"refused: {reason}"))

    def _update_mode(self, now: float, speed: float, ego: EgoState, driver: DriverControls,
                     perception: Perception, takeover: TakeoverDemand, available: bool) -> None:
        """This cycle's mode transitions; an engage refusal is logged once per press."""
        self._transitions(now, speed, ego, driver, perception, takeover, available)
        self._engage_held = bool(driver.engage_request)

    def _transitions(self, now: float, speed: float, ego: EgoState, driver: DriverControls,
                     perception: Perception, takeover: TakeoverDemand, available: bool) -> None:
        p = self.p
        braking = _finite(driver.brake_pedal) > p.brake_disengage
        if self.mode == Mode.MRM:
            if driver.disengage_request or braking:
                self._end_manoeuvres()
                self._transition(now, Mode.STANDBY, "driver took over during the minimal risk manoeuvre")
            elif speed < STANDSTILL_MPS:
                self._mrm_latched = True
                self._transition(now, Mode.OFF, "minimal risk manoeuvre complete: stopped; locked until restart")
            return
        engaged = self.mode in ENGAGED
        if engaged and takeover.level == TakeoverLevel.MRM:
            self._end_manoeuvres()
            self._transition(now, Mode.MRM, f"minimal risk manoeuvre: {takeover.reason or 'demanded by safety'}")
            return
        if engaged and (driver.disengage_request or braking):
            self._end_manoeuvres()
            self._transition(now, Mode.STANDBY, "driver braked" if braking else "driver disengaged")
            return
        if self.mode == Mode.OFF:
            if available and not self._mrm_latched:
                self._transition(now, Mode.STANDBY, "system available")
            elif driver.engage_request and not self._engage_held:
                self._refuse(now, "engage refused: " + ("locked after a minimal risk manoeuvre"
                                                        if self._mrm_latched else "no lane reference"))
            return
        if self.mode == Mode.STANDBY:
            if not available:
                self._transition(now, Mode.OFF, "system unavailable: no lane reference or invalid ego state")
            elif driver.engage_request:
                self._set_speed_mps = driver.set_speed_mps if _finite(driver.set_speed_mps) > 0 else speed
                self._accel_plan_mps2 = _finite(ego.accel_x_mps2)
                self._transition(now, Mode.LANE_KEEP, "driver engaged")
            return
        self._engaged_mode(now, speed, driver, perception, takeover)

    def _engaged_mode(self, now: float, speed: float, driver: DriverControls, perception: Perception,
                      takeover: TakeoverDemand) -> None:
        p = self.p
        if _finite(driver.set_speed_mps) > 0:
            self._set_speed_mps = driver.set_speed_mps
        steering = abs(_finite(driver.steering_torque_nm)) > p.override_torque_nm
        if self.mode != Mode.OVERRIDE and steering:
            self._end_manoeuvres()
            self._transition(now, Mode.OVERRIDE, "driver steering override")
            return
        if self.mode == Mode.OVERRIDE:
            if steering:
                self._override_quiet_since = None
                return
            if self._override_quiet_since is None:
                self._override_quiet_since = now
            if now - self._override_quiet_since >= p.override_release_s:
                self._override_quiet_since = None
                self._transition(now, Mode.LANE_KEEP, "driver released the steering wheel")
            return
        demand = takeover.level in (TakeoverLevel.VISUAL, TakeoverLevel.AUDIBLE)
        own = self._own_takeover_reason(now)
        self.takeover_request_reason = own
        if self.mode != Mode.TAKEOVER_REQUESTED and (demand or own):
            lc = self.lane_change
            if lc is not None and lc.phase == LaneChangePhase.PREPARE:
                self.lane_change = None
                self._refuse(now, "takeover warning active")
            why = own or f"takeover demanded: {takeover.reason or 'safety monitor'}"
            self._transition(now, Mode.TAKEOVER_REQUESTED, why)
        elif self.mode == Mode.TAKEOVER_REQUESTED and not demand and not own:
            lc = self.lane_change
            back = Mode.LANE_CHANGE if lc is not None else Mode.LANE_KEEP
            self._transition(now, back, "takeover demand cleared")

    def _own_takeover_reason(self, now: float) -> str:
        if self._fault_reason:
            return self._fault_reason
        if not self._ego_ok:
            return "takeover: invalid vehicle state (non-finite speed or yaw rate)"
        if self._no_reference_since is not None and now - self._no_reference_since >= self.p.lane_loss_takeover_s:
            return "takeover: no lane lines and no confident model path"
        if self._blocked_reason and self._stopped_since is not None and self.nudge is None:
            waited_s = now - self._stopped_since
            if not self._waiting or waited_s >= self.p.nudge_wait_max_s:
                return f"takeover: {self._blocked_reason}"
        if (self.nudge is not None and self._stopped_since is not None
                and now - max(self._stopped_since, self._nudge_planned_s) >= self.p.nudge_wait_max_s):
            # A pass planned on a reading the vehicle no longer gives (stopped_vehicle: planned
            # for a car read 1.6 m to the side, which stood in the lane's middle) does not clear
            # it, so the speed plan stops the car behind it; nothing else would ask the driver.
            # Counted from the plan: a pass planned after a wait for oncoming traffic starts from
            # a standstill (unmarked_lane s32: asked 0.5 s after its plan, 9.5 s after the stop).
            return "takeover: stopped behind the vehicle the pass was planned for: it does not clear it"
        return ""

    def _end_manoeuvres(self) -> None:
        if self.lane_change is not None and not self.lane_change.returning:
            self._last_lane_change_end_s = self._last_now_s or 0.0
        self.lane_change = None
        self.nudge = None
        self._block("")
        self.takeover_request_reason = ""
        self._triggers.reset()

    # -- lane changes --------------------------------------------------------------------------
    def _track_lane_index(self, view: LaneView) -> None:
        """Follow the perception re-indexing its lanes as the car crosses the line of a lane change.

        While the car moves towards the line on the manoeuvre side, that line only comes nearer;
        once crossed, the perception reports the next line there instead, a lane width further
        out. The model may blend the two over a few frames and be 0.5 m off on each, so the
        rise is measured from the nearest the line has been, not frame to frame (a right
        change on the highway re-indexed by 1.6 m over 5 frames and was missed: the target
        became the shoulder). Only one rise of about a lane width counts, so line jumps from
        merges, splits or a bad fit cannot move the target lane further.
        """
        lc = self.lane_change
        if lc is None or lc.phase != LaneChangePhase.EXECUTE or lc.returning or lc.committed_lanes_shifted:
            self._nearest_crossed_m = None
            return
        line = view.line(LINE_EGO_LEFT if lc.direction > 0 else LINE_EGO_RIGHT)
        if line is None:
            return
        distance = float(line(0.0)) * lc.direction
        nearest = distance if self._nearest_crossed_m is None else min(self._nearest_crossed_m, distance)
        if self.p.lane_reindex_fraction * self._width_m < distance - nearest < 1.5 * self._width_m:
            lc.shift(lc.direction)
            nearest = None
        self._nearest_crossed_m = nearest

    def _static_refusal(self, direction: int, speed: float, view: LaneView, perception: Perception,
                        rear: RearSensing, takeover: TakeoverDemand) -> str:
        p = self.p
        if takeover.level != TakeoverLevel.NONE or self.mode == Mode.TAKEOVER_REQUESTED:
            return TAKEOVER_REFUSAL
        if speed < p.lane_change_speed_min_mps:
            return f"speed below minimum ({speed:.1f} < {p.lane_change_speed_min_mps:.1f} m/s)"
        if _finite(perception.confidence) < p.lane_change_confidence_min:
            return "low model confidence"
        if not view.adjacent(direction) or self._oncoming(direction, speed, perception):
            return f"no adjacent lane on the {SIDE_NAME[direction]}"
        boundary = view.boundary_type(direction)
        if not lane_change_allowed(p.traffic_rules_location, boundary, direction):
            return f"solid line: {boundary.name.lower()} line may not be crossed ({p.traffic_rules_location} rules)"
        if not rear_usable(rear, p):
            return "unsafe gap: no rear sensing"
        return ""

    def _oncoming(self, direction: int, speed: float, perception: Perception) -> bool:
        lead = perception.lead_left if direction > 0 else perception.lead_right
        return oncoming_within_s(lead, speed, self.p) < math.inf

    def _lane_change_logic(self, now: float, speed: float, view: LaneView, perception: Perception,
                           rear: RearSensing, takeover: TakeoverDemand, lever_edge: Lever) -> None:
        lc = self.lane_change
        request = {Lever.LEFT: 1, Lever.RIGHT: -1}.get(lever_edge, 0)
        if lc is None:
            if request:
                self._request(now, request, LaneChangeTrigger.DRIVER, speed, view, perception, rear, takeover)
            elif self.mode == Mode.LANE_KEEP and self.p.system_lane_change_enabled:
                cooldown_over = now - self._last_lane_change_end_s >= self.p.system_cooldown_s
                active = self._triggers.conditions(view, perception, speed, self._wanted_speed(), cooldown_over,
                                                   self._lane_end)
                fired = self._triggers.update(now, active)
                if fired is not None:
                    self._request(now, fired[1], fired[0], speed, view, perception, rear, takeover)
            return
        if lc.returning:
            if request:
                self._refuse(now, "lane change in progress: returning to the origin lane")
            if lc.profile_done(now):
                self.lane_change = None
                if self.mode == Mode.LANE_CHANGE:
                    self._transition(now, Mode.LANE_KEEP, f"back in the origin lane, lane change {lc.outcome}")
            return
        if request and lc.system_initiated and lc.phase == LaneChangePhase.PREPARE:
            self._drop(now, "superseded by the driver's request")
            self._request(now, request, LaneChangeTrigger.DRIVER, speed, view, perception, rear, takeover)
            return
        if request == -lc.direction:
            self._cancel_or_abort(now, "driver cancelled with the lever", view, force=lc.phase == LaneChangePhase.PREPARE)
            return
        if lc.phase == LaneChangePhase.PREPARE:
            self._prepare(now, lc, speed, view, perception, rear, takeover)
        elif lc.phase == LaneChangePhase.EXECUTE:
            self._execute(now, lc, speed, view, perception, rear)
        elif lc.phase == LaneChangePhase.COMPLETE and now - lc.complete_s >= self.p.complete_hold_s:
            self.lane_change = None
            self._last_lane_change_end_s = now
            if self.mode == Mode.LANE_CHANGE:
                self._transition(now, Mode.LANE_KEEP, "lane change complete")

    def _request(self, now: float, direction: int, trigger: LaneChangeTrigger, speed: float, view: LaneView,
                 perception: Perception, rear: RearSensing, takeover: TakeoverDemand) -> None:
        why = self._static_refusal(direction, speed, view, perception, rear, takeover)
        who = "driver" if trigger == LaneChangeTrigger.DRIVER else f"system ({trigger.name.lower()})"
        if why:
            self._refuse(now, f"lane change {SIDE_NAME[direction]} by {who}: {why}")
            return
        self.nudge = None
        self.lane_change = LaneChange.requested(self.p, now, direction, trigger)
        self._transition(now, Mode.LANE_CHANGE, f"lane change {SIDE_NAME[direction]} requested by {who}")

    def _prepare(self, now: float, lc: LaneChange, speed: float, view: LaneView, perception: Perception,
                 rear: RearSensing, takeover: TakeoverDemand) -> None:
        why = self._static_refusal(lc.direction, speed, view, perception, rear, takeover)
        if why:
            # A reason that comes and goes with one noisy frame must not flick the indicator off:
            # it has to hold (a takeover warning drops the request at once).
            if lc.refused_since_s is None:
                lc.refused_since_s = now
            if now - lc.refused_since_s >= self.p.prepare_refusal_hold_s or why == TAKEOVER_REFUSAL:
                self._drop(now, why)
            return
        lc.refused_since_s = None
        gap = assess_gap(self.p, lc.direction, speed, view.width_m,
                         perception.lead_left if lc.direction > 0 else perception.lead_right, rear)
        waited = now - lc.requested_s
        if waited >= lc.prepare_min_s and gap.safe:
            origin, target = view.centre(lc.origin_rel), view.centre(lc.target_rel)
            width = abs(float(target(0.0) - origin(0.0))) if origin is not None and target is not None else view.width_m
            lc.start_motion(self.p, now, width)
            self._transition(now, Mode.LANE_CHANGE, f"lateral motion started {waited:.1f} s after the request")
        elif waited >= lc.deadline_s:
            self._drop(now, gap.reason or "unsafe gap")

    def _drop(self, now: float, why: str) -> None:
        """End a lane change still in PREPARE: refused with `why`, back to lane keeping."""
        lc = self.lane_change
        self.lane_change = None
        self._last_lane_change_end_s = now
        self._refuse(now, f"lane change {SIDE_NAME[lc.direction]}: {why}")
        if self.mode == Mode.LANE_CHANGE:
            self._transition(now, Mode.LANE_KEEP, f"lane change cancelled before lateral motion: {why}")

    def _execute(self, now: float, lc: LaneChange, speed: float, view: LaneView, perception: Perception,
                 rear: RearSensing) -> None:
        if lc.profile_done(now):
            lc.phase = LaneChangePhase.COMPLETE
            lc.complete_s = now
            self._transition(now, self.mode, "in the target lane; indicator off")
            return
        if lc.committed_lanes_shifted:
            return
        gap = assess_gap(self.p, lc.direction, speed, view.width_m,
                         perception.lead_left if lc.direction > 0 else perception.lead_right, rear, executing=True)
        lc.unsafe_cycles = 0 if gap.safe else lc.unsafe_cycles + 1
        if lc.unsafe_cycles >= self.p.unsafe_cycles_to_cancel:
            self._cancel_or_abort(now, gap.reason, view, force=False)

    def _cancel_or_abort(self, now: float, why: str, view: LaneView, force: bool) -> None:
        """Back to the origin lane while that is still possible; past that point, carry on."""
        lc = self.lane_change
        if lc.phase == LaneChangePhase.PREPARE or force:
            self._drop(now, why)
            return
        if lc.committed_lanes_shifted:
            return
        sigma = lc.state(now)[0]
        body_in_lane = sigma * lc.width_m <= 0.5 * (lc.width_m - self.p.vehicle_width_m)
        profile, peak = lc.return_profile(self.p, now)
        if not body_in_lane and peak > self.p.abort_max_progress:
            return  # the way back would carry the car further over the line than going on
        kind = "cancelled" if body_in_lane else "aborted"
        lc.start_return(profile, now, kind)
        self._last_lane_change_end_s = now
        self._transition(now, self.mode, f"lane change {kind}, returning to the origin lane: {why}")

    # -- nudging -------------------------------------------------------------------------------
    def _nudge_logic(self, now: float, speed: float, view: LaneView, perception: Perception,
                     rear: RearSensing, path: Curve | None) -> None:
        p = self.p
        if self.nudge is not None and self.nudge.finished(self._odo_m):
            self.nudge = None
            self._transition(now, self.mode, "passed the stopped vehicle")
        lead = perception.lead
        stopped = (lead_exists(lead, p) and speed + lead.relative_speed_mps < p.stopped_speed_mps
                   and lead.distance_m < p.blocked_range_m)
        if lead_exists(lead, p) and speed + lead.relative_speed_mps >= TRAFFIC_SPEED_MPS:
            self._lead_moving_s = now
        in_use = ""
        if stopped and self.nudge is not None and self._odo_m < self.nudge.ramp_start_odo_m:
            # Judged afresh each frame until it begins: an oncoming car may come into view.
            again = self._pass_choice(speed, view, perception, rear, path, lead)
            in_use = again.reason if again.wait_offset_m else ""
        self._recheck_nudge(now, lead, stopped, in_use)
        if not stopped or self.lane_change is not None:
            if not stopped:
                self._moving_on(now)
            return
        if self.nudge is not None:
            under_way = self._odo_m >= self.nudge.ramp_start_odo_m
            if under_way and not self.nudge.covers(p, self._odo_m, lead.distance_m):
                self._hold_pass_on(now, lead, self._pass_choice(speed, view, perception, rear, path, lead))
            return
        if any(not self._static_refusal(side, speed, view, perception, rear, TakeoverDemand())
               for side in (1, -1)):
            self._block("")
            return  # a lane change can pass it (BLOCKED trigger)
        choice = self._pass_choice(speed, view, perception, rear, path, lead)
        plan = (NudgePass.plan(p, self._odo_m, speed, lead.distance_m, choice.offset_m, choice.reason,
                               choice.model_judged) if choice.offset_m else None)
        if plan is None:
            if choice.offset_m:
                self._block("stopped vehicle ahead: too close to pass", choice.offset_m)
            else:
                self._block(choice.reason, choice.wait_offset_m)
            return
        self._block("")
        self.nudge = plan
        self._nudge_planned_s = now
        self._hold_end_announced_m = plan.hold_end_odo_m
        self._transition(now, self.mode, f"nudge {plan.offset_m:+.2f} m: {plan.reason}")

    def _block(self, reason: str, pass_offset_m: float = 0.0) -> None:
        """No pass now, for `reason` ("": not blocked). With the offset a pass will need once
        it fits or the passing side clears, the car waits `nudge_wait_max_s` before it asks the
        driver, and behind a vehicle that stands (not traffic that has just stopped) it waits
        far enough back to make the pass from a standstill."""
        self._blocked_reason = reason
        self._waiting = bool(reason and pass_offset_m)
        now = self._last_now_s if self._last_now_s is not None else 0.0
        standing = now - self._lead_moving_s > self.p.traffic_memory_s
        self._wait_gap_m = waiting_gap_m(self.p, pass_offset_m) if self._waiting and standing else 0.0
        self._moving_since = None

    def _moving_on(self, now: float) -> None:
        """The vehicle ahead is not read as stopped: nothing blocks, but the place to wait at is
        kept for `nudge_drop_hold_s` unless it reads as moving traffic. A lead near the stopped
        threshold flickers between the readings, and with it a hold-back of 20 m
        (urban_hard_brake's jerk went from 2.5 to 3.5 m/s^3 before the traffic rule)."""
        self._blocked_reason, self._waiting = "", False
        if self._moving_since is None:
            self._moving_since = now
        if now - self._moving_since >= self.p.nudge_drop_hold_s or self._lead_moving_s == now:
            self._wait_gap_m = 0.0

    def _pass_choice(self, speed: float, view: LaneView, perception: Perception, rear: RearSensing,
                     path: Curve | None, lead: Lead) -> NudgeChoice:
        """The offset from the lane reference that passes the stopped `lead`, or 0 with why not."""
        p = self.p
        if not p.nudge_enabled:
            return NudgeChoice(0.0, "stopped vehicle ahead: nudging disabled")
        if self._bend_before_passing(lead) > p.nudge_max_curvature_1pm:
            return NudgeChoice(0.0, "stopped vehicle ahead: bend too sharp to pass")
        side = 1 if p.keep_side == "right" else -1
        two_way = view.unmarked_two_way()
        lane_width = 0.5 * view.width_m if two_way else view.width_m
        if two_way:
            free_room = 0.5 * view.width_m
        else:
            free_room = 0.0 if view.boundary_type(side) in (LineType.ROAD_EDGE, LineType.UNKNOWN) else view.width_m
        base = self._lane_ref
        model_clears = (self._clears(lead, base, path, None, speed)
                        if path is not None and base is not None and self._path_covers(perception, lead) else None)
        # choose_offset works from the lane reference; the lead's offset is from the ego lane centre.
        from_ref = replace(lead, lateral_offset_m=lead.lateral_offset_m - self._keep_shift_m)
        return choose_offset(p, lane_width, free_room, speed, from_ref, self._passing_lead,
                             rear.blind_spot_left if side > 0 else rear.blind_spot_right, model_clears)

    def _hold_pass_on(self, now: float, lead: Lead, choice: NudgeChoice) -> None:
        """Keep the pass under way out alongside the stopped `lead` too where NudgePass.held_past
        says so; otherwise the car ramps back in and stops behind it (lead following)."""
        held = self.nudge.held_past(self.p, self._odo_m, lead.distance_m, choice.offset_m)
        if held is None:
            return
        self.nudge = held
        # The same vehicle read a little further on (range noise, odometry) moves the end quietly;
        # announced every frame, the repeats pushed the pass itself out of the event queue.
        if held.hold_end_odo_m - self._hold_end_announced_m >= self.p.nudge_obstacle_length_m:
            self._hold_end_announced_m = held.hold_end_odo_m
            self._transition(now, self.mode, f"pass held on past the next stopped vehicle: {choice.reason}")

    def _recheck_nudge(self, now: float, lead: Lead, stopped: bool, passing_side_in_use: str) -> None:
        """Drop a planned pass that has not begun: at once when the passing side is in use now
        (an oncoming car came into view after it was planned), else once its reason has gone for
        `nudge_drop_hold_s`: the stopped vehicle is no longer seen (a false detection far ahead)
        or the road before it bends too sharply. A pass under way goes on."""
        nudge = self.nudge
        if nudge is None or self._odo_m >= nudge.ramp_start_odo_m:
            self._nudge_doubt_since = None
            return
        if passing_side_in_use:
            self.nudge, self._nudge_doubt_since = None, None
            self._transition(now, self.mode, f"pass dropped before it began: {passing_side_in_use}")
            return
        why = ""
        if not stopped:
            why = "no stopped vehicle ahead any more"
        elif self._bend_before_passing(lead) > self.p.nudge_max_curvature_1pm:
            why = "bend too sharp to pass"
        if not why:
            self._nudge_doubt_since = None
            return
        if self._nudge_doubt_since is None:
            self._nudge_doubt_since = now
        if now - self._nudge_doubt_since >= self.p.nudge_drop_hold_s:
            self.nudge, self._nudge_doubt_since = None, None
            self._transition(now, self.mode, f"pass dropped before it began: {why}")

    def _bend_before_passing(self, lead: Lead) -> float:
        """Largest |curvature| [1/m] of the lane reference until the stopped `lead` is passed
        (0 without a reference)."""
        if self._lane_ref is None:
            return 0.0
        p = self.p
        return traj_builder.max_curvature(self._lane_ref,
                                          lead.distance_m + p.vehicle_length_m + p.nudge_obstacle_length_m)

    # -- plan ----------------------------------------------------------------------------------
    def _wanted_speed(self) -> float:
        v = self._set_speed_mps
        if self.speed_limit_mps > 0.0:
            v = min(v, self.speed_limit_mps)
        return max(v, 0.0)

    def _lane_reference(self, view: LaneView, now: float, dt: float, speed: float,
                        oncoming: Lead) -> tuple[Curve | None, float]:
        """Centre of the lane to keep: the chosen branch at forks, the keep side of an unmarked
        two-way road (two_way.py); and its shift from the ego lane centre."""
        lane = self._forks.reference(view, self._forks.update(view, self.fork_preference))
        # A frame without a measured width (a line the model sees to 0 m in a hairpin) cannot tell
        # the road's kind: it keeps the last one rather than jump to the road's middle.
        two_way = view.unmarked_two_way() if view.width_measured else self._two_way.active
        if lane is not None and two_way:
            keep_right = self.p.keep_side == "right"
            offset = self._two_way.update(now, dt, view.width_m, speed, oncoming)
            keep = -offset if keep_right else offset
            return _shifted(lane, keep), keep
        self._two_way.reset()
        return lane, 0.0

    def _reference(self, view: LaneView, path: Curve | None, perception: Perception
                   ) -> tuple[Curve | None, traj_builder.Offset | None]:
        lc = self.lane_change
        if lc is not None:
            origin, target = view.centre(lc.origin_rel), view.centre(lc.target_rel)
            if origin is not None and target is not None:
                now = self._last_now_s

                def offset(t: np.ndarray, s: np.ndarray) -> np.ndarray:
                    return lc.sigma(now + t) * (target(s) - origin(s))

                return origin, offset
        lane = self._lane_ref
        if lane is not None and self.nudge is not None:
            # The pass belongs to the lane reference, so a model path that passes too agrees with it
            # and one that does not pulls the blend back (and _clears then stops the car behind).
            lane = self.nudge.applied_to(lane, self._odo_m)
            if not self.nudge.model_judged and not _path_reaches(perception, self.nudge.hold_end_odo_m - self._odo_m):
                # A pass planned without the model's opinion (its path ended short of the obstacle)
                # is not held back by that path while it stays short: blended in, a crawling car's
                # path held the pass back while its ramp ran on in distance, and dropped later (low
                # confidence) the reference jumped 1.2 m (unmarked_lane s0 and s1).
                path = None
        elif lane is not None and self._blocked_reason:
            # Held behind a stopped vehicle (oncoming traffic, no room, no pass yet): the car keeps
            # its lane until the planner plans a pass. Blended in, a model path out beside the
            # vehicle steered the car around it with the oncoming car still coming (the planner's
            # own stop behind it then saw a free corridor).
            path = None
        weight = view.lane_weight
        if lane is not None and path is not None:
            gap = path_gap_m(lane, path, self.p)
            side = heads_for(gap, self.p)
            if side and view.adjacent(side):
                path = None
            else:
                weight *= agreement(gap, self.p)
        return blend(lane, weight, path), None

    def _plan(self, now: float, speed: float, ego: EgoState, view: LaneView, perception: Perception,
              path: Curve | None) -> Trajectory:
        if self.mode not in PLANNING:
            return Trajectory(stamp_s=now, confidence=_finite(perception.confidence))
        p = self.p
        t = np.arange(0.0, p.horizon_s + 0.5 * p.sample_dt_s, p.sample_dt_s)
        centre, offset = self._reference(view, path, perception)
        signal = self._turn_signal()
        if self.mode == Mode.MRM or centre is None:
            decel = p.mrm_decel_mps2 if self.mode == Mode.MRM else p.fallback_decel_mps2
            plan = stop_plan(t, speed, decel)
            if centre is None:
                centre, offset = hold_curvature(_finite(ego.yaw_rate_radps) / max(speed, 1.0)), None
        else:
            plan = self._speed_plan(t, speed, centre, offset, path, perception, self._lane_end_m(view))
        self._accel_plan_mps2 = float(plan.accel_mps2[1])
        return traj_builder.build(now, centre, plan, offset, signal, _finite(perception.confidence))

    def _lane_end_m(self, view: LaneView) -> float:
        """Distance to the confirmed end of the lane being kept that the lane-end trigger reacts
        to; inf without one or once the lane change has begun (the car must not reach it before)."""
        lc = self.lane_change
        if lc is not None and lc.phase != LaneChangePhase.PREPARE:
            return math.inf
        return lane_end_to_leave(view, self._lane_end, self.p)[0]

    def _speed_plan(self, t: np.ndarray, speed: float, centre: Curve, offset: traj_builder.Offset | None,
                    path: Curve | None, perception: Perception, lane_end_m: float) -> SpeedPlan:
        p = self.p
        reach = max(speed * p.horizon_s + 20.0, 40.0)
        # Curves ahead as the reference shows them and, when confident, as the model's path does
        # (it sees bends beyond where the painted lines are fitted).
        caps = []
        for curve in (centre, path):
            if curve is not None:
                caps.append(curve_speed_cap(p, *traj_builder.curvature_along(curve, reach), self._wanted_speed()))
        if math.isfinite(lane_end_m):
            caps.append(arrival_cap(p, lane_end_m, p.lane_end_speed_mps))
        nudge, odo = self.nudge, self._odo_m

        def cap(s: np.ndarray) -> np.ndarray:
            c = np.minimum.reduce([f(s) for f in caps])
            return np.minimum(c, nudge.speed_cap(p, odo + s)) if nudge is not None else c

        leads = []
        lc = self.lane_change
        candidates = [perception.lead]
        if lc is not None and not lc.returning and lc.phase == LaneChangePhase.EXECUTE and not lc.committed_lanes_shifted:
            candidates.append(perception.lead_left if lc.direction > 0 else perception.lead_right)
        for lead in candidates:
            if not lead_exists(lead, p):
                continue
            v_lead = max(speed + lead.relative_speed_mps, 0.0)
            base = self._lane_ref
            stopped = v_lead < p.stopped_speed_mps
            if stopped and base is not None and self._clears(lead, base, centre, offset, speed):
                continue  # a stopped vehicle the planned path passes with room
            # Waiting to pass the vehicle ahead: stop with room to pull out (nudge.waiting_gap_m),
            # also on frames that read it as moving (_moving_on).
            waiting = lead is perception.lead
            held_back_m = max(self._wait_gap_m - p.standstill_gap_m, 0.0) if waiting else 0.0
            leads.append(LeadTrack(lead.distance_m - held_back_m, v_lead))
        return plan_speed(p, t, speed, self._accel_plan_mps2, cap, leads)

    def _path_covers(self, perception: Perception, obstacle: Lead) -> bool:
        """Whether the model's path reaches past `obstacle`: short of it, the path says nothing
        about passing (beyond its points it only runs on parallel to the lane)."""
        far = obstacle.distance_m + self.p.vehicle_length_m - self.p.rear_overhang_m + self.p.nudge_obstacle_length_m
        return _path_reaches(perception, far)

    def _clears(self, obstacle: Lead, base: Curve, centre: Curve, offset: traj_builder.Offset | None,
                speed: float) -> bool:
        """Whether the path `centre` (+ `offset`) passes `obstacle` (a stopped lead, placed
        from the lane reference `base`) with half the nudge clearance."""
        p = self.p
        front = p.vehicle_length_m - p.rear_overhang_m
        x = obstacle.distance_m + front + np.linspace(0.0, p.nudge_obstacle_length_m, 6)
        y_obstacle = np.asarray(base(x), dtype=float) - self._keep_shift_m + obstacle.lateral_offset_m
        y_path = np.asarray(centre(x), dtype=float)
        if offset is not None:
            y_path = y_path + offset(x / max(speed, 1.0), x)
        room = np.abs(y_path - y_obstacle) - 0.5 * (p.nudge_obstacle_width_m + p.vehicle_width_m)
        return bool(np.min(room) >= 0.5 * p.nudge_clearance_m)

    def _turn_signal(self) -> TurnSignal:
        if self.mode == Mode.MRM:
            return TurnSignal.HAZARD
        lc = self.lane_change
        if lc is None or lc.returning or lc.phase == LaneChangePhase.COMPLETE:
            return TurnSignal.OFF
        return TurnSignal.LEFT if lc.direction > 0 else TurnSignal.RIGHT

    # -- outputs -------------------------------------------------------------------------------
    def _status(self, now: float) -> ModeStatus:
        lc = self.lane_change
        active = lc is not None and self.mode in (Mode.LANE_CHANGE, Mode.TAKEOVER_REQUESTED)
        return ModeStatus(
            stamp_s=now, mode=self.mode, previous_mode=self.previous_mode,
            lane_change_phase=lc.phase if active else LaneChangePhase.NONE,
            lane_change_direction=lc.direction if active else 0,
            lane_change_trigger=lc.trigger if active else LaneChangeTrigger.NONE,
            reason=self.reason, last_transition_s=self.last_transition_s,
            last_refusal=self.last_refusal, last_refusal_s=self.last_refusal_s,
        )

    def _intent(self, now: float) -> Intent:
        lc = self.lane_change
        kind = IntentKind.KEEP_LANE
        if lc is not None and not lc.returning and lc.phase in (LaneChangePhase.PREPARE, LaneChangePhase.EXECUTE):
            kind = IntentKind.CHANGE_LEFT if lc.direction > 0 else IntentKind.CHANGE_RIGHT
        text = {IntentKind.KEEP_LANE: "keep lane", IntentKind.CHANGE_LEFT: "change lane left",
                IntentKind.CHANGE_RIGHT: "change lane right"}[kind]
        if self.fork_preference != ForkPreference.DEFAULT:
            text += f", at forks take the {self.fork_preference.name.lower()} branch"
        return Intent(stamp_s=now, intent=kind, fork_preference=self.fork_preference, text=text)


def _path_reaches(perception: Perception, x_m: float) -> bool:
    """Whether the model's path points reach `x_m` ahead (beyond them it only runs on parallel to the lane)."""
    x = np.asarray(perception.path_x_m, dtype=float).reshape(-1)
    return bool(x.size and np.isfinite(x[-1]) and x[-1] >= x_m)
