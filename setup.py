"""pip-installable lcc_plus library and `lcc-plus` command.

This installs the pure-Python cores (simulator, model runtime, planning, control,
safety, evaluation) for work that needs no ROS graph. The ROS 2 nodes and the
generated `lcc_plus.msg` types come from `colcon build` (see README).
"""
from glob import glob

from setuptools import find_packages, setup

setup(
    name="lcc_plus",
    version="0.1.0",
    description="Navigation-free assisted-driving planner service (ROS 2)",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["lcc_plus", "lcc_plus.*"]),
    package_data={"lcc_plus": ["models/*.onnx", "models/*.json"]},
    data_files=[("share/lcc_plus/config", glob("config/*.yaml") + glob("config/*.xml"))],
    install_requires=[
        "numpy",
        "pyyaml",
        "opencv-python-headless",
        "lanelet2",
        "onnxruntime",
        "rosbags",
        "imageio",
        "imageio-ffmpeg",
        "matplotlib",
        "tqdm",
    ],
    extras_require={
        "train": ["torch==2.13.0", "onnx"],
        "dev": ["pytest", "pytest-timeout", "ruff", "onnx"],
    },
    entry_points={"console_scripts": ["lcc-plus = lcc_plus.cli:main"]},
)
