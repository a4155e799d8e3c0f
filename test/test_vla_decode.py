"""Output layout: label encoding and decoding are inverse; malformed raw output is refused."""
import numpy as np
import pytest

from lcc_plus.common.types import (
    LEAD_RANGE_M,
    LINE_EGO_LEFT,
    LINE_EGO_RIGHT,
    LINE_LEFT_OUTER,
    LINE_RANGE_MAX_M,
    LINE_RIGHT_OUTER,
    EgoState,
    ForkPreference,
    Intent,
    IntentKind,
    LaneLine,
    Lead,
    LineType,
    Perception,
)
from lcc_plus.safety import validation
from lcc_plus.safety.params import load_safety_params
from lcc_plus.vla import decode as dec


def _arc(speed_mps: float, radius_m: float, t_end_s: float = 6.0) -> tuple[np.ndarray, ...]:
    """(t, x, y, speed) of a drive along a left arc, braking at 0.3 m/s^2 (positions from the speeds)."""
    t = np.linspace(0.0, t_end_s, int(round(t_end_s * 20)) + 1)
    s = speed_mps * t - 0.15 * t * t
    return t, radius_m * np.sin(s / radius_m), 0.1 + radius_m * (1.0 - np.cos(s / radius_m)), speed_mps - 0.3 * t


def _ground_truth(speed_mps: float, radius_m: float = 200.0) -> Perception:
    t, x, y, v = _arc(speed_mps, radius_m)
    curvature = 1.0 / 200.0
    lines = [LaneLine(np.array([y0, 0.01, curvature / 2, 1e-5]), 0.0, 60.0, 1.0, lt)
             for y0, lt in ((5.25, LineType.SOLID), (1.75, LineType.DASHED), (-1.75, LineType.DASHED))]
    lines.append(LaneLine(np.zeros(4), 0.0, 0.0, 0.0, LineType.UNKNOWN))  # no right adjacent lane
    return Perception(
        path_t_s=t, path_x_m=x, path_y_m=y, path_speed_mps=v,
        lane_lines=lines, lead=Lead(42.0, -3.0, 0.2, 1.0), lead_left=Lead(0.0, 0.0, 0.0, 0.0),
        lead_right=Lead(0.0, 0.0, 0.0, 0.0), lane_change_progress=0.25)


def _line_ahead(radius_m: float) -> np.ndarray:
    """The arc at PATH_S_M (what ground_truth.driving_line_ahead gives the labels)."""
    s = dec.PATH_S_M
    return np.stack([radius_m * np.sin(s / radius_m), 0.1 + radius_m * (1.0 - np.cos(s / radius_m))], axis=1)


def test_round_trip_recovers_the_ground_truth():
    ego = EgoState(stamp_s=7.0, speed_mps=20.0)
    gt = _ground_truth(20.0)
    intent = Intent(intent=IntentKind.CHANGE_LEFT, fork_preference=ForkPreference.RIGHT)
    p = dec.decode(dec.encode_raw(gt, ego, confidence=0.8), ego, intent, stamp_s=7.0, model_id="m@1234")
    assert p.path_t_s.size >= 10 and p.path_t_s[-1] >= 4.0
    x, y, s = dec.resample_path(gt)
    # The geometry's stations are up to 20 m apart: the curve between them is a cubic, not the arc.
    np.testing.assert_allclose(p.path_x_m, x, atol=5e-3)
    np.testing.assert_allclose(p.path_y_m, y, atol=5e-3)
    np.testing.assert_allclose(p.path_speed_mps, s, atol=1e-5)
    xs = np.linspace(0.0, 45.0, 10)
    for i in (LINE_LEFT_OUTER, LINE_EGO_LEFT, LINE_EGO_RIGHT):
        np.testing.assert_allclose(p.lane_lines[i].y_at(xs), gt.lane_lines[i].y_at(xs), atol=1e-4)
        assert p.lane_lines[i].line_type == gt.lane_lines[i].line_type
        assert p.lane_lines[i].probability > 0.99
        assert p.lane_lines[i].x_max_m == pytest.approx(60.0, abs=1e-4)
    assert p.lane_lines[LINE_RIGHT_OUTER].probability < 0.01
    assert p.lead.distance_m == pytest.approx(42.0, abs=1e-4)
    assert p.lead.relative_speed_mps == pytest.approx(-3.0, abs=1e-5)
    assert p.lead.lateral_offset_m == pytest.approx(0.2, abs=1e-5)
    assert p.lead.probability > 0.99 and p.lead_left.probability < 0.01
    assert p.lane_change_progress == pytest.approx(0.25)
    assert p.confidence == pytest.approx(0.8, abs=1e-4)
    assert (p.intent, p.fork_preference) == (IntentKind.CHANGE_LEFT, ForkPreference.RIGHT)
    assert (p.stamp_s, p.model_id) == (7.0, "m@1234")


