"""CameraModel: closed-form pinhole cases, clipping, CameraInfo, distortion round trips."""
import math

import cv2
import numpy as np
import pytest

from lcc_plus.common.params import ParamError
from lcc_plus.sim.camera import CameraModel

PINHOLE = {"distortion_model": "none"}
BARREL = {"distortion_model": "plumb_bob", "distortion_coeffs": [-0.10, 0.02, 0.001, -0.001, 0.0]}


@pytest.fixture(scope="module")
def cam() -> CameraModel:
    """A camera with lens distortion, so that every path below exercises it."""
    return CameraModel.from_config(BARREL)


@pytest.fixture(scope="module")
def pinhole() -> CameraModel:
    return CameraModel.from_config(PINHOLE)


@pytest.mark.parametrize("overrides", [PINHOLE, {}, BARREL])
def test_point_on_optical_axis_maps_to_principal_point(overrides):
    cam = CameraModel.from_config(overrides)
    axis_base = cam.r_opt_base[2]  # optical z expressed in base_link
    uv, ok = cam.project_base_link(cam.position_m + 25.0 * axis_base)
    assert ok.all()
    np.testing.assert_allclose(uv[0], [cam.params.cx_px, cam.params.cy_px], atol=1e-9)


@pytest.mark.parametrize("distance_m", [4.0, 10.0, 30.0, 80.0])
def test_ground_point_row_follows_pitch_and_height(pinhole, distance_m):
    p = pinhole.params
    uv, ok = pinhole.ground_to_pixel(np.array([[distance_m, p.mount_y_m]]))
    depression = math.atan2(p.mount_z_m, distance_m - p.mount_x_m) - p.mount_pitch_rad
    assert ok.all()
    assert uv[0, 1] == pytest.approx(p.cy_px + p.fy_px * math.tan(depression), abs=1e-6)
    assert uv[0, 0] == pytest.approx(p.cx_px, abs=1e-6)


def test_lateral_ground_point_column(pinhole):
    p = pinhole.params
    uv, _ = pinhole.ground_to_pixel(np.array([[20.0, 2.0]]))
    # with no roll or yaw, u depends on y over the distance along the optical axis
    forward = (20.0 - p.mount_x_m) * math.cos(p.mount_pitch_rad) + p.mount_z_m * math.sin(p.mount_pitch_rad)
    assert uv[0, 0] == pytest.approx(p.cx_px - p.fx_px * 2.0 / forward, abs=1e-6)


def test_mount_yaw_shifts_a_far_point(pinhole):
    yawed = CameraModel.from_config({**PINHOLE, "mount_yaw_rad": 0.1, "mount_pitch_rad": 0.0})
    uv, ok = yawed.project_base_link(np.array([[1e5, 0.0, yawed.params.mount_z_m]]))
    assert ok.all()
    assert uv[0, 0] == pytest.approx(yawed.params.cx_px + yawed.params.fx_px * math.tan(0.1), abs=1e-3)


def test_points_behind_or_beside_the_camera_are_rejected(cam):
    pts = np.array([[cam.params.mount_x_m - 1.0, 0.0, 0.0],   # behind
                    [cam.params.mount_x_m + 0.05, 0.0, 1.3],  # inside the near plane
                    [cam.params.mount_x_m + 2.0, 50.0, 0.0],  # far outside the field of view
                    [20.0, 0.0, 0.0]])
    uv, ok = cam.project_base_link(pts)
    assert ok.tolist() == [False, False, False, True]
    assert np.isnan(uv[:3]).all() and np.isfinite(uv[3]).all()


def test_camera_info_is_consistent(cam):
    info = cam.to_camera_info()
    assert (info["width"], info["height"]) == (cam.params.width_px, cam.params.height_px)
    assert info["distortion_model"] == "plumb_bob"
    assert len(info["d"]) == 5 and len(info["k"]) == 9 and len(info["r"]) == 9 and len(info["p"]) == 12
    k = np.array(info["k"]).reshape(3, 3)
    p = np.array(info["p"]).reshape(3, 4)
    np.testing.assert_allclose(p[:, :3], k)
    np.testing.assert_allclose(np.array(info["r"]).reshape(3, 3), np.eye(3))
    assert k[0, 0] == cam.params.fx_px and k[1, 2] == cam.params.cy_px
    # P maps optical-frame points to undistorted pixels
    pt = np.array([[12.0, -1.5, 0.0]])
    opt = cam.base_to_optical(pt)[0]
    hom = p @ np.r_[opt, 1.0]
    uv, _ = cam.project_base_link(pt, distort=False)
    np.testing.assert_allclose(hom[:2] / hom[2], uv[0], atol=1e-9)
    # and OpenCV agrees with our plumb_bob implementation
    cv_uv, _ = cv2.projectPoints(opt.reshape(1, 1, 3), np.zeros(3), np.zeros(3), k, np.array(info["d"]))
    np.testing.assert_allclose(cv_uv.reshape(2), cam.project_base_link(pt)[0][0], atol=1e-6)


def test_ground_pixel_round_trip_with_distortion(cam):
    ground = np.array([[5.0, -2.0], [12.0, 1.75], [40.0, -5.0], [90.0, 3.5]])
    uv, ok = cam.ground_to_pixel(ground)
    back, ok_back = cam.pixel_to_ground(uv)
    assert ok.all() and ok_back.all()
    np.testing.assert_allclose(back, ground, rtol=1e-3, atol=1e-3)


def test_pixels_above_horizon_do_not_hit_the_ground(cam):
    _, ok = cam.pixel_to_ground(np.array([[320.0, 5.0], [320.0, 470.0]]))
    assert ok.tolist() == [False, True]


def test_undistort_moves_a_dot_to_its_pinhole_position(cam):
    ground = np.array([[4.5, 1.6]])  # near the lower-left corner, where distortion is largest
    uv_d, _ = cam.ground_to_pixel(ground)
    uv_u, _ = cam.ground_to_pixel(ground, distort=False)
    assert np.hypot(*(uv_d - uv_u)[0]) > 3.0
    img = np.zeros((cam.height, cam.width, 3), np.uint8)
    cv2.circle(img, tuple(int(round(v)) for v in uv_d[0]), 3, (255, 255, 255), -1)
    out = cam.undistort(img)
    ys, xs = np.nonzero(out[:, :, 0] > 100)
    np.testing.assert_allclose([xs.mean(), ys.mean()], uv_u[0], atol=1.0)
    with pytest.raises(ValueError, match="image is"):
        cam.undistort(np.zeros((100, 100, 3), np.uint8))


@pytest.mark.parametrize("overrides, message", [
    ({"cx_px": 900.0}, "principal point"),
    ({"width_px": 320}, "below the minimum"),
    ({"distortion_coeffs": [-0.9, 0.0, 0.0, 0.0, 0.0]}, "folds over"),
    ({"distortion_coeffs": [0.1, 0.0]}, "5 distortion_coeffs"),
])
def test_bad_camera_config_is_rejected(overrides, message):
    overrides = {**BARREL, **overrides}
    with pytest.raises(ParamError, match=message):
        CameraModel.from_config(overrides)


def test_default_camera_is_an_ideal_lens():
    cam = CameraModel.from_config()
    assert not cam.distorted and cam.to_camera_info()["d"] == [0.0] * 5
    img = np.zeros((cam.height, cam.width, 3), np.uint8)
    assert cam.undistort(img) is img
