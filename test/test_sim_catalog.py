"""The catalog's shape: suites, sizes, descriptions, the requested road features."""
import math

import numpy as np
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


def test_varied_bends_keep_the_layout_scale_each_radius_and_mirror_only_single_roads():
    narrow = scenarios.get("narrow_curves")
    signs = set()
    for seed in range(8):
        varied = scenarios.with_varied_bends(narrow, np.random.default_rng(seed), 0.8, 1.3)
        (road,), (orig,) = varied.map_spec.roads, narrow.map_spec.roads
        assert road.sections == orig.sections and varied.agents == narrow.agents
        assert [s.length_m for s in road.segments] == [s.length_m for s in orig.segments]
        ratios = [s.radius_m / o.radius_m for s, o in zip(road.segments, orig.segments) if o.radius_m]
        assert all(0.8 <= abs(r) <= 1.3 for r in ratios) and len({np.sign(r) for r in ratios}) == 1
        assert len({round(abs(r), 6) for r in ratios}) == len(ratios)  # a factor per bend
        signs.add(np.sign(ratios[0]))
        net = RoadNetwork.load(varied.map_path())
        assert len(net.lanes) == len(RoadNetwork.load(narrow.map_path()).lanes)
    assert signs == {-1.0, 1.0}
    fork = next(sc for sc in scenarios.suite("forks") if sc.map_spec.roads[0].branches)
    for seed in range(8):
        road = scenarios.with_varied_bends(fork, np.random.default_rng(seed), 0.8, 1.3).map_spec.roads[0]
        for branch, orig in zip(road.branches, fork.map_spec.roads[0].branches):
            assert all(s.radius_m * o.radius_m >= 0 for s, o in zip(branch.road.segments, orig.road.segments))
