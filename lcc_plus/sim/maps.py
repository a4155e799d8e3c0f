"""Procedural lanelet2 map generator: roads from arcs and straights, written as .osm.

A road is a reference line (its left edge at `left_offset_m = 0`) built from
`Segment`s, cut along its length into `Section`s that each give the lanes (left to
right, with widths and driving directions) and the kind of every boundary line.
Boundaries are tagged the lanelet2 way (type=line_thin subtype=dashed|solid|
solid_dashed|dashed_solid|solid_solid, type=road_border, type=curbstone,
type=virtual, or no tags at all) so lanelet2's traffic rules decide lane changes.
Adjacent sections share their end points, so lanelet2 finds the successors; a
`Branch` starts a second road on some lanes of the parent's end (forks, splits).
Maps are cached under a hash of the spec; the same spec always gives the same file.
"""
from __future__ import annotations

import hashlib
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LINE_TAGS: dict[str, dict[str, str]] = {
    "dashed": {"type": "line_thin", "subtype": "dashed"},
    "solid": {"type": "line_thin", "subtype": "solid"},
    "solid_dashed": {"type": "line_thin", "subtype": "solid_dashed"},
    "dashed_solid": {"type": "line_thin", "subtype": "dashed_solid"},
    "double_solid": {"type": "line_thin", "subtype": "solid_solid"},
    "road_border": {"type": "road_border"},
    "curbstone": {"type": "curbstone", "subtype": "high"},
    "virtual": {"type": "virtual"},
    "none": {},  # an external map that carries no line types at all
}

MAP_ORIGIN_LAT_LON = (49.0, 8.0)
GENERATOR_VERSION = 2  # part of the cache key: bump when the output for a spec changes
MAX_STEP_M = 10.0
CHORD_ERROR_M = 0.01


@dataclass(frozen=True)
class Segment:
    """A piece of reference line: straight (radius 0) or an arc (radius > 0 turns left)."""

    length_m: float
    radius_m: float = 0.0


@dataclass(frozen=True)
class Section:
    """Lane layout over one stretch of a road; lanes and lines are listed left to right."""

    length_m: float
    lane_widths_m: tuple[float, ...]
    directions: tuple[int, ...]  # +1 along the road, -1 against it, 0 both ways (one lanelet)
    lines: tuple[str, ...]  # len(lanes) + 1 keys of LINE_TAGS
    speed_limit_kph: float
    location: str = "urban"
    left_offset_m: float = 0.0  # lateral offset of the left edge from the reference line
    wear: tuple[float, ...] = ()  # per line, 0 fresh .. 1 gone (default all 0)
    colors: tuple[str, ...] = ()  # per line, "white" | "yellow" (default white)
    end_lane_widths_m: tuple[float, ...] = ()  # widths at the section's end (taper); default unchanged

    def validate(self) -> None:
        n = len(self.lane_widths_m)
        if n == 0 or len(self.directions) != n or len(self.lines) != n + 1:
            raise ValueError(f"section needs n lanes, n directions and n+1 lines, got {self}")
        unknown = [k for k in self.lines if k not in LINE_TAGS]
        if unknown:
            raise ValueError(f"unknown line kind(s) {unknown}; known: {sorted(LINE_TAGS)}")
        if self.wear and len(self.wear) != n + 1 or self.colors and len(self.colors) != n + 1:
            raise ValueError("wear and colors need one entry per line")
        if self.end_lane_widths_m and (len(self.end_lane_widths_m) != n or min(self.end_lane_widths_m) < 0.1):
            raise ValueError("end_lane_widths_m needs one width >= 0.1 m per lane")


@dataclass(frozen=True)
class Branch:
    """A road that starts on the end of its parent: its left edge on the parent's
    boundary `parent_line` (index into the parent's last section's lines)."""

    road: RoadSpec
    parent_line: int


@dataclass(frozen=True)
class RoadSpec:
    segments: tuple[Segment, ...]
    sections: tuple[Section, ...]
    start_xy_yaw: tuple[float, float, float] = (0.0, 0.0, 0.0)
    branches: tuple[Branch, ...] = ()


@dataclass(frozen=True)
class MapSpec:
    roads: tuple[RoadSpec, ...]
    name: str = "map"


