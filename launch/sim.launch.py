"""The lcc_plus stack driving the built-in simulator (sim_node publishes /clock).

    ros2 launch lcc_plus sim.launch.py [scenario:=...] [seed:=...] [rate_factor:=...]
        [report_dir:=...] [+ every argument of lcc_plus.launch.py]

The stack runs on simulated time (use_sim_time:=true); the simulator keeps wall
time and drives /clock, `rate_factor` times faster than real time. The simulator
ends with its scenario (writing the KPI report to `report_dir`), and so does the
launch.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    GroupAction,
    IncludeLaunchDescription,
    OpaqueFunction,
    RegisterEventHandler,
)
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node, PushROSNamespace

from launch import LaunchDescription

# argument -> (type, description); empty means the value in config/nodes.yaml (section sim)
SIM_ARGS = {
    "scenario": (str, "scenario name"),
    "seed": (int, "scenario seed"),
    "rate_factor": (float, "simulated seconds per wall second"),
    "report_dir": (str, "folder for the KPI report"),
}


def _sim(context):
    overrides = {}
    for name, (cast, _) in SIM_ARGS.items():
        value = LaunchConfiguration(name).perform(context)
        if value:
            overrides[name] = cast(value)
    params: list = [overrides]
    params_file = LaunchConfiguration("params_file").perform(context)
    if params_file:
        params.append(params_file)
    sim = Node(package="lcc_plus", executable="sim_node", name="sim", parameters=params, output="screen",
               emulate_tty=True)
    return [
        GroupAction([PushROSNamespace(LaunchConfiguration("namespace")), sim]),
        RegisterEventHandler(OnProcessExit(target_action=sim, on_exit=[EmitEvent(event=Shutdown(
            reason="the simulator finished its scenario"))])),
    ]


def generate_launch_description():
    stack = os.path.join(get_package_share_directory("lcc_plus"), "launch", "lcc_plus.launch.py")
    return LaunchDescription([
        *(DeclareLaunchArgument(name, default_value="", description=f"{text} (empty: config/nodes.yaml)")
          for name, (_, text) in SIM_ARGS.items()),
        DeclareLaunchArgument("namespace", default_value=""),
        DeclareLaunchArgument("params_file", default_value=""),
        IncludeLaunchDescription(PythonLaunchDescriptionSource(stack),
                                 launch_arguments={"use_sim_time": "true"}.items()),
        OpaqueFunction(function=_sim),
    ])
