"""Scenario catalog: seeded, deterministic driving situations grouped into suites.

Each `Scenario` names its map (a procedural `MapSpec` or an external .osm), where
the ego starts, the traffic and scripted events, the driver's script, and says in
`description` what a competent human driver would do. `expected_events` lists
what must happen in every run ("kind:phase" from the world log's scripted events,
or a map feature such as "fork:done"); `event_happened(name, world)` checks one.

Suites: small_roads, urban, highway, forks, hazards (see SUITES).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lcc_plus.sim.driver import DriverScript
from lcc_plus.sim.maps import (
    Branch,
    MapSpec,
    RoadSpec,
    Section,
    Segment,
    branch_start,
    generate_map,
    lane_point,
    narrow_section,
    two_way_section,
    uniform_section,
)
from lcc_plus.sim.road import RoadNetwork
from lcc_plus.sim.scene import BoundaryKind
from lcc_plus.sim.traffic import Script, Traffic

KPH = 1.0 / 3.6
CAR_COLORS = ((40, 80, 160), (170, 170, 175), (30, 30, 30), (200, 200, 205), (120, 20, 20), (20, 90, 40))


@dataclass(frozen=True)
class AgentSpec:
    """One road user, placed on road `road` (index into the map's roads; -1-k for the
    k-th branch of road 0) at `station_m` along it, in lane `lane` (from the left)."""

    station_m: float
    lane: int
    kind: str = "car"              # car | truck | parked | stopped | obstacle
    speed_kph: float = 0.0
    desired_kph: float | None = None
    lateral_m: float | None = None  # offset from the lane centre (+ left); None: keep right on two-way
    oncoming: bool = False
    road: int = 0
    script: Script = field(default_factory=Script)

    def size(self) -> tuple[float, float]:
        return {"truck": (12.0, 2.5), "obstacle": (6.0, 1.6)}.get(self.kind, (4.5, 1.8))


@dataclass(frozen=True)
class Scenario:
    name: str
    suite: str
    description: str
    map_spec: MapSpec | None
    ego_station_m: float
    ego_lane: int
    ego_speed_kph: float
    duration_s: float
    agents: tuple[AgentSpec, ...] = ()
    driver_script: DriverScript = field(default_factory=DriverScript)
    expected_events: tuple[str, ...] = ()
    fork_preference: int = 0       # ForkPreference value
    appearance: dict = field(default_factory=dict)
    map_file: str | None = None
    speed_jitter: float = 0.05     # agents' speeds vary by this fraction with the seed

    def map_path(self) -> Path:
        if self.map_file is not None:
            return Path(self.map_file)
        return generate_map(self.map_spec)

    def _road(self, index: int) -> tuple[RoadSpec, tuple[float, float, float]]:
        main = self.map_spec.roads[max(index, 0)]
        if index >= 0:
            return main, main.start_xy_yaw
        br: Branch = main.branches[-1 - index]
        return br.road, branch_start(main, main.start_xy_yaw, br)

    def ego_start(self, net: RoadNetwork) -> tuple[float, float, float, float]:
        """(x, y, yaw, speed) of the ego's rear axle."""
        v = self.ego_speed_kph * KPH
        if self.map_spec is None:
            return start_on_longest_lane(net, v)
        road, start = self._road(0)
        x, y, yaw = lane_point(road, self.ego_station_m, self.ego_lane, 0.0, start)
        lane_pos = net.locate(x, y, yaw)
        if lane_pos is not None and not net.lanes[lane_pos.lane_id].one_way:
            lane = net.lanes[lane_pos.lane_id]
            left, right = lane.offsets_at(lane_pos.s_m)
            shift = float(lane.driving_offset_at(lane_pos.s_m, 1.85)) - 0.5 * float(left + right)
            x, y, yaw = lane_point(road, self.ego_station_m, self.ego_lane, shift, start)
        return x, y, yaw, v

    def populate(self, traffic: Traffic, net: RoadNetwork, rng: np.random.Generator) -> None:
        for i, a in enumerate(self.agents):
            road, start = self._road(a.road)
            x, y, yaw = lane_point(road, a.station_m, a.lane, a.lateral_m or 0.0, start)
            if a.oncoming:
                yaw += math.pi
            jitter = 1.0 + self.speed_jitter * float(rng.uniform(-1.0, 1.0))
            speed = a.speed_kph * KPH * jitter
            desired = (a.desired_kph if a.desired_kph is not None else a.speed_kph) * KPH * jitter
            length, width = a.size()
            color = (230, 120, 20) if a.kind == "obstacle" else CAR_COLORS[i % len(CAR_COLORS)]
            d = a.lateral_m if a.kind in ("parked", "stopped", "obstacle") else None
            if d is not None and a.oncoming:
                d = -d
            traffic.spawn(x, y, yaw, kind=a.kind, speed_mps=speed, desired_speed_mps=desired, d_m=d,
                          length_m=length, width_m=width, color_rgb=color, script=a.script, oncoming=a.oncoming)


