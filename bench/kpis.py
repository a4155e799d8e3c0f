"""Driving KPIs per suite, expert vs lcc vs stack, from evaluation reports (report.json of `lcc-plus eval`).

The committed reports under docs/results/ are read by default; `python -m bench --eval`
uses the catalog evaluation it has just run instead. Formatting is the evaluation
report's own (lcc_plus/evaluation/report.py), cut down to the columns compared here.
"""
from __future__ import annotations

import json
from pathlib import Path

from lcc_plus.evaluation import kpi, report

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "docs" / "results"
DRIVERS = ("expert", "lcc", "stack")
# The evaluation report's columns (report.KPI_COLUMNS) less these, to keep the table readable.
LEFT_OUT = ("km", "min/TO", "RMS marked m", "max lon acc")
COLUMNS = tuple(c for c in report.KPI_COLUMNS if c not in LEFT_OUT)
RATIO_AFTER = "km/TO"


def committed_reports() -> list[Path]:
    return sorted(COMMITTED.rglob("report.json")) if COMMITTED.is_dir() else []


def suite_rows(paths: list[Path]) -> dict[str, dict]:
    """suite -> {"source": report path, "rows": [[cells]...]}: per suite, the report holding the most drivers."""
    best: dict[str, tuple[int, Path, dict]] = {}
    for path in paths:
        rep = json.loads(path.read_text())
        for suite, by_driver in rep.get("suites", {}).items():
            n = sum(d in by_driver for d in DRIVERS)
            if n > best.get(suite, (0, None, None))[0]:
                best[suite] = (n, path, by_driver)
    out = {}
    for suite, (_, path, by_driver) in sorted(best.items()):
        rows = []
        for d in DRIVERS:
            if d not in by_driver:
                continue
            try:
                cells = dict(zip(report.KPI_COLUMNS, report._kpi_row(d, by_driver[d])))
            except KeyError as err:  # written by an older `lcc-plus eval` that lacked this KPI
                rows.append([d, f"report predates KPI {err}: re-run lcc-plus eval"] + [""] * (len(COLUMNS) - 1))
                continue
            ratio = "n/a (no lcc run)"
            if d == "lcc":
                ratio = "1 (baseline)"
            elif "lcc" in by_driver:
                r = kpi.takeover_ratio(by_driver[d]["takeovers"]["total"], by_driver["lcc"]["takeovers"]["total"])
                ratio = kpi.format_bounded(r["value"], r["bound"]) if r["value"] is not None else f"n/a ({r['why']})"
            row = [cells[c] for c in COLUMNS]
            row.insert(_ratio_index(), ratio)
            rows.append(row)
        out[suite] = {"source": str(path.relative_to(REPO) if path.is_relative_to(REPO) else path), "rows": rows}
    return out


def _ratio_index() -> int:
    return COLUMNS.index(RATIO_AFTER) + 1 if RATIO_AFTER in COLUMNS else len(COLUMNS)


def header() -> list[str]:
    cols = list(COLUMNS)
    cols.insert(_ratio_index(), "km/TO / lcc")
    return cols
