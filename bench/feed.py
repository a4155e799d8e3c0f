"""Bench publisher process: pre-rendered camera frames plus vehicle inputs at their rates.

    python -m bench.feed --size 640x480 --rate-hz 30 --cameras 1 --stamps-out FILE [--frames-cache DIR]

Publishes, until SIGTERM or SIGINT:
  camera k (k = 0 on /camera/image_raw and /camera/camera_info, k >= 1 on
  /bench/camera_<k>/image_raw and .../camera_info) at `--rate-hz`, rgb8, stamped with
  the ROS time of publishing; the cameras are spread evenly over one period;
  /vehicle/state at 50 Hz (20 m/s straight), /vehicle/driver_input at 50 Hz (hands on,
  eyes on road, an `engage` press of one message every 0.4 s) and
  /sensing/rear_objects at 20 Hz (radar available, nothing behind).
The rates are those the safety monitor's watchdog expects (config/safety.yaml
period_*_s). Frames are rendered once by the simulator renderer (a drive along a
curved three-lane road behind a lead car) and cached, so no rendering happens while
publishing. On exit the stamps of every published frame go to `--stamps-out` (JSON).
"""
from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from pathlib import Path

import numpy as np

STATE_RATE_HZ = 50.0
DRIVER_RATE_HZ = 50.0
REAR_RATE_HZ = 20.0
ENGAGE_EVERY_N = 20  # driver messages between two presses of the engage button (0.4 s at 50 Hz)
SPEED_MPS = 20.0
FRAMES = 40  # frames per loop of the drive


def camera_topics(k: int) -> tuple[str, str]:
    """(image topic, camera_info topic) of camera `k`."""
    base = "/camera" if k == 0 else f"/bench/camera_{k}"
    return f"{base}/image_raw", f"{base}/camera_info"


def camera_overrides(size: str) -> dict:
    """config/camera.yaml overrides for a `WxH` image: the configured lens and horizontal field of view,
    principal point in the centre (1280x720 gives fx 1040 px, as in bench/render_bench.py)."""
    from lcc_plus.sim.camera import CameraModel

    try:
        w, h = (int(v) for v in size.split("x"))
    except ValueError:
        raise SystemExit(f"bench.feed: size must read WxH (e.g. 640x480), got {size!r}") from None
    base = CameraModel.from_config()
    f = base.params.fx_px * w / base.width
    return {"width_px": w, "height_px": h, "fx_px": f, "fy_px": f, "cx_px": w / 2.0, "cy_px": h / 2.0}


def frames(size: str, rate_hz: float, cache_dir: Path | None) -> np.ndarray:
    """(FRAMES, H, W, 3) uint8: the drive at SPEED_MPS seen at `rate_hz`, rendered or from the cache."""
    cache = cache_dir / f"frames_{size}_{rate_hz:g}hz.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        return np.load(cache)
    from lcc_plus.sim.camera_scenes import CarOnLane, road_scene
    from lcc_plus.sim.render import Renderer

    renderer = Renderer.from_config(camera_overrides(size))
    step_m = SPEED_MPS / rate_hz
    out = np.stack([renderer.render(road_scene(lanes=3, ego_lane=1, curvature_1pm=0.002, ego_s_m=20.0 + i * step_m,
                                               cars=(CarOnLane(lane=1, s_m=60.0 + i * step_m),)))
                    for i in range(FRAMES)])
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, out)
    return out


