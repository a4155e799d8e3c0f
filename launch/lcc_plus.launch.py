"""The lcc_plus stack: vla_node, mode_manager, controller, safety_monitor (+ optional adapters).

    ros2 launch lcc_plus lcc_plus.launch.py [camera_topic:=...] [camera_info_topic:=...]
        [compressed_topic:=...] [model_path:=...] [params_file:=...] [namespace:=...]
        [use_sim_time:=true|false] [composed:=true|false]
        [twist_adapter:=true|false] [ackermann_adapter:=true|false]

Defaults come from the package's config/*.yaml; `params_file` is a ROS 2 parameter
file laid over them (sections per node name). Topic names are relative, so a
namespace moves the whole graph. `composed:=true` runs every node in one process
(lcc_plus_composed, a MultiThreadedExecutor): Python nodes cannot be loaded into a
C++ component container. Fast DDS gets the package's shared-memory profile
(config/fastdds_shm.xml) unless a profile is already set in the environment or
`fastdds_profile:=none` is given (lcc_plus/launcher/dds.py).
"""
import os

from launch.actions import DeclareLaunchArgument, GroupAction, OpaqueFunction, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node, PushROSNamespace

from launch import LaunchDescription
from lcc_plus.launcher.dds import profile_environment

STACK = ("vla_node", "mode_manager", "controller", "safety_monitor")
EXECUTABLES = {"vla_node": "vla_node", "mode_manager": "mode_manager_node", "controller": "controller_node",
               "safety_monitor": "safety_monitor_node", "twist_adapter": "twist_adapter_node",
               "ackermann_adapter": "ackermann_adapter_node"}
# Nodes reading the camera: its topics come from launch arguments.
CAMERA_REMAPS = {
    "vla_node": (("~/input/image", "camera_topic"), ("~/input/image_compressed", "compressed_topic"),
                 ("~/input/camera_info", "camera_info_topic")),
    "safety_monitor": (("~/input/image", "camera_topic"),),
}


def _truthy(context, name: str) -> bool:
    return LaunchConfiguration(name).perform(context).strip().lower() in ("true", "1", "yes")


def _parameters(context, node_name: str | None) -> list:
    """Parameter overrides: use_sim_time, model_path, then the user's file."""
    overrides = {"use_sim_time": _truthy(context, "use_sim_time")}
    model_path = LaunchConfiguration("model_path").perform(context)
    if model_path and node_name in (None, "vla_node"):
        overrides["model_path"] = model_path
    out: list = [overrides]
    params_file = LaunchConfiguration("params_file").perform(context)
    if params_file:
        if not os.path.isfile(params_file):
            raise RuntimeError(f"params_file {params_file!r} does not exist")
        out.append(params_file)
    return out


def _remaps(context, node_name: str, prefix: str = "") -> list[tuple[str, str]]:
    return [(f"{prefix}{private}", LaunchConfiguration(arg).perform(context))
            for private, arg in CAMERA_REMAPS.get(node_name, ())]


def _nodes(context):
    names = list(STACK) + [n for n in ("twist_adapter", "ackermann_adapter") if _truthy(context, n)]
    if _truthy(context, "composed"):
        remaps = [r for n in names for r in _remaps(context, n, prefix=f"{n}:")]
        return [Node(package="lcc_plus", executable="lcc_plus_composed", arguments=["--nodes", ",".join(names)],
                     parameters=_parameters(context, None), remappings=remaps, output="screen",
                     emulate_tty=True)]
    return [Node(package="lcc_plus", executable=EXECUTABLES[n], name=n, parameters=_parameters(context, n),
                 remappings=_remaps(context, n), output="screen", emulate_tty=True) for n in names]


def _group(context):
    profile = LaunchConfiguration("fastdds_profile").perform(context)
    env = {} if profile == "none" else profile_environment(os.environ, profile or None)
    return [*(SetEnvironmentVariable(k, v) for k, v in env.items()),
            GroupAction([PushROSNamespace(LaunchConfiguration("namespace")), *_nodes(context)])]


def generate_launch_description():
    args = [
        DeclareLaunchArgument("camera_topic", default_value="camera/image_raw",
                              description="sensor_msgs/Image of the front camera"),
        DeclareLaunchArgument("compressed_topic", default_value="camera/image_raw/compressed",
                              description="sensor_msgs/CompressedImage of the front camera"),
        DeclareLaunchArgument("camera_info_topic", default_value="camera/camera_info",
                              description="sensor_msgs/CameraInfo of the front camera"),
        DeclareLaunchArgument("model_path", default_value="",
                              description="VLA ONNX model (empty: config/vla.yaml model_path)"),
        DeclareLaunchArgument("params_file", default_value="",
                              description="ROS 2 parameter file laid over config/*.yaml"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of every node and topic"),
        DeclareLaunchArgument("use_sim_time", default_value="false", description="follow /clock"),
        DeclareLaunchArgument("composed", default_value="false",
                              description="all nodes in one process (lcc_plus_composed)"),
        DeclareLaunchArgument("twist_adapter", default_value="false",
                              description="also publish geometry_msgs/TwistStamped on lcc/cmd_twist"),
        DeclareLaunchArgument("ackermann_adapter", default_value="false",
                              description="also publish AckermannDriveStamped on lcc/cmd_ackermann"),
        DeclareLaunchArgument("fastdds_profile", default_value="",
                              description="Fast DDS XML profile (empty: config/fastdds_shm.xml unless the "
                                          "environment names one; none: Fast DDS defaults)"),
    ]
    return LaunchDescription([*args, OpaqueFunction(function=_group)])
