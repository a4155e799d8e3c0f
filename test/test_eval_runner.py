"""Closed-loop runner, CLI and report determinism on short real runs."""
from __future__ import annotations

import json

import pytest

from lcc_plus.cli import main
from lcc_plus.evaluation import params, report
from lcc_plus.evaluation.runner import RunSpec, run_all

P = params.load()


def _specs(out, driver="lcc", seed=3, max_s=2.5, **kw):
    return [RunSpec("urban", "urban_slow_lead", driver, seed, str(out), max_s=max_s, plot=False, **kw),
            RunSpec("highway", "highway_cut_in", driver, seed, str(out), max_s=max_s, plot=False, **kw)]


def test_two_workers_match_one_and_reports_are_identical_for_the_same_seed(tmp_path):
    one = run_all(_specs(tmp_path / "a"), workers=1, progress=False)
    two = run_all(_specs(tmp_path / "b"), workers=2, progress=False)
    assert [r.trace.scenario for r in two] == ["urban_slow_lead", "highway_cut_in"]
    req = {"command": "test"}
    a = json.dumps(report.build(one, P, req), sort_keys=True)
    b = json.dumps(report.build(two, P, req), sort_keys=True)
    assert a == b
    assert all(r.trace.t_s[-1] == pytest.approx(2.5) for r in one)
    assert all(r.trace.distance_m[-1] > 15.0 for r in one)  # it actually drove


def test_a_different_seed_gives_a_different_run(tmp_path):
    a = run_all(_specs(tmp_path, seed=3)[:1], workers=1, progress=False)[0].trace
    b = run_all(_specs(tmp_path, seed=4)[:1], workers=1, progress=False)[0].trace
    assert a.distance_m[-1] != b.distance_m[-1] or not (a.lateral_error_m == b.lateral_error_m).all()


def test_cli_smoke_writes_reports_and_plot(tmp_path):
    out = tmp_path / "eval"
    rc = main(["eval", "--scenario", "urban_slow_lead", "--driver", "expert", "--max-s", "2", "--workers", "1",
               "--out", str(out), "--quiet"])
    assert rc == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["request"]["command"] == "lcc-plus eval --scenario urban_slow_lead --driver expert --seed 0 --max-s 2"
    assert rep["runs"][0]["driver"] == "expert"
    assert (out / rep["runs"][0]["files"]["plot"]).stat().st_size > 0
    assert "wall_s" in json.loads((out / "run_info.json").read_text())
    assert "wall" not in (out / "report.json").read_text()
    assert (out / "report.md").read_text().startswith("# lcc_plus closed-loop evaluation")


def test_cli_rejects_unknown_names(tmp_path):
    with pytest.raises(SystemExit, match="unknown driver"):
        main(["eval", "--scenario", "urban_slow_lead", "--driver", "robot", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="unknown scenario"):
        main(["eval", "--scenario", "nowhere", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="map file not found"):
        main(["eval", "--scenario", "x", "--map", str(tmp_path / "none.osm"), "--out", str(tmp_path)])


def test_a_video_can_start_later_in_the_run(tmp_path, monkeypatch):
    # The moment to look at is often mid-run (unmarked_lane's parked car at 22-26 s), past a clip from 0 s.
    from lcc_plus.evaluation import runner, video
    from lcc_plus.sim.world import WorldParams

    stamps = []

    def annotate(obs, extras, p):
        stamps.append(obs.stamp_s)
        return obs.image_rgb

    monkeypatch.setattr(video, "annotate", annotate)
    spec = RunSpec("urban", "urban_slow_lead", "expert", 3, str(tmp_path), max_s=2.0, plot=False, video=True,
                   video_from_s=1.0)
    result = runner.run_one(spec)
    frame_s = P.video_stride * WorldParams.from_config().step_s
    assert stamps[0] == pytest.approx(1.0) and len(stamps) == round(1.0 / frame_s)
    assert (tmp_path / result.files["video"]).is_file()
