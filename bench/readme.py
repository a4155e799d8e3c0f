"""bench/results/README.md: machine facts, targets, and one table per benchmark, from <out>/data/*.json."""
from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

from bench.attribution import STAGE_TEXT, STAGES

REPO = Path(__file__).resolve().parents[1]
TARGET_COMPOSED_P99_MS = 15.0
TARGET_PROCESSES_P99_MS = 25.0
TARGET_CPU_OF_TWO_CORES = 60.0
TARGET_INFERENCE_P99_MS = 5.0
CORES_TARGETED = 2  # the targets are stated for this 2-core machine


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine_facts() -> list[tuple[str, str]]:
    from importlib import metadata

    import cv2
    import numpy
    import onnxruntime

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or platform.machine())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    dirty = _git("status", "--porcelain", "--", "lcc_plus", "config", "bench", "nodes")
    return [("CPU", f"{cpu}, {os.cpu_count()} logical CPUs (`nproc`)"), ("memory", f"{mem_kb / 2**20:.1f} GiB"),
            ("kernel", platform.release()), ("Python", platform.python_version()),
            ("onnxruntime", onnxruntime.__version__), ("OpenCV", cv2.__version__), ("numpy", numpy.__version__),
            ("ROS 2", f"rclpy {metadata.version('rclpy')} (requirements/ros.txt), "
                      f"{os.environ.get('RMW_IMPLEMENTATION', 'default RMW')} with config/fastdds_shm.xml"),
            ("commit", (_git("rev-parse", "--short", "HEAD") or "?") +
             (" (with uncommitted changes by other work in lcc_plus/, config/ or bench/)" if dirty else ""))]


def _f(v, fmt="{:.1f}") -> str:
    return "n/a" if v is None else fmt.format(v)


def _table(header, rows) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(str(c) for c in r) + " |" for r in rows), ""]


def _when(d: dict) -> str:
    return (f"measured {d['started_utc']}, {d['wall_s']:.0f} s; load average (1 min) {d['load_start'][0]:.2f} "
            f"at the start, {d['load_end'][0]:.2f} at the end")


def _stage_periods_ms(vla_rate_hz: float | None) -> dict[str, float]:
    """Timer period [ms] of each stage of the chain (config/nodes.yaml, config/safety.yaml)."""
    from lcc_plus.common import params
    from lcc_plus.nodes.node_config import NODES_YAML, LoopNodeParams, VlaNodeParams
    from lcc_plus.safety.params import SafetyParams

    vla = vla_rate_hz or params.load(VlaNodeParams, NODES_YAML, "vla_node").process_rate_hz
    return {"vla": 1e3 / vla, "plan": 1e3 / params.load(LoopNodeParams, NODES_YAML, "mode_manager").rate_hz,
            "control": 1e3 / params.load(LoopNodeParams, NODES_YAML, "controller").rate_hz,
            "gate": 1e3 / params.load(SafetyParams, "safety.yaml", "safety_monitor").rate_hz}


def _find(rows: list[dict], deployment: str, rate: float, size: str, cameras: int = 1) -> dict | None:
    return next((r for r in rows if r["config"]["deployment"] == deployment and r["config"]["rate_hz"] == rate
                 and r["config"]["size"] == size and r["config"]["cameras"] == cameras
                 and r["config"]["vla_rate_hz"] == rate), None)


def _latency_rows(rows: list[dict]) -> list[list[str]]:
    out = []
    for r in rows:
        lat, fr, c = r["latency_ms"], r["frames"], r["config"]
        out.append([r["label"], _f(c["vla_rate_hz"], "{:g}") if c["vla_rate_hz"] else "20 (shipped)",
                    lat["n"], _f(lat["p50"]), _f(lat["p95"]), _f(lat["p99"]), _f(lat["max"]),
                    f"{fr['dropped_by_vla_node']}/{fr['published']}", fr["superseded"],
                    _f(r["stack_cpu_percent_of_one_core"] / CORES_TARGETED, "{:.0f}"), _f(r["stack_rss_mb"], "{:.0f}"),
                    _f(r["inference_ms"]["p99"]), f"{r['engaged_fraction']:.0%}", r["feed_late"],
                    f"{r['load_avg'][0]:.2f}"])
    return out


