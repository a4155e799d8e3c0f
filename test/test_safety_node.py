"""Two-process fault injection over DDS: the safety_monitor node runs as a subprocess, this
process plays vehicle, driver, camera, model and controller, injects one fault at a time and
checks that the documented level is reached within its deadline while the gated command
stream never pauses."""
from __future__ import annotations

import math
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from safety_feed import healthy_perception

REPO = Path(__file__).resolve().parents[1]
RATE_HZ = 50.0          # config/safety.yaml rate_hz
STALE_S = 0.25          # max(3 periods, stale_min_s) for the 50 Hz inputs
IMAGE_STALE_S = 0.3     # 3 periods of the 10 Hz image set below
DDS_SLACK_S = 0.4       # delivery and scheduling on a shared 2-core machine
GAP_LIMIT_S = 3.0 / RATE_HZ + 0.04
STALL_LIMIT_S = 0.5


def assert_no_gap(gaps_s: list[float]) -> None:
    """The command stream has no gap: 99 % of the intervals within 3 periods (+ 40 ms), none
    beyond STALL_LIMIT_S. A single longer interval is a CPU stall of the whole process on
    this shared 2-core machine (load averages above 10 happen), not a missed tick: the
    status sequence numbers prove every tick was published."""
    gaps = np.sort(np.asarray(gaps_s))
    p99 = float(np.percentile(gaps, 99))
    assert p99 < GAP_LIMIT_S, f"99th percentile gap between gated commands {p99:.3f} s"
    assert gaps[-1] < STALL_LIMIT_S, f"largest gap between gated commands {gaps[-1]:.3f} s"


@dataclass
class Plant:
    """What the test process publishes every 20 ms; faults change these fields."""

    drop: set = field(default_factory=set)
    ego_speed_mps: float = 20.0
    ego_stamp_offset_s: float = 0.0
    driver_stamp_offset_s: float = 0.0
    frozen_image_stamp: float | None = None
    image_size: tuple = (640, 480, "rgb8")
    torque_nm: float = 0.0
    engage: bool = False


