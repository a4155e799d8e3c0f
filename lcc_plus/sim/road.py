"""Lane graph of any lanelet2 .osm map, with lanelet2's traffic rules and routing graph.

`RoadNetwork.load(path)` reads the map with a UTM projector at the map origin,
builds one `Lane` per lanelet (centre line, bounds, line kinds, speed limit,
successors, neighbours) and asks lanelet2's German vehicle traffic rules and the
routing graph whether a lane change to each neighbour is allowed. Line strings with
no `type` tag become `BoundaryKind.UNKNOWN`. A map with no drivable lanelet raises
`MapError` with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lcc_plus.common.types import LineType
from lcc_plus.sim.maps import MAP_ORIGIN_LAT_LON
from lcc_plus.sim.polyline import Polyline, wrap_angle
from lcc_plus.sim.scene import Boundary, BoundaryKind

CENTRE_STEP_M = 2.0  # chord error under 2 cm for R >= 25 m


class MapError(ValueError):
    """The map cannot be driven: missing file, unreadable, or no usable lanes."""


def boundary_kind(tags: dict[str, str]) -> BoundaryKind:
    """BoundaryKind from a lanelet2 line string's type/subtype tags."""
    t, sub = tags.get("type", ""), tags.get("subtype", "")
    if t in ("line_thin", "line_thick"):
        if t == "line_thick" or sub in ("solid_solid", "solid_solid_solid"):
            return BoundaryKind.DOUBLE_SOLID
        return {"dashed": BoundaryKind.DASHED, "solid": BoundaryKind.SOLID,
                "solid_dashed": BoundaryKind.SOLID_DASHED, "dashed_solid": BoundaryKind.SOLID_DASHED,
                }.get(sub, BoundaryKind.UNKNOWN)
    if t == "road_border":
        return BoundaryKind.ROAD_BORDER
    if t in ("curbstone", "guard_rail", "wall", "fence"):
        return BoundaryKind.CURBSTONE
    if t == "virtual":
        return BoundaryKind.VIRTUAL
    return BoundaryKind.UNKNOWN


def line_type(kind: BoundaryKind) -> LineType:
    """The perception LineType a camera would report for a boundary kind."""
    return {BoundaryKind.DASHED: LineType.DASHED, BoundaryKind.SOLID: LineType.SOLID,
            BoundaryKind.SOLID_DASHED: LineType.DOUBLE, BoundaryKind.DOUBLE_SOLID: LineType.DOUBLE,
            BoundaryKind.ROAD_BORDER: LineType.ROAD_EDGE, BoundaryKind.CURBSTONE: LineType.ROAD_EDGE,
            }.get(kind, LineType.UNKNOWN)


@dataclass
class LaneBound:
    """One side of a lane: geometry in the lane's direction and what it is made of."""

    line_id: int
    points_xy: np.ndarray
    kind: BoundaryKind
    color: str
    wear: float