def _process_rows(rows: list[dict]) -> list[list[str]]:
    out = []
    for r in rows:
        for name, p in r["processes"].items():
            out.append([r["label"], name, p["runs"], _f(p["cpu_percent"], "{:.0f}"), _f(p["rss_mb"], "{:.0f}"),
                        _f(p["peak_rss_mb"], "{:.0f}")])
    return out


def _stage_rows(rows: list[dict]) -> list[list[str]]:
    out = []
    for r in rows:
        periods = _stage_periods_ms(r["config"]["vla_rate_hz"])
        out.append([r["label"]] + [f"{_f(r['stages_ms'][s]['p50'])} / {_f(r['stages_ms'][s]['p99'])} "
                                   f"(min {_f(r['stages_ms'][s]['min'])}, period {periods[s]:.0f})" for s in STAGES])
    return out


def _where_time_goes(row: dict) -> str:
    periods = _stage_periods_ms(row["config"]["vla_rate_hz"])
    st = row["stages_ms"]
    wait_mean = sum(periods.values()) / 2.0
    floor = sum(st[s]["min"] or 0.0 for s in STAGES)
    parts = ", ".join(f"{s} {_f(st[s]['p50'])} ms" for s in STAGES)
    text = (f"Median per stage: {parts}. Each stage runs on its own timer (periods "
            + ", ".join(f"{s} {periods[s]:.0f} ms" for s in STAGES)
            + f"), so a frame waits on average half of each period, {wait_mean:.0f} ms in all, and up to "
            f"{2 * wait_mean:.0f} ms; the fastest frame through each stage sums to {floor:.0f} ms.")
    if wait_mean > floor:
        text += (" The timer waits, not the computing, dominate: starting each stage when its input arrives "
                 "(mode_manager on VlaAction, controller on Trajectory, the gate on the proposed command) would "
                 "remove them.")
    else:
        text += " The computing dominates: see the profile for where it goes."
    one = row["processes"].get("composed", {}).get("cpu_percent", 0.0)
    if one >= 80.0:
        text += (f" The composed process used {one:.0f} % of one core: its nodes share one Python interpreter, "
                 "whose threads run one at a time, so it cannot use the second core; frames queue and are dropped.")
    return text


def _targets(data: dict) -> list[str]:
    rows = data.get("latency", {}).get("rows", [])
    lines = ["## Targets (issue 8)", ""]
    table = []
    for deployment, limit in (("composed", TARGET_COMPOSED_P99_MS), ("processes", TARGET_PROCESSES_P99_MS)):
        r = _find(rows, deployment, 30.0, "640x480")
        p99 = None if r is None else r["latency_ms"]["p99"]
        verdict = "not measured" if p99 is None else ("met" if p99 <= limit else
                                                      f"missed by {p99 - limit:.0f} ms ({p99 / limit:.1f}x)")
        table.append([f"camera-to-command p99, {deployment}, 30 Hz, 640x480", f"<= {limit:g} ms",
                      _f(p99, "{:.1f} ms"), verdict])
    for deployment in ("processes", "composed"):
        r = _find(rows, deployment, 30.0, "640x480")
        if r is None:
            continue
        dropped, cpu = r["frames"]["dropped_by_vla_node"], r["stack_cpu_percent_of_one_core"] / CORES_TARGETED
        ok = dropped == 0 and cpu <= TARGET_CPU_OF_TWO_CORES
        why = [] if ok else ([f"{dropped} of {r['frames']['published']} frames dropped"] if dropped else []) + (
            [f"CPU {cpu - TARGET_CPU_OF_TWO_CORES:.0f} points over"] if cpu > TARGET_CPU_OF_TWO_CORES else [])
        table.append([f"30 Hz sustained, no dropped frame, CPU, {deployment}",
                      f"0 dropped, <= {TARGET_CPU_OF_TWO_CORES:g} % of 2 cores",
                      f"{dropped} dropped ({r['frames']['superseded']} more run but superseded before the "
                      f"planner stepped), {cpu:.0f} % of 2 cores", "met" if ok else "missed: " + ", ".join(why)])
    from lcc_plus.vla.runtime import load_params

    vla = load_params()
    p99 = _inference_p99(data.get("vla", {}).get("markdown", ""), vla.provider, vla.threads)
    table.append([f"model inference p99 (onnxruntime, {vla.provider}, {vla.threads} thread(s) as in config/vla.yaml, "
                  "network)", f"<= {TARGET_INFERENCE_P99_MS:g} ms",
                  _f(p99, "{:.2f} ms"), "not measured" if p99 is None else (
                      "met" if p99 <= TARGET_INFERENCE_P99_MS else f"missed by {p99 - TARGET_INFERENCE_P99_MS:.2f} ms")])
    lines += _table(("target", "limit", "measured", "verdict"), table)
    for deployment in ("composed", "processes"):
        r = _find(rows, deployment, 30.0, "640x480")
        if r is not None and r["latency_ms"]["p99"] is not None:
            lines += [f"Where the time goes ({deployment}, 30 Hz, 640x480): {_where_time_goes(r)}", ""]
    return lines


