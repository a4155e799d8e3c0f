"""The safety monitor core state by state and fault by fault, on a simulated clock."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from safety_feed import RATE_HZ, Feed, check, healthy_perception, make_feed

from lcc_plus.common.types import (
    Command,
    CommandSource,
    DriverControls,
    EgoState,
    Lead,
    Mode,
    SafetyLevel,
    TakeoverLevel,
)

DT = 1.0 / RATE_HZ


def first_index(outs, pred) -> int | None:
    return next((i for i, o in enumerate(outs) if pred(o)), None)


def assert_sound(outs) -> None:
    """Every output: finite command, a reason with every veto, sequence increasing by one."""
    for a, b in zip(outs, outs[1:]):
        assert b.report.sequence == a.report.sequence + 1
    for o in outs:
        c = o.command
        assert all(math.isfinite(v) for v in (c.steering_angle_rad, c.steering_rate_radps, c.accel_mps2,
                                              c.target_speed_mps))
        assert not o.report.vetoed or o.report.veto_reason
        assert o.command.engaged == (o.command.source != CommandSource.NONE)


def engaged_feed(**overrides) -> Feed:
    f = make_feed(**overrides)
    out = f.engage_now()
    assert out.command.source == CommandSource.PLANNER and out.command.engaged
    assert out.report.level == SafetyLevel.OK and out.takeover.level == TakeoverLevel.NONE
    assert [c.name for c in out.report.checks if c.active] == []
    return f


# ---------------------------------------------------------------- engagement
def test_not_engaged_until_the_driver_presses_engage():
    f = make_feed()
    outs = f.run(1.0)
    assert all(o.command.source == CommandSource.NONE and not o.command.engaged for o in outs)
    assert outs[-1].report.vetoed and "not engaged" in outs[-1].report.veto_reason
    assert outs[-1].takeover.level == TakeoverLevel.NONE
    f.engage = True
    f.step()
    f.engage = False
    assert f.step().command.source == CommandSource.PLANNER
    assert_sound(f.outputs)


def test_engage_is_refused_while_a_critical_input_is_missing():
    f = make_feed()
    f.drop.add("vehicle_state")
    f.run(0.5)
    f.engage = True
    out = f.step()
    assert not out.command.engaged and "missing:vehicle_state" in out.report.veto_reason
    assert out.takeover.level == TakeoverLevel.NONE  # not engaged: nothing to take over


def test_planner_disengaging_gives_control_back_without_a_veto():
    f = engaged_feed()
    f.command = replace(f.command, engaged=False)
    out = f.run(0.1)[-1]
    assert out.command.source == CommandSource.NONE and not out.report.vetoed


def test_the_gate_acts_on_the_planner_command_and_flags_it():
    f = engaged_feed()
    f.command = replace(f.command, accel_mps2=5.0)
    out = f.run(1.0)[-1]
    assert out.command.accel_mps2 == pytest.approx(2.0)
    assert check(out, "filter:lon_accel_mps2").active
    assert out.report.level == SafetyLevel.DEGRADED and not out.report.vetoed


# ---------------------------------------------------------------- watchdog, topic by topic
# topic -> (source while the takeover is demanded, takeover level reached at once)
STALE = {
    "vehicle_state": (CommandSource.MRM, TakeoverLevel.MRM),
    "driver_input": (CommandSource.PLANNER, TakeoverLevel.VISUAL),
    "vla_action": (CommandSource.HOLD, TakeoverLevel.VISUAL),
    "image": (CommandSource.HOLD, TakeoverLevel.VISUAL),
    "command": (CommandSource.HOLD, TakeoverLevel.VISUAL),
}


@pytest.mark.parametrize("topic", sorted(STALE))
def test_a_silent_topic_reaches_its_level_within_the_stale_deadline(topic):
    f = engaged_feed()
    stale_after = f.monitor.watchdog.topics[topic].stale_after_s
    f.drop.add(topic)
    outs = f.run(stale_after + 0.5)
    i = first_index(outs, lambda o: o.takeover.level > TakeoverLevel.NONE)
    assert i is not None and i * DT <= stale_after + 2 * DT
    source, level = STALE[topic]
    o = outs[i]
    assert o.command.source == source and o.takeover.level == level and o.command.engaged
    assert check(o, f"stale:{topic}").active
    assert o.takeover.reason.startswith(f"stale:{topic}")
    assert_sound(f.outputs)


@pytest.mark.parametrize("topic", ["rear_objects", "mode"])
def test_a_silent_informational_topic_only_degrades(topic):
    f = engaged_feed()
    f.drop.add(topic)
    out = f.run(1.0)[-1]
    assert out.report.level == SafetyLevel.DEGRADED and out.command.source == CommandSource.PLANNER
    assert out.takeover.level == TakeoverLevel.NONE and check(out, f"stale:{topic}").active


def test_non_critical_escalation_timing_and_deadlines():
    f = engaged_feed()
    f.drop.add("vla_action")
    outs = f.run(16.0)
    t = np.array([o.report.stamp_s for o in outs])
    lv = np.array([o.takeover.level for o in outs])
    t_vis = t[np.argmax(lv >= TakeoverLevel.VISUAL)]
    t_aud = t[np.argmax(lv >= TakeoverLevel.AUDIBLE)]
    t_mrm = t[np.argmax(lv >= TakeoverLevel.MRM)]
    p = f.monitor.p
    assert t_aud - t_vis == pytest.approx(p.takeover_audible_s, abs=1.5 * DT)
    assert t_mrm - t_vis == pytest.approx(p.takeover_mrm_s, abs=1.5 * DT)
    assert t_mrm - t_vis >= 10.0 - 1e-9  # R157: >= 10 s of transition demand
    vis = outs[int(np.argmax(lv >= TakeoverLevel.VISUAL))]
    assert vis.takeover.deadline_s == pytest.approx(t_aud, abs=1.5 * DT)
    aud = outs[int(np.argmax(lv >= TakeoverLevel.AUDIBLE))]
    assert aud.takeover.deadline_s == pytest.approx(t_mrm, abs=1.5 * DT)
    held = [o for o in outs if o.takeover.level in (TakeoverLevel.VISUAL, TakeoverLevel.AUDIBLE)]
    assert all(o.command.source == CommandSource.HOLD and o.report.level == SafetyLevel.TAKEOVER for o in held)
    after = [o for o in outs if o.takeover.level == TakeoverLevel.MRM]
    assert all(o.command.source == CommandSource.MRM and o.command.hazard for o in after)
    assert_sound(f.outputs)


def test_a_fault_that_clears_keeps_the_demand_until_the_driver_acts():
    f = engaged_feed()
    f.drop.add("command")
    f.run(1.0)
    f.drop.clear()
    out = f.run(2.0)[-1]
    assert out.takeover.level >= TakeoverLevel.VISUAL  # R157: the demand ends only through the driver


# ---------------------------------------------------------------- MRM and emergency
def test_mrm_is_an_in_lane_comfortable_stop_with_hazards_down_to_standstill():
    f = engaged_feed()
    f.drop.add("vehicle_state")
    f.follow = True
    outs = f.run(20.0)
    mrm = [o for o in outs if o.command.source == CommandSource.MRM]
    assert len(mrm) > 0.9 * len(outs)
    a = np.array([o.command.accel_mps2 for o in mrm])
    p = f.monitor.p
    assert a.min() >= -p.mrm_decel_mps2 - 1e-9 and a.min() >= -4.0
    assert a[-1] == pytest.approx(-p.mrm_decel_mps2)
    assert np.max(np.abs(np.diff(a))) <= p.mrm_jerk_mps3 * DT + 1e-9
    assert all(o.command.hazard and o.report.level == SafetyLevel.MRM for o in mrm)
    assert all(abs(o.command.steering_angle_rad) < 1e-3 for o in mrm)  # holds the straight lane
    assert f.speed_mps == 0.0 and mrm[-1].command.engaged


def test_the_hold_follows_the_last_valid_lane_while_slowing():
    f = engaged_feed()
    # the lane curves left (radius 400 m); then the model dies
    def curved(q):
        for ln in q.lane_lines:
            ln.coefficients = np.array([ln.coefficients[0], 0.0, 1.0 / 800.0, 0.0])
        return q
    f.mutate["vla_action"] = curved
    f.run(0.5)
    f.drop.add("vla_action")
    outs = f.run(3.0)
    hold = [o for o in outs if o.command.source == CommandSource.HOLD]
    assert len(hold) > 100
    steer = np.array([o.command.steering_angle_rad for o in hold])
    assert np.all(steer > 0.0)  # keeps turning with the lane
    assert hold[-1].command.accel_mps2 == pytest.approx(-f.monitor.p.hold_decel_mps2)
    assert not hold[-1].command.hazard


def with_lead(lead: Lead):
    def mutate(q):
        q.lead = lead
        return q
    return mutate


def test_imminent_collision_triggers_emergency_braking():
    f = engaged_feed()
    f.mutate["vla_action"] = with_lead(Lead(distance_m=10.0, relative_speed_mps=-10.0, probability=0.9))
    outs = f.run(1.0)
    i = first_index(outs, lambda o: o.command.source == CommandSource.EMERGENCY)
    assert i is not None and i <= 2
    o = outs[-1]
    assert o.report.level == SafetyLevel.EMERGENCY and o.takeover.level == TakeoverLevel.MRM
    assert o.command.accel_mps2 == pytest.approx(-f.monitor.p.emergency_decel_mps2) and o.command.hazard
    assert "ttc_lead_s" in o.report.veto_reason
    assert_sound(f.outputs)


@pytest.mark.parametrize("offset_m, brakes", [(-2.2, False), (-1.5, True), (2.2, False)])
def test_a_stopped_car_passed_beside_is_not_braked_for(offset_m, brakes):
    # A parked car at 1 s TTC: beside the ego (2.2 m between centres, bodies 0.3 m apart) it is
    # passed; half a car width closer it is in the way.
    f = engaged_feed()
    f.mutate["vla_action"] = with_lead(Lead(distance_m=10.0, relative_speed_mps=-10.0, lateral_offset_m=offset_m,
                                            probability=0.9))
    outs = f.run(0.5)
    emergency = first_index(outs, lambda o: o.command.source == CommandSource.EMERGENCY) is not None
    assert emergency == brakes
    assert (check(outs[-1], "ttc_lead_s").value == math.inf) != brakes
    assert_sound(f.outputs)


def lead_by_time(distance_m, relative_speed_mps):
    """A lead whose range and relative speed follow the frame's stamp (callables of time)."""
    def mutate(q):
        q.lead = Lead(distance_m=distance_m(q.stamp_s), relative_speed_mps=relative_speed_mps(q.stamp_s),
                      probability=0.9)
        return q
    return mutate


