"""LaneEndTracker: a lane end counts only where it stays put on the road."""
from __future__ import annotations

import math

import pytest

from lcc_plus.planning.lane_end import LaneEndTracker
from lcc_plus.planning.params import ModeManagerParams

P = ModeManagerParams.from_config({"lane_end_confirm_m": 10.0})


def feed(ends_at_odo: list[tuple[float, float]]) -> list[tuple[float, int]]:
    """Outputs for (odometer, distance to the end) pairs, the end on the right."""
    tracker = LaneEndTracker(P)
    return [tracker.update(odo, (end, 1 if math.isfinite(end) else 0)) for odo, end in ends_at_odo]


def test_a_fixed_end_is_confirmed_after_the_confirm_distance():
    out = feed([(odo, 100.0 - odo) for odo in range(0, 21)])
    assert all(o == (math.inf, 0) for o in out[:10])
    assert all(o == (100.0 - odo, 1) for odo, o in enumerate(out) if odo >= 10)


def test_an_end_that_moves_with_the_car_never_counts():
    assert all(o == (math.inf, 0) for o in feed([(odo, 80.0) for odo in range(0, 60)]))


def test_a_noisy_but_fixed_end_counts():
    noise = [4.0, -4.0, 2.0, -3.0, 4.0]
    out = feed([(odo, 100.0 - odo + noise[odo % 5]) for odo in range(0, 30)])
    assert all(math.isfinite(o[0]) for o in out[12:])


def test_frames_without_the_end_do_not_restart_the_confirmation():
    out = feed([(odo, (100.0 - odo) if odo % 3 else math.inf) for odo in range(0, 30)])
    assert all(o == (math.inf, 0) for odo, o in enumerate(out) if odo % 3 == 0)
    assert all(math.isfinite(o[0]) for odo, o in enumerate(out) if odo % 3 and odo >= 11)


def test_a_confirmed_end_stays_confirmed_at_standstill():
    out = feed([(odo, 100.0 - odo) for odo in range(0, 15)] + [(14.0, 86.0)] * 20)
    assert out[-1] == (86.0, 1)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_no_end_is_no_end(bad):
    assert feed([(0.0, bad), (20.0, bad)])[-1] == (math.inf, 0)


def test_samples_do_not_pile_up_at_standstill_or_at_a_crawl():
    tracker = LaneEndTracker(P)
    for k in range(2000):
        tracker.update(min(0.05 * k, 20.0), (100.0 - min(0.05 * k, 20.0), 1))  # 1 m/s at 20 Hz, then stopped
    assert len(tracker._seen) <= 60  # about one per 0.5 m driven, none added while stopped
    assert tracker.update(20.0, (80.0, 1)) == (80.0, 1)