def _inference_p99(vla_markdown: str, provider: str, threads: int) -> float | None:
    """p99 of the shipped configuration's row (network, `provider`, `threads`) of bench/vla_bench.py's table."""
    for line in vla_markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and f"({provider}), network" in cells[0] and cells[1] == str(threads):
            try:
                return float(cells[3])
            except ValueError:
                return None
    return None


def _latency_section(title: str, d: dict, intro: str) -> list[str]:
    lines = [f"## {title}", "", f"{intro} ({_when(d)}).", ""]
    rows = d.get("rows", [])
    if rows:
        lines += _table(("configuration", "vla_node Hz", "frames timed", "p50 ms", "p95 ms", "p99 ms", "max ms",
                         "dropped / published", "superseded", "stack CPU % of 2 cores", "stack RSS MB",
                         "in-graph inference p99 ms", "engaged", "feed late", "load"), _latency_rows(rows))
        lines += ["Per stage, p50 / p99 ms (min; timer period ms) -- "
                  + "; ".join(f"**{s}**: {STAGE_TEXT[s]}" for s in STAGES) + ":", ""]
        lines += _table(("configuration", *STAGES), _stage_rows(rows))
        lines += ["Per process (CPU % of one core over the window; RSS and peak RSS MB at its end):", ""]
        lines += _table(("configuration", "process", "runs", "CPU %", "RSS MB", "peak RSS MB"), _process_rows(rows))
    lines += [f"- FAILED: {f}" for f in d.get("failures", [])] + ([""] if d.get("failures") else [])
    return lines


def _scaling_section(d: dict) -> list[str]:
    lines = _latency_section("Scaling with the number of cameras", d,
                             "Extra cameras run one more vla_node process each on their own stream; camera 0 "
                             "drives the planner. Rows with 1 camera are in the latency table above")
    rows = [[r["label"], k, _f(c["vla_ms"]["p50"]), _f(c["vla_ms"]["p99"]), c["dropped_by_vla_node"]]
            for r in d.get("rows", []) for k, c in r["cameras"].items()]
    if rows:
        lines += ["Image stamp -> VlaAction per camera:", ""]
        lines += _table(("configuration", "camera", "p50 ms", "p99 ms", "dropped"), rows)
    return lines


def _tool_section(title: str, d: dict) -> list[str]:
    lines = [f"## {title}", "", f"`{d.get('command', '')}` ({_when(d)}):", ""]
    body = d.get("markdown", "")
    # the tool's own title is replaced by this section's
    lines += [("#" + line if line.startswith("#") else line) for line in body.splitlines()
              if not line.startswith("# ")]
    return lines + [f"- FAILED: {f}" for f in d.get("failures", [])] + [""]


