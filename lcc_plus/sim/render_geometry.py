"""Vectorized geometry for the camera renderer: frames, polygon clipping, painted intervals.

Polygon batches are (verts (V, D), sizes (P,)): polygon i owns the next sizes[i] rows of
verts. Arc lengths are metres along a polyline; intervals are (K, 2) arrays [start, end).
"""
from __future__ import annotations

import numpy as np

from lcc_plus.sim.scene import Pose2D


def world_to_base(points_xy: np.ndarray, ego: Pose2D) -> np.ndarray:
    """(N, 2) world-frame points into base_link of the ego pose (metres)."""
    c, s = np.cos(ego.yaw_rad), np.sin(ego.yaw_rad)
    d = np.asarray(points_xy, dtype=float).reshape(-1, 2) - (ego.x_m, ego.y_m)
    return np.column_stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]])


def with_z(points_xy: np.ndarray, z_m: float | np.ndarray) -> np.ndarray:
    """(N, 2) ground points lifted to (N, 3) at height z_m."""
    return np.column_stack([points_xy, np.broadcast_to(z_m, (len(points_xy),))])


def hash64(*keys: np.ndarray) -> np.ndarray:
    """Deterministic 64-bit hashes of integer key arrays (splitmix64 mixing, keys broadcast)."""
    h = np.full(np.broadcast(*keys).shape, 0x9E3779B97F4A7C15, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in keys:
            h ^= np.asarray(k).astype(np.int64).astype(np.uint64)
            h += np.uint64(0x9E3779B97F4A7C15)
            h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            h ^= h >> np.uint64(31)
    return h


def hash01(*keys: np.ndarray) -> np.ndarray:
    """Deterministic uniform [0, 1) values from integer key arrays."""
    return (hash64(*keys) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def hash_fields(*keys: np.ndarray) -> np.ndarray:
    """Four independent uniform [0, 1) values (16 bits each) per key tuple: shape (..., 4)."""
    h = hash64(*keys)[..., None] >> (np.arange(4, dtype=np.uint64) * np.uint64(16))
    return (h & np.uint64(0xFFFF)).astype(np.float64) / 65536.0


def clip_polygon(poly: np.ndarray, planes: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman clip of one (N, 3) polygon by half-spaces n.p + c >= 0 (rows of planes).

    Returns the clipped polygon; fewer than 3 rows (possibly none) when nothing of it is left. A polygon
    with a non-finite vertex has no defined inside and comes back empty.
    """
    if not np.all(np.isfinite(poly)):
        return poly[:0]
    for plane in planes:
        n = len(poly)
        if n < 3:
            break
        d = poly @ plane[:3] + plane[3]
        inside = d >= 0.0
        if inside.all():
            continue
        if not inside.any():
            return poly[:0]
        edge = np.flatnonzero(inside != np.concatenate((inside[1:], inside[:1])))  # edges i -> i+1 crossing
        nxt = edge + 1
        nxt[nxt == n] = 0
        t = d[edge] / (d[edge] - d[nxt])
        inter = poly[edge] + t[:, None] * (poly[nxt] - poly[edge])
        # each kept vertex i goes before the crossing point on its outgoing edge i -> i+1
        order = np.argsort(np.concatenate((2 * np.flatnonzero(inside), 2 * edge + 1)), kind="stable")
        poly = np.concatenate((poly[inside], inter))[order]
    return poly


def clip_batch(verts: np.ndarray, sizes: np.ndarray, planes: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clip a batch of (V, 3) polygons by the half-spaces; drops those entirely outside.

    Returns (verts, sizes, kept): kept[i] is the input index of output polygon i (order kept).
    Empty polygons (size 0) and polygons with a non-finite vertex (no defined inside) are dropped too;
    sizes that do not partition verts raise ValueError.
    """
    sizes = np.asarray(sizes, dtype=int)
    if np.any(sizes < 0) or sizes.sum() != len(verts):
        raise ValueError(f"polygon sizes {sizes.tolist()[:8]}... do not partition {len(verts)} vertices")
    if not np.all(sizes):
        some = np.flatnonzero(sizes)
        out, out_sizes, kept = clip_batch(verts, sizes[some], planes)
        return out, out_sizes, some[kept]
    if len(sizes) == 0:
        return verts.reshape(0, 3), sizes, sizes
    ends = np.cumsum(sizes)
    starts = ends - sizes
    dist = verts @ planes[:, :3].T + planes[:, 3]
    lo = np.minimum.reduceat(dist, starts, axis=0)
    hi = np.maximum.reduceat(dist, starts, axis=0)
    finite = np.logical_and.reduceat(np.isfinite(dist).all(axis=1), starts)
    cut = lo < 0.0
    inside = ~np.any(cut, axis=1) & finite
    outside = np.any(hi < 0.0, axis=1) | ~finite
    if np.all(inside | outside):
        return verts[np.repeat(inside, sizes)], sizes[inside], np.flatnonzero(inside)
    out_v, out_s, kept = [], [], []
    for i in np.flatnonzero(~outside):
        poly = verts[starts[i]:ends[i]]
        if not inside[i]:
            poly = clip_polygon(poly, planes[cut[i]])
            if len(poly) < 3:
                continue
        out_v.append(poly)
        out_s.append(len(poly))
        kept.append(i)
    if not out_v:
        return verts[:0], sizes[:0], sizes[:0]
    return np.concatenate(out_v), np.asarray(out_s), np.asarray(kept)


def densify_batch(xy: np.ndarray, sizes: np.ndarray, max_edge: float) -> tuple[np.ndarray, np.ndarray]:
    """Split the (closed) edges of (V, 2) polygons so none is longer than max_edge."""
    ends = np.cumsum(sizes)
    idx = np.arange(len(xy))
    nxt = idx + 1
    nxt[ends - 1] = ends - sizes
    edge = xy[nxt] - xy
    n_sub = np.maximum(1, np.ceil(np.hypot(edge[:, 0], edge[:, 1]) / max_edge).astype(int))
    if np.all(n_sub == 1):
        return xy, sizes
    rep = np.repeat(idx, n_sub)
    cum = np.cumsum(n_sub)
    frac = (np.arange(len(rep)) - np.repeat(cum - n_sub, n_sub)) / np.repeat(n_sub, n_sub)
    out = xy[rep] + frac[:, None] * edge[rep]
    new_sizes = np.diff(cum[ends - 1], prepend=0)
    return out, new_sizes


def visible_spans(s_m: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Arc-length spans (K, 2) covering runs of visible vertices, widened by one segment each side."""
    vis = visible.copy()
    vis[:-1] |= visible[1:]
    vis[1:] |= visible[:-1]
    if not np.any(vis):
        return np.zeros((0, 2))
    edges = np.diff(vis.astype(np.int8), prepend=0, append=0)
    first = np.flatnonzero(edges == 1)
    last = np.flatnonzero(edges == -1) - 1
    return np.column_stack([s_m[first], s_m[last]])


def periodic_intervals(spans: np.ndarray, paint_m: float, period_m: float) -> np.ndarray:
    """Painted pieces [k*period, k*period + paint) of a dash pattern, cut to the spans."""
    if len(spans) == 0:
        return spans
    k0 = np.floor(spans[:, 0] / period_m).astype(int)
    k1 = np.ceil(spans[:, 1] / period_m).astype(int)
    ks = np.concatenate([np.arange(a, b + 1) for a, b in zip(k0, k1)])
    dashes = np.column_stack([ks * period_m, ks * period_m + paint_m])
    return intersect_intervals(np.unique(dashes, axis=0), spans)


def intersect_intervals(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection of two sorted lists of disjoint intervals (K, 2)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((0, 2))
    j0 = np.searchsorted(b[:, 1], a[:, 0], side="right")
    j1 = np.searchsorted(b[:, 0], a[:, 1], side="left")
    count = np.maximum(j1 - j0, 0)
    ia = np.repeat(np.arange(len(a)), count)
    jb = np.repeat(j0, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    lo = np.maximum(a[ia, 0], b[jb, 0])
    hi = np.minimum(a[ia, 1], b[jb, 1])
    keep = hi > lo
    return np.column_stack([lo[keep], hi[keep]])


def merge_runs(starts_m: np.ndarray, ends_m: np.ndarray) -> np.ndarray:
    """Merge sorted touching intervals into maximal runs (K, 2)."""
    if len(starts_m) == 0:
        return np.zeros((0, 2))
    new_run = np.ones(len(starts_m), dtype=bool)
    new_run[1:] = starts_m[1:] > ends_m[:-1] + 1e-9
    lo = starts_m[new_run]
    hi = np.maximum.reduceat(ends_m, np.flatnonzero(new_run))
    return np.column_stack([lo, hi])


def ribbon_batch(points_xy: np.ndarray, s_m: np.ndarray, intervals: np.ndarray, offset_m: float,
                 width_m: float, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed ribbon polygons (2-D) of width_m along a polyline, one per arc-length interval.

    The ribbon's centre sits offset_m to the left of the polyline's direction.
    Returns (verts (V, 2), sizes (P,)).
    """
    lengths = intervals[:, 1] - intervals[:, 0]
    n = np.maximum(2, np.ceil(lengths / step_m).astype(int) + 1)
    start = np.repeat(intervals[:, 0], n)
    first = np.repeat(np.cumsum(n) - n, n)
    frac = (np.arange(n.sum()) - first) / np.repeat(n - 1, n)
    s = start + frac * np.repeat(lengths, n)
    x = np.interp(s, s_m, points_xy[:, 0])
    y = np.interp(s, s_m, points_xy[:, 1])
    seg = np.clip(np.searchsorted(s_m, s, side="right") - 1, 0, len(s_m) - 2)
    tangent = points_xy[seg + 1] - points_xy[seg]
    tangent /= np.maximum(np.hypot(tangent[:, 0], tangent[:, 1]), 1e-9)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    centre = np.column_stack([x, y])
    left = centre + normal * (offset_m + 0.5 * width_m)
    right = centre + normal * (offset_m - 0.5 * width_m)
    # polygon i: its left edge forward, then its right edge backward
    m = len(s)
    nn, aa = np.repeat(n, 2 * n), np.repeat(np.cumsum(n) - n, 2 * n)
    local = np.arange(2 * m) - 2 * aa
    order = np.where(local < nn, aa + local, m + aa + 2 * nn - 1 - local)
    verts = np.concatenate([left, right])[order]
    return verts, 2 * n
