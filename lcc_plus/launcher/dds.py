"""The Fast DDS profile the launch files and `lcc-plus up` give every node by default.

config/fastdds_shm.xml enlarges the shared-memory segment so camera frames cross
processes in one piece (bench/results/dds.md). A profile the caller already chose
(FASTDDS_DEFAULT_PROFILES_FILE, or the older FASTRTPS_DEFAULT_PROFILES_FILE) wins.
Fast DDS 3 (Kilted and later) reads FASTDDS_*, and warns about FASTRTPS_*; Fast DDS
2 (Humble, Iron, Jazzy) reads FASTRTPS_*.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lcc_plus.common.params import config_dir

PROFILE_FILE = "fastdds_shm.xml"
PROFILE_VARS = ("FASTDDS_DEFAULT_PROFILES_FILE", "FASTRTPS_DEFAULT_PROFILES_FILE")
_FAST_DDS_2_DISTROS = ("humble", "iron", "jazzy")


def profile_variable(env: Mapping[str, str] = os.environ) -> str:
    """The variable this ROS distribution's Fast DDS reads."""
    return PROFILE_VARS[1] if env.get("ROS_DISTRO", "") in _FAST_DDS_2_DISTROS else PROFILE_VARS[0]


def default_profile() -> Path | None:
    path = config_dir() / PROFILE_FILE
    return path if path.is_file() else None


def profile_environment(env: Mapping[str, str] = os.environ, profile: str | None = None) -> dict[str, str]:
    """Variables to add to `env` so nodes load `profile` (default: the package's); {} if one is chosen."""
    if any(env.get(v) for v in PROFILE_VARS):
        return {}
    path = profile if profile is not None else default_profile()
    return {profile_variable(env): str(path)} if path else {}