def reference_line(start_xy_yaw: tuple[float, float, float], segments: tuple[Segment, ...]) -> np.ndarray:
    """(N, 4) samples [s, x, y, yaw] of the reference line: exact points on arcs, spaced so
    the chord strays under 1 cm from the arc, and at most 10 m apart."""
    x, y, yaw = start_xy_yaw
    rows = [(0.0, x, y, yaw)]
    s = 0.0
    for seg in segments:
        if seg.length_m <= 0:
            raise ValueError(f"segment length must be positive, got {seg.length_m}")
        step = MAX_STEP_M if seg.radius_m == 0.0 else min(MAX_STEP_M, max(
            0.5, math.sqrt(8.0 * abs(seg.radius_m) * CHORD_ERROR_M)))
        n = max(1, int(math.ceil(seg.length_m / step)))
        for i in range(1, n + 1):
            ds = seg.length_m * i / n
            if seg.radius_m == 0.0:
                xi, yi, yi_aw = x + ds * math.cos(yaw), y + ds * math.sin(yaw), yaw
            else:
                k = 1.0 / seg.radius_m
                yi_aw = yaw + ds * k
                xi = x + (math.sin(yi_aw) - math.sin(yaw)) / k
                yi = y - (math.cos(yi_aw) - math.cos(yaw)) / k
            rows.append((s + ds, xi, yi, yi_aw))
        s, x, y, yaw = rows[-1]
    return np.array(rows)


def _slice(ref: np.ndarray, s0: float, s1: float) -> np.ndarray:
    """Reference samples on [s0, s1], with interpolated exact end samples."""
    inside = ref[(ref[:, 0] > s0 + 1e-6) & (ref[:, 0] < s1 - 1e-6)]
    ends = [np.array([np.interp(s, ref[:, 0], ref[:, i]) for i in range(4)]) for s in (s0, s1)]
    return np.vstack([ends[0], inside, ends[1]])


class _Builder:
    """Accumulates lanelet2 primitives with deterministic ids."""

    def __init__(self):
        from lanelet2.core import LaneletMap

        self.map = LaneletMap()
        self.next_id = 1
        self.shared: dict[tuple[int, int], object] = {}

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def point(self, x: float, y: float, shared: bool):
        from lanelet2.core import Point3d

        key = (round(x * 1000), round(y * 1000))
        if shared and key in self.shared:
            return self.shared[key]
        p = Point3d(self.new_id(), float(x), float(y), 0.0)
        if shared:
            self.shared[key] = p
        return p

    def line(self, xy: np.ndarray, kind: str, wear: float, color: str):
        from lanelet2.core import AttributeMap, LineString3d

        pts = [self.point(x, y, shared=i in (0, len(xy) - 1)) for i, (x, y) in enumerate(xy)]
        tags = dict(LINE_TAGS[kind])
        if kind != "none":
            if color != "white":
                tags["color"] = color
            if wear > 0:
                tags["lcc:wear"] = f"{wear:.2f}"
        return LineString3d(self.new_id(), pts, AttributeMap(tags))

    def add_road(self, road: RoadSpec, start_xy_yaw: tuple[float, float, float]) -> None:
        from lanelet2.core import AttributeMap, Lanelet

        ref = reference_line(start_xy_yaw, road.segments)
        total = sum(sec.length_m for sec in road.sections)
        if abs(total - ref[-1, 0]) > 1e-6:
            raise ValueError(f"sections cover {total} m but the segments {ref[-1, 0]} m")
        s0 = 0.0
        for sec in road.sections:
            sec.validate()
            part = _slice(ref, s0, s0 + sec.length_m)
            normal = np.stack([-np.sin(part[:, 3]), np.cos(part[:, 3])], axis=1)
            frac = ((part[:, 0] - s0) / sec.length_m)[:, None]
            w0 = np.array(sec.lane_widths_m)
            w1 = np.array(sec.end_lane_widths_m or sec.lane_widths_m)
            widths = w0 + frac * (w1 - w0)
            offsets = sec.left_offset_m - np.hstack([np.zeros((len(part), 1)), np.cumsum(widths, axis=1)])
            lines = []
            for j in range(offsets.shape[1]):
                xy = part[:, 1:3] + offsets[:, j:j + 1] * normal
                wear = sec.wear[j] if sec.wear else 0.0
                color = sec.colors[j] if sec.colors else "white"
                lines.append(self.line(xy, sec.lines[j], wear, color))
            for i, direction in enumerate(sec.directions):
                left, right = lines[i], lines[i + 1]
                if direction < 0:
                    left, right = right.invert(), left.invert()
                tags = {"type": "lanelet", "subtype": "road", "location": sec.location,
                        "one_way": "no" if direction == 0 else "yes",
                        "speed_limit": f"{sec.speed_limit_kph:g} km/h"}
                self.map.add(Lanelet(self.new_id(), left, right, AttributeMap(tags)))
            s0 += sec.length_m
        for br in road.branches:
            self.add_road(br.road, branch_start(road, start_xy_yaw, br))


