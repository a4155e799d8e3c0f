"""Debug overlays on a camera image: planned path, lane-line estimates, lead marker, mode text.

Geometry comes in base_link (metres) and goes through the CameraModel onto the ground
plane, so the overlay lines up with the rendered road. Used by the VLA node's debug
image and the evaluation video. Every function returns a new image and leaves its
input untouched. `distort=False` draws on an undistorted image (CameraModel.undistort).
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from lcc_plus.common.types import Lead, LineType, ModeStatus, Perception, Trajectory
from lcc_plus.sim import render_geometry as geo
from lcc_plus.sim.camera import CameraModel

_SHIFT = 4
PATH_RGB = (40, 220, 120)
LANE_RGB = ((255, 170, 40), (40, 200, 255), (40, 200, 255), (255, 170, 40))  # outer, ego, ego, outer
EDGE_RGB = (255, 60, 60)
LEAD_RGB = (255, 230, 0)
_DASH_M = 2.0  # dashed estimates drawn 2 m on, 2 m off so the type reads at a glance


def _ground_ribbon(camera: CameraModel, x_m: np.ndarray, y_m: np.ndarray, width_m: float,
                   intervals: np.ndarray | None, distort: bool) -> list[np.ndarray]:
    pts = np.column_stack([x_m, y_m])
    finite = np.all(np.isfinite(pts), axis=1)
    pts = pts[finite]
    if len(pts) >= 2:
        keep = np.concatenate([[True], np.hypot(*np.diff(pts, axis=0).T) > 1e-6])
        pts = pts[keep]
    if len(pts) < 2:
        return []
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    spans = np.array([[0.0, s[-1]]]) if intervals is None else geo.intersect_intervals(intervals, np.array([[0.0, s[-1]]]))
    if len(spans) == 0:
        return []
    verts, sizes = geo.ribbon_batch(pts, s, spans, 0.0, width_m, 0.5)
    polys, _ = camera.project_polygons(geo.with_z(verts, 0.0), sizes, distort=distort, shift=_SHIFT)
    return polys


def _check_image(image: np.ndarray, camera: CameraModel) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[:2] != (camera.height, camera.width):
        raise ValueError(f"overlay: expected a {camera.width}x{camera.height} RGB image, got shape {image.shape}")


def draw_path(image: np.ndarray, camera: CameraModel, x_m: np.ndarray, y_m: np.ndarray, *,
              color: tuple[int, int, int] = PATH_RGB, width_m: float = 1.0, alpha: float = 0.45,
              distort: bool = True) -> np.ndarray:
    """A translucent ribbon along a base_link path (x forward, y left, metres)."""
    _check_image(image, camera)
    polys = _ground_ribbon(camera, np.asarray(x_m, float), np.asarray(y_m, float), width_m, None, distort)
    if not polys:
        return image.copy()
    layer = image.copy()
    cv2.fillPoly(layer, polys, color, cv2.LINE_AA, _SHIFT)
    return cv2.addWeighted(layer, alpha, image, 1.0 - alpha, 0.0)


def draw_lane_lines(image: np.ndarray, camera: CameraModel, lines: Sequence, *, min_probability: float = 0.3,
                    width_m: float = 0.2, distort: bool = True) -> np.ndarray:
    """Lane-line estimates (LaneLine cubic polynomials in base_link): dashed types drawn dashed,
    road edges red, brightness scaled by existence probability; lines below min_probability skipped."""
    _check_image(image, camera)
    out = image.copy()
    for i, line in enumerate(lines):
        if line.probability < min_probability or not line.x_max_m > line.x_min_m:
            continue
        x = np.arange(max(line.x_min_m, 0.0), line.x_max_m + 1e-9, 0.5)
        if len(x) < 2:
            continue
        y = np.asarray(line.y_at(x), dtype=float)
        dashes = None
        if line.line_type == LineType.DASHED:
            k = np.arange(int(np.ceil((x[-1] - x[0]) / (2 * _DASH_M))) + 1)
            dashes = np.column_stack([2 * _DASH_M * k, 2 * _DASH_M * k + _DASH_M])
        base = EDGE_RGB if line.line_type == LineType.ROAD_EDGE else LANE_RGB[i % len(LANE_RGB)]
        color = tuple(int(c * (0.4 + 0.6 * min(line.probability, 1.0))) for c in base)
        thick = 2.0 if line.line_type in (LineType.DOUBLE, LineType.ROAD_EDGE) else 1.0
        polys = _ground_ribbon(camera, x, y, width_m * thick, dashes, distort)
        if polys:
            cv2.fillPoly(out, polys, color, cv2.LINE_AA, _SHIFT)
    return out


def draw_lead(image: np.ndarray, camera: CameraModel, lead: Lead, *, label: str = "lead",
              min_probability: float = 0.3, color: tuple[int, int, int] = LEAD_RGB,
              width_m: float = 1.8, height_m: float = 1.5, distort: bool = True) -> np.ndarray:
    """A frame around a lead estimate (distance_m ahead of base_link, lateral_offset_m left)
    with its distance and relative speed written above it."""
    _check_image(image, camera)
    out = image.copy()
    if lead.probability < min_probability:
        return out
    x, y, hw = lead.distance_m, lead.lateral_offset_m, 0.5 * width_m
    corners = np.array([[x, y - hw, 0.0], [x, y + hw, 0.0], [x, y + hw, height_m], [x, y - hw, height_m]])
    polys, _ = camera.project_polygons(corners, np.array([4]), distort=distort, shift=_SHIFT)
    if not polys:
        return out
    cv2.polylines(out, polys, True, color, 2, cv2.LINE_AA, _SHIFT)
    top = polys[0].min(axis=0) >> _SHIFT
    text = f"{label} {lead.distance_m:.1f} m {lead.relative_speed_mps:+.1f} m/s"
    cv2.putText(out, text, (int(top[0]), max(12, int(top[1]) - 6)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, color, 1,
                cv2.LINE_AA)
    return out


def draw_text(image: np.ndarray, lines: Sequence[str], *, origin_px: tuple[int, int] = (8, 8),
              color: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Lines of text on a dark box in the image corner."""
    out = image.copy()
    lines = [ln for ln in lines if ln]
    if not lines:
        return out
    font, scale, step = cv2.FONT_HERSHEY_SIMPLEX, 0.5, 18
    width = max(cv2.getTextSize(ln, font, scale, 1)[0][0] for ln in lines)
    x0, y0 = origin_px
    box = out[y0:y0 + step * len(lines) + 8, x0:x0 + width + 12]
    box[:] = (box * 0.35).astype(np.uint8)
    for i, ln in enumerate(lines):
        cv2.putText(out, ln, (x0 + 6, y0 + 16 + i * step), font, scale, color, 1, cv2.LINE_AA)
    return out


