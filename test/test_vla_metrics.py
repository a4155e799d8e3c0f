"""Offline path metrics per bend bin: an error in the sharp bends shows there, not diluted by straights."""
from types import SimpleNamespace

import numpy as np
import pytest

from lcc_plus.vla import decode as dec
from lcc_plus.vla import metrics


def _raw_from_stations(x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """Output rows (B, OUTPUT_SIZE) whose geometry is (x_m, y_m) at PATH_S_M, (B, PATH_S_M.size) each,
    at constant speed."""
    raw = np.zeros((len(x_m), dec.OUTPUT_SIZE), np.float32)
    offset = np.stack([x_m - dec.PATH_S_M, y_m], axis=-1) / dec.PATH_XY_SCALE_M[:, None]
    raw[:, dec.LAYOUT.geometry] = offset.reshape(len(x_m), -1)
    return raw


def _data_with_path_ends(ends_y_m: list[float]) -> SimpleNamespace:
    """Labelled samples whose true path is ends_y_m sideways at PATH_CHECK_M (a straight ramp out to it)."""
    y = np.asarray(ends_y_m, float)[:, None] * dec.PATH_S_M / dec.PATH_CHECK_M
    target = _raw_from_stations(np.broadcast_to(dec.PATH_S_M, y.shape), y)
    mask = np.zeros_like(target)
    mask[:, dec.LAYOUT.path] = 1.0
    return SimpleNamespace(target=target, mask=mask, line_type=np.full((len(ends_y_m), 4), -1, np.int64))


def test_path_error_and_speed_bias_are_split_by_how_sharp_the_true_path_turns():
    data = _data_with_path_ends([0.0, 0.5, 3.0, -8.0, 12.0])
    raw = data.target.copy()
    sharp = [3, 4]
    for i in sharp:  # 0.6 m off sideways and 2 m/s too slow, only in the sharp bends
        raw[i, dec.LAYOUT.geometry.start + 1:dec.LAYOUT.geometry.stop:2] += 0.6 / dec.PATH_XY_SCALE_M
        raw[i, dec.LAYOUT.speed] -= 2.0 / dec.PATH_DV_SCALE_MPS
    m = metrics.offline_metrics(raw, data, np.arange(5), 0.3)
    assert (m["path_samples_straight"], m["path_samples_bend"], m["path_samples_sharp"]) == (2, 1, 2)
    assert m["path_lateral_rms_m_mean_straight"] == pytest.approx(0.0, abs=1e-6)
    assert m["path_lateral_rms_m_mean_bend"] == pytest.approx(0.0, abs=1e-6)
    assert m["path_lateral_rms_m_mean_sharp"] == pytest.approx(0.6, abs=1e-5)
    assert m["path_speed_bias_mps_sharp"] == pytest.approx(-2.0, abs=1e-5)
    assert m["path_speed_bias_mps_straight"] == pytest.approx(0.0, abs=1e-6)
    assert m["path_lateral_rms_m_mean"] == pytest.approx(0.24, abs=1e-5)  # the mean over all dilutes it


def test_an_empty_bin_reports_nan_not_zero():
    data = _data_with_path_ends([0.0, 0.2])
    m = metrics.offline_metrics(data.target.copy(), data, np.arange(2), 0.3)
    assert m["path_samples_sharp"] == 0
    assert np.isnan(m["path_lateral_rms_m_mean_sharp"]) and np.isnan(m["path_speed_bias_mps_sharp"])


def _arc_stations(radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    s = dec.PATH_S_M
    return radius_m * np.sin(s / radius_m), radius_m * (1.0 - np.cos(s / radius_m))


def test_a_path_that_knows_the_road_keeps_its_shape_when_only_the_speed_changes():
    speed = np.array([8.0, 10.0, 12.0])
    x, y = _arc_stations(60.0)
    nominal = _raw_from_stations(np.tile(x, (3, 1)), np.tile(y, (3, 1)))
    m = metrics.speed_consistency(nominal, nominal.copy(), speed, 0.8, nominal)
    assert m["path_shape_change_m_speed_x0.8"] < 0.05   # only the interpolation between points
    assert m["path_shape_change_m_speed_x0.8_sharp"] < 0.05


def test_a_path_that_keeps_y_of_t_at_another_speed_is_caught_in_the_bends():
    speed = np.array([8.0, 10.0, 12.0])
    x, y = _arc_stations(60.0)
    nominal = _raw_from_stations(np.tile(x, (3, 1)), np.tile(y, (3, 1)))
    _, y_of_t = dec.path_xy_m(nominal, speed)
    # What a model that keeps y(t) draws at 0.8x the speed: y(t) reached after 0.8x the distance.
    stuck_y = np.stack([np.interp(dec.PATH_S_M, 0.8 * v * dec.PATH_T_S, y_of_t[i]) for i, v in enumerate(speed)])
    stuck = _raw_from_stations(np.tile(x, (3, 1)), stuck_y)
    m = metrics.speed_consistency(nominal, stuck, speed, 0.8, nominal)
    assert m["path_shape_change_m_speed_x0.8_sharp"] > 1.0
