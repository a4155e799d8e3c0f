"""`lcc-plus pool`: reports on disjoint seeds summed per driver, with each and the pooled interval."""
from __future__ import annotations

import json

import pytest
from eval_traces import synthetic_trace

from lcc_plus.evaluation import params, pool, report

P = params.load()


def _report(seed: int, stack_takeovers: int, model_id: str = "vla.onnx@0123abcd") -> dict:
    runs = [report.RunResult(synthetic_trace("stack", stack_takeovers, seed=seed), {}),
            report.RunResult(synthetic_trace("lcc", 8, seed=seed), {}),
            report.RunResult(synthetic_trace("expert", 0, seed=seed), {})]
    return report.build(runs, P, {"command": f"eval --seed {seed}", "model_id": model_id})


def test_pooled_counts_are_sums_and_narrow_the_interval():
    reports = {"a": _report(0, 1), "b": _report(1, 0), "c": _report(2, 2)}
    out = pool.pool(reports)
    stack = out["pooled"]["table"]["stack"]
    assert stack["takeovers"]["total"]["count"] == 3 and stack["engaged_km"] == pytest.approx(0.6)
    assert out["pooled"]["table"]["lcc"]["takeovers"]["total"]["count"] == 24
    assert out["pooled"]["seeds"] == "0-2" and [r["seeds"] for r in out["reports"]] == ["0", "1", "2"]
    pooled = out["pooled"]["table"]["comparison"]["stack_over_lcc"]["total"]
    # 3 takeovers in 0.6 km against 24 in 0.6 km: 8x.
    assert (pooled["value"], pooled["bound"]) == (pytest.approx(8.0), "exact")
    single = out["reports"][0]["table"]["comparison"]["stack_over_lcc"]["total"]["interval"]
    assert pooled["interval"]["low"] > single["low"] and pooled["interval"]["high"] < single["high"]
    # The expert had none anywhere: the stack's share of it is bounded from above only.
    expert = out["pooled"]["table"]["comparison"]["stack_over_expert"]["total"]
    assert expert["bound"] == "upper" and expert["interval"]["low"] == 0.0
    md = pool.markdown(out, "lcc-plus pool a b c --out x")
    assert "| **pooled** | 0-2 | 0 / 0.60 | 24 / 0.60 | 3 / 0.60 | 8.00 [" in md
    json.dumps(out, allow_nan=False)


def test_overlapping_seeds_other_models_and_foreign_files_are_refused():
    with pytest.raises(ValueError, match="must not overlap"):
        pool.pool({"a": _report(0, 1), "b": _report(0, 2)})
    with pytest.raises(ValueError, match="different models"):
        pool.pool({"a": _report(0, 1), "b": _report(1, 2, model_id="vla.onnx@ffffffff")})
    with pytest.raises(ValueError, match="not an lcc_plus evaluation report"):
        pool.pool({"a": _report(0, 1), "b": {"schema": "other"}})
    with pytest.raises(ValueError, match="nothing to pool"):
        pool.pool({})


def test_command_writes_both_files_and_rejects_a_bad_path(tmp_path, capsys):
    for name, seed in (("s0", 0), ("s1", 1)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.json").write_text(json.dumps(_report(seed, 1)))
    from lcc_plus.cli import main

    assert main(["pool", str(tmp_path / "s0" / "report.json"), str(tmp_path / "s1" / "report.json"),
                 "--out", str(tmp_path / "pooled")]) == 0
    assert "pooled stack_over_lcc: 8.00 [" in capsys.readouterr().out
    assert json.loads((tmp_path / "pooled" / "pool.json").read_text())["pooled"]["seeds"] == "0-1"
    with pytest.raises(SystemExit, match="cannot read"):
        main(["pool", str(tmp_path / "missing" / "report.json"), "--out", str(tmp_path / "x")])
