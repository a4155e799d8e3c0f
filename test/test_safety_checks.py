"""Situation checks, input admission and the watchdog, each on its own."""
from __future__ import annotations

import math

import numpy as np
import pytest
from safety_feed import LANE_HALF_WIDTH_M, healthy_perception, straight_lane

from lcc_plus.common.types import (
    LINE_EGO_LEFT,
    Command,
    DriverControls,
    EgoState,
    Lead,
    RearObject,
    RearSensing,
    Severity,
)
from lcc_plus.safety import validation
from lcc_plus.safety.checks import (
    Sustained,
    corridor_lines,
    lead_beside,
    predicted_lane_clearance_m,
    rss_check,
    rss_min_gap_m,
    ttc_check,
)
from lcc_plus.safety.params import load_safety_params
from lcc_plus.safety.watchdog import Watchdog

P = load_safety_params()
BAD = [math.nan, math.inf, -math.inf, 1e12]


def test_ttc_is_gap_over_closing_speed_and_imminent_below_the_limit():
    c = ttc_check(Lead(distance_m=20.0, relative_speed_mps=-10.0, probability=0.9), 0.5, 1.2)
    assert c.value == pytest.approx(2.0) and not c.active and c.severity == Severity.IMMINENT
    c = ttc_check(Lead(distance_m=10.0, relative_speed_mps=-10.0, probability=0.9), 0.5, 1.2)
    assert c.value == pytest.approx(1.0) and c.active
    assert ttc_check(Lead(distance_m=5.0, relative_speed_mps=2.0, probability=0.9), 0.5, 1.2).value == math.inf
    assert not ttc_check(Lead(distance_m=1.0, relative_speed_mps=-10.0, probability=0.1), 0.5, 1.2).active
    assert ttc_check(Lead(distance_m=-0.5, relative_speed_mps=-1.0, probability=0.9), 0.5, 1.2).value == 0.0
    assert not ttc_check(Lead(distance_m=0.0, relative_speed_mps=0.5, probability=0.9), 0.5, 1.2).active


def test_rss_distance_matches_the_reference_value():
    # REFERENCE.md: both cars at 30 m/s, rho 1 s, a_acc 3.5, brake min 4 / max 8 -> about 116 m.
    assert rss_min_gap_m(30.0, 30.0, 1.0, 3.5, 4.0, 8.0) == pytest.approx(116.0, abs=1.0)
    c = rss_check(Lead(distance_m=50.0, relative_speed_mps=0.0, probability=0.9), 30.0, 0.5, 1.0, 3.5, 4.0, 8.0)
    assert not c.active and c.limit == pytest.approx(116.0, abs=1.0) and c.value == 50.0  # not closing
    c = rss_check(Lead(distance_m=50.0, relative_speed_mps=-1.0, probability=0.9), 30.0, 0.5, 1.0, 3.5, 4.0, 8.0)
    assert c.active
    assert rss_min_gap_m(0.0, 30.0, 1.0, 3.5, 4.0, 8.0) == 0.0


def beside(offset_m: float, ego_left_of_centre_m: float = 0.0, line_probability: float = 0.95) -> bool:
    """lead_beside for a lead `offset_m` from the centre of a 3.5 m lane, ego 1.85 m and lead 1.9 m wide."""
    left, right = straight_lane(LANE_HALF_WIDTH_M - ego_left_of_centre_m), straight_lane(-LANE_HALF_WIDTH_M - ego_left_of_centre_m)
    left.probability = line_probability
    return lead_beside(Lead(distance_m=10.0, relative_speed_mps=-8.0, lateral_offset_m=offset_m, probability=0.9),
                       left, right, 1.85, 1.9, 0.1, 0.5)


def test_a_lead_counts_as_beside_only_with_its_body_clear_of_the_ego_side():
    # Bodies touch at 1.875 m between centres; beside needs 0.1 m more.
    assert not beside(0.0)
    assert not beside(-1.9) and not beside(1.9)
    assert beside(-2.0) and beside(2.0)
    # The ego's own place in the lane counts: 1.4 m right of the centre plus 0.6 m left of it.
    assert not beside(-1.4) and beside(-1.4, ego_left_of_centre_m=0.6)
    assert not beside(-1.4, ego_left_of_centre_m=0.4)
    # Moving back toward the lead makes it a lead again.
    assert beside(-1.6, ego_left_of_centre_m=0.5) and not beside(-1.6, ego_left_of_centre_m=0.2)


