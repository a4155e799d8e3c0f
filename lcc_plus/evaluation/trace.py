"""The per-step record of one closed-loop run that the KPIs are computed from.

The runner fills a Trace from the world's log (what happened to the car) and the
policy's extras (what the system intended: mode, lane-change phase, refusals).
Hand-made traces in the tests use the same type.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np


class EventKind(str, Enum):
    TAKEOVER_SYSTEM = "takeover_system"   # the system asked and the driver took control (or an MRM ran)
    TAKEOVER_DRIVER = "takeover_driver"   # the driver intervened on their own (unsafe motion, override)
    COLLISION = "collision"
    LANE_DEPARTURE = "lane_departure"
    FAULT = "fault"                       # an injected fault started
    FAULT_OUTCOME = "fault_outcome"       # how the system answered it (detail: takeover / mrm / none)
    SCRIPTED = "scripted"                 # a scenario event (cut-in, hard braking...), for the record


@dataclass
class Event:
    t_s: float
    kind: EventKind
    detail: str = ""
    at_fault: bool = True        # collisions and lane departures: was the ego to blame
    engaged: bool = True         # was the system in control when it happened


@dataclass
class LaneChange:
    """One lane change from request (driver lever or system trigger) to its outcome."""

    t_request_s: float
    direction: int                   # +1 left, -1 right
    trigger: str                     # driver | manual | system | slow_lead | lane_end | blocked | keep_right
    outcome: str = "pending"         # completed | refused | aborted | cancelled | pending
    t_start_s: float | None = None   # lateral motion started (execute phase)
    t_end_s: float | None = None
    reason: str = ""


TRACE_ARRAYS = ("t_s", "distance_m", "speed_mps", "allowed_speed_mps", "accel_lon_mps2", "accel_lat_mps2",
                "lateral_error_m", "ttc_s", "engaged", "lane_changing", "marked")


@dataclass
class Trace:
    """One run. Arrays are per step and all the same length.

    distance_m: odometer along the driven path; allowed_speed_mps: the speed limit
    (or the scenario's allowed speed); lateral_error_m: ego reference point to the
    centre of the lane it is in, positive left; ttc_s: smallest time-to-collision to
    anything ahead (inf when none closes in); engaged: the system is in control;
    lane_changing: a lane change (execute phase) is under way; marked: the ego lane
    has painted markings on both sides.
    """

    scenario: str
    driver: str
    seed: int
    t_s: np.ndarray
    distance_m: np.ndarray
    speed_mps: np.ndarray
    allowed_speed_mps: np.ndarray
    accel_lon_mps2: np.ndarray
    accel_lat_mps2: np.ndarray
    lateral_error_m: np.ndarray
    ttc_s: np.ndarray
    engaged: np.ndarray
    lane_changing: np.ndarray
    marked: np.ndarray
    events: list[Event] = field(default_factory=list)
    lane_changes: list[LaneChange] = field(default_factory=list)
    suite: str = ""

    def __post_init__(self) -> None:
        n = None
        for name in TRACE_ARRAYS:
            dtype = bool if name in ("engaged", "lane_changing", "marked") else float
            arr = np.asarray(getattr(self, name), dtype=dtype)
            if arr.ndim != 1:
                raise ValueError(f"trace field {name} must be one-dimensional, got shape {arr.shape}")
            if n is None:
                n = arr.size
            elif arr.size != n:
                raise ValueError(f"trace field {name} has {arr.size} samples, t_s has {n}")
            setattr(self, name, arr)

    def events_of(self, kind: EventKind) -> list[Event]:
        return [e for e in self.events if e.kind == kind]