class Feed:
    """The publishers and their schedule; `run()` publishes until `stop` is set."""

    def __init__(self, node, images: np.ndarray, size: str, rate_hz: float, cameras: int):
        from lcc_plus.msg import DriverInput, ObjectList, VehicleState
        from sensor_msgs.msg import CameraInfo, Image

        from lcc_plus.common.types import DriverControls, EgoState, RearSensing
        from lcc_plus.nodes import conversions as conv
        from lcc_plus.nodes.topics import qos_profile
        from lcc_plus.sim.camera import CameraModel

        self.node, self.conv = node, conv
        self.stop = threading.Event()
        info = CameraModel.from_config(camera_overrides(size)).to_camera_info()
        # One message per frame, built once: publishing only sets the stamp.
        self.image_msgs = [conv.rgb_to_image(f, 0.0, info["frame_id"]) for f in images]
        self.info_msg = conv.dict_to_camera_info(info, 0.0)
        self.stamps_ns: dict[int, list[int]] = {k: [] for k in range(cameras)}
        self.late = 0
        self.state_msg = conv.ego_to_msg(EgoState(speed_mps=SPEED_MPS))
        self.driver = DriverControls(hands_on=True, eyes_on_road=True, set_speed_mps=SPEED_MPS)
        self.rear_msg = conv.rear_to_msg(RearSensing(available=True))
        self._driver_count = 0
        self.cam_pubs = []
        for k in range(cameras):
            image_topic, info_topic = camera_topics(k)
            self.cam_pubs.append((node.create_publisher(Image, image_topic, qos_profile("camera/image_raw")),
                                  node.create_publisher(CameraInfo, info_topic, qos_profile("camera/camera_info"))))
        self.state_pub = node.create_publisher(VehicleState, "/vehicle/state", qos_profile("vehicle/state"))
        self.driver_pub = node.create_publisher(DriverInput, "/vehicle/driver_input",
                                                qos_profile("vehicle/driver_input"))
        self.rear_pub = node.create_publisher(ObjectList, "/sensing/rear_objects",
                                              qos_profile("sensing/rear_objects"))
        period = 1.0 / rate_hz
        # (period s, phase s, action)
        self.schedule = [(period, k * period / cameras, lambda k=k: self._camera(k)) for k in range(cameras)]
        self.schedule += [(1.0 / STATE_RATE_HZ, 0.0, self._state), (1.0 / DRIVER_RATE_HZ, 0.001, self._driver),
                          (1.0 / REAR_RATE_HZ, 0.002, self._rear)]

    def _now(self):
        return self.node.get_clock().now()

    def _camera(self, k: int) -> None:
        now = self._now()
        stamps = self.stamps_ns[k]
        msg = self.image_msgs[len(stamps) % len(self.image_msgs)]
        msg.header.stamp = self.info_msg.header.stamp = now.to_msg()
        image_pub, info_pub = self.cam_pubs[k]
        image_pub.publish(msg)
        info_pub.publish(self.info_msg)
        stamps.append(now.nanoseconds)

    def _state(self) -> None:
        self.state_msg.header.stamp = self._now().to_msg()
        self.state_pub.publish(self.state_msg)

    def _driver(self) -> None:
        self._driver_count += 1
        self.driver.engage_request = self._driver_count % ENGAGE_EVERY_N == 0
        self.driver.stamp_s = self._now().nanoseconds * 1e-9
        self.driver_pub.publish(self.conv.driver_to_msg(self.driver))

    def _rear(self) -> None:
        self.rear_msg.header.stamp = self._now().to_msg()
        self.rear_pub.publish(self.rear_msg)

    def run(self) -> None:
        """Publish on schedule; an action more than half a period late is counted and re-phased."""
        t0 = time.monotonic()
        due = [t0 + phase for _, phase, _ in self.schedule]
        while not self.stop.is_set():
            i = int(np.argmin(due))
            wait = due[i] - time.monotonic()
            if wait > 0:
                self.stop.wait(wait)
                continue
            period, _, action = self.schedule[i]
            action()
            due[i] += period
            if time.monotonic() - due[i] > 0.5 * period:
                self.late += 1
                due[i] = time.monotonic() + period


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--rate-hz", type=float, default=30.0)
    ap.add_argument("--cameras", type=int, default=1)
    ap.add_argument("--stamps-out", type=Path, required=True)
    ap.add_argument("--frames-cache", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.cameras < 1 or args.rate_hz <= 0:
        raise SystemExit("bench.feed: --cameras must be >= 1 and --rate-hz > 0")
    images = frames(args.size, args.rate_hz, args.frames_cache)

    import rclpy
    from rclpy.signals import SignalHandlerOptions

    rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
    node = rclpy.create_node("bench_feed")
    feed = Feed(node, images, args.size, args.rate_hz, args.cameras)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: feed.stop.set())
    try:
        feed.run()
    finally:
        args.stamps_out.write_text(json.dumps({"cameras": {str(k): v for k, v in feed.stamps_ns.items()},
                                               "late": feed.late}))
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
