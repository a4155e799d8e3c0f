"""RSS and EC JRC distances against hand-computed values; gap acceptance cases."""
from __future__ import annotations

import pytest
from planning_fixtures import rear

from lcc_plus.common.types import Lead, RearObject
from lcc_plus.planning.gap import assess_gap, critical_rear_distance_m, rss_safe_distance_m
from lcc_plus.planning.params import ModeManagerParams

P = ModeManagerParams.from_config()


def test_rss_both_at_30_mps_is_115_78_m():
    # 30*1 + 0.5*3.5*1 + (30 + 3.5)^2 / (2*4) - 30^2 / (2*8) = 30 + 1.75 + 140.28125 - 56.25
    assert rss_safe_distance_m(30.0, 30.0, 1.0, 3.5, 4.0, 8.0) == pytest.approx(115.78125)


def test_rss_slower_front_and_clamp_at_zero():
    # 20*1 + 1.75 + 23.5^2/8 - 10^2/16 = 20 + 1.75 + 69.03125 - 6.25
    assert rss_safe_distance_m(20.0, 10.0, 1.0, 3.5, 4.0, 8.0) == pytest.approx(84.53125)
    assert rss_safe_distance_m(0.0, 40.0, 1.0, 3.5, 4.0, 8.0) == 0.0


def test_rss_uses_the_configured_parameters():
    assert (P.rss_response_time_s, P.rss_accel_max_mps2, P.rss_brake_min_mps2, P.rss_brake_max_mps2) == (1.0, 3.5, 4.0, 8.0)


def test_jrc_critical_distance_hand_computed():
    # rear at 36 m/s, ego at 25: dv = 11 -> 11*0.4 + 121/6 + 25*1 = 4.4 + 20.1667 + 25
    assert critical_rear_distance_m(36.0, 25.0, 0.4, 3.0, 1.0) == pytest.approx(49.566666, rel=1e-6)
    # a slower rear car only needs the time gap
    assert critical_rear_distance_m(20.0, 25.0, 0.4, 3.0, 1.0) == pytest.approx(25.0)


def car(x: float, vx: float, lane: int = 1, y: float = 3.5) -> RearObject:
    return RearObject(id=7, x_m=x, y_m=y, vx_mps=vx, vy_mps=0.0, lane=lane)


@pytest.mark.parametrize("sensing, lead, safe, reason", [
    (rear(), Lead(), True, ""),
    (rear(available=False), Lead(), False, "no rear sensing"),
    (rear(rear_range_m=40.0), Lead(), False, "no rear sensing"),
    (rear(blind_spot_left=True), Lead(), False, "blind spot"),
    (rear([car(1.0, 25.0)]), Lead(), False, "beside"),
    (rear([car(-30.0, 35.0)]), Lead(), False, "behind"),       # needs 4 + 100/6 + 25 = 45.7 m
    (rear([car(-60.0, 35.0)]), Lead(), True, ""),
    (rear([car(-60.0, 35.0, lane=-128, y=3.3)]), Lead(), True, ""),
    (rear([car(-30.0, 35.0, lane=-128, y=-3.5)]), Lead(), True, ""),  # other side: not in the target lane
    (rear([car(-20.0, 35.0, lane=-1, y=-3.5)]), Lead(), True, ""),
    (rear(), Lead(distance_m=40.0, relative_speed_mps=0.0, probability=0.9), False, "ahead"),
    (rear(), Lead(distance_m=120.0, relative_speed_mps=0.0, probability=0.9), True, ""),
    (rear(), Lead(distance_m=40.0, relative_speed_mps=0.0, probability=0.1), True, ""),
    (rear([car(30.0, 25.0)]), Lead(), False, "ahead"),
])
def test_gap_acceptance_left(sensing, lead, safe, reason):
    result = assess_gap(P, 1, 25.0, 3.5, lead, sensing)
    assert result.safe is safe
    assert reason in result.reason
    if not safe:
        assert result.reason.startswith("unsafe gap")


def test_approaching_rear_car_needs_no_more_than_3_mps2():
    """At the accepted gap the rear car, braking 3 m/s^2 after 0.4 s, keeps >= 1 s behind the ego."""
    v_rear, v_ego = 36.0, 25.0
    need = critical_rear_distance_m(v_rear, v_ego, 0.4, 3.0, 1.0)
    gap, v, dt = need + 0.5, v_rear, 0.001
    t = 0.0
    while v > v_ego:
        a = 0.0 if t < 0.4 else -3.0
        gap -= (v - v_ego) * dt
        v += a * dt
        t += dt
    assert gap >= v_ego * 1.0 - 0.1
    assert assess_gap(P, 1, v_ego, 3.5, Lead(), rear([car(-(need + 0.5 + P.rear_overhang_m + 2.25), v_rear)])).safe
