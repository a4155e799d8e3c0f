"""Rear and corner radars: object list with noise, dropouts and latency, blind-spot flags.

Three sensors look backwards: a rear-centre radar (long range, narrow) and two
rear-corner radars (wide, shorter) that also see alongside the car. Each true
object inside a field of view is detected unless dropped (probability per cycle),
its position and speed get Gaussian noise, and the list is released after the
latency. Blind-spot flags: an object in the adjacent lane band from the rear
bumper minus `blind_spot_rear_m` to the front of the ego, or closing in so fast
that it reaches the ego within `closing_ttc_s`.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from lcc_plus.common import params
from lcc_plus.common.params import spec
from lcc_plus.common.types import RearObject, RearSensing


@dataclass(frozen=True)
class RadarParams:
    # UN R79 5.6.4.8: rear sensing range >= 55 m (REFERENCE.md "rear sensing range for lane change").
    rear_range_m: float = spec("range of the rear-centre radar", unit="m", min=55.0, max=250.0)
    rear_half_fov_rad: float = spec("half field of view of the rear-centre radar", unit="rad", min=0.05, max=1.0)
    corner_range_m: float = spec("range of each rear-corner radar", unit="m", min=10.0, max=150.0)
    corner_half_fov_rad: float = spec("half field of view of each corner radar", unit="rad", min=0.2, max=1.6)
    corner_boresight_rad: float = spec("corner radar boresight off the rearward axis", unit="rad",
                                       min=0.0, max=1.5)
    position_noise_m: float = spec("1-sigma position noise", unit="m", min=0.0, max=5.0)
    speed_noise_mps: float = spec("1-sigma speed noise", unit="m/s", min=0.0, max=5.0)
    dropout_probability: float = spec("chance an object is missed in one cycle", min=0.0, max=0.9)
    latency_s: float = spec("delay from measurement to output", unit="s", min=0.0, max=1.0)
    lane_width_m: float = spec("nominal lane width for assigning lanes", unit="m", min=2.5, max=5.0)
    blind_spot_rear_m: float = spec("blind-spot zone length behind the rear bumper", unit="m", min=0.0, max=30.0)
    closing_ttc_s: float = spec("flag a fast approaching object within this time", unit="s", min=0.0, max=10.0)

    @classmethod
    def from_config(cls, overrides: dict | None = None) -> RadarParams:
        return params.load(cls, "sim.yaml", "sim_radar", overrides)


@dataclass
class TrueObject:
    """An object in base_link (rear axle), with velocity relative to the ground."""

    id: int
    x_m: float
    y_m: float
    vx_mps: float
    vy_mps: float
    length_m: float
    width_m: float


class RearRadar:
    """Simulated rear/corner radar set; `measure(...)` each step, output is delayed."""

    def __init__(self, p: RadarParams, rear_overhang_m: float, ego_length_m: float, ego_width_m: float,
                 rng: np.random.Generator):
        self.p = p
        self.rear_x_m = -rear_overhang_m
        self.front_x_m = ego_length_m - rear_overhang_m
        self.half_width_m = 0.5 * ego_width_m
        self.rng = rng
        self._queue: deque[RearSensing] = deque()

    def _visible(self, x: float, y: float) -> bool:
        p = self.p
        rx, ry = x - self.rear_x_m, y
        dist = math.hypot(rx, ry)
        bearing = math.atan2(ry, -rx)  # 0 straight back, + towards the left
        if dist <= p.rear_range_m and abs(bearing) <= p.rear_half_fov_rad:
            return True
        if dist > p.corner_range_m:
            return False
        for side in (1, -1):
            if abs(bearing - side * p.corner_boresight_rad) <= p.corner_half_fov_rad:
                return True
        return False

    def measure(self, stamp_s: float, objects: list[TrueObject], ego_speed_mps: float) -> RearSensing:
        """Sense the true objects now; return the list that is due at stamp_s (measured
        `latency_s` earlier and stamped then), or an unavailable empty list at start-up."""
        p = self.p
        out: list[RearObject] = []
        left = right = False
        for ob in objects:
            # A radar sees the nearest part of a body, not its centre: a truck half past the car
            # has its centre ahead of every field of view but its rear end beside the car
            # (highway_slow_truck: a keep-right change was let into a truck alongside).
            ends = (ob.x_m - 0.5 * ob.length_m, ob.x_m, ob.x_m + 0.5 * ob.length_m)
            if not any(self._visible(x, ob.y_m) for x in ends) or self.rng.random() < p.dropout_probability:
                continue
            nx, ny = self.rng.normal(0.0, p.position_noise_m, 2)
            nvx, nvy = self.rng.normal(0.0, p.speed_noise_mps, 2)
            x, y = ob.x_m + nx, ob.y_m + ny
            lane = int(round(y / p.lane_width_m))
            lane = lane if abs(lane) <= 1 else -128
            rel_vx = ob.vx_mps + nvx - ego_speed_mps
            out.append(RearObject(ob.id, x, y, ob.vx_mps + nvx, ob.vy_mps + nvy, ob.length_m, ob.width_m, lane,
                                  position_covariance=(p.position_noise_m ** 2, 0.0, 0.0, p.position_noise_m ** 2),
                                  existence_probability=1.0 - p.dropout_probability))
            if lane in (1, -1):
                beside = self.rear_x_m - p.blind_spot_rear_m <= x + 0.5 * ob.length_m and \
                    x - 0.5 * ob.length_m <= self.front_x_m
                gap = self.rear_x_m - (x + 0.5 * ob.length_m)
                closing = rel_vx > 0.5 and gap > 0 and gap / rel_vx < p.closing_ttc_s
                if beside or closing:
                    left |= lane == 1
                    right |= lane == -1
        self._queue.append(RearSensing(stamp_s, out, left, right, True, p.rear_range_m))
        while len(self._queue) > 1 and self._queue[1].stamp_s <= stamp_s - p.latency_s + 1e-9:
            self._queue.popleft()
        due = self._queue[0]
        if due.stamp_s > stamp_s - p.latency_s + 1e-9:
            # Start-up: nothing measured long enough ago yet.
            return RearSensing(stamp_s, [], False, False, False, p.rear_range_m)
        # Stamped with the measurement time, as a real sensor driver does.
        return due