@pytest.mark.parametrize("bad", [0.3, math.nan])
def test_a_lead_is_never_beside_without_the_ego_lane_lines(bad):
    assert not beside(-3.0, line_probability=bad)


def test_a_nan_lead_offset_is_not_beside():
    assert not beside(math.nan)


def lines():
    return healthy_perception(0.0, 20.0).lane_lines


def clearance(ls, speed, steer, lane_change_side=0):
    left, right = corridor_lines(ls, lane_change_side)
    return predicted_lane_clearance_m(left, right, speed, steer, 2.8, 1.9, 1.0, 0.5)


def test_lane_clearance_straight_is_the_gap_between_body_and_lines():
    assert clearance(lines(), 20.0, 0.0) == pytest.approx(LANE_HALF_WIDTH_M - 0.95)


def test_lane_departure_is_predicted_from_the_commanded_steering():
    # 0.02 rad at 20 m/s (a legal 2.9 m/s^2) leaves a 3.5 m lane within a second.
    assert clearance(lines(), 20.0, 0.02) < -0.2
    assert clearance(lines(), 20.0, -0.02) < -0.2
    # a lane change to the left may cross the ego-left line, not leave the target lane
    assert clearance(lines(), 20.0, 0.02, lane_change_side=+1) > 0.0
    assert clearance(lines(), 20.0, -0.02, lane_change_side=+1) < -0.2


def shifted(ls, dy):
    for ln in ls:
        ln.coefficients = ln.coefficients + np.array([dy, 0.0, 0.0, 0.0])
    return ls


def test_lane_change_corridor_follows_the_relabelling_of_the_lines():
    # changing right, halfway: before the lines are relabelled the ego-right line is 0.2 m right of the ego
    left, right = corridor_lines(shifted(lines(), +1.55), -1)
    assert left.y_at(0.0) == pytest.approx(LANE_HALF_WIDTH_M + 1.55)          # ego-left
    assert right.y_at(0.0) == pytest.approx(-3 * LANE_HALF_WIDTH_M + 1.55)     # right outer
    # after: the model calls the target lane the ego lane; the old lane is the left one
    left, right = corridor_lines(shifted(lines(), -1.55), -1)
    assert left.y_at(0.0) == pytest.approx(3 * LANE_HALF_WIDTH_M - 1.55)      # left outer
    assert right.y_at(0.0) == pytest.approx(-LANE_HALF_WIDTH_M - 1.55)        # ego-right
    # mirrored for a change to the left, and no change: the ego lane
    left, right = corridor_lines(shifted(lines(), -1.55), +1)
    assert (left.y_at(0.0), right.y_at(0.0)) == pytest.approx((3 * LANE_HALF_WIDTH_M - 1.55, -LANE_HALF_WIDTH_M - 1.55))
    left, right = corridor_lines(lines(), 0)
    assert (left.y_at(0.0), right.y_at(0.0)) == pytest.approx((LANE_HALF_WIDTH_M, -LANE_HALF_WIDTH_M))


def test_lane_clearance_ignores_improbable_lines():
    ls = lines()
    for ln in ls:
        ln.probability = 0.1
    assert clearance(ls, 20.0, 0.05) == math.inf
    ls[LINE_EGO_LEFT].probability = 0.9
    assert clearance(ls, 20.0, 0.05) < 0.0


def test_sustained_needs_the_condition_for_its_whole_duration():
    s = Sustained(0.5)
    assert not s.update(True, 0.0)
    assert not s.update(True, 0.4)
    assert s.update(True, 0.5) and s.held_s(0.5) == 0.5
    assert not s.update(False, 0.6)
    assert not s.update(True, 0.7)


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("field", ["speed_mps", "yaw_rate_radps", "steering_angle_rad", "accel_x_mps2",
                                   "accel_y_mps2"])
