"""The model card (docs/model_card.md): the training summary plus the closed-loop KPIs.

    lcc-plus model-card [--summary lcc_plus/models/vla.json] [--results docs/results] [--out docs/model_card.md]

Training never drives the closed loop, so its KPIs come from the committed `lcc-plus eval`
reports (docs/results/*/report.json) whose request names the model id; `lcc-plus train`
writes the card once, `lcc-plus model-card` rewrites it after an evaluation.
"""
from __future__ import annotations

import argparse
import json
import os
import re
from collections import Counter
from pathlib import Path

from lcc_plus.evaluation import kpi
from lcc_plus.evaluation import report as eval_report
from lcc_plus.vla import decode as dec

REPO_DIR = Path(__file__).resolve().parents[2]


def stack_reports(results_dir: Path, model_id: str) -> list[tuple[Path, dict]]:
    """(path, report) of every evaluation report under `results_dir` in which `model_id` drove the stack."""
    found = []
    for path in sorted(results_dir.glob("*/report.json")):
        report = json.loads(path.read_text())
        if report.get("request", {}).get("model_id") == model_id and "stack" in report.get("overall", {}):
            found.append((path, report))
    return found


def takeover_reasons(report: dict) -> Counter:
    """Stack takeovers by reason, numbers masked: 'leaving the road (-0.4 m to the edge)' -> 'leaving the road'."""
    reasons: Counter = Counter()
    for run in report["runs"]:
        if run["driver"] != "stack":
            continue
        for event in run["events"]:
            if event["kind"] in ("takeover_system", "takeover_driver"):
                text = event["detail"].split(" (")[0]
                reasons[re.sub(r"(?<![\^\w.])[-+]?\d+(\.\d+)?", "#", text).strip()] += 1
    return reasons


def _per_takeover(kpis: dict | None) -> str:
    if kpis is None:
        return "n/a"
    total = kpis["takeovers"]["total"]
    return kpi.format_bounded(total["km_per_takeover"], total["bound"], "{:.3f}")


def _ratio(report: dict, other: str) -> str:
    """The stack's km per takeover over `other`'s with its 95 % interval, from the report's own tables."""
    o = report["overall"]
    if other not in o:
        return "n/a"
    return eval_report.ratio_text(eval_report.takeover_comparison(o["stack"], o[other], "total"))


