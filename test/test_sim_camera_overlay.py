"""Overlays land where the camera model projects them."""
import numpy as np
import pytest

from lcc_plus.common.types import LaneChangePhase, LaneLine, Lead, LineType, Mode, ModeStatus, Perception
from lcc_plus.sim import overlay
from lcc_plus.sim.camera import CameraModel


@pytest.fixture(scope="module", params=[None, {"distortion_coeffs": [-0.10, 0.02, 0.0, 0.0, 0.0]}],
                ids=["ideal lens", "barrel lens"])
def cam(request) -> CameraModel:
    return CameraModel.from_config(request.param)


@pytest.fixture()
def grey(cam) -> np.ndarray:
    return np.full((cam.height, cam.width, 3), 90, np.uint8)


def _px(cam: CameraModel, x: float, y: float) -> tuple[int, int]:
    uv, ok = cam.ground_to_pixel(np.array([[x, y]]))
    assert ok.all()
    return int(round(uv[0, 0])), int(round(uv[0, 1]))


def test_path_is_drawn_on_the_ground_under_the_path(cam, grey):
    x = np.linspace(0.0, 40.0, 21)
    out = overlay.draw_path(grey, cam, x, np.full_like(x, 1.0))
    assert np.array_equal(grey, np.full_like(grey, 90))  # input untouched
    u, v = _px(cam, 12.0, 1.0)
    assert out[v, u, 1] > out[v, u, 0] + 30  # green on the path
    u, v = _px(cam, 12.0, -2.0)
    assert np.array_equal(out[v, u], grey[v, u])  # nothing beside it


def test_lane_lines_follow_their_polynomial_and_type(cam, grey):
    k = 1.0 / 200.0
    solid = LaneLine(np.array([1.75, 0.0, k, 0.0]), 0.0, 50.0, 0.9, LineType.SOLID)
    dashed = LaneLine(np.array([-1.75, 0.0, k, 0.0]), 0.0, 50.0, 0.9, LineType.DASHED)
    unlikely = LaneLine(np.array([-4.5, 0.0, 0.0, 0.0]), 0.0, 50.0, 0.1, LineType.SOLID)
    out = overlay.draw_lane_lines(grey, cam, [unlikely, solid, dashed])
    xs = np.arange(8.0, 24.0, 0.5)

    def drawn(line: LaneLine, xs: np.ndarray = xs) -> np.ndarray:
        pts = [_px(cam, x, float(line.y_at(x))) for x in xs]
        return np.array([np.any(out[v, u] != 90) for u, v in pts])

    assert drawn(solid).all()
    assert 0.3 < drawn(dashed).mean() < 0.85  # far gaps shrink to a few anti-aliased pixels
    assert not drawn(unlikely, xs[xs > 14.0]).any()


def test_lead_marker_and_text(cam, grey):
    out = overlay.draw_lead(grey, cam, Lead(distance_m=25.0, relative_speed_mps=-2.0, lateral_offset_m=0.0,
                                            probability=0.9))
    u, v = _px(cam, 25.0, 0.9)  # right edge of the 1.8 m wide frame at the ground
    window = out[v - 3:v + 3, u - 3:u + 3].reshape(-1, 3)
    assert np.any((window[:, 0] > 200) & (window[:, 2] < 50))  # yellow frame
    absent = overlay.draw_lead(grey, cam, Lead(distance_m=25.0, probability=0.1))
    assert np.array_equal(absent, grey)


def test_mode_text_and_everything_together(cam, grey):
    status = ModeStatus(mode=Mode.LANE_CHANGE, lane_change_phase=LaneChangePhase.EXECUTE, lane_change_direction=1,
                        last_refusal="gap too small")
    lines = overlay.mode_text(status, speed_mps=25.0)
    assert lines[0].startswith("LANE_CHANGE") and "left" in lines[0] and "90.0 km/h" in lines[1]
    assert "refused" in lines[-1]
    x = np.linspace(0.0, 50.0, 26)
    p = Perception(path_x_m=x, path_y_m=np.zeros_like(x),
                   lane_lines=[LaneLine(np.array([y, 0, 0, 0]), 0.0, 60.0, 0.9, LineType.DASHED)
                               for y in (5.25, 1.75, -1.75, -5.25)],
                   lead=Lead(30.0, 0.0, 0.0, 0.9))
    out = overlay.draw_perception(grey, cam, p, texts=lines)
    assert (out[:40, :120] != 90).any()  # text box
    assert (out[300:] != 90).any()  # ground overlays
    with pytest.raises(ValueError, match="RGB image"):
        overlay.draw_perception(np.zeros((10, 10, 3), np.uint8), cam, p)
