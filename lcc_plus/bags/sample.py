"""Sample bags from the simulator: camera, CameraInfo, vehicle state, driver input, rear objects,
and the ground-truth perception as a VlaAction (what a perfect model would publish).

The driver model drives (no system command), so the bag is the open-loop input of a
drive. Images are stored raw (rgb8 on /camera/image_raw) or as JPEG (on
/camera/image_raw/compressed, about 40x smaller). Deterministic for a scenario and seed.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from rclpy.serialization import serialize_message
from rosbags.rosbag2 import Writer
from tqdm import tqdm

from lcc_plus.bags.record import BAG_VERSION, STORAGE
from lcc_plus.bags.typestore import typestore
from lcc_plus.common.types import Command
from lcc_plus.nodes import conversions as conv

TOPICS = {
    "image": ("/camera/image_raw", "sensor_msgs/msg/Image"),
    "jpeg": ("/camera/image_raw/compressed", "sensor_msgs/msg/CompressedImage"),
    "camera_info": ("/camera/camera_info", "sensor_msgs/msg/CameraInfo"),
    "ego": ("/vehicle/state", "lcc_plus/msg/VehicleState"),
    "driver": ("/vehicle/driver_input", "lcc_plus/msg/DriverInput"),
    "rear": ("/sensing/rear_objects", "lcc_plus/msg/ObjectList"),
    "perception": ("/lcc/vla_action", "lcc_plus/msg/VlaAction"),
}


def write_sim_bag(out: Path, scenario: str, seed: int = 0, duration_s: float = 5.0, *, storage: str = "mcap",
                  camera: str = "jpeg", camera_every_n: int = 1, progress: bool = True) -> Path:
    """Drive `scenario` for `duration_s` simulated seconds and write the bag to `out`.

    camera: "raw", "jpeg" or "none"; camera_every_n: keep every n-th frame.
    """
    from lcc_plus.sim import scenarios
    from lcc_plus.sim.camera import CameraModel
    from lcc_plus.sim.world import World

    if camera not in ("raw", "jpeg", "none"):
        raise ValueError(f"camera must be raw, jpeg or none, got {camera!r}")
    sc = dataclasses.replace(scenarios.get(scenario), duration_s=duration_s)
    world = World(sc, seed, render=camera != "none")
    info = CameraModel.from_config().to_camera_info()
    store = typestore()
    wanted = [k for k in TOPICS if k not in ("image", "jpeg", "camera_info")]
    if camera != "none":
        wanted += ["image" if camera == "raw" else "jpeg", "camera_info"]
    writer = Writer(out, version=BAG_VERSION, storage_plugin=STORAGE[storage])
    writer.open()
    conns = {k: writer.add_connection(TOPICS[k][0], TOPICS[k][1], typestore=store) for k in wanted}
    steps = int(round(duration_s / world.p.step_s))
    try:
        for i in tqdm(range(steps), desc=f"sample bag {scenario}", disable=not progress):
            if world.done:
                break
            obs = world.observe()
            t = obs.stamp_s
            msgs = {"ego": conv.ego_to_msg(obs.ego),
                    "driver": conv.driver_to_msg(dataclasses.replace(obs.driver, stamp_s=t)),
                    "rear": conv.rear_to_msg(dataclasses.replace(obs.rear, stamp_s=t)),
                    "perception": conv.perception_to_msg(dataclasses.replace(obs.gt, stamp_s=t))}
            if obs.image_rgb is not None and i % camera_every_n == 0:
                msgs["camera_info"] = conv.dict_to_camera_info(info, t)
                if camera == "raw":
                    msgs["image"] = conv.rgb_to_image(obs.image_rgb, t, info["frame_id"])
                else:
                    msgs["jpeg"] = conv.rgb_to_compressed(obs.image_rgb, t, info["frame_id"])
            stamp_ns = round(t * 1e9)
            for key, msg in msgs.items():
                writer.write(conns[key], stamp_ns, serialize_message(msg))
            world.step(Command(stamp_s=t))
    finally:
        writer.close()
    return out
