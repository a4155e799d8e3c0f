"""twist_adapter: the gated ControlCommand as geometry_msgs/TwistStamped.

For ros2_control steering controllers (e.g. ackermann_steering_controller with
`reference_timeout`) and other twist-driven bases: linear.x is the command's target
speed [m/s], angular.z = v * tan(steering) / wheelbase [rad/s] with v that target
speed. One twist per command, only while the command is engaged: when the system
disengages or the commands stop, the adapter stops publishing and the consumer's
own reference timeout must hand control back (docs/ros_interfaces.md).
"""
from __future__ import annotations

import math

from geometry_msgs.msg import TwistStamped
from rclpy.node import Node

from lcc_plus.common.types import Command
from lcc_plus.msg import ControlCommand
from lcc_plus.nodes import conversions as conv
from lcc_plus.nodes import topics
from lcc_plus.nodes.input_health import InputHealth
from lcc_plus.nodes.node_config import NODES_YAML, TwistAdapterParams
from lcc_plus.nodes.node_params import declare_params
from lcc_plus.nodes.runner import run_node

NAME = "twist_adapter"


def yaw_rate_radps(speed_mps: float, steering_angle_rad: float, wheelbase_m: float) -> float:
    """Kinematic bicycle yaw rate v * tan(delta) / L."""
    return speed_mps * math.tan(steering_angle_rad) / wheelbase_m


class TwistAdapterNode(Node):
    def __init__(self, **node_kwargs):
        super().__init__(NAME, **node_kwargs)
        self.p = declare_params(self, TwistAdapterParams, NODES_YAML, NAME, on_change=self._set_params)
        self.health = InputHealth(self, NAME)
        self.engaged = False
        self.pub = self.create_publisher(TwistStamped, "~/output/twist", topics.qos_for(NAME, "~/output/twist"))
        self.health.subscribe(ControlCommand, "command", conv.command_from_msg, self._on_command, finite=True)

    def _set_params(self, p: TwistAdapterParams) -> None:
        self.p = p

    def _on_command(self, cmd: Command) -> None:
        if cmd.engaged != self.engaged:
            self.get_logger().info("command engaged: publishing twists" if cmd.engaged
                                   else "command not engaged: twist output stops, the driver is in charge")
            self.engaged = cmd.engaged
        if not cmd.engaged:
            return
        msg = TwistStamped()
        msg.header.stamp = conv.to_stamp(cmd.stamp_s)
        msg.header.frame_id = self.p.frame_id
        msg.twist.linear.x = float(cmd.target_speed_mps)
        msg.twist.angular.z = yaw_rate_radps(cmd.target_speed_mps, cmd.steering_angle_rad, self.p.wheelbase_m)
        self.pub.publish(msg)


def main() -> int:
    return run_node(TwistAdapterNode, NAME)
