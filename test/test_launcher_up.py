"""lcc-plus up: the graph description, ROS arguments, default remaps, and the process supervisor."""
from __future__ import annotations

import io
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_graph_matches_the_launch_options():
    from lcc_plus.launcher.graph import GraphOptions, graph, ros_arguments

    procs = graph(GraphOptions(camera_topic="/front/image", model_path="/m.onnx", params_file="/p.yaml",
                               twist_adapter=True, sim=True, sim_overrides={"scenario": "x", "seed": None}))
    assert [p.label for p in procs] == ["vla_node", "mode_manager", "controller", "safety_monitor",
                                        "twist_adapter", "sim"]
    vla = procs[0]
    assert ("~/input/image", "/front/image") in vla.remaps and vla.parameters["model_path"] == "/m.onnx"
    assert "model_path" not in procs[1].parameters and procs[1].parameters["use_sim_time"] is True
    assert ("~/input/image", "/front/image") in procs[3].remaps
    assert procs[-1].parameters == {"scenario": "x"}
    args = ros_arguments(vla, "car1")
    assert args[:5] == ["--ros-args", "-r", "__node:=vla_node", "-r", "__ns:=/car1"]
    # the user's file over config/*.yaml, explicit options over both
    assert args.index("--params-file") < args.index("model_path:=/m.onnx")
    composed = graph(GraphOptions(composed=True))
    assert len(composed) == 1 and composed[0].arguments == ["--nodes", "vla_node,mode_manager,controller,"
                                                                       "safety_monitor"]
    assert ("vla_node:~/input/image", "camera/image_raw") in composed[0].remaps


def test_ground_truth_perception_replaces_the_model_with_the_simulator():
    from lcc_plus.launcher.graph import GraphOptions, graph

    procs = graph(GraphOptions(sim=True, perception="ground_truth"))
    assert [p.label for p in procs] == ["mode_manager", "controller", "safety_monitor", "sim"]
    assert ("~/output/ground_truth", "lcc/vla_action") in procs[-1].remaps
    assert graph(GraphOptions(sim=True))[-1].remaps == []
    with pytest.raises(ValueError, match="needs the simulator"):
        GraphOptions(perception="ground_truth")
    with pytest.raises(ValueError, match="perception must be one of"):
        GraphOptions(sim=True, perception="lidar")


def test_default_remaps_come_after_the_users():
    from lcc_plus.nodes.topics import ros_args_with_default_remaps

    argv = ["exe", "--ros-args", "-r", "~/input/vehicle_state:=/mine"]
    out = ros_args_with_default_remaps("controller", argv)
    assert out[:4] == argv[:4] and out.index("~/input/vehicle_state:=/mine") < out.index(
        "~/input/vehicle_state:=vehicle/state")
    assert "controller:~/output/command:=lcc/command_proposed" in ros_args_with_default_remaps(
        "controller", [], node_prefix=True)
    with pytest.raises(KeyError, match="unknown node"):
        ros_args_with_default_remaps("nope", [])


def test_fastdds_profile_is_chosen_unless_the_environment_names_one():
    from lcc_plus.launcher.dds import profile_environment

    assert profile_environment({}, "/x.xml") == {"FASTDDS_DEFAULT_PROFILES_FILE": "/x.xml"}
    assert profile_environment({"ROS_DISTRO": "jazzy"}, "/x.xml") == {"FASTRTPS_DEFAULT_PROFILES_FILE": "/x.xml"}
    assert profile_environment({"FASTRTPS_DEFAULT_PROFILES_FILE": "/mine.xml"}) == {}
    assert profile_environment({})["FASTDDS_DEFAULT_PROFILES_FILE"].endswith("config/fastdds_shm.xml")


def _spec(label: str, code: str):
    from lcc_plus.launcher.graph import ProcessSpec

    return ProcessSpec(label, code, None, [], [], {}, [])


class _ScriptSupervisor:
    """A Supervisor whose 'executables' are Python snippets (no ROS needed to test the supervision)."""

    def __new__(cls, specs, **kwargs):
        from lcc_plus.launcher.processes import Supervisor

        class S(Supervisor):
            def command(self, spec):
                return [sys.executable, "-u", "-c", spec.executable]

        return S(specs, **kwargs)


LOOP = ("import signal, sys, time\n"
        "signal.signal(signal.SIGINT, lambda *a: (print('bye', flush=True), sys.exit(0)))\n"
        "print('up', flush=True)\n"
        "while True: time.sleep(0.05)\n")


def test_supervisor_prefixes_logs_and_fails_when_a_node_dies():
    out = io.StringIO()
    sup = _ScriptSupervisor([_spec("steady", LOOP), _spec("crashy", "import time; time.sleep(0.5); raise SystemExit(3)")],
                            out=out, grace_s=5.0)
    assert sup.run() == 1
    text = out.getvalue()
    assert "[steady] up" in text and "crashy died unexpectedly (exit status 3)" in text
    assert "[steady] bye" in text, "the others get SIGINT and stop cleanly"
    assert all(p.poll() is not None for p in sup.procs.values())


def test_supervisor_ends_well_when_the_simulator_finishes():
    out = io.StringIO()
    sup = _ScriptSupervisor([_spec("steady", LOOP), _spec("sim", "import time; time.sleep(0.5)")], out=out)
    assert sup.run() == 0 and "sim finished" in out.getvalue()


def test_supervisor_forwards_ctrl_c():
    out = io.StringIO()
    sup = _ScriptSupervisor([_spec("a", LOOP), _spec("b", LOOP)], out=out)
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers need the main thread")
    timer = threading.Timer(1.5, lambda: signal.raise_signal(signal.SIGINT))
    timer.start()
    assert sup.run() == 0
    text = out.getvalue()
    assert "[a] bye" in text and "[b] bye" in text and "interrupted" in text


@pytest.mark.ros
def test_user_remap_wins_over_the_default(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from graph_probe import GraphProbe
    from lcc_plus.msg import ControlCommand

    probe = GraphProbe({"/mine/command": ControlCommand})
    proc = subprocess.Popen([sys.executable, str(REPO / "nodes" / "controller_node"), "--ros-args", "-r",
                             "~/output/command:=/mine/command", "-r", "~/input/vehicle_state:=/mine/state"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ok = probe.wait_for(lambda: probe.node.count_subscribers("/mine/state") == 1
                            and probe.node.count_publishers("/mine/command") == 1
                            and probe.node.count_subscribers("/vehicle/state") == 0, 30.0)
        assert ok, (probe.node.count_subscribers("/mine/state"), probe.node.count_publishers("/mine/command"))
        assert probe.node.count_subscribers("/lcc/trajectory") == 1, "untouched inputs keep their default"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
        probe.close()
    assert proc.returncode == 0 and "Traceback" not in out, out

