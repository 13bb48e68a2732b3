"""modelyard's server against MLflow's tracking server on the same 100,000 runs, side by side.

    python benchmarks/bench_mlflow.py        # generates the large registry if missing
    python benchmarks/bench_mlflow.py --registry /tmp/reg-large --rounds 3
    python benchmarks/bench_mlflow.py --mlflow /tmp/mlflow-venv/bin/mlflow --no-write

MLflow is not a dependency of modelyard: install it in a virtualenv of its own
(`python3 -m venv /tmp/mlflow-venv && /tmp/mlflow-venv/bin/pip install mlflow`) and pass its
`mlflow` executable with `--mlflow` (default: that path). This script is not a test and CI
never runs it.

What it does, all on loopback:
1. clones the registry (default: the large one generate.py makes) into a throwaway folder,
   so modelyard's writes never touch the generated one;
2. starts `mlflow server` on an empty sqlite backend (one worker), creates an experiment
   through its REST API and bulk-inserts the registry's runs into MLflow's own tables
   (runs, tags, params, metrics, latest_metrics) the way MLflow fills them; checks with
   `runs/search` that MLflow counts the same succeeded runs per model as modelyard;
3. starts `modelyard serve` on the clone, times the first requests (they fill the derived
   index under .git/modelyard/), warms both servers, then measures in interleaved rounds
   with the same thread-per-client load generator (http.client, keep-alive): a filtered
   runs listing, run creation, and for modelyard alone GET /recipes and GET /runs/{id};
4. prints medians over the rounds (requests/s, p50, p99) and the ratios modelyard/MLflow,
   and writes them into RESULTS.md (section `mlflow`) unless --no-write.

Both servers are started in their own process groups and killed on exit, also on error.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"
sys.path.insert(0, str(HERE))

from run import describe_machine, describe_registry, write_section  # noqa: E402

API = "/api/ml-development"
ML = "/api/2.0/mlflow"
STATUS = {"succeeded": "FINISHED", "failed": "FAILED", "running": "RUNNING", "queued": "SCHEDULED"}


# ---------------------------------------------------------------- processes


class Servers:
    """The servers this script started, each in its own process group, killed on exit."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # the whole group: MLflow's uvicorn child outlives its parent
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(
    proc: subprocess.Popen[bytes], port: int, path: str, log: Path, limit: float
) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            status, _ = request(Conn(port), "GET", path)
            if status < 500:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(
        f"server on port {port} not ready within {limit:.0f} s:\n{log.read_text()[-3000:]}"
    )


# ---------------------------------------------------------------- HTTP


class Conn:
    """One keep-alive connection to 127.0.0.1:port, reopened if the server closed it."""

    def __init__(self, port: int, timeout: float = 120) -> None:
        self.port, self.timeout = port, timeout
        self.http: http.client.HTTPConnection | None = None

    def get(self) -> http.client.HTTPConnection:
        if self.http is None:
            self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.http

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None


def request(conn: Conn, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    for attempt in (0, 1):
        try:
            c = conn.get()
            c.request(method, path, body=data, headers=headers)
            response = c.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, ConnectionError):
            conn.close()
            if attempt:
                raise
    raise AssertionError("unreachable")


def call_json(port: int, method: str, path: str, body: Any = None) -> Any:
    status, data = request(Conn(port), method, path, body)
    if status >= 400:
        raise SystemExit(f"{method} {path} -> {status}: {data[:500]!r}")
    return json.loads(data)


Call = Callable[[int], tuple[str, str, Any]]  # request number -> method, path, body


@dataclass
class Sample:
    rps: float
    p50: float
    p99: float
    n: int
    errors: int
    error_text: str = ""


