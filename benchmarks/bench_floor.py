"""CLI commands against the import floor, and `GET /runs/{id}` of a server, side by side with
another checkout's code, interleaved, on two clones of one registry.

    git clone -q /tmp/reg-large /tmp/mine && git clone -q /tmp/reg-large /tmp/theirs
    python benchmarks/bench_floor.py --registry /tmp/mine \\
        --baseline-src /path/to/other/checkout/src --baseline-registry /tmp/theirs --rounds 7

Each round runs the floor (`python -c "import pydantic, yaml, click"`) and every command once
with each side's code, the sides in alternating order, so a burst of load on a shared machine
lands on both; the table gives wall-time medians as multiples of the floor's median, and the
CPU time of each process (user + system, git's included). Each side has its own clone: the
derived index under `.git/modelyard/` empties itself when the code that made it changes, so
two versions taking turns on one clone would each find it empty. Fill both first (one
`runs list` each). `runs create` adds a commit to each clone per run.

`--server-seconds N` then starts `modelyard serve` on each clone in turn and loads
`GET /runs/{id}` with 4 clients for N seconds, cycling over every run id in a fixed spread
order (as bench_mlflow.py does), reporting requests a second, p50/p99 and the server's CPU time
per request (from /proc), which moves less with the machine's load than the rate does.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_mlflow import call_json, load  # noqa: E402

SRC = HERE.parent / "src"
API = "/api/ml-development"


def commands(recipe: str, model: str, version: str) -> dict[str, list[str]]:
    create = ["runs", "create", "--recipe-id", recipe, "--recipe-version-id", version]
    return {
        "recipes list": ["recipes", "list"],
        "versions list R": ["versions", "list", recipe],
        "runs list --model-id X --status succeeded": [
            *("runs", "list", "--model-id", model, "--status", "succeeded")
        ],
        "runs create": [*create, "--run-type", "eval"],
    }


def timed(argv: list[str], cwd: Path, src: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process (its children, git, included)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.decode()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


Side = tuple[str, Path, Path]  # the python that runs it, its src/, its clone


def cli_rows(sides: dict[str, Side], cmds: dict[str, list[str]], rounds: int) -> None:
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    load_before = os.getloadavg()[0]
    for rnd in range(rounds + 1):  # the first round is a warm-up
        order = list(sides) if rnd % 2 else list(reversed(sides))
        py = sys.executable
        jobs = [("floor", [py, "-c", "import pydantic, yaml, click"], Path("/"), SRC)]
        for name, args in cmds.items():
            for side in order:
                python, src, repo = sides[side]
                jobs.append((f"{name}|{side}", [python, "-m", "modelyard", *args], repo, src))
        for key, argv, cwd, src in jobs:
            wall, cpu = timed(argv, cwd, src)
            if rnd:
                walls.setdefault(key, []).append(wall)
                cpus.setdefault(key, []).append(cpu)
    floor = statistics.median(walls["floor"])
    print(
        f"{rounds} interleaved rounds, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        f'floor `python -c "import pydantic, yaml, click"`: {floor:.3f} s '
        f"(fastest {min(walls['floor']):.3f} s), CPU {statistics.median(cpus['floor']):.3f} s\n"
    )
    print("| command | " + " | ".join(f"{s}: wall (× floor) / CPU" for s in sides) + " |")
    print("|---|" + "---|" * len(sides))
    for name in cmds:
        cells = []
        for side in sides:
            wall = statistics.median(walls[f"{name}|{side}"])
            cpu = statistics.median(cpus[f"{name}|{side}"])
            cells.append(f"{wall:.3f} s ({wall / floor:.1f}×) / {cpu:.3f} s")
        print(f"| `{name}` | " + " | ".join(cells) + " |")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _by_number(ids: list[str], offset: int) -> Callable[[int], tuple[str, str, None]]:
    def call(i: int) -> tuple[str, str, None]:
        return "GET", f"{API}/runs/{ids[(i + offset) % len(ids)]}", None

    return call


def server_rows(sides: dict[str, Side], seconds: float, rounds: int) -> None:
    print("\n| GET /runs/{id}, 4 clients | req/s | p50 ms | p99 ms | server CPU per request |")
    print("|---|---|---|---|---|")
    for rnd in range(rounds):
        for side in list(sides) if rnd % 2 == 0 else list(reversed(sides)):
            python, src, repo = sides[side]
            port = _free_port()
            argv = [python, "-m", "modelyard", "--registry", str(repo), "serve"]
            proc = subprocess.Popen(
                [*argv, "--port", str(port), "--log-level", "warning"],
                env={**os.environ, "PYTHONPATH": str(src)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                for _ in range(600):
                    try:
                        call_json(port, "GET", f"{API}/recipes?limit=1")
                        break
                    except OSError:
                        time.sleep(0.2)
                ids = sorted(p.name for p in (repo / "registry" / "runs").glob("*/run_*"))
                spread = [ids[(i * 7919) % len(ids)] for i in range(len(ids))]
                offset = 1000 + rnd * 100_000
                before = _cpu_seconds(proc.pid)
                sample = load(port, _by_number(spread, offset), 1_000_000, seconds, 4)
                used = _cpu_seconds(proc.pid) - before
                print(
                    f"| {side}, round {rnd + 1} | {sample.rps:,.0f} | {sample.p50:.1f} | "
                    f"{sample.p99:.1f} | {used / max(sample.n, 1) * 1e3:.2f} ms |",
                    flush=True,
                )
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", type=Path, required=True, help="a clone for this code")
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src/")
    parser.add_argument("--baseline-registry", type=Path, help="a clone for the baseline")
    parser.add_argument(
        "--baseline-python",
        default=sys.executable,
        help="the Python (of a virtual environment) that runs the baseline, when its "
        "dependencies differ",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--recipe", default="recipe_forecasting_client_00401")
    parser.add_argument("--version", default="ver_forecasting_client_00401_v1.1.0")
    parser.add_argument("--model", default="model_pricing_03044")
    parser.add_argument("--server-seconds", type=float, default=0.0)
    parser.add_argument("--no-cli", action="store_true", help="only the server rows")
    args = parser.parse_args(argv)
    sides: dict[str, Side] = {"this checkout": (sys.executable, SRC, args.registry.resolve())}
    if args.baseline_src and args.baseline_registry:
        baseline = (args.baseline_src.resolve(), args.baseline_registry.resolve())
        sides = {"baseline": (args.baseline_python, *baseline), **sides}
    if not args.no_cli:
        cli_rows(sides, commands(args.recipe, args.model, args.version), args.rounds)
    if args.server_seconds:
        server_rows(sides, args.server_seconds, max(2, args.rounds // 2))


if __name__ == "__main__":
    main()
