"""The evaluation video: camera frames with the planned path, lane estimates, leads and mode drawn on."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from lcc_plus.evaluation.params import EvaluationParams


@lru_cache(maxsize=1)
def _camera():
    from lcc_plus.sim.camera import CameraModel

    return CameraModel.from_config()


def annotate(obs, extras, p: EvaluationParams) -> np.ndarray:
    """One video frame: overlays on the camera image, scaled to `video_width_px`."""
    from lcc_plus.sim.overlay import draw_perception, mode_text

    texts = mode_text(extras.status, obs.ego.speed_mps)
    if extras.report.veto_reason:
        texts.append(f"safety: {extras.report.veto_reason}")
    frame = draw_perception(obs.image_rgb, _camera(), extras.perception, trajectory=extras.trajectory, texts=texts)
    h, w = frame.shape[:2]
    if w > p.video_width_px:
        frame = cv2.resize(frame, (p.video_width_px, int(round(h * p.video_width_px / w))),
                           interpolation=cv2.INTER_AREA)
    return frame


def write_video(frames: list[np.ndarray], stem: Path, fps_hz: float) -> Path:
    """MP4 (GIF where ffmpeg is missing) at `stem`.mp4; returns the path written."""
    from lcc_plus.sim.video import write_video as write

    return write(stem.with_suffix(".mp4"), frames, fps_hz)
