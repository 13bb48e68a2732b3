"""Throughput and latency of `modelyard serve --remote` (the team's gateway) for POST /runs,
against a bare remote on this machine, with `--ack remote` and `--ack local`.

    python benchmarks/bench_gateway.py                          # every row, 30 s each
    python benchmarks/bench_gateway.py --seconds 10 --no-write  # a quick look, printed only
    python benchmarks/bench_gateway.py --batch-interval 2 --push-budget 30
    python benchmarks/bench_gateway.py --only open --server-log info --no-write
    python benchmarks/bench_gateway.py --only rate --rate 110 --seconds 40 --no-write

Rows:
- closed loop at 1, 8 and 32 clients: each client sends a POST /runs, waits for its answer,
  sends the next; per ack mode;
- open loop: `--in-flight` writes (default 1,000) outstanding at all times, a new one sent
  the moment one is answered, with `--ack remote`: what acknowledged throughput a batch of
  hundreds of commits per push gives.
- open loop at a fixed rate (`rate`): `--rate` writes a second (default 110) started on
  schedule whatever the answers, for the row's time, then every one waited for, with
  `--ack remote`: whether the gateway keeps up with that rate (latency counts from when a
  write was due, so falling behind shows in full); "clients in flight" is the most writes
  outstanding at once.

Each row starts a fresh gateway process on a clone of the remote, with the given batching
interval and push budget (the defaults: 10 s and 6 a minute). Throughput is acknowledged
writes a second over the row's time; latency is per request (p50, p99); pushes a minute
are the gateway's push attempts (its /healthz) over the row's time, and the most of them
in any 60 s (its sliding count, sampled each second) is what the budget bounds. After each
row every acknowledged run is checked to be on the remote. Results go into
benchmarks/RESULTS.md (section `gateway`) unless --no-write.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402

from modelyard.ops import recipes, setup  # noqa: E402

API = "/api/ml-development"
RECIPE = "recipe_bench_base"
VERSION = "ver_bench_base_v1.0.0"
NO_UPSTREAM = {"pushes": 0, "pushed_commits": 0, "pushes_last_minute": 0}
BODY = {"recipe_id": RECIPE, "recipe_version_id": VERSION, "run_type": "train"}
MANIFEST = {
    "features": {"base_price": {"dtype": "float"}},
    "target": {"name": "units_sold", "dtype": "float", "kind": "regression"},
    "model": {"algorithm": "lightgbm"},
    "pricing": {"objective": "revenue", "price_bounds": {"min_ratio": 0.8, "max_ratio": 1.2}},
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_remote(work: Path) -> Path:
    seed = work / "seed"
    seed.mkdir()
    reg = setup.init_registry(seed)
    recipes.create_recipe(
        reg,
        {
            "name": "Bench Baseline",
            "model_family": "pricing",
            "level": "baseline",
            "id": RECIPE,
            "manifest": MANIFEST,
        },
    )
    remote = work / "remote.git"
    git(work, "init", "-q", "--bare", "--initial-branch=main", str(remote))
    git(seed, "push", "-q", str(remote), "HEAD:refs/heads/main")
    return remote


def fsck(repo: Path) -> None:
    """`git fsck` of the remote, once the `git gc --auto` a push may have started in the
    background is done (an fsck beside a repack can miss objects it is moving)."""
    for _ in range(60):
        if not (repo / "gc.pid").exists():
            break
        time.sleep(1)
    proc = subprocess.run(["git", "fsck", "--no-dangling"], cwd=repo, capture_output=True)
    if proc.returncode != 0:
        time.sleep(5)
        git(repo, "fsck", "--no-dangling")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Row:
    name: str
    ack: str
    clients: int
    seconds: float
    ok: int
    errors: int
    p50: float
    p99: float
    pushes: int
    commits_pushed: int
    most_in_a_minute: int  # the most push attempts in any 60 s, sampled each second
    client_cpu: float  # CPU seconds the load generator (this process) used in the row
    server_cpu: float  # ... and the gateway process
    offered: float = 0.0  # a fixed-rate row: writes sent a second, whatever the answers
    sending: float = 0.0  # ... for this long; `seconds` adds the wait for the last answers

    @property
    def rate(self) -> float:
        return self.ok / (self.sending or self.seconds)

    @property
    def pushes_per_minute(self) -> float:
        return self.pushes / self.seconds * 60


class Gateway:
    def __init__(
        self, clone: Path, ack: str, interval: float, budget: int, log: Path, level: str
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        self.log = log.open("wb")
        argv = [
            sys.executable, "-m", "modelyard", "--registry", str(clone / "registry"), "serve",
            "--port", str(self.port), "--log-level", level,
        ]  # fmt: skip
        if ack != "none":  # "none": no remote at all, the anchor row
            argv += ["--remote", "--ack", ack, "--batch-interval", str(interval)]
            argv += ["--push-budget", str(budget)]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.base + "/healthz", timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the gateway did not start; see {log}") from None
                time.sleep(0.1)

    def health(self) -> dict[str, int]:
        body = httpx.get(self.base + "/healthz", timeout=60).json()
        return body.get("upstream") or NO_UPSTREAM  # type: ignore[no-any-return]

    def cpu(self) -> float:
        """CPU seconds the gateway process has used (user and system, from /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Connection:
    """One keep-alive HTTP/1.1 connection sending the same POST /runs again and again: the
    generator's least CPU a request (httpx spent about 2.7 ms of CPU a request here, a third
    of what the gateway itself did, on the two cores both share)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        body = json.dumps(BODY).encode()
        self.request = (
            f"POST {API}/runs HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self) -> tuple[int, bytes]:
        """(status, body) of one POST; raises OSError or asyncio.IncompleteReadError when
        the connection fails (the next call opens a new one)."""
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port, limit=2**20)
        reader, writer = self.streams
        try:
            writer.write(self.request)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            status = int(head[9:12])
            found = re.search(r"\r\ncontent-length: *(\d+)", head)
            body = await reader.readexactly(int(found.group(1))) if found else b""
            if "\r\nconnection: close" in head:
                self.close()
            return status, body
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def drive(
    base: str, clients: int, seconds: float, client: str = "raw"
) -> tuple[list[float], int, list[str]]:
    """`clients` loops, each one POST at a time on its own connection, for `seconds`;
    latencies, errors, ids. `client="httpx"`: through httpx instead of `Connection`, an
    AsyncClient (one connection) a loop: httpx's connection pool looks at every connection
    it holds each time a request starts or ends, so one pool of 1,000 connections cost the
    generator seconds of CPU per batch of 1,000 answers, in which it sent nothing (and
    connections sat idle long enough for the server's 5 s keep-alive to end them)."""
    latencies: list[float] = []
    made: list[str] = []
    errors = 0
    end = time.monotonic() + seconds
    url = httpx.URL(base)
    tls = ssl.create_default_context()  # shared: httpx would build one per client

    def failed(what: str) -> None:
        nonlocal errors
        errors += 1
        if errors <= 3:  # say what went wrong, not only how often
            print(f"error: {what}", file=sys.stderr)

    async def loop() -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        http = (
            httpx.AsyncClient(base_url=base, limits=limits, timeout=600.0, verify=tls)
            if client == "httpx"
            else None
        )
        conn = Connection(url.host, url.port or 80)
        try:
            while time.monotonic() < end:
                start = time.monotonic()
                try:
                    if http is not None:
                        resp = await http.post(f"{API}/runs", json=BODY)
                        status, body = resp.status_code, resp.content
                    else:
                        status, body = await conn.post()
                except (httpx.HTTPError, OSError, asyncio.IncompleteReadError) as exc:
                    failed(f"{type(exc).__name__}: {exc!r}")
                    await asyncio.sleep(0.1)
                    continue
                if status == 201:
                    latencies.append(time.monotonic() - start)
                    made.append(json.loads(body)["id"])
                else:
                    failed(f"{status} {body[:300].decode(errors='replace')}")
        finally:
            conn.close()
            if http is not None:
                await http.aclose()

    await asyncio.gather(*(loop() for _ in range(clients)))
    return latencies, errors, made


KEEP_ALIVE = 5.0  # uvicorn's default keep-alive time, in seconds


async def drive_rate(
    base: str, rate: float, seconds: float
) -> tuple[list[float], int, list[str], int]:
    """An open loop in the strict sense: a POST /runs started every 1/`rate` s for `seconds`
    whatever the answers, each on an idle connection (a new one when none is idle), then
    every one waited for. Latency counts from when the write was due, so a gateway that
    falls behind shows it in full; latencies, errors, ids, the most writes in flight."""
    latencies: list[float] = []
    made: list[str] = []
    errors = 0
    url = httpx.URL(base)
    idle: list[tuple[float, Connection]] = []  # with when each went idle, newest last
    pending: set[asyncio.Task[None]] = set()
    most = 0

    def connection() -> Connection:
        # the server ends a connection idle for its keep-alive time (uvicorn: 5 s); one idle
        # for most of that is closed here rather than reused as the server closes it
        while idle:
            since, conn = idle.pop()
            if time.monotonic() - since < KEEP_ALIVE - 1:
                return conn
            conn.close()
        return Connection(url.host, url.port or 80)

    async def one(due: float) -> None:
        nonlocal errors
        conn = connection()
        try:
            status, body = await conn.post()
        except (OSError, asyncio.IncompleteReadError) as exc:
            errors += 1
            if errors <= 3:
                print(f"error: {type(exc).__name__}: {exc!r}", file=sys.stderr)
            return
        idle.append((time.monotonic(), conn))
        if status == 201:
            latencies.append(time.monotonic() - due)
            made.append(json.loads(body)["id"])
        else:
            errors += 1
            if errors <= 3:
                print(f"error: {status} {body[:300].decode(errors='replace')}", file=sys.stderr)

    start = time.monotonic()
    sent = 0
    while sent < rate * seconds:
        due = start + sent / rate
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        sent += 1
        task = asyncio.create_task(one(due))
        pending.add(task)
        task.add_done_callback(pending.discard)
        most = max(most, len(pending))
    await asyncio.gather(*pending)
    for _, conn in idle:
        conn.close()
    return latencies, errors, made, most


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(
    remote: Path,
    work: Path,
    name: str,
    ack: str,
    clients: int,
    args: argparse.Namespace,
    rate: float = 0.0,
) -> Row:
    clone = work / f"clone-{name.replace(' ', '-')}-{ack}-{clients}"
    git(work, "clone", "-q", str(remote), str(clone))
    log = clone.with_suffix(".log")
    gw = Gateway(clone, ack, args.batch_interval, args.push_budget, log, args.server_log)
    try:
        before = gw.health()
        cpu_before = (time.process_time(), gw.cpu())
        started = time.monotonic()
        most = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                with contextlib.suppress(httpx.HTTPError):
                    most[0] = max(most[0], gw.health()["pushes_last_minute"])

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        if rate:
            latencies, errors, made, clients = asyncio.run(drive_rate(gw.base, rate, args.seconds))
        else:
            latencies, errors, made = asyncio.run(
                drive(gw.base, clients, args.seconds, args.client)
            )
        elapsed = time.monotonic() - started
        done.set()
        sampler.join()
        after = gw.health()
        client_cpu = time.process_time() - cpu_before[0]
        server_cpu = gw.cpu() - cpu_before[1]
        # the row's pushes: those that happened while it ran
        pushes = after["pushes"] - before["pushes"]
        commits = after["pushed_commits"] - before["pushed_commits"]
    finally:
        gw.stop()
    if ack == "none":  # the anchor pushes nothing: its runs are in its clone
        remote = clone
    on_remote = set(git(remote, "ls-tree", "-r", "--name-only", "main").splitlines())
    present = {p.split("/")[-2] for p in on_remote if p.endswith("/run.yaml")}
    missing = [r for r in made if r not in present]
    if missing:
        raise SystemExit(f"{len(missing)} acknowledged runs are not on the remote: {missing[:3]}")
    return Row(
        name, ack, clients, elapsed, len(latencies), errors,
        quantile(latencies, 0.5), quantile(latencies, 0.99), pushes, commits, most[0],
        client_cpu, server_cpu, rate, args.seconds if rate else 0.0,
    )  # fmt: skip


def load_average() -> float:
    return os.getloadavg()[0]


def render(rows: list[Row], args: argparse.Namespace, loads: tuple[float, float]) -> str:
    slot = max(args.batch_interval, 60 / args.push_budget)
    lines = [
        "<!-- results:gateway -->",
        "### gateway: POST /runs through `modelyard serve --remote` to a local bare remote",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_gateway.py`; "
        f"{args.seconds:g} s a row; batching interval {args.batch_interval:g} s, push budget "
        f"{args.push_budget} a minute (a push at most every {slot:g} s).",
        f"- {platform.processor() or platform.machine()}, {os.cpu_count()} logical cores; "
        f"Python {platform.python_version()}; {git(ROOT, '--version')}",
        f"- load average (1 min) {loads[0]:.2f} before, {loads[1]:.2f} after "
        "(the machine is shared: compare rows of the same run)",
        "",
        "| load | ack | clients in flight | writes/s | p50 s | p99 s | pushes/min "
        "| most pushes in 60 s | commits a push | errors | CPU s: generator, gateway | targets |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        targets = []
        if r.ack == "none":
            lines.append(
                f"| {r.name} | none | {r.clients} | {r.rate:.1f} | {r.p50:.3f} | {r.p99:.3f} "
                f"| | | | {r.errors} | {r.client_cpu:.0f}, {r.server_cpu:.0f} "
                "| the server's own commit rate: what every row shares |"
            )
            continue
        if r.ack == "local" and r.clients >= 32:
            targets.append(f"≥ 100 writes/s: {'met' if r.rate >= 100 else '**not met**'}")
        if r.offered:
            targets.append(f"≥ 100 writes/s: {'met' if r.rate >= 100 else '**not met**'}")
        elif r.ack == "remote" and r.clients >= 1000:
            targets.append(f"≥ 100 writes/s: {'met' if r.rate >= 100 else '**not met**'}")
            # each push acknowledges at most the writes in flight: the most this row can give
            targets.append(f"(ceiling {r.clients / slot:.0f}: in flight ÷ push slot)")
        if r.ack == "remote":
            ok = r.p99 < 2 * args.batch_interval
            targets.append(f"p99 < {2 * args.batch_interval:g} s: {'met' if ok else '**not met**'}")
        budget_ok = r.most_in_a_minute <= args.push_budget
        targets.append(f"≤ {args.push_budget} pushes/min: {'met' if budget_ok else '**not met**'}")
        per_push = r.commits_pushed / r.pushes if r.pushes else 0
        lines.append(
            f"| {r.name} | {r.ack} | {r.clients} | {r.rate:.1f} | {r.p50:.3f} | {r.p99:.3f} "
            f"| {r.pushes_per_minute:.1f} | {r.most_in_a_minute} | {per_push:.0f} | {r.errors} "
            f"| {r.client_cpu:.0f}, {r.server_cpu:.0f} | {'; '.join(targets)} |"
        )
    lines.append("<!-- /results:gateway -->")
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    path = ROOT / "benchmarks" / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- results:gateway -->", "<!-- /results:gateway -->\n"
    if start in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each row")
    parser.add_argument("--batch-interval", type=float, default=10.0)
    parser.add_argument("--push-budget", type=int, default=6)
    parser.add_argument("--clients", default="1,8,32", help="closed-loop client counts")
    parser.add_argument("--in-flight", type=int, default=1000, help="open-loop writes in flight")
    parser.add_argument(
        "--rate",
        type=float,
        default=110.0,
        help="the fixed-rate open loop's writes a second (the `rate` row)",
    )
    parser.add_argument("--acks", default="remote,local")
    parser.add_argument(
        "--anchor", type=int, default=32, help="clients of the anchor row (0: none)"
    )
    parser.add_argument(
        "--only",
        default="anchor,closed,open,rate",
        help="which kinds of row to run, e.g. `open` (the others' options are then ignored)",
    )
    parser.add_argument(
        "--server-log",
        default="warning",
        help="each gateway's --log-level (`info`: its pushes, with their times, in the row's "
        "log beside its clone)",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="the load generator's HTTP client: a plain keep-alive connection a loop (raw), "
        "or an httpx AsyncClient a loop",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="modelyard-bench-gateway-"))
    work.mkdir(parents=True, exist_ok=True)
    remote = make_remote(work)
    loads = [load_average()]
    rows: list[Row] = []
    only = set(filter(None, args.only.split(",")))
    if not only <= {"anchor", "closed", "open", "rate"}:
        parser.error(f"--only takes anchor, closed, open and rate (got {args.only!r})")
    args.anchor = args.anchor if "anchor" in only else 0
    args.acks = args.acks if "closed" in only else ""
    args.in_flight = args.in_flight if "open" in only else 0
    if args.anchor:
        row = measure(remote, work, "anchor: no remote", "none", args.anchor, args)
        print(row, flush=True)
        rows.append(row)
    for ack in filter(None, args.acks.split(",")):
        for clients in (int(c) for c in filter(None, args.clients.split(","))):
            row = measure(remote, work, "closed loop", ack, clients, args)
            print(row, flush=True)
            rows.append(row)
    if args.in_flight:
        row = measure(remote, work, "open loop", "remote", args.in_flight, args)
        print(row, flush=True)
        rows.append(row)
    if "rate" in only and args.rate > 0:
        name = f"open loop, {args.rate:g} a second"
        row = measure(remote, work, name, "remote", 0, args, rate=args.rate)
        print(row, flush=True)
        rows.append(row)
    loads.append(load_average())
    fsck(remote)
    section = render(rows, args, (loads[0], loads[1]))
    print(section)
    if not args.no_write:
        write_results(section)


if __name__ == "__main__":
    main()
