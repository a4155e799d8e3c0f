"""Test helper: the VLA model the stack tests drive with (shipped one; LCC_TEST_VLA_MODEL overrides)."""
from __future__ import annotations

import os
from pathlib import Path


def stack_model_path() -> Path:
    from lcc_plus.vla.runtime import load_params

    return Path(os.environ.get("LCC_TEST_VLA_MODEL") or load_params().resolved_model_path())
