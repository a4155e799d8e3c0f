"""Hand-built road scenes (straight or constant-radius) for camera tests, benchmarks and demos.

They do not need lanelet2: a reference line of constant curvature, lanes offset from it,
the asphalt polygon between the outermost boundaries, and cars on lane centres. The
simulator's own scenes come from lcc_plus/sim/world.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lcc_plus.sim.scene import Boundary, BoundaryKind, Pose2D, Scene, VehicleBox


@dataclass(frozen=True)
class CarOnLane:
    """A car on lane `lane` (0 = rightmost) at arc length `s_m` of the reference line."""

    lane: int
    s_m: float
    color_rgb: tuple[int, int, int] = (180, 30, 30)
    oncoming: bool = False


def _reference(s_m: np.ndarray, curvature_1pm: float) -> tuple[np.ndarray, np.ndarray]:
    """Points (N, 2) and headings (N,) of a line of constant curvature starting at the origin along +x."""
    if abs(curvature_1pm) < 1e-9:
        return np.column_stack([s_m, np.zeros_like(s_m)]), np.zeros_like(s_m)
    heading = curvature_1pm * s_m
    pts = np.column_stack([np.sin(heading), 1.0 - np.cos(heading)]) / curvature_1pm
    return pts, heading


def road_scene(*, lanes: int = 2, lane_width_m: float = 3.5, length_m: float = 300.0,
               curvature_1pm: float = 0.0, kinds: Sequence[BoundaryKind] | None = None,
               colors: Sequence[str] | None = None, wear: float | Sequence[float] = 0.0,
               ego_lane: int = 0, ego_s_m: float = 20.0, ego_lateral_m: float = 0.0, ego_yaw_rad: float = 0.0,
               cars: Sequence[CarOnLane] = (), dash_m: tuple[float, float] | None = None) -> Scene:
    """A road of `lanes` lanes; boundaries are listed right to left (lanes + 1 of them).

    Default kinds: solid outer lines and dashed lines between lanes. The ego stands on lane
    `ego_lane` at arc length `ego_s_m`, `ego_lateral_m` left of the lane centre, yawed by
    `ego_yaw_rad` relative to the road.
    """
    if lanes < 1:
        raise ValueError(f"a road needs at least one lane, got {lanes}")
    if abs(curvature_1pm) * length_m > 1.5 * np.pi:
        raise ValueError(f"a {length_m} m road of curvature {curvature_1pm} 1/m would overlap itself")
    kinds = list(kinds) if kinds is not None else (
        [BoundaryKind.SOLID] + [BoundaryKind.DASHED] * (lanes - 1) + [BoundaryKind.SOLID])
    colors = list(colors) if colors is not None else ["white"] * (lanes + 1)
    wears = list(np.broadcast_to(np.asarray(wear, dtype=float), (lanes + 1,)))
    if not len(kinds) == len(colors) == lanes + 1:
        raise ValueError(f"{lanes} lanes need {lanes + 1} boundary kinds and colours")
    s = np.arange(0.0, length_m + 0.5, 1.0)
    ref, heading = _reference(s, curvature_1pm)
    normal = np.column_stack([-np.sin(heading), np.cos(heading)])
    offsets = [i * lane_width_m for i in range(lanes + 1)]
    lines = [ref + normal * d for d in offsets]
    boundaries = [Boundary(points_xy=pts, kind=k, color=c, wear=float(w), dash_m=dash_m)
                  for pts, k, c, w in zip(lines, kinds, colors, wears)]
    road = np.concatenate([lines[0] - normal * 0.3, (lines[-1] + normal * 0.3)[::-1]])

    def pose(lane_centre_m: float, at_s: float) -> tuple[float, float, float]:
        p, h = _reference(np.array([at_s]), curvature_1pm)
        n = np.array([-np.sin(h[0]), np.cos(h[0])])
        xy = p[0] + n * lane_centre_m
        return float(xy[0]), float(xy[1]), float(h[0])

    ex, ey, eyaw = pose((ego_lane + 0.5) * lane_width_m + ego_lateral_m, ego_s_m)
    vehicles = []
    for car in cars:
        x, y, yaw = pose((car.lane + 0.5) * lane_width_m, car.s_m)
        vehicles.append(VehicleBox(x_m=x, y_m=y, yaw_rad=yaw + (np.pi if car.oncoming else 0.0),
                                   color_rgb=car.color_rgb))
    return Scene(ego=Pose2D(ex, ey, eyaw + ego_yaw_rad), boundaries=boundaries, vehicles=vehicles,
                 road_polygons=[road])
