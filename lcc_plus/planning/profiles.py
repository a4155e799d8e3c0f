"""Quintic (minimum-jerk) transition profiles for lateral manoeuvres.

A quintic from (p0, v0, a0) to (p1, 0, 0) over T seconds. From rest to rest over a
distance D its peak acceleration is 10/sqrt(3) * D / T^2 and its peak jerk 60 D / T^3,
which gives the shortest duration meeting both limits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PEAK_ACCEL_FACTOR = 10.0 / math.sqrt(3.0)
PEAK_JERK_FACTOR = 60.0


def min_duration_s(distance_m: float, accel_max: float, jerk_max: float) -> float:
    """Shortest rest-to-rest quintic over `distance_m` within the acceleration and jerk limits."""
    d = abs(distance_m)
    return max(math.sqrt(PEAK_ACCEL_FACTOR * d / accel_max), (PEAK_JERK_FACTOR * d / jerk_max) ** (1.0 / 3.0))


@dataclass(frozen=True)
class Quintic:
    """p(t) = sum c_i t^i for 0 <= t <= T, held at the end value outside."""

    coefficients: tuple[float, ...]
    duration_s: float

    @classmethod
    def between(cls, p0: float, v0: float, a0: float, p1: float, duration_s: float) -> Quintic:
        T = max(duration_s, 1e-3)
        c0, c1, c2 = p0, v0, 0.5 * a0
        # Solve for c3..c5 from p(T) = p1, p'(T) = 0, p''(T) = 0.
        m = np.array([[T**3, T**4, T**5], [3 * T**2, 4 * T**3, 5 * T**4], [6 * T, 12 * T**2, 20 * T**3]])
        rhs = np.array([p1 - (c0 + c1 * T + c2 * T**2), -(c1 + 2 * c2 * T), -2 * c2])
        c3, c4, c5 = np.linalg.solve(m, rhs)
        return cls((c0, c1, c2, float(c3), float(c4), float(c5)), T)

    def derivatives(self, t_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(p, p', p'') at `t_s`, clamped to the profile's time range."""
        t = np.clip(np.asarray(t_s, dtype=float), 0.0, self.duration_s)
        c = self.coefficients
        p = c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * (c[4] + t * c[5]))))
        v = c[1] + t * (2 * c[2] + t * (3 * c[3] + t * (4 * c[4] + t * 5 * c[5])))
        a = 2 * c[2] + t * (6 * c[3] + t * (12 * c[4] + t * 20 * c[5]))
        return p, v, a

    def at(self, t_s: np.ndarray | float) -> np.ndarray:
        return self.derivatives(t_s)[0]
