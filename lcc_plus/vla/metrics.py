"""Offline metrics of the VLA model on held-out data and confidence calibration."""
from __future__ import annotations

import numpy as np

from lcc_plus.vla import decode as dec

RELIABILITY_BINS = np.linspace(0.0, 1.0, 11)
# How far sideways the true path is PATH_CHECK_M ahead: the closed loop fails in the sharp bends,
# which are few among the samples, so the mean over all of them hides the error there.
TURN_BINS_M = (("straight", 0.0, 1.0), ("bend", 1.0, 5.0), ("sharp", 5.0, np.inf))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))


def fit_platt(logits: np.ndarray, outcome: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """Logistic fit outcome ~ sigmoid(a * logit + b) by damped Newton steps.

    Platt's smoothed targets ((N+ + 1) / (N+ + 2), 1 / (N- + 2)), a unit ridge on `a`, centred logits
    and step halving keep the fit finite and convergent when the logits separate the outcomes or sit
    far from 0 (a small validation split often does both); an undamped fit there ran off to ~1e8
    and the calibrated output lost float32 precision (failed ONNX parity).
    """
    z = np.asarray(logits, float)
    y = np.asarray(outcome, float)
    if len(y) == 0 or y.min() == y.max():
        return 1.0, 0.0  # nothing to calibrate against
    centre = float(z.mean())
    x = np.column_stack([z - centre, np.ones(len(z))])
    n_pos = float(y.sum())
    target = np.where(y > 0.5, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (len(y) - n_pos + 2.0))
    ridge = np.diag([1.0, 0.0])

    def loss(w: np.ndarray) -> float:
        s = x @ w
        return float(np.sum(np.logaddexp(0.0, s) - target * s) + 0.5 * w @ ridge @ w)

    w = np.array([1.0, 0.0])
    for _ in range(iterations):
        p = _sigmoid(x @ w)
        grad = x.T @ (p - target) + ridge @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + ridge + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        before, scale = loss(w), 1.0
        while scale > 1e-6 and loss(w - scale * step) > before:
            scale *= 0.5
        w -= scale * step
        if np.max(np.abs(scale * step)) < 1e-8:
            break
    return float(w[0]), float(w[1] - w[0] * centre)


def reliability(confidence: np.ndarray, correct: np.ndarray) -> tuple[list[dict], float]:
    """Per-bin mean confidence vs observed rate, and the expected calibration error."""
    rows, ece = [], 0.0
    n = max(len(confidence), 1)
    for lo, hi in zip(RELIABILITY_BINS[:-1], RELIABILITY_BINS[1:]):
        m = (confidence >= lo) & ((confidence < hi) if hi < 1.0 else (confidence <= hi))
        if not m.any():
            continue
        conf, rate = float(confidence[m].mean()), float(correct[m].mean())
        rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "samples": int(m.sum()), "mean_confidence": conf,
                     "observed_rate": rate})
        ece += m.sum() / n * abs(conf - rate)
    return rows, float(ece)


