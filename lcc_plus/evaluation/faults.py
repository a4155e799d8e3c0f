"""Fault injection between the world and the policy, and how each fault ended.

A fault starts at `start_s` and (except the steering override, which lasts
`override_s`) stays until the run ends, like a sensor or a node that died:
- model_dropout: the driving model (or the ground-truth perception standing in for
  it) stops producing output;
- frozen_camera: the camera repeats its last frame with its old stamp, so every
  perception derived from it is frozen too;
- nan_ego: the vehicle state reports NaN speed and yaw rate;
- stale_state: the vehicle state stops updating (same values, same stamp);
- driver_override: the driver applies steering torque above the override threshold.
The outcome is "mrm" when the gated command became a minimal-risk or emergency
stop, "takeover" when a takeover was demanded or the system yielded control to the
driver, "none" when the run ended (`observe_s` after the start) with the system still
driving as if nothing happened.
"""
from __future__ import annotations

import dataclasses
import math

from lcc_plus.common.types import Command, CommandSource, TakeoverDemand, TakeoverLevel

FAULT_KINDS = ("model_dropout", "frozen_camera", "nan_ego", "stale_state", "driver_override")


class FaultInjector:
    """Rewrites observations for one fault kind and watches the system's answer."""

    def __init__(self, kind: str, start_s: float, override_s: float, override_torque_nm: float,
                 observe_s: float = math.inf):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        self.kind, self.start_s = kind, start_s
        self.override_s, self.torque_nm = override_s, override_torque_nm
        self.end_s = start_s + observe_s  # the run stops here: the answer has been seen by then
        self.started = False
        self.outcome = "none"
        self.outcome_t_s: float | None = None
        self._held = None  # the frozen observation parts
        self._settled = False

    def active(self, t_s: float) -> bool:
        if self.kind == "driver_override":
            return self.start_s <= t_s < self.start_s + self.override_s
        return t_s >= self.start_s

    def drop_perception(self, t_s: float) -> bool:
        return self.kind == "model_dropout" and self.active(t_s)

    def image_stamp_s(self, t_s: float) -> float:
        """Stamp of the camera frame the system gets at t_s (the frozen frame's while frozen)."""
        if self.kind == "frozen_camera" and self._held is not None and self.active(t_s):
            return self._held[2]
        return t_s

    def apply(self, obs):
        """The observation as the faulty system sees it."""
        t = obs.stamp_s
        if not self.active(t):
            return obs
        self.started = True
        if self.kind == "frozen_camera":
            if self._held is None:
                self._held = (obs.image_rgb, obs.gt, obs.stamp_s)
            image, gt, _ = self._held
            return dataclasses.replace(obs, image_rgb=image, gt=gt)
        if self.kind == "nan_ego":
            return dataclasses.replace(obs, ego=dataclasses.replace(obs.ego, speed_mps=math.nan,
                                                                     yaw_rate_radps=math.nan))
        if self.kind == "stale_state":
            if self._held is None:
                self._held = obs.ego
            return dataclasses.replace(obs, ego=self._held)
        if self.kind == "driver_override":
            return dataclasses.replace(obs, driver=dataclasses.replace(obs.driver, steering_torque_nm=self.torque_nm))
        return obs  # model_dropout acts inside the policy (drop_perception)

    def observe_answer(self, t_s: float, command: Command, takeover: TakeoverDemand, driver_in_control: bool) -> None:
        """Record the system's answer after the fault started: a takeover (demand raised, control
        yielded or taken by the driver) or an MRM; an MRM outranks an earlier demand, but only while
        the system still drives (once the driver holds the wheel the answer is settled)."""
        if not self.started or self.outcome == "mrm" or self._settled:
            return
        system_driving = command.engaged and not driver_in_control
        if system_driving and CommandSource(command.source) in (CommandSource.MRM, CommandSource.EMERGENCY):
            self.outcome, self.outcome_t_s = "mrm", t_s
        elif self.outcome == "none" and (takeover.level >= TakeoverLevel.VISUAL or driver_in_control
                                         or not command.engaged):
            self.outcome, self.outcome_t_s = "takeover", t_s
        self._settled = driver_in_control
