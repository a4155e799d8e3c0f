"""`python -m bench`: every benchmark of issue 8 in one run, results in bench/results/README.md.

    scripts/in_env.sh python -m bench [--quick] [--out DIR] [--model FILE.onnx] [--eval]
                                      [--only SECTION,...] [--skip SECTION,...]

Sections (docs/benchmarks.md says what each number means):
  latency       camera-to-gated-command latency, CPU and memory per node, dropped frames
                (20 / 30 Hz x 640x480 / 1280x720 x separate processes / composed)
  scaling       the same with 2 and 4 cameras (one vla_node process per camera)
  profile       pyinstrument profile of the stack nodes at 30 Hz 640x480
  vla           model inference latency per runtime and thread count (bench/vla_bench.py)
  sim           simulator steps/s with and without rendering (bench/sim_bench.py)
  eval_workers  evaluation wall time with 1 and 2 worker processes
  catalog       wall time of the full evaluation catalog, expert + lcc + stack (full mode only)
  kpis          driving KPIs per suite from docs/results/ (or from this run's catalog with --eval)
--quick runs every section but catalog and profile with tiny samples (a smoke test for CI,
numbers not for reporting) and writes into a temporary folder unless --out is given.
Each section stores its data in <out>/data/<section>.json; the README is rebuilt from
every stored section, so sections can be re-run alone with --only.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("latency", "scaling", "profile", "vla", "sim", "eval_workers", "catalog", "kpis")
QUICK_SKIPS = ("profile", "catalog")
CATALOG_ARGS = ["--suite", "all", "--driver", "expert,lcc,stack", "--workers", "2", "--no-plots"]


def _latency_matrix(quick: bool):
    from bench.latency import LatencyConfig

    if quick:  # a rate the one-interpreter composed process keeps up with even on a loaded CI machine
        return [LatencyConfig("composed", 10.0, "640x480", vla_rate_hz=10.0)]
    configs = [LatencyConfig(d, r, s, vla_rate_hz=r) for d in ("processes", "composed") for r in (20.0, 30.0)
               for s in ("640x480", "1280x720")]
    # the shipped vla_node rate (config/nodes.yaml) under a 30 Hz camera: frames it cannot take are dropped
    return [*configs, LatencyConfig("processes", 30.0, "640x480")]


def _scaling_matrix(quick: bool):
    from bench.latency import LatencyConfig

    return [LatencyConfig("processes", 30.0, "640x480", cameras=n, vla_rate_hz=30.0) for n in ((2,) if quick else (2, 4))]


def _timing(quick: bool):
    from bench.latency import Timing

    return Timing(warmup_s=1.0, window_s=4.0, startup_timeout_s=90.0) if quick else Timing(3.0, 15.0, 120.0)


def run_latency(configs, args, work: Path) -> dict:
    from tqdm import tqdm

    from bench.latency import measure, summary

    rows, failures = [], []
    for cfg in tqdm(configs, desc="latency", unit="config"):
        try:
            rows.append(summary(measure(cfg, args.model, work / "latency", _timing(args.quick))))
        except RuntimeError as err:
            failures.append(str(err))
    return {"rows": rows, "failures": failures}


def run_profile(args, work: Path) -> dict:
    """Profile the composed stack at 30 Hz 640x480 (pyinstrument) while the feed publishes."""
    from bench.latency import LatencyConfig, params_file, ros_environment

    cfg = LatencyConfig("composed", 30.0, "640x480", vla_rate_hz=30.0)
    (work / "profile").mkdir(parents=True, exist_ok=True)
    params = params_file(cfg, work / "profile" / "params.yaml", args.model)
    out = args.out / "profiles" / "stack_composed_30hz_640x480.txt"
    env = ros_environment()
    log = work / "profile" / "log.txt"
    seconds = 3.0 if args.quick else 15.0
    with open(log, "w") as f:
        prof = subprocess.Popen([sys.executable, "-m", "bench.profile", "--params", str(params), "--seconds",
                                 str(seconds), "--out", str(out)], cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT)
        feed = subprocess.Popen([sys.executable, "-m", "bench.feed", "--size", cfg.size, "--rate-hz", "30",
                                 "--stamps-out", str(work / "profile" / "stamps.json"), "--frames-cache",
                                 str(work / "latency" / "frames")], cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT)
        try:
            rc = prof.wait(timeout=seconds + 180.0)
        except subprocess.TimeoutExpired:
            prof.kill()
            rc = "a timeout"
        finally:
            feed.terminate()
            feed.wait(timeout=10.0)
    if rc != 0:
        return {"failures": [f"profile exited with {rc}; see {log}"]}
    return {"file": str(out.relative_to(args.out)), "seconds": seconds, "config": cfg.label}


def _tool(script: str, tool_args: list[str], out_md: Path) -> dict:
    """Run bench/<script> in its own process (its thread settings stay its own); its Markdown back."""
    cmd = [sys.executable, str(REPO / "bench" / script), *tool_args, "--out", str(out_md)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        return {"failures": [f"{script} exited with {done.returncode}: {done.stderr.strip()[-2000:]}"]}
    return {"command": "python bench/" + script + " " + " ".join(tool_args), "markdown": out_md.read_text()}


def _model_args(args) -> list[str]:
    return ["--model", args.model] if args.model else []


def run_eval_workers(args, work: Path) -> dict:
    from bench.scaling import workers_scaling

    eval_args = (["--suite", "forks", "--driver", "expert", "--max-s", "1", "--no-plots"] if args.quick else
                 ["--suite", "small_roads", "--driver", "expert,lcc,stack", "--max-s", "12", "--no-plots"])
    try:
        return {"runs": workers_scaling(eval_args + _model_args(args), (1, 2), work)}
    except RuntimeError as err:
        return {"failures": [str(err)]}


def run_catalog(args, work: Path) -> dict:
    from bench.scaling import run_eval

    try:
        quick = ["--max-s", "2"] if args.quick else []  # --quick --eval: every run, 2 simulated seconds each
        # the report goes beside the README: the KPI table (with --eval) cites it
        return run_eval(CATALOG_ARGS + quick + _model_args(args), args.out / "catalog", work / "catalog.log")
    except RuntimeError as err:
        return {"failures": [str(err)]}


def run_kpis(args, data_dir: Path) -> dict:
    from bench import kpis

    catalog = data_dir / "catalog.json"
    if args.eval and catalog.is_file() and "report" in json.loads(catalog.read_text()):
        paths, source = [Path(json.loads(catalog.read_text())["report"])], "this run's catalog evaluation"
    else:
        paths, source = kpis.committed_reports(), "committed reports under docs/results/"
    return {"source": source, "suites": kpis.suite_rows(paths), "header": kpis.header()}


def _sections(args) -> list[str]:
    def names(text: str) -> list[str]:
        out = [n.strip() for n in text.split(",") if n.strip()]
        bad = [n for n in out if n not in SECTIONS]
        if bad:
            raise SystemExit(f"bench: unknown section(s) {', '.join(bad)}; known: {', '.join(SECTIONS)}")
        return out

    chosen = names(args.only) if args.only else [
        s for s in SECTIONS if not (args.quick and s in QUICK_SKIPS and not (s == "catalog" and args.eval))]
    skip = names(args.skip) if args.skip else []
    return [s for s in chosen if s not in skip]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny samples (CI smoke test); numbers not for reporting")
    ap.add_argument("--out", type=Path, default=None,
                    help="results folder (default: bench/results, or a temporary folder with --quick)")
    ap.add_argument("--model", default="", help="VLA ONNX model (default: config/vla.yaml model_path)")
    ap.add_argument("--eval", action="store_true", help="KPIs from a fresh catalog evaluation, not docs/results/")
    ap.add_argument("--only", default="", help=f"comma list out of {', '.join(SECTIONS)}")
    ap.add_argument("--skip", default="", help="comma list of sections to leave out")
    args = ap.parse_args(argv)
    if args.model and not Path(args.model).is_file():
        raise SystemExit(f"bench: model file not found: {args.model}")
    args.model = str(Path(args.model).resolve()) if args.model else ""
    if args.out is None:
        args.out = Path(tempfile.mkdtemp(prefix="lcc_bench_")) if args.quick else REPO / "bench" / "results"
    args.out = args.out.resolve()
    data_dir = args.out / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    # Keep the bench graph to itself: this host, a domain of its own (other graphs may be running).
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.Random(os.getpid()).randint(101, 200)))
    work = Path(tempfile.mkdtemp(prefix="lcc_bench_work_"))
    runners = {
        "latency": lambda: run_latency(_latency_matrix(args.quick), args, work),
        "scaling": lambda: run_latency(_scaling_matrix(args.quick), args, work),
        "profile": lambda: run_profile(args, work),
        "vla": lambda: _tool("vla_bench.py", (["--quick"] if args.quick else []) + _model_args(args),
                             work / "vla.md"),
        "sim": lambda: _tool("sim_bench.py", ["--seconds", "0.5" if args.quick else "20"], work / "sim.md"),
        "eval_workers": lambda: run_eval_workers(args, work),
        "catalog": lambda: run_catalog(args, work),
        "kpis": lambda: run_kpis(args, data_dir),
    }
    failed = False
    for name in _sections(args):
        print(f"bench: {name} (load average {os.getloadavg()[0]:.2f})", flush=True)
        start = {"started_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
                 "load_start": list(os.getloadavg())}
        t0 = time.perf_counter()
        result = runners[name]()
        result.update(start, section=name, quick=args.quick, wall_s=time.perf_counter() - t0,
                      load_end=list(os.getloadavg()))
        (data_dir / f"{name}.json").write_text(json.dumps(result, indent=1))
        for f in result.get("failures", []):
            failed = True
            print(f"bench: {name}: {f}", file=sys.stderr)
    from bench.readme import write_readme

    path = write_readme(args.out, quick=args.quick, model=args.model)
    print(f"bench: wrote {path} (work files in {work})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
