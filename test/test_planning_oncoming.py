"""planning/oncoming.py: an oncoming vehicle the perception lost is carried on, state by state."""
from pathlib import Path

import numpy as np
import pytest

from lcc_plus.common.types import Lead
from lcc_plus.planning.gap import oncoming_within_s
from lcc_plus.planning.oncoming import OncomingMemory
from lcc_plus.planning.params import ModeManagerParams

P = ModeManagerParams.from_config()
DT = 0.1


def _lead(distance_m: float, relative_speed_mps: float, probability: float = 0.9) -> Lead:
    return Lead(distance_m=distance_m, relative_speed_mps=relative_speed_mps, lateral_offset_m=0.0,
                probability=probability)


def test_a_seen_oncoming_vehicle_is_passed_through():
    memory = OncomingMemory(P)
    seen = _lead(60.0, -15.0)
    assert memory.update(0.0, DT, 5.0, seen) is seen


def test_a_lost_vehicle_moves_on_at_its_ground_speed_against_the_egos_speed_now():
    memory = OncomingMemory(P)
    memory.update(0.0, DT, 5.0, _lead(64.0, -15.0))  # 10 m/s over ground towards us
    lost = memory.update(0.1, DT, 5.0, Lead())
    assert lost.distance_m == pytest.approx(64.0 - 15.0 * DT)
    assert lost.relative_speed_mps == pytest.approx(-15.0)
    slower = memory.update(0.2, DT, 1.0, _lead(64.0, -15.0, probability=0.2))  # the ego slowed; a weak sighting
    assert slower.distance_m == pytest.approx(64.0 - 15.0 * DT - 11.0 * DT)
    assert slower.relative_speed_mps == pytest.approx(-11.0)


def test_it_is_forgotten_once_it_would_have_met_the_car():
    memory = OncomingMemory(P)
    memory.update(0.0, DT, 5.0, _lead(3.0, -15.0))
    assert memory.update(0.1, DT, 5.0, Lead()).distance_m == pytest.approx(1.5)
    assert memory.update(0.2, DT, 5.0, Lead()) == Lead()
    assert memory.update(0.3, DT, 5.0, Lead()) == Lead()


def test_it_is_forgotten_after_the_memory_time_however_far_it_was():
    memory = OncomingMemory(P)
    memory.update(0.0, DT, 0.0, _lead(150.0, -2.0))  # a slow far one (or a false detection)
    t = 0.0
    while t < P.oncoming_memory_s - DT:
        t += DT
        assert memory.update(t, DT, 0.0, Lead()).distance_m > 0.0
    assert memory.update(P.oncoming_memory_s + 0.05, DT, 0.0, Lead()) == Lead()


@pytest.mark.parametrize("lead", [
    _lead(40.0, -5.0),   # parked on the oncoming side while we drive 5 m/s
    _lead(40.0, 1.0),    # same direction, pulling away
    _lead(40.0, -15.0, probability=0.2),
])
def test_nothing_is_remembered_of_what_is_not_an_oncoming_vehicle(lead):
    memory = OncomingMemory(P)
    assert memory.update(0.0, DT, 5.0, lead) is lead
    assert memory.update(0.1, DT, 5.0, Lead()) == Lead()


def test_a_new_sighting_replaces_the_prediction():
    memory = OncomingMemory(P)
    memory.update(0.0, DT, 5.0, _lead(64.0, -15.0))
    memory.update(0.1, DT, 5.0, Lead())
    again = _lead(70.0, -14.0)
    assert memory.update(0.2, DT, 5.0, again) is again
    assert memory.update(0.3, DT, 5.0, Lead()).distance_m == pytest.approx(70.0 - 14.0 * DT)


def _watch(memory: OncomingMemory, ranges_m, reported_mps: float, ego_mps: float = 0.0, t0: float = 0.0) -> Lead:
    out = Lead()
    for k, r in enumerate(ranges_m):
        out = memory.update(t0 + k * DT, DT, ego_mps, _lead(r, reported_mps))
    return out


def test_a_sighting_that_does_not_come_closer_is_taken_at_the_speed_its_ranges_show():
    # unmarked_lane: a false detection stood at 63 m for 5 s, reported closing at 11 m/s.
    memory = OncomingMemory(P)
    n = int(round(P.oncoming_confirm_s / DT))
    early = _watch(memory, [63.0 + (-1) ** k * 3.0 for k in range(n)], -11.0)
    assert early.relative_speed_mps == -11.0, "until the window is full the report stands"
    later = _watch(memory, [63.0 + (-1) ** k * 3.0 for k in range(n, n + 5)], -11.0, t0=n * DT)
    assert abs(later.relative_speed_mps) < 2.0
    assert memory.update(n * DT + 0.6, DT, 0.0, Lead()) == Lead(), "nothing coming is remembered"


def test_a_car_that_comes_closer_as_reported_keeps_its_speed_through_range_noise():
    memory = OncomingMemory(P)
    n = int(round(2 * P.oncoming_confirm_s / DT))
    ranges = [90.0 - 10.0 * k * DT + (-1) ** k * 3.0 for k in range(n)]
    assert _watch(memory, ranges, -10.0).relative_speed_mps == -10.0


def test_the_next_car_further_away_starts_its_ranges_afresh():
    # The first car went by at 5 m; the next one is seen at 95 m: the ranges jumped up, which is
    # no vehicle driving away, and the new one is taken at its word until its own ranges say otherwise.
    memory = OncomingMemory(P)
    n = int(round(P.oncoming_confirm_s / DT))
    _watch(memory, [5.0 + 10.0 * DT * (n - k) for k in range(n)], -10.0)
    nxt = memory.update(n * DT, DT, 0.0, _lead(95.0, -10.0))
    assert nxt.relative_speed_mps == -10.0 and nxt.distance_m == 95.0


