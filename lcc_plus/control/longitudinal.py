"""Longitudinal control: reference acceleration plus speed-error feedback, limited and jerk-limited."""
from __future__ import annotations

from lcc_plus.control.params import ControllerParams


def accel_command(p: ControllerParams, speed_mps: float, speed_ref_mps: float, accel_ref_mps2: float) -> float:
    """Acceleration [m/s^2] before the jerk limit, inside [-decel_max, accel_max]."""
    a = accel_ref_mps2 + p.speed_gain_1ps * (speed_ref_mps - speed_mps)
    # Never command reversing: at standstill with a stop reference, hold with the brake.
    if speed_ref_mps <= 0.0 and speed_mps <= 0.1:
        a = min(a, -0.5)
    return float(min(max(a, -p.decel_max_mps2), p.accel_max_mps2))


def rate_limit(previous: float, wanted: float, max_rate: float, dt_s: float) -> float:
    """`wanted`, moved from `previous` by at most max_rate * dt_s."""
    step = max_rate * dt_s
    return float(min(max(wanted, previous - step), previous + step))
