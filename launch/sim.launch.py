"""The lcc_plus stack driving the built-in simulator (sim_node publishes /clock).

    ros2 launch lcc_plus sim.launch.py [scenario:=...] [seed:=...] [duration_s:=...]
        [rate_factor:=...] [report_dir:=...] [perception:=model|ground_truth]
        [+ every argument of lcc_plus.launch.py]

The stack runs on simulated time (use_sim_time is forced on); the simulator keeps
wall time and drives /clock, `rate_factor` times faster than real time. When the
simulator ends its scenario (writing the KPI report into `report_dir`), the launch
shuts down. Empty simulator arguments keep config/nodes.yaml (section sim).
"""
import importlib.util
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, OpaqueFunction, RegisterEventHandler
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown
from launch.substitutions import LaunchConfiguration

SIM_ARGUMENTS = {
    "scenario": (str, "scenario name from the catalog"),
    "seed": (int, "scenario seed"),
    "duration_s": (float, "simulated seconds to drive (0: the scenario's length)"),
    "rate_factor": (float, "simulated seconds per wall-clock second"),
    "report_dir": (str, "folder for the KPI report"),
}


def _stack_launch():
    """launch/lcc_plus.launch.py of this package, as a module (its arguments and actions)."""
    path = os.path.join(get_package_share_directory("lcc_plus"), "launch", "lcc_plus.launch.py")
    spec = importlib.util.spec_from_file_location("lcc_plus_stack_launch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _actions(context, stack):
    overrides = {}
    for name, (cast, _) in SIM_ARGUMENTS.items():
        value = LaunchConfiguration(name).perform(context)
        if value:
            overrides[name] = cast(value)
    perception = LaunchConfiguration("perception").perform(context)
    out, nodes = stack.actions(context, stack.options(context, sim=True, sim_overrides=overrides,
                                                      perception=perception))
    return [*out, RegisterEventHandler(OnProcessExit(target_action=nodes["sim"], on_exit=[EmitEvent(
        event=Shutdown(reason="the simulator finished its scenario"))]))]


def generate_launch_description():
    stack = _stack_launch()
    return LaunchDescription([
        *(DeclareLaunchArgument(name, default_value=default, description=text)
          for name, (default, text) in stack.ARGUMENTS.items()),
        *(DeclareLaunchArgument(name, default_value="", description=f"{text} (empty: config/nodes.yaml)")
          for name, (_, text) in SIM_ARGUMENTS.items()),
        DeclareLaunchArgument("perception", default_value="model", choices=["model", "ground_truth"],
                              description="model: the VLA model on the camera; ground_truth: the simulator's "
                                          "true lanes and objects in place of the model"),
        OpaqueFunction(function=lambda context: _actions(context, stack)),
    ])
