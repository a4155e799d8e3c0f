"""Integration over real DDS, one process per node: the full graph on the simulator, bag playback
through the stack, and a node killed and restarted with the safety monitor reacting.

Each test starts the nodes exactly as `lcc-plus up` does (lcc_plus/launcher/graph.py) and
watches the graph's topics from this process. They need the shipped VLA model
(config/vla.yaml model_path, or LCC_TEST_VLA_MODEL).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ros, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
BAG = REPO / "test" / "data" / "replay" / "highway_slow_truck_s0"
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module")
def model_path() -> str:
    from stack_model import stack_model_path

    path = stack_model_path()
    assert path.is_file(), f"the VLA model {path} is missing: the integration tests drive with it"
    return str(path)


@pytest.fixture
def probe():
    from graph_probe import GraphProbe

    p = GraphProbe()
    yield p
    p.close()


class Graph:
    """The graph's processes, each started and stopped on its own."""

    def __init__(self, options, log_dir: Path):
        from lcc_plus.launcher.graph import graph
        from lcc_plus.launcher.processes import Supervisor

        self.specs = {p.label: p for p in graph(options)}
        self.supervisor = Supervisor(list(self.specs.values()), options.namespace)
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, label: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{label}.log", "a")
        self.procs[label] = subprocess.Popen(self.supervisor.command(self.specs[label]), stdout=log,
                                             stderr=subprocess.STDOUT)
        return self.procs[label]

    def start_all(self) -> None:
        for label in self.specs:
            self.start(label)

    def log(self, label: str) -> str:
        return (self.log_dir / f"{label}.log").read_text()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(2)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _levels(probe, since: float = 0.0) -> set[int]:
    return {m.level for m in probe.get("/lcc/safety_status", since)}


def _drive_to_the_end(probe, tmp_path, model_path: str, perception: str) -> None:
    from lcc_plus.msg import ControlCommand, SafetyStatus

    from lcc_plus.launcher.graph import GraphOptions

    report = tmp_path / "report"
    g = Graph(GraphOptions(model_path=model_path, sim=True, perception=perception, sim_overrides={
        "scenario": "highway_slow_truck", "duration_s": 15.0, "report_dir": str(report)}), tmp_path)
    g.start_all()
    try:
        rc = g.procs["sim"].wait(timeout=85)
    finally:
        g.stop()
    assert rc == 0, g.log("sim")
    kpis = json.loads((report / "report.json").read_text())["runs"][0]["kpis"]
    assert kpis["takeovers"]["total"]["count"] == 0, kpis
    assert kpis["collisions"] == 0 and kpis["lane_departures"] == 0, kpis
    assert kpis["engaged_km"] > 0.2, f"the system hardly drove: {kpis}"
    commands = probe.get("/lcc/command")
    assert sum(c.engaged and c.source == ControlCommand.SOURCE_PLANNER for c in commands) > 0.5 * len(commands)
    assert max(_levels(probe)) < SafetyStatus.LEVEL_TAKEOVER
    for label in g.procs:
        assert "Traceback" not in g.log(label), g.log(label)


def test_full_graph_with_ground_truth_perception_drives_to_the_end_without_takeover(probe, tmp_path):
    """Mode manager, controller, safety monitor and simulator over DDS, the simulator's ground
    truth in place of the model: the graph itself must drive the scenario without a takeover."""
    _drive_to_the_end(probe, tmp_path, "", "ground_truth")


@pytest.mark.skipif(os.environ.get("LCC_TEST_MODEL_GRAPH") != "1",
                    reason="a closed loop of the model over DDS is not deterministic: it held this drive in 5 of 5 "
                           "tries with vla.onnx@02b481e4 on a quiet machine, 5 of 5 with the planner of 2026-12-05 "
                           "afternoon while a training run loaded both cores, 5 of 5 with the planner of that late "
                           "afternoon, 5 of 5 with that of the evening and 11 of 12 with that of the night (the one failure, with the killed-model-node "
                           "test in the same run, was not recorded) (as did e3b84cad, 35784ca2, 8d7c853e, 795a8527 and 16a4bb19; an earlier model 2 of 4), "
                           "not yet measured on a CI machine (issue 6); set LCC_TEST_MODEL_GRAPH=1 to run it")
def test_full_graph_with_the_model_drives_to_the_end_without_takeover(probe, model_path, tmp_path):
    _drive_to_the_end(probe, tmp_path, model_path, "model")


