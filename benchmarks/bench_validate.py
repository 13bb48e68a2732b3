"""How long `modelyard validate` takes: the whole registry, and `--base` on a one-recipe change.

    python benchmarks/bench_validate.py                   # generate a registry, then measure
    python benchmarks/bench_validate.py --registry PATH   # measure an existing registry
    python benchmarks/bench_validate.py --runs 5000 --json results.json
    python benchmarks/bench_validate.py --registry PATH --cold --repeat 5
    python benchmarks/bench_validate.py --registry PATH --skip-whole --repeat 7   # --base only

Every figure is a whole `python -m modelyard validate` process, as CI runs it: wall time, CPU
time (user + system, git's included) and peak resident memory, beside the import floor
(`python -c "import pydantic, yaml, click"`) measured in the same run. The whole registry is
validated once first (`--cold` forgets the checks the derived index keeps, so that first run
is what a fresh clone pays) and then `--repeat` times; `--base` the same way in a temporary
worktree: the first run there is a fresh checkout's (CI's), the others a person's clone,
each followed by the import floor, so that the two are compared at the same moment.

The processes write their bytecode (to a temporary `PYTHONPYCACHEPREFIX`, whatever
`PYTHONDONTWRITEBYTECODE` says here), as an installed modelyard has it: otherwise every run
would compile modelyard's own modules again, about 0.15 s of CPU that no user pays.

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
import sqlite3
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


# where the measured processes keep their bytecode (set in main)
PYCACHE: dict[str, str] = {}


def measure(cwd: Path, *args: str) -> dict[str, float]:
    """Wall and CPU seconds and peak memory (MB) of one process, its children included."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **PYCACHE}
    if PYCACHE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    # wait4's figures cover the process and the children it waited for (git, its workers);
    # the peak is the largest of them
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return {
        "wall": round(wall, 3),
        "cpu": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_mb": round(usage.ru_maxrss / 1024),
    }


FLOOR = ["-c", "import pydantic, yaml, click"]


def series(cwd: Path, args: list[str], repeat: int, floor: bool = False) -> dict[str, Any]:
    """The first run, then `repeat` more; with `floor`, each followed by the import floor."""
    first = measure(cwd, *args)
    again, floors = [], []
    for _ in range(repeat):
        again.append(measure(cwd, *args))
        if floor:
            floors.append(measure(cwd, *FLOOR))
    out = {"first": first, "again": again, "median_again": _median(again)}
    if floor:
        out["floor_alongside"] = floors
        out["median_floor_alongside"] = _median(floors)
    return out


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    if not runs:
        return {}
    return {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}


def forget_checks(reg: Registry) -> None:
    """Empty the derived index's kept checks (storage/verdicts.py): the next run is a cold one."""
    path = reg.git.git_dir / "modelyard" / "cache.sqlite3"
    if not path.exists():
        return
    db = sqlite3.connect(path)
    try:
        db.execute("DROP TABLE IF EXISTS verdicts")
        db.commit()
    finally:
        db.close()


def one_recipe_change(reg: Registry, scratch: Path, repeat: int) -> dict[str, Any]:
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
        timing = series(
            changed.root, ["-m", "modelyard", "validate", "--base", head], repeat, floor=True
        )
        report = validate(changed, base=head)
        return {
            **timing,
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
    parser.add_argument("--repeat", type=int, default=2, help="runs after the first (default 2)")
    parser.add_argument(
        "--cold", action="store_true", help="forget the kept checks before the first run"
    )
    parser.add_argument(
        "--skip-whole", action="store_true", help="time only `--base` on a one-recipe change"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        scratch = Path(tmp)
        PYCACHE["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
        measure(ROOT, "-c", "import modelyard.cli.main, modelyard.validate")  # compiles
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
        if args.cold:
            forget_checks(reg)
        floor = [measure(reg.root, *FLOOR) for _ in range(3)]
        load_before = os.getloadavg()[0]
        whole = (
            None
            if args.skip_whole
            else series(reg.root, ["-m", "modelyard", "validate"], args.repeat)
        )
        base = one_recipe_change(reg, scratch, args.repeat)
        floor_after = [measure(reg.root, *FLOOR) for _ in range(3)]
        load_after = os.getloadavg()[0]
        # last: a child's peak memory counts this process's own at the time it started it
        report = None if args.skip_whole else validate(reg)
        results = {
            "files": report.checked_files if report else None,
            "whole_errors": len(report.errors) if report else None,
            "floor": _median(floor),
            "whole": whole,
            "base_one_recipe": base,
            "floor_after": _median(floor_after),
            "load_average": [load_before, load_after],
        }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
