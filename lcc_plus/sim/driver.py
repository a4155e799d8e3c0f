"""The human in the driver's seat: lever requests, takeovers, overrides, inattention,
and the attentive safety driver who intervenes when the car does something unsafe.

Who drives: the driver model drives whenever it holds control (`in_control`) or
the system is not engaged. It takes control when (a) it answers a takeover request
(after `reaction_s`, later if it was inattentive) — a system-requested takeover —
or (b) it intervenes because time-to-collision is below `intervene_ttc_s` (or stopping in time
would take more than `intervene_decel_mps2`), the car
is about to leave the road, or the motion is harsh — a driver-forced takeover; or (c) the car
has stood engaged for `stuck_s` where the driver's own plan would drive off (a driver-forced
takeover too: a car that waits for nothing is handed to the driver, not counted as driving). It
drives itself for `manual_drive_s`, then hands back with the engage button. While
driving it follows the ground-truth driving line (pure pursuit) and speed plan.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lcc_plus.common import params
from lcc_plus.common.params import spec
from lcc_plus.common.types import DriverControls, IntentKind, Lever, TakeoverDemand, TakeoverLevel, TurnSignal


@dataclass(frozen=True)
class DriverParams:
    reaction_s: float = spec("time to answer a takeover request when attentive", unit="s", min=0.2, max=10.0)
    intervene_reaction_s: float = spec("time from noticing danger to taking the wheel", unit="s",
                                       min=0.0, max=2.0)
    manual_drive_s: float = spec("how long the driver drives before handing back", unit="s", min=1.0, max=120.0)
    intervene_ttc_s: float = spec("intervene when time-to-collision drops below", unit="s", min=0.3, max=5.0)
    intervene_decel_mps2: float = spec("intervene when stopping short of the object ahead needs more braking "
                                       "than this", unit="m/s^2", min=1.0, max=10.0)
    intervene_edge_margin_m: float = spec("intervene when the body will be this close to a road edge",
                                          unit="m", min=-0.5, max=1.0)
    intervene_lookahead_s: float = spec("how far ahead the driver extrapolates the lateral drift",
                                        unit="s", min=0.1, max=2.0)
    harsh_lat_accel_mps2: float = spec("lateral acceleration the driver finds harsh", unit="m/s^2",
                                       min=1.0, max=10.0)
    harsh_decel_mps2: float = spec("braking the driver finds harsh (positive)", unit="m/s^2", min=1.0, max=10.0)
    stuck_speed_mps: float = spec("below this the car is standing (or creeping) for the stuck check",
                                  unit="m/s", min=0.1, max=3.0)
    stuck_s: float = spec("standing this long where the driver's own plan drives off, the driver takes over",
                          unit="s", min=5.0, max=120.0)
    stuck_go_mps: float = spec("the driver's own plan drives off when it reaches this speed within its horizon",
                               unit="m/s", min=0.5, max=10.0)
    lever_hold_s: float = spec("how long the lever is held for a request", unit="s", min=0.05, max=3.0)
    override_torque_nm: float = spec("torque of a deliberate steering override", unit="N m", min=0.5, max=10.0)
    torque_gain_nmprad: float = spec("hands-on torque per rad of steering disagreement", unit="N m/rad",
                                     min=0.0, max=200.0)
    overtake_speed_deficit_mps: float = spec("ask for an overtake when the lead is this much slower",
                                             unit="m/s", min=0.5, max=20.0)
    overtake_gap_m: float = spec("... and closer than this", unit="m", min=10.0, max=200.0)
    overtake_cooldown_s: float = spec("minimum time between overtake requests", unit="s", min=1.0, max=120.0)
    lookahead_time_s: float = spec("pure-pursuit look-ahead time", unit="s", min=0.3, max=3.0)
    lookahead_min_m: float = spec("pure-pursuit minimum look-ahead", unit="m", min=2.0, max=20.0)

    @classmethod
    def from_config(cls, overrides: dict | None = None) -> DriverParams:
        return params.load(cls, "sim.yaml", "sim_driver", overrides)


@dataclass(frozen=True)
class DriverScript:
    """What the scenario makes the driver do, on top of the reactive behaviour."""

    lever: tuple[tuple[float, int], ...] = ()          # (t_s, +1 left / -1 right)
    inattentive: tuple[tuple[float, float], ...] = ()  # (t_start_s, t_end_s): hands off, eyes off
    overrides: tuple[tuple[float, float, float], ...] = ()  # (t0_s, t1_s, lateral shift m, + left)
    overtake_requests: bool = False                     # pull the lever behind slow leads
    engage_at_s: float = 0.5


@dataclass
class TakeoverRecord:
    t_s: float
    kind: str        # system_requested | driver_forced
    reason: str


@dataclass
class DriverModel:
    p: DriverParams
    script: DriverScript
    in_control: bool = False
    lever: Lever = Lever.NONE
    _lever_until_s: float = -1.0
    _answer_at_s: float | None = None
    _hand_back_at_s: float = math.inf
    _engage_until_s: float = -1.0
    _cancel_until_s: float = -1.0
    _danger_since_s: float | None = None
    _standing_since_s: float | None = None
    _last_overtake_s: float = -math.inf
    _script_lever_done: set = field(default_factory=set)
    takeovers: list[TakeoverRecord] = field(default_factory=list)
    manual_intent: IntentKind = IntentKind.KEEP_LANE

    def attentive(self, t_s: float) -> bool:
        return not any(a <= t_s < b for a, b in self.script.inattentive)

    def override_shift(self, t_s: float) -> float | None:
        for a, b, shift in self.script.overrides:
            if a <= t_s < b:
                return shift
        return None

    def update(self, t_s: float, world, takeover: TakeoverDemand, system_engaged: bool) -> None:
        """React to the world at t_s: lever, takeover answers, interventions, hand-back."""
        if self.lever != Lever.NONE and t_s >= self._lever_until_s:
            self.lever = Lever.NONE
        for i, (t_lever, direction) in enumerate(self.script.lever):
            if i not in self._script_lever_done and t_s >= t_lever:
                self._script_lever_done.add(i)
                self._pull(t_s, direction)
        if not self.in_control and system_engaged:
            if self.script.overtake_requests:
                self._maybe_overtake(t_s, world)
            self._answer(t_s, takeover)
            self._supervise(t_s, world)
        else:
            self._standing_since_s = None
        if self.in_control and t_s >= self._hand_back_at_s and world.calm():
            self.in_control = False
            self._engage_until_s = t_s + 0.5
            self._hand_back_at_s = math.inf
        if not self.in_control and not system_engaged and t_s >= self.script.engage_at_s \
                and self._engage_until_s < t_s - 2.0:
            self._engage_until_s = t_s + 0.5  # press the button (again) until the system engages

    def _pull(self, t_s: float, direction: int) -> None:
        self.lever = Lever.LEFT if direction > 0 else Lever.RIGHT
        self._lever_until_s = t_s + self.p.lever_hold_s

    def _take(self, t_s: float, kind: str, reason: str) -> None:
        # A person taking over also presses cancel, so the system knows it no longer drives
        # (without it the takeover demand would run on into an MRM under the driver's hands).
        self.in_control = True
        self._cancel_until_s = t_s + 0.5
        self._answer_at_s = None
        self._danger_since_s = None
        self._standing_since_s = None
        self._hand_back_at_s = t_s + self.p.manual_drive_s
        self.takeovers.append(TakeoverRecord(t_s, kind, reason))

    def _answer(self, t_s: float, takeover: TakeoverDemand) -> None:
        if takeover.level == TakeoverLevel.NONE:
            self._answer_at_s = None
            return
        if self._answer_at_s is None:
            ends = [b for a, b in self.script.inattentive if a <= t_s < b]
            self._answer_at_s = max([t_s] + ends) + self.p.reaction_s
        if t_s >= self._answer_at_s:
            self._take(t_s, "system_requested", takeover.reason or TakeoverLevel(takeover.level).name.lower())

    def _supervise(self, t_s: float, world) -> None:
        reason = self.danger(world)
        if reason is None:
            self._danger_since_s = None
            stuck = self._stuck(t_s, world)
            if stuck is not None:
                self._take(t_s, "driver_forced", stuck)
            return
        if self._danger_since_s is None:
            self._danger_since_s = t_s
        if t_s - self._danger_since_s >= self.p.intervene_reaction_s:
            self._take(t_s, "driver_forced", reason)

    def danger(self, world) -> str | None:
        """Why a safety driver would grab the wheel now, or None."""
        p = self.p
        st = world.vehicle.state
        if world.ttc_s < p.intervene_ttc_s:
            return f"ttc {world.ttc_s:.1f} s"
        needed = world.required_decel_mps2()
        if needed > p.intervene_decel_mps2:
            return f"ttc {world.ttc_s:.1f} s, needs {needed:.1f} m/s^2 braking"
        margin = world.edge_margin_m(p.intervene_lookahead_s)
        if margin < p.intervene_edge_margin_m:
            return f"leaving the road ({margin:.2f} m to the edge)"
        if abs(st.lat_accel_mps2) > p.harsh_lat_accel_mps2:
            return f"harsh lateral acceleration {st.lat_accel_mps2:.1f} m/s^2"
        if st.accel_mps2 < -p.harsh_decel_mps2:
            return f"harsh braking {st.accel_mps2:.1f} m/s^2"
        return None

    def _stuck(self, t_s: float, world) -> str | None:
        """Why the driver takes over a car that stands for nothing, or None.

        Standing for `stuck_s` is when the driver looks: if its own plan from here (the ground
        truth's, as it drives when in control) drives off, the road is free and the wait is the
        system's. Behind a stopped car it cannot pass, or an oncoming one it waits for, the plan
        stands too."""
        p = self.p
        speed_mps = world.vehicle.state.speed_mps
        if speed_mps >= p.stuck_speed_mps:
            self._standing_since_s = None
            return None
        if self._standing_since_s is None:
            self._standing_since_s = t_s
        standing_s = t_s - self._standing_since_s
        if standing_s < p.stuck_s:
            return None
        go_mps = float(np.max(world.plan().speed_mps))
        if go_mps < p.stuck_go_mps:
            return None
        return f"stuck: {speed_mps:.1f} m/s for {standing_s:.0f} s where the driver would drive off ({go_mps:.1f} m/s)"

    def _maybe_overtake(self, t_s: float, world) -> None:
        if t_s - self._last_overtake_s < self.p.overtake_cooldown_s or world.lane_change is not None:
            return
        direction = world.overtake_direction(self.p.overtake_speed_deficit_mps, self.p.overtake_gap_m)
        if direction:
            self._last_overtake_s = t_s
            self._pull(t_s, direction)

    def controls(self, t_s: float, world, system_steer_rad: float) -> DriverControls:
        """DriverControls as the vehicle's sensors see them at t_s."""
        attentive = self.attentive(t_s)
        torque = 0.0
        if self.in_control or self.override_shift(t_s) is not None:
            steer, _, _ = self.command(world, t_s)
            torque = float(np.clip(self.p.torque_gain_nmprad * (steer - system_steer_rad),
                                   -self.p.override_torque_nm, self.p.override_torque_nm))
            if self.override_shift(t_s) is not None and abs(torque) < self.p.override_torque_nm:
                torque = math.copysign(self.p.override_torque_nm, self.override_shift(t_s) or torque or 1.0)
        return DriverControls(stamp_s=t_s, lever=self.lever, steering_torque_nm=torque,
                              hands_on=attentive or self.in_control, eyes_on_road=attentive,
                              engage_request=t_s < self._engage_until_s,
                              disengage_request=t_s < self._cancel_until_s,
                              set_speed_mps=world.allowed_speed_mps())

    def command(self, world, t_s: float) -> tuple[float, float, TurnSignal]:
        """The driver's own steering (rad), acceleration (m/s^2) and indicator."""
        overriding = not self.in_control and world.system_engaged
        self.manual_intent = IntentKind.KEEP_LANE if overriding else world.manual_lane_change_intent(
            self.p.overtake_speed_deficit_mps, self.p.overtake_gap_m)
        plan = world.plan(self.manual_intent)
        st, vp = world.vehicle.state, world.vp
        look = max(self.p.lookahead_min_m, self.p.lookahead_time_s * st.speed_mps)
        s_t = plan.s0_m + look
        shift = self.override_shift(t_s) or 0.0
        target = plan.line.xy_at(s_t, float(np.interp(s_t, plan.line.s, plan.offset_m)) + shift)
        dx, dy = target[0] - st.x_m, target[1] - st.y_m
        y_local = -math.sin(st.yaw_rad) * dx + math.cos(st.yaw_rad) * dy
        dist2 = max(dx * dx + dy * dy, 1.0)
        kappa = 2.0 * y_local / dist2
        steer = math.atan(vp.wheelbase_m * kappa)
        dt = plan.t_s[1] - plan.t_s[0]
        accel = (plan.speed_mps[1] - plan.speed_mps[0]) / dt
        signal = {IntentKind.CHANGE_LEFT: TurnSignal.LEFT, IntentKind.CHANGE_RIGHT: TurnSignal.RIGHT}.get(
            plan.intent, TurnSignal.OFF)
        if world.in_oncoming_lane():
            signal = TurnSignal.RIGHT  # the way back from the oncoming lane is a lane change
        return steer, accel, signal
