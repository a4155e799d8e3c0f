"""May the ego cross its lane line? Asked of lanelet2's traffic rules, not hand-written.

A two-lanelet local map is built from the perceived lanes: the ego lanelet and the
adjacent one share a linestring that carries the perceived line type as lanelet2
`type`/`subtype` attributes. lanelet2's traffic rules for the configured country
(`traffic_rules.create(Locations.<country>, Participants.Vehicle)`) then answer
`canChangeLane(ego, adjacent)`. An UNKNOWN line maps to an untyped linestring, which
lanelet2 treats as not crossable.
"""
from __future__ import annotations

from functools import lru_cache

import lanelet2
from lanelet2.core import AttributeMap, Lanelet, LineString3d, Point3d, getId
from lanelet2.traffic_rules import Locations, Participants

from lcc_plus.common.types import LineType

# The lanelet2 (OSM) tagging of each perceived line type.
LANELET2_TAGS: dict[LineType, dict[str, str]] = {
    LineType.DASHED: {"type": "line_thin", "subtype": "dashed"},
    LineType.SOLID: {"type": "line_thin", "subtype": "solid"},
    LineType.DOUBLE: {"type": "line_thin", "subtype": "solid_solid"},
    LineType.ROAD_EDGE: {"type": "road_border"},
    LineType.UNKNOWN: {},
}
_LANE_TAGS = {"type": "lanelet", "subtype": "road", "location": "nonurban", "one_way": "yes"}


def _linestring(y_m: float, tags: dict[str, str]) -> LineString3d:
    pts = [Point3d(getId(), x, y_m, 0.0) for x in (0.0, 50.0)]
    return LineString3d(getId(), pts, AttributeMap(tags))


@lru_cache(maxsize=32)
def lane_change_allowed(location: str, boundary: LineType, side: int) -> bool:
    """Whether lanelet2's `location` rules let a vehicle cross `boundary` towards `side` (+1 left)."""
    rules = lanelet2.traffic_rules.create(getattr(Locations, location), Participants.Vehicle)
    width = 3.5
    shared = _linestring(0.0, LANELET2_TAGS[LineType(boundary)])
    outer_left = _linestring(width, LANELET2_TAGS[LineType.ROAD_EDGE])
    outer_right = _linestring(-width, LANELET2_TAGS[LineType.ROAD_EDGE])
    # Lanelet(left bound, right bound): `upper` lies left of the shared line, `lower` right of it.
    upper = Lanelet(getId(), outer_left, shared, AttributeMap(_LANE_TAGS))
    lower = Lanelet(getId(), shared, outer_right, AttributeMap(_LANE_TAGS))
    ego, target = (lower, upper) if side > 0 else (upper, lower)
    return bool(rules.canChangeLane(ego, target))