def mode_text(status: ModeStatus, speed_mps: float | None = None) -> list[str]:
    """Human-readable lines for the mode manager's status (and the ego speed)."""
    lines = [status.mode.name]
    if status.lane_change_phase.value:
        side = {1: "left", -1: "right"}.get(status.lane_change_direction, "")
        lines[0] += f"  lane change {side} {status.lane_change_phase.name.lower()}"
        if status.lane_change_trigger.value:
            lines[0] += f" ({status.lane_change_trigger.name.lower()})"
    if speed_mps is not None:
        lines.append(f"{speed_mps * 3.6:5.1f} km/h")
    if status.reason:
        lines.append(status.reason)
    if status.last_refusal:
        lines.append(f"refused: {status.last_refusal}")
    return lines


def draw_perception(image: np.ndarray, camera: CameraModel, perception: Perception | None = None, *,
                    trajectory: Trajectory | None = None, texts: Sequence[str] = (),
                    distort: bool = True) -> np.ndarray:
    """Everything at once: planned path (the trajectory's, else the perception's), lane lines,
    leads in the ego and adjacent lanes, and text lines."""
    out = image.copy()
    if trajectory is not None and len(trajectory.x_m) >= 2:
        out = draw_path(out, camera, trajectory.x_m, trajectory.y_m, distort=distort)
    elif perception is not None and len(perception.path_x_m) >= 2:
        out = draw_path(out, camera, perception.path_x_m, perception.path_y_m, distort=distort)
    if perception is not None:
        out = draw_lane_lines(out, camera, perception.lane_lines, distort=distort)
        for lead, label in ((perception.lead, "lead"), (perception.lead_left, "left"),
                            (perception.lead_right, "right")):
            out = draw_lead(out, camera, lead, label=label, distort=distort)
    return draw_text(out, texts)
