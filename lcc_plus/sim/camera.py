"""Front camera model: pinhole intrinsics, plumb_bob distortion and the mount on the car.

Frames: base_link (REP-103: x forward, y left, z up, metres) and the camera optical
frame (REP-103 `_optical`: z forward, x right, y down). Pixel (u, v): u to the right,
v down, origin at the top-left pixel corner's centre convention of OpenCV.

The mount angles rotate the camera body frame (x forward like base_link) with
yaw about z, then pitch about y, then roll about x. Because +y points left, a
positive pitch tilts the view down.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from lcc_plus.common import params
from lcc_plus.sim import render_geometry as geo

# Without distortion, polygons are clipped to this multiple of the field of view (see project_polygons).
_PINHOLE_FIELD_SCALE = 20.0
# Optical axes expressed in the camera body frame: rows are optical x (right), y (down), z (forward).
_BODY_TO_OPTICAL = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


@dataclass(frozen=True)
class CameraParams:
    """Intrinsics and extrinsics of the front camera (config/camera.yaml, section `camera`)."""

    frame_id: str = params.spec("TF frame of the optical frame, written into CameraInfo")
    width_px: int = params.spec("image width", unit="px", min=640, max=4096)
    height_px: int = params.spec("image height", unit="px", min=480, max=4096)
    fx_px: float = params.spec("focal length along u", unit="px", min=1.0)
    fy_px: float = params.spec("focal length along v", unit="px", min=1.0)
    cx_px: float = params.spec("principal point u", unit="px")
    cy_px: float = params.spec("principal point v", unit="px")
    distortion_model: str = params.spec("lens distortion model", choices=("plumb_bob", "none"))
    distortion_coeffs: tuple[float, ...] = params.spec(
        "plumb_bob coefficients k1, k2, p1, p2, k3 (ignored for `none`)", min=-2.0, max=2.0)
    mount_x_m: float = params.spec("camera position in base_link, forward", unit="m", min=-10.0, max=10.0)
    mount_y_m: float = params.spec("camera position in base_link, left", unit="m", min=-5.0, max=5.0)
    mount_z_m: float = params.spec("camera height above the ground (base_link z)", unit="m", min=0.2, max=5.0)
    mount_pitch_rad: float = params.spec("mount pitch, positive looks down", unit="rad", min=-0.8, max=0.8)
    mount_yaw_rad: float = params.spec("mount yaw, positive looks left", unit="rad", min=-0.8, max=0.8)
    mount_roll_rad: float = params.spec("mount roll about the viewing axis", unit="rad", min=-0.5, max=0.5)
    near_clip_m: float = params.spec("near clipping distance along the optical axis", unit="m",
                                     min=0.01, max=5.0)
    fov_margin: float = params.spec(
        "how far past the image border (as a factor on the normalized half-extent) geometry is kept "
        "before clipping; keeps the distortion polynomial in its monotonic range", min=1.0, max=2.0)

    def validate(self) -> None:
        if not 0.0 < self.cx_px < self.width_px or not 0.0 < self.cy_px < self.height_px:
            raise ValueError(f"principal point ({self.cx_px}, {self.cy_px}) lies outside the "
                             f"{self.width_px}x{self.height_px} image")
        if self.distortion_model == "plumb_bob" and len(self.distortion_coeffs) != 5:
            raise ValueError(f"plumb_bob needs 5 distortion_coeffs (k1 k2 p1 p2 k3), got "
                             f"{len(self.distortion_coeffs)}")


def _rot_zyx(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    ry = np.array([[cp, 0.0, sp], [0.0, 1.0, 0.0], [-sp, 0.0, cp]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    return rz @ ry @ rx


class CameraModel:
    """Projects base_link geometry into the image and back onto the ground plane z = 0."""

    def __init__(self, p: CameraParams):
        self.params = p
        self.width = p.width_px
        self.height = p.height_px
        self.k = np.array([[p.fx_px, 0.0, p.cx_px], [0.0, p.fy_px, p.cy_px], [0.0, 0.0, 1.0]])
        coeffs = p.distortion_coeffs if p.distortion_model == "plumb_bob" else (0.0,) * 5
        self.d = np.array(coeffs, dtype=float)
        self.distorted = bool(np.any(self.d != 0.0))
        # rotation taking base_link vectors into the optical frame, and the optical centre in base_link
        self.r_opt_base = _BODY_TO_OPTICAL @ _rot_zyx(p.mount_yaw_rad, p.mount_pitch_rad, p.mount_roll_rad).T
        self.position_m = np.array([p.mount_x_m, p.mount_y_m, p.mount_z_m])
        self.near_m = p.near_clip_m
        self.field = self._field_bounds()
        self._check_monotonic()
        self._planes = self._make_clip_planes(1.0)
        self._loose_planes = self._make_clip_planes(_PINHOLE_FIELD_SCALE)

    @classmethod
    def from_config(cls, overrides: dict | None = None, file_name: str = "camera.yaml") -> CameraModel:
        """The camera of config/<file_name> (section `camera`), with optional parameter overrides."""
        return cls(params.load(CameraParams, file_name, "camera", overrides))

    # ----------------------------------------------------------------- geometry
    def _field_bounds(self) -> tuple[float, float, float, float]:
        """Normalized (x/z, y/z) extents kept before clipping: left, right, top, bottom."""
        w, h = self.width, self.height
        u = np.linspace(0.0, w - 1.0, 33)
        v = np.linspace(0.0, h - 1.0, 25)
        border = np.concatenate([np.stack([u, np.zeros_like(u)], 1), np.stack([u, np.full_like(u, h - 1.0)], 1),
                                 np.stack([np.zeros_like(v), v], 1), np.stack([np.full_like(v, w - 1.0), v], 1)])
        xy = self.normalize_pixels(border)
        m = self.params.fov_margin
        return (m * xy[:, 0].min(), m * xy[:, 0].max(), m * xy[:, 1].min(), m * xy[:, 1].max())

    def _check_monotonic(self) -> None:
        if not self.distorted:
            return
        left, right, top, bottom = self.field
        r_max = float(np.hypot(max(-left, right), max(-top, bottom)))
        k1, k2, _, _, k3 = self.d
        r = np.linspace(0.0, r_max, 200)
        r2 = r * r
        slope = 1.0 + 3.0 * k1 * r2 + 5.0 * k2 * r2 * r2 + 7.0 * k3 * r2 ** 3  # d(r * radial)/dr
        if np.any(slope <= 0.0):
            raise params.ParamError(
                f"camera distortion {self.d.tolist()} folds over inside the field of view (normalized radius "
                f"{r_max:.2f}); use smaller coefficients or a smaller fov_margin")

    def clip_planes(self) -> np.ndarray:
        """(5, 4) half-spaces n.p + c >= 0 in the optical frame bounding the kept field of view."""
        return self._planes

    def _make_clip_planes(self, scale: float) -> np.ndarray:
        """(5, 4) half-spaces n.p + c >= 0 in the optical frame: the near plane and the kept field of
        view widened by `scale`."""
        left, right, top, bottom = (scale * f for f in self.field)
        return np.array([
            [0.0, 0.0, 1.0, -self.near_m],
            [1.0, 0.0, -left, 0.0],      # x >= left * z
            [-1.0, 0.0, right, 0.0],     # x <= right * z
            [0.0, 1.0, -top, 0.0],       # y >= top * z
            [0.0, -1.0, bottom, 0.0],    # y <= bottom * z
        ])

    def base_to_optical(self, points_xyz: np.ndarray) -> np.ndarray:
        """(N, 3) base_link points to (N, 3) optical-frame points, metres."""
        pts = np.asarray(points_xyz, dtype=float).reshape(-1, 3)
        return (pts - self.position_m) @ self.r_opt_base.T

    def optical_to_base(self, points_opt: np.ndarray) -> np.ndarray:
        return np.asarray(points_opt, dtype=float).reshape(-1, 3) @ self.r_opt_base + self.position_m

    def distort_normalized(self, xy: np.ndarray) -> np.ndarray:
        """Apply the plumb_bob model to (N, 2) normalized image coordinates."""
        if not self.distorted:
            return xy
        k1, k2, p1, p2, k3 = self.d
        x, y = xy[:, 0], xy[:, 1]
        r2 = x * x + y * y
        radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
        xd = x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x)
        yd = y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y
        return np.stack([xd, yd], axis=1)

    def optical_to_pixel(self, points_opt: np.ndarray, distort: bool = True) -> np.ndarray:
        """(N, 3) optical-frame points with z > 0 to (N, 2) pixels; no validity check."""
        z = points_opt[:, 2:3]
        xy = points_opt[:, :2] / z
        if distort:
            xy = self.distort_normalized(xy)
        return xy * (self.k[0, 0], self.k[1, 1]) + (self.k[0, 2], self.k[1, 2])

    def in_field(self, points_opt: np.ndarray) -> np.ndarray:
        """True where an optical-frame point lies in front of the near plane and inside the kept field."""
        return np.all(points_opt @ self._planes[:, :3].T + self._planes[:, 3] >= 0.0, axis=1)

    def project_base_link(self, points_xyz: np.ndarray, distort: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Project (N, 3) base_link points to (N, 2) pixels.

        Returns (uv, valid): `valid` is False for points behind the near plane or outside the
        field of view plus margin (their uv is NaN). Valid points may still fall just outside the
        image; compare with width/height to keep only visible ones. `distort=False` gives the
        pixel in the undistorted image (`undistort`), whose intrinsics are the same K.
        """
        opt = self.base_to_optical(points_xyz)
        valid = self.in_field(opt)
        uv = np.full((len(opt), 2), np.nan)
        if np.any(valid):
            uv[valid] = self.optical_to_pixel(opt[valid], distort)
        return uv, valid

    def project_polygons(self, verts_base: np.ndarray, sizes: np.ndarray, *, distort: bool = True,
                         max_normalized_edge: float = 0.03, shift: int = 4) -> tuple[list[np.ndarray], np.ndarray]:
        """Clip (V, 3) base_link polygons to the field of view and project them for cv2.fillPoly.

        Polygon i owns the next sizes[i] rows of verts_base. With distortion on, edges longer than
        max_normalized_edge are subdivided first so that straight 3-D edges bend like the lens bends
        them. Returns (polygons as int32 pixels scaled by 2**shift, kept): kept[i] is the input index
        of polygons[i]; polygons entirely outside the view are dropped.
        """
        bend = distort and self.distorted
        # A pinhole projection is valid anywhere in front of the near plane and OpenCV clips to the image,
        # so without the lens a far looser field only keeps pixel coordinates small; few polygons cross
        # it. The lens polynomial needs geometry inside the field where it is monotonic.
        planes = self._planes if bend else self._loose_planes
        opt, sizes, kept = geo.clip_batch(self.base_to_optical(verts_base), np.asarray(sizes, dtype=int), planes)
        if len(sizes) == 0:
            return [], kept
        xy = opt[:, :2] / opt[:, 2:3]
        if bend:
            xy, sizes = geo.densify_batch(xy, sizes, max_normalized_edge)
            xy = self.distort_normalized(xy)
        uv = xy * (self.k[0, 0], self.k[1, 1]) + (self.k[0, 2], self.k[1, 2])
        fixed = np.round(uv * (1 << shift)).astype(np.int32)
        return np.split(fixed, np.cumsum(sizes)[:-1]), kept

    def ground_to_pixel(self, points_xy: np.ndarray, distort: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Project (N, 2) base_link ground points (z = 0) to pixels; see `project_base_link`."""
        xy = np.asarray(points_xy, dtype=float).reshape(-1, 2)
        return self.project_base_link(np.column_stack([xy, np.zeros(len(xy))]), distort)

    def normalize_pixels(self, uv: np.ndarray, distorted: bool = True) -> np.ndarray:
        """(N, 2) pixels to (N, 2) undistorted normalized coordinates (x/z, y/z)."""
        pts = np.asarray(uv, dtype=np.float64).reshape(-1, 1, 2)
        if distorted and self.distorted:
            return cv2.undistortPoints(pts, self.k, self.d).reshape(-1, 2)
        return ((pts.reshape(-1, 2) - (self.k[0, 2], self.k[1, 2])) / (self.k[0, 0], self.k[1, 1]))

    def pixel_to_ground(self, uv: np.ndarray, distorted: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Intersect the viewing rays of (N, 2) pixels with the ground z = 0.

        Returns (xy base_link metres, valid): rays at or above the horizon are invalid (NaN).
        """
        xy = self.normalize_pixels(uv, distorted)
        rays_base = np.column_stack([xy, np.ones(len(xy))]) @ self.r_opt_base  # optical -> base rotation
        dz = rays_base[:, 2]
        valid = dz < -1e-9
        t = np.where(valid, -self.position_m[2] / np.where(valid, dz, -1.0), np.nan)
        ground = self.position_m[:2] + rays_base[:, :2] * t[:, None]
        ground[~valid] = np.nan
        return ground, valid

    # ----------------------------------------------------------------- images
    @cached_property
    def _undistort_maps(self) -> tuple[np.ndarray, np.ndarray]:
        return cv2.initUndistortRectifyMap(self.k, self.d, None, self.k, (self.width, self.height), cv2.CV_16SC2)

    def undistort(self, image: np.ndarray) -> np.ndarray:
        """Remove lens distortion; the result has intrinsics K (CameraInfo `p`). Identity when undistorted."""
        if image.shape[:2] != (self.height, self.width):
            raise ValueError(f"undistort: image is {image.shape[1]}x{image.shape[0]}, camera is "
                             f"{self.width}x{self.height}")
        if not self.distorted:
            return image
        m1, m2 = self._undistort_maps
        return cv2.remap(image, m1, m2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def to_camera_info(self) -> dict:
        """sensor_msgs/CameraInfo fields as plain Python values (row-major matrices)."""
        p = np.hstack([self.k, np.zeros((3, 1))])
        return {
            "frame_id": self.params.frame_id,
            "width": self.width,
            "height": self.height,
            "distortion_model": "plumb_bob",
            "d": [float(v) for v in self.d],
            "k": [float(v) for v in self.k.ravel()],
            "r": [float(v) for v in np.eye(3).ravel()],
            "p": [float(v) for v in p.ravel()],
            "binning_x": 0,
            "binning_y": 0,
        }
