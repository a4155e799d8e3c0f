"""Admission of input messages: every field finite and physically plausible, or the message is rejected.

Each function returns None for a usable message, or a short reason ("nonfinite:speed_mps",
"range:speed_mps=1e+09"). A rejected message is counted by the monitor and never used.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from lcc_plus.common.types import Command, DriverControls, EgoState, Mode, Perception, RearSensing
from lcc_plus.safety.params import SafetyParams


def _field(name: str, value: float, lo: float, hi: float) -> str | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return f"type:{name}"
    if not math.isfinite(x):
        return f"nonfinite:{name}"
    if not lo <= x <= hi:
        return f"range:{name}={x:.3g}"
    return None


def _first(results: Iterable[str | None]) -> str | None:
    return next((r for r in results if r is not None), None)


def _array(name: str, values: np.ndarray, bound: float) -> str | None:
    a = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(a)):
        return f"nonfinite:{name}"
    if a.size and float(np.max(np.abs(a))) > bound:
        return f"range:{name}"
    return None


def _probability(name: str, value: float) -> str | None:
    return _field(name, value, 0.0, 1.0)


def check_ego(ego: EgoState, p: SafetyParams) -> str | None:
    v, a, s, r = p.plausible_speed_max_mps, p.plausible_accel_max_mps2, p.plausible_steer_max_rad, \
        p.plausible_rate_max_radps
    return _first((
        _field("speed_mps", ego.speed_mps, -v, v),
        _field("yaw_rate_radps", ego.yaw_rate_radps, -r, r),
        _field("steering_angle_rad", ego.steering_angle_rad, -s, s),
        _field("accel_x_mps2", ego.accel_x_mps2, -a, a),
        _field("accel_y_mps2", ego.accel_y_mps2, -a, a),
    ))


def check_driver(d: DriverControls, p: SafetyParams) -> str | None:
    t = p.plausible_torque_max_nm
    return _first((
        _field("steering_torque_nm", d.steering_torque_nm, -t, t),
        _field("accel_pedal", d.accel_pedal, 0.0, 1.0),
        _field("brake_pedal", d.brake_pedal, 0.0, 1.0),
        _field("set_speed_mps", d.set_speed_mps, 0.0, p.plausible_speed_max_mps),
    ))


def check_perception(q: Perception, p: SafetyParams) -> str | None:
    dist, v = p.plausible_distance_max_m, p.plausible_speed_max_mps
    n = len(q.path_t_s)
    if not len(q.path_x_m) == len(q.path_y_m) == len(q.path_speed_mps) == n:
        return "shape:path"
    if len(q.lane_lines) != 4 or any(np.shape(ln.coefficients) != (4,) for ln in q.lane_lines):
        return "shape:lane_lines"
    if n > 1 and np.any(np.diff(np.asarray(q.path_t_s, dtype=float)) <= 0.0):
        return "order:path_t_s"
    leads = ((name, getattr(q, name)) for name in ("lead", "lead_left", "lead_right"))
    return _first((
        _array("path_t_s", q.path_t_s, dist),
        _array("path_x_m", q.path_x_m, dist),
        _array("path_y_m", q.path_y_m, dist),
        _array("path_speed_mps", q.path_speed_mps, v),
        _probability("confidence", q.confidence),
        _probability("lane_change_progress", q.lane_change_progress),
        _first(_first((_array(f"lane_lines[{i}].coefficients", ln.coefficients, dist),
                       _field(f"lane_lines[{i}].x_min_m", ln.x_min_m, -dist, dist),
                       _field(f"lane_lines[{i}].x_max_m", ln.x_max_m, -dist, dist),
                       _probability(f"lane_lines[{i}].probability", ln.probability)))
               for i, ln in enumerate(q.lane_lines)),
        _first(_first((_field(f"{name}.distance_m", ld.distance_m, -dist, dist),
                       _field(f"{name}.relative_speed_mps", ld.relative_speed_mps, -2 * v, 2 * v),
                       _field(f"{name}.lateral_offset_m", ld.lateral_offset_m, -dist, dist),
                       _probability(f"{name}.probability", ld.probability)))
               for name, ld in leads),
    ))


def check_rear(rear: RearSensing, p: SafetyParams) -> str | None:
    dist, v = p.plausible_distance_max_m, p.plausible_speed_max_mps
    return _first((
        _field("rear_range_m", rear.rear_range_m, 0.0, dist),
        _first(_first((_field(f"objects[{i}].x_m", o.x_m, -dist, dist),
                       _field(f"objects[{i}].y_m", o.y_m, -dist, dist),
                       _field(f"objects[{i}].vx_mps", o.vx_mps, -2 * v, 2 * v),
                       _field(f"objects[{i}].vy_mps", o.vy_mps, -2 * v, 2 * v),
                       _field(f"objects[{i}].length_m", o.length_m, 0.0, dist),
                       _field(f"objects[{i}].width_m", o.width_m, 0.0, dist),
                       _probability(f"objects[{i}].existence_probability", o.existence_probability)))
               for i, o in enumerate(rear.objects)),
    ))


def check_mode(status_mode: int) -> str | None:
    return None if status_mode in iter(Mode) else f"range:mode={status_mode}"


def check_command(c: Command, p: SafetyParams) -> str | None:
    v, a, s, r = p.plausible_speed_max_mps, p.plausible_accel_max_mps2, p.plausible_steer_max_rad, \
        p.plausible_rate_max_radps
    return _first((
        _field("steering_angle_rad", c.steering_angle_rad, -s, s),
        _field("steering_rate_radps", c.steering_rate_radps, -r, r),
        _field("accel_mps2", c.accel_mps2, -a, a),
        _field("target_speed_mps", c.target_speed_mps, -v, v),
    ))


def check_image(width_px: int, height_px: int, encoding: str, p: SafetyParams) -> str | None:
    if (width_px, height_px) != (p.image_width_px, p.image_height_px):
        return f"image_size:{width_px}x{height_px}"
    if encoding != p.image_encoding:
        return f"image_encoding:{encoding}"
    return None


def check_stamp(stamp_s: float, last_stamp_s: float | None, now_s: float, p: SafetyParams) -> str | None:
    """Stamps must be finite, strictly increasing per topic (a repeat is a frozen source), not
    older than max_stamp_age_s and not ahead of the clock by more than max_stamp_future_s."""
    if not math.isfinite(stamp_s):
        return "nonfinite:stamp"
    if last_stamp_s is not None and stamp_s < last_stamp_s:
        return "stamp_backwards"
    if last_stamp_s is not None and stamp_s == last_stamp_s:
        return "stamp_repeated"
    if stamp_s > now_s + p.max_stamp_future_s:
        return "stamp_future"
    if stamp_s < now_s - p.max_stamp_age_s:
        return "stamp_old"
    return None
