"""Video writer: MP4 through ffmpeg, GIF fallback, both readable back."""
import imageio.v2 as imageio
import numpy as np
import pytest

from lcc_plus.sim import video
from lcc_plus.sim.video import VideoWriter, write_video


def _frames(n: int, h: int = 480, w: int = 640) -> list[np.ndarray]:
    return [np.full((h, w, 3), 10 + 6 * i, np.uint8) for i in range(n)]


def test_mp4_round_trip(tmp_path):
    path = write_video(tmp_path / "drive.mp4", _frames(20), fps_hz=20.0)
    assert path.suffix == ".mp4"
    frames = [f for f in imageio.get_reader(path)]  # list() trips on the reader's inf length
    assert len(frames) == 20 and frames[0].shape == (480, 640, 3)
    assert abs(float(frames[-1].mean()) - (10 + 6 * 19)) < 4  # lossy, but the content survives


def test_odd_sizes_are_padded_for_h264(tmp_path):
    path = write_video(tmp_path / "odd.mp4", _frames(3, 481, 641), fps_hz=20.0)
    assert imageio.get_reader(path).get_data(0).shape == (482, 642, 3)


def test_gif_is_subsampled_and_shrunk(tmp_path):
    path = write_video(tmp_path / "drive.gif", _frames(20), fps_hz=20.0, gif_fps_hz=10.0, gif_max_width_px=320)
    frames = imageio.mimread(path)
    assert len(frames) == 10 and frames[0].shape[:2] == (240, 320)


def test_mp4_falls_back_to_gif_without_ffmpeg(tmp_path, monkeypatch):
    real = video.imageio.get_writer

    def no_ffmpeg(path, format=None, **kw):
        if format == "FFMPEG":
            raise RuntimeError("ffmpeg not found")
        return real(path, format=format, **kw)

    monkeypatch.setattr(video.imageio, "get_writer", no_ffmpeg)
    with VideoWriter(tmp_path / "drive.mp4", 20.0) as w:
        for f in _frames(4):
            w.append(f)
    assert w.path == tmp_path / "drive.gif" and w.path.exists()
    assert not (tmp_path / "drive.mp4").exists()
    assert len(imageio.mimread(w.path)) == 2


def test_bad_input_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="mp4 or .gif"):
        VideoWriter(tmp_path / "x.avi", 20.0)
    with pytest.raises(ValueError, match="fps"):
        VideoWriter(tmp_path / "x.mp4", 0.0)
    with pytest.raises(ValueError, match="no frames"):
        write_video(tmp_path / "x.mp4", [], 20.0)
    with VideoWriter(tmp_path / "y.mp4", 20.0) as w:
        w.append(_frames(1)[0])
        with pytest.raises(ValueError, match="size changed"):
            w.append(_frames(1, 240, 320)[0])
        with pytest.raises(ValueError, match="uint8"):
            w.append(np.zeros((480, 640, 3), np.float32))