def with_varied_bends(scenario: Scenario, rng: np.random.Generator, radius_scale_min: float,
                      radius_scale_max: float) -> Scenario:
    """`scenario` on a road of the same layout (sections, stations, traffic) whose every bend has its
    radius scaled by its own factor drawn from [radius_scale_min, radius_scale_max], and, half of the
    time, mirrored (left bends turn right). Training data drawn on the catalog's fixed maps lets a
    network learn the place instead of reading the road (docs/results/README.md, "Why right offline
    and wrong in closed loop"). Maps with more than one road or with branches are not mirrored: a
    mirrored parent would turn into its own branches."""
    if scenario.map_spec is None:
        return scenario
    simple = len(scenario.map_spec.roads) == 1 and not scenario.map_spec.roads[0].branches
    sign = -1.0 if simple and rng.uniform() < 0.5 else 1.0

    def bend(seg: Segment) -> Segment:
        if seg.radius_m == 0.0:
            return seg
        return Segment(seg.length_m, sign * seg.radius_m * float(rng.uniform(radius_scale_min, radius_scale_max)))

    def road(spec: RoadSpec) -> RoadSpec:
        return dataclasses.replace(spec, segments=tuple(bend(seg) for seg in spec.segments),
                                   branches=tuple(dataclasses.replace(b, road=road(b.road)) for b in spec.branches))

    roads = tuple(road(r) for r in scenario.map_spec.roads)
    return dataclasses.replace(scenario, map_spec=dataclasses.replace(scenario.map_spec, roads=roads))


def start_on_longest_lane(net: RoadNetwork, speed_mps: float) -> tuple[float, float, float, float]:
    """Ego start for an external map: the start of the lane with the longest chain ahead."""
    def reach(lane_id: int) -> float:
        return sum(net.lanes[i].length for i in net.lane_chain(lane_id, 5000.0))
    starts = [i for i in sorted(net.lanes) if not net.lanes[i].predecessors] or sorted(net.lanes)
    best = max(starts, key=lambda i: (reach(i), -i))
    lane = net.lanes[best]
    s = min(5.0, 0.25 * lane.length)
    left, right = lane.offsets_at(s)
    d = float(lane.driving_offset_at(s, 1.85))
    x, y = lane.centre.xy_at(s, d)
    return float(x), float(y), float(lane.centre.heading_at(s)), speed_mps


def from_map(path: str, duration_s: float = 60.0, speed_kph: float = 30.0) -> Scenario:
    """A scenario on any lanelet2 map: no traffic, the ego on the longest lane chain."""
    return Scenario(f"map:{Path(path).stem}", "external", "Drive the road ahead, keep the lane, follow "
                    "the speed limit and slow for curves.", None, 0.0, 0, speed_kph, duration_s,
                    map_file=str(path))


# --- event checks ---------------------------------------------------------------------------

