"""The catalog of a large registry: how many files and bytes it is (static hosts cap both),
how long a full build takes with two workers and how much memory it peaks at (a fresh
clone's first, which fills storage's derived index; with `--warm` also one with the index
filled), and what a rebuild after one new run costs against the first.

    python benchmarks/generate.py --size large /tmp/reg-large      # once
    python benchmarks/site_layout.py --registry /tmp/reg-large

The registry is cloned first (the new run is committed to the clone). Each build is a whole
`python -m modelyard site build` process with MODELYARD_SITE_WORKERS=2, timed from outside,
its peak resident memory (the largest of its processes) and processor time (its workers'
included) read from the kernel (`wait4`). Prints JSON, and exits 1 when a
limit is broken: at most 20,000 files and 500 MB, a rebuild after one run at most 5% of the
full build (reported, so the figure is there to read either way).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MAX_FILES = 20_000
MAX_BYTES = 500 * 1024 * 1024
MAX_REBUILD = 0.05


def build(registry: Path, out: Path, *extra: str) -> dict[str, Any]:
    env = {**os.environ, "MODELYARD_SITE_WORKERS": "2", "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "modelyard", "--registry", str(registry), "site", "build"),
                *("--out", str(out), "--json", *extra),
            ],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        assert proc.stdout is not None
        output = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        if status != 0:
            errors.seek(0)
            raise SystemExit(f"site build failed ({status}):\n{errors.read().decode()[-2000:]}")
    report = json.loads(output)
    return {
        "seconds": round(seconds, 1),
        # the build's processor time, its workers' included: what a machine of its own
        # would take, shared among the cores, whatever else runs beside it
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "files": report["files"],
        "written": report["written"],
        "changes_only": report.get("changes_only"),
        "jobs_rendered": report.get("rendered"),
    }


def size_of(folder: Path) -> tuple[int, int]:
    files = total = 0
    for path in folder.rglob("*"):
        if path.is_file():
            files += 1
            total += path.stat().st_size
    return files, total


def add_run(registry: Path) -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from modelyard.ops import recipes, runs
    from modelyard.storage.registry import Registry

    reg = Registry(registry)
    recipe = recipes.list_recipes(reg, limit=1).recipes[0]
    run = runs.create_run(
        reg, {"recipe_id": recipe.id, "recipe_version_id": recipe.version, "run_type": "eval"}
    )
    return run.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", type=Path, required=True, help="a generated repository")
    parser.add_argument("--folder", type=Path, help="work folder (default: a new temporary one)")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="also time a full build into a new folder once the derived index is filled",
    )
    args = parser.parse_args()
    work = args.folder or Path(tempfile.mkdtemp(prefix="modelyard-site-layout-"))
    clone = work / "repo"
    if clone.exists():
        shutil.rmtree(clone)
    subprocess.run(["git", "clone", "-q", str(args.registry), str(clone)], check=True)
    registry = clone / "registry"
    out = work / "site"
    shutil.rmtree(out, ignore_errors=True)

    load_before = os.getloadavg()
    full = build(registry, out)
    files, total = size_of(out)
    # the same full build with the derived index filled (a clone that was read before)
    warm = build(registry, work / "site-warm") if args.warm else None
    shutil.rmtree(work / "site-warm", ignore_errors=True)
    run_id = add_run(registry)
    rebuild = build(registry, out)
    result = {
        "load_average_before": load_before,
        "full": full,
        "full_warm": warm,
        "files": files,
        "mb": round(total / 1024 / 1024, 1),
        "rebuild_after_one_run": rebuild,
        "rebuild_ratio": round(rebuild["seconds"] / full["seconds"], 3),
        "new_run": run_id,
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, indent=2))
    broken = []
    if files > MAX_FILES:
        broken.append(f"{files} files > {MAX_FILES}")
    if total > MAX_BYTES:
        broken.append(f"{total} bytes > {MAX_BYTES}")
    if result["rebuild_ratio"] > MAX_REBUILD:
        broken.append(f"rebuild {result['rebuild_ratio']:.1%} of a full build > {MAX_REBUILD:.0%}")
    if broken:
        print("limits broken: " + "; ".join(broken), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
