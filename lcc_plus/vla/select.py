"""`lcc-plus select`: choose between trained models by how they drive on validation seeds.

    lcc-plus select out/s7/vla.onnx out/s8/vla.onnx out/s9/vla.onnx --out out/select

Trainings of one config that differ only in `vla_train.seed` drove `small_roads` at 32x and 4.4x
`lcc` (docs/results/README.md, "How sure is 13x?"), with offline path errors 0.096 and 0.109 m:
only the closed loop tells them apart. Each candidate drives the stack on the validation seeds of
the `vla_select` section of config/vla_train.yaml, which lie between the evaluation seeds and the
training episodes. Any at-fault collision rules a candidate out; of the rest, the one with the
fewest takeovers per engaged km wins. The evaluation seeds are never driven here, so they stay
held out for the model that is shipped.

Writes, under --out: one `lcc-plus eval` report per candidate (`<model id>/report.json`) and
`selection.json` / `selection.md` (each candidate against the winner, with exact 95 % intervals).
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from lcc_plus.common import params
from lcc_plus.common.params import spec
from lcc_plus.evaluation import kpi, report
from lcc_plus.evaluation import params as eval_params
from lcc_plus.evaluation.runner import RunSpec, run_all
from lcc_plus.vla import datagen
from lcc_plus.vla.runtime import VlaModelError, VlaRuntime, model_id_of

REPO_DIR = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SelectParams:
    """Section `vla_select` of config/vla_train.yaml."""

    suite: str = spec("scenario suite the candidates drive")
    first_seed: int = spec("first validation seed: above the evaluation seeds of docs/results (0-53)", min=100)
    seeds: int = spec("validation seeds per scenario", min=1, max=1000)


def load_config(path: Path) -> tuple[SelectParams, datagen.DatagenParams]:
    path = Path(path)
    sp = params.from_dict(SelectParams, params.node_section(path, "vla_select"), f"{path} [vla_select]")
    dp = params.from_dict(datagen.DatagenParams, params.node_section(path, "vla_datagen"), f"{path} [vla_datagen]")
    if sp.first_seed + sp.seeds > dp.first_seed:
        raise ValueError(f"{path}: validation seeds {sp.first_seed}-{sp.first_seed + sp.seeds - 1} reach the "
                         f"training episodes (vla_datagen.first_seed {dp.first_seed})")
    return sp, dp


@dataclass(frozen=True)
class Candidate:
    path: Path
    model_id: str


def check_candidates(paths: list[Path]) -> list[Candidate]:
    """Load every model once (signature, metadata) so a bad file fails before any driving."""
    out = []
    for path in paths:
        VlaRuntime(path, threads=1)
        out.append(Candidate(path, model_id_of(path)))
    ids = [c.model_id for c in out]
    if len(set(ids)) != len(ids):
        raise VlaModelError(f"the same model was given twice: {', '.join(ids)}")
    return out


def choose(tables: dict[str, dict]) -> str | None:
    """The model id with the fewest takeovers per engaged km among those without an at-fault
    collision (ties: more engaged km); None when every candidate collided."""
    clean = {mid: t for mid, t in tables.items() if t["collisions_at_fault"] == 0 and t["engaged_km"] > 0.0}
    if not clean:
        return None
    return min(clean, key=lambda mid: (clean[mid]["takeovers"]["total"]["count"] / clean[mid]["engaged_km"],
                                       -clean[mid]["engaged_km"]))


def selection(tables: dict[str, dict], sp: SelectParams) -> dict:
    winner = choose(tables)
    rows = []
    for mid, t in tables.items():
        row = {"model_id": mid, "takeovers": t["takeovers"]["total"], "engaged_km": t["engaged_km"],
               "collisions_at_fault": t["collisions_at_fault"], "lane_departures_engaged": t["lane_departures_engaged"]}
        if winner is not None and mid != winner:
            row["winner_over_this"] = report.takeover_comparison(tables[winner], t, "total")
        rows.append(row)
    return report.json_ready({"params": asdict(sp), "winner": winner, "candidates": rows})


def markdown(sel: dict, command: str) -> str:
    p = sel["params"]
    lines = ["# Model selection on validation seeds", "", f"Command: `{command}`", "",
             f"Suite `{p['suite']}`, seeds {p['first_seed']}-{p['first_seed'] + p['seeds'] - 1}, stack driver. "
             "An at-fault collision rules a candidate out; of the rest the fewest takeovers per engaged km wins.",
             "", f"Winner: `{sel['winner']}`" if sel["winner"] else "No winner: every candidate collided.", "",
             f"| model | takeovers / engaged km | km per takeover | at-fault collisions | lane departures | "
             f"winner / this, km per takeover ({report.INTERVAL_NOTE}) |", "|---|---|---|---|---|---|"]
    for r in sel["candidates"]:
        versus = report.ratio_text(r["winner_over_this"]) if "winner_over_this" in r else ""
        to = r["takeovers"]
        lines.append(f"| `{r['model_id']}` | {to['count']} / {r['engaged_km']:.2f} | "
                     f"{kpi.format_bounded(to['km_per_takeover'], to['bound'], '{:.3f}')} | "
                     f"{r['collisions_at_fault']} | {r['lane_departures_engaged']} | {versus} |")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", nargs="+", type=Path, help="candidate ONNX models (two or more)")
    parser.add_argument("--config", type=Path, default=REPO_DIR / "config" / "vla_train.yaml",
                        help="training config with the vla_select section")
    parser.add_argument("--out", type=Path, required=True, help="folder for the reports and selection.md")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: config, 2)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    if len(args.models) < 2:
        raise SystemExit("lcc-plus select: give at least two candidate models")
    try:
        sp, _ = load_config(args.config)
        candidates = check_candidates(args.models)
    except (ValueError, VlaModelError) as err:
        raise SystemExit(f"lcc-plus select: {err}") from err
    from lcc_plus.sim import scenarios

    try:
        names = [sc.name for sc in scenarios.suite(sp.suite)]
    except ValueError as err:
        raise SystemExit(f"lcc-plus select: {err}") from err
    ep = eval_params.load()
    specs = [RunSpec(sp.suite, name, "stack", seed, str(args.out / c.model_id), plot=False, model_path=str(c.path))
             for c in candidates for name in names for seed in range(sp.first_seed, sp.first_seed + sp.seeds)]
    results = run_all(specs, args.workers or ep.workers, progress=not args.quiet)
    tables = {}
    for c in candidates:
        mine = [r for r, s in zip(results, specs) if s.model_path == str(c.path)]
        command = (f"lcc-plus eval --suite {sp.suite} --driver stack --seed {sp.first_seed} --seeds {sp.seeds} "
                   f"--model {c.path.name}")
        rep = report.build(mine, ep, {"command": command, "suite": sp.suite, "drivers": "stack",
                                      "seed": sp.first_seed, "seeds": sp.seeds, "model_id": c.model_id})
        report.write(rep, args.out / c.model_id, {"candidate": str(c.path)})
        if rep["errors"]:
            # A run that stopped early would flatter its candidate: no choice on partial drives.
            raise SystemExit(f"lcc-plus select: runs of {c.model_id} stopped on an error: {'; '.join(rep['errors'])}")
        tables[c.model_id] = rep["overall"]["stack"]
    sel = selection(tables, sp)
    command = "lcc-plus select " + " ".join(str(p) for p in args.models)
    (args.out / "selection.json").write_text(json.dumps(sel, indent=1) + "\n")
    (args.out / "selection.md").write_text(markdown(sel, command))
    winner = next((c for c in candidates if c.model_id == sel["winner"]), None)
    for r in sel["candidates"]:
        print(f"  {r['model_id']}: {r['takeovers']['count']} takeovers in {r['engaged_km']:.2f} km, "
              f"{r['collisions_at_fault']} at-fault collisions")
    if winner is None:
        print("no winner: every candidate had an at-fault collision")
        return 1
    print(f"winner: {winner.model_id} ({winner.path}); wrote {args.out / 'selection.md'}")
    return 0
