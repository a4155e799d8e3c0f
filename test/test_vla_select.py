"""`lcc-plus select`: validation seeds apart from training, bad candidates refused, the choice rule."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lcc_plus.vla import select
from lcc_plus.vla.runtime import VlaModelError

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "lcc_plus" / "models" / "vla.onnx"


def _table(takeovers: int, km: float, collisions: int = 0) -> dict:
    bound = "exact" if takeovers else "lower"
    return {"takeovers": {"total": {"count": takeovers, "km_per_takeover": km / max(takeovers, 1), "bound": bound,
                                    "min_per_takeover": 1.0}},
            "engaged_km": km, "engaged_min": 60.0, "collisions_at_fault": collisions, "lane_departures_engaged": 0}


def test_the_committed_config_keeps_validation_seeds_off_the_training_episodes(tmp_path):
    sp, dp = select.load_config(REPO / "config" / "vla_train.yaml")
    assert sp.first_seed >= 100 and sp.first_seed + sp.seeds <= dp.first_seed
    text = (REPO / "config" / "vla_train.yaml").read_text().replace("first_seed: 1000\n", "first_seed: 99995\n")
    bad = tmp_path / "vla_train.yaml"
    bad.write_text(text)
    with pytest.raises(ValueError, match="reach the training episodes"):
        select.load_config(bad)


def test_a_missing_or_repeated_candidate_fails_before_any_driving(tmp_path):
    with pytest.raises(VlaModelError, match="file not found"):
        select.check_candidates([SHIPPED, tmp_path / "nope.onnx"])
    copy = tmp_path / "vla.onnx"
    shutil.copy(SHIPPED, copy)
    with pytest.raises(VlaModelError, match="given twice"):
        select.check_candidates([SHIPPED, copy])
    from lcc_plus.cli import main

    with pytest.raises(SystemExit, match="at least two"):
        main(["select", str(SHIPPED), "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit, match="file not found"):
        main(["select", str(SHIPPED), str(tmp_path / "nope.onnx"), "--out", str(tmp_path / "out")])


def test_a_collision_rules_a_candidate_out_and_the_fewest_takeovers_per_km_win():
    tables = {"a": _table(1, 11.0, collisions=1), "b": _table(4, 11.0), "c": _table(16, 10.7)}
    assert select.choose(tables) == "b"
    # Equal rates: the one that drove further engaged.
    assert select.choose({"a": _table(2, 10.0), "b": _table(4, 20.0)}) == "b"
    assert select.choose({"a": _table(0, 5.0), "b": _table(1, 20.0)}) == "a"
    assert select.choose({"a": _table(0, 5.0, collisions=1)}) is None


def test_selection_gives_each_loser_the_winners_ratio_with_its_interval():
    sp = select.SelectParams(suite="small_roads", first_seed=1000, seeds=9)
    sel = select.selection({"a": _table(4, 11.02), "b": _table(16, 10.70)}, sp)
    assert sel["winner"] == "a"
    rows = {r["model_id"]: r for r in sel["candidates"]}
    assert "winner_over_this" not in rows["a"]
    versus = rows["b"]["winner_over_this"]
    assert versus["value"] == pytest.approx((11.02 / 4) / (10.70 / 16), rel=1e-5)
    assert 1.0 < versus["interval"]["low"] < versus["value"] < versus["interval"]["high"]
    md = select.markdown(sel, "lcc-plus select a b")
    assert "Winner: `a`" in md and "| `b` | 16 / 10.70 | 0.669 | 0 | 0 | 4.12 [" in md
