"""A 2-D polyline with arc length: Frenet projection and pose lookup (metres, radians).

Frenet convention: `s` is the arc length along the polyline from its first point,
`d` the signed lateral offset, positive to the left of the direction of travel.
"""
from __future__ import annotations

import bisect
import math

import numpy as np


class Polyline:
    """Piecewise-linear curve through `points_xy` (N >= 2, consecutive duplicates dropped)."""

    def __init__(self, points_xy: np.ndarray):
        pts = np.asarray(points_xy, dtype=float).reshape(-1, 2)
        if len(pts) >= 2:
            keep = np.r_[True, np.hypot(*np.diff(pts, axis=0).T) > 1e-6]
            pts = pts[keep]
        if len(pts) < 2:
            raise ValueError(f"a polyline needs at least 2 distinct points, got {len(pts)}")
        self.points = pts
        seg = np.diff(pts, axis=0)
        self.seg_len = np.hypot(seg[:, 0], seg[:, 1])
        self.seg_dir = seg / self.seg_len[:, None]
        self.s = np.r_[0.0, np.cumsum(self.seg_len)]
        self.length = float(self.s[-1])
        self.heading = np.arctan2(self.seg_dir[:, 1], self.seg_dir[:, 0])
        # Plain-Python copies for the scalar fast paths (numpy overhead dominates there).
        self._s_list = self.s.tolist()
        self._pts_list = pts.tolist()
        self._dir_list = self.seg_dir.tolist()
        self._seg_len_list = self.seg_len.tolist()
        self._curvature: dict[float, np.ndarray] = {}

    def project(self, xy: np.ndarray, s_lo: float = -np.inf, s_hi: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """(s, d) of each point in `xy` (M, 2), searching segments overlapping [s_lo, s_hi].

        The nearest vertex picks the candidate segments (the two around it), which is
        exact for lines whose segments are short against their radius of curvature.
        Points beyond either end are extrapolated along the end segment, so s may be
        negative or exceed the length."""
        q = np.atleast_2d(np.asarray(xy, dtype=float))
        n_seg = len(self.seg_len)
        lo = max(0, int(np.searchsorted(self.s, s_lo, side="right")) - 1)
        hi = min(n_seg, int(np.searchsorted(self.s, s_hi, side="left")) + 1)
        if hi <= lo:
            lo, hi = (n_seg - 1, n_seg) if s_lo > self.length else (0, 1)
        verts = self.points[lo:hi + 1]
        d2 = (q[:, 0:1] - verts[None, :, 0]) ** 2 + (q[:, 1:2] - verts[None, :, 1]) ** 2
        nearest = (np.argmin(d2, axis=1) + lo).tolist()
        out_s, out_d = [], []
        pts, dirs, lens, s_list = self._pts_list, self._dir_list, self._seg_len_list, self._s_list
        for (qx, qy), v in zip(q.tolist(), nearest):
            best = None
            for k in (v - 1, v):
                if k < lo or k >= hi:
                    continue
                (px, py), (ux, uy) = pts[k], dirs[k]
                rx, ry = qx - px, qy - py
                t = rx * ux + ry * uy
                inside = min(max(t, 0.0), lens[k])
                dist2 = (rx - inside * ux) ** 2 + (ry - inside * uy) ** 2
                # Extrapolate past the two ends of the whole polyline, clamp elsewhere.
                tc = min(t, lens[k]) if k == 0 else inside
                tc = max(t, 0.0) if k == n_seg - 1 else tc
                if k == 0 and k == n_seg - 1:
                    tc = t
                if best is None or dist2 < best[0]:
                    best = (dist2, s_list[k] + tc, ux * ry - uy * rx)
            out_s.append(best[1])
            out_d.append(best[2])
        return np.array(out_s), np.array(out_d)

    def _segment(self, s: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.s, s, side="right") - 1, 0, len(self.seg_len) - 1)

    def _scalar_xy(self, s: float, d: float) -> tuple[float, float]:
        k = min(max(bisect.bisect_right(self._s_list, s) - 1, 0), len(self._dir_list) - 1)
        (px, py), (ux, uy) = self._pts_list[k], self._dir_list[k]
        t = s - self._s_list[k]
        return px + t * ux - d * uy, py + t * uy + d * ux

    def xy_at(self, s: np.ndarray | float, d: np.ndarray | float = 0.0) -> np.ndarray:
        """World points at arc length s and lateral offset d (extrapolated past the ends)."""
        if np.ndim(s) == 0 and np.ndim(d) == 0:
            return np.array(self._scalar_xy(float(s), float(d)))
        s_arr = np.asarray(s, dtype=float)
        k = self._segment(s_arr)
        u = self.seg_dir[k]
        base = self.points[k] + (s_arr - self.s[k])[..., None] * u
        normal = np.stack([-u[..., 1], u[..., 0]], axis=-1)
        return base + np.asarray(d, dtype=float)[..., None] * normal

    def heading_at(self, s: np.ndarray | float) -> np.ndarray:
        """Heading (rad) at s, blended between segments over a 2 m window for smoothness."""
        if np.ndim(s) == 0:
            ax, ay = self._scalar_xy(float(s) - 1.0, 0.0)
            bx, by = self._scalar_xy(float(s) + 1.0, 0.0)
            return math.atan2(by - ay, bx - ax)
        s_arr = np.asarray(s, dtype=float)
        a = self.xy_at(s_arr - 1.0)
        b = self.xy_at(s_arr + 1.0)
        return np.arctan2(b[..., 1] - a[..., 1], b[..., 0] - a[..., 0])

    def curvature_at(self, s: np.ndarray | float, half_window_m: float = 3.0) -> np.ndarray:
        """Signed curvature (1/m, positive left) from the heading change over a window,
        tabulated once per window at the vertices and interpolated."""
        table = self._curvature.get(half_window_m)
        if table is None:
            h = self.heading_at(self.s + half_window_m) - self.heading_at(self.s - half_window_m)
            table = self._curvature[half_window_m] = wrap_angle(h) / (2.0 * half_window_m)
        return np.interp(s, self.s, table)

    def resampled(self, step_m: float) -> Polyline:
        n = max(2, int(np.ceil(self.length / step_m)) + 1)
        return Polyline(self.xy_at(np.linspace(0.0, self.length, n)))


def wrap_angle(a: np.ndarray | float) -> np.ndarray | float:
    """Angle wrapped to (-pi, pi]."""
    return (np.asarray(a) + np.pi) % (2.0 * np.pi) - np.pi


def to_frame(xy: np.ndarray, x0: float, y0: float, yaw0: float) -> np.ndarray:
    """World points (N, 2) into a frame at (x0, y0) rotated by yaw0 (x forward, y left)."""
    c, s = np.cos(yaw0), np.sin(yaw0)
    rel = np.asarray(xy, dtype=float) - (x0, y0)
    return np.stack([c * rel[..., 0] + s * rel[..., 1], -s * rel[..., 0] + c * rel[..., 1]], axis=-1)
