"""Safe commands the monitor generates itself: hold the lane on the last valid path while
slowing (planner or model silent), the in-lane minimal-risk stop, and emergency braking.

Lateral: the last valid path (base_link at the time it was received) is kept, the ego's
motion since then is dead-reckoned from speed and yaw rate, and a pure-pursuit law steers
back onto it. When the path runs out the last steering angle is held, which on a
constant-curvature road keeps the lane. Longitudinal: a jerk-limited ramp to a constant
deceleration, down to standstill, then a standstill hold.
"""
from __future__ import annotations

import math

import numpy as np

from lcc_plus.common.types import (
    LINE_EGO_LEFT,
    LINE_EGO_RIGHT,
    Command,
    CommandSource,
    Perception,
    TurnSignal,
)


def lane_path(p: Perception, min_line_probability: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The path to hold from one perception: the centre of the two ego-lane lines when both are
    probable (the lane, not the model's chosen path), else the model path, else None."""
    left, right = p.lane_lines[LINE_EGO_LEFT], p.lane_lines[LINE_EGO_RIGHT]
    if min(left.probability, right.probability) >= min_line_probability:
        x0, x1 = max(left.x_min_m, right.x_min_m, 0.0), min(left.x_max_m, right.x_max_m)
        if x1 > x0:
            x = np.linspace(x0, x1, 50)
            return x, 0.5 * (np.asarray(left.y_at(x)) + np.asarray(right.y_at(x)))
    if len(p.path_x_m) >= 2:
        return np.asarray(p.path_x_m, dtype=float), np.asarray(p.path_y_m, dtype=float)
    return None


class PathHold:
    """Pure pursuit on a stored path, with the ego pose dead-reckoned since it was stored."""

    def __init__(self, wheelbase_m: float, lookahead_s: float, lookahead_min_m: float):
        self._wheelbase_m = wheelbase_m
        self._lookahead_s, self._lookahead_min_m = lookahead_s, lookahead_min_m
        self._path: tuple[np.ndarray, np.ndarray] | None = None
        self._pose = np.zeros(3)  # x, y, yaw of the ego in the stored path's frame

    @property
    def has_path(self) -> bool:
        return self._path is not None

    def set_path(self, x_m: np.ndarray, y_m: np.ndarray) -> None:
        self._path = (np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float))
        self._pose = np.zeros(3)

    def advance(self, speed_mps: float, yaw_rate_radps: float, dt_s: float) -> None:
        """Dead-reckon the ego pose over dt_s (unicycle with the measured yaw rate)."""
        if dt_s <= 0.0:
            return
        x, y, yaw = self._pose
        mid = yaw + 0.5 * yaw_rate_radps * dt_s
        self._pose = np.array([x + speed_mps * math.cos(mid) * dt_s, y + speed_mps * math.sin(mid) * dt_s,
                               yaw + yaw_rate_radps * dt_s])

    def steering_rad(self, speed_mps: float) -> float | None:
        """Pure-pursuit road-wheel angle to the lookahead point, None without a usable path."""
        if self._path is None:
            return None
        x, y, yaw = self._pose
        px, py = self._path
        c, s = math.cos(yaw), math.sin(yaw)
        lx, ly = c * (px - x) + s * (py - y), -s * (px - x) + c * (py - y)  # path in the current ego frame
        ld = max(self._lookahead_min_m, abs(speed_mps) * self._lookahead_s)
        ahead = np.nonzero((lx > 0.0) & (np.hypot(lx, ly) >= ld))[0]
        if ahead.size == 0:
            return None
        i = ahead[0]
        d2 = lx[i] ** 2 + ly[i] ** 2
        return math.atan(2.0 * self._wheelbase_m * ly[i] / d2)


def decel_ramp_mps2(prev_accel_mps2: float, decel_mps2: float, jerk_mps3: float, dt_s: float) -> float:
    """One jerk-limited step of the commanded acceleration towards -decel_mps2."""
    target = -abs(decel_mps2)
    step = jerk_mps3 * max(dt_s, 0.0)
    if prev_accel_mps2 > target:
        return max(target, prev_accel_mps2 - step)
    return min(target, prev_accel_mps2 + step)


def stopping_command(now_s: float, source: CommandSource, steer_rad: float, accel_mps2: float,
                     hazard: bool) -> Command:
    """An engaged command that slows to a stop (target speed 0) along steer_rad."""
    return Command(stamp_s=now_s, steering_angle_rad=steer_rad, accel_mps2=accel_mps2, target_speed_mps=0.0,
                   turn_signal=TurnSignal.HAZARD if hazard else TurnSignal.OFF, hazard=hazard,
                   source=source, engaged=True)
