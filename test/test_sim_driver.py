"""Driver model: takeover answers, hand-back, inattention, lever, overrides, and the
safety driver's interventions (driver-forced takeovers)."""
import pytest
from sim_helpers import follow_command

from lcc_plus.common.types import Lever, TakeoverDemand, TakeoverLevel
from lcc_plus.sim import scenarios
from lcc_plus.sim.driver import DriverParams, DriverScript
from lcc_plus.sim.world import World

P = DriverParams.from_config()


def world_with(name: str, script: DriverScript | None = None) -> World:
    sc = scenarios.get(name)
    if script is not None:
        sc = sc.__class__(**{**sc.__dict__, "driver_script": script})
    return World(sc, 0, render=False)


def run(world: World, seconds: float, takeover_from_s: float | None = None, bias_rad: float = 0.0):
    controls = []
    while world.time_s < seconds - 1e-9 and not world.done:
        demand = TakeoverDemand()
        if takeover_from_s is not None and world.time_s >= takeover_from_s and not world.driver.in_control \
                and not world.log.events_of("takeover_system"):
            demand = TakeoverDemand(world.time_s, TakeoverLevel.AUDIBLE, "lane end", world.time_s + 10.0)
        world.step(follow_command(world, bias_rad), demand)
        controls.append(world.observe().driver)
    return controls


def test_takeover_request_is_answered_after_the_reaction_time_then_handed_back():
    world = world_with("narrow_curves")
    controls = run(world, 5.0 + P.reaction_s + P.manual_drive_s + 3.0, takeover_from_s=5.0)
    answers = world.log.events_of("takeover_system")
    assert len(answers) == 1 and answers[0].detail == "lane end"
    assert answers[0].t_s == pytest.approx(5.0 + P.reaction_s, abs=0.11)
    arr = world.log.arrays()
    t = arr["t_s"]
    in_control = arr["driver_in_control"]
    assert not in_control[t < answers[0].t_s - 0.01].any()
    assert in_control[(t > answers[0].t_s + 0.1) & (t < answers[0].t_s + P.manual_drive_s - 0.1)].all()
    assert arr["engaged"][-1] and not in_control[-1]
    assert any(c.engage_request for c in controls[int(answers[0].t_s / 0.05):])
    # Taking over presses cancel, so the system stops demanding and does not start an MRM.
    i_answer = int(round(answers[0].t_s / 0.05))
    assert any(c.disengage_request for c in controls[i_answer - 1:i_answer + 3])
    assert not any(c.disengage_request for c in controls[:i_answer - 1])
    assert not world.log.events_of("takeover_driver") and not world.log.events_of("lane_departure")


def test_inattentive_driver_answers_only_after_the_episode():
    world = world_with("narrow_curves", DriverScript(inattentive=((3.0, 9.0),)))
    controls = run(world, 12.0, takeover_from_s=4.0)
    assert not controls[int(5.0 / 0.05)].hands_on and not controls[int(5.0 / 0.05)].eyes_on_road
    assert controls[int(2.0 / 0.05)].hands_on
    answers = world.log.events_of("takeover_system")
    assert answers and answers[0].t_s == pytest.approx(9.0 + P.reaction_s, abs=0.11)


def test_lever_request_and_refusal_when_the_system_never_changes_lanes():
    world = world_with("highway_slow_truck", DriverScript(lever=((2.0, 1),)))
    controls = run(world, 16.0)
    levers = [c.lever for c in controls]
    assert levers[int(2.1 / 0.05)] == Lever.LEFT and levers[int(3.0 / 0.05)] == Lever.NONE
    refused = [c for c in world.log.lane_changes if c.outcome == "refused"]
    assert refused and refused[0].trigger == "driver" and refused[0].direction == 1


def test_steering_override_shows_torque_and_moves_the_car():
    world = world_with("highway_cut_in", DriverScript(overrides=((3.0, 6.0, 0.8),)))
    controls = run(world, 8.0)
    torque = [c.steering_torque_nm for c in controls]
    assert max(torque[int(3.2 / 0.05):int(5.9 / 0.05)]) >= P.override_torque_nm - 1e-9
    assert max(abs(x) for x in torque[:int(2.9 / 0.05)]) == 0.0
    err = world.log.arrays()["lateral_error_m"]
    assert err[int(5.8 / 0.05)] > 0.4 and abs(err[int(2.5 / 0.05)]) < 0.2
    assert world.log.arrays()["engaged"].all()  # an override is not a takeover


def test_safety_driver_grabs_the_wheel_before_the_car_leaves_the_road():
    world = world_with("narrow_curves")
    run(world, 3.0)
    run(world, 10.0, bias_rad=0.08)
    forced = world.log.events_of("takeover_driver")
    assert forced and "leaving the road" in forced[0].detail
    departures = world.log.events_of("lane_departure")
    assert all(d.t_s > forced[0].t_s for d in departures)