def test_lead_distance_code_resolves_near_range_finer_than_far():
    d = np.array([0.0, 5.0, 15.0, 50.0, 150.0, 200.0])
    np.testing.assert_allclose(dec.lead_distance_m(dec.lead_distance_code(d)), d, atol=1e-9)
    # The same output error costs metres near the car and tens of metres far away.
    near = dec.lead_distance_m(dec.lead_distance_code(15.0) + 0.1) - 15.0
    far = dec.lead_distance_m(dec.lead_distance_code(150.0) + 0.1) - 150.0
    assert 2.0 < near < 3.0 and 15.0 < far < 17.0
    assert dec.lead_distance_m(-0.3) == 0.0  # a raw output below zero is a lead at the bumper, not behind it


@pytest.mark.parametrize("code", [4.75, 50.0, 1e6])
def test_a_lead_distance_past_the_labels_reach_decodes_to_the_reach(code):
    """An absent lead's distance is never learnt: a retraining said 1150 m (code 4.75), past the
    monitor's plausible range, and the monitor rejected every message of that drive."""
    raw = dec.encode_raw(_ground_truth(20.0), EgoState(speed_mps=8.0))
    for j in range(3):
        raw[dec.lead_offset(j)] = code
    p = dec.decode(raw, EgoState(speed_mps=8.0), Intent())
    assert [ld.distance_m for ld in (p.lead, p.lead_left, p.lead_right)] == pytest.approx([LEAD_RANGE_M] * 3)
    assert validation.check_perception(p, load_safety_params()) is None


@pytest.mark.parametrize("code", [10.5, 1e6])
def test_a_line_reach_past_the_labels_reach_decodes_to_the_reach(code):
    """An absent line's x_max is never learnt either; 10.5 (1050 m) is past the monitor's plausible range."""
    raw = dec.encode_raw(_ground_truth(20.0), EgoState(speed_mps=8.0))
    for i in range(4):
        raw[dec.line_offset(i) + 4] = code
    p = dec.decode(raw, EgoState(speed_mps=8.0), Intent())
    assert [ln.x_max_m for ln in p.lane_lines] == pytest.approx([LINE_RANGE_MAX_M] * 4)
    assert validation.check_perception(p, load_safety_params()) is None
    assert dec.line_x_max_m(-0.4) == 0.0


@pytest.mark.parametrize("ego_speed_mps", [0.0, 2.0, 10.0, 25.0])
def test_a_parked_lead_is_learnt_as_standing_at_any_ego_speed(ego_speed_mps):
    ego = EgoState(speed_mps=ego_speed_mps)
    gt = _ground_truth(20.0)
    gt.lead = Lead(15.0, -ego_speed_mps, -1.5, 1.0)       # parked: closes at the ego speed
    gt.lead_left = Lead(60.0, -ego_speed_mps - 8.0, 0.0, 1.0)  # oncoming at 8 m/s
    labels = dec.encode(gt, ego)
    assert labels.target[dec.lead_offset(0) + 1] == pytest.approx(0.0, abs=1e-6)
    assert labels.target[dec.lead_offset(1) + 1] * dec.LEAD_V_SCALE_MPS == pytest.approx(-8.0, abs=1e-5)
    # The same raw output read at another ego speed keeps the lead standing, not closing at the old speed.
    p = dec.decode(dec.encode_raw(gt, ego), EgoState(speed_mps=ego_speed_mps + 3.0), Intent())
    assert p.lead.relative_speed_mps == pytest.approx(-ego_speed_mps - 3.0, abs=1e-5)