def event_happened(name: str, world) -> bool:
    """Did the expected event `name` happen in this (finished) run?"""
    kind, _, phase = name.partition(":")
    scripted = {":".join(e.detail.split(":")[:2]) for e in world.log.events_of("scripted")}
    if name in scripted:
        return True
    lanes = [i for i in dict.fromkeys(world.log.arrays().get("lane_id", np.zeros(0)).tolist()) if i >= 0]
    net = world.net
    if kind == "fork":
        return any(len(net.lanes[a].successors) >= 2 and b in net.lanes[a].successors
                   for a, b in zip(lanes, lanes[1:]))
    if kind == "split":
        # Our lane and its neighbour go on into roads that no longer touch.
        for a, b in zip(lanes, lanes[1:]):
            lane = net.lanes[a]
            if b not in lane.successors:
                continue
            for nb in (lane.left_id, lane.right_id):
                others = net.lanes[nb].successors if nb is not None else []
                if others and all(o not in (net.lanes[b].left_id, net.lanes[b].right_id) for o in others):
                    return True
        return False
    if kind == "intersection":
        return any(net.lanes[i].left.kind == BoundaryKind.VIRTUAL and net.lanes[i].right.kind == BoundaryKind.VIRTUAL
                   for i in lanes)
    if kind == "lane_end":
        # We drove in a lane that ends within 500 m and finished in one that goes on.
        ending = [i for i in lanes if any(net.lane_ends(j) for j in net.lane_chain(i, 500.0))]
        done = [c for c in world.log.lane_changes if c.outcome == "completed"]
        return bool(ending) and bool(done) and lanes[-1] not in ending and not net.lane_ends(lanes[-1])
    if kind == "faded":
        return any(b.wear >= 0.5 or b.kind in (BoundaryKind.VIRTUAL, BoundaryKind.UNKNOWN)
                   for i in lanes for b in (net.lanes[i].left, net.lanes[i].right))
    if kind == "curve":
        return any(np.max(np.abs(net.lanes[i].centre.curvature_at(net.lanes[i].centre.s))) > 1.0 / 100.0
                   for i in lanes)
    return False


# --- the catalog ------------------------------------------------------------------------------

def _road(segments: list[Segment], sections: list[Section], **kw) -> RoadSpec:
    return RoadSpec(tuple(segments), tuple(sections), **kw)


def _sections_over(segments: list[Segment], make) -> list[Section]:
    return [make(seg.length_m) for seg in segments]


def _narrow(name: str, segments: list[Segment], *, width: float = 5.0, edge: str = "road_border",
            speed: float = 60.0, location: str = "nonurban", lines: str | None = None) -> MapSpec:
    def make(length: float) -> Section:
        sec = narrow_section(length, width_m=width, speed_limit_kph=speed, edge=edge, location=location)
        if lines is not None:
            sec = Section(sec.length_m, sec.lane_widths_m, sec.directions, (lines, lines), sec.speed_limit_kph,
                          sec.location, sec.left_offset_m)
        return sec
    return MapSpec((_road(segments, _sections_over(segments, make)),), name)


def _total(segments: list[Segment]) -> float:
    return sum(s.length_m for s in segments)


