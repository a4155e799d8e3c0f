"""planning/two_way.py: the place on an unmarked two-way road, state by state."""
import math

import pytest

from lcc_plus.common.types import Lead
from lcc_plus.planning.gap import oncoming_within_s
from lcc_plus.planning.params import ModeManagerParams
from lcc_plus.planning.two_way import TwoWayPlacement

P = ModeManagerParams.from_config()


def _lead(distance_m: float, relative_speed_mps: float, probability: float = 0.9) -> Lead:
    return Lead(distance_m=distance_m, relative_speed_mps=relative_speed_mps, lateral_offset_m=0.0,
                probability=probability)


@pytest.mark.parametrize("lead, ego_mps, expected_s", [
    (_lead(100.0, -20.0), 8.0, 100.0 / 20.0),             # 12 m/s towards us, we drive 8 m/s
    (_lead(100.0, -8.0), 8.0, math.inf),                  # parked on the oncoming side: not coming
    (_lead(100.0, 2.0), 8.0, math.inf),                   # same direction, pulling away
    (_lead(100.0, -20.0, probability=0.1), 8.0, math.inf),
    (_lead(math.nan, -20.0), 8.0, math.inf),
    (Lead(), 8.0, math.inf),
])
def test_oncoming_within_s(lead, ego_mps, expected_s):
    assert oncoming_within_s(lead, ego_mps, P) == pytest.approx(expected_s)


def test_starts_at_the_half_middle_and_moves_at_the_shift_rate():
    place = TwoWayPlacement(P)
    assert place.update(0.0, 0.0, 5.0, 8.0, Lead()) == pytest.approx(1.25)
    assert place.update(0.1, 0.1, 5.0, 8.0, Lead()) == pytest.approx(1.25 - 0.1 * P.two_way_shift_rate_mps)
    for i in range(20):
        offset = place.update(0.2 + 0.1 * i, 0.1, 5.0, 8.0, Lead())
    assert offset == pytest.approx(2.5 - 0.5 * P.vehicle_width_m - P.two_way_edge_clearance_m)


def test_oncoming_vehicle_sends_it_back_and_the_hold_keeps_it_there():
    place = TwoWayPlacement(P)
    for i in range(30):
        place.update(0.1 * i, 0.1, 5.0, 8.0, Lead())
    t = 3.0
    coming = _lead(60.0, -20.0)  # 5 s away
    for i in range(10):
        offset = place.update(t + 0.1 * i, 0.1, 5.0, 8.0, coming)
    assert offset == pytest.approx(1.25)
    last_seen = t + 0.9
    assert place.update(last_seen + P.two_way_oncoming_hold_s - 0.05, 0.1, 5.0, 8.0, Lead()) == pytest.approx(1.25)
    assert place.update(last_seen + P.two_way_oncoming_hold_s + 0.05, 0.1, 5.0, 8.0, Lead()) < 1.25


def test_far_oncoming_vehicle_changes_nothing_yet():
    place = TwoWayPlacement(P)
    for i in range(30):
        offset = place.update(0.1 * i, 0.1, 5.0, 8.0, _lead(190.0, -20.0))  # 15.8 s away
    assert offset < 1.1


@pytest.mark.parametrize("width_m, expected_m", [
    (4.5, 0.5 * P.vehicle_width_m),   # narrow: the body's side reaches the middle, not beyond
    (5.0, 1.075),
    (7.5, 7.5 / 4),                   # wide: the half-middle already leaves more than the clearance
])
def test_never_over_the_middle_nor_further_out_than_the_half_middle(width_m, expected_m):
    place = TwoWayPlacement(P)
    for i in range(50):
        offset = place.update(0.1 * i, 0.1, width_m, 8.0, Lead())
    assert offset == pytest.approx(expected_m)


def test_reset_forgets_place_and_hold():
    place = TwoWayPlacement(P)
    place.update(0.0, 0.1, 5.0, 8.0, _lead(30.0, -20.0))
    place.reset()
    assert place.offset_m is None
    for i in range(30):
        offset = place.update(0.1 + 0.1 * i, 0.1, 5.0, 8.0, Lead())
    assert offset < 1.1
