"""launch_testing: launch/sim.launch.py runs the stack on the simulator and shuts down at the end.

Runs where launch_testing is installed (a ROS 2 install, or `launch_test`); skips cleanly
elsewhere. The VLA model is the shipped one (LCC_TEST_VLA_MODEL overrides the path).
"""
import os
import sys
import tempfile
import unittest
from pathlib import Path

import pytest

pytest.importorskip("launch_testing")
pytest.importorskip("launch_ros")

import launch_testing.actions
import launch_testing.asserts
from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource

sys.path.insert(0, str(Path(__file__).parent))
from stack_model import stack_model_or_skip

REPORT_DIR = Path(tempfile.mkdtemp(prefix="lcc_launch_sim_"))


@pytest.mark.launch_test
def generate_test_description():
    sim = os.path.join(get_package_share_directory("lcc_plus"), "launch", "sim.launch.py")
    include = IncludeLaunchDescription(PythonLaunchDescriptionSource(sim), launch_arguments={
        "model_path": stack_model_or_skip(), "duration_s": "4.0", "rate_factor": "2.0", "report_dir": str(REPORT_DIR),
    }.items())
    return LaunchDescription([include, launch_testing.actions.ReadyToTest()])


class TestSimLaunch(unittest.TestCase):
    def test_every_node_starts_and_the_drive_ends(self, proc_output):
        proc_output.assertWaitFor("model ", timeout=90, stream="stderr")
        proc_output.assertWaitFor("KPI report written", timeout=120, stream="stderr")


@launch_testing.post_shutdown_test()
class TestSimLaunchShutdown(unittest.TestCase):
    def test_simulator_exited_cleanly_with_a_report(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info, allowable_exit_codes=[0, -2, -15])
        self.assertTrue((REPORT_DIR / "report.json").is_file())
