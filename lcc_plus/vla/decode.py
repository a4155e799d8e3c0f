"""The network's output layout, defined once: label encoding (training) and decoding (runtime).

One output row is a flat float32 vector. Slices (see `LAYOUT`):
  path      the geometry, PATH_S_M.size x (dx, y): the driving line's point at arc length s ahead is
            (s + k*dx, k*y) with k = PATH_XY_SCALE_M[s]; then the speed profile, PATH_T_S.size x dv:
            speed = max(0, v + 5*dv) with v the ego speed. `path_xy_m` drives the speed profile
            along the geometry to give the time-stamped path. The geometry does not depend on the
            speed (layout v1 put y at fixed times, and the network kept y(t) whatever the speed:
            at another speed than the data's its path cut the bends, docs/results/README.md).
  lines     4 x (y at LINE_X_M / 5, x_max / 100, existence logit, 5 line-type logits),
            order LEFT_OUTER, EGO_LEFT, EGO_RIGHT, RIGHT_OUTER; the cubic is the exact fit
            through the 4 sampled points (better conditioned to learn than raw coefficients).
  leads     3 x (log(1 + distance / 10 m), speed over ground / 10, lateral offset / 2, existence
            logit), order ego lane, left lane, right lane. The log makes a metre near the car
            count more than one far away (layout v2's distance / 100 let the network put a
            parked car 15 m ahead at 0 m for the loss of a 15 m miss at 150 m: parked_village).
            The speed is the lead's along the ego heading (relative speed + ego speed; oncoming
            cars negative), so a parked car is 0 at any ego speed: layout v3 learnt the relative
            speed, saw parked cars almost only from a car at village speed, and read a parked car
            as closing at 10 m/s while the car stood behind it (parked_village takeovers).
  progress  lane-change progress (0..1, linear).
  conf      confidence logit: P(path lateral RMS error <= the training threshold).
Scales keep every regression target near unit range.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lcc_plus.common.types import (
    LEAD_RANGE_M,
    LINE_RANGE_MAX_M,
    EgoState,
    Intent,
    LaneLine,
    Lead,
    LineType,
    Perception,
)

LAYOUT_VERSION = 4
PATH_T_S = np.arange(0.0, 5.01, 0.5)            # 11 speeds over 5 s
# Arc lengths of the geometry: 5 s at up to 34 m/s (122 km/h), densest where the controller looks.
PATH_S_M = np.array([0.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 50.0, 60.0, 70.0,
                     80.0, 95.0, 110.0, 130.0, 150.0, 170.0])
# The confidence and the path metrics judge the geometry out to here (the controller's reach).
PATH_CHECK_M = 50.0
CHECKED_STATIONS = PATH_S_M <= PATH_CHECK_M
PATH_XY_SCALE_M = np.maximum(2.5, 0.1 * PATH_S_M)  # far points are learnt less exactly than near ones
LINE_X_M = np.array([0.0, 10.0, 25.0, 45.0])    # where each lane line is sampled
N_LINE_TYPES = len(LineType)
PATH_DV_SCALE_MPS = 5.0
LINE_Y_SCALE_M, LINE_XMAX_SCALE_M = 5.0, 100.0
LEAD_D_REF_M, LEAD_V_SCALE_MPS, LEAD_Y_SCALE_M = 10.0, 10.0, 2.0
_LINE_WIDTH = LINE_X_M.size + 2 + N_LINE_TYPES
_LEAD_WIDTH = 4
# y = V @ c at LINE_X_M: the inverse maps the four samples back to cubic coefficients.
_VANDERMONDE = np.vander(LINE_X_M, 4, increasing=True)
_VANDERMONDE_INV = np.linalg.inv(_VANDERMONDE)


@dataclass(frozen=True)
class Layout:
    """Start offsets of each block in the output vector."""

    path: slice          # geometry then speeds
    geometry: slice
    speed: slice
    lines: slice
    leads: slice
    progress: int
    confidence: int
    size: int


def _make_layout() -> Layout:
    n_geometry = PATH_S_M.size * 2
    n_path = n_geometry + PATH_T_S.size
    n_lines = 4 * _LINE_WIDTH
    n_leads = 3 * _LEAD_WIDTH
    p0 = n_path + n_lines + n_leads
    return Layout(slice(0, n_path), slice(0, n_geometry), slice(n_geometry, n_path), slice(n_path, n_path + n_lines),
                  slice(n_path + n_lines, p0), p0, p0 + 1, p0 + 2)


LAYOUT = _make_layout()
OUTPUT_SIZE = LAYOUT.size


def _sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))


def _logit(p: float) -> float:
    p = float(np.clip(p, 1e-4, 1.0 - 1e-4))
    return float(np.log(p / (1.0 - p)))


def resample_path(gt: Perception) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The ground-truth path at PATH_T_S (x, y, speed), or None if it covers less time."""
    t = np.asarray(gt.path_t_s, dtype=float)
    if t.size < 2 or t[-1] < PATH_T_S[-1] - 1e-6 or t[0] > 1e-6:
        return None
    return (np.interp(PATH_T_S, t, gt.path_x_m), np.interp(PATH_T_S, t, gt.path_y_m),
            np.interp(PATH_T_S, t, gt.path_speed_mps))


