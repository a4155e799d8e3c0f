"""The model path as a planning reference (planning/reference.py): smoothing, ends, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lcc_plus.common.types import Perception
from lcc_plus.planning import trajectory as traj_builder
from lcc_plus.planning.params import ModeManagerParams
from lcc_plus.planning.reference import model_path, smooth_path

P = ModeManagerParams.from_config()


def arc(radius_m: float, length_m: float, n: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Points along a left arc starting at the origin heading +x."""
    a = np.linspace(0.0, length_m, n) / radius_m
    return radius_m * np.sin(a), radius_m * (1.0 - np.cos(a))


def curvature(curve, x_max_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(x, curvature) of y = curve(x) as the trajectory builder computes it, for 0 <= x <= x_max_m."""
    s, x, _, heading = traj_builder.centre_geometry(curve, x_max_m)
    k = traj_builder.curvature_of(s, heading)
    inside = (x >= 0.0) & (x <= x_max_m)
    return x[inside], k[inside]


def test_a_clean_arc_keeps_its_shape_and_curvature():
    x, y = arc(30.0, 25.0)
    f = smooth_path(x, y, None)
    assert np.max(np.abs(f(x) - y)) < 0.02
    _, k = curvature(f, 20.0)
    assert np.all(np.abs(k - 1 / 30.0) < 0.004)


def test_noisy_points_give_a_smooth_curvature():
    # 4 cm of noise on points 2.5 m apart: interpolated exactly, the curvature would swing by
    # more than the arc's own (0.033 1/m); smoothed, it stays near it.
    x, y = arc(30.0, 25.0)
    noise = 0.04 * np.array([0, 1, -1, 1, -1, 1, -1, 1, -1, 1, 0])
    f = smooth_path(x, y + noise, None)
    _, k = curvature(f, 20.0)
    assert np.all(np.abs(k - 1 / 30.0) < 0.01)
    assert np.max(np.abs(f(x) - y)) < 0.05


def test_the_curvature_runs_on_through_the_car_without_a_kink():
    # The trajectory builder differentiates at x = 0 from points behind the car: the reference
    # there is the path continued, not a different shape joined on.
    x, y = arc(30.0, 25.0)
    s, xs, _, heading = traj_builder.centre_geometry(smooth_path(x, y, None), 20.0)
    k = traj_builder.curvature_of(s, heading)
    near = (xs > -2.0) & (xs < 2.0)
    assert np.all(np.abs(k[near] - 1 / 30.0) < 0.004)


def test_a_path_turning_back_ends_where_it_turns():
    # A hairpin: 12 m radius, 40 m of path (190 degrees). y(x) holds up to the 90 degree point.
    x, y = arc(12.0, 40.0, n=21)
    f = smooth_path(x, y, None)
    assert f is not None
    q = np.linspace(0.0, 11.5, 20)
    assert np.max(np.abs(f(q) - (12.0 - np.sqrt(144.0 - q**2)))) < 0.1


def test_beyond_its_end_the_path_runs_parallel_to_the_lane_or_straight_on():
    x, y = np.linspace(0.0, 20.0, 11), np.full(11, 0.5)

    def lane(q):
        return 0.01 * np.asarray(q, dtype=float) ** 2
    f = smooth_path(x, y, lane)
    assert float(f(40.0)) == pytest.approx(0.5 + lane(40.0) - lane(20.0), abs=0.01)
    x2, y2 = np.linspace(0.0, 20.0, 11), np.linspace(0.0, 2.0, 11)
    assert float(smooth_path(x2, y2, None)(30.0)) == pytest.approx(3.0, abs=0.02)


def test_a_stopping_path_keeps_its_moving_part():
    x = np.array([0.0, 2.0, 3.5, 4.2, 4.4, 4.4, 4.4, 4.4, 4.4, 4.4, 4.4])
    f = smooth_path(x, 0.1 * x, None)
    assert f is not None and float(f(4.0)) == pytest.approx(0.4, abs=0.01)
    assert smooth_path(np.zeros(11), np.zeros(11), None) is None


def perception(x, y, confidence: float = 0.9) -> Perception:
    return Perception(path_t_s=np.linspace(0.0, 5.0, len(x)), path_x_m=np.asarray(x, float),
                      path_y_m=np.asarray(y, float), path_speed_mps=np.full(len(x), 5.0), confidence=confidence)


@pytest.mark.parametrize("per", [
    perception(*arc(30.0, 25.0), confidence=0.2),                           # not confident
    perception(*arc(30.0, 25.0), confidence=math.nan),
    perception([0.0, 5.0, math.nan], [0.0, 0.0, 0.0]),
    perception([0.0, 5.0, 10.0], [0.0, math.inf, 0.0]),
    perception([0.0], [0.0]),
    perception([0.0, -3.0, -6.0], [0.0, 0.0, 0.0]),                          # points backwards
    Perception(path_x_m=np.zeros(3), path_y_m=np.zeros(2), confidence=0.9),  # lengths differ
])
def test_unusable_model_paths_give_no_reference(per):
    assert model_path(per, P, None) is None
