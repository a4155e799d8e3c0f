"""Preprocessing: undistort + crop + resize into the virtual camera, frame stacking, state vector."""
import cv2
import numpy as np
import pytest

from lcc_plus.common.types import EgoState, ForkPreference, Intent, IntentKind
from lcc_plus.vla.preprocess import (
    STATE_SIZE,
    CameraIntrinsics,
    Preprocessor,
    encode_state,
    stack_frames,
    virtual_camera_k,
)

CAM = CameraIntrinsics(640, 480, (520.0, 0.0, 320.0, 0.0, 520.0, 240.0, 0.0, 0.0, 1.0),
                       (-0.10, 0.02, 0.0, 0.0, 0.0))
OUT_W, OUT_H = 192, 96


def _blob_image(cam: CameraIntrinsics, xy_norm: np.ndarray) -> np.ndarray:
    """A black frame with a bright disc where the (undistorted) normalised point lands."""
    uv = cv2.projectPoints(np.array([[xy_norm[0], xy_norm[1], 1.0]]), np.zeros(3), np.zeros(3),
                           cam.matrix, np.asarray(cam.d))[0].reshape(2)
    img = np.zeros((cam.height, cam.width, 3), np.uint8)
    scale = cam.width / 640
    cv2.circle(img, (int(round(uv[0] * 16)), int(round(uv[1] * 16))), int(9 * scale * 16), (255, 255, 255), -1,
               lineType=cv2.LINE_AA, shift=4)
    return img


def _centroid(img: np.ndarray) -> np.ndarray:
    w = img[..., 0].astype(float)
    v, u = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    return np.array([(w * u).sum() / w.sum(), (w * v).sum() / w.sum()])


@pytest.mark.parametrize("xy_norm", [(0.0, 0.1), (-0.45, 0.3), (0.5, 0.2)])
def test_points_land_where_the_virtual_camera_says(xy_norm):
    k = virtual_camera_k(CAM, 0.35, 0.95, OUT_W, OUT_H)
    pre = Preprocessor(CAM, k, OUT_W, OUT_H)
    out = pre.frame(_blob_image(CAM, np.array(xy_norm)))
    assert out.shape == (OUT_H, OUT_W, 3) and out.dtype == np.uint8
    expected = (k @ np.array([xy_norm[0], xy_norm[1], 1.0]))[:2]
    # Off-centre points move by several source pixels under this distortion; undistortion must undo it.
    np.testing.assert_allclose(_centroid(out), expected, atol=0.35)


def test_a_scaled_readout_of_the_same_camera_gives_the_same_view():
    k = virtual_camera_k(CAM, 0.35, 0.95, OUT_W, OUT_H)
    pre = Preprocessor(CAM, k, OUT_W, OUT_H)
    small_cam = CAM.scaled_to(320, 240)
    xy = np.array([0.3, 0.25])
    a = _centroid(pre.frame(_blob_image(CAM, xy)))
    b = _centroid(pre.frame(_blob_image(small_cam, xy)))
    np.testing.assert_allclose(a, b, atol=0.5)


@pytest.mark.parametrize("img, match", [
    (np.zeros((480, 640), np.uint8), "RGB image"),
    (np.zeros((480, 640, 3), np.float32), "uint8"),
    ("not an image", "RGB image"),
])
def test_bad_frames_are_refused(img, match):
    pre = Preprocessor(CAM, virtual_camera_k(CAM, 0.35, 0.95, OUT_W, OUT_H), OUT_W, OUT_H)
    with pytest.raises(ValueError, match=match):
        pre.frame(img)


def test_bad_crop_is_refused():
    with pytest.raises(ValueError, match="crop"):
        virtual_camera_k(CAM, 0.6, 0.5, OUT_W, OUT_H)


def test_stack_frames_orders_channels_and_repeats_the_oldest():
    a = np.full((4, 8, 3), 1, np.uint8)
    b = np.full((4, 8, 3), 2, np.uint8)
    c = np.full((4, 8, 3), 3, np.uint8)
    two = stack_frames([a, b, c], 2)
    assert two.shape == (1, 6, 4, 8)
    assert two[0, :3].max() == 2 and two[0, 3:].max() == 3
    one = stack_frames([c], 2)
    assert one[0, :3].max() == 3 and one[0, 3:].max() == 3
    with pytest.raises(ValueError, match="no camera frame"):
        stack_frames([], 2)


def test_state_vector():
    v = encode_state(EgoState(speed_mps=15.0, yaw_rate_radps=-0.25),
                     Intent(intent=IntentKind.CHANGE_RIGHT, fork_preference=ForkPreference.MAIN))
    assert v.shape == (1, STATE_SIZE) and v.dtype == np.float32
    np.testing.assert_allclose(v[0, :2], [0.5, -0.5])
    assert v[0, 2:5].tolist() == [0.0, 0.0, 1.0]
    assert v[0, 5:].tolist() == [0.0, 1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="finite"):
        encode_state(EgoState(speed_mps=float("nan")), Intent())
