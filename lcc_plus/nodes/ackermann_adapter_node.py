"""ackermann_adapter: the gated ControlCommand as ackermann_msgs/AckermannDriveStamped.

Only where ackermann_msgs is installed; elsewhere the node exits at start-up with a
message saying so. Mapping: steering_angle [rad] and steering_angle_velocity
[rad/s] from the command; speed [m/s] is the command's target speed. As the
AckermannDrive definition says, `acceleration` and `jerk` are LIMITS the drive may
use while reaching `speed`, not set-points: acceleration is |accel_mps2| of the
command (the magnitude the controller asked for), jerk the configured limit. A
vehicle interface that needs an acceleration set-point should use ControlCommand.
One message per command, only while engaged; when commands stop, so does this
output (the vehicle interface's timeout hands control back).
"""
from __future__ import annotations

from rclpy.node import Node

from lcc_plus.common.types import Command
from lcc_plus.msg import ControlCommand
from lcc_plus.nodes import conversions as conv
from lcc_plus.nodes import topics
from lcc_plus.nodes.input_health import InputHealth
from lcc_plus.nodes.node_config import NODES_YAML, AckermannAdapterParams
from lcc_plus.nodes.node_params import declare_params
from lcc_plus.nodes.runner import StartupError, run_node

NAME = "ackermann_adapter"


def _ackermann_type():
    try:
        from ackermann_msgs.msg import AckermannDriveStamped
    except ImportError as err:
        raise StartupError("ackermann_msgs is not installed (apt install ros-$ROS_DISTRO-ackermann-msgs); "
                           "use twist_adapter or ControlCommand on /lcc/command instead") from err
    return AckermannDriveStamped


class AckermannAdapterNode(Node):
    def __init__(self, **node_kwargs):
        self.msg_type = _ackermann_type()
        super().__init__(NAME, **node_kwargs)
        self.p = declare_params(self, AckermannAdapterParams, NODES_YAML, NAME, on_change=self._set_params)
        self.health = InputHealth(self, NAME)
        self.pub = self.create_publisher(self.msg_type, "~/output/ackermann",
                                         topics.qos_for(NAME, "~/output/ackermann"))
        self.health.subscribe(ControlCommand, "command", conv.command_from_msg, self._on_command, finite=True)

    def _set_params(self, p: AckermannAdapterParams) -> None:
        self.p = p

    def _on_command(self, cmd: Command) -> None:
        if not cmd.engaged:
            return
        msg = self.msg_type()
        msg.header.stamp = conv.to_stamp(cmd.stamp_s)
        msg.header.frame_id = self.p.frame_id
        msg.drive.steering_angle = float(cmd.steering_angle_rad)
        msg.drive.steering_angle_velocity = abs(float(cmd.steering_rate_radps))
        msg.drive.speed = float(cmd.target_speed_mps)
        msg.drive.acceleration = abs(float(cmd.accel_mps2))
        msg.drive.jerk = float(self.p.jerk_limit_mps3)
        self.pub.publish(msg)


def main() -> int:
    return run_node(AckermannAdapterNode, NAME)
