"""The lcc_plus stack: vla_node, mode_manager, controller, safety_monitor (+ optional adapters).

    ros2 launch lcc_plus lcc_plus.launch.py [camera_topic:=...] [camera_info_topic:=...]
        [compressed_topic:=...] [model_path:=...] [params_file:=...] [namespace:=...]
        [use_sim_time:=true|false] [composed:=true|false]
        [twist_adapter:=true|false] [ackermann_adapter:=true|false] [fastdds_profile:=...]

Defaults come from the package's config/*.yaml; `params_file` is a ROS 2 parameter
file laid over them (sections per node name). Topic names are relative, so a
namespace moves the whole graph. `composed:=true` runs every node in one process
(lcc_plus_composed, a MultiThreadedExecutor): Python nodes cannot be loaded into a
C++ component container. Fast DDS gets the package's shared-memory profile
(config/fastdds_shm.xml) unless a profile is already set in the environment or
`fastdds_profile:=none` is given. The graph itself is lcc_plus/launcher/graph.py,
shared with `lcc-plus up`.
"""
import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction, OpaqueFunction, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node, PushROSNamespace

from lcc_plus.launcher.dds import profile_environment
from lcc_plus.launcher.graph import GraphOptions, graph

ARGUMENTS = {
    "camera_topic": ("camera/image_raw", "sensor_msgs/Image of the front camera"),
    "compressed_topic": ("camera/image_raw/compressed", "sensor_msgs/CompressedImage of the front camera"),
    "camera_info_topic": ("camera/camera_info", "sensor_msgs/CameraInfo of the front camera"),
    "model_path": ("", "VLA ONNX model (empty: config/vla.yaml model_path)"),
    "params_file": ("", "ROS 2 parameter file laid over config/*.yaml"),
    "namespace": ("", "namespace of every node and topic"),
    "use_sim_time": ("false", "follow /clock"),
    "composed": ("false", "all nodes in one process (lcc_plus_composed)"),
    "twist_adapter": ("false", "also publish geometry_msgs/TwistStamped on lcc/cmd_twist"),
    "ackermann_adapter": ("false", "also publish ackermann_msgs/AckermannDriveStamped on lcc/cmd_ackermann"),
    "fastdds_profile": ("", "Fast DDS XML profile (empty: config/fastdds_shm.xml unless the environment "
                            "names one; none: Fast DDS defaults)"),
}
_FLAGS = ("use_sim_time", "composed", "twist_adapter", "ackermann_adapter")


def options(context, **extra) -> GraphOptions:
    """GraphOptions from this launch's arguments (also used by sim.launch.py)."""
    values = {name: LaunchConfiguration(name).perform(context) for name in ARGUMENTS if name != "fastdds_profile"}
    for flag in _FLAGS:
        values[flag] = values[flag].strip().lower() in ("true", "1", "yes")
    if values["params_file"] and not os.path.isfile(values["params_file"]):
        raise RuntimeError(f"params_file {values['params_file']!r} does not exist")
    return GraphOptions(**values, **extra)


def actions(context, o: GraphOptions) -> tuple[list, dict]:
    """Environment and Node actions of graph(o) in the namespace, and the Node actions by label."""
    profile = LaunchConfiguration("fastdds_profile").perform(context)
    env = {} if profile == "none" else profile_environment(os.environ, profile or None)
    nodes = {p.label: Node(package="lcc_plus", executable=p.executable, name=p.node_name, arguments=p.arguments,
                           parameters=[*p.params_files, p.parameters], remappings=p.remaps, output="screen",
                           emulate_tty=True) for p in graph(o)}
    return [*(SetEnvironmentVariable(k, v) for k, v in env.items()),
            GroupAction([PushROSNamespace(o.namespace), *nodes.values()])], nodes


def generate_launch_description():
    return LaunchDescription([
        *(DeclareLaunchArgument(name, default_value=default, description=text)
          for name, (default, text) in ARGUMENTS.items()),
        OpaqueFunction(function=lambda context: actions(context, options(context))[0]),
    ])
