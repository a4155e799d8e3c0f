"""Start one node in its own process: default remaps, start-up errors, clean shutdown.

Each nodes/<name> script calls `run_node(NodeClass, "<name>")`. A bad parameter or
an unusable model stops start-up with one clear line on stderr and exit status 2.
A node that finishes on its own (the simulator at the end of its scenario) sets
its `finished` future to its exit status.

Ctrl-C stops a node only through rclpy's signal handler, which shuts the context down and
wakes the executor (ExternalShutdownException at its next wait). Python's own handler would
also raise KeyboardInterrupt at whatever bytecode runs, even half-way through rclpy's
`Task.__init__` (the half-built Task then printed "Exception ignored in Future.__del__" at
exit: 1 stop in 120 of a node with a busy executor, and a failed CI run), or half-way through
a callback.
"""
from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.task import Future

from lcc_plus.common.params import ParamError
from lcc_plus.nodes import topics

EXIT_START_UP = 2
SIGNAL_SHUTDOWN_WAIT_S = 2.0  # rclpy's signal thread shuts the context down well within this


class StartupError(RuntimeError):
    """A node cannot start (missing model, missing optional dependency); the message says why."""


def _shuts_down_soon(context) -> bool:
    """Whether `context` is shut down now or within SIGNAL_SHUTDOWN_WAIT_S (rclpy's signal thread doing it)."""
    deadline = time.monotonic() + SIGNAL_SHUTDOWN_WAIT_S
    while context.ok():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def stop_on_ctrl_c_through_rclpy_only() -> None:
    """Let Ctrl-C stop this process only through rclpy (module docstring): Python's part of it does
    nothing. Call it before rclpy.init: rclpy's handler chains to the Python handler it finds;
    installed after, this one would replace rclpy's and nothing would shut the context down."""
    signal.signal(signal.SIGINT, lambda signum, frame: None)


def spin_until_finished(executor, nodes: list[Node]) -> int:
    """Spin until a node's `finished` future completes (its result is the exit status) or Ctrl-C."""
    futures = [f for f in (getattr(n, "finished", None) for n in nodes) if f is not None]
    done = Future()
    for f in futures:
        f.add_done_callback(lambda fut: done.done() or done.set_result(fut.result()))
    try:
        executor.spin_until_future_complete(done)
    except ExternalShutdownException:
        return 0
    return int(done.result() or 0) if done.done() else 0


def shutdown(nodes: list[Node], executor=None) -> None:
    """Shut `executor` down, destroy `nodes` and shut rclpy down."""
    if executor is not None:
        # Now, while its guard conditions can still be destroyed: left to the garbage
        # collector after rclpy's shutdown, they print an InvalidHandle traceback at exit.
        executor.shutdown(timeout_sec=1.0)
    for node in nodes:
        node.destroy_node()
    rclpy.try_shutdown()


def run_nodes(factories: list[tuple[str, Callable[[], Node]]], ros_args: list[str], executor_class) -> int:
    """rclpy.init(ros_args), create every node, spin them on one executor; return the exit status."""
    stop_on_ctrl_c_through_rclpy_only()
    rclpy.init(args=ros_args)
    nodes: list[Node] = []
    executor = None
    try:
        # The executor first, right after rclpy.init: a Ctrl-C that shuts the context down while it
        # is made leaves it half-built (its __del__ prints an AttributeError at exit); a node's
        # construction takes far longer than this window and fails cleanly below.
        executor = executor_class()
        for name, factory in factories:
            try:
                nodes.append(factory())
            except (ParamError, StartupError) as err:
                print(f"[{name}] cannot start: {err}", file=sys.stderr)
                return EXIT_START_UP
        for node in nodes:
            executor.add_node(node)
        return spin_until_finished(executor, nodes)
    except RuntimeError:  # rclpy's RCLError is one
        # Ctrl-C shut the context down while a node was being made (creating a publisher on it
        # fails) or while the executor built its wait set: a clean stop either way. rclpy shuts
        # the context down from its own signal thread, so wait a moment for it; a RuntimeError
        # while the context stays up is a real error.
        if not _shuts_down_soon(rclpy.get_default_context()):
            raise
        return 0
    finally:
        shutdown(nodes, executor)


def run_node(factory: Callable[[], Node], node_name: str, argv: list[str] | None = None) -> int:
    """Run `factory()` (a Node named `node_name`) until shutdown; return the exit status."""
    argv = list(sys.argv if argv is None else argv)
    return run_nodes([(node_name, factory)], topics.ros_args_with_default_remaps(node_name, argv),
                     SingleThreadedExecutor)
