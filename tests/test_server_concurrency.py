"""Concurrent clients against a real server process: 8 clients x 50 writes at once, while
another process writes through the operations layer under the same lock. Every write is a
commit, none is lost, nothing answers 5xx, and over thousands of requests no git child
processes or file descriptors pile up in the server."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import git
from modelyard.ops import models, runs
from modelyard.storage.registry import Registry
from server_support import API, ServerProcess, children_of, running_server

pytestmark = pytest.mark.slow

CLIENTS = 8
WRITES_EACH = 50
CLI_WRITES = 10


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def rss_mb(pid: int) -> float:
    """The process's resident memory (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class ChildWatch:
    """Samples the server's child processes while requests run."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.most = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.most = max(self.most, len(children_of(self.pid)))
            self.samples += 1
            self._stop.wait(0.005)

    def __enter__(self) -> ChildWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_concurrent_writes_and_no_leaks(reg: Registry, base_recipe: str, tmp_path: Path) -> None:
    version = "ver_pricing_base_v1.0.0"
    model = models.register_model(
        reg,
        {
            "name": "Concurrent",
            "recipe_id": base_recipe,
            "recipe_version_id": version,
            "owner": "team",
        },
    )
    start = int(git(reg.worktree, "rev-list", "--count", "HEAD"))
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client(server: ServerProcess, n: int) -> list[str]:
        made = []
        for _ in range(WRITES_EACH):
            status, body = server.request(
                "POST",
                f"{API}/runs",
                {
                    "recipe_id": base_recipe,
                    "recipe_version_id": version,
                    "run_type": "train",
                    "model_id": model.id,
                    "created_by": f"client{n}",
                },
            )
            read_status, _ = server.request("GET", f"{API}/runs?model_id={model.id}&limit=5")
            with lock:
                statuses[status] += 1
                statuses[read_status] += 1
            if status == 201:
                made.append(body["id"])
        return made

    def cli_writer() -> list[str]:
        # another process's writes, through the same file lock the CLI takes
        local = Registry(reg.root)
        return [
            runs.create_run(
                local, {"recipe_id": base_recipe, "recipe_version_id": version, "run_type": "eval"}
            ).id
            for _ in range(CLI_WRITES)
        ]

    with running_server(reg.root, log_dir=tmp_path) as server:
        pid = server.proc.pid
        server.request("GET", f"{API}/recipes")
        fds_before = open_fds(pid)
        rss_before = rss_mb(pid)
        with ChildWatch(pid) as watch, ThreadPoolExecutor(CLIENTS + 1) as pool:
            futures = [pool.submit(client, server, n) for n in range(CLIENTS)]
            cli_future = pool.submit(cli_writer)
            made = [run_id for f in futures for run_id in f.result()]
            cli_made = cli_future.result()

            # then over a thousand more reads, all at once (history reads run git too)
            paths = [
                f"{API}/recipes",
                f"{API}/models/{model.id}",
                f"{API}/runs/{made[0]}",
                f"{API}/recipes/{base_recipe}",
                f"{API}/recipes/{base_recipe}/versions/1.0.0",
            ]

            def reader(n: int) -> None:
                for i in range(150):
                    status, _ = server.request("GET", paths[(n + i) % len(paths)])
                    with lock:
                        statuses[status] += 1

            list(pool.map(reader, range(CLIENTS)))
        requests = sum(statuses.values())
        fds_after = open_fds(pid)
        rss_after = rss_mb(pid)
        leftover = children_of(pid)

    assert requests >= 2000
    assert set(statuses) <= {200, 201}, statuses
    assert len(made) == CLIENTS * WRITES_EACH and len(set(made)) == len(made)
    # one commit per write, none lost
    total = start + CLIENTS * WRITES_EACH + CLI_WRITES
    assert int(git(reg.worktree, "rev-list", "--count", "HEAD")) == total
    status = git(reg.worktree, "status", "--porcelain")
    assert status == "", (status, server.log.read_text()[-3000:])
    authors = Counter(
        git(reg.worktree, "log", f"-{CLIENTS * WRITES_EACH + CLI_WRITES}", "--format=%an").split(
            "\n"
        )
    )
    assert all(authors[f"client{n}"] == WRITES_EACH for n in range(CLIENTS))
    # the registry reads back whole: every run is there and parses
    listed = runs.list_runs(reg, model_id=model.id, limit=500)
    assert listed.total == CLIENTS * WRITES_EACH
    assert {r.id for r in listed.runs} == set(made)
    assert runs.list_runs(reg, run_type="eval", limit=500).total == len(cli_made)
    git(reg.worktree, "fsck", "--no-dangling")
    # git runs as a child of the server only within a request (a write, or a read of history)
    assert watch.samples > 10
    assert watch.most <= CLIENTS
    assert leftover == []
    assert fds_after <= fds_before + 5
    # memory stays bounded: caches are keyed by commit and replaced, not accumulated
    assert rss_after - rss_before < 100, (rss_before, rss_after)
