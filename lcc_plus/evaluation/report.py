"""JSON and Markdown reports of an evaluation: per run, per suite, per driver, and comparisons.

The deterministic part (report.json, report.md) holds no wall time and no paths,
so the same arguments and seed give byte-identical files; wall time and the host
go to run_info.json beside them.
"""
from __future__ import annotations

import copy
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from lcc_plus.evaluation import intervals, kpi
from lcc_plus.evaluation.params import EvaluationParams
from lcc_plus.evaluation.trace import Trace

SCHEMA = "lcc_plus.eval/1"
FLOAT_DIGITS = 6


@dataclass
class RunResult:
    """One finished run: its trace plus files written for it (relative to the report folder)."""

    trace: Trace
    files: dict[str, str]
    error: str | None = None  # the run stopped on an exception (the trace holds what ran until then)


def json_ready(x):
    """JSON-ready and stable: rounded floats, no inf/nan (null), tuples as lists."""
    if isinstance(x, Enum):
        return json_ready(x.value)
    if isinstance(x, float):
        return round(x, FLOAT_DIGITS) if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_ready(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):  # numpy scalar
        return json_ready(x.item())
    return x


def _run_entry(r: RunResult, p: EvaluationParams) -> dict:
    t = r.trace
    return {
        "suite": t.suite, "scenario": t.scenario, "driver": t.driver, "seed": t.seed,
        "kpis": kpi.run_kpis(t, p),
        "events": [asdict(e) for e in t.events],
        "lane_changes": [asdict(c) for c in t.lane_changes],
        "files": dict(sorted(r.files.items())),
        "error": r.error,
    }


def takeover_comparison(a: dict, b: dict, kind: str) -> dict:
    """Driver table `a`'s km per takeover of `kind` over `b`'s, with its exact interval where the
    counts give one (`high` None: no upper limit)."""
    out = kpi.takeover_ratio(a["takeovers"][kind], b["takeovers"][kind])
    if a["engaged_km"] > 0.0 and b["engaged_km"] > 0.0:
        ci = intervals.ratio_interval(a["takeovers"][kind]["count"], a["engaged_km"],
                                      b["takeovers"][kind]["count"], b["engaged_km"])
        if ci is not None:
            out["interval"] = {"level": intervals.LEVEL, "low": ci[0], "high": ci[1]}
    return out


def comparison(by_driver: dict[str, dict]) -> dict:
    """The stack's km per takeover as a ratio to `lcc` and as a fraction of `expert`, where present."""
    out: dict = {}
    stack = by_driver.get("stack")
    if stack is None:
        return out
    for other, name in (("lcc", "stack_over_lcc"), ("expert", "stack_over_expert")):
        if other in by_driver:
            out[name] = {k: takeover_comparison(stack, by_driver[other], k) for k in ("total", "system", "driver")}
    return out


def _add_baseline(table: dict, base: dict) -> None:
    for driver, k in base.items():
        if driver != "comparison" and driver not in table:
            table[driver] = k


def _baseline_overall(baseline: dict, suites: Sequence[str]) -> dict:
    """The baseline's overall figures, or for a subset of its suites the one suite asked for."""
    have = set(baseline.get("suites", {}))
    if have <= set(suites):
        return baseline.get("overall", {})
    if len(suites) == 1 and suites[0] in have:
        return baseline["suites"][suites[0]]
    raise ValueError(f"baseline covers suites {sorted(have)}, this run {list(suites)}: cannot compare overall")


def with_baseline(rep: dict, baseline: dict, label: str) -> dict:
    """`rep` with the drivers of an earlier report `baseline` (same scenarios and seeds) that
    `rep` did not run added to its per-suite and overall tables, comparisons recomputed.
    Works on finished reports (no traces needed); a previous baseline's drivers are replaced."""
    out = copy.deepcopy(rep)
    own = {r["driver"] for r in out["runs"]}
    tables = [(out["overall"], _baseline_overall(baseline, list(out["suites"])))]
    tables += [(out["suites"][s], baseline.get("suites", {}).get(s, {})) for s in out["suites"]]
    for table, base in tables:
        for driver in [d for d in table if d not in own and d != "comparison"]:
            del table[driver]
        _add_baseline(table, base)
        table["comparison"] = json_ready(comparison(table))
    out["request"]["baseline"] = {"file": label, "command": baseline["request"].get("command", "")}
    return out


