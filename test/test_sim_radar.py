"""Rear and corner radar: range, noise, dropouts, latency, blind-spot flags."""
import numpy as np
import pytest

from lcc_plus.sim.radar import RadarParams, RearRadar, TrueObject
from lcc_plus.sim.vehicle import VehicleParams


def radar(**overrides) -> RearRadar:
    vp = VehicleParams.from_config()
    return RearRadar(RadarParams.from_config(overrides), vp.rear_overhang_m, vp.length_m, vp.width_m,
                     np.random.default_rng(0))


def car(x, y, vx=25.0):
    return TrueObject(7, x, y, vx, 0.0, 4.5, 1.8)


def settle(r, objects, n=10, dt=0.05):
    out = None
    for k in range(n):
        out = r.measure(k * dt, objects, 25.0)
    return out


def test_rear_range_is_at_least_55_m_and_limited():
    r = radar(dropout_probability=0.0)
    assert RadarParams.from_config().rear_range_m >= 55.0
    assert [o.id for o in settle(r, [car(-60.0, 0.5)]).objects] == [7]
    assert settle(radar(dropout_probability=0.0), [car(-120.0, 0.0)]).objects == []
    # Corner radars see a car beside us in the next lane, the rear-centre one does not need to.
    assert settle(radar(dropout_probability=0.0), [car(-1.0, 3.5)]).objects


def test_noise_and_dropouts_match_the_parameters():
    p = RadarParams.from_config({"latency_s": 0.0})
    r = radar(latency_s=0.0)
    xs, seen, n = [], 0, 4000
    for k in range(n):
        out = r.measure(k * 0.05, [car(-30.0, 3.4)], 25.0)
        if out.objects:
            seen += 1
            xs.append(out.objects[0].x_m)
    assert seen / n == pytest.approx(1.0 - p.dropout_probability, abs=0.015)
    assert np.std(xs) == pytest.approx(p.position_noise_m, rel=0.08)
    assert np.mean(xs) == pytest.approx(-30.0, abs=0.03)


def test_latency_delays_the_object_list():
    p = RadarParams.from_config()
    r = radar(dropout_probability=0.0, position_noise_m=0.0, speed_noise_mps=0.0)
    dt = 0.05
    lag = int(round(p.latency_s / dt))
    outs = [r.measure(k * dt, [car(-40.0 + k, 0.0)], 25.0) for k in range(10)]
    assert not outs[0].available and outs[0].objects == []
    for k in range(lag, 10):
        assert outs[k].available
        assert outs[k].objects[0].x_m == pytest.approx(-40.0 + k - lag)
        assert outs[k].stamp_s == pytest.approx((k - lag) * dt)


def test_blind_spot_flags():
    quiet = {"dropout_probability": 0.0, "position_noise_m": 0.0, "speed_noise_mps": 0.0}
    beside_left = settle(radar(**quiet), [car(-1.5, 3.5)])
    assert beside_left.blind_spot_left and not beside_left.blind_spot_right
    assert beside_left.objects[0].lane == 1
    beside_right = settle(radar(**quiet), [car(-4.0, -3.4)])
    assert beside_right.blind_spot_right and not beside_right.blind_spot_left
    behind_same_lane = settle(radar(**quiet), [car(-8.0, 0.2)])
    assert not behind_same_lane.blind_spot_left and not behind_same_lane.blind_spot_right
    far_slow = settle(radar(**quiet), [car(-40.0, 3.5, vx=25.0)])
    assert not far_slow.blind_spot_left
    closing_fast = settle(radar(**quiet), [car(-40.0, 3.5, vx=40.0)])
    assert closing_fast.blind_spot_left


def test_a_truck_half_past_the_car_is_seen_by_its_rear_end():
    """highway_slow_truck: a 12 m truck whose centre is 5.4 m ahead of the rear axle, its rear end
    beside the car; its centre is outside every field of view, its rear end inside the corner's."""
    quiet = {"dropout_probability": 0.0, "position_noise_m": 0.0, "speed_noise_mps": 0.0}
    truck = TrueObject(3, 5.4, -3.5, 22.5, 0.0, 12.0, 2.5)
    r = radar(**quiet)
    assert not r._visible(truck.x_m, truck.y_m)
    out = settle(r, [truck])
    assert out.blind_spot_right and len(out.objects) == 1