def test_one_short_range_does_not_start_a_false_detection_afresh():
    memory = OncomingMemory(P)
    n = int(round(P.oncoming_confirm_s / DT))
    ranges = [55.0] * n + [44.0, 55.5]  # unmarked_lane s4: one range 11 m short, then back
    assert abs(_watch(memory, ranges, -10.6).relative_speed_mps) < 2.0


def test_a_car_whose_ranges_showed_it_closing_is_carried_on_while_they_stall():
    # unmarked_lane s2: ranges shrank as reported from 157 m to 72 m, then read 72-75 m for 2 s
    # while the car closed some 25 m; taken at their speed it stopped counting and the pass began.
    memory = OncomingMemory(P)
    n = int(round(2 * P.oncoming_confirm_s / DT))
    closing = _watch(memory, [150.0 - 12.0 * k * DT for k in range(n)], -12.0)
    assert closing.relative_speed_mps == -12.0
    held = closing
    for k in range(n):
        held = memory.update((n + k) * DT, DT, 0.0, _lead(closing.distance_m + (-1) ** k * 1.0, -12.0))
        assert held.relative_speed_mps == pytest.approx(-12.0, abs=0.2), k
        assert held.distance_m <= closing.distance_m + 1.0
    assert held.distance_m == pytest.approx(closing.distance_m - 12.0 * DT * n, abs=12.0 * P.oncoming_confirm_s)


def test_a_stalled_car_is_at_last_taken_at_the_speed_its_ranges_show():
    # It would have met the car by now: whatever stands there, its ranges say it is not closing.
    memory = OncomingMemory(P)
    n = int(round(2 * P.oncoming_confirm_s / DT))
    closing = _watch(memory, [120.0 - 12.0 * k * DT for k in range(n)], -12.0)
    t, out = n * DT, closing
    while abs(out.relative_speed_mps) > 2.0 and t < 30.0:
        out = memory.update(t, DT, 0.0, _lead(closing.distance_m, -12.0))
        t += DT
    # Noticed within a window, carried on until it would have met the car, then a window afresh.
    assert t - n * DT < closing.distance_m / 12.0 + 2 * P.oncoming_confirm_s
    assert memory.update(t, DT, 0.0, Lead()) == Lead(), "nothing coming is remembered"


def test_ranges_reaching_beyond_100_m_never_overrule_a_report_of_closing():
    # unmarked_lane: a real car's first ranges read 170-176 m while it closed from 188 m to 168 m.
    memory = OncomingMemory(P)
    n = int(round(2 * P.oncoming_confirm_s / DT))
    out = _watch(memory, [172.0 + (-1) ** k * 3.0 for k in range(n)], -19.0, ego_mps=9.0)
    assert out.relative_speed_mps == -19.0


DRIVES = Path(__file__).parent / "data" / "oncoming"


def _drive(name: str):
    """A logged drive (see the file's first line) and the lead a pass was judged by, cycle by cycle."""
    rows = np.genfromtxt(DRIVES / name, delimiter=",", names=True, skip_header=1)
    memory, judged, last_t = OncomingMemory(P), [], None
    for row in rows:
        dt = 0.05 if last_t is None else row["t_s"] - last_t
        last_t = row["t_s"]
        seen = Lead(distance_m=row["distance_m"], relative_speed_mps=row["relative_speed_mps"],
                    lateral_offset_m=0.0, probability=row["probability"])
        judged.append(memory.update(row["t_s"], dt, row["ego_speed_mps"], seen))
    return rows, judged


def _shuts_the_passing_side(lead: Lead, ego_speed_mps: float) -> bool:
    return oncoming_within_s(lead, ego_speed_mps, P) < P.oncoming_time_min_s


@pytest.mark.parametrize("name", ["unmarked_lane_s43.csv", "unmarked_lane_s11.csv"])
def test_a_real_oncoming_car_the_model_reports_keeps_the_passing_side_shut(name):
    # s43: at first sight (150-190 m) its ranges stood still and it was taken as not closing 8-10 s
    # before it met the car; s11: at 78 m, its ranges stalled after a dropout and the same followed.
    rows, judged = _drive(name)
    v = rows["ego_speed_mps"]
    truly_meets_s = np.where(np.isfinite(rows["true_distance_m"]),
                             rows["true_distance_m"] / np.maximum(-rows["true_relative_speed_mps"], 1e-3), np.inf)
    reported = rows["probability"] >= P.lead_probability_min
    coming = np.flatnonzero(reported & (truly_meets_s < P.oncoming_time_min_s))
    assert len(coming) > 100
    let_through = [round(float(rows["t_s"][k]), 2) for k in coming if not _shuts_the_passing_side(judged[k], v[k])]
    assert let_through == []


def test_a_false_detection_about_the_threshold_is_told_by_its_ranges_through_its_dropouts():
    # s43: after the car went by at 30.2 s, a false one stood at 59-62 m "closing at 10 m/s" with a
    # probability of 0.3-0.66. Its ranges, missing every other frame, never told anything; taken at
    # its word it held the car until the takeover request at 37.8 s.
    rows, judged = _drive("unmarked_lane_s43.csv")
    assert np.isnan(rows["true_distance_m"][rows["t_s"] > 30.45]).all()
    late = np.flatnonzero(rows["t_s"] >= 35.5)
    assert not any(_shuts_the_passing_side(judged[k], rows["ego_speed_mps"][k]) for k in late)