def _eval_section(data: dict) -> list[str]:
    lines = ["## Evaluation wall time", ""]
    cat = data.get("catalog")
    if cat and "wall_s" in cat and "runs" in cat:
        lines += [f"Full catalog: `{cat['command']}`: {cat['runs']} runs, {cat['sim_s']:.0f} s simulated, "
                  f"{cat['workers']} workers, wall time **{cat['wall_s']:.0f} s** "
                  f"({cat['sim_s'] / cat['wall_s']:.1f}x real time; {_when(cat)}).", ""]
    elif cat:
        lines += [f"- FAILED: {f}" for f in cat.get("failures", [])] + [""]
    else:
        lines += ["Full catalog: not measured (full mode or `--eval` only; `python -m bench --only catalog`).", ""]
    ew = data.get("eval_workers")
    if ew and ew.get("runs"):
        base = ew["runs"][0]["wall_s"]
        lines += [f"Wall time against worker processes ({_when(ew)}):", ""]
        lines += _table(("command", "workers", "runs", "simulated s", "wall s", "speed-up"),
                        [[f"`{r['command']}`", r["workers"], r["runs"], f"{r['sim_s']:.0f}", f"{r['wall_s']:.1f}",
                          f"{base / r['wall_s']:.2f}x"] for r in ew["runs"]])
    lines += [f"- FAILED: {f}" for f in (ew or {}).get("failures", [])]
    return lines + [""]


def _kpi_section(d: dict | None) -> list[str]:
    lines = ["## Driving KPIs per suite", ""]
    if not d:
        return lines + ["Not in this run.", ""]
    if not d["suites"]:
        return lines + [f"No evaluation report found ({d['source']}); run `python -m bench --eval` or commit the "
                        "reports of `lcc-plus eval --suite all --driver expert,lcc,stack`.", ""]
    lines += [f"From {d['source']}. km/TO counts engaged distance only (`>=`: no takeover, a lower bound); "
              "`km/TO / lcc` is each driver's km per takeover over the `lcc` baseline's; (!) marks a value over "
              "its comfort limit; LC = lane changes requested / completed / refused / aborted.", ""]
    for suite, s in d["suites"].items():
        lines += [f"### `{suite}` ({s['source']})", ""]
        lines += _table(d["header"], s["rows"])
    return lines


def write_readme(out: Path, quick: bool, model: str) -> Path:
    data = {p.stem: json.loads(p.read_text()) for p in sorted((out / "data").glob("*.json"))}
    model_text = model or "the shipped model (config/vla.yaml model_path)"
    lines = ["# lcc_plus benchmarks", ""]
    if quick or any(d.get("quick") for d in data.values()):
        lines += ["**QUICK MODE: tiny samples, a smoke test; these numbers are not for reporting.**", ""]
    lines += [f"`scripts/in_env.sh python -m bench{' --quick' if quick else ''}`; model: {model_text}. "
              "How each number is measured: [docs/benchmarks.md](../../docs/benchmarks.md).", "",
              "The machine is shared: each section gives the load average when it ran. A load above the core "
              "count means other work competed for the CPU and the latencies are inflated by it.", ""]
    lines += _table(("machine", ""), machine_facts())
    lines += _targets(data)
    if "latency" in data:
        lines += _latency_section("Camera-to-gated-command latency", data["latency"],
                                  "Frames from the bench publisher process through vla_node, mode_manager, "
                                  "controller and safety_monitor to the gated /lcc/command")
    if "scaling" in data:
        lines += _scaling_section(data["scaling"])
    if "profile" in data:
        p = data["profile"]
        lines += ["## Profile", ""]
        lines += ([f"pyinstrument, {p['config']}, {p['seconds']:g} s: [{p['file']}]({p['file']}) ({_when(p)})."]
                  if "file" in p else [f"- FAILED: {f}" for f in p.get("failures", [])]) + [""]
    if "vla" in data:
        lines += _tool_section("VLA inference latency", data["vla"])
    if "sim" in data:
        lines += _tool_section("Simulator throughput", data["sim"])
    if "catalog" in data or "eval_workers" in data:
        lines += _eval_section(data)
    lines += _kpi_section(data.get("kpis"))
    path = out / "README.md"
    path.write_text("\n".join(lines))
    return path
