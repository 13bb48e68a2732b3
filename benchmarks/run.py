"""Time whole `modelyard` processes on a generated registry and write benchmarks/RESULTS.md.

    python benchmarks/run.py --size small            # generates /tmp/modelyard-bench-small first
    python benchmarks/run.py --size large --repeat 5
    python benchmarks/run.py --registry /path/to/repo --label mine

Each operation runs once as a warm-up, then `--repeat` times; the table gives the median,
the fastest and slowest run, and the largest peak resident memory of any run (from the
kernel's accounting of each child, `wait4`). The `python -c pass` row is the interpreter's
own start-up on this machine: no command can be faster than it. Commands that do not exist
yet in this checkout (validate, site build, serve) are listed as skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"
RESULTS = HERE / "RESULTS.md"

HISTORY_ALL = """
import sys
from modelyard.ops import recipes, versions
from modelyard.ops.history import History
from modelyard.storage.registry import Registry
reg = Registry.open(sys.argv[1])
history = History(reg)
n = 0
for rid in sorted(history.sources):
    n += versions.list_versions(reg, rid, history).total
print(n)
"""

HISTORY_SOURCES = """
import sys
from modelyard.ops.history import History
from modelyard.storage.registry import Registry
h = History(Registry.open(sys.argv[1]))
print(sum(len(v) for v in h.sources.values()))
"""


@dataclass
class Result:
    name: str
    target: str
    times: list[float] = field(default_factory=list)
    rss_kb: int = 0
    note: str = ""
    skipped: str = ""

    def cells(self) -> list[str]:
        if self.skipped:
            return [f"`{self.name}`", self.target, "skipped", "", "", self.skipped]
        med = statistics.median(self.times)
        met = ""
        limit = _seconds(self.target)
        if limit is not None:
            met = "met" if med <= limit else "**not met**"
        mem = self.rss_kb / 1024
        if mem > 200:
            met += " (memory **over 200 MB**)"
        spread = f"{min(self.times):.3f} – {max(self.times):.3f}"
        return [
            f"`{self.name}`",
            self.target,
            f"{med:.3f}",
            spread,
            f"{mem:.0f}",
            (met + " " + self.note).strip(),
        ]


def _seconds(target: str) -> float | None:
    m = re.match(r"≤ ([\d.]+) (m?s)", target)
    if not m:
        return None
    value = float(m.group(1))
    return value / 1000 if m.group(2) == "ms" else value


def env(src: Path = SRC) -> dict[str, str]:
    out = {**os.environ, "PYTHONPATH": str(src)}
    out.pop("MODELYARD_REGISTRY", None)
    # an installed package has its bytecode cached; without it every run compiles modelyard
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


GNU_TIME = Path("/usr/bin/time")


class Runner:
    """Runs processes and learns each one's own peak memory: from GNU time when it is there
    (a small launcher), else from wait4, which also counts the pages a child shares with
    this Python between fork and exec (so an upper bound)."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.cpu = 0.0
        self.gnu_time = (
            GNU_TIME.is_file()
            and subprocess.run([str(GNU_TIME), "-f", "%M", "true"], capture_output=True).returncode
            == 0
        )

    def once(
        self, argv: list[str], cwd: Path | None = None, src: Path = SRC
    ) -> tuple[float, int, int, str]:
        """Wall seconds, peak KB, exit code and stderr of one process run in `cwd` (default:
        the runner's) with `src` first on the path; `self.cpu` is then its CPU seconds."""
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
            full = (
                [str(GNU_TIME), "-q", "-f", "%M", "-o", rss_file.name, *argv]
                if self.gnu_time
                else argv
            )
            started = time.perf_counter()
            proc = subprocess.Popen(
                full,
                cwd=cwd or self.cwd,
                env=env(src),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            assert proc.stderr is not None
            err = proc.stderr.read()
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - started
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            # user + system, the child's own and its children's (git): moves less than wall
            # time when other jobs compete for the machine
            self.cpu = usage.ru_utime + usage.ru_stime
            rss = usage.ru_maxrss
            if self.gnu_time:
                text = rss_file.read().strip().splitlines()
                rss = int(text[-1]) if text and text[-1].isdigit() else rss
        return elapsed, rss, code, err.decode(errors="replace")

    def measure(self, result: Result, argv: list[str], repeat: int, warmup: int = 1) -> Result:
        for i in range(warmup + repeat):
            elapsed, rss, code, err = self.once(argv)
            if code != 0:
                result.skipped = (
                    f"failed (exit {code}): {err.strip().splitlines()[-1] if err.strip() else ''}"
                )
                return result
            if i >= warmup:
                result.times.append(elapsed)
                result.rss_kb = max(result.rss_kb, rss)
        return result


def commands() -> set[str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from modelyard.cli.main import COMMANDS; print(' '.join(COMMANDS))",
        ],
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(proc.stdout.split())


def pick(repo: Path) -> dict[str, str]:
    """A model with runs, and a child recipe with the longest lineage, to ask about."""
    code = """
import json, sys
from collections import Counter
from modelyard.ops import runs
from modelyard.ops.history import History
from modelyard.storage.registry import Registry
reg = Registry.open(sys.argv[1])
page = runs.list_runs(reg, limit=500)
model = Counter(r.model_id for r in page.runs if r.model_id).most_common(1)[0][0]
h = History(reg)
child = max(sorted(h.sources), key=lambda r: (len(h.layers(r, h.sources[r][-1].file)), \
len(h.sources[r])))
first = page.runs[0]
print(json.dumps({"model": model, "recipe": child, "run_recipe": first.recipe_id,
                  "run_version": first.recipe_version_id}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code, str(repo)],
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def serve(repo: Path, repeat: int, available: set[str]) -> list[Result]:
    """Start-up of `modelyard serve` and the latency of one filtered runs request."""
    ready = Result("serve: start until the first answer", "")
    request = Result("serve: GET /api/ml-development/runs?status=succeeded", "")
    if "serve" not in available:
        ready.skipped = request.skipped = "no `serve` command in this checkout yet"
        return [ready, request]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard", "--registry", str(repo), "serve", "--port", str(port)],
        cwd=repo,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            if proc.poll() is not None:
                ready.skipped = request.skipped = f"serve exited ({proc.returncode})"
                return [ready, request]
            try:
                with urllib.request.urlopen(
                    f"{base}/api/ml-development/recipes?limit=1", timeout=60
                ) as r:
                    r.read()
                break
            except OSError:
                if time.perf_counter() - started > 300:
                    ready.skipped = request.skipped = "not ready within 300 s"
                    return [ready, request]
                time.sleep(0.05)
        ready.times.append(time.perf_counter() - started)
        for i in range(repeat + 1):
            t = time.perf_counter()
            with urllib.request.urlopen(
                f"{base}/api/ml-development/runs?status=succeeded", timeout=60
            ) as r:
                r.read()
            if i:
                request.times.append(time.perf_counter() - t)
        with open(f"/proc/{proc.pid}/status") as fh:
            peak = next((int(line.split()[1]) for line in fh if line.startswith("VmHWM:")), 0)
        ready.rss_kb = request.rss_kb = peak
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return [ready, request]


def describe_machine() -> list[str]:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    mem = ""
    try:
        kb = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    git_version = subprocess.run(
        ["git", "--version"], capture_output=True, text=True
    ).stdout.strip()
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; memory {mem}",
        f"- {platform.platform()}; Python {platform.python_version()}; {git_version}; "
        f"sqlite {sqlite3.sqlite_version}",
    ]


def describe_registry(repo: Path) -> str:
    files = subprocess.run(
        ["git", "ls-files"], cwd=repo, capture_output=True, text=True
    ).stdout.count("\n")
    commits = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    reg = repo / "registry"
    n_runs = sum(1 for _ in reg.glob("runs/*/*/run.yaml"))
    n_snaps = sum(1 for _ in reg.glob("models/*/monitoring/*.yaml"))
    n_recipes = sum(1 for _ in reg.glob("recipes/*/recipe.yaml"))
    n_models = sum(1 for _ in reg.glob("models/*/model.yaml"))
    return (
        f"{n_recipes:,} recipes, {n_models:,} models, {n_runs:,} runs, {n_snaps:,} snapshots; "
        f"{files:,} files in {int(commits):,} commits"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size", default="small", help="generate a registry of this size (see generate.py)"
    )
    parser.add_argument(
        "--registry", type=Path, help="time an existing repository instead of generating one"
    )
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--label", help="the section of RESULTS.md to write (default: the size)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    if args.registry:
        repo = args.registry.resolve()
    else:
        from generate import generate

        repo = args.workdir / f"modelyard-bench-{args.size}"
        if not (repo / "registry").is_dir():
            print(f"generating the {args.size} registry in {repo} ...", flush=True)
            generate(repo, args.size, quiet=False)
    label = args.label or args.size
    available = commands()
    load_before = os.getloadavg()
    run = Runner(repo)
    my = [sys.executable, "-m", "modelyard", "--registry", str(repo)]
    n = args.repeat
    results: list[Result] = []

    def add(name: str, target: str, cmd: list[str], note: str = "", repeat: int = n) -> Result:
        print(f"  {name} ...", flush=True)
        r = run.measure(Result(name, target, note=note), cmd, repeat)
        results.append(r)
        return r

    add("python -c pass", "", [sys.executable, "-c", "pass"], "the interpreter alone")
    add(
        "import the CLI and the operations, do nothing",
        "",
        [
            sys.executable,
            "-c",
            "import modelyard.cli.runs, modelyard.cli.recipes, modelyard.ops.runs, "
            "modelyard.ops.recipes",
        ],
        "pydantic, PyYAML, click and modelyard's own modules",
    )
    add("modelyard --help", "≤ 60 ms", [*my, "--help"])
    # the first listing after deleting the cache fills it: a one-off, reported separately
    cache = repo / ".git" / "modelyard"
    for f in cache.glob("cache.sqlite3*"):
        f.unlink()
    cold = Result("runs list (first call, empty cache)", "", note="fills the cache once")
    elapsed, rss, code, err = run.once([*my, "runs", "list"])
    cold.times, cold.rss_kb = [elapsed], rss
    if code:
        cold.skipped = err.strip()[-200:]
    results.append(cold)
    picked = pick(repo)
    add("recipes list", "≤ 0.25 s", [*my, "recipes", "list"])
    add(
        f"runs list --model-id {picked['model']} --status succeeded",
        "≤ 0.25 s",
        [*my, "runs", "list", "--model-id", picked["model"], "--status", "succeeded"],
    )
    add("runs list", "", [*my, "runs", "list"], "first page of 100 and the total")
    add("models list", "", [*my, "models", "list"])
    add(f"versions list {picked['recipe']}", "≤ 0.1 s", [*my, "versions", "list", picked["recipe"]])
    add(
        "History: every version of every recipe, resolved, with diffs",
        "≤ 1.0 s",
        [sys.executable, "-c", HISTORY_ALL, str(repo)],
        "what the catalog shows",
        repeat=max(1, n // 2),
    )
    add(
        "History: every version of every recipe (sources)",
        "",
        [sys.executable, "-c", HISTORY_SOURCES, str(repo)],
        "one pass over git, through the cache",
    )
    add(
        "runs create",
        "≤ 0.15 s",
        [
            *my,
            "runs",
            "create",
            "--recipe-id",
            picked["run_recipe"],
            "--recipe-version-id",
            picked["run_version"],
            "--run-type",
            "eval",
        ],
        "one commit each",
    )
    if "validate" in available:
        add(
            "validate",
            "≤ 10 s",
            [*my, "validate"],
            "every file; runs' and snapshots' own checks kept in the derived index",
            repeat=max(1, n // 3),
        )
    else:
        results.append(Result("validate", "", skipped="no `validate` command in this checkout yet"))
    if "site" in available:
        out = Path(tempfile.mkdtemp(prefix="modelyard-site-"))
        add("site build", "", [*my, "site", "build", "--out", str(out)], repeat=max(1, n // 2))
        shutil.rmtree(out, ignore_errors=True)
    else:
        results.append(Result("site build", "", skipped="no `site` command in this checkout yet"))
    results += serve(repo, n, available)
    load_after = os.getloadavg()

    header = ["operation", "target", "median s", "min – max s", "peak MB", ""]
    lines = [
        f"### {label}: {describe_registry(repo)}",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{n} runs after a warm-up, warm cache.",
        *describe_machine(),
        f"- load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after: "
        "this machine is shared, "
        "so compare each row with the `python -c pass` floor measured at the same time",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(r.cells()) + " |" for r in results),
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_section(args.out, label, table)


def write_section(path: Path, label: str, table: str) -> None:
    """Replace this label's section of RESULTS.md, keeping the others."""
    start, end = f"<!-- results:{label} -->", f"<!-- /results:{label} -->"
    text = (
        path.read_text()
        if path.exists()
        else (
            "# Benchmark results\n\nWritten by `benchmarks/run.py` (see benchmarks/README.md). "
            "Every figure is a whole `modelyard` process, as a user runs it.\n"
        )
    )
    block = f"{start}\n{table}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