def test_a_lead_the_model_calls_closing_while_its_range_stays_put_is_not_braked_for():
    # A parked car 2 m ahead of the standing ego; after 0.5 s the model reads it as creeping in at
    # 2 m/s (TTC 1 s) while the range it gives does not shrink.
    f = engaged_feed()
    t0 = f.now_s
    f.mutate["vla_action"] = lead_by_time(lambda t: 2.0, lambda t: 0.0 if t < t0 + 0.5 else -2.0)
    outs = f.run(1.5)
    assert first_index(outs, lambda o: o.command.source == CommandSource.EMERGENCY) is None
    late = outs[-1]
    assert check(late, "ttc_lead_s").value == pytest.approx(1.0) and not check(late, "ttc_lead_s").active
    seen = check(late, "lead_range_closing_mps")
    assert seen.active and seen.value == pytest.approx(0.0) and seen.limit == pytest.approx(1.0)
    assert_sound(f.outputs)


def test_a_lead_whose_range_shrinks_with_the_claimed_speed_is_braked_for():
    # The same car, but the range bears the model out: it closes at 2 m/s from 4 m.
    f = engaged_feed()
    t0 = f.now_s
    f.mutate["vla_action"] = lead_by_time(lambda t: 4.0 - 2.0 * max(0.0, t - t0 - 0.5),
                                          lambda t: 0.0 if t < t0 + 0.5 else -2.0)
    outs = f.run(1.5)
    i = first_index(outs, lambda o: o.command.source == CommandSource.EMERGENCY)
    assert i is not None and "ttc_lead_s" in outs[i].report.veto_reason
    assert not check(outs[i], "lead_range_closing_mps").active
    assert_sound(f.outputs)


