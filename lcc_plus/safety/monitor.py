"""The safety monitor core: admits inputs, runs the checks, gates the planner's command and
escalates, producing one safe command every tick.

Time: the on_* calls and tick() receive `now_s` on one clock (ROS or sim time). Message
stamps are compared with it; everything that measures durations (watchdog ages, timers,
escalation) runs on an internal monotonic clock that advances with `now_s` but takes a
jump of the clock (backwards, or forwards by more than clock_jump_forward_s) as one
nominal tick, and reports the jump as a check.

Engagement: the monitor arms on a rising edge of DriverControls.engage_request when no
fault is active and, after a disengagement, only once the driver took over (brake,
cancel, steering) or the vehicle stands still. While armed it passes the planner's
command through the gate when the planner says it is engaged. A driver takeover disarms
it; steering torque above the threshold yields at once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import IntEnum

from lcc_plus.common.types import (
    LINE_EGO_LEFT,
    LINE_EGO_RIGHT,
    Check,
    Command,
    CommandSource,
    DriverControls,
    EgoState,
    Lead,
    ModeStatus,
    Perception,
    RearSensing,
    SafetyLevel,
    SafetyReport,
    Severity,
    TakeoverDemand,
    TakeoverLevel,
)
from lcc_plus.common.types import Mode as PlannerMode
from lcc_plus.safety import validation
from lcc_plus.safety.checks import (
    LeadRange,
    Sustained,
    corridor_lines,
    lead_beside,
    predicted_lane_clearance_m,
    rss_check,
    ttc_check,
)
from lcc_plus.safety.escalation import AttentionTimer, Stage, TransitionDemand, most_severe
from lcc_plus.safety.gate import CommandGate
from lcc_plus.safety.limits import LimitTable
from lcc_plus.safety.mrm import PathHold, decel_ramp_mps2, lane_path, stopping_command
from lcc_plus.safety.params import SafetyParams
from lcc_plus.safety.watchdog import Watchdog

# Input topics: (params field of the expected period, severity when stale or missing, whether
# the planner's command can no longer be trusted while it is stale -> hold the lane and slow).
TOPICS = {
    "vehicle_state": ("period_vehicle_state_s", Severity.CRITICAL, False),
    "driver_input": ("period_driver_s", Severity.NONCRITICAL, False),
    "vla_action": ("period_perception_s", Severity.NONCRITICAL, True),
    "image": ("period_image_s", Severity.NONCRITICAL, True),
    "command": ("period_command_s", Severity.NONCRITICAL, True),
    "rear_objects": ("period_rear_s", Severity.INFO, False),
    "mode": ("period_mode_s", Severity.INFO, False),
}

ATTENTION = ("hands_off_s", "eyes_off_s")

# diagnostic_msgs/DiagnosticStatus levels.
DIAG_OK, DIAG_WARN, DIAG_ERROR, DIAG_STALE = 0, 1, 2, 3


class Latch(IntEnum):
    """Manoeuvre the monitor has taken over with; ends only through the driver."""

    NONE = 0
    MRM = 1
    EMERGENCY = 2


@dataclass
class MonitorOutput:
    command: Command
    report: SafetyReport
    takeover: TakeoverDemand
    diagnostics: list[tuple[str, int, str, dict[str, str]]] = field(default_factory=list)


class SafetyMonitor:
    """See the module docstring; one instance per vehicle, driven by the node or the simulator."""

    def __init__(self, params: SafetyParams):
        self.p = params
        self._t: float | None = None          # internal monotonic clock [s]
        self._now_s: float | None = None      # last clock reading given [s]
        self._clock_events: dict[str, tuple[float, float]] = {}  # check name -> (jump size, internal time)
        self.watchdog = Watchdog(0.0, params.rejected_window_s, params.rejected_max_per_window)
        for name, (period, severity, _) in TOPICS.items():
            self.watchdog.add(name, getattr(params, period), params.stale_periods, params.stale_min_s, severity)
        self.gate = CommandGate(LimitTable(params), params.wheelbase_m)
        self.hold = PathHold(params.wheelbase_m, params.hold_lookahead_s, params.hold_lookahead_min_m)
        self.demand = TransitionDemand(params.takeover_audible_s, params.takeover_mrm_s)
        self.hands_off = AttentionTimer("hands off", params.hands_off_visual_s, params.hands_off_audible_s,
                                        params.hands_off_mrm_s)
        self.eyes_off = AttentionTimer("eyes off", params.eyes_off_visual_s, params.eyes_off_audible_s,
                                       params.eyes_off_mrm_s)
        self._low_confidence = Sustained(params.confidence_debounce_s)
        self._departure = Sustained(params.lane_departure_debounce_s)
        self._excessive = Sustained(params.excessive_actuation_s)
        self._lead_range = LeadRange(params.lead_range_window_s, params.lead_range_fraction)

        self.ego: EgoState | None = None
        self.driver: DriverControls | None = None
        self.perception: Perception | None = None
        self.rear: RearSensing | None = None
        self.mode: ModeStatus | None = None
        self.proposed: Command | None = None

        self.armed = False
        self.latch = Latch.NONE
        self._latch_reason = ""
        self._took_over = True                # the driver is in control: the first engagement needs no takeover
        self._engage_edge = False
        self._disengage_edge = False
        self._override_until_t = -math.inf
        self._refusal = ""
        self._speed_mps = 0.0                 # ego speed, dead-reckoned on the command while the state is stale
        self._last_tick_t: float | None = None
        self._out = Command()
        self._sequence = 0

    # ------------------------------------------------------------------ time
    def _clock(self, now_s: float) -> float:
        """Advance the internal clock to now_s; a jump counts as one nominal tick."""
        nominal = 1.0 / self.p.rate_hz
        if not math.isfinite(now_s):
            self._clock_events["clock_nonfinite"] = (1.0, self._t or 0.0)
            return self._t or 0.0
        if self._t is None:
            self._t = 0.0
        else:
            delta = now_s - self._now_s
            if delta < 0.0:
                self._t += nominal
                self._clock_events["clock_backwards_s"] = (-delta, self._t)
                self.watchdog.forget_stamps()
            elif delta > self.p.clock_jump_forward_s:
                self._t += nominal
                self._clock_events["clock_forward_jump_s"] = (delta, self._t)
            else:
                self._t += delta
        self._now_s = now_s
        return self._t

    # ------------------------------------------------------------------ inputs
    def _admit(self, topic: str, stamp, check, now_s: float) -> bool:
        """Run the content check `check()` and the stamp check on `stamp()`; count a rejection.
        Both are callables so that even a message of the wrong type is counted, not raised."""
        t = self._clock(now_s)
        try:
            stamp_s = float(stamp())
            reason = check() or validation.check_stamp(stamp_s, self.watchdog.topics[topic].last_stamp_s, now_s,
                                                       self.p)
        except Exception as err:  # a malformed object must be counted, not crash the monitor
            reason = f"malformed:{type(err).__name__}"
        if reason:
            self.watchdog.reject(topic, reason, t)
            return False
        self.watchdog.accept(topic, stamp_s, t)
        return True

    def reject(self, topic: str, reason: str, now_s: float) -> None:
        """Count a message the caller could not even convert (the node's msg -> dataclass step)."""
        self.watchdog.reject(topic, reason, self._clock(now_s))

    def on_vehicle_state(self, ego: EgoState, now_s: float) -> None:
        if self._admit("vehicle_state", lambda: ego.stamp_s, lambda: validation.check_ego(ego, self.p), now_s):
            self.ego = ego

    def on_driver(self, driver: DriverControls, now_s: float) -> None:
        if not self._admit("driver_input", lambda: driver.stamp_s, lambda: validation.check_driver(driver, self.p), now_s):
            return
        prev = self.driver
        # Edges are latched per message so a press shorter than a tick is not lost.
        self._engage_edge |= bool(driver.engage_request) and not (prev is not None and prev.engage_request)
        self._disengage_edge |= bool(driver.disengage_request) and not (prev is not None and prev.disengage_request)
        self.driver = driver

    def on_perception(self, perception: Perception, now_s: float) -> None:
        if not self._admit("vla_action", lambda: perception.stamp_s,
                           lambda: validation.check_perception(perception, self.p), now_s):
            return
        self.perception = perception
        # The model's lead whether passed beside or not: one that drifts from beside to ahead is
        # the same car, and its range says whether it closes.
        lead = perception.lead
        ahead_m = lead.distance_m if lead.probability >= self.p.lead_min_probability else None
        self._lead_range.record(perception.stamp_s, ahead_m)
        if perception.confidence >= self.p.min_confidence:
            path = lane_path(perception, self.p.lane_line_min_probability)
            if path is not None:
                self.hold.set_path(*path)

    def on_image(self, stamp_s: float, width_px: int, height_px: int, encoding: str, now_s: float) -> None:
        self._admit("image", lambda: stamp_s, lambda: validation.check_image(width_px, height_px, encoding, self.p), now_s)

    def on_rear(self, rear: RearSensing, now_s: float) -> None:
        if self._admit("rear_objects", lambda: rear.stamp_s, lambda: validation.check_rear(rear, self.p), now_s):
            self.rear = rear

    def on_mode(self, status: ModeStatus, now_s: float) -> None:
        if self._admit("mode", lambda: status.stamp_s, lambda: validation.check_mode(status.mode), now_s):
            self.mode = status

    def on_command(self, proposed: Command, now_s: float) -> None:
        if self._admit("command", lambda: proposed.stamp_s, lambda: validation.check_command(proposed, self.p), now_s):
            self.proposed = proposed

    # ------------------------------------------------------------------ checks
    def _fresh(self, topic: str, t: float) -> bool:
        return not self.watchdog.is_stale(topic, t)

    def _demanding(self, t: float) -> bool:
        """A takeover demand, an attention warning or a manoeuvre of ours is under way."""
        return self.demand.active or self.latch != Latch.NONE or \
            most_severe(self.hands_off.stage(t), self.eyes_off.stage(t)).level > TakeoverLevel.NONE

    def _engaged(self, t: float, planner_engaged: bool) -> bool:
        """In control: armed, and the planner engaged or a demand of ours under way (the monitor
        keeps the car until the driver takes it)."""
        return self.armed and (planner_engaged or self._demanding(t))

    def _dead_reckon(self, t: float, dt: float) -> float:
        """Ego speed (measured, or integrated from our own command while the state is stale);
        moves the held path's ego pose."""
        if self._fresh("vehicle_state", t):
            self._speed_mps, yaw_rate = self.ego.speed_mps, self.ego.yaw_rate_radps
        else:
            self._speed_mps = max(0.0, self._speed_mps + self._out.accel_mps2 * dt)
            yaw_rate = self._speed_mps * math.tan(self._out.steering_angle_rad) / self.p.wheelbase_m
        self.hold.advance(self._speed_mps, yaw_rate, dt)
        return self._speed_mps

    def _situation_checks(self, t: float, speed_mps: float, candidate: tuple[Command, list[Check]] | None,
                          planner_engaged: bool) -> list[Check]:
        p, out = self.p, []
        absolute = candidate is not None and any(
            c.active for c in candidate[1] if c.name in ("filter:steer_angle_rad", "filter:lat_accel_mps2"))
        excessive = self._excessive.update(absolute and planner_engaged, t)
        out.append(Check("excessive_actuation_s", self._excessive.held_s(t), p.excessive_actuation_s, excessive,
                         Severity.NONCRITICAL))
        for name, (size, at) in self._clock_events.items():
            out.append(Check(name, size, p.clock_jump_forward_s if "forward" in name else 0.0,
                             t - at <= p.rejected_window_s, Severity.NONCRITICAL))
        q = self.perception if self._fresh("vla_action", t) else None
        conf = q.confidence if q is not None else math.nan
        low = self._low_confidence.update(q is not None and conf < p.min_confidence, t)
        out.append(Check("model_confidence", conf, p.min_confidence, low, Severity.NONCRITICAL))
        lead = q.lead if q is not None else Lead()  # no fresh perception: no lead to judge
        if q is not None and lead_beside(lead, q.lane_lines[LINE_EGO_LEFT], q.lane_lines[LINE_EGO_RIGHT],
                                         p.vehicle_width_m, p.lead_width_m, p.lead_beside_margin_m,
                                         p.lane_line_min_probability):
            lead = Lead()  # being passed beside: no gap to close
        ttc = ttc_check(lead, p.lead_min_probability, p.ttc_emergency_s)
        seen = self._lead_range.closing_mps()
        confirmed = self._lead_range.confirms(-lead.relative_speed_mps)
        out.append(replace(ttc, active=ttc.active and confirmed))
        # Why a TTC under the limit did not brake: the range the model gave did not shrink with it.
        out.append(Check("lead_range_closing_mps", math.nan if seen is None else seen,
                         -p.lead_range_fraction * lead.relative_speed_mps, ttc.active and not confirmed))
        out.append(rss_check(lead, speed_mps, p.lead_min_probability, p.rss_response_time_s,
                             p.rss_accel_max_mps2, p.rss_brake_min_mps2, p.rss_brake_max_mps2))
        clearance = math.inf
        if q is not None and candidate is not None:
            left, right = corridor_lines(q.lane_lines, self._lane_change_side())
            clearance = predicted_lane_clearance_m(
                left, right, speed_mps, candidate[0].steering_angle_rad, p.wheelbase_m, p.vehicle_width_m,
                p.lane_departure_horizon_s, p.lane_line_min_probability)
        departing = self._departure.update(clearance < -p.lane_departure_margin_m, t)
        out.append(Check("lane_departure_clearance_m", clearance, -p.lane_departure_margin_m, departing,
                         Severity.NONCRITICAL))
        # The planner's own takeover request (blocked lane it cannot pass, lane lost) must reach the
        # driver through the one HMI channel, the monitor's demand.
        m = self.mode if self._fresh("mode", t) else None
        asking = m is not None and m.mode == PlannerMode.TAKEOVER_REQUESTED
        out.append(Check(PLANNER_REQUEST, 1.0 if asking else 0.0, 0.0, asking, Severity.NONCRITICAL))
        d = self.driver if self._fresh("driver_input", t) else None
        out.append(Check("driver_torque_nm", abs(d.steering_torque_nm) if d else math.nan, p.override_torque_nm,
                         t < self._override_until_t, Severity.INFO))
        out.append(Check("hands_off_s", self.hands_off.held_s(t), p.hands_off_visual_s,
                         self.hands_off.stage(t).level > TakeoverLevel.NONE, Severity.NONCRITICAL))
        out.append(Check("eyes_off_s", self.eyes_off.held_s(t), p.eyes_off_visual_s,
                         self.eyes_off.stage(t).level > TakeoverLevel.NONE, Severity.NONCRITICAL))
        return out

    def _lane_change_side(self) -> int:
        """+1 / -1 while a lane change to that side is under way, else 0."""
        m = self.mode
        if m is not None and m.mode == PlannerMode.LANE_CHANGE:
            return int(m.lane_change_direction)
        return 0

    # ------------------------------------------------------------------ tick
    def tick(self, now_s: float) -> MonitorOutput:
        p = self.p
        t = self._clock(now_s)
        dt = 1.0 / p.rate_hz if self._last_tick_t is None else t - self._last_tick_t
        self._last_tick_t = t
        now = now_s if math.isfinite(now_s) else self._out.stamp_s

        speed = self._dead_reckon(t, dt)
        standstill = speed <= p.standstill_speed_mps

        driver = self.driver if self._fresh("driver_input", t) else None
        override = driver is not None and abs(driver.steering_torque_nm) > p.override_torque_nm
        if override:
            self._override_until_t = t + p.override_release_s
        engage_edge, disengage_edge = self._engage_edge, self._disengage_edge
        self._engage_edge = self._disengage_edge = False

        planner_engaged = self.proposed is not None and self.proposed.engaged
        engaged = self._engaged(t, planner_engaged)
        attentive_needed = engaged and driver is not None
        self.hands_off.update(attentive_needed and not driver.hands_on, t)
        self.eyes_off.update(attentive_needed and not driver.eyes_on_road, t)

        # The planner's command through the gate, as a candidate for the checks (gate state untouched).
        candidate = self.gate.filter(self.proposed, speed, dt, commit=False) if self.proposed is not None else None
        checks = self.watchdog.checks(t) + self._situation_checks(t, speed, candidate, planner_engaged)
        failing = [c for c in checks if c.active]

        engaged = self._driver_actions(t, engaged, planner_engaged, failing, driver, override, standstill,
                                       speed, engage_edge, disengage_edge)
        stage = self._escalate(t, engaged, failing)
        cmd, source_checks, veto = self._command(now, t, dt, speed, engaged, planner_engaged)
        checks += source_checks
        self._out = cmd

        report, takeover = self._report(now, t, checks, stage, veto, engaged)
        diagnostics = self._diagnostics(t, report, cmd)
        return MonitorOutput(cmd, report, takeover, diagnostics)

    def _driver_actions(self, t: float, engaged: bool, planner_engaged: bool, failing: list[Check],
                        driver: DriverControls | None, override: bool, standstill: bool, speed: float,
                        engage_edge: bool, disengage_edge: bool) -> bool:
        """Takeover (brake, cancel, or steering while a demand or manoeuvre is under way) disarms;
        an engage press arms when allowed. Returns whether the system is engaged now."""
        brake = driver is not None and driver.brake_pedal > self.p.brake_pedal_takeover
        if self.armed and (brake or disengage_edge or (override and self._demanding(t))):
            self._disarm(f"driver took over ({'brake' if brake else 'cancel' if disengage_edge else 'steering'})")
            engaged = False
        if not self.armed and (override or brake or disengage_edge):
            self._took_over = True
        if engage_edge and (not self.armed or self.demand.active or self.latch != Latch.NONE):
            self._try_arm(failing, standstill, speed)
            engaged = self._engaged(t, planner_engaged)
        return engaged

    def _escalate(self, t: float, engaged: bool, failing: list[Check]) -> Stage:
        """Failing checks raise the demand or latch a manoeuvre (only while engaged); the stage now."""
        def first(severity: Severity) -> Check | None:
            # The attention timers escalate on their own clock, not through the demand.
            return next((c for c in failing if c.severity == severity and c.name not in ATTENTION), None)

        if engaged:
            imminent, critical, noncritical = (first(s) for s in
                                               (Severity.IMMINENT, Severity.CRITICAL, Severity.NONCRITICAL))
            if imminent is not None and self.latch != Latch.EMERGENCY:
                self._set_latch(Latch.EMERGENCY, f"{imminent.name}={imminent.value:.3g} < {imminent.limit:.3g}")
            if critical is not None and self.latch == Latch.NONE:
                self._set_latch(Latch.MRM, _describe(critical))
            if noncritical is not None:
                planner = noncritical.name == PLANNER_REQUEST and self.mode is not None
                self.demand.raise_(f"planner: {self.mode.reason}" if planner else _describe(noncritical), t)
        stage = most_severe(self.demand.stage(t), self.hands_off.stage(t), self.eyes_off.stage(t))
        if engaged and stage.level == TakeoverLevel.MRM and self.latch == Latch.NONE:
            self._set_latch(Latch.MRM, stage.reason)
        return stage

    def _command(self, now: float, t: float, dt: float, speed: float, engaged: bool,
                 planner_engaged: bool) -> tuple[Command, list[Check], str]:
        """The command of this tick, the gate's checks and the veto reason ('' when none)."""
        silent = [n for n, (_, _, hold) in TOPICS.items() if hold and self.watchdog.is_stale(n, t)]
        if not engaged:
            veto = f"not engaged: {self._refusal or 'waiting for the driver to engage'}" \
                if planner_engaged and not self.armed else ""
            return self._idle(now), [], veto
        if t < self._override_until_t:
            return self._idle(now), [], "driver override: steering torque above threshold"
        if self.latch == Latch.EMERGENCY:
            return *self._stop(now, dt, speed, CommandSource.EMERGENCY), f"emergency stop: {self._latch_reason}"
        if self.latch == Latch.MRM:
            return *self._stop(now, dt, speed, CommandSource.MRM), f"minimal-risk manoeuvre: {self._latch_reason}"
        if silent or not planner_engaged:
            why = f"stale {', '.join(silent)}" if silent else "planner disengaged during a takeover demand"
            return *self._stop(now, dt, speed, CommandSource.HOLD), f"hold lane and slow: {why}"
        cmd, checks = self.gate.filter(replace(self.proposed, stamp_s=now, engaged=True,
                                               source=CommandSource.PLANNER), speed, dt)
        return cmd, checks, ""

    # ------------------------------------------------------------------ helpers
    def _try_arm(self, failing: list[Check], standstill: bool, speed: float) -> None:
        blocking = [c for c in failing if c.severity >= Severity.NONCRITICAL]
        if self.latch != Latch.NONE and not standstill:
            self._refusal = f"engage refused: {self.latch.name} under way, take over or wait for standstill"
        elif not (self._took_over or standstill):
            self._refusal = "engage refused: take over (steer, brake or cancel) or stop first"
        elif blocking:
            self._refusal = f"engage refused: {_describe(blocking[0])}"
        else:
            self.armed, self._refusal = True, ""
            self._took_over = False
            self.latch, self._latch_reason = Latch.NONE, ""
            self.demand.clear()
            ego = self.ego
            self.gate.reset(ego.steering_angle_rad if ego else 0.0, ego.accel_x_mps2 if ego else 0.0)

    def _disarm(self, reason: str) -> None:
        self.armed = False
        self._took_over = True
        self.latch, self._latch_reason = Latch.NONE, ""
        self.demand.clear()
        self._refusal = reason

    def _set_latch(self, latch: Latch, reason: str) -> None:
        self.latch, self._latch_reason = latch, reason
        self.demand.clear()

    def _idle(self, now: float) -> Command:
        """Not engaged: the actuators must follow the driver; the gate restarts from the vehicle."""
        ego = self.ego
        steer = ego.steering_angle_rad if ego else 0.0
        self.gate.reset(steer, ego.accel_x_mps2 if ego else 0.0)
        return Command(stamp_s=now, steering_angle_rad=steer, source=CommandSource.NONE, engaged=False)

    def _stop(self, now: float, dt: float, speed: float, source: CommandSource) -> tuple[Command, list[Check]]:
        p = self.p
        steer = self.hold.steering_rad(speed)
        if steer is None:
            steer = self._out.steering_angle_rad
        decel, jerk = {CommandSource.HOLD: (p.hold_decel_mps2, p.mrm_jerk_mps3),
                       CommandSource.MRM: (p.mrm_decel_mps2, p.mrm_jerk_mps3),
                       CommandSource.EMERGENCY: (p.emergency_decel_mps2, p.emergency_jerk_mps3)}[source]
        accel = decel_ramp_mps2(self._out.accel_mps2, decel, jerk, dt)
        hazard = source != CommandSource.HOLD
        cmd = stopping_command(now, source, steer, accel, hazard)
        return self.gate.filter(cmd, speed, dt, emergency=source == CommandSource.EMERGENCY)

    def _report(self, now: float, t: float, checks: list[Check], stage: Stage, veto: str,
                engaged: bool) -> tuple[SafetyReport, TakeoverDemand]:
        if self.latch != Latch.NONE:
            stage = Stage(TakeoverLevel.MRM, self._latch_reason)
        elif not engaged:
            stage = Stage(TakeoverLevel.NONE)
        if self.latch == Latch.EMERGENCY:
            level = SafetyLevel.EMERGENCY
        elif self.latch == Latch.MRM:
            level = SafetyLevel.MRM
        elif stage.level > TakeoverLevel.NONE:
            level = SafetyLevel.TAKEOVER
        elif veto or any(c.active for c in checks):
            level = SafetyLevel.DEGRADED
        else:
            level = SafetyLevel.OK
        self._sequence += 1
        deadline = now + (stage.deadline_s - t) if stage.deadline_s else 0.0
        report = SafetyReport(stamp_s=now, level=level, checks=checks, vetoed=bool(veto), veto_reason=veto,
                              takeover_level=stage.level, sequence=self._sequence)
        return report, TakeoverDemand(stamp_s=now, level=stage.level, reason=stage.reason, deadline_s=deadline)

    def _diagnostics(self, t: float, report: SafetyReport, cmd: Command) -> list[tuple[str, int, str, dict]]:
        level = {SafetyLevel.OK: DIAG_OK, SafetyLevel.DEGRADED: DIAG_WARN}.get(report.level, DIAG_ERROR)
        failing = [c.name for c in report.checks if c.active]
        out = [("safety_monitor: status", level, report.veto_reason or (", ".join(failing) or "ok"), {
            "level": report.level.name, "takeover_level": report.takeover_level.name,
            "source": CommandSource(cmd.source).name, "engaged": str(cmd.engaged), "armed": str(self.armed),
            "sequence": str(report.sequence), "failing_checks": ", ".join(failing),
            "refusal": self._refusal})]
        for name, w in self.watchdog.topics.items():
            stale = self.watchdog.is_stale(name, t)
            recent = any(c.name == f"rejected:{name}" and c.active for c in report.checks)
            lvl = DIAG_STALE if stale else DIAG_WARN if recent else DIAG_OK
            kv = {"age_s": f"{self.watchdog.age_s(name, t):.3f}", "stale_after_s": f"{w.stale_after_s:.3f}",
                  "accepted": str(w.accepted), "rejected_total": str(w.rejected_total),
                  "last_reject_reason": w.last_reject_reason}
            kv.update({f"rejected_{reason}": str(n) for reason, n in sorted(w.rejected.items())})
            msg = "stale" if stale else "rejecting messages" if recent else "ok"
            out.append((f"safety_monitor: input {name}", lvl, msg, kv))
        return out


PLANNER_REQUEST = "planner_takeover_request"


def _describe(c: Check) -> str:
    return f"{c.name} (value {c.value:.3g}, limit {c.limit:.3g})"