def confidence_outcomes(raw: np.ndarray, target: np.ndarray, has_path: np.ndarray,
                        threshold_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Confidence logits and outcomes (1.0 where the path's lateral RMS is <= threshold_m) of the
    samples that have a path label: what the confidence is calibrated on."""
    ok = dec.path_lateral_rms_m(raw, target)[has_path] <= threshold_m
    return raw[has_path, dec.LAYOUT.confidence], ok.astype(float)


def crossfit_calibration(split_a: tuple[np.ndarray, np.ndarray], split_b: tuple[np.ndarray, np.ndarray]) -> dict:
    """Expected calibration error of Platt scaling fitted on one split's (logits, outcomes) and applied
    to the other's, both ways, over the samples of both: the out-of-sample figure for a calibration
    fitted on both splits together."""
    confidence, correct = [], []
    for (fit_z, fit_ok), (use_z, use_ok) in ((split_a, split_b), (split_b, split_a)):
        a, b = fit_platt(fit_z, fit_ok)
        confidence.append(_sigmoid(a * use_z + b))
        correct.append(use_ok)
    rows, ece = reliability(np.concatenate(confidence), np.concatenate(correct))
    return {"confidence_ece_crossfit": ece, "confidence_reliability_crossfit": rows}


def offline_metrics(raw: np.ndarray, data, idx: np.ndarray, threshold_m: float) -> dict:
    """Path, lane-line, lead, progress and calibration metrics of raw outputs vs the labels at idx."""
    target, mask, line_type = data.target[idx], data.mask[idx], data.line_type[idx]
    has_path = mask[:, dec.LAYOUT.path.start] > 0
    path_rms = dec.path_lateral_rms_m(raw, target)[has_path]
    p_raw, p_tgt = raw[has_path], target[has_path]
    (x_raw, y_raw), (x_tgt, y_tgt) = dec.path_geometry_m(p_raw), dec.path_geometry_m(p_tgt)
    at_10m = int(np.flatnonzero(dec.PATH_S_M == 10.0)[0])
    near = dec.CHECKED_STATIONS
    err_y_10m = np.abs(y_raw[:, at_10m] - y_tgt[:, at_10m])
    err_x = np.abs(x_raw[:, near] - x_tgt[:, near]).mean(axis=1)
    err_v = np.abs(p_raw[:, dec.LAYOUT.speed] - p_tgt[:, dec.LAYOUT.speed]).mean(axis=1) * dec.PATH_DV_SCALE_MPS
    out: dict = {"test_samples": int(len(idx)), "path_samples": int(has_path.sum()),
                 "path_lateral_rms_m_mean": float(path_rms.mean()) if len(path_rms) else float("nan"),
                 "path_lateral_rms_m_p95": float(np.percentile(path_rms, 95)) if len(path_rms) else float("nan"),
                 "path_lateral_error_10m_m_mean": float(err_y_10m.mean()) if len(err_y_10m) else float("nan"),
                 "path_along_error_m_mean": float(err_x.mean()) if len(err_x) else float("nan"),
                 "path_speed_error_mps_mean": float(err_v.mean()) if len(err_v) else float("nan")}
    out.update(_by_turn(p_raw, p_tgt, path_rms))
    names = ("left_outer", "ego_left", "ego_right", "right_outer")
    ex = dec.existence_indices()
    type_slices = dec.line_type_logits_slices()
    for i, name in enumerate(names):
        o = dec.line_offset(i)
        exists = target[:, ex[i]] > 0.5
        pred_exists = raw[:, ex[i]] > 0.0
        out[f"line_{name}_existence_accuracy"] = float((exists == pred_exists).mean()) if len(idx) else float("nan")
        if exists.any():
            err = np.abs(raw[exists, o:o + 4] - target[exists, o:o + 4]) * dec.LINE_Y_SCALE_M
            out[f"line_{name}_y_error_m_at_10m"] = float(err[:, 1].mean())
            out[f"line_{name}_y_error_m_at_25m"] = float(err[:, 2].mean())
            valid = line_type[exists, i] >= 0
            pred_type = np.argmax(raw[exists][:, type_slices[i]], axis=1)
            out[f"line_{name}_type_accuracy"] = float((pred_type[valid] == line_type[exists, i][valid]).mean())
    for j, name in enumerate(("lead", "lead_left", "lead_right")):
        o = dec.lead_offset(j)
        exists = target[:, o + 3] > 0.5
        pred = raw[:, o + 3] > 0.0
        tp = float((exists & pred).sum())
        out[f"{name}_recall"] = tp / max(float(exists.sum()), 1.0)
        out[f"{name}_precision"] = tp / max(float(pred.sum()), 1.0)
        if exists.any():
            out[f"{name}_distance_error_m_mean"] = float(np.abs(dec.lead_distance_m(raw[exists, o])
                                                                - dec.lead_distance_m(target[exists, o])).mean())
            # Ground speeds of one frame differ by exactly the relative speeds' difference.
            out[f"{name}_relative_speed_error_mps_mean"] = float(
                np.abs(raw[exists, o + 1] - target[exists, o + 1]).mean() * dec.LEAD_V_SCALE_MPS)
    out["lane_change_progress_mae"] = float(np.abs(np.clip(raw[:, dec.LAYOUT.progress], 0, 1)
                                                   - target[:, dec.LAYOUT.progress]).mean())
    conf = _sigmoid(raw[has_path, dec.LAYOUT.confidence])
    correct = (path_rms <= threshold_m).astype(float)
    rows, ece = reliability(conf, correct)
    out["confidence_threshold_m"] = threshold_m
    out["confidence_reliability"] = rows
    out["confidence_ece"] = ece
    if len(conf) > 1 and np.std(conf) > 0:
        out["confidence_vs_error_spearman"] = float(_spearman(conf, path_rms))
    return out


def _turn_m(target: np.ndarray) -> np.ndarray:
    """How far sideways the true path is PATH_CHECK_M ahead, from encoded targets (B, OUTPUT_SIZE)."""
    at_check = int(np.flatnonzero(dec.PATH_S_M == dec.PATH_CHECK_M)[0])
    return np.abs(dec.path_geometry_m(target)[1][:, at_check])


def _by_turn(p_raw: np.ndarray, p_tgt: np.ndarray, path_rms: np.ndarray) -> dict:
    """Samples, lateral RMS and speed bias (predicted minus true, m/s) of the path per TURN_BINS_M bin."""
    turn_m = _turn_m(p_tgt)
    bias = (p_raw[:, dec.LAYOUT.speed] - p_tgt[:, dec.LAYOUT.speed]).mean(axis=1) * dec.PATH_DV_SCALE_MPS
    out: dict = {}
    for name, lo, hi in TURN_BINS_M:
        sel = (turn_m >= lo) & (turn_m < hi)
        n = int(sel.sum())
        out[f"path_samples_{name}"] = n
        out[f"path_lateral_rms_m_mean_{name}"] = float(path_rms[sel].mean()) if n else float("nan")
        out[f"path_speed_bias_mps_{name}"] = float(bias[sel].mean()) if n else float("nan")
    return out


def speed_consistency(raw: np.ndarray, raw_scaled: np.ndarray, speed_mps: np.ndarray, scale: float,
                      target: np.ndarray) -> dict:
    """How much the path's shape y(x) moves when only the speed input changes.

    `raw_scaled` comes from the same images with speed and yaw rate times `scale` (same curvature):
    the road ahead is the same, so a path that knows geometry keeps y(x) and only spaces its points
    differently. The mean |y_scaled(x) - y(x)| over the stretch both paths cover is 0 for such a model;
    a model that learned y(t) at each place from one typical speed keeps y(t) instead, and its y(x) is
    then wrong by metres in the bends whenever the car is faster or slower than the data was there.
    """
    x, y = dec.path_xy_m(raw, speed_mps)
    xs, ys = dec.path_xy_m(raw_scaled, speed_mps * scale)
    change = np.full(len(raw), np.nan)
    for i in range(len(raw)):
        if not np.all(np.diff(x[i]) > 0.0):
            continue
        inside = (xs[i] >= x[i, 0]) & (xs[i] <= x[i, -1])
        if inside.sum() >= 2:
            change[i] = float(np.mean(np.abs(ys[i, inside] - np.interp(xs[i, inside], x[i], y[i]))))
    turn_m = _turn_m(target)
    ok = np.isfinite(change)
    sharp = ok & (turn_m >= TURN_BINS_M[-1][1])
    key = f"path_shape_change_m_speed_x{scale:g}"
    return {key: float(change[ok].mean()) if ok.any() else float("nan"),
            f"{key}_sharp": float(change[sharp].mean()) if sharp.any() else float("nan")}


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])