@dataclass
class Lane:
    """One lanelet. Offsets are lateral (m, + left) of the bounds from the centre line."""

    id: int
    centre: Polyline
    left: LaneBound
    right: LaneBound
    left_offset_m: np.ndarray   # per centre sample
    right_offset_m: np.ndarray  # per centre sample (negative)
    speed_limit_mps: float
    one_way: bool
    location: str
    successors: list[int] = field(default_factory=list)
    predecessors: list[int] = field(default_factory=list)
    left_id: int | None = None   # same-direction neighbour
    right_id: int | None = None
    left_change_ok: bool = False  # lanelet2 traffic rules + routing graph
    right_change_ok: bool = False
    opposite_id: int | None = None  # opposite-direction lanelet across the left bound

    @property
    def length(self) -> float:
        return self.centre.length

    def offsets_at(self, s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """(left, right) lateral bound offsets at arc length s."""
        return (np.interp(s, self.centre.s, self.left_offset_m), np.interp(s, self.centre.s, self.right_offset_m))

    def width_at(self, s: np.ndarray | float) -> np.ndarray:
        left, right = self.offsets_at(s)
        return left - right

    def driving_offset_at(self, s: np.ndarray | float, vehicle_width_m: float) -> np.ndarray:
        """Lateral offset of the driving line: the centre, or keep-right on a two-way lane."""
        left, right = self.offsets_at(s)
        mid = 0.5 * (left + right)
        if self.one_way:
            return mid
        # Two-way single lanelet: drive in the right half, keeping 0.3 m from the edge.
        return np.maximum(right + 0.5 * vehicle_width_m + 0.3, mid - 0.25 * (left - right))


@dataclass
class LanePosition:
    lane_id: int
    s_m: float
    d_m: float            # from the lane centre line, + left
    heading_error_rad: float


class RoadNetwork:
    """Lanes of one lanelet2 map plus the drawing primitives for the renderer."""

    def __init__(self, lanes: dict[int, Lane], path: Path):
        if not lanes:
            raise MapError(f"{path}: the map has no usable lanes (no lanelet with two bounds of >= 2 points)")
        self.lanes = lanes
        self.path = path
        self._ids = np.array(sorted(lanes))
        self._chain_cache: dict[tuple, Polyline] = {}
        self.boundaries = self._collect_boundaries()

    # --- loading ------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, origin_lat_lon: tuple[float, float] = MAP_ORIGIN_LAT_LON) -> RoadNetwork:
        import lanelet2
        from lanelet2.io import Origin
        from lanelet2.projection import UtmProjector

        path = Path(path)
        if not path.is_file():
            raise MapError(f"map file not found: {path}")
        try:
            llmap = lanelet2.io.load(str(path), UtmProjector(Origin(*origin_lat_lon)))
        except Exception as err:  # lanelet2 raises its own ParseError / RuntimeError types
            raise MapError(f"{path}: lanelet2 cannot read the map: {err}") from err
        rules = lanelet2.traffic_rules.create(lanelet2.traffic_rules.Locations.Germany,
                                              lanelet2.traffic_rules.Participants.Vehicle)
        lanes: dict[int, Lane] = {}
        for ll in llmap.laneletLayer:
            lane = _lane_from_lanelet(ll, rules)
            if lane is not None:
                lanes[lane.id] = lane
        if not lanes:
            raise MapError(f"{path}: the map has no usable lanes (no drivable lanelet with valid bounds)")
        graph = lanelet2.routing.RoutingGraph(llmap, rules)
        by_left = {}
        for ll in llmap.laneletLayer:
            if ll.id in lanes:
                by_left.setdefault(abs(ll.leftBound.id), []).append(ll.id)
        for ll in llmap.laneletLayer:
            lane = lanes.get(ll.id)
            if lane is None:
                continue
            lane.successors = [x.id for x in graph.following(ll, False) if x.id in lanes]
            lane.predecessors = [x.id for x in graph.previous(ll, False) if x.id in lanes]
            for side in ("left", "right"):
                allowed = getattr(graph, side)(ll)
                adjacent = allowed or getattr(graph, "adjacent" + side.capitalize())(ll)
                if adjacent is not None and adjacent.id in lanes:
                    setattr(lane, f"{side}_id", adjacent.id)
                    setattr(lane, f"{side}_change_ok", allowed is not None)
            others = [i for i in by_left.get(abs(ll.leftBound.id), []) if i != ll.id]
            lane.opposite_id = others[0] if others else None
        return cls(lanes, path)

    def _collect_boundaries(self) -> list[Boundary]:
        seen: dict[int, Boundary] = {}
        for lane in self.lanes.values():
            for b in (lane.left, lane.right):
                if b.line_id not in seen:
                    seen[b.line_id] = Boundary(b.points_xy, b.kind, b.color, b.wear)
        return [seen[k] for k in sorted(seen)]

    def road_polygons(self) -> list[np.ndarray]:
        """Asphalt area of every lane: left bound then the right bound reversed (world frame)."""
        return [np.vstack([self.lanes[i].left.points_xy, self.lanes[i].right.points_xy[::-1]]) for i in self._ids]

    # --- queries ------------------------------------------------------------------------
    def locate(self, x_m: float, y_m: float, yaw_rad: float, hint: int | None = None,
               preference: int = 0) -> LanePosition | None:
        """The lane holding the point, aligned with yaw; None when on no lane (off the road).

        Sticky: the hint lane wins while the point is inside it, then the hint's
        successor chosen by `preference` (see default_successor), then the lane whose
        centre is closest among the hint's neighbourhood, then among all lanes."""
        if hint in self.lanes:
            preferred = [hint]
            nxt = self.default_successor(hint, preference)
            if nxt is not None:
                preferred.append(nxt)
            for lane_id in preferred:
                pos = self._inside(lane_id, x_m, y_m, yaw_rad)
                if pos is not None and abs(pos.heading_error_rad) < np.pi / 2:
                    return pos
            best = self._best(self._near(hint), x_m, y_m, yaw_rad)
            if best is not None:
                return best
        return self._best(list(self.lanes), x_m, y_m, yaw_rad)

    def nearest(self, x_m: float, y_m: float, yaw_rad: float) -> LanePosition:
        """The lane whose centre line is closest (driven our way if any is within 20 m),
        for a point that may be off the road."""
        best, best_cost = None, np.inf
        for lane_id in self._ids.tolist():
            lane = self.lanes[lane_id]
            s, d = lane.centre.project(np.array([[x_m, y_m]]))
            s_c = float(np.clip(s[0], 0.0, lane.length))
            gap = float(np.hypot(*(lane.centre.xy_at(s_c) - (x_m, y_m))))
            herr = float(wrap_angle(yaw_rad - float(lane.centre.heading_at(s_c))))
            cost = gap + (20.0 if abs(herr) > np.pi / 2 else 0.0)
            if cost < best_cost:
                best, best_cost = LanePosition(lane_id, s_c, float(d[0]), herr), cost
        return best

    def _near(self, lane_id: int) -> list[int]:
        lane = self.lanes[lane_id]
        out = [lane_id]
        for other in (lane.left_id, lane.right_id, lane.opposite_id, *lane.successors, *lane.predecessors):
            if other is not None and other not in out:
                out.append(other)
        for other in list(out[1:]):
            o = self.lanes[other]
            for nb in (o.left_id, o.right_id, *o.successors):
                if nb is not None and nb not in out:
                    out.append(nb)
        return out

    def _inside(self, lane_id: int, x_m: float, y_m: float, yaw_rad: float) -> LanePosition | None:
        lane = self.lanes[lane_id]
        if not _bbox_contains(lane, x_m, y_m):
            return None
        s, d = lane.centre.project(np.array([[x_m, y_m]]))
        s, d = float(s[0]), float(d[0])
        if s < -0.05 or s > lane.length + 0.05:
            return None
        left, right = lane.offsets_at(s)
        if not (right - 1e-3 <= d <= left + 1e-3):
            return None
        return LanePosition(lane_id, s, d, float(wrap_angle(yaw_rad - float(lane.centre.heading_at(s)))))

    def _best(self, candidates: list[int], x_m: float, y_m: float, yaw_rad: float) -> LanePosition | None:
        best, best_cost = None, np.inf
        for lane_id in candidates:
            pos = self._inside(lane_id, x_m, y_m, yaw_rad)
            if pos is None:
                continue
            left, right = self.lanes[lane_id].offsets_at(pos.s_m)
            # Prefer lanes driven in our direction, then the one whose centre is closest.
            cost = abs(pos.d_m - 0.5 * (left + right)) + (5.0 if abs(pos.heading_error_rad) > np.pi / 2 else 0.0)
            if cost < best_cost:
                best, best_cost = pos, cost
        return best

    def default_successor(self, lane_id: int, preference: int = 0) -> int | None:
        """Next lane: the straightest successor (preference 0), or the leftmost (+1) / rightmost (-1)."""
        succ = self.lanes[lane_id].successors
        if not succ:
            return None
        if len(succ) == 1:
            return succ[0]
        lane = self.lanes[lane_id]
        h0 = float(lane.centre.heading_at(lane.length))
        turn = {i: float(wrap_angle(self.lanes[i].centre.heading_at(min(30.0, self.lanes[i].length)) - h0))
                for i in succ}
        if preference > 0:
            return max(succ, key=lambda i: (turn[i], -i))
        if preference < 0:
            return min(succ, key=lambda i: (turn[i], i))
        return min(succ, key=lambda i: (abs(turn[i]), i))

    def may_change_lane(self, lane_id: int, direction: int) -> bool:
        """lanelet2's answer (German vehicle rules, routing graph): may a car leave this lane
        to the left (+1) or right (-1) into a same-direction neighbour?"""
        lane = self.lanes[lane_id]
        return lane.left_change_ok if direction > 0 else lane.right_change_ok

    def lane_ends(self, lane_id: int) -> bool:
        """The lane stops while a same-direction neighbour goes on (merge, lane drop)."""
        lane = self.lanes[lane_id]
        if lane.successors:
            return False
        return any(nb is not None and self.lanes[nb].successors for nb in (lane.left_id, lane.right_id))

    def lane_chain(self, lane_id: int, ahead_m: float, s_m: float = 0.0, preference: int = 0,
                   behind_m: float = 0.0) -> list[int]:
        """Lane ids from `lane_id` following successors until `ahead_m` past s_m (and
        predecessors until `behind_m` before it)."""
        chain = [lane_id]
        covered = self.lanes[lane_id].length - s_m
        while covered < ahead_m:
            nxt = self.default_successor(chain[-1], preference)
            if nxt is None or nxt in chain:
                break
            chain.append(nxt)
            covered += self.lanes[nxt].length
        back = s_m
        while back < behind_m:
            preds = self.lanes[chain[0]].predecessors
            if not preds or min(preds) in chain:
                break
            chain.insert(0, min(preds))
            back += self.lanes[chain[0]].length
        return chain

    def chain_polyline(self, chain: list[int], offset: str = "centre") -> Polyline:
        """Concatenated centre line (offset 'centre') or bound ('left' / 'right') of a chain."""
        key = (tuple(chain), offset)
        hit = self._chain_cache.get(key)
        if hit is None:
            if len(self._chain_cache) > 512:
                self._chain_cache.clear()
            hit = self._chain_cache[key] = self._build_chain_polyline(chain, offset)
        return hit

    def _build_chain_polyline(self, chain: list[int], offset: str) -> Polyline:
        parts = []
        for lane_id in chain:
            lane = self.lanes[lane_id]
            if offset == "centre":
                pts = lane.centre.points
            else:
                pts = getattr(lane, offset).points_xy
            parts.append(pts if not parts else pts[1:])
        return Polyline(np.vstack(parts))

    def chain_start_s(self, chain: list[int]) -> dict[int, float]:
        """Arc length at which each lane of the chain starts along the chain."""
        out, s = {}, 0.0
        for lane_id in chain:
            out[lane_id] = s
            s += self.lanes[lane_id].length
        return out


def _bbox_contains(lane: Lane, x: float, y: float) -> bool:
    bb = getattr(lane, "_bbox", None)
    if bb is None:
        pts = np.vstack([lane.left.points_xy, lane.right.points_xy])
        bb = (pts.min(axis=0) - 0.5, pts.max(axis=0) + 0.5)
        lane._bbox = bb  # cached on first use
    return bb[0][0] <= x <= bb[1][0] and bb[0][1] <= y <= bb[1][1]


def _bound(ls) -> LaneBound:
    tags = {str(k): str(v) for k, v in ls.attributes.items()}
    try:
        wear = float(tags.get("lcc:wear", 0.0))
    except ValueError:
        wear = 0.0
    pts = np.array([[p.x, p.y] for p in ls])
    return LaneBound(abs(ls.id), pts, boundary_kind(tags), tags.get("color", "white"), float(np.clip(wear, 0, 1)))


def _lane_from_lanelet(ll, rules) -> Lane | None:
    """A Lane, or None for lanelets a car may not use or with degenerate geometry."""
    if not rules.canPass(ll):
        return None
    left, right = _bound(ll.leftBound), _bound(ll.rightBound)
    if len(left.points_xy) < 2 or len(right.points_xy) < 2:
        return None
    try:
        raw = Polyline(np.array([[p.x, p.y] for p in ll.centerline]))
        centre = raw.resampled(CENTRE_STEP_M) if raw.length > CENTRE_STEP_M else raw
        left_line, right_line = Polyline(left.points_xy), Polyline(right.points_xy)
    except ValueError:
        return None
    _, dl = left_line.project(centre.points)
    _, dr = right_line.project(centre.points)
    # project() gives the centre's offset from the bound; the bound's offset is minus that.
    left_off, right_off = -dl, -dr
    # A taper narrows to nothing at one end; a lanelet narrow everywhere is no lane.
    if np.max(left_off - right_off) < 1.5 or np.any(left_off - right_off < 0.05):
        return None
    one_way = bool(rules.isOneWay(ll))
    speed = float(rules.speedLimit(ll).speedLimit) / 3.6
    location = dict(ll.attributes.items()).get("location", "urban")
    return Lane(ll.id, centre, left, right, left_off, right_off, speed, one_way, location)
