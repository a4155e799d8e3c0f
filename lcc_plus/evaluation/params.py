"""Evaluation parameters (values in config/evaluation.yaml, node `evaluation`)."""
from __future__ import annotations

from dataclasses import dataclass

from lcc_plus.common import params
from lcc_plus.common.params import spec


@dataclass(frozen=True)
class EvaluationParams:
    lat_accel_limit_mps2: float = spec("lane-keeping lateral acceleration limit (ISO 11270)",
                                       unit="m/s^2", min=0.1, max=10.0)
    lat_jerk_limit_mps3: float = spec("limit on the moving-average lateral jerk (ISO 11270, UN R79)",
                                      unit="m/s^3", min=0.1, max=50.0)
    jerk_window_s: float = spec("moving-average window of the jerk (UN R79: 0.5 s)", unit="s",
                                min=0.05, max=5.0)
    jerk_filter_cutoff_hz: float = spec("Butterworth low-pass cut-off applied to the acceleration "
                                        "before differentiating (UN R79); 0 disables", unit="Hz",
                                        min=0.0, max=50.0)
    jerk_filter_order: int = spec("order of that Butterworth filter (even)", min=2, max=8)
    lon_accel_limit_mps2: float = spec("ACC acceleration comfort limit (ISO 15622)", unit="m/s^2",
                                       min=0.1, max=10.0)
    lon_decel_limit_mps2: float = spec("ACC comfort deceleration limit (ISO 15622), positive",
                                       unit="m/s^2", min=0.1, max=10.0)
    lon_jerk_limit_mps3: float = spec("limit on the moving-average longitudinal jerk", unit="m/s^3",
                                      min=0.1, max=50.0)
    ttc_critical_s: float = spec("time-to-collision below which a step counts as critical", unit="s",
                                 min=0.1, max=20.0)
    handover_blame_s: float = spec("a collision or departure this soon after a takeover still counts against "
                                   "the system", unit="s", min=0.0, max=30.0)
    lane_keep_settle_s: float = spec("time after a lane change or a hand-back excluded from lateral-error "
                                     "statistics", unit="s", min=0.0, max=10.0)
    lane_change_min_start_s: float = spec("earliest lateral motion after a driver request (UN R79)",
                                          unit="s", min=0.0, max=10.0)
    lane_change_max_start_s: float = spec("latest manoeuvre start after a driver request (UN R79)",
                                          unit="s", min=0.0, max=20.0)
    lane_change_max_duration_s: float = spec("longest lane-change manoeuvre (UN R79)", unit="s",
                                             min=0.5, max=20.0)
    workers: int = spec("worker processes for independent runs", min=1, max=64)
    video_fps: float = spec("frame rate of the written video", unit="Hz", min=1.0, max=60.0)
    video_stride: int = spec("keep every n-th simulation step in the video", min=1, max=100)
    video_max_s: float = spec("longest stretch of a run put in the video", unit="s", min=1.0, max=600.0)
    video_width_px: int = spec("width of the written video (height keeps the aspect)", unit="px",
                               min=64, max=1920)

    def validate(self) -> None:
        if self.jerk_filter_order % 2:
            raise ValueError("jerk_filter_order must be even (built from second-order sections)")
        if self.lane_change_max_start_s < self.lane_change_min_start_s:
            raise ValueError("lane_change_max_start_s must not be below lane_change_min_start_s")


def load(overrides: dict | None = None) -> EvaluationParams:
    """EvaluationParams from config/evaluation.yaml."""
    return params.load(EvaluationParams, "evaluation.yaml", "evaluation", overrides)


@dataclass(frozen=True)
class FaultParams:
    start_s: float = spec("when the injected fault starts (at most half the scenario)", unit="s",
                          min=0.0, max=600.0)
    override_s: float = spec("how long the injected steering override lasts", unit="s", min=0.1, max=30.0)
    override_torque_nm: float = spec("injected driver steering torque", unit="N m", min=0.0, max=20.0)
    observe_s: float = spec("the run ends this long after the fault started", unit="s", min=1.0, max=600.0)


def load_faults(overrides: dict | None = None) -> FaultParams:
    """FaultParams from config/evaluation.yaml, section `evaluation_faults`."""
    return params.load(FaultParams, "evaluation.yaml", "evaluation_faults", overrides)
