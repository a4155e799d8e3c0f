"""What the camera renderer and the overlay need to know about one instant of the world.

The world (lcc_plus/sim/world.py) fills these from the lanelet2 road network and the
traffic; the renderer (lcc_plus/sim/camera.py) draws them. World frame: ENU-like
map frame, x east, y north, metres; yaw positive counter-clockwise from +x.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np


class BoundaryKind(Enum):
    """What a lane boundary is made of (lanelet2 `type` / `subtype`)."""

    DASHED = "dashed"            # line_thin/dashed
    SOLID = "solid"              # line_thin/solid
    SOLID_DASHED = "solid_dashed"  # line_thin/solid_dashed (solid on the left of the way's direction)
    DOUBLE_SOLID = "double_solid"  # line_thick or solid_solid
    ROAD_BORDER = "road_border"  # edge of the asphalt, no marking
    CURBSTONE = "curbstone"      # raised curb
    VIRTUAL = "virtual"          # no physical marking (e.g. inside intersections, faded away)
    UNKNOWN = "unknown"          # map gives no type


@dataclass
class Boundary:
    """One lane boundary polyline in the world frame."""

    points_xy: np.ndarray            # (N, 2) metres, world frame
    kind: BoundaryKind
    color: str = "white"             # "white" | "yellow"
    wear: float = 0.0                # 0 fresh paint .. 1 fully worn away
    # Arc length (m) of points_xy[0] along the whole line: keeps dashes fixed to the ground
    # when the world passes a cropped piece of a longer boundary.
    arc_start_m: float = 0.0
    # (paint, gap) metres of a dashed line; None uses the renderer's default (config/camera.yaml).
    dash_m: tuple[float, float] | None = None


@dataclass
class VehicleBox:
    """An oriented box on the road (traffic car, parked car, obstacle)."""

    x_m: float
    y_m: float
    yaw_rad: float
    length_m: float = 4.5
    width_m: float = 1.8
    height_m: float = 1.5
    color_rgb: tuple[int, int, int] = (180, 30, 30)


@dataclass
class Pose2D:
    x_m: float
    y_m: float
    yaw_rad: float


@dataclass
class Scene:
    """Everything drawn in one frame."""

    ego: Pose2D
    boundaries: list[Boundary]
    vehicles: list[VehicleBox] = field(default_factory=list)
    road_polygons: list[np.ndarray] = field(default_factory=list)  # (N, 2) asphalt areas, world frame
