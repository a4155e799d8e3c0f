"""Evaluation wall time: the full catalog, and how it grows with the number of worker processes.

`run_eval(eval_args, out_dir)` runs `lcc-plus eval` in a child process and returns its
run_info.json (wall_s, runs, workers, sim_s) with the command line. Camera-count
scaling of the node graph is a latency measurement (bench/latency.py, `cameras`).
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_eval(eval_args: list[str], out_dir: Path, log: Path) -> dict:
    """`lcc-plus eval <eval_args> --out out_dir --quiet`; its run_info.json plus the command and exit status."""
    cmd = [sys.executable, "-m", "lcc_plus.cli", "eval", *eval_args, "--out", str(out_dir), "--quiet"]
    t0 = time.perf_counter()
    with open(log, "w") as f:
        rc = subprocess.call(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT)
    wall_s = time.perf_counter() - t0
    info_path = out_dir / "run_info.json"
    if not info_path.is_file():
        raise RuntimeError(f"lcc-plus eval {' '.join(eval_args)} wrote no run_info.json (exit {rc}); see {log}")
    info = json.loads(info_path.read_text())
    # exit status 1 means some runs raised: the report lists them, the timing still holds
    return {**info, "command": "lcc-plus eval " + " ".join(eval_args), "exit_status": rc,
            "process_wall_s": wall_s, "report": str(out_dir / "report.json")}


def workers_scaling(eval_args: list[str], workers: tuple[int, ...], workdir: Path) -> list[dict]:
    """The same evaluation with each worker count."""
    return [run_eval([*eval_args, "--workers", str(w)], workdir / f"eval_workers_{w}", workdir / f"eval_workers_{w}.log")
            for w in workers]
