"""`modelyard validate` of a whole registry whose derived index is filled: this checkout
against another one, run by run in turn, on two clones of the same registry.

    python benchmarks/bench_validate_whole.py --registry A --baseline-src OLD/src \
        --baseline-registry B --rounds 5

Each side validates its own clone (the stored outcomes are keyed by the code that checks, so
two versions of the code must not share one index). A first, untimed run on each side fills
what it keeps. Every figure is a whole process, as CI runs it: wall time, CPU (user and
system, the process and its children) and peak resident memory; the reports must be equal.
The machine is shared, so read each row against the other side's in the same round.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def once(src: Path, registry: Path) -> tuple[float, float, float, str]:
    """Wall s, CPU s, peak MB and the report (without its count of files) of one validate."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard", "validate"],
        cwd=registry,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: the registry has errors, which is a report too
        raise SystemExit(f"validate failed in {registry} ({proc.returncode}): {out[-400:]}")
    report = "\n".join(line for line in out.splitlines() if "files checked" not in line)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=Path, required=True, help="this checkout's clone")
    parser.add_argument("--baseline-src", type=Path, required=True, help="the other code's src/")
    parser.add_argument("--baseline-registry", type=Path, required=True, help="its own clone")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    sides = {"baseline": (args.baseline_src, args.baseline_registry), "this": (SRC, args.registry)}
    for src, reg in sides.values():  # fills what each side keeps
        once(src, reg)
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in sides}
    load = os.getloadavg()[0]
    for rnd in range(args.rounds):
        reports = {}
        for name in sides if rnd % 2 else reversed(list(sides)):
            wall, cpu, peak, reports[name] = once(*sides[name])
            rows[name].append((wall, cpu, peak))
        if reports["this"] != reports["baseline"]:
            raise SystemExit(f"round {rnd + 1}: the two reports differ")
    print(
        f"{args.rounds} rounds, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load "
        f"average {load:.1f} before, {os.getloadavg()[0]:.1f} after; the reports were equal\n"
    )
    print("| side | wall s, median (min – max) | CPU s, median (min – max) | peak MB |")
    print("|---|---|---|---|")
    for name, got in rows.items():
        walls, cpus, peaks = ([r[i] for r in got] for i in range(3))
        print(
            f"| {name} | {statistics.median(walls):.2f} ({min(walls):.2f} – {max(walls):.2f}) "
            f"| {statistics.median(cpus):.2f} ({min(cpus):.2f} – {max(cpus):.2f}) "
            f"| {max(peaks):.0f} |"
        )


if __name__ == "__main__":
    main()
