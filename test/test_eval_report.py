"""Reports: deterministic JSON and Markdown, comparisons with bounds, plots written."""
from __future__ import annotations

import json

from eval_traces import synthetic_trace

from lcc_plus.evaluation import params, plots, report

P = params.load()


def _results():
    return [report.RunResult(synthetic_trace("stack", 0), {}), report.RunResult(synthetic_trace("lcc", 4), {}),
            report.RunResult(synthetic_trace("expert", 0), {"plot": "plots/x.png"})]


def test_report_is_identical_for_the_same_input_and_order_free(tmp_path):
    req = {"command": "lcc-plus eval --suite small_roads", "seed": 3}
    a = report.build(_results(), P, req)
    b = report.build(list(reversed(_results())), P, req)
    report.write(a, tmp_path / "a", {"wall_s": 1.0})
    report.write(b, tmp_path / "b", {"wall_s": 2.0})
    for name in ("report.json", "report.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert json.loads((tmp_path / "a" / "run_info.json").read_text())["wall_s"] == 1.0


def test_stack_ratio_to_lcc_and_expert_with_bounds():
    r = report.build(_results(), P, {"command": "x"})
    comp = r["suites"]["small_roads"]["comparison"]
    # stack had no takeover over 0.2 km, lcc 4: stack/lcc >= 0.2 / (0.2 / 4) = 4. With 0 of 4 takeovers
    # the stack's share is at most 1 - 0.025^(1/4) = 0.602 (Clopper-Pearson), so the ratio is at least
    # 0.398 / 0.602 = 0.66 at 95 %, with no upper limit.
    lcc = comp["stack_over_lcc"]["total"]
    assert (lcc["value"], lcc["bound"]) == (4.0, "lower")
    assert lcc["interval"]["high"] is None and abs(lcc["interval"]["low"] - 0.66) < 0.005
    assert comp["stack_over_expert"]["total"]["bound"] == "undefined"
    assert "interval" not in comp["stack_over_expert"]["total"]  # both had none: the counts say nothing
    md = report.markdown(r)
    assert "| stack / lcc | >= 4.00 [0.66, no limit) |" in md
    assert "solid line" in md and "[plot](plots/x.png)" in md
    assert "never engaged" not in md
    json.dumps(r, allow_nan=False)  # no inf / nan left


def test_report_names_the_model_that_drove_the_stack():
    from lcc_plus.evaluation.cli import _stack_model_id
    from lcc_plus.vla.runtime import load_params, model_id_of

    shipped = load_params().resolved_model_path()
    assert _stack_model_id(None) == model_id_of(shipped)
    assert _stack_model_id("/nonexistent/vla.onnx") == "vla.onnx (missing)"
    md = report.markdown(report.build(_results(), P, {"command": "x", "model_id": "vla.onnx@0123abcd"}))
    assert "Model driving the stack: `vla.onnx@0123abcd`" in md


def test_plot_written(tmp_path):
    path = plots.plot_run(synthetic_trace("lcc", 2), P, tmp_path / "p.png")
    assert path.stat().st_size > 5000


def test_baseline_drivers_join_the_comparison():
    base = report.build([report.RunResult(synthetic_trace("lcc", 4), {}), report.RunResult(synthetic_trace("expert", 0), {})], P,
                        {"command": "base"})
    r = report.with_baseline(report.build([report.RunResult(synthetic_trace("stack", 1), {})], P, {"command": "x"}), base,
                             "base/report.json")
    comp = r["suites"]["small_roads"]["comparison"]
    assert (comp["stack_over_lcc"]["total"]["value"], comp["stack_over_lcc"]["total"]["bound"]) == (4.0, "exact")
    assert comp["stack_over_expert"]["total"]["bound"] == "upper"
    assert [run["driver"] for run in r["runs"]] == ["stack"]  # only this command's runs are listed
    assert r["request"]["baseline"] == {"file": "base/report.json", "command": "base"}
    # A new baseline replaces the old one's drivers.
    base2 = report.build([report.RunResult(synthetic_trace("lcc", 2), {})], P, {"command": "base2"})
    r2 = report.with_baseline(r, base2, "b2.json")
    assert "expert" not in r2["overall"] and r2["suites"]["small_roads"]["comparison"]["stack_over_lcc"]["total"][
        "value"] == 2.0
