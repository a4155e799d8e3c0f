"""lcc_plus messages <-> core dataclasses, camera messages <-> numpy, stamps <-> seconds.

The dataclasses of lcc_plus/common/types.py mirror msg/*.msg field for field, so
these functions only copy. Non-finite numbers pass through unchanged in both
directions: judging them is the safety monitor's job, and it must see them.
What cannot be represented (an enum value out of range, path arrays of different
lengths, an image whose buffer does not match its size) raises ConversionError
with the reason, which the nodes count and report.
"""
from __future__ import annotations

import math
from enum import IntEnum
from typing import TypeVar

import cv2
import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, CompressedImage, Image

from lcc_plus import msg as lmsg
from lcc_plus.common import types as t

E = TypeVar("E", bound=IntEnum)

BASE_FRAME = "base_link"
_NS = 1_000_000_000


class ConversionError(ValueError):
    """A message cannot be represented as a core type; the message says why."""


# --- stamps -----------------------------------------------------------------

def to_seconds(stamp: Time) -> float:
    """builtin_interfaces/Time -> float seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def to_stamp(seconds: float) -> Time:
    """Float seconds (finite, >= 0 and within int32 seconds) -> builtin_interfaces/Time."""
    if not math.isfinite(seconds) or seconds < 0.0 or seconds >= 2**31:
        raise ConversionError(f"time {seconds!r} s cannot be a ROS stamp (must be finite, 0 <= t < 2^31 s)")
    total_ns = round(seconds * _NS)
    return Time(sec=total_ns // _NS, nanosec=total_ns % _NS)


def _header(msg, stamp_s: float, frame_id: str = BASE_FRAME) -> None:
    msg.header.stamp = to_stamp(stamp_s)
    msg.header.frame_id = frame_id


def _enum(cls: type[E], value: int, field_name: str) -> E:
    try:
        return cls(int(value))
    except ValueError as err:
        allowed = ", ".join(f"{m.value}={m.name}" for m in cls)
        raise ConversionError(f"{field_name}={value} is not a valid {cls.__name__} ({allowed})") from err


def _array(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).copy()


def _same_lengths(what: str, **arrays: np.ndarray) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ConversionError(f"{what}: arrays differ in length: {lengths}")


def _floats(values) -> list[float]:
    return [float(v) for v in values]


# --- vehicle, driver, rear sensing ----------------------------------------------

def ego_from_msg(m: lmsg.VehicleState) -> t.EgoState:
    return t.EgoState(
        stamp_s=to_seconds(m.header.stamp), speed_mps=m.speed_mps, yaw_rate_radps=m.yaw_rate_radps,
        steering_angle_rad=m.steering_angle_rad, accel_x_mps2=m.accel_x_mps2, accel_y_mps2=m.accel_y_mps2,
        turn_signal=_enum(t.TurnSignal, m.turn_signal, "VehicleState.turn_signal"),
    )


def ego_to_msg(e: t.EgoState) -> lmsg.VehicleState:
    m = lmsg.VehicleState(
        speed_mps=float(e.speed_mps), yaw_rate_radps=float(e.yaw_rate_radps),
        steering_angle_rad=float(e.steering_angle_rad), accel_x_mps2=float(e.accel_x_mps2),
        accel_y_mps2=float(e.accel_y_mps2), turn_signal=int(e.turn_signal),
    )
    _header(m, e.stamp_s)
    return m


def driver_from_msg(m: lmsg.DriverInput) -> t.DriverControls:
    return t.DriverControls(
        stamp_s=to_seconds(m.header.stamp), lever=_enum(t.Lever, m.turn_signal_lever, "DriverInput.turn_signal_lever"),
        steering_torque_nm=m.steering_torque_nm, hands_on=m.hands_on, eyes_on_road=m.eyes_on_road,
        accel_pedal=m.accel_pedal, brake_pedal=m.brake_pedal, engage_request=m.engage_request,
        disengage_request=m.disengage_request, set_speed_mps=m.set_speed_mps,
    )


def driver_to_msg(d: t.DriverControls) -> lmsg.DriverInput:
    m = lmsg.DriverInput(
        turn_signal_lever=int(d.lever), steering_torque_nm=float(d.steering_torque_nm), hands_on=bool(d.hands_on),
        eyes_on_road=bool(d.eyes_on_road), accel_pedal=float(d.accel_pedal), brake_pedal=float(d.brake_pedal),
        engage_request=bool(d.engage_request), disengage_request=bool(d.disengage_request),
        set_speed_mps=float(d.set_speed_mps),
    )
    _header(m, d.stamp_s)
    return m


def rear_object_from_msg(m: lmsg.TrackedObject) -> t.RearObject:
    return t.RearObject(
        id=m.id, x_m=m.x_m, y_m=m.y_m, vx_mps=m.vx_mps, vy_mps=m.vy_mps, length_m=m.length_m, width_m=m.width_m,
        lane=m.lane, classification=m.classification,
        position_covariance=tuple(float(v) for v in m.position_covariance), existence_probability=m.existence_probability,
    )


def rear_object_to_msg(o: t.RearObject) -> lmsg.TrackedObject:
    if not 0 <= int(o.id) < 2**32:
        raise ConversionError(f"TrackedObject.id={o.id} does not fit uint32")
    if not -128 <= int(o.lane) <= 127:
        raise ConversionError(f"TrackedObject.lane={o.lane} does not fit int8")
    if len(o.position_covariance) != 4:
        raise ConversionError(f"TrackedObject.position_covariance needs 4 values, got {len(o.position_covariance)}")
    return lmsg.TrackedObject(
        id=int(o.id), classification=int(o.classification), x_m=float(o.x_m), y_m=float(o.y_m),
        vx_mps=float(o.vx_mps), vy_mps=float(o.vy_mps), length_m=float(o.length_m), width_m=float(o.width_m),
        lane=int(o.lane), position_covariance=_floats(o.position_covariance),
        existence_probability=float(o.existence_probability),
    )


def rear_from_msg(m: lmsg.ObjectList) -> t.RearSensing:
    return t.RearSensing(
        stamp_s=to_seconds(m.header.stamp), objects=[rear_object_from_msg(o) for o in m.objects],
        blind_spot_left=m.blind_spot_left, blind_spot_right=m.blind_spot_right,
        available=m.sensing_available, rear_range_m=m.rear_range_m,
    )


def rear_to_msg(r: t.RearSensing) -> lmsg.ObjectList:
    m = lmsg.ObjectList(
        objects=[rear_object_to_msg(o) for o in r.objects], blind_spot_left=bool(r.blind_spot_left),
        blind_spot_right=bool(r.blind_spot_right), sensing_available=bool(r.available),
        rear_range_m=float(r.rear_range_m),
    )
    _header(m, r.stamp_s)
    return m


# --- perception (VlaAction) -------------------------------------------------

def lane_line_from_msg(m: lmsg.LaneLine) -> t.LaneLine:
    return t.LaneLine(
        coefficients=_array(m.coefficients), x_min_m=m.x_min_m, x_max_m=m.x_max_m, probability=m.probability,
        line_type=_enum(t.LineType, m.line_type, "LaneLine.line_type"),
    )


def lane_line_to_msg(line: t.LaneLine) -> lmsg.LaneLine:
    coefficients = np.asarray(line.coefficients, dtype=np.float64).ravel()
    if coefficients.size != 4:
        raise ConversionError(f"LaneLine.coefficients needs 4 values, got {coefficients.size}")
    return lmsg.LaneLine(
        coefficients=coefficients, x_min_m=float(line.x_min_m), x_max_m=float(line.x_max_m),
        probability=float(line.probability), line_type=int(line.line_type),
    )


def lead_from_msg(m: lmsg.LeadEstimate) -> t.Lead:
    return t.Lead(distance_m=m.distance_m, relative_speed_mps=m.relative_speed_mps,
                  lateral_offset_m=m.lateral_offset_m, probability=m.probability)


def lead_to_msg(lead: t.Lead) -> lmsg.LeadEstimate:
    return lmsg.LeadEstimate(distance_m=float(lead.distance_m), relative_speed_mps=float(lead.relative_speed_mps),
                             lateral_offset_m=float(lead.lateral_offset_m), probability=float(lead.probability))


def perception_from_msg(m: lmsg.VlaAction) -> t.Perception:
    p = t.Perception(
        stamp_s=to_seconds(m.header.stamp), path_t_s=_array(m.path_t_s), path_x_m=_array(m.path_x_m),
        path_y_m=_array(m.path_y_m), path_speed_mps=_array(m.path_speed_mps),
        lane_lines=[lane_line_from_msg(line) for line in m.lane_lines], lead=lead_from_msg(m.lead),
        lead_left=lead_from_msg(m.lead_left), lead_right=lead_from_msg(m.lead_right),
        intent=_enum(t.IntentKind, m.intent, "VlaAction.intent"),
        fork_preference=_enum(t.ForkPreference, m.fork_preference, "VlaAction.fork_preference"),
        lane_change_progress=m.lane_change_progress, confidence=m.confidence, model_id=m.model_id,
        inference_time_ms=m.inference_time_ms,
    )
    _same_lengths("VlaAction path", path_t_s=p.path_t_s, path_x_m=p.path_x_m, path_y_m=p.path_y_m,
                  path_speed_mps=p.path_speed_mps)
    return p


def perception_to_msg(p: t.Perception) -> lmsg.VlaAction:
    arrays = {name: _array(getattr(p, name)).ravel() for name in ("path_t_s", "path_x_m", "path_y_m", "path_speed_mps")}
    _same_lengths("Perception path", **arrays)
    if len(p.lane_lines) != 4:
        raise ConversionError(f"Perception.lane_lines needs 4 lines, got {len(p.lane_lines)}")
    m = lmsg.VlaAction(
        path_t_s=arrays["path_t_s"], path_x_m=arrays["path_x_m"], path_y_m=arrays["path_y_m"],
        path_speed_mps=arrays["path_speed_mps"], lane_lines=[lane_line_to_msg(line) for line in p.lane_lines],
        lead=lead_to_msg(p.lead), lead_left=lead_to_msg(p.lead_left), lead_right=lead_to_msg(p.lead_right),
        intent=int(p.intent), fork_preference=int(p.fork_preference),
        lane_change_progress=float(p.lane_change_progress), confidence=float(p.confidence),
        model_id=str(p.model_id), inference_time_ms=float(p.inference_time_ms),
    )
    _header(m, p.stamp_s)
    return m


# --- planning ------------------------------------------------------------------

def intent_from_msg(m: lmsg.Intent) -> t.Intent:
    return t.Intent(
        stamp_s=to_seconds(m.header.stamp), intent=_enum(t.IntentKind, m.intent, "Intent.intent"),
        fork_preference=_enum(t.ForkPreference, m.fork_preference, "Intent.fork_preference"), text=m.text,
    )


def intent_to_msg(i: t.Intent) -> lmsg.Intent:
    m = lmsg.Intent(intent=int(i.intent), fork_preference=int(i.fork_preference), text=str(i.text))
    _header(m, i.stamp_s)
    return m


_TRAJ_ARRAYS = ("t_s", "x_m", "y_m", "speed_mps", "accel_mps2", "curvature_1pm")


def trajectory_from_msg(m: lmsg.Trajectory) -> t.Trajectory:
    arrays = {name: _array(getattr(m, name)) for name in _TRAJ_ARRAYS}
    _same_lengths("Trajectory", **arrays)
    return t.Trajectory(stamp_s=to_seconds(m.header.stamp), **arrays,
                        turn_signal=_enum(t.TurnSignal, m.turn_signal, "Trajectory.turn_signal"),
                        confidence=m.confidence)


def trajectory_to_msg(traj: t.Trajectory) -> lmsg.Trajectory:
    arrays = {name: _array(getattr(traj, name)).ravel() for name in _TRAJ_ARRAYS}
    _same_lengths("Trajectory", **arrays)
    m = lmsg.Trajectory(**arrays, turn_signal=int(traj.turn_signal), confidence=float(traj.confidence))
    _header(m, traj.stamp_s)
    return m


def mode_from_msg(m: lmsg.ModeState) -> t.ModeStatus:
    return t.ModeStatus(
        stamp_s=to_seconds(m.header.stamp), mode=_enum(t.Mode, m.mode, "ModeState.mode"),
        previous_mode=_enum(t.Mode, m.previous_mode, "ModeState.previous_mode"),
        lane_change_phase=_enum(t.LaneChangePhase, m.lane_change_phase, "ModeState.lane_change_phase"),
        lane_change_direction=m.lane_change_direction,
        lane_change_trigger=_enum(t.LaneChangeTrigger, m.lane_change_trigger, "ModeState.lane_change_trigger"),
        reason=m.reason, last_transition_s=to_seconds(m.last_transition_stamp), last_refusal=m.last_refusal,
        last_refusal_s=to_seconds(m.last_refusal_stamp),
    )


def mode_to_msg(s: t.ModeStatus) -> lmsg.ModeState:
    if int(s.lane_change_direction) not in (-1, 0, 1):
        raise ConversionError(f"ModeStatus.lane_change_direction={s.lane_change_direction} must be -1, 0 or +1")
    m = lmsg.ModeState(
        mode=int(s.mode), previous_mode=int(s.previous_mode), lane_change_phase=int(s.lane_change_phase),
        lane_change_direction=int(s.lane_change_direction), lane_change_trigger=int(s.lane_change_trigger),
        reason=str(s.reason), last_transition_stamp=to_stamp(s.last_transition_s),
        last_refusal=str(s.last_refusal), last_refusal_stamp=to_stamp(s.last_refusal_s),
    )
    _header(m, s.stamp_s)
    return m


# --- control and safety ---------------------------------------------------------------

def command_from_msg(m: lmsg.ControlCommand) -> t.Command:
    return t.Command(
        stamp_s=to_seconds(m.header.stamp), steering_angle_rad=m.steering_angle_rad,
        steering_rate_radps=m.steering_rate_radps, accel_mps2=m.accel_mps2, target_speed_mps=m.target_speed_mps,
        turn_signal=_enum(t.TurnSignal, m.turn_signal, "ControlCommand.turn_signal"), hazard=m.hazard,
        source=_enum(t.CommandSource, m.source, "ControlCommand.source"), engaged=m.engaged,
    )


def command_to_msg(c: t.Command) -> lmsg.ControlCommand:
    m = lmsg.ControlCommand(
        steering_angle_rad=float(c.steering_angle_rad), steering_rate_radps=float(c.steering_rate_radps),
        accel_mps2=float(c.accel_mps2), target_speed_mps=float(c.target_speed_mps), turn_signal=int(c.turn_signal),
        hazard=bool(c.hazard), source=int(c.source), engaged=bool(c.engaged),
    )
    _header(m, c.stamp_s)
    return m


def check_from_msg(m: lmsg.SafetyCheck) -> t.Check:
    return t.Check(name=m.name, value=m.value, limit=m.limit, active=m.active,
                   severity=_enum(t.Severity, m.severity, "SafetyCheck.severity"))


def check_to_msg(c: t.Check) -> lmsg.SafetyCheck:
    return lmsg.SafetyCheck(name=str(c.name), value=float(c.value), limit=float(c.limit), active=bool(c.active),
                            severity=int(c.severity))


def safety_from_msg(m: lmsg.SafetyStatus) -> t.SafetyReport:
    return t.SafetyReport(
        stamp_s=to_seconds(m.header.stamp), level=_enum(t.SafetyLevel, m.level, "SafetyStatus.level"),
        checks=[check_from_msg(c) for c in m.checks], vetoed=m.vetoed, veto_reason=m.veto_reason,
        takeover_level=_enum(t.TakeoverLevel, m.takeover_level, "SafetyStatus.takeover_level"), sequence=m.sequence,
    )


def safety_to_msg(r: t.SafetyReport) -> lmsg.SafetyStatus:
    if not 0 <= int(r.sequence) < 2**64:
        raise ConversionError(f"SafetyReport.sequence={r.sequence} does not fit uint64")
    m = lmsg.SafetyStatus(
        level=int(r.level), checks=[check_to_msg(c) for c in r.checks], vetoed=bool(r.vetoed),
        veto_reason=str(r.veto_reason), takeover_level=int(r.takeover_level), sequence=int(r.sequence),
    )
    _header(m, r.stamp_s)
    return m


def takeover_from_msg(m: lmsg.TakeoverRequest) -> t.TakeoverDemand:
    return t.TakeoverDemand(stamp_s=to_seconds(m.header.stamp),
                            level=_enum(t.TakeoverLevel, m.level, "TakeoverRequest.level"), reason=m.reason,
                            deadline_s=to_seconds(m.deadline))


def takeover_to_msg(d: t.TakeoverDemand) -> lmsg.TakeoverRequest:
    m = lmsg.TakeoverRequest(level=int(d.level), reason=str(d.reason), deadline=to_stamp(d.deadline_s))
    _header(m, d.stamp_s)
    return m


# --- camera -----------------------------------------------------------------------

# encoding -> (channels, cv2 conversion to RGB or None)
_RAW_ENCODINGS: dict[str, tuple[int, int | None]] = {
    "rgb8": (3, None),
    "bgr8": (3, cv2.COLOR_BGR2RGB),
    "mono8": (1, cv2.COLOR_GRAY2RGB),
}


def image_to_rgb(m: Image) -> np.ndarray:
    """sensor_msgs/Image (rgb8, bgr8 or mono8) -> (H, W, 3) uint8 RGB; others raise ConversionError."""
    encoding = m.encoding.lower()
    if encoding not in _RAW_ENCODINGS:
        raise ConversionError(f"image encoding {m.encoding!r} is not supported (use {', '.join(_RAW_ENCODINGS)} "
                              "or a CompressedImage)")
    channels, conversion = _RAW_ENCODINGS[encoding]
    h, w, step = int(m.height), int(m.width), int(m.step)
    if h <= 0 or w <= 0:
        raise ConversionError(f"image size {w}x{h} is empty")
    if step < w * channels:
        raise ConversionError(f"image step {step} is smaller than width*channels = {w * channels}")
    data = np.frombuffer(bytes(m.data), dtype=np.uint8) if not isinstance(m.data, np.ndarray) else m.data
    if data.size != step * h:
        raise ConversionError(f"image data has {data.size} bytes, expected step*height = {step * h}")
    rows = data.reshape(h, step)[:, : w * channels].reshape(h, w, channels)
    if conversion is None:
        return np.ascontiguousarray(rows)
    return cv2.cvtColor(np.ascontiguousarray(rows), conversion)


def rgb_to_image(rgb: np.ndarray, stamp_s: float, frame_id: str = "camera") -> Image:
    """(H, W, 3) uint8 RGB -> sensor_msgs/Image rgb8."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ConversionError(f"expected an (H, W, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}")
    h, w, _ = rgb.shape
    m = Image(height=h, width=w, encoding="rgb8", is_bigendian=0, step=w * 3)
    m.data = np.ascontiguousarray(rgb).tobytes()
    _header(m, stamp_s, frame_id)
    return m


