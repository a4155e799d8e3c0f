"""Controller core: tracks the mode manager's Trajectory and proposes a Command.

An empty or malformed trajectory means "not engaged" (the mode manager sends an empty
plan in OFF, STANDBY and OVERRIDE): the command then holds the measured steering
angle, zero acceleration and engaged=False, so the safety monitor and the vehicle
interface keep the driver in charge.
"""
from __future__ import annotations

import math

import numpy as np

from lcc_plus.common.types import Command, CommandSource, EgoState, Trajectory, TurnSignal
from lcc_plus.control.geometry import arc_motion, project_origin, to_frame
from lcc_plus.control.lateral import curvature_command, steering_angle
from lcc_plus.control.longitudinal import accel_command, rate_limit
from lcc_plus.control.params import ControllerParams


def trajectory_usable(traj: Trajectory) -> bool:
    """At least two points, equal lengths, all finite, time ascending."""
    arrays = (traj.t_s, traj.x_m, traj.y_m, traj.speed_mps, traj.accel_mps2, traj.curvature_1pm)
    try:
        arrays = [np.asarray(a, dtype=float) for a in arrays]
    except (TypeError, ValueError):
        return False
    n = len(arrays[0])
    if n < 2 or any(len(a) != n for a in arrays) or not all(np.all(np.isfinite(a)) for a in arrays):
        return False
    return bool(np.all(np.diff(arrays[0]) > 0.0))


class Controller:
    """Lateral and longitudinal tracking with actuator-delay prediction and rate limits."""

    def __init__(self, p: ControllerParams):
        self.p = p
        self._last_s: float | None = None
        self._steer_rad = 0.0
        self._accel_mps2 = 0.0

    def step(self, now_s: float, ego: EgoState, traj: Trajectory) -> Command:
        """Command for `now_s` from the ego state and the latest trajectory."""
        speed = ego.speed_mps if math.isfinite(ego.speed_mps) else 0.0
        yaw_rate = ego.yaw_rate_radps if math.isfinite(ego.yaw_rate_radps) else 0.0
        measured_steer = ego.steering_angle_rad if math.isfinite(ego.steering_angle_rad) else 0.0
        dt = self._dt(now_s)
        if dt is None:  # first step or a long gap: restart the rate limits from the measurement
            self._steer_rad, self._accel_mps2 = measured_steer, 0.0
            dt = self.p.max_dt_s
        if not trajectory_usable(traj):
            self._steer_rad, self._accel_mps2 = measured_steer, 0.0
            return Command(stamp_s=now_s, steering_angle_rad=measured_steer, target_speed_mps=speed,
                           source=CommandSource.PLANNER, engaged=False)

        t = np.asarray(traj.t_s, dtype=float)
        age = min(max(now_s - traj.stamp_s, 0.0), float(t[-1]))
        pose = arc_motion(speed, yaw_rate, age + self.p.steer_delay_s)
        x, y = to_frame(np.asarray(traj.x_m, float), np.asarray(traj.y_m, float), pose)
        proj = project_origin(x, y)
        i, u = proj.segment, proj.fraction
        kappa_ref = float((1.0 - u) * traj.curvature_1pm[i] + u * traj.curvature_1pm[i + 1])
        kappa = curvature_command(self.p, speed, kappa_ref, proj)
        steer = rate_limit(self._steer_rad, steering_angle(self.p, speed, kappa), self.p.steer_rate_max_radps, dt)
        steer_rate = (steer - self._steer_rad) / dt

        look = age + self.p.accel_delay_s
        v_ref = float(np.interp(look, t, traj.speed_mps))
        a_ref = float(np.interp(look, t, traj.accel_mps2))
        accel = rate_limit(self._accel_mps2, accel_command(self.p, speed, v_ref, a_ref), self.p.jerk_max_mps3, dt)
        self._steer_rad, self._accel_mps2 = steer, accel
        return Command(stamp_s=now_s, steering_angle_rad=steer, steering_rate_radps=float(steer_rate),
                       accel_mps2=accel, target_speed_mps=v_ref, turn_signal=TurnSignal(traj.turn_signal),
                       hazard=traj.turn_signal == TurnSignal.HAZARD, source=CommandSource.PLANNER, engaged=True)

    def _dt(self, now_s: float) -> float | None:
        last, self._last_s = self._last_s, now_s
        if last is None or not math.isfinite(now_s):
            return None
        dt = now_s - last
        return dt if 0.0 < dt <= self.p.max_dt_s else None
