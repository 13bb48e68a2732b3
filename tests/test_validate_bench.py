"""The validation benchmark runs end to end on a tiny generated registry, which validates
cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_validate.py"),
            "--recipes",
            "2",
            "--models",
            "3",
            "--runs",
            "20",
            "--snapshots",
            "10",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert results["files"] == 2 * 2 * 2 + 3 + 20 + 10 + 1
    assert results["whole_errors"] == 0
    change = results["base_one_recipe"]
    assert change["errors"] == 0 and change["bump"] == [["1.0.0", "1.1.0", "minor"]]
    assert change["checked_files"] >= 3  # the manifest, the child's two files, and the models
