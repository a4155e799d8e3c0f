"""A separate process that echoes every lcc_plus message type: rt/<Type> -> rt/<Type>/echo."""
from __future__ import annotations

import sys

import rclpy
from rclpy.node import Node
from rclpy.qos import QoSDurabilityPolicy, QoSProfile, QoSReliabilityPolicy

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from ros_helpers import message_classes


def main() -> None:
    rclpy.init()
    node = Node("lcc_plus_echo")
    qos = QoSProfile(depth=10, reliability=QoSReliabilityPolicy.RELIABLE,
                     durability=QoSDurabilityPolicy.TRANSIENT_LOCAL)
    keep = []
    for name, cls in message_classes().items():
        pub = node.create_publisher(cls, f"rt/{name}/echo", qos)
        keep.append(node.create_subscription(cls, f"rt/{name}", pub.publish, qos))
    node.get_logger().info("echo ready")
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass


if __name__ == "__main__":
    main()