def small_roads() -> list[Scenario]:
    curvy = [Segment(80), Segment(70, 45), Segment(40), Segment(80, -40), Segment(60), Segment(60, 50),
             Segment(250)]
    village = [Segment(100), Segment(80, 200), Segment(150), Segment(60, -150), Segment(300)]
    hairpin = [Segment(60), Segment(60, 30), Segment(30), Segment(70, -30), Segment(40), Segment(50, 35),
               Segment(300)]
    unmarked = [Segment(60), Segment(60, 50), Segment(80), Segment(60, -50), Segment(300)]
    parked = -1.4  # right edge of a 5 m lanelet for a 1.8 m car, 0.2 m from the edge
    return [
        Scenario("narrow_curves", "small_roads",
                 "Single narrow two-way lane with no centre line and bends down to R=40 m. Keep right of the "
                 "middle, slow to about 35 km/h in the tight bends, and stay right when the oncoming cars pass.",
                 _narrow("narrow_curves", curvy), 10.0, 0, 40.0, 45.0,
                 (AgentSpec(300.0, 0, speed_kph=40.0, oncoming=True),
                  AgentSpec(560.0, 0, speed_kph=45.0, oncoming=True)),
                 expected_events=("oncoming:done",)),
        Scenario("parked_village", "small_roads",
                 "Village street 5.5 m wide between curbs, cars parked on the right. Pass each parked car by "
                 "moving towards the middle when no one comes the other way; wait behind it while the oncoming "
                 "car passes, then go.",
                 _narrow("parked_village", village, width=5.5, edge="curbstone", speed=40.0, location="urban"),
                 10.0, 0, 35.0, 60.0,
                 (AgentSpec(130.0, 0, "parked", lateral_m=-1.55), AgentSpec(150.0, 0, "parked", lateral_m=-1.55),
                  AgentSpec(345.0, 0, "parked", lateral_m=-1.55),
                  AgentSpec(420.0, 0, speed_kph=30.0, oncoming=True)),
                 expected_events=("parked:done", "oncoming:done")),
        Scenario("hairpins_slow_tractor", "small_roads",
                 "Narrow mountain road with R=30 m hairpins and a slow farm vehicle ahead. Slow for the bends "
                 "(about 28 km/h), close up to the slow vehicle and follow it at a safe gap: there is no room "
                 "to overtake.",
                 _narrow("hairpins", hairpin, width=5.0, speed=70.0), 10.0, 0, 40.0, 50.0,
                 (AgentSpec(160.0, 0, speed_kph=25.0, script=Script("slow")),
                  AgentSpec(330.0, 0, speed_kph=35.0, oncoming=True)),
                 expected_events=("slow:triggered", "oncoming:done")),
        Scenario("unmarked_lane", "small_roads",
                 "A map that gives no line types at all (unknown lines) for a narrow two-way road with R=50 m "
                 "bends, one parked car and oncoming traffic. Drive by the road's shape, keep right, pass the "
                 "parked car when the way is clear.",
                 _narrow("unmarked", unmarked, lines="none", speed=50.0), 10.0, 0, 35.0, 50.0,
                 (AgentSpec(230.0, 0, "parked", lateral_m=parked),
                  AgentSpec(480.0, 0, speed_kph=35.0, oncoming=True)),
                 expected_events=("parked:done", "oncoming:done")),
    ]


def urban() -> list[Scenario]:
    city = [Segment(200), Segment(80, 150), Segment(200), Segment(60, -120), Segment(300)]

    def two_lanes(length: float) -> Section:
        return uniform_section(length, 2, width_m=3.25, speed_limit_kph=50.0, location="urban", edge="solid")

    def two_way(length: float) -> Section:
        return two_way_section(length, speed_limit_kph=50.0)
    dual = MapSpec((_road(city, _sections_over(city, two_lanes)),), "urban_dual")
    single = MapSpec((_road(city, _sections_over(city, two_way)),), "urban_two_way")
    return [
        Scenario("urban_slow_lead", "urban",
                 "City road with two lanes in our direction and a slow car ahead in ours. Close up, then "
                 "overtake on the left when the left lane is clear (the driver asks with the lever) and "
                 "return to the right lane.",
                 dual, 10.0, 1, 45.0, 60.0,
                 (AgentSpec(90.0, 1, speed_kph=25.0, desired_kph=25.0, script=Script("slow")),
                  AgentSpec(40.0, 0, speed_kph=45.0), AgentSpec(260.0, 0, speed_kph=40.0)),
                 DriverScript(overtake_requests=True), expected_events=("slow:triggered",)),
        Scenario("urban_two_way_slow_lead", "urban",
                 "One lane each way with a dashed centre line, a slow car ahead and a stream of oncoming cars. "
                 "Follow the slow car at a safe gap; do not pull out into the oncoming lane.",
                 single, 10.0, 1, 40.0, 50.0,
                 (AgentSpec(80.0, 1, speed_kph=20.0, script=Script("slow")),
                  AgentSpec(250.0, 0, speed_kph=45.0, oncoming=True),
                  AgentSpec(420.0, 0, speed_kph=45.0, oncoming=True),
                  AgentSpec(620.0, 0, speed_kph=45.0, oncoming=True)),
                 expected_events=("slow:triggered", "oncoming:done")),
        Scenario("urban_hard_brake", "urban",
                 "City road; the car ahead brakes hard to a stop (a pedestrian steps out in front of it). "
                 "Keep a 1.5 s gap so an ordinary firm stop suffices, then drive on when it moves again.",
                 dual, 10.0, 1, 45.0, 40.0,
                 (AgentSpec(45.0, 1, speed_kph=45.0, desired_kph=45.0,
                            script=Script("hard_brake", trigger_gap_m=40.0, decel_mps2=6.0, target_speed_mps=0.0)),
                  ),
                 expected_events=("hard_brake:done",)),
    ]


