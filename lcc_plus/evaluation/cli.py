"""`lcc-plus eval`: run drivers on scenarios in closed loop and write JSON/Markdown reports, plots, videos.

    lcc-plus eval --suite small_roads --driver expert,lcc,stack --seed 0 --workers 2 --out out/eval
    lcc-plus eval --scenario narrow_curves --driver stack --video
    lcc-plus eval --scenario my_map --map FILE.osm --driver expert
    lcc-plus eval --suite all --driver expert --faults

`--driver` takes one name or a comma-separated list; with `stack` and `lcc` (or
`expert`) in one call the report gives the stack's km per takeover as a ratio.
`--faults` (alone: `cycle`) gives each scenario one fault kind in turn (`all`: every kind on every scenario).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from lcc_plus.evaluation import params as eval_params
from lcc_plus.evaluation import report
from lcc_plus.evaluation.drivers import DRIVERS
from lcc_plus.evaluation.faults import FAULT_KINDS
from lcc_plus.evaluation.runner import RunSpec, run_all


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--suite", help="a suite of the scenario catalog, or `all`")
    what.add_argument("--scenario", help="one scenario of the catalog (or a name for --map)")
    parser.add_argument("--map", dest="map_path", help="drive this lanelet2 .osm map (with --scenario NAME)")
    parser.add_argument("--driver", default="expert",
                        help=f"one of {', '.join(DRIVERS)}, or a comma-separated list (default: expert)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--seeds", type=int, default=1, help="number of seeds per scenario (default 1)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: config, 2)")
    parser.add_argument("--out", default=None, help="output folder (default: out/eval/<suite or scenario>)")
    parser.add_argument("--video", action="store_true", help="write a camera video with overlays per run")
    parser.add_argument("--video-from", type=float, default=0.0, metavar="S",
                        help="start each video at this simulated time [s] (default 0; clips are video_max_s long)")
    parser.add_argument("--no-plots", action="store_true", help="skip the per-run plots")
    parser.add_argument("--faults", nargs="?", const="cycle", default=None,
                        help="inject faults: `cycle` (default when given: one kind per scenario, in turn), `all` "
                             f"(every kind on every scenario) or a comma list of {', '.join(FAULT_KINDS)}")
    parser.add_argument("--baseline", default=None,
                        help="report.json of an earlier run on the same scenarios and seeds: its other drivers "
                             "join the tables and the stack's ratios")
    parser.add_argument("--model", default=None, help="ONNX model for the stack (default: config/vla.yaml)")
    parser.add_argument("--max-s", type=float, default=None,
                        help="stop each run after this much simulated time (smoke tests)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _names(text: str, known: tuple[str, ...], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise SystemExit(f"lcc-plus eval: unknown {what} {', '.join(bad) or repr(text)}; choose from {', '.join(known)}")
    return names


def _scenarios(args) -> list[tuple[str, str]]:
    """(suite, scenario name) pairs to run."""
    from lcc_plus.sim import scenarios

    if args.map_path:
        if not args.scenario:
            raise SystemExit("lcc-plus eval: --map needs --scenario NAME (the name used in the report)")
        if not Path(args.map_path).is_file():
            raise SystemExit(f"lcc-plus eval: map file not found: {args.map_path}")
        return [("external_map", args.scenario)]
    try:
        if args.scenario:
            return [(scenarios.get(args.scenario).suite, args.scenario)]
        return [(sc.suite, sc.name) for sc in scenarios.suite(args.suite)]
    except ValueError as err:
        raise SystemExit(f"lcc-plus eval: {err}") from err


def command_line(args) -> str:
    """The command that reproduces the deterministic part of the report (no output folder, no workers)."""
    parts = ["lcc-plus eval", f"--suite {args.suite}" if args.suite else f"--scenario {args.scenario}"]
    if args.map_path:
        parts.append(f"--map {Path(args.map_path).name}")
    parts += [f"--driver {args.driver}", f"--seed {args.seed}"]
    if args.seeds != 1:
        parts.append(f"--seeds {args.seeds}")
    if args.faults:
        parts.append(f"--faults {args.faults}")
    if args.model:
        parts.append(f"--model {Path(args.model).name}")
    if args.max_s is not None:
        parts.append(f"--max-s {args.max_s:g}")
    if args.baseline:
        parts.append(f"--baseline {Path(args.baseline).parent.name}/{Path(args.baseline).name}")
    return " ".join(parts)


def _stack_model_id(model_path: str | None) -> str:
    """Which model drove the stack runs, so a report can be tied to a model card."""
    from lcc_plus.vla.runtime import load_params, model_id_of

    path = Path(model_path) if model_path else load_params().resolved_model_path()
    return model_id_of(path) if path.is_file() else f"{path.name} (missing)"


def build_specs(args, out_dir: Path) -> list[RunSpec]:
    drivers = _names(args.driver, DRIVERS, "driver")
    faults: list[str | None] = [None]
    if args.faults and args.faults not in ("cycle", "all"):
        faults = _names(args.faults, FAULT_KINDS, "fault")
    elif args.faults == "all":
        faults = list(FAULT_KINDS)
    if args.seeds < 1:
        raise SystemExit("lcc-plus eval: --seeds must be at least 1")
    if not args.video_from >= 0.0:  # also NaN
        raise SystemExit("lcc-plus eval: --video-from must be a time >= 0 s")
    specs = []
    for index, (suite, name) in enumerate(_scenarios(args)):
        if args.faults == "cycle":
            faults = [FAULT_KINDS[index % len(FAULT_KINDS)]]
        for seed in range(args.seed, args.seed + args.seeds):
            for driver in drivers:
                for fault in faults:
                    specs.append(RunSpec(suite, name, driver, seed, str(out_dir), map_path=args.map_path,
                                         fault=fault, video=args.video, video_from_s=args.video_from,
                                         plot=not args.no_plots,
                                         model_path=args.model, max_s=args.max_s))
    return specs


def run(args) -> int:
    p = eval_params.load()
    workers = args.workers if args.workers is not None else p.workers
    out_dir = Path(args.out or Path("out") / "eval" / (args.suite or args.scenario))
    specs = build_specs(args, out_dir)
    t0 = time.perf_counter()
    results = run_all(specs, workers, progress=not args.quiet)
    wall_s = time.perf_counter() - t0
    request = {"command": command_line(args), "suite": args.suite, "scenario": args.scenario,
               "drivers": args.driver, "seed": args.seed, "seeds": args.seeds, "faults": args.faults}
    if any(spec.driver == "stack" for spec in specs):
        request["model_id"] = _stack_model_id(args.model)
    rep = report.build(results, p, request)
    if args.baseline:
        baseline = json.loads(Path(args.baseline).read_text())
        if (baseline["request"].get("seed"), baseline["request"].get("seeds")) != (args.seed, args.seeds):
            raise SystemExit(f"lcc-plus eval: --baseline {args.baseline} was run with other seeds")
        label = f"{Path(args.baseline).parent.name}/{Path(args.baseline).name}"
        rep = report.with_baseline(rep, baseline, label)
    json_path, md_path = report.write(rep, out_dir, {
        "wall_s": wall_s, "runs": len(specs), "workers": workers, "python": sys.version.split()[0],
        "host": platform.node(), "machine": platform.machine(),
        "sim_s": sum(float(r.trace.t_s[-1]) for r in results)})
    print(f"wrote {json_path} and {md_path} ({len(results)} runs, {wall_s:.1f} s wall)")
    _print_summary(rep)
    for e in rep["errors"]:
        print(f"  ERROR {e}", file=sys.stderr)
    return 1 if rep["errors"] else 0


def _print_summary(rep: dict) -> None:
    for driver, k in rep["overall"].items():
        if driver == "comparison":
            continue
        to = k["takeovers"]["total"]
        print(f"  {driver:7s} km={k['engaged_km']:.2f} takeovers={to['count']} "
              f"km/TO={report.kpi.format_bounded(to['km_per_takeover'], to['bound'], '{:.3f}')} "
              f"collisions(at fault)={k['collisions_at_fault']} departures={k['lane_departures_engaged']}")
    comp = rep["overall"].get("comparison") or {}
    for name, c in comp.items():
        print(f"  {name}: {report.ratio_text(c['total'])} (95 % interval in brackets)")
