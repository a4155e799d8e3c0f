"""Front-camera renderer: draws a Scene as the windshield camera sees it (RGB uint8).

Everything is projected polygons filled with OpenCV, painter's order far to near:
sky and hills, grass, asphalt, road-edge bands, lane markings, curbs, shadows, vehicles,
haze, then windshield dirt, wiper, blur, exposure/colour and sensor noise. Ground
geometry is clipped against the camera's near plane and field of view before projection,
so nothing behind the camera wraps around. Dash patterns and wear breaks follow the
boundary's absolute arc length and world position, so they stay fixed to the ground.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from functools import cached_property

import cv2
import numpy as np

from lcc_plus.common import params
from lcc_plus.sim import render_geometry as geo
from lcc_plus.sim.appearance import Appearance
from lcc_plus.sim.camera import CameraModel
from lcc_plus.sim.render_vehicles import VehicleGeometry, VehiclePalette, vehicle_geometry
from lcc_plus.sim.scene import Boundary, BoundaryKind, Scene

__all__ = ["Appearance", "RenderParams", "Renderer"]

_SHIFT = 4  # fixed-point bits of the pixel coordinates handed to OpenCV (1/16 px)
_NOISE_MARGIN_PX = 32
_NOISE_TILE_SIGMA = 32.0


@dataclass(frozen=True)
class RenderParams:
    """Palette and geometry of the rendered world (config/camera.yaml, section `camera_renderer`)."""

    max_range_m: float = params.spec("farthest ground geometry drawn", unit="m", min=20.0, max=1000.0)
    sample_step_m: float = params.spec("arc-length step of marking ribbons", unit="m", min=0.1, max=5.0)
    marking_width_m: float = params.spec("lane marking width", unit="m", min=0.05, max=0.5)
    double_line_gap_m: float = params.spec("gap between the two lines of a double marking", unit="m",
                                           min=0.05, max=0.5)
    dash_paint_m: float = params.spec("painted length of a dash when the boundary gives none", unit="m",
                                      min=0.5, max=20.0)
    dash_gap_m: float = params.spec("gap between dashes when the boundary gives none", unit="m",
                                    min=0.5, max=30.0)
    wear_chunk_m: float = params.spec("length of the pieces worn paint breaks into", unit="m", min=0.1, max=5.0)
    wear_fade: float = params.spec("how far fully worn paint fades toward the asphalt", min=0.0, max=1.0)
    road_edge_band_m: float = params.spec("width of the weathered band drawn along a road border", unit="m",
                                          min=0.0, max=2.0)
    curb_width_m: float = params.spec("curbstone width", unit="m", min=0.05, max=0.6)
    curb_height_m: float = params.spec("curbstone height above the road", unit="m", min=0.02, max=0.4)
    shadow_cell_m: float = params.spec("size of the world grid cells tree shadows are seeded in", unit="m",
                                       min=2.0, max=50.0)
    shadow_range_m: float = params.spec("farthest tree shadow drawn", unit="m", min=10.0, max=300.0)
    shadow_radius_range_m: tuple[float, ...] = params.spec("tree shadow radius range", unit="m",
                                                           min=0.2, max=20.0)
    shadow_blur_px: float = params.spec("softness of shadow edges (Gaussian sigma)", unit="px", min=0.0, max=10.0)
    car_shadow_darkness: float = params.spec("fraction of light removed under a vehicle", min=0.0, max=0.95)
    car_shadow_margin_m: float = params.spec("how far a vehicle's shadow reaches past its footprint", unit="m",
                                             min=0.0, max=1.0)
    haze_base: float = params.spec("aerial haze at the horizon with Appearance.haze = 0", min=0.0, max=1.0)
    haze_start_m: float = params.spec("distance where haze begins", unit="m", min=1.0, max=1000.0)
    haze_full_m: float = params.spec("distance of full haze", unit="m", min=2.0, max=10000.0)
    hills_distance_m: float = params.spec("distance of the hill silhouette", unit="m", min=200.0, max=20000.0)
    hills_height_m: float = params.spec("peak height of the hill silhouette", unit="m", min=0.0, max=2000.0)
    shade_top: float = params.spec("brightness of a vehicle's top faces", min=0.1, max=2.0)
    shade_side: float = params.spec("brightness of a vehicle's side faces", min=0.1, max=2.0)
    shade_end: float = params.spec("brightness of a vehicle's front and rear faces", min=0.1, max=2.0)
    sky_zenith_rgb: tuple[float, ...] = params.spec("sky colour at the top of the image", min=0.0, max=255.0)
    sky_horizon_rgb: tuple[float, ...] = params.spec("sky and haze colour at the horizon", min=0.0, max=255.0)
    hills_rgb: tuple[float, ...] = params.spec("distant hill colour", min=0.0, max=255.0)
    grass_rgb: tuple[float, ...] = params.spec("ground colour off the road", min=0.0, max=255.0)
    asphalt_rgb: tuple[float, ...] = params.spec("road surface colour", min=0.0, max=255.0)
    road_edge_rgb: tuple[float, ...] = params.spec("weathered road-border band colour", min=0.0, max=255.0)
    paint_white_rgb: tuple[float, ...] = params.spec("white marking paint", min=0.0, max=255.0)
    paint_yellow_rgb: tuple[float, ...] = params.spec("yellow marking paint", min=0.0, max=255.0)
    curb_top_rgb: tuple[float, ...] = params.spec("curbstone top", min=0.0, max=255.0)
    curb_side_rgb: tuple[float, ...] = params.spec("curbstone face", min=0.0, max=255.0)
    glass_rgb: tuple[float, ...] = params.spec("vehicle window glass", min=0.0, max=255.0)
    undercarriage_rgb: tuple[float, ...] = params.spec("vehicle wheels and underbody", min=0.0, max=255.0)
    tail_light_rgb: tuple[float, ...] = params.spec("vehicle tail lights", min=0.0, max=255.0)
    head_light_rgb: tuple[float, ...] = params.spec("vehicle head lights", min=0.0, max=255.0)

    def validate(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_rgb") and len(value) != 3:
                raise ValueError(f"{f.name} must have 3 values (R, G, B), got {list(value)}")
        if len(self.shadow_radius_range_m) != 2 or self.shadow_radius_range_m[0] > self.shadow_radius_range_m[1]:
            raise ValueError("shadow_radius_range_m must be [low, high] with low <= high")
        if self.haze_full_m <= self.haze_start_m:
            raise ValueError("haze_full_m must exceed haze_start_m")


def _rgb(values: tuple[float, ...] | np.ndarray, offset: float = 0.0) -> tuple[int, int, int]:
    c = np.clip(np.asarray(values, dtype=float) + offset, 0.0, 255.0)
    return int(round(c[0])), int(round(c[1])), int(round(c[2]))


def _mix(a: tuple[float, ...], b: tuple[float, ...], t: float | np.ndarray) -> np.ndarray:
    """Colour a blended toward b by t (0..1; an (N, 1) t gives N colours)."""
    return (1.0 - t) * np.asarray(a, dtype=float) + t * np.asarray(b, dtype=float)


def _pinhole_canvas(camera: CameraModel) -> tuple[CameraModel, tuple[np.ndarray, np.ndarray] | None]:
    """A distortion-free camera with the same K covering every ray of `camera`'s image, and the
    remap tables that turn its canvas into `camera`'s distorted image (None without distortion)."""
    if not camera.distorted:
        return camera, None
    h, w = camera.height, camera.width
    vv, uu = np.mgrid[0:h, 0:w].astype(np.float64)
    xy = camera.normalize_pixels(np.column_stack([uu.ravel(), vv.ravel()]))
    uv = xy * (camera.k[0, 0], camera.k[1, 1]) + (camera.k[0, 2], camera.k[1, 2])
    u0, v0 = np.floor(uv.min(axis=0)) - 2.0
    u1, v1 = np.ceil(uv.max(axis=0)) + 3.0
    canvas = dataclasses.replace(camera.params, width_px=int(u1 - u0), height_px=int(v1 - v0),
                                 cx_px=camera.params.cx_px - u0, cy_px=camera.params.cy_px - v0,
                                 distortion_model="none")
    maps = (uv - (u0, v0)).astype(np.float32).reshape(h, w, 2)
    return CameraModel(canvas), cv2.convertMaps(maps, None, cv2.CV_16SC2)