def test_a_stopped_car_revealed_farther_away_is_braked_for_within_one_window():
    # Cut-out: the lead 6 m ahead (same speed) changes lane and reveals a stopped car 14 m ahead,
    # closing at 15 m/s (TTC 0.93 s). The slot's range jumps up, so the monitor waits for the new
    # range to shrink: at most one window (plus a frame) before it brakes.
    f = engaged_feed()
    t_cut = f.now_s + 0.5
    f.mutate["vla_action"] = lead_by_time(lambda t: 6.0 if t < t_cut else 14.0 - 15.0 * (t - t_cut),
                                          lambda t: 0.0 if t < t_cut else -15.0)
    outs = f.run(1.0)
    i = first_index(outs, lambda o: o.command.source == CommandSource.EMERGENCY)
    assert i is not None
    delay_s = outs[i].report.stamp_s - t_cut
    assert delay_s <= f.monitor.p.lead_range_window_s + 2 * DT + 0.04  # + one 25 Hz model frame
    assert_sound(f.outputs)


def test_rss_gap_is_reported_without_acting():
    f = engaged_feed()
    f.mutate["vla_action"] = with_lead(Lead(distance_m=20.0, relative_speed_mps=-0.5, probability=0.9))
    out = f.run(0.5)[-1]
    c = check(out, "rss_gap_m")
    assert c.active and c.value == 20.0 and c.limit > 20.0
    assert out.command.source == CommandSource.PLANNER


