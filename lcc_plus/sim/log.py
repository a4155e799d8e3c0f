"""The world's per-step trace: what happened to the car, for the KPIs.

`WorldLog.arrays()` gives one numpy array per field below, one sample per step
(after the step). `events` and `lane_changes` list what happened in between.

Per-step fields (map frame x east, y north; SI units):
  t_s, x_m, y_m, yaw_rad (rear-axle pose), speed_mps, accel_lon_mps2,
  accel_lat_mps2, yaw_rate_radps, steer_rad (road-wheel angle), distance_m (odometer),
  lateral_error_m (rear axle to the driving line of its lane: the lane centre, or the
  keep-right line on a two-way lanelet; + left; nan off the road), lane_id (-1 off
  the road), lane_changing (a lane change is under way), engaged (the system is in
  control), driver_in_control (the driver model holds control after a takeover),
  speed_limit_mps, ttc_s (smallest time-to-collision ahead, inf if none closes in),
  marked (painted lines on both sides of the ego lane), on_road, turn_signal.

Event kinds: takeover_system (the driver answered a takeover request),
takeover_driver (the safety driver intervened), collision (at_fault: ego to blame),
lane_departure, scripted (a scenario event: detail "kind:phase:agent_id", phase
triggered | done).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LogEvent:
    t_s: float
    kind: str
    detail: str = ""
    at_fault: bool = True
    engaged: bool = True   # the system was in control at that moment


@dataclass
class LaneChangeRecord:
    """One lane change seen by the world (mirrors evaluation.trace.LaneChange).

    trigger: driver (lever) | system (indicator from the system) | manual (the driver
    model changing lanes while it drives). outcome: completed | refused | aborted |
    cancelled."""

    t_request_s: float
    direction: int
    trigger: str
    outcome: str
    t_start_s: float | None
    t_end_s: float
    reason: str = ""


@dataclass
class WorldLog:
    columns: dict[str, list] = field(default_factory=dict)
    events: list[LogEvent] = field(default_factory=list)
    lane_changes: list[LaneChangeRecord] = field(default_factory=list)

    def append(self, **values) -> None:
        if self.columns and set(values) != set(self.columns):
            raise ValueError(f"log fields changed: {sorted(set(values) ^ set(self.columns))}")
        for key, value in values.items():
            self.columns.setdefault(key, []).append(value)

    def __len__(self) -> int:
        return len(self.columns.get("t_s", []))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.columns.items()}

    def events_of(self, kind: str) -> list[LogEvent]:
        return [e for e in self.events if e.kind == kind]
