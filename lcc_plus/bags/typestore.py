"""The rosbags type store: the standard ROS 2 types plus lcc_plus's, registered from msg/*.msg.

Bags then carry each connection's full message definition and RIHS01 hash, so
`ros2 bag play`/`info` on a ROS 2 install reads them like bags it wrote itself.
Types of other packages are looked up as share/<pkg>/msg/<Type>.msg in the ament
index when a topic needs them.
"""
from __future__ import annotations

import functools
from pathlib import Path

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

REPO_MSG_DIR = Path(__file__).resolve().parents[2] / "msg"


class UnknownTypeError(LookupError):
    """A topic's message type has no definition here; the message names it."""


def _msg_dir(package: str) -> Path | None:
    if package == "lcc_plus" and REPO_MSG_DIR.is_dir():
        return REPO_MSG_DIR
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

        path = Path(get_package_share_directory(package)) / "msg"
    except (ImportError, PackageNotFoundError):
        return None
    return path if path.is_dir() else None


@functools.cache
def typestore() -> Typestore:
    """ROS 2 Kilted types plus every lcc_plus message."""
    store = get_typestore(Stores.ROS2_KILTED)
    ensure_package(store, "lcc_plus")
    return store


def ensure_package(store: Typestore, package: str) -> None:
    """Register every .msg of `package` that `store` does not know yet."""
    folder = _msg_dir(package)
    if folder is None:
        raise UnknownTypeError(f"no msg/ folder found for package {package!r}")
    types = {}
    for path in sorted(folder.glob("*.msg")):
        name = f"{package}/msg/{path.stem}"
        if name not in store.fielddefs:
            types.update(get_types_from_msg(path.read_text(), name))
    store.register(types)


def ensure_type(store: Typestore, msgtype: str) -> None:
    """Make `msgtype` ('pkg/msg/Type') known to `store`, or raise UnknownTypeError."""
    if msgtype in store.fielddefs:
        return
    ensure_package(store, msgtype.split("/", 1)[0])
    if msgtype not in store.fielddefs:
        raise UnknownTypeError(f"message type {msgtype} not found (its package installs no {msgtype}.msg)")