# ---------------------------------------------------------------- driver
def test_steering_override_yields_at_once_and_resumes_after_release():
    f = engaged_feed()
    f.torque_nm = 3.0
    out = f.step()
    assert out.command.source == CommandSource.NONE and not out.command.engaged
    assert "driver override" in out.report.veto_reason
    f.torque_nm = 0.0
    outs = f.run(1.0)
    i = first_index(outs, lambda o: o.command.source == CommandSource.PLANNER)
    assert i is not None and i * DT == pytest.approx(f.monitor.p.override_release_s, abs=2 * DT)
    assert outs[-1].takeover.level == TakeoverLevel.NONE


def test_override_during_a_takeover_demand_hands_over_and_blocks_reengagement():
    f = engaged_feed()
    f.drop.add("vla_action")
    f.run(1.0)
    f.torque_nm = 3.0
    out = f.step()
    assert out.command.source == CommandSource.NONE and out.takeover.level == TakeoverLevel.NONE
    f.torque_nm = 0.0
    f.drop.clear()
    out = f.run(1.0)[-1]
    assert not out.command.engaged and "not engaged" in out.report.veto_reason
    f.engage = True  # the driver took over, so re-engaging is allowed
    f.step()
    f.engage = False
    assert f.run(0.1)[-1].command.source == CommandSource.PLANNER


def test_no_reengagement_during_an_mrm_at_speed_only_at_standstill():
    f = engaged_feed()
    f.drop.add("driver_input")
    f.run(11.0)
    assert f.outputs[-1].command.source == CommandSource.MRM
    f.drop.clear()
    f.run(0.2)
    f.engage = True
    out = f.step()
    f.engage = False
    status = next(d for d in out.diagnostics if d[0] == "safety_monitor: status")
    assert out.command.source == CommandSource.MRM and "engage refused" in status[3]["refusal"]
    f.run(12.0)
    assert f.speed_mps == 0.0 and f.outputs[-1].command.source == CommandSource.MRM
    f.engage = True
    f.step()
    f.engage = False
    out = f.run(0.1)[-1]
    assert out.command.source == CommandSource.PLANNER and out.takeover.level == TakeoverLevel.NONE


def test_brake_takes_over_during_an_mrm():
    f = engaged_feed()
    f.drop.add("vehicle_state")
    f.run(1.0)
    f.drop.clear()
    f.brake = 0.5
    out = f.run(0.1)[-1]
    assert out.command.source == CommandSource.NONE and out.report.level != SafetyLevel.MRM
    assert out.takeover.level == TakeoverLevel.NONE


def test_a_planner_that_disengages_during_a_demand_does_not_drop_the_car():
    f = engaged_feed()
    f.hands_on = False
    f.run(15.5)                                   # optical hands-off warning
    f.command = replace(f.command, engaged=False, accel_mps2=3.0)
    out = f.run(0.2)[-1]
    assert out.command.engaged and out.command.source == CommandSource.HOLD
    assert "planner disengaged" in out.report.veto_reason and out.command.accel_mps2 < 0.0


