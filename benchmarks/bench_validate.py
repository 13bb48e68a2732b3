"""How long `modelyard validate` takes: the whole registry, and `--base` on a one-recipe change.

    python benchmarks/bench_validate.py                   # generate a registry, then measure
    python benchmarks/bench_validate.py --registry PATH   # measure an existing registry
    python benchmarks/bench_validate.py --runs 5000 --json results.json

The generated registry has `--recipes` pricing lineages (a baseline and an industry child
each), `--models` models, `--runs` runs and `--snapshots` monitoring snapshots. Recipes and
models are made through the operations layer; runs and snapshots are written in one bulk
commit (the same canonical files the CLI writes), since thousands of single commits would
only time git. The one-recipe change is made in a temporary `git worktree`, so the measured
registry is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from bulk import generate  # noqa: E402

from modelyard.domain import semver  # noqa: E402
from modelyard.storage import files, layout, yamlio  # noqa: E402
from modelyard.storage.registry import Registry  # noqa: E402
from modelyard.validate import run as validate  # noqa: E402


def timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def cli_seconds(cwd: Path, *args: str) -> float:
    """Wall time of `modelyard ARGS` as a process, start-up included."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "modelyard", *args],
        cwd=cwd,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    return time.perf_counter() - started


def one_recipe_change(reg: Registry, scratch: Path) -> dict[str, Any]:
    """Bump and change the first recipe in a temporary worktree; validate it against HEAD."""
    git = reg.git
    head = git.out("rev-parse", "HEAD")
    tree = scratch / "change"
    git.run("worktree", "add", "-q", "--detach", str(tree), head)
    try:
        changed = Registry(tree / reg.prefix if reg.prefix else tree)
        recipe_id = changed.ids_in(layout.RECIPES)[0]
        rel = layout.manifest_file(recipe_id)
        data = yamlio.load(changed.path(rel).read_text()).data
        # a new description is an added key: a minor bump
        data["manifest"]["description"] = "changed by the benchmark"
        data["version"] = semver.bump(data["version"], "minor")
        changed.path(rel).write_text(
            yamlio.dump(data, schema_url=files.schema_ref(str(rel), "manifest"))
        )
        changed.git.run("commit", "-q", "-am", "benchmark: one recipe changed")
        seconds, report = timed(lambda: validate(changed, base=head))
        return {
            "seconds": round(seconds, 3),
            "checked_files": report.checked_files,
            "errors": len(report.errors),
            "recipe": recipe_id,
            "bump": [
                (c.old_version, c.new_version, c.required_bump) for c in report.recipe_changes
            ],
        }
    finally:
        git.run("worktree", "remove", "--force", str(tree), check=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--registry", type=Path, help="measure this registry instead of generating one"
    )
    parser.add_argument(
        "--recipes", type=int, default=20, help="pricing lineages to generate (2 recipes each)"
    )
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--snapshots", type=int, default=300)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        scratch = Path(tmp)
        if args.registry:
            reg = Registry.open(args.registry)
        else:
            seconds, reg = timed(
                lambda: generate(
                    scratch / "repo",
                    args.recipes,
                    args.models,
                    args.runs,
                    n_snapshots=args.snapshots,
                    children=True,
                )
            )
            print(f"generated in {seconds:.1f} s: {reg.root}")
        whole, report = timed(lambda: validate(reg))
        results = {
            "files": report.checked_files,
            "whole_seconds": round(whole, 3),
            "whole_errors": len(report.errors),
            "cli_whole_seconds": round(cli_seconds(reg.root, "validate"), 3),
            "base_one_recipe": one_recipe_change(reg, scratch),
        }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
