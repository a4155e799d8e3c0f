"""Speed-dependent limit tables, linearly interpolated on |speed| (Autoware vehicle_cmd_gate style)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lcc_plus.safety.params import SafetyParams


@dataclass(frozen=True)
class Limits:
    """All gate limits at one speed; magnitudes, SI units."""

    steer_rad: float
    steer_rate_radps: float
    lat_accel_mps2: float
    lat_jerk_mps3: float
    lon_accel_mps2: float
    lon_decel_mps2: float
    lon_jerk_mps3: float


class LimitTable:
    """Interpolates every limit table of SafetyParams at a speed; constant beyond the end points."""

    def __init__(self, params: SafetyParams):
        self._speeds = np.asarray(params.limit_speeds_mps, dtype=float)
        self._tables = {
            "steer_rad": params.steer_max_rad,
            "steer_rate_radps": params.steer_rate_max_radps,
            "lat_accel_mps2": params.lat_accel_max_mps2,
            "lat_jerk_mps3": params.lat_jerk_max_mps3,
            "lon_accel_mps2": params.lon_accel_max_mps2,
            "lon_decel_mps2": params.lon_decel_max_mps2,
            "lon_jerk_mps3": params.lon_jerk_max_mps3,
        }

    def at(self, speed_mps: float) -> Limits:
        v = abs(float(speed_mps))
        return Limits(**{k: float(np.interp(v, self._speeds, np.asarray(t, dtype=float)))
                         for k, t in self._tables.items()})
