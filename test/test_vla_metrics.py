"""Offline path metrics per bend bin: an error in the sharp bends shows there, not diluted by straights."""
from types import SimpleNamespace

import numpy as np
import pytest

from lcc_plus.vla import decode as dec
from lcc_plus.vla import metrics

N = dec.PATH_T_S.size


def _data_with_path_ends(ends_y_m: list[float]) -> SimpleNamespace:
    """Labelled samples whose true path ends ends_y_m sideways after 5 s (a straight ramp out to it)."""
    target = np.zeros((len(ends_y_m), dec.OUTPUT_SIZE), np.float32)
    mask = np.zeros_like(target)
    for i, y_end in enumerate(ends_y_m):
        path = np.zeros((N, 3), np.float32)
        path[:, 1] = np.linspace(0.0, y_end, N) / dec.PATH_Y_SCALE_M
        target[i, dec.LAYOUT.path] = path.ravel()
        mask[i, dec.LAYOUT.path] = 1.0
    return SimpleNamespace(target=target, mask=mask, line_type=np.full((len(ends_y_m), 4), -1, np.int64))


def test_path_error_and_speed_bias_are_split_by_how_sharp_the_true_path_turns():
    data = _data_with_path_ends([0.0, 0.5, 3.0, -8.0, 12.0])
    raw = data.target.copy()
    sharp = [3, 4]
    for i in sharp:  # 0.6 m off sideways and 2 m/s too slow, only in the sharp bends
        path = raw[i, dec.LAYOUT.path].reshape(N, 3)
        path[:, 1] += 0.6 / dec.PATH_Y_SCALE_M
        path[:, 2] -= 2.0 / dec.PATH_DV_SCALE_MPS
        raw[i, dec.LAYOUT.path] = path.ravel()
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


def _arc_raw(speed_mps: np.ndarray, radius_m: float, lateral_of_t: np.ndarray | None = None) -> np.ndarray:
    """Raw outputs whose paths drive a left arc of `radius_m` at constant speed; `lateral_of_t`
    replaces y(t) (a model that keeps y(t) whatever the speed)."""
    raw = np.zeros((len(speed_mps), dec.OUTPUT_SIZE), np.float32)
    for i, v in enumerate(speed_mps):
        s = v * dec.PATH_T_S
        x, y = radius_m * np.sin(s / radius_m), radius_m * (1.0 - np.cos(s / radius_m))
        if lateral_of_t is not None:
            y = lateral_of_t[i]
        path = np.stack([(x - v * dec.PATH_T_S) / dec.PATH_DX_SCALE_M, y / dec.PATH_Y_SCALE_M,
                         np.zeros_like(x)], axis=1)
        raw[i, dec.LAYOUT.path] = path.ravel()
    return raw


def test_a_path_that_knows_the_road_keeps_its_shape_when_only_the_speed_changes():
    speed = np.array([8.0, 10.0, 12.0])
    nominal = _arc_raw(speed, 60.0)
    m = metrics.speed_consistency(nominal, _arc_raw(0.8 * speed, 60.0), speed, 0.8, nominal)
    assert m["path_shape_change_m_speed_x0.8"] < 0.05   # only the linear interpolation between points
    assert m["path_shape_change_m_speed_x0.8_sharp"] < 0.05


def test_a_path_that_keeps_y_of_t_at_another_speed_is_caught_in_the_bends():
    speed = np.array([8.0, 10.0, 12.0])
    nominal = _arc_raw(speed, 60.0)
    _, y_nominal = dec.path_xy_m(nominal, speed)
    stuck = _arc_raw(0.8 * speed, 60.0, lateral_of_t=y_nominal)
    m = metrics.speed_consistency(nominal, stuck, speed, 0.8, nominal)
    assert m["path_shape_change_m_speed_x0.8_sharp"] > 1.0
