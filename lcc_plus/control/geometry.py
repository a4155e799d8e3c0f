"""Where a trajectory lies relative to the (delay-predicted) ego pose.

The trajectory is given in base_link at its stamp; the car has moved since. The ego
motion is dead-reckoned from speed and yaw rate (constant-turn arc), and the
trajectory points are expressed in the predicted ego frame (REP-103, metres).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def arc_motion(speed_mps: float, yaw_rate_radps: float, dt_s: float) -> tuple[float, float, float]:
    """Pose change (dx_m, dy_m, dyaw_rad) after `dt_s` on a constant-turn arc."""
    dyaw = yaw_rate_radps * dt_s
    dist = speed_mps * dt_s
    if abs(dyaw) < 1e-6:
        return dist, dist * dyaw / 2.0, dyaw
    radius = dist / dyaw
    return radius * np.sin(dyaw), radius * (1.0 - np.cos(dyaw)), dyaw


def to_frame(x_m: np.ndarray, y_m: np.ndarray, pose: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Points given in the old frame, expressed in the frame at `pose` (dx, dy, dyaw) of the old one."""
    dx, dy, dyaw = pose
    c, s = np.cos(dyaw), np.sin(dyaw)
    px, py = x_m - dx, y_m - dy
    return c * px + s * py, -s * px + c * py


@dataclass
class Projection:
    """The ego's foot point on a polyline: arc length, lateral and heading errors."""

    s_m: float            # arc length of the foot point from the first point
    lateral_error_m: float  # path left of the ego origin: positive
    heading_error_rad: float  # path heading relative to the ego x axis: positive counter-clockwise
    segment: int          # index of the segment holding the foot point
    fraction: float       # position along that segment [0..1]


def project_origin(x_m: np.ndarray, y_m: np.ndarray) -> Projection:
    """Project the frame origin onto the polyline (x_m, y_m), extending its first and last segment."""
    dx, dy = np.diff(x_m), np.diff(y_m)
    seg_len2 = np.maximum(dx * dx + dy * dy, 1e-12)
    u = -(x_m[:-1] * dx + y_m[:-1] * dy) / seg_len2
    n = len(dx)
    lo = np.where(np.arange(n) == 0, -np.inf, 0.0)
    hi = np.where(np.arange(n) == n - 1, np.inf, 1.0)
    u = np.clip(u, lo, hi)
    fx, fy = x_m[:-1] + u * dx, y_m[:-1] + u * dy
    i = int(np.argmin(fx * fx + fy * fy))
    chord = float(np.arctan2(dy[i], dx[i]))
    # Signed distance of the path from the origin, measured along the path normal.
    lateral = float(-np.sin(chord) * fx[i] + np.cos(chord) * fy[i])
    # Heading from the vertex tangents (central differences): a chord lags a curve by kappa*ds/2.
    tangents = np.unwrap(np.arctan2(np.gradient(y_m), np.gradient(x_m)))
    w = float(np.clip(u[i], 0.0, 1.0))
    heading = float((1.0 - w) * tangents[i] + w * tangents[i + 1])
    seg_s = np.concatenate(([0.0], np.cumsum(np.sqrt(seg_len2))))
    s = float(seg_s[i] + u[i] * np.sqrt(seg_len2[i]))
    return Projection(s, lateral, heading, i, float(np.clip(u[i], 0.0, 1.0)))
