"""Time the start-up of `modelyard` commands beside the floor, interleaved, on a small registry.

    python benchmarks/generate.py --size small /tmp/reg-small
    python benchmarks/startup.py /tmp/reg-small --repeat 9
    python benchmarks/startup.py /tmp/reg-small --baseline /tmp/old-checkout/src

Each round runs every row once, in turn, so a burst of load on a shared machine lands on
all rows alike; the table gives each row's median and its lowest time. The floor rows
are the interpreter alone and the interpreter importing the three libraries every
command needs (pydantic, PyYAML, click): no command can be faster than the second.
`--baseline` adds a column for the same commands run from another checkout's `src/`, in
the same rounds, so a before/after comparison shares one machine state. The baseline runs
on a copy of the registry: the cache under `.git/modelyard/` empties itself when the code
that made it changes, so two versions taking turns on one registry would each find it
empty. `runs create` adds one commit to the registry per run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import SRC, Runner, pick  # noqa: E402


def rows(repo: Path) -> list[tuple[str, list[str], bool]]:
    """(name, argv, whether it runs modelyard) of every row, floors first."""
    py = sys.executable
    my = [py, "-m", "modelyard", "--registry", str(repo)]
    picked = pick(repo)
    create = ["runs", "create", "--recipe-id", picked["run_recipe"]]
    create += ["--recipe-version-id", picked["run_version"], "--run-type", "eval"]
    return [
        ("python -c pass", [py, "-c", "pass"], False),
        ("floor: import pydantic, yaml, click", [py, "-c", "import pydantic, yaml, click"], False),
        ("modelyard --help", [*my, "--help"], True),
        ("recipes list", [*my, "recipes", "list"], True),
        (
            "runs list --model-id X --status succeeded",
            [*my, "runs", "list", "--model-id", picked["model"], "--status", "succeeded"],
            True,
        ),
        ("versions list R", [*my, "versions", "list", picked["recipe"]], True),
        ("runs create", [*my, *create], True),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("registry", type=Path, help="a repository made by generate.py")
    parser.add_argument("--repeat", type=int, default=9, help="rounds after one warm-up")
    parser.add_argument("--baseline", type=Path, help="another checkout's src/ to compare with")
    args = parser.parse_args(argv)
    repo = args.registry.resolve()
    table = rows(repo)
    sources = {"this": (SRC, repo)}
    if args.baseline:
        copy = Path(tempfile.mkdtemp(prefix="modelyard-startup-")) / repo.name
        shutil.copytree(repo, copy, symlinks=True)
        sources["baseline"] = (args.baseline.resolve(), copy)
    run = Runner(repo)
    times: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.repeat + 1):
        for name, cmd, is_ours in table:
            for label, (src, where) in sources.items() if is_ours else [("this", (SRC, repo))]:
                argv = [str(where) if part == str(repo) else part for part in cmd]
                elapsed, _, code, err = run.once(argv, where, src)
                if code:
                    raise SystemExit(f"{' '.join(argv)} failed (exit {code}): {err[-300:]}")
                used = run.cpu
                if round_:
                    times.setdefault((name, label), []).append(elapsed)
                    cpu.setdefault((name, label), []).append(used)
    load = os.getloadavg()[0]
    print(f"{args.repeat} interleaved rounds, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"load average (1 min) at the end: {load:.2f}; seconds: wall median (min) / CPU median")
    header = ["command", *sources]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for name, _, is_ours in table:
        cells = []
        for label in sources:
            key = (name, label if is_ours else "this")
            wall, used = times[key], cpu[key]
            cells.append(
                f"{statistics.median(wall):.3f} ({min(wall):.3f}) / {statistics.median(used):.3f}"
            )
        print(f"| `{name}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
