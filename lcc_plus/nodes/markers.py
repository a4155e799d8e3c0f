"""RViz / Foxglove markers of the plan: path, lane-line estimates and leads, in base_link.

Every marker keeps its namespace and id from cycle to cycle, so a display replaces
it in place; an item that is absent this cycle (an unlikely lane line, no lead) is
sent as a DELETE of its id.
"""
from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Duration, Time
from geometry_msgs.msg import Point
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from lcc_plus.common.types import Lead, Perception, Trajectory

FRAME = "base_link"
LINE_PROBABILITY_MIN = 0.3
LEAD_PROBABILITY_MIN = 0.5
_LINE_STEP_M = 2.0
_LIFETIME = Duration(sec=1)  # a silent planner's markers fade instead of freezing on screen


def _marker(stamp: Time, ns: str, marker_id: int, kind: int, rgba: tuple[float, float, float, float]) -> Marker:
    m = Marker(ns=ns, id=marker_id, type=kind, action=Marker.ADD, lifetime=_LIFETIME)
    m.header.stamp, m.header.frame_id = stamp, FRAME
    m.pose.orientation.w = 1.0
    m.color = ColorRGBA(r=rgba[0], g=rgba[1], b=rgba[2], a=rgba[3])
    return m


def _delete(stamp: Time, ns: str, marker_id: int) -> Marker:
    m = Marker(ns=ns, id=marker_id, action=Marker.DELETE)
    m.header.stamp, m.header.frame_id = stamp, FRAME
    return m


def _finite_points(x: np.ndarray, y: np.ndarray) -> list[Point]:
    keep = np.isfinite(x) & np.isfinite(y)
    return [Point(x=float(a), y=float(b), z=0.05) for a, b in zip(x[keep], y[keep])]


def _line_strip(stamp, ns, marker_id, x, y, width_m, rgba) -> Marker:
    points = _finite_points(np.asarray(x, float), np.asarray(y, float))
    if len(points) < 2:
        return _delete(stamp, ns, marker_id)
    m = _marker(stamp, ns, marker_id, Marker.LINE_STRIP, rgba)
    m.scale.x = width_m
    m.points = points
    return m


def _lead(stamp, marker_id: int, lead: Lead) -> Marker:
    values = (lead.distance_m, lead.lateral_offset_m, lead.probability)
    if not np.all(np.isfinite(values)) or lead.probability < LEAD_PROBABILITY_MIN or lead.distance_m <= 0.0:
        return _delete(stamp, "leads", marker_id)
    m = _marker(stamp, "leads", marker_id, Marker.CUBE, (1.0, 0.9, 0.0, 0.8))
    m.pose.position = Point(x=float(lead.distance_m) + 2.25, y=float(lead.lateral_offset_m), z=0.75)
    m.scale.x, m.scale.y, m.scale.z = 4.5, 1.8, 1.5
    return m


def plan_markers(stamp: Time, trajectory: Trajectory | None, perception: Perception | None) -> MarkerArray:
    """Path (ns `path`), four lane lines (ns `lanes`, ids 0..3) and three leads (ns `leads`)."""
    out = MarkerArray()
    if trajectory is not None:
        out.markers.append(_line_strip(stamp, "path", 0, trajectory.x_m, trajectory.y_m, 0.3, (0.2, 0.9, 0.5, 0.9)))
    else:
        out.markers.append(_delete(stamp, "path", 0))
    lines = perception.lane_lines if perception is not None else []
    for i in range(4):
        line = lines[i] if i < len(lines) else None
        usable = (line is not None and np.isfinite(line.probability) and line.probability >= LINE_PROBABILITY_MIN
                  and np.isfinite(line.x_min_m) and np.isfinite(line.x_max_m) and line.x_max_m > line.x_min_m)
        if not usable:
            out.markers.append(_delete(stamp, "lanes", i))
            continue
        x = np.arange(line.x_min_m, line.x_max_m + 1e-9, _LINE_STEP_M)
        out.markers.append(_line_strip(stamp, "lanes", i, x, line.y_at(x), 0.15, (0.2, 0.75, 1.0, float(line.probability))))
    leads = (perception.lead, perception.lead_left, perception.lead_right) if perception is not None else ()
    for i in range(3):
        out.markers.append(_lead(stamp, i, leads[i]) if i < len(leads) else _delete(stamp, "leads", i))
    return out