def test_engage_press_during_a_demand_does_not_cancel_it():
    f = engaged_feed()
    f.drop.add("command")
    f.run(1.0)
    f.drop.clear()
    f.engage = True
    f.step()
    f.engage = False
    out = f.run(0.5)[-1]
    assert out.takeover.level >= TakeoverLevel.VISUAL


@pytest.mark.parametrize("attr,times", [("hands_on", (15.0, 30.0, 40.0)), ("eyes_on", (5.0, 15.0, 25.0))])
def test_attention_timers_escalate_optical_acoustic_then_mrm(attr, times):
    f = engaged_feed()
    setattr(f, attr, False)
    t0 = f.now_s
    outs = f.run(times[-1] + 0.5)
    for level, at in zip((TakeoverLevel.VISUAL, TakeoverLevel.AUDIBLE, TakeoverLevel.MRM), times):
        i = first_index(outs, lambda o, lv=level: o.takeover.level >= lv)
        assert i is not None and outs[i].report.stamp_s - t0 == pytest.approx(at, abs=1.5 * DT)
    assert outs[-1].command.source == CommandSource.MRM


def test_hands_back_on_the_wheel_clears_the_warning():
    f = engaged_feed()
    f.hands_on = False
    assert f.run(16.0)[-1].takeover.level == TakeoverLevel.VISUAL
    f.hands_on = True
    out = f.run(0.1)[-1]
    assert out.takeover.level == TakeoverLevel.NONE and out.command.source == CommandSource.PLANNER


# ---------------------------------------------------------------- situation checks
def test_low_model_confidence_demands_a_takeover_after_its_debounce():
    f = engaged_feed()
    def unsure(q):
        q.confidence = 0.1
        return q
    f.mutate["vla_action"] = unsure
    outs = f.run(1.0)
    i = first_index(outs, lambda o: check(o, "model_confidence").active)
    assert i * DT == pytest.approx(f.monitor.p.confidence_debounce_s, abs=3 * DT)
    assert outs[-1].takeover.level == TakeoverLevel.VISUAL and outs[-1].command.source == CommandSource.PLANNER


def test_the_planners_own_takeover_request_reaches_the_driver_with_its_reason():
    f = engaged_feed()
    assert not check(f.run(0.2)[-1], "planner_takeover_request").active
    f.mutate["mode"] = lambda m: replace(m, mode=Mode.TAKEOVER_REQUESTED, reason="stopped vehicle ahead")
    out = f.run(0.3)[-1]
    assert out.takeover.level == TakeoverLevel.VISUAL
    assert "stopped vehicle ahead" in out.takeover.reason
    assert out.command.source == CommandSource.PLANNER  # a demand, not a veto: the plan still drives


def test_predicted_lane_departure_from_the_command_demands_a_takeover():
    f = engaged_feed()
    f.command = replace(f.command, steering_angle_rad=0.02)  # legal, but leaves the lane in < 1 s
    f.follow = False
    outs = f.run(1.5)
    i = first_index(outs, lambda o: check(o, "lane_departure_clearance_m").active)
    assert i is not None
    c = check(outs[i], "lane_departure_clearance_m")
    assert c.value < c.limit
    assert outs[-1].takeover.level == TakeoverLevel.VISUAL


def test_a_lane_change_may_cross_the_line_on_its_side_only():
    f = engaged_feed()
    f.follow = False
    f.mutate["mode"] = lambda m: replace(m, mode=Mode.LANE_CHANGE, lane_change_direction=+1)
    f.command = replace(f.command, steering_angle_rad=0.02)  # towards the left: the change
    out = f.run(1.5)[-1]
    assert not check(out, "lane_departure_clearance_m").active and out.takeover.level == TakeoverLevel.NONE
    f.command = replace(f.command, steering_angle_rad=-0.02)  # away from it: leaving the corridor
    out = f.run(1.5)[-1]
    assert check(out, "lane_departure_clearance_m").active and out.takeover.level == TakeoverLevel.VISUAL