def branch_start(parent: RoadSpec, parent_start: tuple[float, float, float], br: Branch
                 ) -> tuple[float, float, float]:
    """Start pose of a branch's reference line on the end of its parent."""
    end = reference_line(parent_start, parent.segments)[-1]
    last = parent.sections[-1]
    end_offsets = last.left_offset_m - np.r_[0.0, np.cumsum(last.end_lane_widths_m or last.lane_widths_m)]
    d = end_offsets[br.parent_line] - br.road.sections[0].left_offset_m
    return (end[1] - d * math.sin(end[3]), end[2] + d * math.cos(end[3]), end[3])


def lane_point(road: RoadSpec, station_m: float, lane_index: int, lateral_m: float = 0.0,
               start_xy_yaw: tuple[float, float, float] | None = None) -> tuple[float, float, float]:
    """World (x, y, yaw along the road) of a lane's centre (lane_index from the left) at
    `station_m` along the road, shifted `lateral_m` to the left."""
    ref = reference_line(start_xy_yaw or road.start_xy_yaw, road.segments)
    s0 = 0.0
    for sec in road.sections:
        if station_m <= s0 + sec.length_m or sec is road.sections[-1]:
            break
        s0 += sec.length_m
    if not 0 <= lane_index < len(sec.lane_widths_m):
        raise ValueError(f"lane index {lane_index} outside a {len(sec.lane_widths_m)}-lane section")
    d = sec.left_offset_m - sum(sec.lane_widths_m[:lane_index]) - 0.5 * sec.lane_widths_m[lane_index] + lateral_m
    x, y, yaw = (np.interp(station_m, ref[:, 0], ref[:, i]) for i in (1, 2, 3))
    return float(x - d * math.sin(yaw)), float(y + d * math.cos(yaw)), float(yaw)


def cache_dir() -> Path:
    """Where generated maps go ($LCC_PLUS_CACHE/maps, else ~/.cache/lcc_plus/maps)."""
    root = os.environ.get("LCC_PLUS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "lcc_plus")
    return Path(root) / "maps"


def spec_hash(spec: MapSpec) -> str:
    return hashlib.sha1(f"{GENERATOR_VERSION}:{spec!r}".encode()).hexdigest()[:16]


def generate_map(spec: MapSpec, out_dir: Path | None = None) -> Path:
    """Write `spec` as a lanelet2 .osm (cached by content hash) and return its path."""
    import lanelet2
    from lanelet2.io import Origin
    from lanelet2.projection import UtmProjector

    out_dir = Path(out_dir) if out_dir is not None else cache_dir()
    path = out_dir / f"{spec.name}_{spec_hash(spec)}.osm"
    if path.exists():
        return path
    if not spec.roads:
        raise ValueError("a map spec needs at least one road")
    builder = _Builder()
    for road in spec.roads:
        builder.add_road(road, road.start_xy_yaw)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Write then rename, so parallel workers never read a half-written map.
    fd, tmp = tempfile.mkstemp(suffix=".osm", dir=out_dir)
    os.close(fd)
    try:
        lanelet2.io.write(tmp, builder.map, UtmProjector(Origin(*MAP_ORIGIN_LAT_LON)))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# --- building blocks used by the scenario catalog -------------------------------------

def uniform_section(length_m: float, n_lanes: int, *, width_m: float = 3.5, speed_limit_kph: float = 100.0,
                    location: str = "nonurban", divider: str = "dashed", edge: str = "road_border",
                    left_edge: str | None = None, wear: float = 0.0) -> Section:
    """`n_lanes` one-way lanes with `divider` lines between them and `edge` outside."""
    lines = (left_edge or edge,) + (divider,) * (n_lanes - 1) + (edge,)
    return Section(length_m, (width_m,) * n_lanes, (1,) * n_lanes, lines, speed_limit_kph, location,
                   wear=(wear,) * (n_lanes + 1) if wear else ())


def two_way_section(length_m: float, *, width_m: float = 3.25, speed_limit_kph: float = 50.0,
                    location: str = "urban", centre: str = "dashed", edge: str = "curbstone",
                    centre_color: str = "white", wear: float = 0.0) -> Section:
    """One lane each way; the reference line is the centre line."""
    return Section(length_m, (width_m, width_m), (-1, 1), (edge, centre, edge), speed_limit_kph, location,
                   left_offset_m=width_m, wear=(0.0, wear, 0.0) if wear else (),
                   colors=("white", centre_color, "white"))


def narrow_section(length_m: float, *, width_m: float = 5.0, speed_limit_kph: float = 50.0,
                   edge: str = "road_border", location: str = "nonurban") -> Section:
    """A single two-way lanelet with no centre line (small country roads, villages)."""
    return Section(length_m, (width_m,), (0,), (edge, edge), speed_limit_kph, location,
                   left_offset_m=width_m / 2)
