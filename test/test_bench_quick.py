"""bench/: the frame-to-command attribution, /proc readings, and `python -m bench --quick` end to end.

The quick run is a smoke test (a few seconds per section): it asserts that every section
produced its figures and the README, never how fast anything was.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.attribution import attribute, match_stamps, vla_latency
from bench.procstat import cpu_seconds, memory_mb

REPO = Path(__file__).resolve().parents[1]
MS = 1_000_000  # ns


def _rows(*pairs):
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def test_attribution_follows_each_frame_to_the_first_step_after_it():
    # frame at 0 ms: VlaAction arrives at 10 ms; planner steps at 5 (too early) and 12 ms (arrives 13);
    # controller steps at 14 ms (arrives 15); gate ticks at 14 (too early) and 20 ms (arrives 21).
    chain = attribute(np.array([0]), {0: 10 * MS}, _rows((5 * MS, 6 * MS), (12 * MS, 13 * MS)),
                      _rows((14 * MS, 15 * MS)), _rows((14 * MS, 14 * MS), (20 * MS, 21 * MS)))
    assert chain.total_ms.tolist() == [21.0]
    assert [chain.stages_ms[s].tolist() for s in ("vla", "plan", "control", "gate")] == [[10.0], [3.0], [2.0], [6.0]]
    assert (chain.no_action, chain.superseded, chain.incomplete) == (0, 0, 0)


def test_attribution_counts_dropped_superseded_and_unfinished_frames():
    traj = _rows((50 * MS, 51 * MS), (100 * MS, 101 * MS))
    prop = _rows((52 * MS, 53 * MS))
    gated = _rows((60 * MS, 61 * MS))
    # frame 0: its VlaAction (20 ms) is replaced by frame 30's (40 ms) before the planner steps at 50 ms;
    # frame 30: reaches the gate; frame 60: no VlaAction; frame 70: planner step at 100 ms but no later command.
    chain = attribute(np.array([0, 30 * MS, 60 * MS, 70 * MS]), {0: 20 * MS, 30 * MS: 40 * MS, 70 * MS: 80 * MS},
                      traj, prop, gated)
    assert (chain.published, chain.no_action, chain.superseded, chain.incomplete) == (4, 1, 1, 1)
    assert chain.total_ms.tolist() == [31.0]


def test_stamps_that_went_through_float_seconds_still_match():
    stamp = 1_795_599_434_600_411_186
    through_float = round((stamp * 1e-9) * 1e9)  # what a float-seconds VlaAction stamp comes back as
    assert through_float != stamp
    assert match_stamps(np.array([stamp, stamp + 33 * MS]), {through_float: stamp + 5 * MS}) == {stamp: stamp + 5 * MS}
    latency_ms, dropped = vla_latency(np.array([stamp, stamp + 33 * MS]), {through_float: stamp + 5 * MS})
    assert latency_ms.tolist() == [5.0] and dropped == 1


def test_proc_readings_of_this_process():
    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(2_000_000))  # some CPU work, so the counter must move
    assert cpu_seconds(os.getpid()) > before
    rss, peak = memory_mb(os.getpid())
    assert 10.0 < rss <= peak


@pytest.mark.ros
@pytest.mark.slow
def test_quick_mode_end_to_end(tmp_path):
    out = tmp_path / "results"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = {p.stem: json.loads(p.read_text()) for p in (out / "data").glob("*.json")}
    assert set(data) == {"latency", "scaling", "vla", "sim", "eval_workers", "kpis"}
    for section in ("latency", "scaling"):
        (row,) = data[section]["rows"]
        assert row["frames"]["published"] > 0 and row["latency_ms"]["n"] > 0
        assert row["stack_cpu_percent_of_one_core"] > 0.0 and row["stack_rss_mb"] > 0.0
    assert len(data["scaling"]["rows"][0]["cameras"]) == 2
    assert [r["workers"] for r in data["eval_workers"]["runs"]] == [1, 2]
    readme = (out / "README.md").read_text()
    for heading in ("## Targets", "## Camera-to-gated-command latency", "## Scaling with the number of cameras",
                    "## VLA inference latency", "## Simulator throughput", "## Evaluation wall time",
                    "## Driving KPIs per suite"):
        assert heading in readme
    assert "QUICK MODE" in readme and "FAILED" not in readme
