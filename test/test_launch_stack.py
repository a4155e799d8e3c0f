"""launch_testing: launch/lcc_plus.launch.py, composed in one process under a namespace.

Checks that every stack node comes up in the single lcc_plus_composed process, with its
topics moved into the namespace. Runs where launch_testing is installed; skips
cleanly elsewhere. LCC_TEST_VLA_MODEL overrides the shipped model path.
"""
import os
import sys
import time
import unittest
from pathlib import Path

import pytest

pytest.importorskip("launch_testing")
pytest.importorskip("launch_ros")

import launch_testing.actions
import launch_testing.asserts
import rclpy
from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource

sys.path.insert(0, str(Path(__file__).parent))
from stack_model import stack_model_or_skip

NAMESPACE = "car7"
EXPECTED = {f"/{NAMESPACE}/lcc/command": "safety_monitor", f"/{NAMESPACE}/lcc/command_proposed": "controller",
            f"/{NAMESPACE}/lcc/trajectory": "mode_manager", f"/{NAMESPACE}/lcc/vla_action": "vla_node",
            f"/{NAMESPACE}/lcc/cmd_twist": "twist_adapter"}


@pytest.mark.launch_test
def generate_test_description():
    stack = os.path.join(get_package_share_directory("lcc_plus"), "launch", "lcc_plus.launch.py")
    include = IncludeLaunchDescription(PythonLaunchDescriptionSource(stack), launch_arguments={
        "model_path": stack_model_or_skip(), "composed": "true", "namespace": NAMESPACE, "twist_adapter": "true",
    }.items())
    return LaunchDescription([include, launch_testing.actions.ReadyToTest()])


class TestComposedStack(unittest.TestCase):
    def test_all_nodes_publish_in_the_namespace(self, proc_output):
        proc_output.assertWaitFor("model ", timeout=90, stream="stderr")
        rclpy.init()
        node = rclpy.create_node("lcc_plus_launch_test")
        try:
            deadline = time.monotonic() + 30.0
            missing = dict(EXPECTED)
            while missing and time.monotonic() < deadline:
                rclpy.spin_once(node, timeout_sec=0.2)
                for topic in list(missing):
                    names = {i.node_name for i in node.get_publishers_info_by_topic(topic)}
                    if missing[topic] in names:
                        del missing[topic]
            self.assertEqual(missing, {}, "topics without their publisher")
        finally:
            node.destroy_node()
            rclpy.shutdown()


@launch_testing.post_shutdown_test()
class TestComposedStackShutdown(unittest.TestCase):
    def test_clean_exit(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info, allowable_exit_codes=[0, -2, -15])