def test_sustained_excessive_actuation_demands_a_takeover():
    f = engaged_feed()
    f.command = replace(f.command, steering_angle_rad=0.3)
    outs = f.run(1.5)
    i = first_index(outs, lambda o: check(o, "excessive_actuation_s").active)
    assert i is not None and i * DT == pytest.approx(f.monitor.p.excessive_actuation_s, abs=3 * DT)
    ay = [o.command.steering_angle_rad for o in outs]
    assert max(ay) < 0.3


# ---------------------------------------------------------------- bad input
BAD_VALUES = [math.nan, math.inf, -math.inf, 1e12]


def corrupt(topic: str, bad: float):
    if topic == "vehicle_state":
        return lambda m: replace(m, speed_mps=bad)
    if topic == "driver_input":
        return lambda m: replace(m, steering_torque_nm=bad)
    if topic == "command":
        return lambda m: replace(m, steering_angle_rad=bad)
    if topic == "rear_objects":
        from lcc_plus.common.types import RearObject
        return lambda m: replace(m, objects=[RearObject(id=1, x_m=bad, y_m=0.0, vx_mps=0.0, vy_mps=0.0)])

    def perception(q):
        q.path_y_m[2] = bad
        return q
    return perception


@pytest.mark.parametrize("bad", BAD_VALUES)
@pytest.mark.parametrize("topic", ["vehicle_state", "driver_input", "command", "vla_action", "rear_objects"])
def test_bad_values_are_rejected_counted_and_never_used(topic, bad):
    f = engaged_feed()
    w = f.monitor.watchdog.topics[topic]
    accepted = w.accepted
    f.mutate[topic] = corrupt(topic, bad)
    outs = f.run(1.0)
    assert w.accepted == accepted and w.rejected_total == (50 if topic in ("vehicle_state", "driver_input",
                                                                            "command") else 25)
    o = outs[-1]
    assert check(o, f"rejected:{topic}").active and check(o, f"stale:{topic}").active
    diag = next(d for d in o.diagnostics if d[0] == f"safety_monitor: input {topic}")
    assert diag[3]["rejected_total"] == str(w.rejected_total)
    stored = {"vehicle_state": f.monitor.ego, "driver_input": f.monitor.driver, "command": f.monitor.proposed,
              "vla_action": f.monitor.perception, "rear_objects": f.monitor.rear}[topic]
    assert stored is None or validation_ok(topic, stored, f)
    assert_sound(f.outputs)


def validation_ok(topic, msg, f) -> bool:
    from lcc_plus.safety import validation
    p = f.monitor.p
    return {"vehicle_state": lambda: validation.check_ego(msg, p), "driver_input": lambda: validation.check_driver(msg, p),
            "command": lambda: validation.check_command(msg, p), "vla_action": lambda: validation.check_perception(msg, p),
            "rear_objects": lambda: validation.check_rear(msg, p)}[topic]() is None


def test_a_burst_of_1000_bad_messages_is_counted_without_loss():
    f = engaged_feed()
    m, t = f.monitor, f.now_s
    for i in range(1000):
        kind = i % 5
        if kind == 0:
            m.on_vehicle_state(EgoState(stamp_s=t, speed_mps=math.nan), t)
        elif kind == 1:
            m.on_driver(DriverControls(stamp_s=t, brake_pedal=math.inf), t)
        elif kind == 2:
            m.on_command(Command(stamp_s=t, accel_mps2=-1e15), t)
        elif kind == 3:
            m.on_image(t, 1, 1, "weird", t)
        else:
            m.on_perception(replace(healthy_perception(t, 20.0), confidence=math.nan), t)
    out = m.tick(t)
    totals = {n: w.rejected_total for n, w in m.watchdog.topics.items()}
    assert totals == {"vehicle_state": 200, "driver_input": 200, "vla_action": 200, "image": 200,
                      "command": 200, "rear_objects": 0, "mode": 0}
    for n in ("vehicle_state", "driver_input", "vla_action", "image", "command"):
        assert check(out, f"rejected:{n}").value == 200
    out = f.run(2.0)[-1]  # the window has passed; the totals stay
    for n in ("vehicle_state", "driver_input", "vla_action", "image", "command"):
        assert not check(out, f"rejected:{n}").active and check(out, f"rejected_total:{n}").value == 200
    assert out.command.engaged and out.takeover.level >= TakeoverLevel.VISUAL


