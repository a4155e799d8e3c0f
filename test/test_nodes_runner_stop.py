"""A node process stopped by a signal exits cleanly; errors while ROS is still up are not hidden."""
import pytest

pytest.importorskip("rclpy")

from lcc_plus.nodes import runner
from lcc_plus.nodes.runner import spin_until_finished


class _Context:
    """ok() for the first `up_polls` calls, then shut down (rclpy's signal thread lagging the interrupt)."""

    def __init__(self, up_polls: float):
        self.up_polls = up_polls

    def ok(self) -> bool:
        self.up_polls -= 1
        return self.up_polls >= 0


class _Executor:
    """Raises what rclpy raised inside spin when SIGINT arrived during a message take."""

    def __init__(self, up_polls: float):
        self.context = _Context(up_polls)

    def spin_until_future_complete(self, future):
        raise RuntimeError("Unable to convert call argument '0' to Python object")


def test_runtime_error_after_the_signal_shut_ros_down_is_a_clean_stop():
    assert spin_until_finished(_Executor(up_polls=0), []) == 0


def test_runtime_error_just_before_the_signal_thread_shuts_ros_down_is_a_clean_stop():
    executor = _Executor(up_polls=5)
    assert spin_until_finished(executor, []) == 0
    assert executor.context.up_polls < 0  # it waited for the shutdown


def test_runtime_error_while_ros_stays_up_is_raised(monkeypatch):
    monkeypatch.setattr(runner, "SIGNAL_SHUTDOWN_WAIT_S", 0.05)
    with pytest.raises(RuntimeError, match="Unable to convert"):
        spin_until_finished(_Executor(up_polls=float("inf")), [])
