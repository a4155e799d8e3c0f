"""A node process stopped by a signal exits cleanly; errors while ROS is still up are not hidden."""
import pytest

pytest.importorskip("rclpy")

from lcc_plus.nodes.runner import spin_until_finished


class _Context:
    def __init__(self, ok: bool):
        self._ok = ok

    def ok(self) -> bool:
        return self._ok


class _Executor:
    """Raises what rclpy raised inside spin when SIGINT arrived during a message take."""

    def __init__(self, context_ok: bool):
        self.context = _Context(context_ok)

    def spin_until_future_complete(self, future):
        raise RuntimeError("Unable to convert call argument '0' to Python object")


def test_runtime_error_after_the_signal_shut_ros_down_is_a_clean_stop():
    assert spin_until_finished(_Executor(context_ok=False), []) == 0


def test_runtime_error_while_ros_is_up_is_raised():
    with pytest.raises(RuntimeError, match="Unable to convert"):
        spin_until_finished(_Executor(context_ok=True), [])
