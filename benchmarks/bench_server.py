"""Requests per second and p50/p99 latency of `modelyard serve` for GET /recipes,
GET /runs?model_id=... and POST /runs, against a real server process on loopback.

    python benchmarks/bench_server.py                   # generate a registry, then measure
    python benchmarks/bench_server.py --registry PATH   # measure an existing registry
    python benchmarks/bench_server.py --runs 20000 --json results.json

The generated registry has `--recipes` baseline recipes, `--models` models spread over
them and `--runs` runs spread over the models and over twelve monthly shards. Recipes and
models are made through the operations layer; the runs are written in one bulk commit
(the same canonical files `runs create` writes), since thousands of single commits would
only time git.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
from bulk import generate  # noqa: E402

from modelyard.ops import models, recipes  # noqa: E402
from modelyard.storage.registry import Registry  # noqa: E402

API = "/api/ml-development"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(registry: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelyard",
            "--registry",
            str(registry),
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"the server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the server did not start within 30 s")


def measure(
    name: str,
    base: str,
    requests: int,
    concurrency: int,
    call: Callable[[httpx.Client, int], httpx.Response],
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                response = call(client, i)
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if response.status_code >= 400:
                        errors.append(response.status_code)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(worker) for _ in range(concurrency)]:
            f.result()
    wall = time.perf_counter() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "name": name,
        "requests": requests,
        "concurrency": concurrency,
        "errors": len(errors),
        "req_per_s": round(requests / wall, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--registry", type=Path, help="An existing registry (default: generate one)."
    )
    parser.add_argument("--recipes", type=int, default=20)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200, help="Requests per read scenario.")
    parser.add_argument(
        "--writes", type=int, default=100, help="Requests of the POST /runs scenario."
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()

    tmp = None
    if args.registry:
        reg = Registry.open(args.registry)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="modelyard-bench-")
        t0 = time.perf_counter()
        reg = generate(Path(tmp.name), args.recipes, args.models, args.runs)
        print(
            f"generated {args.recipes} recipes, {args.models} models, {args.runs} runs "
            f"in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
    model_list = models.list_models(reg, limit=500).models
    model_ids = [m.id for m in model_list]
    target = model_list[0]
    port = free_port()
    proc = start_server(reg.root, port)
    base = f"http://127.0.0.1:{port}"
    try:
        results = [
            measure(
                "GET /recipes",
                base,
                args.requests,
                args.concurrency,
                lambda c, i: c.get(f"{API}/recipes"),
            ),
            measure(
                "GET /runs?model_id=...",
                base,
                args.requests,
                args.concurrency,
                lambda c, i: c.get(
                    f"{API}/runs", params={"model_id": model_ids[i % len(model_ids)]}
                ),
            ),
            measure(
                "POST /runs",
                base,
                args.writes,
                args.concurrency,
                lambda c, i: c.post(
                    f"{API}/runs",
                    json={
                        "recipe_id": target.recipe_id,
                        "recipe_version_id": target.recipe_version_id,
                        "run_type": "train",
                        "model_id": target.id,
                    },
                ),
            ),
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if tmp is not None:
            tmp.cleanup()
    report = {
        "registry": {
            "recipes": len(recipes.list_recipes(reg, limit=500).recipes)
            if tmp is None
            else args.recipes,
            "models": len(model_ids),
            "runs": args.runs if tmp is not None else None,
        },
        "cpus": os.cpu_count(),
        "results": results,
    }
    print(f"{'scenario':<26}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for r in results:
        print(f"{r['name']:<26}{r['req_per_s']:>8}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['errors']:>8}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