def path_stations(x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """Points of the polyline (x_m, y_m) at arc lengths PATH_S_M, (N, 2); NaN rows beyond its end."""
    s = np.r_[0.0, np.cumsum(np.hypot(np.diff(x_m), np.diff(y_m)))]
    keep = np.r_[True, np.diff(s) > 1e-9]
    s, x, y = s[keep], np.asarray(x_m, float)[keep], np.asarray(y_m, float)[keep]
    xy = np.stack([np.interp(PATH_S_M, s, x), np.interp(PATH_S_M, s, y)], axis=1)
    xy[PATH_S_M > s[-1] + 1e-6] = np.nan
    return xy


@dataclass
class Labels:
    """Encoded training targets for one frame plus which parts are valid (masks)."""

    target: np.ndarray      # (OUTPUT_SIZE,) float32
    mask: np.ndarray        # (OUTPUT_SIZE,) float32: 1 where the target is supervised
    line_type: np.ndarray   # (4,) int64 class index, -1 when the line does not exist


def encode(gt: Perception, ego: EgoState, line_ahead_xy_m: np.ndarray | None = None) -> Labels:
    """Encode a ground-truth Perception into the output layout (targets + masks).

    line_ahead_xy_m: the driving line at PATH_S_M, (N, 2) in base_link, NaN rows beyond its end
    (ground_truth.driving_line_ahead); without it, the geometry is gt's own path, which reaches only
    as far as the car gets in the plan's time. The path is supervised when its speeds cover PATH_T_S
    and its geometry reaches PATH_CHECK_M; stations beyond the line's end stay unsupervised.
    """
    target = np.zeros(OUTPUT_SIZE, np.float32)
    mask = np.zeros(OUTPUT_SIZE, np.float32)
    line_type = np.full(4, -1, np.int64)
    v = max(0.0, float(ego.speed_mps))
    path = resample_path(gt)
    xy = path_stations(gt.path_x_m, gt.path_y_m) if line_ahead_xy_m is None else np.asarray(line_ahead_xy_m, float)
    reached = np.all(np.isfinite(xy), axis=1)
    if path is not None and reached[CHECKED_STATIONS].all():
        # Past the line's end the (unsupervised) target runs straight on, so that it decodes smoothly.
        last = int(np.flatnonzero(reached)[-1])
        heading = (xy[last] - xy[last - 1]) / (PATH_S_M[last] - PATH_S_M[last - 1])
        xy = np.where(reached[:, None], xy, xy[last] + heading * (PATH_S_M - PATH_S_M[last])[:, None])
        offset = xy - np.stack([PATH_S_M, np.zeros_like(PATH_S_M)], axis=1)
        target[LAYOUT.geometry] = (offset / PATH_XY_SCALE_M[:, None]).ravel()
        mask[LAYOUT.geometry] = np.repeat(reached, 2)
        target[LAYOUT.speed] = (path[2] - v) / PATH_DV_SCALE_MPS
        mask[LAYOUT.speed] = 1.0
    for i, line in enumerate(gt.lane_lines[:4]):
        o = line_offset(i)
        exists = line.probability >= 0.5
        target[o + 5] = 1.0 if exists else 0.0
        mask[o + 5] = 1.0  # existence is always supervised (as a probability target)
        if exists:
            target[o:o + 4] = np.asarray(line.y_at(LINE_X_M), float) / LINE_Y_SCALE_M
            target[o + 4] = line.x_max_m / LINE_XMAX_SCALE_M
            mask[o:o + 5] = 1.0
            line_type[i] = int(line.line_type)
    for i, lead in enumerate((gt.lead, gt.lead_left, gt.lead_right)):
        o = lead_offset(i)
        exists = lead.probability >= 0.5
        target[o + 3] = 1.0 if exists else 0.0
        mask[o + 3] = 1.0
        if exists:
            target[o:o + 3] = (lead_distance_code(lead.distance_m), (lead.relative_speed_mps + v) / LEAD_V_SCALE_MPS,
                               lead.lateral_offset_m / LEAD_Y_SCALE_M)
            mask[o:o + 3] = 1.0
    target[LAYOUT.progress] = float(np.clip(gt.lane_change_progress, 0.0, 1.0))
    mask[LAYOUT.progress] = 1.0
    return Labels(target, mask, line_type)


def line_offset(i: int) -> int:
    """Start of lane line i: 4 y samples, x_max, existence logit, type logits."""
    return LAYOUT.lines.start + i * _LINE_WIDTH


def line_x_max_m(code: float) -> float:
    """A line's reach from its raw output, within [0, LINE_RANGE_MAX_M]: an absent line's reach is never
    a label (masked), so like an absent lead's distance it could otherwise pass the monitor's
    plausible range and have every message rejected."""
    return float(np.clip(code * LINE_XMAX_SCALE_M, 0.0, LINE_RANGE_MAX_M))


def lead_distance_code(distance_m: float | np.ndarray) -> float | np.ndarray:
    """The lead distance as the network outputs it (see the layout above)."""
    return np.log1p(np.maximum(distance_m, 0.0) / LEAD_D_REF_M)


_LEAD_CODE_MAX = float(lead_distance_code(LEAD_RANGE_M))


def lead_distance_m(code: float | np.ndarray) -> float | np.ndarray:
    """Inverse of lead_distance_code, within [0, LEAD_RANGE_M]. The distance of a lead that is not
    there is never a label, so the network may put it anywhere: a retraining (8c6dfc91) said 1150 m
    for an empty right lane, past the monitor's plausible range, and every narrow_curves run was
    handed over for rejected messages."""
    return LEAD_D_REF_M * np.expm1(np.clip(code, 0.0, _LEAD_CODE_MAX))


def lead_offset(j: int) -> int:
    """Start of lead j: distance, speed over ground, lateral offset, existence logit."""
    return LAYOUT.leads.start + j * _LEAD_WIDTH


def line_type_logits_slices() -> list[slice]:
    """Where each line's type logits sit (for the cross-entropy loss)."""
    return [slice(line_offset(i) + 6, line_offset(i) + _LINE_WIDTH) for i in range(4)]


def existence_indices() -> list[int]:
    """Indices of the existence logits (lines, then leads)."""
    return [line_offset(i) + 5 for i in range(4)] + [lead_offset(j) + 3 for j in range(3)]


def path_geometry_m(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The path's geometry (x, y) in metres at PATH_S_M, (..., PATH_S_M.size) each, from raw outputs
    or encoded targets (..., OUTPUT_SIZE)."""
    g = raw[..., LAYOUT.geometry].reshape(*raw.shape[:-1], PATH_S_M.size, 2) * PATH_XY_SCALE_M[:, None]
    return PATH_S_M + g[..., 0], g[..., 1]


def path_lateral_rms_m(raw: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Lateral path error RMS [m] over the geometry out to PATH_CHECK_M between raw outputs and
    encoded targets, batched (..., OUTPUT_SIZE)."""
    dy = path_geometry_m(raw)[1][..., CHECKED_STATIONS] - path_geometry_m(target)[1][..., CHECKED_STATIONS]
    return np.sqrt(np.mean(dy * dy, axis=-1))


def path_speed_mps(raw: np.ndarray, speed_mps: np.ndarray | float) -> np.ndarray:
    """Planned speeds at PATH_T_S, (..., PATH_T_S.size), from raw outputs and the ego speeds they were made for."""
    return np.maximum(0.0, np.asarray(speed_mps, dtype=float)[..., None] + PATH_DV_SCALE_MPS * raw[..., LAYOUT.speed])


def path_xy_m(raw: np.ndarray, speed_mps: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Path points (x, y) in metres at PATH_T_S, (..., PATH_T_S.size) each: the speed profile driven
    along the geometry (trapezoidal distance)."""
    gx, gy = path_geometry_m(raw)
    v = path_speed_mps(raw, speed_mps)
    dist = np.concatenate([np.zeros_like(v[..., :1]),
                           np.cumsum(0.5 * (v[..., 1:] + v[..., :-1]) * np.diff(PATH_T_S), axis=-1)], axis=-1)
    return _along_stations(gx, dist), _along_stations(gy, dist)


def _along_stations(c: np.ndarray, dist_m: np.ndarray) -> np.ndarray:
    """Coordinate c (..., PATH_S_M.size) at arc lengths dist_m (..., M): a C1 cubic Hermite between the
    stations (straight chords would cut a hairpin's 10 m segments by 0.4 m), straight on past the last."""
    slope = np.gradient(c, PATH_S_M, axis=-1)
    k = np.clip(np.searchsorted(PATH_S_M, dist_m, side="right") - 1, 0, PATH_S_M.size - 2)
    h = PATH_S_M[k + 1] - PATH_S_M[k]
    u = np.clip((dist_m - PATH_S_M[k]) / h, 0.0, 1.0)
    c0, c1 = np.take_along_axis(c, k, -1), np.take_along_axis(c, k + 1, -1)
    m0, m1 = np.take_along_axis(slope, k, -1), np.take_along_axis(slope, k + 1, -1)
    inside = ((2 * u**3 - 3 * u**2 + 1) * c0 + (u**3 - 2 * u**2 + u) * h * m0
              + (-2 * u**3 + 3 * u**2) * c1 + (u**3 - u**2) * h * m1)
    beyond = dist_m - PATH_S_M[-1]
    return np.where(beyond > 0.0, c[..., -1:] + slope[..., -1:] * beyond, inside)


def decode(raw: np.ndarray, ego: EgoState, intent: Intent, *, stamp_s: float = 0.0, model_id: str = "",
           inference_time_ms: float = 0.0) -> Perception:
    """Decode one raw output row (OUTPUT_SIZE,) into a Perception in base_link."""
    raw = np.asarray(raw, dtype=np.float64).reshape(-1)
    if raw.size != OUTPUT_SIZE:
        raise ValueError(f"raw model output has {raw.size} values, layout v{LAYOUT_VERSION} needs {OUTPUT_SIZE}")
    if not np.all(np.isfinite(raw)):
        raise ValueError("raw model output contains NaN or infinite values")
    v = max(0.0, float(ego.speed_mps))
    path_x, path_y = path_xy_m(raw, v)
    lines = []
    for i in range(4):
        o = line_offset(i)
        y = raw[o:o + 4] * LINE_Y_SCALE_M
        lines.append(LaneLine(coefficients=_VANDERMONDE_INV @ y, x_min_m=0.0,
                              x_max_m=line_x_max_m(raw[o + 4]),
                              probability=float(_sigmoid(raw[o + 5])),
                              line_type=LineType(int(np.argmax(raw[o + 6:o + _LINE_WIDTH])))))
    leads = []
    for i in range(3):
        o = lead_offset(i)
        leads.append(Lead(distance_m=float(lead_distance_m(raw[o])),
                          relative_speed_mps=float(raw[o + 1] * LEAD_V_SCALE_MPS - v),
                          lateral_offset_m=float(raw[o + 2] * LEAD_Y_SCALE_M),
                          probability=float(_sigmoid(raw[o + 3]))))
    return Perception(
        stamp_s=stamp_s, path_t_s=PATH_T_S.copy(), path_x_m=path_x, path_y_m=path_y,
        path_speed_mps=path_speed_mps(raw, v), lane_lines=lines,
        lead=leads[0], lead_left=leads[1], lead_right=leads[2], intent=intent.intent,
        fork_preference=intent.fork_preference,
        lane_change_progress=float(np.clip(raw[LAYOUT.progress], 0.0, 1.0)),
        confidence=float(_sigmoid(raw[LAYOUT.confidence])), model_id=model_id,
        inference_time_ms=inference_time_ms)


def encode_raw(gt: Perception, ego: EgoState, confidence: float = 0.5) -> np.ndarray:
    """A raw output row that decodes to `gt` (type and existence logits saturated); for tests and tools."""
    labels = encode(gt, ego)
    raw = labels.target.copy()
    for idx in existence_indices():
        raw[idx] = _logit(labels.target[idx])
    for i, sl in enumerate(line_type_logits_slices()):
        raw[sl] = -10.0
        raw[sl.start + max(0, int(labels.line_type[i]))] = 10.0
    raw[LAYOUT.confidence] = _logit(confidence)
    return raw