def test_a_hairpin_path_comes_back_at_another_speed_from_the_same_geometry():
    # R = 30 m, as the first hairpin of hairpins_slow_tractor: 5 s at 8 m/s bends the path by 70 degrees.
    line = _line_ahead(30.0)
    for speed in (8.0, 10.0):
        t, x, y, v = _arc(speed, 30.0)
        gt = _ground_truth(speed)
        gt.path_t_s, gt.path_x_m, gt.path_y_m, gt.path_speed_mps = t, x, y, v
        ego = EgoState(speed_mps=speed)
        labels = dec.encode(gt, ego, line)
        assert labels.mask[dec.LAYOUT.path].all()
        p = dec.decode(labels.target, ego, Intent())
        # 10 m between the stations at 40-50 m: the cubic there is 2 cm off the 30 m arc
        np.testing.assert_allclose(p.path_x_m, np.interp(dec.PATH_T_S, t, x), atol=0.03)
        np.testing.assert_allclose(p.path_y_m, np.interp(dec.PATH_T_S, t, y), atol=0.03)


def test_masks_leave_missing_parts_unsupervised():
    ego = EgoState(speed_mps=10.0)
    gt = _ground_truth(10.0)
    gt.path_t_s = gt.path_t_s[:40]  # 1.95 s: too short to supervise the 5 s plan
    labels = dec.encode(gt, ego)
    assert not labels.mask[dec.LAYOUT.path].any()
    assert labels.line_type.tolist() == [LineType.SOLID, LineType.DASHED, LineType.DASHED, -1]
    for idx in dec.existence_indices():
        assert labels.mask[idx] == 1.0
    assert labels.mask[dec.LAYOUT.confidence] == 0.0


def test_geometry_beyond_the_end_of_the_line_is_unsupervised():
    ego = EgoState(speed_mps=10.0)
    line = _line_ahead(200.0)
    line[dec.PATH_S_M > 80.0] = np.nan  # a dead end 80 m ahead
    labels = dec.encode(_ground_truth(10.0), ego, line)
    station_mask = labels.mask[dec.LAYOUT.geometry].reshape(-1, 2)
    assert station_mask[dec.PATH_S_M <= 80.0].all() and not station_mask[dec.PATH_S_M > 80.0].any()
    assert labels.mask[dec.LAYOUT.speed].all()
    line[dec.PATH_S_M > 30.0] = np.nan  # ends before PATH_CHECK_M: no path label at all
    assert not dec.encode(_ground_truth(10.0), ego, line).mask[dec.LAYOUT.path].any()


def test_path_lateral_error_metric():
    ego = EgoState(speed_mps=15.0)
    raw = dec.encode_raw(_ground_truth(15.0), ego)
    shifted = raw.copy()
    shifted[dec.LAYOUT.geometry.start + 1:dec.LAYOUT.geometry.stop:2] += 0.3 / dec.PATH_XY_SCALE_M
    assert dec.path_lateral_rms_m(shifted[None], raw[None])[0] == pytest.approx(0.3, abs=1e-5)


def test_decode_never_plans_negative_speed_or_runs_back_along_the_geometry():
    raw = np.zeros(dec.OUTPUT_SIZE, np.float32)
    raw[dec.LAYOUT.speed] = -5.0  # dv far negative
    p = dec.decode(raw, EgoState(speed_mps=3.0), Intent())
    assert np.all(p.path_speed_mps >= 0.0)
    assert np.all(np.diff(p.path_x_m) >= 0.0) and np.all(p.path_x_m >= 0.0)  # the straight geometry of zeros


@pytest.mark.parametrize("raw, match", [
    (np.zeros(dec.OUTPUT_SIZE - 1), "needs"),
    (np.full(dec.OUTPUT_SIZE, np.nan), "NaN"),
])
def test_malformed_raw_output_is_refused(raw, match):
    with pytest.raises(ValueError, match=match):
        dec.decode(raw, EgoState(), Intent())