def highway() -> list[Scenario]:
    straightish = [Segment(400), Segment(300, 1500), Segment(400), Segment(300, -2000), Segment(600)]

    def three(length: float) -> Section:
        return uniform_section(length, 3, speed_limit_kph=120.0, edge="solid")

    def four(length: float) -> Section:
        return uniform_section(length, 4, speed_limit_kph=120.0, edge="solid")
    hw3 = MapSpec((_road(straightish, _sections_over(straightish, three)),), "highway3")
    hw4 = MapSpec((_road(straightish, _sections_over(straightish, four)),), "highway4")
    lane_end_segments = [Segment(700), Segment(150, 2000), Segment(150, 2000), Segment(800)]
    taper = dataclasses.replace(uniform_section(150, 3, speed_limit_kph=120.0, edge="solid"),
                                end_lane_widths_m=(3.5, 3.5, 0.2))
    lane_end = MapSpec((_road(lane_end_segments, [
        uniform_section(700, 3, speed_limit_kph=120.0, edge="solid"),
        uniform_section(150, 3, speed_limit_kph=120.0, edge="solid"), taper,
        uniform_section(800, 2, speed_limit_kph=120.0, edge="solid")]),), "highway_lane_end")
    ramp = Section(250, (3.5, 3.5, 3.5, 3.5), (1, 1, 1, 1), ("solid", "dashed", "dashed", "dashed", "solid"),
                   120.0, "nonurban")
    ramp_taper = dataclasses.replace(ramp, length_m=100, end_lane_widths_m=(3.5, 3.5, 3.5, 0.2))
    merge_segments = [Segment(300), Segment(250), Segment(100), Segment(900)]
    merge = MapSpec((_road(merge_segments, [uniform_section(300, 3, speed_limit_kph=120.0, edge="solid"), ramp,
                                            ramp_taper,
                                            uniform_section(900, 3, speed_limit_kph=120.0, edge="solid")]),),
                    "highway_merge")
    return [
        Scenario("highway_slow_truck", "highway",
                 "Three-lane motorway, a truck at 80 km/h ahead in our (right) lane. Move to the middle lane "
                 "when it is clear (driver lever), pass, and move back right.",
                 hw3, 20.0, 2, 110.0, 60.0,
                 (AgentSpec(200.0, 2, "truck", speed_kph=80.0, script=Script("slow")),
                  AgentSpec(60.0, 1, speed_kph=120.0), AgentSpec(400.0, 0, speed_kph=130.0)),
                 DriverScript(overtake_requests=True), expected_events=("slow:triggered",)),
        Scenario("highway_cut_in", "highway",
                 "Four-lane motorway; a car in the left lane cuts in 20 m ahead of us. Ease off and rebuild "
                 "the gap without harsh braking.",
                 hw4, 20.0, 2, 110.0, 40.0,
                 (AgentSpec(80.0, 1, speed_kph=95.0,
                            script=Script("cut_in", trigger_gap_m=22.0, duration_s=3.0, direction=-1)),
                  AgentSpec(300.0, 3, speed_kph=100.0)),
                 expected_events=("cut_in:done",)),
        Scenario("highway_lane_end", "highway",
                 "Three lanes become two: our right lane ends after 1 km. Change left in good time into a gap "
                 "and carry on.",
                 lane_end, 20.0, 2, 100.0, 60.0,
                 (AgentSpec(120.0, 1, speed_kph=110.0), AgentSpec(500.0, 0, speed_kph=125.0)),
                 expected_events=("lane_end:done",)),
        Scenario("highway_merge", "highway",
                 "A car merges from the on-ramp on our right into our lane. Let it in: hold or reduce speed "
                 "so it finds a gap in front of us.",
                 merge, 200.0, 2, 100.0, 50.0,
                 (AgentSpec(360.0, 3, speed_kph=80.0, desired_kph=100.0, script=Script("merge")),),
                 expected_events=("merge:done",)),
        Scenario("inattentive_driver", "highway",
                 "Light motorway traffic; the driver takes the hands off the wheel and looks away for 25 s. "
                 "The system should keep the lane, warn (UN R79: optical within 15 s, acoustic within 30 s) and "
                 "ask for a takeover if the driver does not respond; the driver answers once attentive again.",
                 hw3, 20.0, 1, 110.0, 50.0,
                 (AgentSpec(150.0, 1, speed_kph=115.0), AgentSpec(60.0, 0, speed_kph=125.0)),
                 DriverScript(inattentive=((3.0, 28.0),)), expected_events=("inattentive:done",)),
        Scenario("highway_hard_brake", "highway",
                 "Motorway traffic jam ahead: the lead car brakes hard from 100 to 30 km/h. Brake firmly, "
                 "keep a safe gap, follow at the new speed.",
                 hw3, 20.0, 1, 100.0, 40.0,
                 (AgentSpec(110.0, 1, speed_kph=100.0,
                            script=Script("hard_brake", trigger_gap_m=75.0, decel_mps2=6.0,
                                          target_speed_mps=30.0 * KPH)),),
                 expected_events=("hard_brake:done",)),
    ]


