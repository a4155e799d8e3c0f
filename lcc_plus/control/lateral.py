"""Lateral path tracking: curvature feed-forward plus linear error feedback.

kappa = kappa_ref + (w/v)^2 * e_y + (2 zeta w / v) * e_psi places the kinematic error
dynamics e_y'' + 2 zeta w e_y' + w^2 e_y = 0, independent of speed (gains stop growing
below a speed floor). The curvature becomes a road-wheel angle through the bicycle
relation with an understeer term, then angle and rate limits apply.
"""
from __future__ import annotations

import math

from lcc_plus.control.geometry import Projection
from lcc_plus.control.params import ControllerParams


def curvature_command(p: ControllerParams, speed_mps: float, curvature_ref_1pm: float, proj: Projection) -> float:
    """Commanded path curvature [1/m] for the given errors, clipped to the configured maximum."""
    v = max(abs(speed_mps), p.lat_gain_speed_floor_mps)
    w = p.lat_natural_freq_radps
    k_y = (w / v) ** 2
    k_psi = 2.0 * p.lat_damping * w / v
    kappa = curvature_ref_1pm + k_y * proj.lateral_error_m + k_psi * proj.heading_error_rad
    return float(min(max(kappa, -p.curvature_max_1pm), p.curvature_max_1pm))


def steering_angle(p: ControllerParams, speed_mps: float, curvature_1pm: float) -> float:
    """Road-wheel angle [rad] that holds `curvature_1pm` at `speed_mps` in steady state."""
    delta = math.atan(p.wheelbase_m * curvature_1pm) + p.understeer_gradient_rad_s2pm * speed_mps**2 * curvature_1pm
    return float(min(max(delta, -p.steer_max_rad), p.steer_max_rad))