@dataclass
class _Layers:
    """Ground ribbons collected from all boundaries, drawn in batches: bands, then paint, then curbs."""

    bands: list = dataclasses.field(default_factory=list)
    paint: list = dataclasses.field(default_factory=list)
    curbs: list = dataclasses.field(default_factory=list)


class Renderer:
    """Renders Scenes through one CameraModel; caches what depends only on the camera."""

    def __init__(self, camera: CameraModel, render_params: RenderParams | None = None):
        self.camera = camera
        # Draw through a distortion-free view on a canvas big enough for the lens, then bend the whole
        # image once (one remap is exact for every edge and cheaper than subdividing polygons).
        self._view, self._lens_maps = _pinhole_canvas(camera)
        self.p = render_params or params.load(RenderParams, "camera.yaml", "camera_renderer")
        self._cam_xy = camera.position_m[:2]
        self._prepared: dict[int, tuple] = {}

    @classmethod
    def from_config(cls, camera_overrides: dict | None = None) -> Renderer:
        return cls(CameraModel.from_config(camera_overrides))

    # ------------------------------------------------------------------ public
    def render(self, scene: Scene, appearance: Appearance | None = None,
               rng: np.random.Generator | None = None) -> np.ndarray:
        """(H, W, 3) uint8 RGB image of `scene`; per-frame effects (wiper, noise) draw from `rng`."""
        if not np.all(np.isfinite([scene.ego.x_m, scene.ego.y_m, scene.ego.yaw_rad])):
            raise ValueError(f"render: the ego pose must be finite, got {scene.ego}")
        look = appearance or Appearance()
        rng = rng if rng is not None else np.random.default_rng(0)
        img = self._sky.copy()
        self._draw_hills(img, scene, look)
        self._fill(img, *self._ground_polygon(), _rgb(self.p.grass_rgb, look.vegetation_offset))
        asphalt = _rgb(self.p.asphalt_rgb, look.asphalt_offset)
        for poly in scene.road_polygons:
            self._fill_world(img, scene, poly, asphalt)
        layers = _Layers()
        for b in scene.boundaries:
            self._boundary_geometry(layers, scene, b, look, asphalt)
        self._fill_groups(img, layers.bands, aa=False)
        self._fill_groups(img, layers.paint, aa=True)
        for base, s, spans in layers.curbs:
            self._draw_curb(img, base, s, spans)
        vehicles = vehicle_geometry(scene, self.camera.position_m, self.p.max_range_m, self._palette,
                                    self.p.car_shadow_margin_m)
        self._draw_shadows(img, scene, look, vehicles.footprints)
        self._draw_vehicles(img, vehicles)
        self._apply_haze(img, look)
        if self._lens_maps is not None:
            img = cv2.remap(img, *self._lens_maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self._apply_windshield(img, look, rng)
        return self._apply_sensor(img, look, rng)

    # --------------------------------------------------------- projection core
    def _project(self, verts_base: np.ndarray, sizes: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        return self._view.project_polygons(verts_base, sizes, distort=False, shift=_SHIFT)

    def _fill(self, img: np.ndarray, verts_base: np.ndarray, sizes: np.ndarray, color, aa: bool = False) -> None:
        polys, _ = self._project(verts_base, sizes)
        if polys:
            cv2.fillPoly(img, polys, color, cv2.LINE_AA if aa else cv2.LINE_8, _SHIFT)

    def _world_points(self, arr: np.ndarray, scene: Scene) -> np.ndarray | None:
        """Finite (N, 2) points of a world polyline or polygon, or None when it lies out of range.

        Maps pass the same arrays every frame, so the cleaned points and bounding box are cached
        per array object (held here, so its id stays unique); arrays are taken as immutable.
        """
        hit = self._prepared.get(id(arr))
        if hit is None or hit[0] is not arr:
            pts = np.asarray(arr, dtype=float).reshape(-1, 2)
            pts = pts[np.all(np.isfinite(pts), axis=1)]
            box = np.concatenate([pts.min(axis=0), pts.max(axis=0)]) if len(pts) else None
            if len(self._prepared) > 20000:
                self._prepared.clear()
            hit = self._prepared[id(arr)] = (arr, pts, box)
        _, pts, box = hit
        if box is None:
            return None
        dx = max(box[0] - scene.ego.x_m, 0.0, scene.ego.x_m - box[2])
        dy = max(box[1] - scene.ego.y_m, 0.0, scene.ego.y_m - box[3])
        return pts if dx * dx + dy * dy < self.p.max_range_m ** 2 else None

    def _fill_world(self, img: np.ndarray, scene: Scene, poly_xy: np.ndarray, color) -> None:
        pts = self._world_points(poly_xy, scene)
        if pts is not None and len(pts) >= 3:
            self._fill(img, geo.with_z(geo.world_to_base(pts, scene.ego), 0.0), np.array([len(pts)]), color)

    def _ground_polygon(self) -> tuple[np.ndarray, np.ndarray]:
        far = self.p.hills_distance_m
        quad = np.array([[-far, -far], [far, -far], [far, far], [-far, far]])
        return geo.with_z(quad, 0.0), np.array([4])

    # --------------------------------------------------------------- backdrop
    @cached_property
    def _sky(self) -> np.ndarray:
        """Sky gradient from zenith colour (top row) to horizon colour (at and below the horizon)."""
        h, w = self._view.height, self._view.width
        rows = np.arange(h, dtype=float)
        horizon_v = self._horizon_row()
        t = np.clip(rows / max(horizon_v, 1.0), 0.0, 1.0)[:, None] ** 0.7  # lighter close to the horizon
        col = _mix(self.p.sky_zenith_rgb, self.p.sky_horizon_rgb, t)
        return np.repeat(np.clip(col, 0, 255).astype(np.uint8)[:, None, :], w, axis=1)

    def _horizon_row(self) -> float:
        """Image row of the horizon straight ahead (a far point on the ground)."""
        uv, ok = self._view.project_base_link(np.array([[1e6, 0.0, 0.0]]))
        return float(uv[0, 1]) if ok[0] else 0.0

    def _draw_hills(self, img: np.ndarray, scene: Scene, look: Appearance) -> None:
        """A silhouette of hills fixed to world azimuth, so it slides sideways as the car turns."""
        r = self.p.hills_distance_m
        az = np.linspace(-1.4, 1.4, 57)
        world_az = az + scene.ego.yaw_rad
        shape = 0.55 + 0.25 * np.sin(3.0 * world_az + 1.0) + 0.2 * np.sin(7.0 * world_az + 2.5)
        top = np.column_stack([r * np.cos(az), r * np.sin(az), self.p.hills_height_m * shape])
        bottom = np.column_stack([r * np.cos(az), r * np.sin(az), np.zeros_like(az)])[::-1]
        self._fill(img, np.concatenate([top, bottom]), np.array([2 * len(az)]),
                   _rgb(self.p.hills_rgb, look.vegetation_offset))

    # ---------------------------------------------------------------- markings
    def _fill_groups(self, img: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray, tuple]], aa: bool) -> None:
        """Fill (verts, sizes, colour) groups of ground ribbons with one projection for all of them."""
        if not groups:
            return
        verts = geo.with_z(np.concatenate([g[0] for g in groups]), 0.0)
        sizes = np.concatenate([g[1] for g in groups])
        group_of = np.repeat(np.arange(len(groups)), [len(g[1]) for g in groups])
        polys, kept = self._project(verts, sizes)
        if not polys:
            return
        kept_group = group_of[kept]
        for g in np.unique(kept_group):
            cv2.fillPoly(img, [polys[j] for j in np.flatnonzero(kept_group == g)], groups[g][2],
                         cv2.LINE_AA if aa else cv2.LINE_8, _SHIFT)

    def _boundary_geometry(self, layers: _Layers, scene: Scene, b: Boundary, look: Appearance, asphalt) -> None:
        """Add one boundary's road-edge band, paint ribbons or curb to `layers`."""
        if b.kind in (BoundaryKind.VIRTUAL, BoundaryKind.UNKNOWN):
            return  # nothing physical to see
        pts = self._world_points(b.points_xy, scene)
        if pts is None or len(pts) < 2:
            return
        base = geo.world_to_base(pts, scene.ego)
        seg = np.hypot(*np.diff(base, axis=0).T)
        keep = np.concatenate([[True], seg > 1e-6])
        base, pts = base[keep], pts[keep]
        if len(base) < 2:
            return
        s = b.arc_start_m + np.concatenate([[0.0], np.cumsum(seg[seg > 1e-6])])
        r = self.p.max_range_m
        visible = (base[:, 0] > -r * 0.1) & (np.hypot(base[:, 0], base[:, 1]) < r)
        spans = geo.visible_spans(s, visible)
        if len(spans) == 0:
            return
        p = self.p
        if b.kind == BoundaryKind.ROAD_BORDER:
            verts, sizes = geo.ribbon_batch(base, s, spans, 0.0, p.road_edge_band_m, p.sample_step_m)
            layers.bands.append((verts, sizes, _rgb(p.road_edge_rgb, look.asphalt_offset)))
            return
        if b.kind == BoundaryKind.CURBSTONE:
            layers.curbs.append((base, s, spans))
            return
        wear = float(np.clip(b.wear + look.marking_wear, 0.0, 1.0))
        paint = p.paint_yellow_rgb if b.color == "yellow" else p.paint_white_rgb
        color = _rgb(_mix(paint, asphalt, p.wear_fade * wear))
        dash = b.dash_m or (p.dash_paint_m, p.dash_gap_m)
        off = 0.5 * (p.marking_width_m + p.double_line_gap_m)
        stripes = {
            BoundaryKind.DASHED: [(0.0, True)],
            BoundaryKind.SOLID: [(0.0, False)],
            BoundaryKind.SOLID_DASHED: [(off, False), (-off, True)],
            BoundaryKind.DOUBLE_SOLID: [(off, False), (-off, False)],
        }[b.kind]
        for index, (offset, dashed) in enumerate(stripes):
            pieces = geo.periodic_intervals(spans, dash[0], dash[0] + dash[1]) if dashed else spans
            if wear > 0.0:
                pieces = geo.intersect_intervals(pieces, self._surviving_paint(pts, s, spans, wear, index))
            if len(pieces):
                v, n = geo.ribbon_batch(base, s, pieces, offset, p.marking_width_m, p.sample_step_m)
                layers.paint.append((v, n, color))

    def _surviving_paint(self, pts_world: np.ndarray, s: np.ndarray, spans: np.ndarray, wear: float,
                         stripe: int) -> np.ndarray:
        """Arc-length runs where worn paint survives; the breaks are keyed to world position."""
        c = self.p.wear_chunk_m
        k = np.concatenate([np.arange(np.floor(a / c), np.ceil(e / c)) for a, e in spans]).astype(int)
        k = np.unique(k)
        mid = (k + 0.5) * c
        key_x = np.round(np.interp(mid, s, pts_world[:, 0]) / c).astype(np.int64)
        key_y = np.round(np.interp(mid, s, pts_world[:, 1]) / c).astype(np.int64)
        alive = geo.hash01(key_x, key_y, np.full_like(k, stripe)) >= wear
        return geo.merge_runs(k[alive] * c, (k[alive] + 1) * c)

    def _draw_curb(self, img: np.ndarray, base: np.ndarray, s: np.ndarray, spans: np.ndarray) -> None:
        """A raised band: the two vertical faces (nearer one last), then the top."""
        p = self.p
        half = 0.5 * p.curb_width_m
        faces = []
        for side in (1.0, -1.0):
            edge, n = geo.ribbon_batch(base, s, spans, side * half, 0.0, p.sample_step_m)
            # a zero-width ribbon gives each edge point twice: lift the returning half to the curb top
            z = np.concatenate([np.repeat([0.0, p.curb_height_m], k // 2) for k in n])
            dist = float(np.mean(np.hypot(*(edge - self._cam_xy).T)))
            faces.append((dist, np.column_stack([edge, z]), n))
        for _, verts, n in sorted(faces, key=lambda f: -f[0]):
            self._fill(img, verts, n, _rgb(p.curb_side_rgb))
        top, n = geo.ribbon_batch(base, s, spans, 0.0, p.curb_width_m, p.sample_step_m)
        self._fill(img, geo.with_z(top, p.curb_height_m), n, _rgb(p.curb_top_rgb))

    # ----------------------------------------------------------------- shadows
    def _draw_shadows(self, img: np.ndarray, scene: Scene, look: Appearance, footprints: np.ndarray) -> None:
        """Darken the ground under tree shadows (world-fixed blobs) and under vehicles ((N, 4, 3) footprints)."""
        polys: list[tuple[np.ndarray, np.ndarray, int]] = []
        if look.shadow_density > 0.0 and look.shadow_strength > 0.0:
            verts, sizes = self._tree_shadows(scene, look)
            polys.append((verts, sizes, int(255 * look.shadow_strength)))
        if len(footprints) and self.p.car_shadow_darkness > 0.0:
            polys.append((footprints.reshape(-1, 3), np.full(len(footprints), 4),
                          int(255 * self.p.car_shadow_darkness)))
        mask = None
        for verts, sizes, value in polys:
            projected, _ = self._project(verts, sizes)
            if projected:
                if mask is None:
                    mask = np.zeros(img.shape[:2], np.uint8)
                cv2.fillPoly(mask, projected, value, cv2.LINE_8, _SHIFT)
        if mask is None:
            return
        rows = np.flatnonzero(mask.any(axis=1))
        if len(rows) == 0:
            return
        r0, r1 = rows[0], rows[-1] + 1
        band = mask[r0:r1]
        if self.p.shadow_blur_px > 0.0:
            band = cv2.GaussianBlur(band, (0, 0), self.p.shadow_blur_px)
        light = cv2.merge([255 - band] * 3)
        img[r0:r1] = cv2.multiply(img[r0:r1], light, scale=1.0 / 255.0)

    def _tree_shadows(self, scene: Scene, look: Appearance) -> tuple[np.ndarray, np.ndarray]:
        cell = self.p.shadow_cell_m
        reach = self.p.shadow_range_m
        c, s = np.cos(scene.ego.yaw_rad), np.sin(scene.ego.yaw_rad)
        corners = np.array([[0.0, -reach / 2], [reach, -reach / 2], [reach, reach / 2], [0.0, reach / 2]])
        world = corners @ np.array([[c, s], [-s, c]]) + (scene.ego.x_m, scene.ego.y_m)
        lo = np.floor(world.min(axis=0) / cell).astype(int)
        hi = np.floor(world.max(axis=0) / cell).astype(int)
        ix, iy, slot = np.meshgrid(np.arange(lo[0], hi[0] + 1), np.arange(lo[1], hi[1] + 1), np.arange(2))
        ix, iy, slot = ix.ravel(), iy.ravel(), slot.ravel()
        u = geo.hash_fields(ix, iy, slot, look.shadow_seed)  # presence, centre x, centre y, radius
        present = u[:, 0] < 0.5 * look.shadow_density
        ix, iy, slot, u = ix[present], iy[present], slot[present], u[present]
        centre = np.column_stack([ix + u[:, 1], iy + u[:, 2]]) * cell
        r_lo, r_hi = self.p.shadow_radius_range_m
        radius = r_lo + (r_hi - r_lo) * u[:, 3]
        ang = np.linspace(0.0, 2 * np.pi, 12, endpoint=False)
        wobble = 0.75 + 0.5 * np.concatenate([geo.hash_fields(ix, iy, slot, look.shadow_seed + k)
                                              for k in (1, 2, 3)], axis=1)  # 12 rim radii per blob
        rim = centre[:, None, :] + (radius[:, None] * wobble)[:, :, None] * np.stack(
            [np.cos(ang), np.sin(ang)], axis=-1)[None]
        base = geo.world_to_base(rim.reshape(-1, 2), scene.ego)
        return geo.with_z(base, 0.0), np.full(len(centre), 12)

    # ---------------------------------------------------------------- vehicles
    @cached_property
    def _palette(self) -> VehiclePalette:
        p = self.p
        return VehiclePalette(p.undercarriage_rgb, p.glass_rgb, p.tail_light_rgb, p.head_light_rgb,
                              p.shade_top, p.shade_side, p.shade_end)

    def _draw_vehicles(self, img: np.ndarray, vehicles: VehicleGeometry) -> None:
        """All vehicle faces far to near (painter's order)."""
        if not len(vehicles.quads):
            return
        polys, kept = self._project(vehicles.quads.reshape(-1, 3), np.full(len(vehicles.quads), 4))
        for poly, i in zip(polys, kept):
            cv2.fillPoly(img, [poly], vehicles.colors[i], cv2.LINE_AA, _SHIFT)

    # -------------------------------------------------------------- post effects
    @cached_property
    def _haze_alpha(self) -> tuple[int, np.ndarray]:
        """(first row, per-pixel haze weight at full haze) for the rows where ground lies far away."""
        h, w = self._view.height, self._view.width
        vv, uu = np.mgrid[0:h, 0:w]
        ground, ok = self._view.pixel_to_ground(np.column_stack([uu.ravel(), vv.ravel()]).astype(float))
        dist = np.where(ok, np.hypot(ground[:, 0], ground[:, 1]), np.inf).reshape(h, w)
        t = np.clip((dist - self.p.haze_start_m) / (self.p.haze_full_m - self.p.haze_start_m), 0.0, 1.0)
        t[~ok.reshape(h, w)] = 0.0  # the sky gradient already ends in the haze colour
        rows = np.flatnonzero(t.max(axis=1) > 0.0)
        if len(rows) == 0:
            return 0, np.zeros((0, w, 1), np.float32)
        r0, r1 = rows[0], rows[-1] + 1
        return int(r0), np.sqrt(t[r0:r1]).astype(np.float32)[:, :, None]

    def _apply_haze(self, img: np.ndarray, look: Appearance) -> None:
        strength = float(np.clip(self.p.haze_base + look.haze, 0.0, 1.0))
        r0, alpha = self._haze_alpha
        if strength <= 0.0 or len(alpha) == 0:
            return
        band = img[r0:r0 + len(alpha)].astype(np.float32)
        a = alpha * strength
        haze = np.asarray(self.p.sky_horizon_rgb, dtype=np.float32)
        img[r0:r0 + len(alpha)] = (band + a * (haze - band)).astype(np.uint8)

    def _apply_windshield(self, img: np.ndarray, look: Appearance, rng: np.random.Generator) -> None:
        h, w = img.shape[:2]
        for d in look.dirt:
            cv2.ellipse(img, (int(d.u * w), int(d.v * h)), (max(1, int(d.radius_u * w)), max(1, int(d.radius_v * h))),
                        d.angle_deg, 0, 360, (d.grey, d.grey, d.grey), -1, cv2.LINE_AA)
        # always draw the random numbers so the stream does not depend on the look
        show, pivot, angle = rng.uniform(), rng.uniform(0.2, 0.8), rng.uniform(0.25 * np.pi, 0.75 * np.pi)
        if show < look.wiper_frame_probability:
            p0 = (int(pivot * w), h + 10)
            p1 = (int(p0[0] + 1.3 * h * np.cos(angle)), int(p0[1] - 1.3 * h * np.sin(angle)))
            cv2.line(img, p0, p1, (15, 15, 15), max(4, w // 40), cv2.LINE_AA)
        if look.motion_blur_px >= 2.0:
            n = int(round(look.motion_blur_px))
            kernel = np.zeros((n, n), np.float32)
            c = (n - 1) / 2.0
            dx, dy = np.cos(look.motion_blur_angle_rad) * c, np.sin(look.motion_blur_angle_rad) * c
            cv2.line(kernel, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0)
            cv2.filter2D(img, -1, kernel / kernel.sum(), dst=img)
        if look.defocus_sigma_px > 0.0:
            cv2.GaussianBlur(img, (0, 0), look.defocus_sigma_px, dst=img)

    @cached_property
    def _noise_tile(self) -> np.ndarray:
        h, w = self.camera.height, self.camera.width
        gen = np.random.default_rng(12345)  # a fixed tile; each frame takes a random window of it
        tile = 128.0 + _NOISE_TILE_SIGMA * gen.standard_normal((h + _NOISE_MARGIN_PX, w + _NOISE_MARGIN_PX, 3))
        return np.clip(tile, 0, 255).astype(np.uint8)

    def _apply_sensor(self, img: np.ndarray, look: Appearance, rng: np.random.Generator) -> np.ndarray:
        oy, ox = rng.integers(0, _NOISE_MARGIN_PX, size=2)
        if (look.brightness, look.contrast, look.temperature) != (1.0, 1.0, 0.0):
            x = np.arange(256, dtype=float) / 255.0
            gains = np.array([1.0 + look.temperature, 1.0, 1.0 - look.temperature])
            curve = ((x - 0.5) * look.contrast + 0.5)[:, None] * look.brightness * gains[None, :]
            lut = np.clip(curve * 255.0, 0, 255).astype(np.uint8).reshape(256, 1, 3)
            img = cv2.LUT(img, lut)
        if look.noise_sigma > 0.0:
            h, w = img.shape[:2]
            a = look.noise_sigma / _NOISE_TILE_SIGMA
            img = cv2.addWeighted(img, 1.0, self._noise_tile[oy:oy + h, ox:ox + w], a, -128.0 * a)
        return img