def forks() -> list[Scenario]:
    lane = uniform_section(300, 1, width_m=3.5, speed_limit_kph=70.0, edge="solid")

    def branch(radius_m: float, curve_m: float, straight_m: float, speed_kph: float) -> RoadSpec:
        """A one-lane road: an arc, then a straight."""
        segments = [Segment(curve_m, radius_m), Segment(straight_m)]
        return _road(segments, [uniform_section(seg.length_m, 1, speed_limit_kph=speed_kph, edge="solid")
                                for seg in segments])
    left_branch, right_branch = branch(180, 250, 300, 70.0), branch(-180, 250, 300, 70.0)
    y_split = MapSpec((_road([Segment(300)], [lane], branches=(Branch(left_branch, 0), Branch(right_branch, 0))),),
                      "y_split")
    two = uniform_section(400, 2, speed_limit_kph=100.0, edge="solid")
    exit_left, exit_right = branch(600, 200, 400, 100.0), branch(-400, 200, 400, 80.0)
    split = MapSpec((_road([Segment(400)], [two], branches=(Branch(exit_left, 0), Branch(exit_right, 1))),),
                    "lane_split")
    approach = two_way_section(290, speed_limit_kph=50.0)
    inside = Section(20, (3.25, 3.25), (-1, 1), ("virtual", "virtual", "virtual"), 50.0, "urban",
                     left_offset_m=3.25)
    main = _road([Segment(290), Segment(20), Segment(300)], [approach, inside, two_way_section(300)])
    cross = _road([Segment(290), Segment(20), Segment(290)], [approach, inside, two_way_section(290)],
                  start_xy_yaw=(300.0, -300.0, math.pi / 2))
    crossing = MapSpec((main, cross), "intersection")
    return [
        Scenario("fork_no_route", "forks",
                 "A single lane splits into two with no markings in the gore and no route given. Pick a "
                 "branch early (the straighter one by default), commit to it smoothly and carry on.",
                 y_split, 10.0, 0, 60.0, 40.0, expected_events=("fork:done",)),
        Scenario("lane_split", "forks",
                 "Two lanes split: the left lane goes on as the main road, the right lane becomes an exit "
                 "curving away. Stay in our (left) lane through the split.",
                 split, 10.0, 0, 90.0, 35.0,
                 (AgentSpec(150.0, 1, speed_kph=85.0),), expected_events=("split:done",)),
        Scenario("intersection_straight", "forks",
                 "Urban crossroads with no lines inside the junction. Cross straight on at a steady speed, "
                 "keeping the line of the lane across the junction; the crossing car has passed before we "
                 "arrive.",
                 crossing, 10.0, 1, 45.0, 40.0,
                 (AgentSpec(150.0, 1, speed_kph=45.0, road=1), AgentSpec(450.0, 0, speed_kph=45.0, oncoming=True)),
                 expected_events=("intersection:done", "oncoming:done")),
    ]