@pytest.mark.ros
def test_faults_over_dds_reach_their_level_in_time_without_a_gap():
    import rclpy
    from lcc_plus.msg import (
        ControlCommand,
        DriverInput,
        Heartbeat,
        ModeState,
        ObjectList,
        SafetyStatus,
        TakeoverRequest,
        VehicleState,
        VlaAction,
    )
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Image

    from lcc_plus.common.types import (
        Command,
        CommandSource,
        DriverControls,
        EgoState,
        Mode,
        ModeStatus,
        RearSensing,
    )
    from lcc_plus.nodes import conversions as conv
    from lcc_plus.nodes.topics import qos_profile

    proc = _start_node("period_image_s:=0.1", "stale_min_s:=0.2")
    rclpy.init()
    try:
        node = rclpy.create_node("safety_fault_injector")
        pubs = {name: node.create_publisher(t, topic, qos_profile(topic)) for name, t, topic in [
            ("vehicle_state", VehicleState, "vehicle/state"), ("driver_input", DriverInput, "vehicle/driver_input"),
            ("vla_action", VlaAction, "lcc/vla_action"), ("mode", ModeState, "lcc/mode"),
            ("command", ControlCommand, "lcc/command_proposed"), ("rear_objects", ObjectList, "sensing/rear_objects"),
            ("image", Image, "camera/image_raw")]}
        commands, statuses, heartbeats = [], [], []
        node.create_subscription(ControlCommand, "lcc/command", lambda m: commands.append((time.monotonic(), m)),
                                 qos_profile("lcc/command"))
        node.create_subscription(SafetyStatus, "lcc/safety_status", lambda m: statuses.append((time.monotonic(), m)),
                                 qos_profile("lcc/safety_status"))
        node.create_subscription(Heartbeat, "lcc/heartbeat", lambda m: heartbeats.append(m),
                                 qos_profile("lcc/heartbeat"))
        plant = Plant()
        pixels = bytes(640 * 480 * 3)
        tick = {"n": 0}

        def publish() -> None:
            now = node.get_clock().now().nanoseconds * 1e-9
            n = tick["n"]
            tick["n"] += 1
            out = {
                "vehicle_state": lambda: conv.ego_to_msg(EgoState(stamp_s=now + plant.ego_stamp_offset_s,
                                                                  speed_mps=plant.ego_speed_mps)),
                "driver_input": lambda: conv.driver_to_msg(DriverControls(
                    stamp_s=now + plant.driver_stamp_offset_s, steering_torque_nm=plant.torque_nm,
                    engage_request=plant.engage)),
                "command": lambda: conv.command_to_msg(Command(stamp_s=now, target_speed_mps=20.0,
                                                               source=CommandSource.PLANNER, engaged=True)),
            }
            if n % 2 == 0:
                out["vla_action"] = lambda: conv.perception_to_msg(healthy_perception(now, 20.0))
                out["mode"] = lambda: conv.mode_to_msg(ModeStatus(stamp_s=now, mode=Mode.LANE_KEEP))
                out["rear_objects"] = lambda: conv.rear_to_msg(RearSensing(stamp_s=now))
            if n % 5 == 0:
                def image():
                    w, h, enc = plant.image_size
                    m = Image(width=w, height=h, encoding=enc, step=w * 3, data=pixels)
                    stamp = plant.frozen_image_stamp if plant.frozen_image_stamp is not None else now
                    m.header.stamp = conv.to_stamp(stamp)
                    return m
                out["image"] = image
            for name, make in out.items():
                if name not in plant.drop:
                    pubs[name].publish(make())

        node.create_timer(1.0 / RATE_HZ, publish)
        ex = SingleThreadedExecutor()
        ex.add_node(node)

        def spin_for(seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                ex.spin_once(timeout_sec=0.005)

        def wait_for(pred, timeout_s: float) -> float | None:
            """Seconds until pred() holds on the newest status and command, None on timeout."""
            start = time.monotonic()
            while time.monotonic() - start < timeout_s:
                ex.spin_once(timeout_sec=0.005)
                if statuses and commands and pred(statuses[-1][1], commands[-1][1]):
                    return time.monotonic() - start
            return None

        def planner_ok(s, c) -> bool:
            return c.source == ControlCommand.SOURCE_PLANNER and s.level == SafetyStatus.LEVEL_OK

        def engage() -> None:
            for _ in range(8):  # a blocking check may still be counting down its window
                plant.engage = True
                spin_for(0.1)
                plant.engage = False
                if wait_for(planner_ok, 0.6) is not None:
                    return
            raise AssertionError(f"could not engage: {statuses[-1][1].veto_reason}")

        def recover() -> None:
            """Clear the fault, let the driver take over (steering), then re-engage."""
            nonlocal plant
            plant = Plant(torque_nm=3.0)
            spin_for(0.2)
            plant.torque_nm = 0.0
            spin_for(0.7)
            engage()

        assert wait_for(lambda s, c: True, 20.0) is not None, "the safety monitor node did not come up"
        assert commands[-1][1].source == ControlCommand.SOURCE_NONE  # not engaged before the driver asks
        engage()

        def hold(s, c):
            return c.source == ControlCommand.SOURCE_HOLD and s.takeover_level == TakeoverRequest.LEVEL_VISUAL

        def mrm(s, c):
            return c.source == ControlCommand.SOURCE_MRM and s.level == SafetyStatus.LEVEL_MRM and c.hazard

        def takeover(s, c):
            return s.level == SafetyStatus.LEVEL_TAKEOVER and c.engaged

        def yielded(s, c):
            return c.source == ControlCommand.SOURCE_NONE and not c.engaged

        faults = [  # name, injection, expected state, deadline [s]
            ("kill the model", lambda: plant.drop.add("vla_action"), hold, STALE_S),
            ("freeze the camera", lambda: setattr(plant, "frozen_image_stamp", time.time()), hold, IMAGE_STALE_S),
            ("NaN vehicle state", lambda: setattr(plant, "ego_speed_mps", math.nan), mrm, STALE_S),
            ("inf vehicle state", lambda: setattr(plant, "ego_speed_mps", math.inf), mrm, STALE_S),
            ("huge vehicle state", lambda: setattr(plant, "ego_speed_mps", 1e12), mrm, STALE_S),
            ("wrong image size", lambda: setattr(plant, "image_size", (320, 240, "rgb8")), hold, IMAGE_STALE_S),
            ("wrong image encoding", lambda: setattr(plant, "image_size", (640, 480, "16UC1")), hold,
             IMAGE_STALE_S),
            ("clock backwards (stamps)", lambda: setattr(plant, "ego_stamp_offset_s", -10.0), mrm, STALE_S),
            ("clock forwards (stamps)", lambda: setattr(plant, "driver_stamp_offset_s", 10.0), takeover, STALE_S),
            ("stale vehicle state", lambda: plant.drop.add("vehicle_state"), mrm, STALE_S),
            ("driver steering override", lambda: setattr(plant, "torque_nm", 3.0), yielded, 2.0 / RATE_HZ),
        ]
        results = {}
        for name, inject, expected, deadline_s in faults:
            inject()
            took = wait_for(expected, deadline_s + DDS_SLACK_S + 1.0)
            results[name] = took
            assert took is not None, f"{name}: never reached; last status {statuses[-1][1].veto_reason!r}"
            assert took <= deadline_s + DDS_SLACK_S, f"{name}: took {took:.3f} s > {deadline_s} s + slack"
            if expected in (hold, mrm):  # the planner's command was replaced: say why
                assert statuses[-1][1].vetoed and statuses[-1][1].veto_reason
            recover()

        # No gap in the gated command stream, no tick lost, heartbeat alive.
        t = [conv.to_seconds(m.header.stamp) for _, m in commands]   # when the node published each
        gaps = [b - a for a, b in zip(t, t[1:])]
        arrival = [a for a, _ in commands]
        print(f"largest gap between arrivals here {max(b - a for a, b in zip(arrival, arrival[1:])):.3f} s")
        print({k: round(v, 3) for k, v in results.items()}, f"max gap {max(gaps):.3f} s, {len(t)} commands")
        assert_no_gap(gaps)
        seq = [m.sequence for _, m in statuses]
        assert seq == list(range(seq[0], seq[0] + len(seq))), "a safety status (tick) was lost"
        # keep-last-1 QoS: a slow reader may miss some; the sequence shows the node sent them all
        beat_seq = [b.sequence for b in heartbeats]
        assert all(b > a for a, b in zip(beat_seq, beat_seq[1:]))
        assert beat_seq[-1] - beat_seq[0] >= 0.9 * (seq[-1] - seq[0])
        assert all(math.isfinite(m.accel_mps2) and math.isfinite(m.steering_angle_rad) for _, m in commands)
        assert proc.poll() is None, "the safety monitor node died"
    finally:
        rclpy.try_shutdown()
        out = _stop_node(proc)
        assert_no_traceback(out)


def assert_no_traceback(output: str) -> None:
    """The node printed no traceback, except rclpy's wait-set error when SIGTERM shuts the
    context down under a spinning executor (lcc_plus/nodes/runner.py does not catch it)."""
    for chunk in output.split("Traceback (most recent call last):")[1:]:
        assert "the given context is not valid" in chunk, chunk[-3000:]


def _start_node(*params: str) -> subprocess.Popen:
    args = [a for p in params for a in ("-p", p)]
    return subprocess.Popen([sys.executable, "-m", "lcc_plus.nodes.safety_monitor_node", "--ros-args", *args],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop_node(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


@pytest.mark.ros
def test_sim_clock_jumps_keep_the_timer_and_the_stream_going():
    """With use_sim_time the timer runs on /clock; a jump back by 500 s and forward by 100 s
    is reported as a check and the gated command keeps coming at its rate."""
    import rclpy
    from builtin_interfaces.msg import Time
    from lcc_plus.msg import ControlCommand, SafetyStatus
    from rclpy.executors import SingleThreadedExecutor
    from rosgraph_msgs.msg import Clock

    from lcc_plus.nodes.topics import qos_profile

    proc = _start_node("use_sim_time:=true")
    rclpy.init()
    try:
        node = rclpy.create_node("safety_clock_injector")
        clock_pub = node.create_publisher(Clock, "/clock", 10)
        statuses, commands = [], []
        node.create_subscription(SafetyStatus, "lcc/safety_status", lambda m: statuses.append((time.monotonic(), m)),
                                 qos_profile("lcc/safety_status"))
        node.create_subscription(ControlCommand, "lcc/command", lambda m: commands.append(time.monotonic()),
                                 qos_profile("lcc/command"))
        sim = {"t": 1000.0}

        def tick() -> None:
            sim["t"] += 0.01
            clock_pub.publish(Clock(clock=Time(sec=int(sim["t"]), nanosec=int(sim["t"] % 1.0 * 1e9))))

        node.create_timer(0.01, tick)
        ex = SingleThreadedExecutor()
        ex.add_node(node)

        def spin_until(pred, timeout_s: float) -> None:
            end = time.monotonic() + timeout_s
            while time.monotonic() < end and not pred():
                ex.spin_once(timeout_sec=0.005)

        spin_until(lambda: len(statuses) >= 50, 20.0)
        assert len(statuses) >= 50, "no safety status on sim time"
        for jump_s, check_name in ((-500.0, "clock_backwards_s"), (+100.0, "clock_forward_jump_s")):
            t_jump, n = time.monotonic(), len(statuses)
            sim["t"] += jump_s
            spin_until(lambda t=t_jump: time.monotonic() - t > 1.5, 2.0)
            after = [m for _, m in statuses[n:]]
            assert len(after) >= 0.6 * 1.5 * RATE_HZ, f"{len(after)} statuses in 1.5 s after a {jump_s} s jump"
            flagged = [c for m in after[:10] for c in m.checks if c.name == check_name and c.active]
            assert flagged and flagged[0].value == pytest.approx(abs(jump_s), abs=0.1)
        assert_no_gap([b - a for a, b in zip(commands, commands[1:])])
        seq = [m.sequence for _, m in statuses]
        assert seq == list(range(seq[0], seq[0] + len(seq)))
        assert proc.poll() is None
    finally:
        rclpy.try_shutdown()
        assert_no_traceback(_stop_node(proc))


@pytest.mark.ros
def test_node_counts_unconvertible_messages_and_fails_safe_on_a_core_defect():
    """In one process: a VehicleState with an undefined enum is counted as rejected; an
    exception inside the core makes the node command a hand-back and report FAULT."""
    import rclpy
    from lcc_plus.msg import ControlCommand, Heartbeat, VehicleState
    from rclpy.executors import SingleThreadedExecutor

    from lcc_plus.nodes import topics
    from lcc_plus.nodes.safety_monitor_node import NAME, SafetyMonitorNode
    from lcc_plus.nodes.topics import qos_profile

    rclpy.init(args=topics.ros_args_with_default_remaps(NAME, ["test"]))
    try:
        mon_node = SafetyMonitorNode()
        peer = rclpy.create_node("safety_peer")
        bad = VehicleState(speed_mps=10.0, turn_signal=99)
        bad.header.stamp = mon_node.get_clock().now().to_msg()
        pub = peer.create_publisher(VehicleState, "vehicle/state", qos_profile("vehicle/state"))
        commands, beats = [], []
        peer.create_subscription(ControlCommand, "lcc/command", commands.append, qos_profile("lcc/command"))
        peer.create_subscription(Heartbeat, "lcc/heartbeat", beats.append, qos_profile("lcc/heartbeat"))
        ex = SingleThreadedExecutor()
        ex.add_node(mon_node)
        ex.add_node(peer)
        watch = mon_node.monitor.watchdog.topics["vehicle_state"]
        end = time.monotonic() + 10.0
        while time.monotonic() < end and watch.rejected["conversion"] == 0:
            pub.publish(bad)
            ex.spin_once(timeout_sec=0.02)
        assert watch.rejected["conversion"] >= 1 and watch.accepted == 0
        assert "turn_signal" in watch.last_reject_reason

        def broken(now_s):
            raise RuntimeError("injected core defect")

        mon_node.monitor.tick = broken
        n_cmd, n_beat = len(commands), len(beats)
        end = time.monotonic() + 5.0
        while time.monotonic() < end and (len(commands) < n_cmd + 5 or len(beats) < n_beat + 5):
            ex.spin_once(timeout_sec=0.02)
        assert all(not c.engaged and c.source == ControlCommand.SOURCE_NONE for c in commands[n_cmd:])
        assert all(b.state == Heartbeat.STATE_FAULT for b in beats[n_beat + 1:])
        assert len(commands) >= n_cmd + 5
    finally:
        rclpy.try_shutdown()
