"""The network's output layout, defined once: label encoding (training) and decoding (runtime).

One output row is a flat float32 vector. Slices (see `LAYOUT`):
  path      PATH_T_S.size x (dx, y, dv): x_m = v*t + 10*dx, y_m = 5*y, speed = max(0, v + 5*dv)
            with v the ego speed; the plan is relative to constant-speed driving.
  lines     4 x (y at LINE_X_M / 5, x_max / 100, existence logit, 5 line-type logits),
            order LEFT_OUTER, EGO_LEFT, EGO_RIGHT, RIGHT_OUTER; the cubic is the exact fit
            through the 4 sampled points (better conditioned to learn than raw coefficients).
  leads     3 x (distance / 100, relative speed / 10, lateral offset / 2, existence logit),
            order ego lane, left lane, right lane.
  progress  lane-change progress (0..1, linear).
  conf      confidence logit: P(path lateral RMS error <= the training threshold).
Scales keep every regression target near unit range.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lcc_plus.common.types import EgoState, Intent, LaneLine, Lead, LineType, Perception

LAYOUT_VERSION = 1
PATH_T_S = np.arange(0.0, 5.01, 0.5)            # 11 points over 5 s
LINE_X_M = np.array([0.0, 10.0, 25.0, 45.0])    # where each lane line is sampled
N_LINE_TYPES = len(LineType)
PATH_DX_SCALE_M, PATH_Y_SCALE_M, PATH_DV_SCALE_MPS = 10.0, 5.0, 5.0
LINE_Y_SCALE_M, LINE_XMAX_SCALE_M = 5.0, 100.0
LEAD_D_SCALE_M, LEAD_V_SCALE_MPS, LEAD_Y_SCALE_M = 100.0, 10.0, 2.0
_LINE_WIDTH = LINE_X_M.size + 2 + N_LINE_TYPES
_LEAD_WIDTH = 4
# y = V @ c at LINE_X_M: the inverse maps the four samples back to cubic coefficients.
_VANDERMONDE = np.vander(LINE_X_M, 4, increasing=True)
_VANDERMONDE_INV = np.linalg.inv(_VANDERMONDE)


@dataclass(frozen=True)
class Layout:
    """Start offsets of each block in the output vector."""

    path: slice
    lines: slice
    leads: slice
    progress: int
    confidence: int
    size: int


def _make_layout() -> Layout:
    n_path = PATH_T_S.size * 3
    n_lines = 4 * _LINE_WIDTH
    n_leads = 3 * _LEAD_WIDTH
    p0 = n_path + n_lines + n_leads
    return Layout(slice(0, n_path), slice(n_path, n_path + n_lines), slice(n_path + n_lines, p0),
                  p0, p0 + 1, p0 + 2)


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


@dataclass
class Labels:
    """Encoded training targets for one frame plus which parts are valid (masks)."""

    target: np.ndarray      # (OUTPUT_SIZE,) float32
    mask: np.ndarray        # (OUTPUT_SIZE,) float32: 1 where the target is supervised
    line_type: np.ndarray   # (4,) int64 class index, -1 when the line does not exist


def encode(gt: Perception, ego: EgoState) -> Labels:
    """Encode a ground-truth Perception into the output layout (targets + masks)."""
    target = np.zeros(OUTPUT_SIZE, np.float32)
    mask = np.zeros(OUTPUT_SIZE, np.float32)
    line_type = np.full(4, -1, np.int64)
    v = float(ego.speed_mps)
    path = resample_path(gt)
    if path is not None:
        x, y, s = path
        block = np.stack([(x - v * PATH_T_S) / PATH_DX_SCALE_M, y / PATH_Y_SCALE_M,
                          (s - v) / PATH_DV_SCALE_MPS], axis=1)
        target[LAYOUT.path] = block.ravel()
        mask[LAYOUT.path] = 1.0
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
            target[o:o + 3] = (lead.distance_m / LEAD_D_SCALE_M, lead.relative_speed_mps / LEAD_V_SCALE_MPS,
                               lead.lateral_offset_m / LEAD_Y_SCALE_M)
            mask[o:o + 3] = 1.0
    target[LAYOUT.progress] = float(np.clip(gt.lane_change_progress, 0.0, 1.0))
    mask[LAYOUT.progress] = 1.0
    return Labels(target, mask, line_type)


def line_offset(i: int) -> int:
    """Start of lane line i: 4 y samples, x_max, existence logit, type logits."""
    return LAYOUT.lines.start + i * _LINE_WIDTH


def lead_offset(j: int) -> int:
    """Start of lead j: distance, relative speed, lateral offset, existence logit."""
    return LAYOUT.leads.start + j * _LEAD_WIDTH


def line_type_logits_slices() -> list[slice]:
    """Where each line's type logits sit (for the cross-entropy loss)."""
    return [slice(line_offset(i) + 6, line_offset(i) + _LINE_WIDTH) for i in range(4)]


def existence_indices() -> list[int]:
    """Indices of the existence logits (lines, then leads)."""
    return [line_offset(i) + 5 for i in range(4)] + [lead_offset(j) + 3 for j in range(3)]


def path_lateral_rms_m(raw: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Lateral path error RMS [m] between raw outputs and encoded targets, batched (..., OUTPUT_SIZE)."""
    n = PATH_T_S.size
    dy = (raw[..., LAYOUT.path].reshape(*raw.shape[:-1], n, 3)[..., 1]
          - target[..., LAYOUT.path].reshape(*target.shape[:-1], n, 3)[..., 1]) * PATH_Y_SCALE_M
    return np.sqrt(np.mean(dy * dy, axis=-1))


def path_xy_m(raw: np.ndarray, speed_mps: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Path points (x, y) in metres at PATH_T_S, (..., PATH_T_S.size) each, from raw outputs (..., OUTPUT_SIZE)
    and the ego speeds they were made for (x is an offset from constant-speed driving)."""
    p = raw[..., LAYOUT.path].reshape(*raw.shape[:-1], PATH_T_S.size, 3)
    x = np.asarray(speed_mps, dtype=float)[..., None] * PATH_T_S + PATH_DX_SCALE_M * p[..., 0]
    return x, PATH_Y_SCALE_M * p[..., 1]


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
    path_x = np.maximum.accumulate(np.maximum(path_x, 0.0))  # a forward plan never runs backwards
    lines = []
    for i in range(4):
        o = line_offset(i)
        y = raw[o:o + 4] * LINE_Y_SCALE_M
        lines.append(LaneLine(coefficients=_VANDERMONDE_INV @ y, x_min_m=0.0,
                              x_max_m=float(max(0.0, raw[o + 4] * LINE_XMAX_SCALE_M)),
                              probability=float(_sigmoid(raw[o + 5])),
                              line_type=LineType(int(np.argmax(raw[o + 6:o + _LINE_WIDTH])))))
    leads = []
    for i in range(3):
        o = lead_offset(i)
        leads.append(Lead(distance_m=float(max(0.0, raw[o] * LEAD_D_SCALE_M)),
                          relative_speed_mps=float(raw[o + 1] * LEAD_V_SCALE_MPS),
                          lateral_offset_m=float(raw[o + 2] * LEAD_Y_SCALE_M),
                          probability=float(_sigmoid(raw[o + 3]))))
    return Perception(
        stamp_s=stamp_s, path_t_s=PATH_T_S.copy(), path_x_m=path_x, path_y_m=path_y,
        path_speed_mps=np.maximum(0.0, v + PATH_DV_SCALE_MPS * raw[LAYOUT.path][2::3]), lane_lines=lines,
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