def test_malformed_objects_are_rejected_not_raised():
    f = engaged_feed()
    m, t = f.monitor, f.now_s
    m.on_vehicle_state(EgoState(stamp_s=t, speed_mps="fast"), t)            # wrong type
    q = healthy_perception(t, 20.0)
    q.lane_lines = []                                                        # wrong shape
    m.on_perception(q, t)
    m.on_image(None, 640, 480, "rgb8", t)                                    # no stamp
    m.on_vehicle_state(None, t)                                              # not a message at all
    m.on_command("stop", t)
    assert m.watchdog.topics["vehicle_state"].rejected_total == 2
    assert m.watchdog.topics["image"].rejected_total == 1
    assert m.watchdog.topics["command"].rejected["malformed"] == 1
    out = m.tick(t)
    assert out.command.engaged


@pytest.mark.parametrize("width,height,encoding", [(320, 240, "rgb8"), (640, 480, "bgr8"), (640, 480, "16UC1")])
def test_wrong_image_size_or_encoding_is_rejected_and_holds_the_lane(width, height, encoding):
    f = engaged_feed()
    f.mutate["image"] = lambda x: (x[0], width, height, encoding)
    outs = f.run(1.0)
    o = outs[-1]
    assert check(o, "rejected:image").active and check(o, "stale:image").active
    assert o.command.source == CommandSource.HOLD and o.takeover.level == TakeoverLevel.VISUAL
    i = first_index(outs, lambda x: x.takeover.level > TakeoverLevel.NONE)
    assert i * DT <= f.monitor.watchdog.topics["image"].stale_after_s + 2 * DT
    reason = f.monitor.watchdog.topics["image"].last_reject_reason
    assert reason.startswith("image_size" if width != 640 else "image_encoding")


def test_frozen_camera_repeating_its_stamp_is_stale():
    f = engaged_feed()
    frozen = f.now_s
    f.mutate["image"] = lambda x: (frozen, *x[1:])
    outs = f.run(1.0)
    assert f.monitor.watchdog.topics["image"].rejected["stamp_repeated"] >= 20
    assert outs[-1].command.source == CommandSource.HOLD and check(outs[-1], "stale:image").active


def test_stale_stamped_vehicle_state_is_rejected_and_leads_to_the_mrm():
    f = engaged_feed()
    f.mutate["vehicle_state"] = lambda m: replace(m, stamp_s=m.stamp_s - 2.0)
    outs = f.run(1.0)
    w = f.monitor.watchdog.topics["vehicle_state"]
    assert w.rejected["stamp_backwards"] + w.rejected["stamp_old"] == 50
    assert outs[-1].command.source == CommandSource.MRM


# ---------------------------------------------------------------- clock
def test_clock_jumping_backwards_keeps_the_command_stream_and_demands_a_takeover():
    f = engaged_feed()
    f.now_s -= 30.0  # every input and the clock restart 30 s earlier
    outs = f.run(2.0)
    assert len(outs) == 100
    c = check(outs[0], "clock_backwards_s")
    assert c.active and c.value == pytest.approx(30.0 - DT)
    o = outs[-1]
    assert o.takeover.level == TakeoverLevel.VISUAL and o.command.source == CommandSource.PLANNER
    assert not check(o, "stale:vehicle_state").active  # the new time base is accepted
    assert_sound(f.outputs)


def test_clock_jumping_forwards_is_reported_and_inputs_on_the_old_base_go_stale():
    f = engaged_feed()
    f.now_s += 30.0
    out = f.step()
    assert check(out, "clock_forward_jump_s").active and out.takeover.level >= TakeoverLevel.VISUAL
    assert_sound(f.outputs)


def test_message_stamps_jumping_ahead_of_the_clock_are_rejected():
    f = engaged_feed()
    f.mutate["driver_input"] = lambda m: replace(m, stamp_s=m.stamp_s + 5.0)
    f.run(1.0)
    assert f.monitor.watchdog.topics["driver_input"].rejected["stamp_future"] == 50


def test_a_non_finite_clock_reading_does_not_break_the_tick():
    f = engaged_feed()
    out = f.monitor.tick(math.nan)
    assert math.isfinite(out.command.stamp_s) and check(out, "clock_nonfinite").active
    assert f.step().command.engaged
