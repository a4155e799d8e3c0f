"""Reports: deterministic JSON and Markdown, comparisons with bounds, plots written."""
from __future__ import annotations

import json

import numpy as np

from lcc_plus.evaluation import params, plots, report
from lcc_plus.evaluation.trace import Event, EventKind, LaneChange, Trace

P = params.load()


def _trace(driver: str, takeovers: int, suite: str = "small_roads", scenario: str = "narrow") -> Trace:
    n = 401
    t = np.arange(n) * 0.05
    events = [Event(1.0 + i, EventKind.TAKEOVER_SYSTEM, "lane end") for i in range(takeovers)]
    return Trace(scenario=scenario, driver=driver, seed=3, t_s=t, distance_m=10.0 * t,
                 speed_mps=np.full(n, 10.0), allowed_speed_mps=np.full(n, 14.0),
                 accel_lon_mps2=np.sin(t), accel_lat_mps2=0.5 * np.cos(t),
                 lateral_error_m=0.05 * np.sin(3 * t), ttc_s=np.full(n, np.inf), engaged=np.ones(n, bool),
                 lane_changing=np.zeros(n, bool), marked=np.ones(n, bool), events=events,
                 lane_changes=[LaneChange(2.0, 1, "driver", "refused", reason="solid line")], suite=suite)


def _results():
    return [report.RunResult(_trace("stack", 0), {}), report.RunResult(_trace("lcc", 4), {}),
            report.RunResult(_trace("expert", 0), {"plot": "plots/x.png"})]


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
    # stack had no takeover over 0.2 km, lcc 4: stack/lcc >= 0.2 / (0.2 / 4) = 4.
    assert comp["stack_over_lcc"]["total"] == {"value": 4.0, "bound": "lower"}
    assert comp["stack_over_expert"]["total"]["bound"] == "undefined"
    md = report.markdown(r)
    assert "| stack / lcc | >= 4.00 |" in md
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
    path = plots.plot_run(_trace("lcc", 2), P, tmp_path / "p.png")
    assert path.stat().st_size > 5000


def test_baseline_drivers_join_the_comparison():
    base = report.build([report.RunResult(_trace("lcc", 4), {}), report.RunResult(_trace("expert", 0), {})], P,
                        {"command": "base"})
    r = report.with_baseline(report.build([report.RunResult(_trace("stack", 1), {})], P, {"command": "x"}), base,
                             "base/report.json")
    comp = r["suites"]["small_roads"]["comparison"]
    assert comp["stack_over_lcc"]["total"] == {"value": 4.0, "bound": "exact"}
    assert comp["stack_over_expert"]["total"]["bound"] == "upper"
    assert [run["driver"] for run in r["runs"]] == ["stack"]  # only this command's runs are listed
    assert r["request"]["baseline"] == {"file": "base/report.json", "command": "base"}
    # A new baseline replaces the old one's drivers.
    base2 = report.build([report.RunResult(_trace("lcc", 2), {})], P, {"command": "base2"})
    r2 = report.with_baseline(r, base2, "b2.json")
    assert "expert" not in r2["overall"] and r2["suites"]["small_roads"]["comparison"]["stack_over_lcc"]["total"][
        "value"] == 2.0
