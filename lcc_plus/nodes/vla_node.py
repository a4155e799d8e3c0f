"""vla_node: camera frames through the VLA driving model, VlaAction out.

Inputs: ~/input/image (sensor_msgs/Image: rgb8, bgr8, mono8) or
~/input/image_compressed (sensor_msgs/CompressedImage: any format OpenCV decodes),
both with sensor-data QoS; ~/input/camera_info (CameraInfo: the model remaps the
frames of that camera into its own view); ~/input/vehicle_state (speed and yaw rate
go into the model); ~/input/intent (from the mode manager). Outputs:
~/output/vla_action (lcc_plus/VlaAction, stamped with the source image stamp) and
~/output/debug_image (the frame with the model's lanes, path and lead drawn on it).

Frames land in a single slot; a timer at `process_rate_hz` runs the newest one and
drops it if it is older than `max_frame_age_s`, so the node never works through a
backlog. An image it cannot use (unsupported encoding, wrong buffer size) is
rejected with the reason, counted and reported on /diagnostics.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import rclpy.time
from rclpy.node import Node
from rclpy.qos import QoSHistoryPolicy, QoSProfile, QoSReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image

from lcc_plus.common.params import ParamError
from lcc_plus.common.types import EgoState, Intent, Perception
from lcc_plus.msg import Intent as IntentMsg
from lcc_plus.msg import VehicleState, VlaAction
from lcc_plus.nodes import conversions as conv
from lcc_plus.nodes import topics
from lcc_plus.nodes.input_health import InputHealth
from lcc_plus.nodes.node_config import NODES_YAML, VlaNodeParams
from lcc_plus.nodes.node_params import declare_params
from lcc_plus.nodes.runner import StartupError, run_node
from lcc_plus.sim.camera import CameraModel
from lcc_plus.sim.overlay import draw_perception
from lcc_plus.vla.preprocess import CameraIntrinsics
from lcc_plus.vla.runtime import VlaModelError, VlaParams, VlaRuntime

NAME = "vla_node"

# REP-2003: camera subscribers take best effort, newest only.
SENSOR_QOS = QoSProfile(history=QoSHistoryPolicy.KEEP_LAST, depth=1, reliability=QoSReliabilityPolicy.BEST_EFFORT)


def overlay_camera(cam: dict | None) -> CameraModel:
    """The camera the debug overlay projects through: mount from config/camera.yaml, intrinsics
    from CameraInfo when given (they must describe a >= 640x480 pinhole/plumb_bob camera)."""
    if cam is None:
        return CameraModel.from_config()
    d = list(cam["d"])
    model = "plumb_bob" if cam["distortion_model"] == "plumb_bob" and len(d) == 5 else "none"
    k = cam["k"]
    return CameraModel.from_config({
        "frame_id": cam["frame_id"] or "camera", "width_px": cam["width"], "height_px": cam["height"],
        "fx_px": k[0], "fy_px": k[4], "cx_px": k[2], "cy_px": k[5], "distortion_model": model,
        "distortion_coeffs": d if model == "plumb_bob" else [0.0] * 5})


class FrameHistory:
    """Recent decoded frames, to hand the model frames `gap_s` apart (oldest first)."""

    def __init__(self, num_frames: int, gap_s: float):
        self.num_frames, self.gap_s = num_frames, gap_s
        self._frames: deque[tuple[float, np.ndarray]] = deque()

    def frames_for(self, stamp_s: float, rgb: np.ndarray) -> list[np.ndarray]:
        """The frames to run with `rgb` (taken at `stamp_s`), then remember it."""
        if self._frames and self._frames[-1][0] >= stamp_s:  # time went back (bag loop, clock jump)
            self._frames.clear()
        horizon_s = stamp_s - self.num_frames * self.gap_s - 0.5
        while self._frames and self._frames[0][0] < horizon_s:
            self._frames.popleft()
        chosen = []
        for k in range(self.num_frames - 1, 0, -1):
            target = stamp_s - k * self.gap_s
            best = min(self._frames, key=lambda f: abs(f[0] - target), default=None)
            if best is not None and abs(best[0] - target) <= 0.5 * self.gap_s:
                chosen.append(best[1])
        self._frames.append((stamp_s, rgb))
        return [*chosen, rgb]


class VlaNode(Node):
    def __init__(self, **node_kwargs):
        super().__init__(NAME, **node_kwargs)
        vla_params = declare_params(self, VlaParams, "vla.yaml", NAME)
        self.p = declare_params(self, VlaNodeParams, NODES_YAML, NAME, on_change=self._set_params)
        try:
            self.vla = VlaRuntime.from_params(vla_params)
        except VlaModelError as err:
            raise StartupError(str(err)) from err
        spec = self.vla.input_spec
        self.history = FrameHistory(spec.num_frames, spec.frame_gap_s)
        self.health = InputHealth(self, NAME)
        self.slot: tuple[str, object] | None = None  # (input name, message): newest frame only
        self.camera: CameraIntrinsics | None = None
        self.overlay_camera = overlay_camera(None)
        self.ego: EgoState | None = None
        self.ego_received = None
        self.intent = Intent()
        self.frames_processed = 0
        self.frames_dropped = 0
        self.pub = self.create_publisher(VlaAction, "~/output/vla_action", topics.qos_for(NAME, "~/output/vla_action"))
        self.debug_pub = self.create_publisher(Image, "~/output/debug_image",
                                               topics.qos_for(NAME, "~/output/debug_image"))
        self.create_subscription(Image, "~/input/image", lambda m: self._on_frame("image", m), SENSOR_QOS)
        self.create_subscription(CompressedImage, "~/input/image_compressed",
                                 lambda m: self._on_frame("image_compressed", m), SENSOR_QOS)
        self.health.subscribe(CameraInfo, "camera_info", conv.camera_info_to_dict, self._on_camera_info)
        self.health.subscribe(VehicleState, "vehicle_state", conv.ego_from_msg, self._on_ego, finite=True)
        self.health.subscribe(IntentMsg, "intent", conv.intent_from_msg, self._on_intent)
        self.create_timer(1.0 / self.p.process_rate_hz, self._process)
        self.get_logger().info(f"model {self.vla.model_id} on {self.vla.provider}, {spec.num_frames} frame(s) "
                               f"{spec.frame_gap_s:.3f} s apart")

    def _set_params(self, p: VlaNodeParams) -> None:
        self.p = p

    def _on_frame(self, input_name: str, msg) -> None:
        if self.slot is not None:
            self.frames_dropped += 1  # replaced before its turn: newest wins
        self.slot = (input_name, msg)

    def _on_camera_info(self, cam: dict) -> None:
        intrinsics = CameraIntrinsics(cam["width"], cam["height"], tuple(cam["k"]), tuple(cam["d"]))
        if intrinsics != self.camera:
            self.vla.set_camera(intrinsics)
            self.camera = intrinsics
            try:
                self.overlay_camera = overlay_camera(cam)
            except (ParamError, ValueError) as err:
                self.get_logger().warning(f"debug overlay keeps config/camera.yaml: CameraInfo not usable ({err})")

    def _on_ego(self, ego: EgoState) -> None:
        self.ego, self.ego_received = ego, self.get_clock().now()

    def _on_intent(self, intent: Intent) -> None:
        self.intent = intent

    def _process(self) -> None:
        if self.slot is None:
            return
        input_name, msg = self.slot
        self.slot = None
        now = self.get_clock().now()
        age_s = (now - rclpy.time.Time.from_msg(msg.header.stamp, clock_type=now.clock_type)).nanoseconds * 1e-9
        if age_s > self.p.max_frame_age_s:
            self.frames_dropped += 1
            self.get_logger().warning(f"dropped a frame {age_s:.3f} s old (limit {self.p.max_frame_age_s} s)",
                                      throttle_duration_sec=2.0)
            return
        if self.ego is None or now - self.ego_received > rclpy.time.Duration(seconds=self.p.state_timeout_s):
            self.health.rejected(input_name, f"no vehicle state within {self.p.state_timeout_s} s: frame not run")
            return
        self.health.guard(input_name, self._decode, self._run)(msg)

    @staticmethod
    def _decode(msg) -> tuple[float, np.ndarray]:
        rgb = conv.image_to_rgb(msg) if isinstance(msg, Image) else conv.compressed_to_rgb(msg)
        return conv.to_seconds(msg.header.stamp), rgb

    def _run(self, frame: tuple[float, np.ndarray]) -> None:
        stamp_s, rgb = frame
        perception = self.vla.infer(self.history.frames_for(stamp_s, rgb), self.ego, self.intent, stamp_s=stamp_s)
        self.pub.publish(conv.perception_to_msg(perception))
        self.frames_processed += 1
        if self.p.debug_image and self.frames_processed % self.p.debug_every_n == 0:
            self._publish_debug(stamp_s, rgb, perception)

    def _publish_debug(self, stamp_s: float, rgb: np.ndarray, perception: Perception) -> None:
        if self.debug_pub.get_subscription_count() == 0:
            return
        cam = self.overlay_camera
        if rgb.shape[:2] != (cam.height, cam.width):
            self.get_logger().warning(f"no debug image: frames are {rgb.shape[1]}x{rgb.shape[0]}, the overlay camera "
                                      f"{cam.width}x{cam.height} (send a matching CameraInfo)",
                                      throttle_duration_sec=10.0)
            return
        self.debug_pub.publish(conv.rgb_to_image(draw_perception(rgb, cam, perception, texts=[
            f"{perception.model_id}  conf {perception.confidence:.2f}  {perception.inference_time_ms:.1f} ms"]),
            stamp_s))


def main() -> int:
    return run_node(VlaNode, NAME)
