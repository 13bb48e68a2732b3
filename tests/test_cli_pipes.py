"""A reader that closes the pipe early (`modelyard ... | head`) ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.mark.parametrize(
    "args", [("recipes", "get", "recipe_pricing_base", "--manifest"), ("recipes", "list", "--json")]
)
def test_a_closed_pipe_is_no_bug_report(reg, base_recipe, args) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    try:
        done = subprocess.run(
            [sys.executable, "-m", "modelyard", "--registry", str(reg.root), *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(SRC)},
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert done.stderr.decode() == ""
