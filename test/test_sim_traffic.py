"""Traffic: IDM car following and MOBIL lane changes on a generated map."""
import math

import numpy as np
import pytest

from lcc_plus.common import params
from lcc_plus.sim.maps import MapSpec, RoadSpec, Segment, generate_map, lane_point, uniform_section
from lcc_plus.sim.road import RoadNetwork
from lcc_plus.sim.traffic import Traffic, TrafficParams, idm

ROAD = RoadSpec((Segment(2000.0),), (uniform_section(2000.0, 3, speed_limit_kph=120.0),))
FAR_EGO = np.array([-5000.0, -5000.0])


ONE_LANE = RoadSpec((Segment(800.0),), (uniform_section(800.0, 1, speed_limit_kph=100.0),))


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return RoadNetwork.load(generate_map(MapSpec((ROAD,), "traffic"), tmp_path_factory.mktemp("maps")))


@pytest.fixture(scope="module")
def one_lane(tmp_path_factory):
    return RoadNetwork.load(generate_map(MapSpec((ONE_LANE,), "one_lane"), tmp_path_factory.mktemp("maps")))


def make(net) -> Traffic:
    return Traffic(net, params.load(TrafficParams, "sim.yaml", "sim_traffic"))


def run(traffic: Traffic, seconds: float, dt: float = 0.05) -> None:
    for k in range(int(seconds / dt)):
        traffic.step(dt, k * dt, FAR_EGO, 0.0, 0.0, (4.6, 1.85))


def test_idm_free_road_and_equilibrium():
    p = params.load(TrafficParams, "sim.yaml", "sim_traffic")
    assert idm(0.0, 30.0, math.inf, 0.0, p) == pytest.approx(p.max_accel_mps2)
    assert idm(30.0, 30.0, math.inf, 0.0, p) == pytest.approx(0.0)
    # Standing at the standstill gap behind a standing car: no acceleration.
    assert idm(0.0, 30.0, p.min_gap_m, 0.0, p) == pytest.approx(0.0, abs=1e-9)


def test_follower_stops_behind_a_stopped_car(one_lane):
    t = make(one_lane)
    x, y, yaw = lane_point(ONE_LANE, 400.0, 0)
    t.spawn(x, y, yaw, kind="stopped", d_m=0.0)
    x, y, yaw = lane_point(ONE_LANE, 100.0, 0)
    car = t.spawn(x, y, yaw, speed_mps=25.0, desired_speed_mps=25.0)
    run(t, 40.0)
    gap = math.hypot(car.x_m - x - 300.0, car.y_m - y) - 0.5 * (car.length_m + 4.5)
    assert car.speed_mps < 0.1
    assert 0.5 * t.p.min_gap_m < gap < 3.0 * t.p.min_gap_m


def test_mobil_overtakes_a_slow_car(net):
    t = make(net)
    x, y, yaw = lane_point(ROAD, 200.0, 2)
    slow = t.spawn(x, y, yaw, speed_mps=15.0, desired_speed_mps=15.0)
    x, y, yaw = lane_point(ROAD, 120.0, 2)
    fast = t.spawn(x, y, yaw, speed_mps=30.0, desired_speed_mps=33.0)
    lane_before = fast.lane_id()
    run(t, 25.0)
    lanes = net.lanes
    assert fast.lane_id() != lane_before
    assert net.lanes[lane_before].left_id is not None
    # It passed the slow car.
    s_fast, _ = lanes[slow.lane_id()].centre.project(np.array([[fast.x_m, fast.y_m]]))
    s_slow, _ = lanes[slow.lane_id()].centre.project(np.array([[slow.x_m, slow.y_m]]))
    assert s_fast[0] > s_slow[0] + 10.0