def compressed_to_rgb(m: CompressedImage) -> np.ndarray:
    """sensor_msgs/CompressedImage (any format OpenCV decodes: jpeg, png, ...) -> (H, W, 3) uint8 RGB."""
    if "compresseddepth" in m.format.lower():
        raise ConversionError(f"compressed format {m.format!r} is a depth image, not a camera image")
    data = np.frombuffer(bytes(m.data), dtype=np.uint8) if not isinstance(m.data, np.ndarray) else m.data
    if data.size == 0:
        raise ConversionError("compressed image has no data")
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ConversionError(f"OpenCV cannot decode the compressed image (format {m.format!r}, {data.size} bytes)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def rgb_to_compressed(rgb: np.ndarray, stamp_s: float, frame_id: str = "camera", fmt: str = "jpeg") -> CompressedImage:
    """(H, W, 3) uint8 RGB -> sensor_msgs/CompressedImage (jpeg or png)."""
    ext = {"jpeg": ".jpg", "png": ".png"}.get(fmt)
    if ext is None:
        raise ConversionError(f"compressed format {fmt!r} is not supported (jpeg, png)")
    ok, buf = cv2.imencode(ext, cv2.cvtColor(np.asarray(rgb, dtype=np.uint8), cv2.COLOR_RGB2BGR))
    if not ok:
        raise ConversionError(f"OpenCV cannot encode the image as {fmt}")
    m = CompressedImage(format=f"rgb8; {fmt} compressed bgr8")
    m.data = buf.tobytes()
    _header(m, stamp_s, frame_id)
    return m


_CAMERA_MATRICES = {"d": None, "k": 9, "r": 9, "p": 12}


def camera_info_to_dict(m: CameraInfo) -> dict:
    """sensor_msgs/CameraInfo -> camera dict (its fields as plain Python, as CameraModel.to_camera_info)."""
    k = [float(v) for v in m.k]
    if int(m.width) <= 0 or int(m.height) <= 0:
        raise ConversionError(f"CameraInfo size {m.width}x{m.height} is empty")
    if not all(math.isfinite(v) for v in k) or k[0] <= 0.0 or k[4] <= 0.0:
        raise ConversionError(f"CameraInfo.k has no valid focal lengths: {k}")
    return {
        "frame_id": m.header.frame_id, "width": int(m.width), "height": int(m.height),
        "distortion_model": m.distortion_model, **{name: _floats(getattr(m, name)) for name in _CAMERA_MATRICES},
        "binning_x": int(m.binning_x), "binning_y": int(m.binning_y),
    }


def dict_to_camera_info(cam: dict, stamp_s: float) -> CameraInfo:
    """Camera dict (CameraInfo fields: width, height, k, d, optional r, p, ...) -> sensor_msgs/CameraInfo."""
    try:
        k = _floats(cam["k"])
        m = CameraInfo(width=int(cam["width"]), height=int(cam["height"]),
                       distortion_model=str(cam.get("distortion_model", "plumb_bob")),
                       binning_x=int(cam.get("binning_x", 0)), binning_y=int(cam.get("binning_y", 0)))
        m.d = _floats(cam.get("d", [0.0] * 5))
        m.k = k
        m.r = _floats(cam.get("r", [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]))
        m.p = _floats(cam.get("p", [*k[0:3], 0.0, *k[3:6], 0.0, *k[6:9], 0.0]))
        for name, size in _CAMERA_MATRICES.items():
            if size is not None and len(getattr(m, name)) != size:
                raise ValueError(f"{name} needs {size} values, got {len(getattr(m, name))}")
    except (KeyError, TypeError, ValueError, AssertionError) as err:
        raise ConversionError(f"camera dict cannot be a CameraInfo: {type(err).__name__}: {err}") from err
    _header(m, stamp_s, str(cam.get("frame_id", "camera")))
    return m
