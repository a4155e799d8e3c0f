"""A node process stopped by Ctrl-C exits cleanly, wherever the signal lands; errors while ROS is
still up are not hidden. Each case runs `runner.run_nodes` in its own process with real rclpy."""
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("rclpy")

pytestmark = pytest.mark.ros

_PRELUDE = """
import signal, sys, time
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from std_msgs.msg import String
from lcc_plus.nodes.runner import run_nodes

def wait_for_shutdown():
    deadline = time.monotonic() + 5.0
    while rclpy.ok() and time.monotonic() < deadline:
        time.sleep(0.01)
"""


def _run(body: str) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-c", _PRELUDE + textwrap.dedent(body)], capture_output=True,
                          text=True, timeout=60)
    return proc.returncode, proc.stdout + proc.stderr


def test_ctrl_c_lets_the_running_callback_finish_then_stops_cleanly():
    # Python's default handler raised KeyboardInterrupt at the next bytecode, wherever it was: in a
    # callback half done, or half-way through rclpy's Task.__init__ ("Exception ignored in
    # Future.__del__" at exit).
    rc, out = _run("""
        class Interrupted(Node):
            def __init__(self):
                super().__init__("interrupted")
                self.create_timer(0.05, self.tick)

            def tick(self):
                signal.raise_signal(signal.SIGINT)
                time.sleep(0.1)
                print("callback finished", flush=True)

        sys.exit(run_nodes([("interrupted", Interrupted)], ["interrupted"], SingleThreadedExecutor))
    """)
    assert rc == 0, out
    assert "callback finished" in out
    assert "Traceback" not in out and "Exception ignored" not in out, out


def test_ctrl_c_while_a_node_is_being_made_is_a_clean_stop():
    rc, out = _run("""
        class Slow(Node):
            def __init__(self):
                super().__init__("slow")
                signal.raise_signal(signal.SIGINT)
                wait_for_shutdown()
                self.create_publisher(String, "late", 10)  # fails: the context is shut down

        sys.exit(run_nodes([("slow", Slow)], ["slow"], SingleThreadedExecutor))
    """)
    assert rc == 0, out
    assert "Traceback" not in out and "Exception ignored" not in out, out


def test_a_runtime_error_while_ros_stays_up_is_raised():
    rc, out = _run("""
        def broken():
            raise RuntimeError("broken node")

        sys.exit(run_nodes([("broken", broken)], ["broken"], SingleThreadedExecutor))
    """)
    assert rc == 1
    assert "RuntimeError: broken node" in out