def load(port: int, call: Call, requests: int, seconds: float, clients: int) -> Sample:
    """`clients` threads, each on its own connection, send requests until `requests` have
    been sent or `seconds` have passed, whichever is first."""
    lock = threading.Lock()
    counter = iter(range(requests))
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = Conn(port)
        try:
            while time.perf_counter() < deadline:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                method, path, body = call(i)
                t0 = time.perf_counter()
                try:
                    status, data = request(conn, method, path, body)
                except OSError as e:
                    status, data = 599, str(e).encode()
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if status >= 400:
                        errors.append(f"{status} {data[:200]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    return Sample(
        rps=n / wall,
        p50=quantile(latencies, 0.50) * 1000,
        p99=quantile(latencies, 0.99) * 1000,
        n=n,
        errors=len(errors),
        error_text=errors[0] if errors else "",
    )


def quantile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


# ---------------------------------------------------------------- the registry's runs


def read_runs(repo: Path) -> list[dict[str, Any]]:
    """Every committed run.yaml, parsed (git cat-file --batch and libyaml: no modelyard code,
    so the MLflow side does not depend on modelyard's cache)."""
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "HEAD", "--", "registry/runs"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    blobs = [line.split()[2] for line in listing if line.endswith("/run.yaml")]
    proc = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        input="\n".join(blobs).encode() + b"\n",
        capture_output=True,
        check=True,
    )
    out, pos, runs = proc.stdout, 0, []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for _ in blobs:
        eol = out.index(b"\n", pos)
        size = int(out[pos:eol].split()[2])
        runs.append(yaml.load(out[eol + 1 : eol + 1 + size], Loader=loader))
        pos = eol + 1 + size + 1
    return runs


def ms(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() * 1000)


def fill_mlflow(
    db: Path, experiment_id: str, artifact_root: Path, runs: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert the runs into MLflow's own schema as its SQLAlchemy store would write them."""
    run_rows, tag_rows, param_rows, metric_rows, latest_rows = [], [], [], [], []
    for r in runs:
        uid = uuid.uuid4().hex
        created = ms(r.get("created_at"))
        start = ms(r.get("started_at")) or created
        end = ms(r.get("finished_at"))
        run_rows.append(
            (
                uid,
                r["id"],  # name: MLflow's run name
                "UNKNOWN",  # what create_run writes without a source
                "",
                "",
                "",
                STATUS[r["status"]],
                start,
                end,
                "",
                "active",
                f"{artifact_root}/{experiment_id}/{uid}/artifacts",
                int(experiment_id),
            )
        )
        tags = {"mlflow.runName": r["id"], "run_type": r["run_type"], "recipe_id": r["recipe_id"]}
        if r.get("model_id"):
            tags["model_id"] = r["model_id"]
        tag_rows += [(k, v, uid) for k, v in tags.items()]
        param_rows.append(("recipe_version_id", r["recipe_version_id"], uid))
        stamp = end or start
        for key, value in (r.get("metrics_json") or {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            nan = math.isnan(float(value))
            v = 0.0 if nan else float(value)
            metric_rows.append((key, v, stamp, uid, 0, int(nan)))
            latest_rows.append((key, v, stamp, 0, int(nan), uid))
    con = sqlite3.connect(db, timeout=60)
    with con:
        con.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id,"
            " status, start_time, end_time, source_version, lifecycle_stage, artifact_uri,"
            " experiment_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            run_rows,
        )
        con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)", tag_rows)
        con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", param_rows)
        con.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)"
            " VALUES (?,?,?,?,?,?)",
            metric_rows,
        )
        con.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)"
            " VALUES (?,?,?,?,?,?)",
            latest_rows,
        )
    con.close()
    return {
        "runs": len(run_rows),
        "tags": len(tag_rows),
        "params": len(param_rows),
        "metrics": len(metric_rows),
    }


def mlflow_filter(model_id: str) -> str:
    return f"tags.model_id = '{model_id}' and attributes.status = 'FINISHED'"