def test_bag_playback_through_the_stack(probe, model_path, tmp_path):
    from lcc_plus.msg import ModeState
    from rosbags.rosbag2 import Reader

    from lcc_plus.launcher.graph import GraphOptions

    with Reader(BAG) as reader:
        image_stamps = {t for c, t, _ in reader.messages() if c.topic == "/camera/image_raw/compressed"}
    g = Graph(GraphOptions(model_path=model_path, use_sim_time=True), tmp_path)
    g.start_all()
    try:
        assert probe.wait_for(lambda: probe.node.count_subscribers("/camera/image_raw/compressed") > 0, 60)
        assert probe.wait_for(lambda: probe.node.count_publishers("/lcc/command") > 0, 60)
        # Half speed: the driver presses engage 1.05-1.45 s into this 3 s bag, and the stack has to
        # be available by then. At full speed the first model output came 0.75 s in on a quiet
        # machine, and once in a loaded CI run not before the press ended ("never engaged").
        play = subprocess.run([sys.executable, "-m", "lcc_plus.cli", "play", str(BAG), "--clock", "--rate", "0.5",
                               "--topics", "/camera/image_raw/compressed", "/camera/camera_info", "/vehicle/state",
                               "/vehicle/driver_input", "/sensing/rear_objects", "--wait-for-subscribers", "2"],
                              capture_output=True, text=True, timeout=60)
        assert play.returncode == 0, play.stdout + play.stderr
        time.sleep(1.0)
    finally:
        g.stop()
    actions = probe.get("/lcc/vla_action")
    assert len(actions) >= 10, f"{len(actions)} VlaActions for {len(image_stamps)} frames\n{g.log('vla_node')}"
    stamps = {a.header.stamp.sec * 1_000_000_000 + a.header.stamp.nanosec for a in actions}
    assert stamps <= image_stamps, "VlaAction must carry its source image stamp"
    assert ModeState.MODE_LANE_KEEP in {m.mode for m in probe.get("/lcc/mode")}, "the stack never engaged"
    bag_end_s = max(image_stamps) * 1e-9
    command_times = [c.header.stamp.sec + c.header.stamp.nanosec * 1e-9 for c in probe.get("/lcc/command")]
    assert command_times and max(command_times) <= bag_end_s + 1.0, "commands must follow the bag's clock"


def test_killed_model_node_is_caught_by_the_safety_monitor_and_recovers(probe, model_path, tmp_path):
    from lcc_plus.msg import ControlCommand, TakeoverRequest

    from lcc_plus.launcher.graph import GraphOptions

    g = Graph(GraphOptions(model_path=model_path, sim=True, sim_overrides={
        "scenario": "highway_slow_truck", "duration_s": 40.0}), tmp_path)
    g.start_all()
    try:
        engaged = probe.wait_for(lambda: any(c.engaged and c.source == ControlCommand.SOURCE_PLANNER
                                             for c in probe.get("/lcc/command")), 60)
        assert engaged, "the system never engaged\n" + g.log("safety_monitor")[-3000:]
        g.procs["vla_node"].kill()
        killed = time.monotonic()

        def reacted() -> bool:
            stale = any("vla_action" in c.name and c.active for m in probe.get("/lcc/safety_status", killed)
                        for c in m.checks)
            held = any(c.source in (ControlCommand.SOURCE_HOLD, ControlCommand.SOURCE_MRM)
                       for c in probe.get("/lcc/command", killed))
            warned = any(t.level >= TakeoverRequest.LEVEL_VISUAL for t in probe.get("/lcc/takeover_request", killed))
            return stale and held and warned

        assert probe.wait_for(reacted, 20), "no stale check, hold command and takeover request after the kill"
        assert g.procs["safety_monitor"].poll() is None and g.procs["sim"].poll() is None
        commands_after = probe.get("/lcc/command", killed)
        stamps = [c.header.stamp.sec + c.header.stamp.nanosec * 1e-9 for c in commands_after]
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        assert gaps and max(gaps) < 0.5, f"gap of {max(gaps):.2f} s in the gated command stream"
        g.start("vla_node")
        restarted = time.monotonic()
        assert probe.wait_for(lambda: len(probe.get("/lcc/vla_action", restarted)) > 5, 60), g.log("vla_node")
    finally:
        g.stop()
