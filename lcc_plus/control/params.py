"""Controller parameters (values in config/control.yaml, node `controller`)."""
from __future__ import annotations

from dataclasses import dataclass

from lcc_plus.common import params
from lcc_plus.common.params import spec


@dataclass(frozen=True)
class ControllerParams:
    wheelbase_m: float = spec("distance front to rear axle of the controlled car", unit="m", min=1.0, max=6.0)
    understeer_gradient_rad_s2pm: float = spec(
        "steady-state understeer gradient K in delta = L*kappa + K*v^2*kappa", unit="rad s^2/m", min=0.0, max=0.01)
    steer_delay_s: float = spec("steering actuator delay (dead time + lag) predicted away", unit="s",
                                min=0.0, max=0.5)
    accel_delay_s: float = spec("drive/brake actuator delay (dead time + lag) predicted away", unit="s",
                                min=0.0, max=1.0)
    lat_natural_freq_radps: float = spec("closed-loop natural frequency of the lateral error dynamics",
                                         unit="rad/s", min=0.1, max=5.0)
    lat_damping: float = spec("closed-loop damping ratio of the lateral error dynamics", min=0.3, max=2.0)
    lat_gain_speed_floor_mps: float = spec("speed below which the lateral gains stop growing", unit="m/s",
                                           min=0.5, max=10.0)
    steer_max_rad: float = spec("largest road-wheel steering angle commanded", unit="rad", min=0.05, max=1.0)
    steer_rate_max_radps: float = spec("largest steering angle rate commanded", unit="rad/s", min=0.05, max=2.0)
    curvature_max_1pm: float = spec("largest path curvature commanded", unit="1/m", min=0.01, max=0.5)
    speed_gain_1ps: float = spec("longitudinal speed-error feedback gain", unit="1/s", min=0.0, max=5.0)
    accel_max_mps2: float = spec("largest acceleration commanded", unit="m/s^2", min=0.1, max=5.0)
    decel_max_mps2: float = spec("largest deceleration commanded (magnitude)", unit="m/s^2", min=0.1, max=10.0)
    jerk_max_mps3: float = spec("largest longitudinal jerk commanded (magnitude)", unit="m/s^3", min=0.1, max=50.0)
    max_dt_s: float = spec("longest step used for rate limits; longer gaps restart them", unit="s",
                           min=0.01, max=1.0)

    @classmethod
    def from_config(cls, overrides: dict | None = None) -> ControllerParams:
        return params.load(cls, "control.yaml", "controller", overrides)
