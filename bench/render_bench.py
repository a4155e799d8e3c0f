"""Camera renderer speed on one core: ms per frame (p50 / p95) along a drive.

Drives the ego along a 3-lane highway with traffic and along a narrow curbed road with
parked cars, rendering every 20 Hz frame, for the neutral and the randomized appearance
at 640x480 and 1280x720. Writes bench/results/render.md.

    scripts/in_env.sh python bench/render_bench.py [--frames 300]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import dataclasses
import platform
import time
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from lcc_plus.sim.appearance import Appearance
from lcc_plus.sim.camera import CameraModel
from lcc_plus.sim.camera_scenes import CarOnLane, road_scene
from lcc_plus.sim.overlay import draw_perception
from lcc_plus.sim.render import Renderer
from lcc_plus.sim.scene import BoundaryKind, Pose2D, Scene

RATE_HZ = 20.0
SCENARIO_S = 60.0
CAMERAS = {
    "640x480": {},
    "640x480 barrel lens": {"distortion_coeffs": [-0.10, 0.02, 0.0, 0.0, 0.0]},
    "1280x720": {"width_px": 1280, "height_px": 720, "fx_px": 1040.0, "fy_px": 1040.0, "cx_px": 640.0,
                 "cy_px": 360.0},
}


def highway() -> tuple[Scene, float]:
    cars = [CarOnLane(lane=i % 3, s_m=60.0 + 35.0 * i, color_rgb=((200, 30, 30), (40, 60, 170), (210, 210, 210))[i % 3])
            for i in range(40)]
    return road_scene(lanes=3, length_m=1600.0, curvature_1pm=1.0 / 2500.0, ego_lane=1, cars=cars), 25.0


def small_road() -> tuple[Scene, float]:
    k = BoundaryKind
    cars = [CarOnLane(lane=0, s_m=50.0 + 60.0 * i, color_rgb=(60, 120, 60)) for i in range(6)]
    cars += [CarOnLane(lane=1, s_m=80.0 + 70.0 * i, color_rgb=(220, 200, 40), oncoming=True) for i in range(5)]
    scene = road_scene(lanes=2, lane_width_m=3.0, length_m=500.0, curvature_1pm=1.0 / 120.0,
                       kinds=[k.CURBSTONE, k.DASHED, k.ROAD_BORDER], colors=["white", "yellow", "white"],
                       wear=[0.0, 0.4, 0.0], dash_m=(3.0, 3.0), cars=cars)
    return scene, 12.0


def ego_poses(scene: Scene, speed_mps: float, frames: int) -> list[Pose2D]:
    """Poses along the road: the ego rides the reference offset of its start, advancing speed/rate per frame."""
    ref = scene.boundaries[0].points_xy
    start = np.argmin(np.hypot(*(ref - (scene.ego.x_m, scene.ego.y_m)).T))
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(ref, axis=0).T))])
    lateral = np.hypot(scene.ego.x_m - ref[start, 0], scene.ego.y_m - ref[start, 1])
    poses = []
    for i in range(frames):
        at = s[start] + i * speed_mps / RATE_HZ
        j = min(int(np.searchsorted(s, at)), len(ref) - 2)
        d = ref[j + 1] - ref[j]
        yaw = float(np.arctan2(d[1], d[0]))
        p = np.interp(at, s, ref[:, 0]), np.interp(at, s, ref[:, 1])
        poses.append(Pose2D(p[0] - np.sin(yaw) * lateral, p[1] + np.cos(yaw) * lateral, yaw))
    return poses


def time_drive(renderer: Renderer, scene: Scene, poses: list[Pose2D], randomized: bool,
               desc: str) -> tuple[np.ndarray, np.ndarray]:
    """(CPU ms, wall ms) per frame; CPU time of this thread is what one core spends, whatever the load."""
    rng = np.random.default_rng(1)
    renderer.render(dataclasses.replace(scene, ego=poses[0]))  # build the per-camera caches first
    cpu, wall = [], []
    for i, pose in enumerate(tqdm(poses, desc=desc, leave=False, mininterval=2.0)):
        # a new random look every 50 frames, so the sample spans many looks
        if randomized and i % 50 == 0:
            look = Appearance.randomized(rng)
        elif not randomized:
            look = Appearance()
        frame_scene = dataclasses.replace(scene, ego=pose)
        c0, t0 = time.thread_time(), time.perf_counter()
        renderer.render(frame_scene, look, rng)
        cpu.append(1e3 * (time.thread_time() - c0))
        wall.append(1e3 * (time.perf_counter() - t0))
    return np.asarray(cpu), np.asarray(wall)


def time_call(fn, n: int) -> float:
    """Mean CPU ms of this thread per call."""
    fn()
    t0 = time.thread_time()
    for _ in range(n):
        fn()
    return 1e3 * (time.thread_time() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=400, help="frames per drive")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "render.md")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    rows = []
    for size, overrides in CAMERAS.items():
        renderer = Renderer(CameraModel.from_config(overrides))
        for road_name, make in (("highway, 3 lanes, 40 cars", highway), ("small curbed road R=120 m", small_road)):
            scene, speed = make()
            poses = ego_poses(scene, speed, args.frames)
            for randomized in (False, True):
                cpu, wall = time_drive(renderer, scene, poses, randomized, f"{size} {road_name[:8]} rnd={randomized}")
                rows.append((size, road_name, "randomized" if randomized else "default",
                             *np.percentile(cpu, [50, 95]), *np.percentile(wall, [50, 95])))
    cam = CameraModel.from_config()
    renderer = Renderer(cam)
    scene, _ = highway()
    img = renderer.render(scene)
    from lcc_plus.common.types import LaneLine, Lead, LineType, Perception

    x = np.linspace(0.0, 60.0, 31)
    perception = Perception(path_x_m=x, path_y_m=0.0 * x, lead=Lead(35.0, 0.0, 0.0, 0.9),
                            lane_lines=[LaneLine(np.array([y, 0, 0, 0]), 0.0, 60.0, 0.9, LineType.DASHED)
                                        for y in (5.25, 1.75, -1.75, -5.25)])
    overlay_ms = time_call(lambda: draw_perception(img, cam, perception, texts=["LANE_KEEP", "90 km/h"]), 50)

    worst_p50 = max(r[3] for r in rows if r[0] == "640x480")
    lens = CameraModel.from_config(CAMERAS["640x480 barrel lens"])
    lens_img = Renderer(lens).render(scene)
    undistort_ms = time_call(lambda: lens.undistort(lens_img), 50)
    lines = [
        "# Camera renderer benchmark",
        "",
        f"`scripts/in_env.sh python bench/render_bench.py --frames {args.frames}`: one core "
        "(`cv2.setNumThreads(1)`, OMP/BLAS 1 thread), 20 Hz drives, timing `Renderer.render` only.",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores shared with other jobs "
        f"(load average at the end {os.getloadavg()[0]:.1f}), Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__}.",
        "",
        "CPU ms is this thread's CPU time per frame (one core's work); wall ms includes waiting for the",
        "shared CPU and is the noisier of the two.",
        "",
        "| camera | road | appearance | CPU p50 ms | CPU p95 ms | wall p50 ms | wall p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d:.2f} | {e:.2f} | {f:.2f} | {g:.2f} |" for a, b, c, d, e, f, g in rows]
    lines += [
        "",
        f"A {SCENARIO_S:.0f} s scenario at {RATE_HZ:.0f} Hz is {int(SCENARIO_S * RATE_HZ)} frames: at the slowest "
        f"640x480 CPU p50 ({worst_p50:.1f} ms) it renders in {worst_p50 * SCENARIO_S * RATE_HZ / 1e3:.1f} s, "
        f"{SCENARIO_S / (worst_p50 * SCENARIO_S * RATE_HZ / 1e3):.1f}x faster than real time.",
        "",
        f"Other per-frame costs at 640x480: `CameraModel.undistort` of the barrel lens {undistort_ms:.2f} ms "
        "(a no-op for the default ideal lens), "
        f"`overlay.draw_perception` (path, 4 lane lines, lead, text) {overlay_ms:.2f} ms.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
