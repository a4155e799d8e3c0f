"""`lcc-plus demo`: the whole node graph driving the built-in simulator, over real DDS.

Starts vla_node, mode_manager, controller, safety_monitor and the simulator as
separate processes (as `lcc-plus up --sim`), records the VLA node's debug image
with the mode manager's status into a video, and when the scenario ends prints
the KPIs and the paths of the report (report.md, report.json) and the video.
Exits 0 when the drive completes, non-zero if a node dies on the way.
"""
from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

from lcc_plus.launcher import up

DEFAULT_OUT = "out/demo"
VIDEO_FPS_HZ = 10.0  # the VLA node's debug image rate at real time (nodes.yaml debug_every_n)


class DebugVideoRecorder:
    """An rclpy node in this process: debug images + mode text -> MP4 (GIF without ffmpeg)."""

    def __init__(self, path: Path):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSHistoryPolicy, QoSProfile, QoSReliabilityPolicy
        from sensor_msgs.msg import Image

        from lcc_plus.msg import ModeState
        from lcc_plus.nodes import topics
        from lcc_plus.sim.video import VideoWriter

        self._context = rclpy.Context()
        rclpy.init(args=["lcc-plus-demo"], context=self._context,
                   signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
        self.node = rclpy.create_node("lcc_plus_demo_recorder", context=self._context)
        self.writer = VideoWriter(path, VIDEO_FPS_HZ)
        self.frames = 0
        self.mode = None
        self._lock = threading.Lock()
        qos = QoSProfile(history=QoSHistoryPolicy.KEEP_LAST, depth=5, reliability=QoSReliabilityPolicy.BEST_EFFORT)
        self.node.create_subscription(Image, "/lcc/debug/image", self._on_image, qos)
        self.node.create_subscription(ModeState, "/lcc/mode", self._on_mode, topics.qos_profile("lcc/mode"))
        self._executor = SingleThreadedExecutor(context=self._context)
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        from rclpy.executors import ExternalShutdownException

        try:
            self._executor.spin()
        except ExternalShutdownException:
            pass

    def _on_mode(self, msg) -> None:
        from lcc_plus.nodes.conversions import ConversionError, mode_from_msg

        try:
            self.mode = mode_from_msg(msg)
        except ConversionError:
            self.mode = None

    def _on_image(self, msg) -> None:
        from lcc_plus.nodes.conversions import ConversionError, image_to_rgb
        from lcc_plus.sim.overlay import draw_text, mode_text

        try:
            rgb = image_to_rgb(msg)
        except ConversionError:
            return
        if self.mode is not None:
            rgb = draw_text(rgb, mode_text(self.mode), origin_px=(8, rgb.shape[0] - 60))
        with self._lock:
            self.writer.append(rgb)
            self.frames += 1

    def close(self) -> Path | None:
        self._executor.shutdown(timeout_sec=2.0)
        self._context.try_shutdown()
        self._thread.join(timeout=5.0)
        with self._lock:
            return self.writer.close() if self.frames else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    up.add_arguments(parser)
    parser.add_argument("--out", default=DEFAULT_OUT, help="folder for the report and the video")
    parser.add_argument("--no-video", action="store_true", help="do not record the debug video")


def run(args: argparse.Namespace) -> int:
    from lcc_plus.nodes.sim_node import kpi_line

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    args.sim, args.report_dir = True, str(out)
    supervisor = up.supervisor(args)
    recorder = None if args.no_video else DebugVideoRecorder(out / "demo.mp4")
    try:
        rc = supervisor.run()
    finally:
        video = recorder.close() if recorder is not None else None
    report_json = out / "report.json"
    if rc != 0 or not report_json.is_file():
        print(f"lcc-plus demo: the drive did not complete (status {rc}); see the node logs above")
        return rc or 1
    report = json.loads(report_json.read_text())
    run_entry = report["runs"][0]
    print(f"\nlcc-plus demo: {run_entry['scenario']} (seed {run_entry['seed']}) completed")
    print(f"  KPIs:   {kpi_line(run_entry['kpis'])}")
    print(f"  report: {out / 'report.md'}")
    print(f"  video:  {video if video else 'none (no debug image received)'}")
    return 0
