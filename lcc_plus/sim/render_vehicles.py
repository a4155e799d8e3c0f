"""Vehicles as shaded boxes for the renderer, vectorized over all vehicles of a frame.

A car is three boxes: a dark underbody (wheels), the body in the car's colour and a
narrower cabin with glass sides, plus tail or head lamps on the visible end. Faces are
culled when they turn away from the camera, so the faces of one box never overlap, and
boxes are listed far to near for painter's order. All geometry is in base_link (metres).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lcc_plus.sim.render_geometry import world_to_base
from lcc_plus.sim.scene import Scene

# (z0, z1) as fractions of the height, (length, width) as fractions of the footprint: underbody, body, cabin.
_BOXES = np.array([[0.0, 0.22, 0.9, 0.94], [0.15, 0.62, 1.0, 1.0], [0.62, 1.0, 0.55, 0.88]])
_SX = np.array([-1.0, 1.0, 1.0, -1.0] * 2)  # corner order: rear-right, front-right, front-left, rear-left,
_SY = np.array([-1.0, -1.0, 1.0, 1.0] * 2)  # bottom four then top four
_TOP = np.array([False] * 4 + [True] * 4)
# faces: rear, front, right, left, top (corner indices)
_FACES = np.array([[0, 3, 7, 4], [1, 5, 6, 2], [0, 4, 5, 1], [3, 2, 6, 7], [4, 7, 6, 5]])
_LAMP_SPAN = np.array([[0.04, 0.2], [0.8, 0.96]])  # lamp extents across the end face
_LAMP_HEIGHT = (0.55, 0.85)  # lamp extents up the body's end face


@dataclass(frozen=True)
class VehiclePalette:
    undercarriage_rgb: tuple[float, ...]
    glass_rgb: tuple[float, ...]
    tail_light_rgb: tuple[float, ...]
    head_light_rgb: tuple[float, ...]
    shade_top: float
    shade_side: float
    shade_end: float


@dataclass
class VehicleGeometry:
    """The frame's vehicles within range, far to near."""

    quads: np.ndarray       # (Q, 4, 3) visible faces and lamps in drawing order
    colors: list            # Q RGB int triples
    footprints: np.ndarray  # (N, 4, 3) ground rectangles under the cars (for their shadows)


def vehicle_geometry(scene: Scene, camera_xyz: np.ndarray, max_range_m: float, palette: VehiclePalette,
                     shadow_margin_m: float) -> VehicleGeometry:
    empty = VehicleGeometry(np.zeros((0, 4, 3)), [], np.zeros((0, 4, 3)))
    if not scene.vehicles:
        return empty
    arr = np.array([[v.x_m, v.y_m, v.yaw_rad, v.length_m, v.width_m, v.height_m] for v in scene.vehicles])
    rgb = np.array([v.color_rgb for v in scene.vehicles], dtype=float).reshape(-1, 3)
    finite = np.all(np.isfinite(arr), axis=1) & np.all(arr[:, 3:] > 0.0, axis=1)
    xy = world_to_base(arr[:, :2], scene.ego)
    rel = xy - camera_xyz[:2]
    dist = np.hypot(rel[:, 0], rel[:, 1])
    reach = 0.5 * np.hypot(arr[:, 3], arr[:, 4])
    keep = finite & (dist < max_range_m + reach) & (rel[:, 0] > -reach)  # in range and not wholly behind
    if not np.any(keep):
        return empty
    order = np.flatnonzero(keep)[np.argsort(-dist[keep], kind="stable")]
    arr, rgb, xy = arr[order], rgb[order], xy[order]
    n = len(arr)
    yaw = arr[:, 2] - scene.ego.yaw_rad
    c, s = np.cos(yaw)[:, None, None], np.sin(yaw)[:, None, None]
    half_l = 0.5 * arr[:, 3, None] * _BOXES[None, :, 2]          # (n, 3)
    half_w = 0.5 * arr[:, 4, None] * _BOXES[None, :, 3]
    lx, ly = half_l[:, :, None] * _SX, half_w[:, :, None] * _SY  # (n, 3, 8)
    z = arr[:, 5, None, None] * np.where(_TOP, _BOXES[None, :, 1, None], _BOXES[None, :, 0, None])
    corners = np.stack([xy[:, 0, None, None] + c * lx - s * ly, xy[:, 1, None, None] + s * lx + c * ly, z], axis=-1)
    faces = corners[:, :, _FACES]                                # (n, 3, 5, 4, 3)
    mid = faces.mean(axis=3)
    centre = corners.mean(axis=2)[:, :, None, :]
    visible = np.einsum("...k,...k->...", camera_xyz - mid, mid - centre) > 0.0  # (n, 3, 5)

    shade = np.array([palette.shade_end, palette.shade_end, palette.shade_side, palette.shade_side,
                      palette.shade_top])
    base = np.empty((n, 3, 5, 3))
    base[:, 0] = palette.undercarriage_rgb
    base[:, 1] = rgb[:, None, :]
    base[:, 2] = palette.glass_rgb
    base[:, 2, 4] = rgb
    face_rgb = np.clip(np.round(base * shade[None, None, :, None]), 0, 255)

    body = corners[:, 1]
    up = (body[:, 4] - body[:, 0])[:, None, None, :]
    ends = np.stack([np.stack([body[:, 0], body[:, 3]], 1), np.stack([body[:, 1], body[:, 2]], 1)], 1)  # (n,2,2,3)
    a, b = ends[:, :, None, 0, None, :], ends[:, :, None, 1, None, :]
    t = _LAMP_SPAN[None, None, :, [0, 1, 1, 0], None]             # across: p0 p1 p1 p0
    h = np.array(_LAMP_HEIGHT)[[0, 0, 1, 1]][None, None, None, :, None]
    lamps = a + t * (b - a) + h * up[:, :, None]                  # (n, 2 ends, 2 lamps, 4, 3)
    lamp_visible = np.repeat(visible[:, 1, :2, None], 2, axis=2)  # body rear / front face shown
    lamp_rgb = np.broadcast_to(np.array([palette.tail_light_rgb, palette.head_light_rgb])[None, :, None, :],
                               (n, 2, 2, 3))

    quads = np.concatenate([faces.reshape(n, 15, 4, 3), lamps.reshape(n, 4, 4, 3)], axis=1).reshape(-1, 4, 3)
    shown = np.concatenate([visible.reshape(n, 15), lamp_visible.reshape(n, 4)], axis=1).reshape(-1)
    colors = np.concatenate([face_rgb.reshape(n, 15, 3), lamp_rgb.reshape(n, 4, 3)], axis=1).reshape(-1, 3)

    grow_l = 0.5 * arr[:, 3, None] + shadow_margin_m
    grow_w = 0.5 * arr[:, 4, None] + shadow_margin_m
    fx, fy = grow_l * _SX[:4], grow_w * _SY[:4]
    c2, s2 = c[:, :, 0], s[:, :, 0]
    footprints = np.stack([xy[:, 0, None] + c2 * fx - s2 * fy, xy[:, 1, None] + s2 * fx + c2 * fy,
                           np.zeros_like(fx)], axis=-1)
    return VehicleGeometry(quads[shown], colors[shown].astype(int).tolist(), footprints)