def mlflow_count(port: int, experiment_id: str, model_id: str) -> int:
    n, token = 0, None
    for _ in range(100):
        body: dict[str, Any] = {
            "experiment_ids": [experiment_id],
            "filter": mlflow_filter(model_id),
            "max_results": 1000,
        }
        if token:
            body["page_token"] = token
        page = call_json(port, "POST", f"{ML}/runs/search", body)
        n += len(page.get("runs", []))
        token = page.get("next_page_token")
        if not token:
            return n
    raise SystemExit("MLflow paging did not end")


# ---------------------------------------------------------------- the report


@dataclass
class Row:
    operation: str
    system: str
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.samples)

    @property
    def requests(self) -> int:
        return sum(s.n for s in self.samples)


def fmt(x: float, digits: int = 1) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:,.{digits}f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", type=Path, help="an existing generated registry (read only)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--mlflow", default="/tmp/mlflow-venv/bin/mlflow", help="MLflow's CLI")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reads", type=int, default=400, help="requests per read measurement")
    parser.add_argument("--writes", type=int, default=40, help="requests per write measurement")
    parser.add_argument("--seconds", type=float, default=30, help="time limit per measurement")
    parser.add_argument("--label", default="mlflow")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--keep", action="store_true", help="keep the clone and MLflow's database")
    args = parser.parse_args(argv)

    mlflow_bin = shutil.which(args.mlflow) or args.mlflow
    if not Path(mlflow_bin).is_file():
        raise SystemExit(
            f"no MLflow at {args.mlflow}: install it in its own virtualenv (see --help)"
        )
    if args.registry:
        source = args.registry.resolve()
    else:
        from generate import generate

        source = args.workdir / "modelyard-bench-large"
        if not (source / "registry").is_dir():
            print(f"generating the large registry in {source} ...", flush=True)
            generate(source, "large", quiet=False)

    servers = Servers()
    # a SIGTERM or SIGHUP ends the script through the same finally as an error
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit("stopped by signal"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="modelyard-vs-mlflow-", dir=args.workdir))
    loads: list[float] = []
    stop_sampling = threading.Event()

    def sample_load() -> None:
        while not stop_sampling.wait(2.0):
            loads.append(os.getloadavg()[0])

    try:
        report = run(args, source, work, mlflow_bin, servers, loads, sample_load, stop_sampling)
    finally:
        stop_sampling.set()
        servers.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}", file=sys.stderr)
    print(report)
    if not args.no_write:
        write_section(args.out, args.label, report)
        print(f"wrote the `{args.label}` section of {args.out}")


