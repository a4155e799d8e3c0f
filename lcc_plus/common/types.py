"""Core data types exchanged between the cores (no rclpy, no generated messages).

Each mirrors one message in msg/ field for field, so the node glue converts with
no judgement (lcc_plus/nodes/conversions.py). Frames follow REP-103: base_link,
x forward, y left, angles positive counter-clockwise, SI units.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class TurnSignal(IntEnum):
    OFF = 0
    LEFT = 1
    RIGHT = 2
    HAZARD = 3


class Lever(IntEnum):
    NONE = 0
    LEFT = 1
    RIGHT = 2


class LineType(IntEnum):
    UNKNOWN = 0
    DASHED = 1
    SOLID = 2
    DOUBLE = 3
    ROAD_EDGE = 4


class IntentKind(IntEnum):
    KEEP_LANE = 0
    CHANGE_LEFT = 1
    CHANGE_RIGHT = 2


class ForkPreference(IntEnum):
    DEFAULT = 0  # keep the current lane's continuation
    MAIN = 1
    LEFT = 2
    RIGHT = 3


class Mode(IntEnum):
    OFF = 0
    STANDBY = 1
    LANE_KEEP = 2
    LANE_CHANGE = 3
    OVERRIDE = 4
    TAKEOVER_REQUESTED = 5
    MRM = 6


class LaneChangePhase(IntEnum):
    NONE = 0
    PREPARE = 1
    EXECUTE = 2
    COMPLETE = 3


class LaneChangeTrigger(IntEnum):
    NONE = 0
    DRIVER = 1
    SLOW_LEAD = 2
    LANE_END = 3
    BLOCKED = 4
    KEEP_RIGHT = 5


class CommandSource(IntEnum):
    NONE = 0
    PLANNER = 1
    HOLD = 2
    MRM = 3
    EMERGENCY = 4


class SafetyLevel(IntEnum):
    OK = 0
    DEGRADED = 1
    TAKEOVER = 2
    MRM = 3
    EMERGENCY = 4


class TakeoverLevel(IntEnum):
    NONE = 0
    VISUAL = 1
    AUDIBLE = 2
    MRM = 3


class Severity(IntEnum):
    INFO = 0
    NONCRITICAL = 1
    CRITICAL = 2
    IMMINENT = 3


# Index of each line in Perception.lane_lines (VlaAction.LINE_*).
LINE_LEFT_OUTER, LINE_EGO_LEFT, LINE_EGO_RIGHT, LINE_RIGHT_OUTER = range(4)


@dataclass
class EgoState:
    """VehicleState.msg."""

    stamp_s: float = 0.0
    speed_mps: float = 0.0
    yaw_rate_radps: float = 0.0
    steering_angle_rad: float = 0.0
    accel_x_mps2: float = 0.0
    accel_y_mps2: float = 0.0
    turn_signal: TurnSignal = TurnSignal.OFF


@dataclass
class DriverControls:
    """DriverInput.msg."""

    stamp_s: float = 0.0
    lever: Lever = Lever.NONE
    steering_torque_nm: float = 0.0
    hands_on: bool = True
    eyes_on_road: bool = True
    accel_pedal: float = 0.0
    brake_pedal: float = 0.0
    engage_request: bool = False
    disengage_request: bool = False
    set_speed_mps: float = 0.0


@dataclass
class RearObject:
    """TrackedObject.msg: one object from rear and corner sensing, in base_link."""

    id: int
    x_m: float
    y_m: float
    vx_mps: float
    vy_mps: float
    length_m: float = 4.5
    width_m: float = 1.8
    lane: int = -128  # 0 ego, +1 left, -1 right, -128 unknown
    classification: int = 1
    position_covariance: tuple[float, float, float, float] = (0.25, 0.0, 0.0, 0.25)
    existence_probability: float = 1.0


@dataclass
class RearSensing:
    """ObjectList.msg."""

    stamp_s: float = 0.0
    objects: list[RearObject] = field(default_factory=list)
    blind_spot_left: bool = False
    blind_spot_right: bool = False
    available: bool = True
    rear_range_m: float = 80.0


@dataclass
class LaneLine:
    """LaneLine.msg: y(x) = c0 + c1 x + c2 x^2 + c3 x^3 in base_link."""

    coefficients: np.ndarray = field(default_factory=lambda: np.zeros(4))
    x_min_m: float = 0.0
    x_max_m: float = 0.0
    probability: float = 0.0
    line_type: LineType = LineType.UNKNOWN

    def y_at(self, x_m: np.ndarray | float) -> np.ndarray | float:
        c = self.coefficients
        return c[0] + x_m * (c[1] + x_m * (c[2] + x_m * c[3]))


# The farthest a lane line may reach: the ground truth fits lines at most this far ahead (its
# `line_range_m`), so no VLA label says more and a decoded x_max honestly cannot either.
LINE_RANGE_MAX_M = 200.0


@dataclass
class Lead:
    """LeadEstimate.msg. Reported out to LEAD_RANGE_M."""

    distance_m: float = 0.0
    relative_speed_mps: float = 0.0
    lateral_offset_m: float = 0.0
    probability: float = 0.0


# How far ahead a lead is reported: the ground truth's (the VLA labels') reach, so also the most a
# decoded distance can honestly say.
LEAD_RANGE_M = 200.0


@dataclass
class Intent:
    """Intent.msg."""

    stamp_s: float = 0.0
    intent: IntentKind = IntentKind.KEEP_LANE
    fork_preference: ForkPreference = ForkPreference.DEFAULT
    text: str = ""


@dataclass
class Perception:
    """VlaAction.msg: what the driving model (or ground truth) says about one frame."""

    stamp_s: float = 0.0
    path_t_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    path_x_m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    path_y_m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    path_speed_mps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lane_lines: list[LaneLine] = field(default_factory=lambda: [LaneLine() for _ in range(4)])
    lead: Lead = field(default_factory=Lead)
    lead_left: Lead = field(default_factory=Lead)
    lead_right: Lead = field(default_factory=Lead)
    intent: IntentKind = IntentKind.KEEP_LANE
    fork_preference: ForkPreference = ForkPreference.DEFAULT
    lane_change_progress: float = 0.0
    confidence: float = 0.0
    model_id: str = ""
    inference_time_ms: float = 0.0


@dataclass
class Trajectory:
    """Trajectory.msg: the mode manager's plan for the controller."""

    stamp_s: float = 0.0
    t_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    x_m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    y_m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    speed_mps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    accel_mps2: np.ndarray = field(default_factory=lambda: np.zeros(0))
    curvature_1pm: np.ndarray = field(default_factory=lambda: np.zeros(0))
    turn_signal: TurnSignal = TurnSignal.OFF
    confidence: float = 0.0