def build(results: Sequence[RunResult], p: EvaluationParams, request: dict) -> dict:
    """The whole report as a JSON-ready dict. `request` names what was asked (suite, drivers, seed...)."""
    results = sorted(results, key=lambda r: (r.trace.suite, r.trace.scenario, r.trace.seed, r.trace.driver))
    drivers = sorted({r.trace.driver for r in results})
    suites = sorted({r.trace.suite for r in results})
    per_suite = {}
    for s in suites:
        per_suite[s] = {}
        for d in drivers:
            traces = [r.trace for r in results if r.trace.suite == s and r.trace.driver == d]
            if traces:
                per_suite[s][d] = kpi.suite_kpis(traces, p)
        per_suite[s]["comparison"] = comparison(per_suite[s])
    overall = {d: kpi.suite_kpis([r.trace for r in results if r.trace.driver == d], p) for d in drivers}
    overall["comparison"] = comparison(overall)
    return json_ready({
        "schema": SCHEMA,
        "request": request,
        "params": asdict(p),
        "overall": overall,
        "suites": per_suite,
        "runs": [_run_entry(r, p) for r in results],
        "errors": [f"{r.trace.driver}/{r.trace.scenario}/s{r.trace.seed}: {r.error}" for r in results if r.error],
    })


def write(report: dict, out_dir: Path, run_info: dict) -> tuple[Path, Path]:
    """report.json, report.md (deterministic) and run_info.json (wall time etc.) into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "report.json"
    md_path = out_dir / "report.md"
    json_path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    md_path.write_text(markdown(report))
    (out_dir / "run_info.json").write_text(json.dumps(json_ready(run_info), indent=1, sort_keys=True) + "\n")
    return json_path, md_path


# ---------------------------------------------------------------- Markdown

def _f(v, fmt="{:.2f}") -> str:
    return "n/a" if v is None else fmt.format(v)


def _pt(t: dict, fmt="{:.2f}", key="km_per_takeover") -> str:
    return kpi.format_bounded(t[key], t["bound"], fmt)


KPI_COLUMNS = ("driver", "runs", "km", "engaged km", "engaged share", "TO sys", "TO drv", "km/TO", "min/TO", "coll. at fault (manual)",
               "lane dep.", "lat err RMS m", "lat err p95 m", "RMS marked m", "max lat acc", "max lat jerk",
               "max lon acc", "max decel", "max lon jerk", "LC req/done/ref/abort", "progress", "min TTC s")


def _kpi_row(name: str, k: dict) -> list[str]:
    lat, lon, lc, to = k["lateral"], k["longitudinal"], k["lane_changes"], k["takeovers"]
    flag = lambda ok: "" if ok else " (!)"  # noqa: E731
    return [name, str(k["runs"]), _f(k["distance_km"], "{:.3f}"), _f(k["engaged_km"], "{:.3f}"),
            _f(k["engaged_share"], "{:.0%}"),
            str(to["system"]["count"]), str(to["driver"]["count"]), _pt(to["total"], "{:.3f}"),
            _pt(to["total"], "{:.2f}", "min_per_takeover"),
            f"{k['collisions_at_fault']} ({k['collisions_at_fault_manual']})",
            str(k["lane_departures_engaged"]), _f(k["lateral_error"]["rms_m"], "{:.3f}"),
            _f(k["lateral_error"]["p95_m"], "{:.3f}"), _f(k["lateral_error_marked"]["rms_m"], "{:.3f}"),
            _f(lat["max_accel_mps2"]) + flag(lat["accel_ok"]), _f(lat["max_jerk_mps3"]) + flag(lat["jerk_ok"]),
            _f(lon["max_accel_mps2"]) + flag(lon["accel_ok"]), _f(lon["max_decel_mps2"]) + flag(lon["decel_ok"]),
            _f(lon["max_jerk_mps3"]) + flag(lon["jerk_ok"]),
            f"{lc['requested']}/{lc['completed']}/{lc['refused']}/{lc['aborted']}",
            _f(k["progress"]), _f(k["min_ttc_s"])]


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines + [""]


def ratio_text(c: dict) -> str:
    """'17.60 [6.98, 48.01]': the bounded ratio and its interval, if it has one."""
    text = kpi.format_bounded(c["value"], c["bound"])
    ci = c.get("interval")
    if ci is None:
        return text
    high = "no limit)" if ci["high"] is None else f"{ci['high']:.2f}]"
    return f"{text} [{ci['low']:.2f}, {high}"


INTERVAL_NOTE = ("[low, high]: exact 95 % interval of the ratio, each driver's takeovers taken as Poisson in its "
                 "engaged km (conditional binomial, Clopper-Pearson)")


def comparison_lines(comp: dict) -> list[str]:
    if not comp:
        return []
    rows = []
    for name, label in (("stack_over_lcc", "stack / lcc"), ("stack_over_expert", "stack / expert")):
        if name in comp:
            rows.append([label] + [ratio_text(comp[name][k]) for k in ("total", "system", "driver")])
    return [f"km per takeover ratios (>= lower bound, <= upper bound, n/a: both had none; {INTERVAL_NOTE}):",
            ""] + md_table(("ratio", "total", "system-requested", "driver-forced"), rows)


def markdown(report: dict) -> str:
    req = report["request"]
    lines = ["# lcc_plus closed-loop evaluation", "",
             "Command: `" + req.get("command", "") + "`", ""]
    if req.get("model_id"):
        lines += [f"Model driving the stack: `{req['model_id']}` (file name @ first 8 hex of its sha256).", ""]
    if req.get("baseline"):
        lines += [f"Drivers not run by this command come from `{req['baseline']['file']}` "
                  f"(`{req['baseline']['command']}`).", ""]
    lines += [
        "km / min per takeover count only what the system drove while engaged; `>=` marks a lower "
        "bound (no takeover in that distance). Collisions at fault: while the system drove or within "
        f"{report['params']['handover_blame_s']} s of a takeover; (manual): the simulated driver's own. Lateral error: engaged lane keeping only (no lane "
        "changes, no driver control, 1 s settle). Jerk: 0.5 s moving average of the derivative of the "
        "4th-order 0.5 Hz Butterworth-filtered acceleration (UN R79 method on the 20 Hz log, not the "
        "100 Hz it asks for). (!) marks a value over its limit "
        f"(lat acc {report['params']['lat_accel_limit_mps2']} m/s^2, lat jerk "
        f"{report['params']['lat_jerk_limit_mps3']} m/s^3, lon acc {report['params']['lon_accel_limit_mps2']}"
        f", decel {report['params']['lon_decel_limit_mps2']} m/s^2, lon jerk "
        f"{report['params']['lon_jerk_limit_mps3']} m/s^3).", "",
        "## All runs", ""]
    if report["errors"]:
        lines[-2:-2] = ["**Runs that stopped on an error (their KPIs cover the part that ran):**", ""] + [
            f"- {e}" for e in report["errors"]] + [""]
    overall = report["overall"]
    lines += md_table(KPI_COLUMNS, [_kpi_row(d, k) for d, k in overall.items() if d != "comparison"])
    lines += comparison_lines(overall["comparison"])
    for suite, by_driver in report["suites"].items():
        lines += [f"## Suite `{suite}`", ""]
        lines += md_table(KPI_COLUMNS, [_kpi_row(d, k) for d, k in by_driver.items() if d != "comparison"])
        lines += comparison_lines(by_driver["comparison"])
    never = [f"{r['driver']}/{r['scenario']}" for r in report["runs"] if r["kpis"]["runs_never_engaged"]]
    if never:
        lines += ["**The system never engaged in** (0 km and 0 takeovers there, not a clean drive): "
                  + ", ".join(never), ""]
    lines += ["## Runs", ""]
    lines += md_table(("suite", *KPI_COLUMNS[:1], "scenario", "seed", *KPI_COLUMNS[2:]),
                    [[r["suite"], r["driver"], r["scenario"], str(r["seed"])] + _kpi_row("", r["kpis"])[2:]
                     for r in report["runs"]])
    lines += ["## Events", ""]
    rows = []
    for r in report["runs"]:
        for e in r["events"]:
            rows.append([r["driver"], r["scenario"], _f(e["t_s"], "{:.2f}"), e["kind"], e["detail"],
                         "yes" if e["at_fault"] else "no", "yes" if e["engaged"] else "no"])
        for c in r["lane_changes"]:
            rows.append([r["driver"], r["scenario"], _f(c["t_request_s"], "{:.2f}"),
                         f"lane_change {'left' if c['direction'] > 0 else 'right'} ({c['trigger']})",
                         f"{c['outcome']} {c['reason']}".strip(), "", ""])
    lines += md_table(("driver", "scenario", "t s", "event", "detail", "at fault", "engaged"), rows) if rows else [
        "none", ""]
    files = [(r["driver"], r["scenario"], kind, path) for r in report["runs"] for kind, path in r["files"].items()]
    if files:
        lines += ["## Files", ""]
        lines += [f"- {d} / {s}: [{kind}]({path})" for d, s, kind, path in files] + [""]
    return "\n".join(lines)