def run(
    args: argparse.Namespace,
    source: Path,
    work: Path,
    mlflow_bin: str,
    servers: Servers,
    loads: list[float],
    sample_load: Callable[[], None],
    stop_sampling: threading.Event,
) -> str:
    t0 = time.perf_counter()
    clone = work / "registry"
    subprocess.run(["git", "clone", "-q", str(source), str(clone)], check=True)
    for key, value in (("user.name", "modelyard bench"), ("user.email", "bench@example.com")):
        subprocess.run(["git", "-C", str(clone), "config", key, value], check=True)
    print(f"cloned {source} into {clone} in {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    runs = read_runs(clone)
    print(f"read {len(runs):,} runs in {time.perf_counter() - t0:.1f} s", flush=True)

    # MLflow: an empty sqlite backend, schema made by the server itself
    ml_port, my_port = free_port(), free_port()
    ml_dir = work / "mlflow"
    ml_dir.mkdir()
    ml_env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    ml_env.pop("MLFLOW_TRACKING_URI", None)
    ml_log = work / "mlflow.log"
    t0 = time.perf_counter()
    ml_proc = servers.start(
        [
            mlflow_bin,
            "server",
            "--backend-store-uri",
            f"sqlite:///{ml_dir / 'mlflow.db'}",
            "--default-artifact-root",
            str(ml_dir / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(ml_port),
            "--workers",
            "1",
        ],
        ml_env,
        ml_log,
    )
    ml_ready = wait_ready(ml_proc, ml_port, "/health", ml_log, 300)
    print(f"mlflow server ready in {ml_ready:.1f} s", flush=True)
    experiment_id = call_json(
        ml_port, "POST", f"{ML}/experiments/create", {"name": "modelyard-bench"}
    )["experiment_id"]
    t0 = time.perf_counter()
    counts = fill_mlflow(ml_dir / "mlflow.db", experiment_id, ml_dir / "artifacts", runs)
    ml_fill = time.perf_counter() - t0
    print(f"inserted into MLflow's tables in {ml_fill:.1f} s: {counts}", flush=True)

    # modelyard: the clone, through `modelyard serve`
    my_env = {**os.environ, "PYTHONPATH": str(SRC)}
    my_env.pop("MODELYARD_REGISTRY", None)
    my_log = work / "modelyard.log"
    t0 = time.perf_counter()
    my_proc = servers.start(
        [
            sys.executable,
            "-m",
            "modelyard",
            "--registry",
            str(clone),
            "serve",
            "--port",
            str(my_port),
            "--log-level",
            "warning",
        ],
        my_env,
        my_log,
    )
    my_ready = wait_ready(my_proc, my_port, "/docs", my_log, 120)
    print(f"modelyard serve ready in {my_ready:.1f} s", flush=True)

    # the first requests fill modelyard's derived index: timed on their own
    firsts: list[tuple[str, float]] = []
    with_model = [r for r in runs if r.get("model_id")]
    model_ids = sorted({r["model_id"] for r in with_model})
    run_ids = [r["id"] for r in runs]
    for name, path in (
        ("GET /recipes", f"{API}/recipes"),
        (
            "GET /runs?model_id=X&status=succeeded",
            f"{API}/runs?model_id={model_ids[0]}&status=succeeded",
        ),
        ("GET /runs/{id}", f"{API}/runs/{run_ids[0]}"),
    ):
        t = time.perf_counter()
        call_json(my_port, "GET", path)
        firsts.append((f"modelyard {name}", time.perf_counter() - t))
    t = time.perf_counter()
    call_json(
        ml_port,
        "POST",
        f"{ML}/runs/search",
        {
            "experiment_ids": [experiment_id],
            "filter": mlflow_filter(model_ids[0]),
            "max_results": 100,
        },
    )
    firsts.append(("MLflow runs/search", time.perf_counter() - t))
    for name, seconds in firsts:
        print(f"first request: {name}: {seconds:.2f} s", flush=True)

    # the same runs on both sides
    checks = []
    step = max(1, len(model_ids) // 5)
    for model_id in model_ids[::step][:5]:
        mine = call_json(my_port, "GET", f"{API}/runs?model_id={model_id}&status=succeeded&limit=1")
        theirs = mlflow_count(ml_port, experiment_id, model_id)
        checks.append((model_id, mine["total"], theirs))
        if mine["total"] != theirs:
            raise SystemExit(
                f"{model_id}: modelyard {mine['total']} succeeded runs, MLflow {theirs}"
            )
    print(
        "same succeeded runs per model: " + ", ".join(f"{m} {a}" for m, a, _ in checks), flush=True
    )

    model = call_json(my_port, "GET", f"{API}/models/{model_ids[0]}")
    my_create = {
        "recipe_id": model["recipe_id"],
        "recipe_version_id": model["recipe_version_id"],
        "run_type": "train",
        "model_id": model["id"],
    }
    # cycle over many models and runs, spread over the whole range, in a fixed order
    stride = 7919  # a prime: consecutive requests ask about unrelated models and runs
    models_cycle = [model_ids[(i * stride) % len(model_ids)] for i in range(len(model_ids))]
    runs_cycle = [run_ids[(i * stride) % len(run_ids)] for i in range(len(run_ids))]

    def my_list(i: int) -> tuple[str, str, Any]:
        m = models_cycle[i % len(models_cycle)]
        return "GET", f"{API}/runs?model_id={m}&status=succeeded", None

    def ml_list(i: int) -> tuple[str, str, Any]:
        m = models_cycle[i % len(models_cycle)]
        body = {"experiment_ids": [experiment_id], "filter": mlflow_filter(m), "max_results": 100}
        return "POST", f"{ML}/runs/search", body

    def ml_create(i: int) -> tuple[str, str, Any]:
        body = {
            "experiment_id": experiment_id,
            "start_time": int(time.time() * 1000),
            "tags": [
                {"key": "model_id", "value": model["id"]},
                {"key": "run_type", "value": "train"},
            ],
        }
        return "POST", f"{ML}/runs/create", body

    scenarios: list[tuple[str, int, dict[str, Call | None]]] = [
        (
            "filtered runs listing",
            args.reads,
            {"modelyard": my_list, "MLflow": ml_list},
        ),
        (
            "run creation",
            args.writes,
            {"modelyard": lambda i: ("POST", f"{API}/runs", my_create), "MLflow": ml_create},
        ),
        (
            "GET /recipes",
            args.reads,
            {"modelyard": lambda i: ("GET", f"{API}/recipes", None), "MLflow": None},
        ),
        (
            "GET /runs/{id}",
            args.reads,
            {
                "modelyard": lambda i: (
                    "GET",
                    f"{API}/runs/{runs_cycle[i % len(runs_cycle)]}",
                    None,
                ),
                "MLflow": None,
            },
        ),
    ]
    ports = {"modelyard": my_port, "MLflow": ml_port}

    # warm-up, not measured: the read paths once more on both sides, then one write each
    # (a fresh clone's first commit also pays for git refreshing its index): timed alone
    for name, _, calls in scenarios:
        for system, call in calls.items():
            if call is not None and name != "run creation":
                load(ports[system], call, 40, 30, args.clients)
    for system, call in scenarios[1][2].items():
        assert call is not None
        method, path, body = call(0)
        t = time.perf_counter()
        call_json(ports[system], method, path, body)
        firsts.append(
            (f"{system} first {method} {path.removeprefix(API)}", time.perf_counter() - t)
        )
        print(f"first write: {firsts[-1][0]}: {firsts[-1][1]:.2f} s", flush=True)
    rows: dict[tuple[str, str], Row] = {}
    sampler = threading.Thread(target=sample_load, daemon=True)
    load_before = os.getloadavg()
    sampler.start()
    started = time.perf_counter()
    for rnd in range(args.rounds):
        for name, n, calls in scenarios:
            order = [s for s in calls if calls[s] is not None]
            if rnd % 2:
                order.reverse()
            for system in order:
                call = calls[system]
                assert call is not None
                offset = 1000 + rnd * n

                def shifted(
                    i: int, call: Call = call, offset: int = offset
                ) -> tuple[str, str, Any]:
                    return call(i + offset)

                sample = load(ports[system], shifted, n, args.seconds, args.clients)
                rows.setdefault((name, system), Row(name, system)).samples.append(sample)
                print(
                    f"round {rnd + 1}/{args.rounds} {name:<22} {system:<9} "
                    f"{sample.rps:8.1f} req/s  p50 {sample.p50:8.1f} ms  p99 {sample.p99:8.1f} ms"
                    f"  n={sample.n} errors={sample.errors} {sample.error_text[:120]}",
                    flush=True,
                )
    elapsed = time.perf_counter() - started
    stop_sampling.set()
    load_after = os.getloadavg()
    for proc, log in ((ml_proc, ml_log), (my_proc, my_log)):
        if proc.poll() is not None:
            raise SystemExit(f"a server died during the run:\n{log.read_text()[-3000:]}")

    mlflow_version = subprocess.run(
        [mlflow_bin, "--version"], capture_output=True, text=True
    ).stdout.strip()
    return render(
        args,
        mlflow_version,
        source,
        rows,
        firsts,
        checks,
        counts,
        ml_fill,
        loads,
        load_before,
        load_after,
        elapsed,
    )


def render(
    args: argparse.Namespace,
    mlflow_version: str,
    source: Path,
    rows: dict[tuple[str, str], Row],
    firsts: list[tuple[str, float]],
    checks: list[tuple[str, int, int]],
    counts: dict[str, int],
    ml_fill: float,
    loads: list[float],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    elapsed: float,
) -> str:
    def get(name: str, system: str) -> Row | None:
        return rows.get((name, system))

    def ratio(name: str, attr: str) -> float:
        mine, theirs = get(name, "modelyard"), get(name, "MLflow")
        if not mine or not theirs or not theirs.median(attr):
            return math.nan
        return mine.median(attr) / theirs.median(attr)

    targets = {
        "filtered runs listing": "≥ 2× MLflow's req/s, p99 < 100 ms",
        "run creation": "≥ MLflow's req/s",
        "GET /recipes": "≥ 1,000 req/s",
        "GET /runs/{id}": "≥ 1,000 req/s",
    }

    def verdict(name: str) -> str:
        mine = get(name, "modelyard")
        if mine is None:
            return ""
        if name == "filtered runs listing":
            ok = ratio(name, "rps") >= 2 and mine.median("p99") < 100
        elif name == "run creation":
            ok = ratio(name, "rps") >= 1
        else:
            ok = mine.median("rps") >= 1000
        return "met" if ok else "**not met**"

    head = [
        "operation",
        "system",
        "req/s",
        "p50 ms",
        "p99 ms",
        "requests",
        "errors",
        "modelyard/MLflow req/s",
        "target",
        "",
    ]
    table = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for name in targets:
        for system in ("modelyard", "MLflow"):
            row = get(name, system)
            if row is None:
                continue
            mine = system == "modelyard"
            table.append(
                "| "
                + " | ".join(
                    [
                        name if mine else "",
                        system,
                        fmt(row.median("rps")),
                        fmt(row.median("p50")),
                        fmt(row.median("p99")),
                        f"{row.requests:,}",
                        str(row.errors),
                        (fmt(ratio(name, "rps"), 2) + "×") if mine and get(name, "MLflow") else "",
                        targets[name] if mine else "",
                        verdict(name) if mine else "",
                    ]
                )
                + " |"
            )
    during = (
        f"{min(loads):.2f} – {max(loads):.2f}, median {statistics.median(loads):.2f}"
        if loads
        else "not sampled"
    )
    lines = [
        f"### modelyard serve vs MLflow tracking server: {describe_registry(source)}",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        "by `benchmarks/bench_mlflow.py`: "
        f"{args.rounds} interleaved rounds, {args.clients} concurrent clients (one keep-alive "
        f"connection each), up to {args.reads} read / {args.writes} write requests or "
        f"{args.seconds:.0f} s per measurement; medians over the rounds. {elapsed:.0f} s of load.",
        *describe_machine(),
        f"- {mlflow_version}, `mlflow server --workers 1` on sqlite, job execution off; "
        f"{counts['runs']:,} runs bulk-inserted in {ml_fill:.1f} s ({counts['tags']:,} tags, "
        f"{counts['params']:,} params, {counts['metrics']:,} metrics); modelyard on a clone of the "
        "registry, committed state (`modelyard serve`)",
        "- same succeeded runs per model on both sides: "
        + ", ".join(f"`{m}` {a}" for m, a, _ in checks),
        "- first requests, each timed alone (the first reads fill modelyard's derived index; "
        "the first writes come after the read warm-up): "
        + "; ".join(f"{n} {s:.2f} s" for n, s in firsts),
        f"- load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after, "
        f"during {during}; the load generator runs on the same 2 cores as the servers",
        "",
        *table,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
