"""Test helper: the VLA model the stack tests drive with (shipped one; LCC_TEST_VLA_MODEL overrides)."""
from __future__ import annotations

import os
from pathlib import Path


def stack_model_path() -> Path:
    from lcc_plus.vla.runtime import load_params

    return Path(os.environ.get("LCC_TEST_VLA_MODEL") or load_params().resolved_model_path())


def stack_model_or_skip() -> str:
    """The model path as a string, or skip the test when no model is shipped."""
    import pytest

    path = stack_model_path()
    if not path.is_file():
        pytest.skip(f"no VLA model at {path} (the vla core ships it)")
    return str(path)
