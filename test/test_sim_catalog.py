"""The catalog's shape: suites, sizes, descriptions, the requested road features."""
import math

import pytest

from lcc_plus.sim import scenarios
from lcc_plus.sim.road import RoadNetwork


def test_catalog_has_at_least_15_scenarios_in_named_suites():
    cat = scenarios.catalog()
    assert len(cat) >= 15
    assert {sc.suite for sc in cat.values()} == set(scenarios.SUITES)
    for name in scenarios.SUITES:
        assert scenarios.suite(name)
    assert len(scenarios.suite("all")) == len(cat)
    with pytest.raises(ValueError, match="unknown suite"):
        scenarios.suite("moon")
    with pytest.raises(ValueError, match="unknown scenario"):
        scenarios.get("moon")
    for sc in cat.values():
        assert len(sc.description) > 60 and sc.expected_events


def test_small_roads_are_narrow_single_lane_with_tight_curves_and_no_centre_line():
    tight = False
    for sc in scenarios.suite("small_roads"):
        net = RoadNetwork.load(sc.map_path())
        for lane in net.lanes.values():
            assert not lane.one_way and lane.left_id is None and lane.opposite_id is None
            assert lane.width_at(0.0) <= 5.5 + 1e-3
        radius = min(1.0 / max(abs(lane.centre.curvature_at(lane.centre.s)).max(), 1e-9)
                     for lane in net.lanes.values())
        tight |= radius <= 50.0
        assert any(a.oncoming for a in sc.agents)
    assert tight
    assert any(a.kind == "parked" for sc in scenarios.suite("small_roads") for a in sc.agents)


def test_highway_has_three_or_four_lanes():
    for sc in scenarios.suite("highway"):
        net = RoadNetwork.load(sc.map_path())
        widest = 0
        for lane in net.lanes.values():
            n, cur = 1, lane
            while cur.left_id is not None:
                n, cur = n + 1, net.lanes[cur.left_id]
            widest = max(widest, n)
        assert widest in (3, 4), sc.name
        assert math.isclose(max(lane.speed_limit_mps for lane in net.lanes.values()), 120 / 3.6)
