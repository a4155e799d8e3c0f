"""ruff lints the whole repo as part of the suite."""
import shutil
import subprocess
import sys
from pathlib import Path


def test_ruff_clean():
    repo = Path(__file__).resolve().parents[1]
    ruff = shutil.which("ruff") or [sys.executable, "-m", "ruff"]
    cmd = ([ruff] if isinstance(ruff, str) else ruff) + ["check", str(repo)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
