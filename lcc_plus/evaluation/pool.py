"""`lcc-plus pool`: evaluation reports of the same drivers on disjoint seeds, pooled into one table.

    lcc-plus pool docs/results/small_roads_seeds_*/report.json --out docs/results/small_roads_pooled

A nine-seed set of `small_roads` holds one to five stack takeovers: too few for its ratio alone
to settle a target such as "13x `lcc`" (see intervals.py). Pooling the sets sums each driver's
takeovers and engaged km and gives every set's and the pooled ratios with their exact intervals.
Refused: reports that share a (driver, scenario, seed) run, that cover other suites, or whose
stack drove another model.
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from lcc_plus.evaluation import kpi, report

KINDS = ("total", "system", "driver")


def _seeds_text(seeds: Sequence[int]) -> str:
    """'0-8, 27-35' for sorted whole seeds."""
    spans: list[list[int]] = []
    for s in sorted(set(seeds)):
        if spans and s == spans[-1][1] + 1:
            spans[-1][1] = s
        else:
            spans.append([s, s])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _drivers(rep: dict) -> list[str]:
    return [d for d in rep["overall"] if d != "comparison"]


def check_poolable(reports: dict[str, dict]) -> None:
    """Raise ValueError unless the reports can be pooled (see the module docstring)."""
    if not reports:
        raise ValueError("nothing to pool: give at least one report")
    seen: dict[tuple, str] = {}
    suites, models = set(), set()
    for label, rep in reports.items():
        if rep.get("schema") != report.SCHEMA:
            raise ValueError(f"{label}: not an lcc_plus evaluation report (schema {rep.get('schema')!r})")
        suites.add(tuple(sorted(rep["suites"])))
        if "stack" in _drivers(rep):
            models.add(rep["request"].get("model_id"))
        for run in rep["runs"]:
            key = (run["driver"], run["scenario"], run["seed"])
            if key in seen:
                raise ValueError(f"{label} and {seen[key]} both hold {key[0]}/{key[1]}/s{key[2]}: seeds must not overlap")
            seen[key] = label
    if len(suites) > 1:
        raise ValueError(f"the reports cover different suites: {sorted(suites)}")
    if len(models) > 1:
        raise ValueError(f"the stack drove different models: {sorted(str(m) for m in models)}")


def pooled_table(tables: Sequence[dict], drivers: Sequence[str]) -> dict:
    """Per driver: summed engaged km and minutes, and takeovers per kind; with the comparison."""
    out: dict = {}
    for d in drivers:
        km = sum(t[d]["engaged_km"] for t in tables)
        minutes = sum(t[d]["engaged_min"] for t in tables)
        out[d] = {"engaged_km": km, "engaged_min": minutes,
                  "takeovers": {k: kpi.per_takeover(sum(t[d]["takeovers"][k]["count"] for t in tables), km, minutes)
                                for k in KINDS}}
    out["comparison"] = report.comparison(out)
    return out


def pool(reports: dict[str, dict]) -> dict:
    """Each report's overall table (comparison recomputed, intervals included) and the pooled one,
    over the drivers every report has."""
    check_poolable(reports)
    drivers = [d for d in _drivers(next(iter(reports.values())))
               if all(d in _drivers(r) for r in reports.values())]
    rows = []
    for label, rep in reports.items():
        table = {d: rep["overall"][d] for d in drivers}
        rows.append({"report": label, "seeds": _seeds_text([r["seed"] for r in rep["runs"]]),
                     "table": {**table, "comparison": report.comparison(table)}})
    all_seeds = [r["seed"] for rep in reports.values() for r in rep["runs"]]
    model_ids = {rep["request"].get("model_id") for rep in reports.values()} - {None}
    return report.json_ready({
        "schema": report.SCHEMA + "/pool", "drivers": drivers, "suites": sorted(next(iter(reports.values()))["suites"]),
        "model_id": next(iter(model_ids), None), "reports": rows,
        "pooled": {"seeds": _seeds_text(all_seeds), "table": pooled_table([r["table"] for r in rows], drivers)},
    })


def _cells(row: dict, drivers: Sequence[str]) -> list[str]:
    t = row["table"]
    cells = [f"{t[d]['takeovers']['total']['count']} / {t[d]['engaged_km']:.2f}" for d in drivers]
    for name in ("stack_over_lcc", "stack_over_expert"):
        c = t["comparison"].get(name)
        cells.append(report.ratio_text(c["total"]) if c else "")
    return cells


def markdown(pooled: dict, command: str) -> str:
    drivers = pooled["drivers"]
    lines = ["# lcc_plus evaluation reports, pooled", "", f"Command: `{command}`", "",
             f"Suites: {', '.join(pooled['suites'])}."]
    if pooled["model_id"]:
        lines[-1] += f" Model driving the stack: `{pooled['model_id']}`."
    lines += ["", f"Takeovers / engaged km per driver, and the stack's km per takeover over `lcc`'s and `expert`'s "
              f"({report.INTERVAL_NOTE}).", ""]
    header = ("report", "seeds", *[f"{d} TO / km" for d in drivers], "stack / lcc", "stack / expert")
    rows = [[r["report"], r["seeds"], *_cells(r, drivers)] for r in pooled["reports"]]
    rows.append(["**pooled**", pooled["pooled"]["seeds"], *_cells(pooled["pooled"], drivers)])
    lines += report.md_table(header, rows)
    lines += ["## Pooled, by who ended the drive", ""] + report.comparison_lines(pooled["pooled"]["table"]["comparison"])
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reports", nargs="+", type=Path, help="report.json files of `lcc-plus eval`")
    parser.add_argument("--out", type=Path, required=True, help="folder for pool.json and pool.md")


def run(args: argparse.Namespace) -> int:
    reports = {}
    for path in args.reports:
        label = path.parent.name
        if label in reports:
            raise SystemExit(f"lcc-plus pool: two reports in folders named {label!r}")
        try:
            reports[label] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise SystemExit(f"lcc-plus pool: cannot read {path}: {err}") from err
    try:
        pooled = pool(reports)
    except ValueError as err:
        raise SystemExit(f"lcc-plus pool: {err}") from err
    command = "lcc-plus pool " + " ".join(str(p) for p in args.reports) + f" --out {args.out}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pool.json").write_text(json.dumps(pooled, indent=1, sort_keys=False) + "\n")
    (args.out / "pool.md").write_text(markdown(pooled, command) + "\n")
    row = pooled["pooled"]["table"]["comparison"]
    print(f"wrote {args.out / 'pool.json'} and {args.out / 'pool.md'} ({len(reports)} reports)")
    for name, c in row.items():
        print(f"  pooled {name}: {report.ratio_text(c['total'])}")
    return 0
