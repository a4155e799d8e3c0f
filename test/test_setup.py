"""A broken set-up fails with a message naming what is missing, not a CMake trace."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETUP = REPO / "scripts" / "setup.sh"


def _path_without(tmp_path: Path, *removed: str) -> str:
    """A PATH with every program of the current PATH except `removed`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            target = bin_dir / entry.name
            if entry.name in removed or target.exists():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                target.symlink_to(entry.path)
    return str(bin_dir)


def _run(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, **env_overrides)
    return subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, env=env, timeout=300)


def test_unsupported_python_is_named(tmp_path):
    old = shutil.which("python3.9") or shutil.which("python2")
    if old is None:
        old = str(tmp_path / "not-a-python")
    result = _run({"LCC_PYTHON": old, "LCC_VENV": str(tmp_path / "venv"), "LCC_WS": str(tmp_path / "ws")})
    assert result.returncode != 0
    assert "CPython 3.10-3.13" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_cmake_is_named(tmp_path):
    venv = Path(os.environ.get("LCC_VENV", REPO / ".venv"))
    if not (venv / "bin" / "python").exists():
        import pytest

        pytest.skip("needs the set-up venv")
    result = _run({"PATH": _path_without(tmp_path, "cmake"), "LCC_VENV": str(venv),
                   "LCC_WS": str(tmp_path / "ws")})
    assert result.returncode != 0
    assert "'cmake' is missing" in result.stderr
    assert "apt-get install cmake" in result.stderr
