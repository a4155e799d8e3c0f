"""Procedural lanelet2 maps, loading any lanelet2 map, lane-change rules from lanelet2."""
import math

import numpy as np
import pytest

from lcc_plus.common.types import Command, LineType, TakeoverDemand
from lcc_plus.sim import scenarios
from lcc_plus.sim.maps import MapSpec, RoadSpec, Section, Segment, generate_map, lane_point, uniform_section
from lcc_plus.sim.road import MapError, RoadNetwork
from lcc_plus.sim.scene import BoundaryKind
from lcc_plus.sim.world import World


def three_to_two(tmp_path):
    road = RoadSpec((Segment(100.0), Segment(100.0, 200.0), Segment(100.0)),
                    (uniform_section(200.0, 3, speed_limit_kph=120.0, edge="solid", divider="dashed"),
                     Section(100.0, (3.5, 3.5), (1, 1), ("road_border", "solid", "curbstone"), 80.0)))
    spec = MapSpec((road,), "t")
    return spec, RoadNetwork.load(generate_map(spec, tmp_path))


def test_generated_map_round_trips_with_lane_graph_and_rules(tmp_path):
    spec, net = three_to_two(tmp_path)
    assert len(net.lanes) == 5
    x, y, yaw = lane_point(spec.roads[0], 50.0, 1)
    pos = net.locate(x, y, yaw)
    middle = net.lanes[pos.lane_id]
    assert abs(pos.d_m) < 0.05 and middle.width_at(pos.s_m) == pytest.approx(3.5, abs=0.01)
    assert middle.left.kind == BoundaryKind.DASHED and net.may_change_lane(middle.id, 1)
    assert net.may_change_lane(middle.id, -1)
    assert middle.speed_limit_mps == pytest.approx(120 / 3.6)
    right = net.lanes[middle.right_id]
    assert right.right.kind == BoundaryKind.SOLID and not right.successors  # the lane ends
    assert net.lane_ends(right.id)
    nxt = net.lanes[middle.successors[0]]
    # After the section change the middle lane is the right one; its left line is
    # solid, so lanelet2 forbids the change, and its right edge is a curb.
    assert nxt.left.kind == BoundaryKind.SOLID and not net.may_change_lane(nxt.id, 1) and nxt.left_id is not None
    assert nxt.right.kind == BoundaryKind.CURBSTONE and nxt.right_id is None
    assert nxt.speed_limit_mps == pytest.approx(80 / 3.6)
    assert net.lanes[nxt.left_id].left.kind == BoundaryKind.ROAD_BORDER
    # Left-hand arc of the left edge: the middle lane centre, 5.25 m right of it, has R = 205.25 m.
    k = np.abs(middle.centre.curvature_at(np.array([130.0, 150.0])))
    assert np.allclose(1.0 / k, 200.0 + 5.25, rtol=0.02)


def test_generation_is_deterministic_and_cached(tmp_path):
    spec, _ = three_to_two(tmp_path / "a")
    a = generate_map(spec, tmp_path / "a")
    b = generate_map(spec, tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    assert generate_map(spec, tmp_path / "a") == a


def test_external_map_with_no_line_types(tmp_path):
    """A map written by someone else with untagged line strings: lines are UNKNOWN,
    lanelet2 allows no lane change over them, and the world drives it."""
    import lanelet2
    from lanelet2.core import AttributeMap, Lanelet, LaneletMap, LineString3d, Point3d
    from lanelet2.io import Origin
    from lanelet2.projection import UtmProjector

    ids = iter(range(1, 10_000))
    xs = np.linspace(0.0, 400.0, 81)

    def line(y):
        return LineString3d(next(ids), [Point3d(next(ids), float(x), float(y + 0.002 * x * x / 4), 0.0) for x in xs])
    left, mid, right = line(3.5), line(0.0), line(-3.5)
    m = LaneletMap()
    for lb, rb in ((left, mid), (mid, right)):
        m.add(Lanelet(next(ids), lb, rb, AttributeMap({"type": "lanelet", "subtype": "road"})))
    path = tmp_path / "external.osm"
    lanelet2.io.write(str(path), m, UtmProjector(Origin(49.0, 8.0)))
    net = RoadNetwork.load(path)
    assert len(net.lanes) == 2
    for lane in net.lanes.values():
        assert lane.left.kind == BoundaryKind.UNKNOWN and lane.right.kind == BoundaryKind.UNKNOWN
        assert not lane.left_change_ok and not lane.right_change_ok
    world = World(scenarios.from_map(str(path), duration_s=8.0), seed=3, render=False)
    gt = world.observe().gt
    assert gt.lane_lines[1].line_type == LineType.UNKNOWN and gt.lane_lines[2].line_type == LineType.UNKNOWN
    while not world.done:
        world.step(Command(), TakeoverDemand())
    arr = world.log.arrays()
    assert arr["distance_m"][-1] > 50.0
    assert np.all(arr["on_road"])
    assert not world.log.events_of("lane_departure")


def test_map_without_usable_lanes_gives_a_clear_error(tmp_path):
    empty = tmp_path / "nodes_only.osm"
    empty.write_text('<?xml version="1.0"?>\n<osm version="0.6" generator="test">\n'
                     '  <node id="1" visible="true" version="1" lat="49" lon="8" />\n'
                     '  <way id="2" visible="true" version="1"><nd ref="1" /><tag k="type" v="line_thin" /></way>\n'
                     '</osm>\n')
    with pytest.raises(MapError, match="no usable lanes"):
        RoadNetwork.load(empty)
    with pytest.raises(MapError, match="not found"):
        RoadNetwork.load(tmp_path / "missing.osm")
    garbage = tmp_path / "garbage.osm"
    garbage.write_text("this is not xml")
    with pytest.raises(MapError):
        RoadNetwork.load(garbage)


def test_catalog_maps_load_and_forks_have_two_successors():
    for name in ("fork_no_route", "intersection_straight", "highway_merge"):
        sc = scenarios.get(name)
        net = RoadNetwork.load(sc.map_path())
        assert net.lanes
    fork = RoadNetwork.load(scenarios.get("fork_no_route").map_path())
    split = [lane for lane in fork.lanes.values() if len(lane.successors) == 2]
    assert len(split) == 1
    turn = {i: fork.lanes[i].centre.heading_at(100.0) for i in split[0].successors}
    left, right = fork.default_successor(split[0].id, 1), fork.default_successor(split[0].id, -1)
    assert left != right and turn[left] > turn[right]
    assert math.isfinite(turn[left])


def test_lane_drop_tapers_and_counts_as_a_lane_end():
    net = RoadNetwork.load(scenarios.get("highway_lane_end").map_path())
    ending = [lane for lane in net.lanes.values() if net.lane_ends(lane.id)]
    assert len(ending) == 1
    lane = ending[0]
    assert lane.width_at(0.0) == pytest.approx(3.5, abs=0.05) and lane.width_at(lane.length) < 0.5
    assert lane.left_id is not None and net.lanes[lane.left_id].successors