def hazards() -> list[Scenario]:
    rural = [Segment(300), Segment(150, 600), Segment(700)]

    def two(length: float) -> Section:
        return uniform_section(length, 2, speed_limit_kph=80.0, edge="solid")
    road2 = MapSpec((_road(rural, _sections_over(rural, two)),), "rural_two_lane")
    works = [Segment(300), Segment(400), Segment(600)]
    works_map = MapSpec((_road(works, [uniform_section(300, 3, speed_limit_kph=100.0, edge="solid"),
                                       uniform_section(400, 3, speed_limit_kph=80.0, edge="solid"),
                                       uniform_section(600, 3, speed_limit_kph=100.0, edge="solid")]),),
                        "construction")
    faded_segments = [Segment(200), Segment(200, 400), Segment(200), Segment(400)]
    faded = MapSpec((_road(faded_segments, [
        uniform_section(200, 2, speed_limit_kph=80.0, edge="solid"),
        uniform_section(200, 2, speed_limit_kph=80.0, edge="solid", wear=0.8),
        uniform_section(200, 2, speed_limit_kph=80.0, divider="virtual", edge="virtual"),
        uniform_section(400, 2, speed_limit_kph=80.0, edge="solid")]),), "faded")
    bends = [Segment(150), Segment(120, 80), Segment(60), Segment(120, -80), Segment(100), Segment(100, 100),
             Segment(400)]

    def rural_two_way(length: float) -> Section:
        return two_way_section(length, width_m=3.25, speed_limit_kph=100.0, location="nonurban",
                               edge="road_border", centre="solid_dashed")
    curves = MapSpec((_road(bends, _sections_over(bends, rural_two_way)),), "curve_speed")
    return [
        Scenario("stopped_vehicle", "hazards",
                 "Two-lane rural carriageway; a broken-down car stands in our lane around the bend. Slow down, "
                 "change to the left lane once the gap behind is safe, pass, and return right.",
                 road2, 20.0, 1, 75.0, 50.0,
                 (AgentSpec(520.0, 1, "stopped", lateral_m=0.0), AgentSpec(60.0, 0, speed_kph=70.0)),
                 expected_events=("stopped:done",)),
        Scenario("construction_zone", "hazards",
                 "Motorway roadworks: barriers close the right lane over 60 m and the limit drops to 80 km/h. "
                 "Slow to 80 and move left in good time; do not brush the barriers.",
                 works_map, 20.0, 2, 100.0, 45.0,
                 (AgentSpec(450.0, 2, "obstacle", lateral_m=0.0), AgentSpec(510.0, 2, "obstacle", lateral_m=0.0),
                  AgentSpec(40.0, 1, speed_kph=95.0)),
                 expected_events=("obstacle:done",)),
        Scenario("faded_markings", "hazards",
                 "Two lanes whose lines are worn away for 200 m and missing for another 200 m. Hold the lane "
                 "from the road edges, the other traffic and the earlier line, without drifting.",
                 faded, 20.0, 1, 75.0, 45.0,
                 (AgentSpec(120.0, 0, speed_kph=85.0),), expected_events=("faded:done",),
                 appearance={}),
        Scenario("curve_speed", "hazards",
                 "Country road with a 100 km/h limit but R=80 m bends. Brake before each bend to about "
                 "45 km/h (lateral acceleration under 2 m/s^2) and accelerate out of it.",
                 curves, 10.0, 1, 90.0, 45.0, (AgentSpec(600.0, 0, speed_kph=70.0, oncoming=True),),
                 expected_events=("curve:done", "oncoming:done")),
    ]


def catalog() -> dict[str, Scenario]:
    """Every scenario by name."""
    out: dict[str, Scenario] = {}
    for make in (small_roads, urban, highway, forks, hazards):
        for sc in make():
            out[sc.name] = sc
    return out


SUITES = ("small_roads", "urban", "highway", "forks", "hazards")


def suite(name: str) -> list[Scenario]:
    """Scenarios of one suite, or all of them for 'all'."""
    everything = catalog()
    if name == "all":
        return list(everything.values())
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; known: {', '.join(SUITES)}, all")
    return [sc for sc in everything.values() if sc.suite == name]


def get(name: str) -> Scenario:
    everything = catalog()
    if name not in everything:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(sorted(everything))}")
    return everything[name]