def closed_loop_lines(results_dir: Path, model_id: str, link_prefix: str) -> list[str]:
    """Markdown lines: one table row per report that ran `model_id`, then its takeovers by reason."""
    found = stack_reports(results_dir, model_id)
    if not found:
        return [f"No evaluation report under {results_dir.name}/ names `{model_id}` yet: run `lcc-plus eval` "
                "with this model, then `lcc-plus model-card`."]
    lines = ["| evaluation | stack km per takeover (takeovers in engaged km) | lcc | expert | stack / lcc [95 %] | "
             "stack / expert [95 %] | at-fault collisions | lane departures while engaged | lateral error RMS, marked roads |",
             "|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for path, report in found:
        o, request = report["overall"], report["request"]
        stack = o["stack"]
        seeds = f"seed {request['seed']}" if request["seeds"] == 1 else \
            f"seeds {request['seed']}-{request['seed'] + request['seeds'] - 1}"
        where = f"[{path.parent.name}]({link_prefix}{path.parent.name}/report.md): `{request['command']}` ({seeds})"
        rms = stack["lateral_error_marked"]["rms_m"] if stack["lateral_error_marked"]["n"] else None
        lines.append(
            f"| {where} | {_per_takeover(stack)} ({stack['takeovers']['total']['count']} in "
            f"{stack['engaged_km']:.2f} km) | {_per_takeover(o.get('lcc'))} | {_per_takeover(o.get('expert'))} | "
            f"{_ratio(report, 'lcc')} | {_ratio(report, 'expert')} | "
            f"{stack['collisions_at_fault']} | {stack['lane_departures_engaged']} | "
            + (f"{rms:.3f} m |" if rms is not None else "n/a |"))
        reasons = takeover_reasons(report)
        notes.append(f"- {path.parent.name}: " + (", ".join(f"{n} x {r}" for r, n in reasons.most_common())
                                                   or "no takeover") + ".")
    return lines + ["", "Takeovers of the stack by reason (`#`: a number that varies):", ""] + notes


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def plot_reliability(offline: dict, path: Path) -> None:
    """Reliability diagram (mean confidence vs observed rate per bin) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = offline["confidence_reliability_crossfit"]
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


def write_model_card(summary: dict, path: Path, results_dir: Path) -> None:
    """docs/model_card.md from the training summary (vla.json) and the evaluation reports in
    `results_dir`, with the reliability diagram beside it."""
    plot_name = path.stem + "_reliability.png"
    plot_reliability(summary["offline_metrics"], path.with_name(plot_name))
    m = summary["offline_metrics"]
    d = summary["data"]
    inp = summary["input_spec"]
    lines = [
        "# VLA driving model card", "",
        "Generated by `lcc-plus train --config config/vla_train.yaml` (lcc_plus/vla/train.py) and rewritten "
        "by `lcc-plus model-card` after evaluations; the training numbers are in `lcc_plus/models/vla.json`.", "",
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
        f"- output `output`: float32 {summary['outputs']['output']}: path geometry (x, y at {dec.PATH_S_M.size} arc "
        f"lengths, 0-{dec.PATH_S_M[-1]:g} m) and speed profile ({dec.PATH_T_S.size} speeds, 0-{dec.PATH_T_S[-1]:g} s), "
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
        if not k.startswith("confidence_reliability"):
            lines.append(f"| {k} | {_fmt(v)} |")
    lines += ["", "## Confidence calibration", "",
              f"`confidence` is the model's probability that the path's lateral RMS error over its first "
              f"{dec.PATH_CHECK_M:g} m stays at or "
              f"below {m['confidence_threshold_m']} m. Platt scaling fitted on the validation and test episodes "
              f"together (a = {summary['platt']['a']:.3f}, b = {summary['platt']['b']:.3f}) is folded into the output "
              f"layer. Out of sample, each split calibrated by a fit on the other (expected calibration error "
              f"{m['confidence_ece_crossfit']:.3f}; on the test episodes with the shipped fit "
              f"{m['confidence_ece']:.3f}):", "",
              "| confidence bin | samples | mean confidence | observed rate |", "|---|---|---|---|"]
    for r in m["confidence_reliability_crossfit"]:
        lines.append(f"| {r['bin']} | {r['samples']} | {r['mean_confidence']:.3f} | {r['observed_rate']:.3f} |")
    lines += ["", f"![reliability diagram]({plot_name})"]
    lines += ["", "## Closed-loop KPIs", "",
              "Training does not drive the closed loop. These rows come from the `lcc-plus eval` reports under "
              "docs/results/ whose request names this model (held-out seeds: training episodes start at seed "
              f"{summary['datagen_config']['first_seed']}); `lcc-plus model-card` rewrites this card after an "
              "evaluation.", ""]
    lines += closed_loop_lines(results_dir, summary["model_id"], os.path.relpath(results_dir, path.parent) + "/")
    lines += ["",
              "## Limits", "",
              "- Trained on simulator images only; a real camera needs fine-tuning on real data.",
              "- The front camera cannot see vehicles beside and behind; lane-change gaps come from rear sensing.",
              ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--summary", type=Path, default=REPO_DIR / "lcc_plus" / "models" / "vla.json",
                        help="training summary written beside the model by `lcc-plus train`")
    parser.add_argument("--results", type=Path, default=REPO_DIR / "docs" / "results",
                        help="folder of evaluation output folders (each with report.json)")
    parser.add_argument("--out", type=Path, default=REPO_DIR / "docs" / "model_card.md")


def run(args: argparse.Namespace) -> int:
    if not args.summary.is_file():
        raise SystemExit(f"lcc-plus model-card: no training summary {args.summary} (written by `lcc-plus train`)")
    summary = json.loads(args.summary.read_text())
    write_model_card(summary, args.out, args.results)
    n = len(stack_reports(args.results, summary["model_id"]))
    print(f"wrote {args.out} ({summary['model_id']}; {n} evaluation report(s) of this model)")
    return 0
