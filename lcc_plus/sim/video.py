"""Write camera frames to an MP4 (H.264 through imageio-ffmpeg) or, as a fallback, a GIF.

`VideoWriter` streams frames to disk one at a time, so a 1200-frame drive never sits in
memory; `write_video` writes a list. An `.mp4` path falls back to a GIF next to it when
ffmpeg is missing or refuses to start; `.gif` writes a GIF directly. The path actually
written is `VideoWriter.path`.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import cv2
import imageio.v2 as imageio
import numpy as np

log = logging.getLogger(__name__)


class VideoWriter:
    """Streaming writer: `with VideoWriter(path, fps_hz) as w: w.append(frame_rgb)`."""

    def __init__(self, path: str | Path, fps_hz: float, *, gif_max_width_px: int = 480, gif_fps_hz: float = 10.0,
                 quality: int = 7):
        if not fps_hz > 0.0:
            raise ValueError(f"video fps must be positive, got {fps_hz}")
        self.path = Path(path)
        if self.path.suffix.lower() not in (".mp4", ".gif"):
            raise ValueError(f"video path must end in .mp4 or .gif, got {self.path.name}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fps_hz = fps_hz
        self.gif_max_width_px = gif_max_width_px
        self.gif_stride = max(1, int(round(fps_hz / gif_fps_hz)))
        self.quality = quality
        self.frames_written = 0
        self._shape: tuple[int, ...] | None = None
        self._count = 0
        self._writer = None
        self._gif = self.path.suffix.lower() == ".gif"

    def _start_mp4(self, first: np.ndarray) -> bool:
        """Open the ffmpeg writer with the first frame; on failure switch this writer to a GIF."""
        try:
            self._writer = imageio.get_writer(self.path, format="FFMPEG", mode="I", fps=self.fps_hz,
                                              codec="libx264", quality=self.quality, pixelformat="yuv420p",
                                              macro_block_size=1, ffmpeg_log_level="error")
            self._writer.append_data(_even(first))
            return True
        except Exception as err:  # no ffmpeg binary or codec: keep the video as a GIF
            log.warning("cannot write %s with ffmpeg (%s); writing a GIF instead", self.path, err)
            if self._writer is not None:
                try:
                    self._writer.close()
                except Exception as close_err:  # the broken writer may not close cleanly either
                    log.debug("closing the failed ffmpeg writer: %s", close_err)
            self.path.unlink(missing_ok=True)
            self.path = self.path.with_suffix(".gif")
            self._gif = True
            return False

    def append(self, frame_rgb: np.ndarray) -> None:
        """Add one (H, W, 3) uint8 RGB frame; every frame must have the first frame's size."""
        frame = np.asarray(frame_rgb)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"video frames must be (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
        if self._shape is None:
            self._shape = frame.shape
            if not self._gif and self._start_mp4(frame):
                self._count = self.frames_written = 1
                return
            self._writer = imageio.get_writer(self.path, format="GIF", mode="I",
                                              duration=1000.0 * self.gif_stride / self.fps_hz, loop=0)
        elif frame.shape != self._shape:
            raise ValueError(f"video frame size changed from {self._shape} to {frame.shape}")
        index = self._count
        self._count += 1
        if self._gif:
            if index % self.gif_stride:
                return
            h, w = frame.shape[:2]
            if w > self.gif_max_width_px:
                frame = cv2.resize(frame, (self.gif_max_width_px, int(round(h * self.gif_max_width_px / w))),
                                   interpolation=cv2.INTER_AREA)
        else:
            frame = _even(frame)
        self._writer.append_data(frame)
        self.frames_written += 1

    def close(self) -> Path:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.path

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _even(frame: np.ndarray) -> np.ndarray:
    """H.264 with 4:2:0 chroma needs even sizes: repeat the last row/column when odd."""
    h, w = frame.shape[:2]
    if h % 2 or w % 2:
        frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return frame


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps_hz: float, **kwargs) -> Path:
    """Write all frames; returns the path written (a .gif when the MP4 fell back)."""
    with VideoWriter(path, fps_hz, **kwargs) as writer:
        for frame in frames:
            writer.append(frame)
    if writer.frames_written == 0:
        raise ValueError(f"no frames to write to {path}")
    return writer.path