def test_safety_driver_brakes_for_a_stopped_car_the_system_ignores():
    world = world_with("stopped_vehicle")
    while not world.done and not world.log.events_of("takeover_driver"):
        world.step(follow_command(world, accel_mps2=0.5), TakeoverDemand())
    forced = world.log.events_of("takeover_driver")
    assert forced and forced[0].detail.startswith("ttc")
    for _ in range(200):
        world.step(follow_command(world, accel_mps2=0.5), TakeoverDemand())
    assert not world.log.events_of("collision")


def test_off_the_road_is_a_departure_and_the_driver_finds_the_way_back():
    import dataclasses

    world = world_with("narrow_curves")
    world.driver.p = dataclasses.replace(world.driver.p, intervene_edge_margin_m=-0.5, intervene_lookahead_s=0.1)
    run(world, 2.0)
    while world.lane_pos is not None and world.time_s < 10.0:
        world.step(follow_command(world, 0.3), TakeoverDemand())
    assert world.lane_pos is None
    assert any(e.detail == "off the road" for e in world.log.events_of("lane_departure"))
    assert len(world.observe().gt.path_x_m) >= 10  # ground truth points the way back
    while world.time_s < 20.0 and not world.done:
        world.step(follow_command(world), TakeoverDemand())
    assert world.log.arrays()["on_road"][-1]


def test_the_edge_check_swings_the_front_towards_the_heading_and_the_rear_a_little_away():
    """0.35 m off the right edge at 1.5 m/s: heading 10 degrees left is no danger, 10 right is."""
    import dataclasses
    import math

    world = world_with("narrow_curves")
    pos = world.lane_pos
    lane = world.net.lanes[pos.lane_id]
    right_limit = float(lane.offsets_at(pos.s_m)[1]) - world._extra_room(lane.right_id)
    d = right_limit + 0.5 * world.vp.width_m + 0.35
    x, y = lane.centre.xy_at(pos.s_m, d)
    road_yaw = float(lane.centre.heading_at(pos.s_m))

    def margin(heading_deg: float) -> float:
        yaw = road_yaw + math.radians(heading_deg)
        world.vehicle.state = dataclasses.replace(world.vehicle.state, x_m=float(x), y_m=float(y), yaw_rad=yaw,
                                                  speed_mps=1.5, yaw_rate_radps=0.0)
        world.lane_pos = world.net.locate(float(x), float(y), yaw, pos.lane_id)
        return world.edge_margin_m(P.intervene_lookahead_s)

    assert margin(0.0) == pytest.approx(0.35, abs=0.02)
    assert margin(10.0) > 0.3   # the front corner swung right as well read -0.07 m here
    assert margin(-10.0) < 0.0


def _stand(world: World, until_s: float, creep_mps: float = 0.0) -> None:
    """Brake to a stop (or a creep at creep_mps) in the lane and hold it there, engaged."""
    while world.time_s < until_s - 1e-9 and not world.done:
        v = world.vehicle.state.speed_mps
        accel = -2.0 if v > creep_mps + 0.05 else (0.3 if creep_mps > 0 and v < creep_mps - 0.05 else 0.0)
        world.step(follow_command(world, accel_mps2=accel), TakeoverDemand())


def _standing_from_s(world: World) -> float:
    arr = world.log.arrays()
    slow = arr["speed_mps"] < P.stuck_speed_mps
    return float(arr["t_s"][slow.argmax()])


@pytest.mark.parametrize("creep_mps", [0.0, 0.5])
def test_a_car_standing_on_a_free_road_is_taken_over_after_the_stuck_time(creep_mps):
    world = world_with("narrow_curves")
    run(world, 2.0)
    _stand(world, 8.0 + P.stuck_s + 1.0, creep_mps)
    forced = world.log.events_of("takeover_driver")
    assert len(forced) == 1 and forced[0].detail.startswith("stuck:"), forced
    assert forced[0].t_s == pytest.approx(_standing_from_s(world) + P.stuck_s, abs=0.11)
    assert world.driver.in_control


def test_moving_on_restarts_the_stuck_time():
    world = world_with("narrow_curves")
    run(world, 2.0)
    _stand(world, 8.0 + 0.75 * P.stuck_s)
    while world.vehicle.state.speed_mps < P.stuck_speed_mps + 0.5:
        world.step(follow_command(world, accel_mps2=1.0), TakeoverDemand())
    _stand(world, world.time_s + 0.75 * P.stuck_s)
    assert not world.log.events_of("takeover_driver")


def test_standing_where_the_drivers_own_plan_stands_too_is_no_takeover():
    # Behind stopped_vehicle's car the ground truth's plan stops as well: the wait is not the system's.
    world = world_with("stopped_vehicle")
    while world.time_s < 60.0 and not world.done and not world.log.events_of("takeover_driver"):
        world.step(follow_command(world), TakeoverDemand())
    arr = world.log.arrays()
    standing = arr["t_s"][arr["speed_mps"] < P.stuck_speed_mps]
    assert len(standing) and standing[-1] - standing[0] > P.stuck_s, "the car stood long enough to be judged"
    assert not world.log.events_of("takeover_driver")