@dataclass
class ModeStatus:
    """ModeState.msg."""

    stamp_s: float = 0.0
    mode: Mode = Mode.OFF
    previous_mode: Mode = Mode.OFF
    lane_change_phase: LaneChangePhase = LaneChangePhase.NONE
    lane_change_direction: int = 0  # +1 left, -1 right
    lane_change_trigger: LaneChangeTrigger = LaneChangeTrigger.NONE
    reason: str = ""
    last_transition_s: float = 0.0
    last_refusal: str = ""
    last_refusal_s: float = 0.0


@dataclass
class Command:
    """ControlCommand.msg."""

    stamp_s: float = 0.0
    steering_angle_rad: float = 0.0
    steering_rate_radps: float = 0.0
    accel_mps2: float = 0.0
    target_speed_mps: float = 0.0
    turn_signal: TurnSignal = TurnSignal.OFF
    hazard: bool = False
    source: CommandSource = CommandSource.NONE
    engaged: bool = False


@dataclass
class Check:
    """SafetyCheck.msg."""

    name: str
    value: float
    limit: float
    active: bool
    severity: Severity = Severity.INFO


@dataclass
class SafetyReport:
    """SafetyStatus.msg."""

    stamp_s: float = 0.0
    level: SafetyLevel = SafetyLevel.OK
    checks: list[Check] = field(default_factory=list)
    vetoed: bool = False
    veto_reason: str = ""
    takeover_level: TakeoverLevel = TakeoverLevel.NONE
    sequence: int = 0


@dataclass
class TakeoverDemand:
    """TakeoverRequest.msg."""

    stamp_s: float = 0.0
    level: TakeoverLevel = TakeoverLevel.NONE
    reason: str = ""
    deadline_s: float = 0.0
