"""Offline metrics of the VLA model on held-out data, confidence calibration, and the model card."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from lcc_plus.vla import decode as dec

RELIABILITY_BINS = np.linspace(0.0, 1.0, 11)


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


def offline_metrics(raw: np.ndarray, data, idx: np.ndarray, threshold_m: float) -> dict:
    """Path, lane-line, lead, progress and calibration metrics of raw outputs vs the labels at idx."""
    target, mask, line_type = data.target[idx], data.mask[idx], data.line_type[idx]
    has_path = mask[:, dec.LAYOUT.path.start] > 0
    path_rms = dec.path_lateral_rms_m(raw, target)[has_path]
    n = dec.PATH_T_S.size
    p_raw = raw[:, dec.LAYOUT.path].reshape(-1, n, 3)[has_path]
    p_tgt = target[:, dec.LAYOUT.path].reshape(-1, n, 3)[has_path]
    err_y_1s = np.abs(p_raw[:, 2, 1] - p_tgt[:, 2, 1]) * dec.PATH_Y_SCALE_M
    err_x = np.abs(p_raw[..., 0] - p_tgt[..., 0]).mean(axis=1) * dec.PATH_DX_SCALE_M
    err_v = np.abs(p_raw[..., 2] - p_tgt[..., 2]).mean(axis=1) * dec.PATH_DV_SCALE_MPS
    out: dict = {"test_samples": int(len(idx)), "path_samples": int(has_path.sum()),
                 "path_lateral_rms_m_mean": float(path_rms.mean()) if len(path_rms) else float("nan"),
                 "path_lateral_rms_m_p95": float(np.percentile(path_rms, 95)) if len(path_rms) else float("nan"),
                 "path_lateral_error_1s_m_mean": float(err_y_1s.mean()) if len(err_y_1s) else float("nan"),
                 "path_longitudinal_error_m_mean": float(err_x.mean()) if len(err_x) else float("nan"),
                 "path_speed_error_mps_mean": float(err_v.mean()) if len(err_v) else float("nan")}
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
            out[f"{name}_distance_error_m_mean"] = float(np.abs(raw[exists, o] - target[exists, o]).mean()
                                                         * dec.LEAD_D_SCALE_M)
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


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def plot_reliability(offline: dict, path: Path) -> None:
    """Reliability diagram (mean confidence vs observed rate per bin) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = offline["confidence_reliability"]
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot([r["mean_confidence"] for r in rows], [r["observed_rate"] for r in rows], "o-", label="model")
    for r in rows:
        ax.annotate(str(r["samples"]), (r["mean_confidence"], r["observed_rate"]), fontsize=7,
                    textcoords="offset points", xytext=(4, -10))
    ax.set_xlabel("confidence (mean per bin)")
    ax.set_ylabel(f"observed P(path lateral RMS <= {offline['confidence_threshold_m']} m)")
    ax.set_title(f"VLA confidence reliability, ECE {offline['confidence_ece']:.3f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_model_card(summary: dict, path: Path) -> None:
    """docs/model_card.md from the training summary (vla.json), with the reliability diagram beside it."""
    plot_name = path.stem + "_reliability.png"
    plot_reliability(summary["offline_metrics"], path.with_name(plot_name))
    m = summary["offline_metrics"]
    d = summary["data"]
    inp = summary["input_spec"]
    lines = [
        "# VLA driving model card", "",
        "Generated by `lcc-plus train --config config/vla_train.yaml` (lcc_plus/vla/train.py); "
        "the same numbers are in `lcc_plus/models/vla.json`.", "",
        "## Model", "",
        f"- file: `{summary['model_file']}`, model id `{summary['model_id']}`, "
        f"{summary['size_bytes'] / 1e6:.2f} MB, sha256 `{summary['sha256']}`",
        f"- network: CNN + MLP heads (lcc_plus/vla/model.py), {summary['parameters']:,} parameters, "
        f"output layout v{summary['layout_version']} (lcc_plus/vla/decode.py)",
        f"- input `image`: uint8 {summary['inputs']['image']} = {inp['num_frames']} RGB frame(s) "
        f"{inp['frame_gap_s']} s apart, undistorted and cropped (rows {inp['crop_top_frac']:.2f}-"
        f"{inp['crop_bottom_frac']:.2f} of the image) into a {inp['width']}x{inp['height']} virtual camera",
        f"- input `state`: float32 {summary['inputs']['state']} = ego speed / 30 m/s, yaw rate / 0.5 rad/s, "
        "intent one-hot (keep, left, right), fork one-hot (default, main, left, right)",
        f"- output `output`: float32 {summary['outputs']['output']}: path (11 points, 0-5 s, with speed), "
        "4 lane lines (cubic, existence, type), 3 leads (distance, relative speed, lateral offset, existence), "
        "lane-change progress, confidence",
        f"- ONNX parity vs torch on test inputs: max abs diff {summary['parity_max_abs_diff']:.2e}",
        "", "Load and run it:", "", "```python",
        "from lcc_plus.vla.runtime import VlaRuntime",
        "vla = VlaRuntime('lcc_plus/models/vla.onnx', threads=2, provider='cpu')",
        "perception = vla.infer([previous_rgb, current_rgb], ego_state, intent)  # lcc_plus.common.types",
        "```", "",
        "## Data", "",
        f"Simulator episodes (lcc_plus/sim), labels from the ground truth (`Observation.gt`); datagen config hash "
        f"`{summary['datagen_config_hash']}`, training config hash `{summary['train_config_hash']}`.", "",
        "| split | samples | episodes | expert | recovery | dagger |", "|---|---|---|---|---|---|",
    ]
    for name in ("train", "val", "test"):
        s = d[name]
        lines.append(f"| {name} | {s['samples']} | {s['episodes']} | {s['expert']} | {s['recovery']} | "
                     f"{s['dagger']} |")
    lines += ["", "Expert/recovery samples per scenario: "
              + ", ".join(f"{k} ({v})" for k, v in sorted(d["scenarios"].items())) + ".",
              "DAgger rounds (the trained model drives, ground truth labels what it visits): "
              + (", ".join(f"round {r['round']}: {r['samples']} samples" for r in d["dagger_rounds"]) or "none")
              + ".", f"Episodes cut short or lost to simulator errors: {len(d['failures'])}"
              + "".join(f"\n  - {f}" for f in d["failures"]), "",
              "Datagen config:", "", "```yaml"]
    lines += [f"{k}: {v}" for k, v in summary["datagen_config"].items()]
    lines += ["```", "", "Training config:", "", "```yaml"]
    lines += [f"{k}: {v}" for k, v in summary["train_config"].items()]
    rate = [h["images_per_s"] for h in summary["history"] if "images_per_s" in h]
    lines += ["```", "", f"Training throughput: {', '.join(f'{r:.0f}' for r in rate)} images/s (2-core CPU).",
              "", "## Offline metrics (held-out test episodes)", "", "| metric | value |", "|---|---|"]
    for k, v in m.items():
        if k != "confidence_reliability":
            lines.append(f"| {k} | {_fmt(v)} |")
    lines += ["", "## Confidence calibration", "",
              f"`confidence` is the model's probability that the path's lateral RMS error over 0-5 s stays at or "
              f"below {m['confidence_threshold_m']} m. Platt scaling fitted on the validation episodes "
              f"(a = {summary['platt']['a']:.3f}, b = {summary['platt']['b']:.3f}) is folded into the output layer. "
              f"Reliability on the test episodes (expected calibration error {m['confidence_ece']:.3f}):", "",
              "| confidence bin | samples | mean confidence | observed rate |", "|---|---|---|---|"]
    for r in m["confidence_reliability"]:
        lines.append(f"| {r['bin']} | {r['samples']} | {r['mean_confidence']:.3f} | {r['observed_rate']:.3f} |")
    lines += ["", f"![reliability diagram]({plot_name})"]
    lines += ["", "## Closed-loop KPIs", "",
              "Training does not drive the closed loop. The numbers (at-fault collisions, lateral error RMS, "
              "km per takeover vs `lcc` and `expert`) come from `lcc-plus eval --suite all --driver stack "
              "--seed 0 --baseline docs/results/catalog/report.json --out docs/results/stack`, whose report "
              "names the model id it ran; they are added below once that evaluation has run this model.", "",
              "## Limits", "",
              "- Trained on simulator images only; a real camera needs fine-tuning on real data.",
              "- The front camera cannot see vehicles beside and behind; lane-change gaps come from rear sensing.",
              ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
