"""The model card's closed-loop section comes from the evaluation reports that name the model."""
import argparse
import json
import shutil
from pathlib import Path

from lcc_plus.vla import model_card

REPO = Path(__file__).resolve().parents[1]


def _kpis(takeovers: int, km: float, bound: str = "exact") -> dict:
    return {"takeovers": {"total": {"bound": bound, "count": takeovers, "km_per_takeover": km / max(takeovers, 1)}},
            "engaged_km": km, "collisions_at_fault": 0, "lane_departures_engaged": 2,
            "lateral_error_marked": {"n": 100, "rms_m": 0.18}}


def _report(folder: Path, model_id: str, events: list[dict]) -> None:
    folder.mkdir(parents=True)
    report = {
        "request": {"model_id": model_id, "command": "lcc-plus eval --suite small_roads", "seed": 0, "seeds": 3},
        "overall": {"stack": _kpis(sum(e["kind"].startswith("takeover") for e in events), 1.5), "lcc": _kpis(10, 2.0),
                    "expert": _kpis(0, 3.0, "lower")},
        "runs": [{"driver": "stack", "events": events}, {"driver": "lcc", "events": events}],
    }
    (folder / "report.json").write_text(json.dumps(report))


def test_rows_only_for_reports_of_this_model_and_reasons_grouped(tmp_path):
    events = [{"kind": "takeover_driver", "detail": "leaving the road (-0.52 m to the edge)"},
              {"kind": "takeover_driver", "detail": "leaving the road (-1.10 m to the edge)"},
              {"kind": "takeover_system", "detail": "ttc 1.2 s, needs 5.1 m/s^2 braking"},
              {"kind": "lane_departure", "detail": "over the road edge by 0.02 m"}]
    _report(tmp_path / "small", "vla.onnx@aaaa0000", events)
    _report(tmp_path / "other", "vla.onnx@bbbb1111", events)
    lines = model_card.closed_loop_lines(tmp_path, "vla.onnx@aaaa0000", "results/")
    rows = [line for line in lines if line.startswith("| [")]
    assert len(rows) == 1 and "results/small/report.md" in rows[0] and "(seeds 0-2)" in rows[0]
    # 0.5 over 0.2 km per takeover: 2.5x, with its interval from 3 against 10 takeovers; the expert had none.
    assert "| 0.500 (3 in 1.50 km) | 0.200 | >= 3.000 | 2.50 [0.64, 14.14] | <= 0.17 [0.00, 1.21] | 0 | 2 | 0.180 m |" in rows[0]
    assert "- small: 2 x leaving the road, 1 x ttc # s, needs # m/s^2 braking." in lines


def test_card_of_a_model_nobody_evaluated_says_so(tmp_path):
    summary = json.loads((REPO / "lcc_plus" / "models" / "vla.json").read_text())
    out = tmp_path / "card.md"
    assert model_card.run(argparse.Namespace(summary=REPO / "lcc_plus" / "models" / "vla.json",
                                             results=tmp_path / "results", out=out)) == 0
    text = out.read_text()
    assert summary["model_id"] in text and "No evaluation report under results/" in text
    assert (tmp_path / "card_reliability.png").stat().st_size > 0


def test_the_committed_card_is_what_the_committed_reports_say(tmp_path):
    """docs/model_card.md must not drift from the reports: regenerate it and compare."""
    out = tmp_path / "docs" / "model_card.md"
    shutil.copytree(REPO / "docs" / "results", tmp_path / "docs" / "results",
                    ignore=shutil.ignore_patterns("*.png", "*.mp4"))
    model_card.run(argparse.Namespace(summary=REPO / "lcc_plus" / "models" / "vla.json",
                                      results=tmp_path / "docs" / "results", out=out))
    assert out.read_text() == (REPO / "docs" / "model_card.md").read_text()