def test_vehicle_state_with_a_bad_field_is_rejected(field, bad):
    assert validation.check_ego(EgoState(**{field: 1.0}), P) is None
    reason = validation.check_ego(EgoState(**{field: bad}), P)
    assert reason is not None and field in reason


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("field", ["steering_torque_nm", "accel_pedal", "brake_pedal", "set_speed_mps"])
def test_driver_input_with_a_bad_field_is_rejected(field, bad):
    assert field in validation.check_driver(DriverControls(**{field: bad}), P)


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("field", ["steering_angle_rad", "steering_rate_radps", "accel_mps2", "target_speed_mps"])
def test_command_with_a_bad_field_is_rejected(field, bad):
    assert field in validation.check_command(Command(**{field: bad}), P)


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("where", ["path_x_m", "path_y_m", "path_speed_mps", "confidence", "lane", "lead"])
def test_perception_with_a_bad_field_is_rejected(where, bad):
    q = healthy_perception(1.0, 20.0)
    assert validation.check_perception(q, P) is None
    if where == "lane":
        q.lane_lines[2].coefficients = np.array([bad, 0.0, 0.0, 0.0])
    elif where == "lead":
        q.lead = Lead(distance_m=bad, probability=0.9)
    elif where == "confidence":
        q.confidence = bad
    else:
        getattr(q, where)[3] = bad
    assert validation.check_perception(q, P) is not None


def test_perception_with_ragged_or_unordered_arrays_is_rejected():
    q = healthy_perception(1.0, 20.0)
    q.path_y_m = q.path_y_m[:-1]
    assert validation.check_perception(q, P) == "shape:path"
    q = healthy_perception(1.0, 20.0)
    q.path_t_s = q.path_t_s[::-1].copy()
    assert validation.check_perception(q, P) == "order:path_t_s"


@pytest.mark.parametrize("bad", BAD)
def test_rear_objects_with_a_bad_field_are_rejected(bad):
    ok = RearObject(id=1, x_m=-20.0, y_m=3.5, vx_mps=25.0, vy_mps=0.0)
    assert validation.check_rear(RearSensing(objects=[ok]), P) is None
    bad_obj = RearObject(id=2, x_m=-20.0, y_m=bad, vx_mps=25.0, vy_mps=0.0)
    assert "objects[1].y_m" in validation.check_rear(RearSensing(objects=[ok, bad_obj]), P)


def test_mode_out_of_range_and_image_format_are_rejected():
    assert validation.check_mode(2) is None and validation.check_mode(77) is not None
    assert validation.check_image(640, 480, "rgb8", P) is None
    assert validation.check_image(320, 240, "rgb8", P).startswith("image_size")
    assert validation.check_image(640, 480, "bgr8", P).startswith("image_encoding")


def test_stamps_must_increase_and_be_near_the_clock():
    assert validation.check_stamp(10.0, 9.9, 10.0, P) is None
    assert validation.check_stamp(9.8, 9.9, 10.0, P) == "stamp_backwards"
    assert validation.check_stamp(9.9, 9.9, 10.0, P) == "stamp_repeated"
    assert validation.check_stamp(12.0, 9.9, 10.0, P) == "stamp_future"
    assert validation.check_stamp(5.0, None, 10.0, P) == "stamp_old"
    assert validation.check_stamp(math.nan, None, 10.0, P) == "nonfinite:stamp"


def test_watchdog_missing_then_fresh_then_stale():
    w = Watchdog(0.0, 1.0, 3)
    w.add("a", 0.1, 3.0, 0.0, Severity.CRITICAL)
    c = {x.name: x for x in w.checks(0.05)}
    assert c["missing:a"].active and c["missing:a"].severity == Severity.CRITICAL
    w.accept("a", 1.0, 0.1)
    assert not w.is_stale("a", 0.39)
    assert w.is_stale("a", 0.41)
    c = {x.name: x for x in w.checks(0.41)}
    assert c["stale:a"].active and c["stale:a"].value == pytest.approx(0.31) and c["stale:a"].limit == pytest.approx(0.3)


def test_watchdog_counts_every_rejection_and_windows_the_check():
    w = Watchdog(0.0, 1.0, 3)
    w.add("a", 0.1, 3.0, 0.0, Severity.NONCRITICAL)
    for i in range(1000):
        w.reject("a", "nonfinite:speed_mps" if i % 2 else "stamp_backwards", 0.5)
    t = w.topics["a"]
    assert t.rejected_total == 1000 and t.rejected["nonfinite"] == 500 and t.rejected["stamp_backwards"] == 500
    c = {x.name: x for x in w.checks(0.6)}["rejected:a"]
    assert c.active and c.value == 1000
    assert not {x.name: x for x in w.checks(2.0)}["rejected:a"].active
    assert w.topics["a"].rejected_total == 1000
