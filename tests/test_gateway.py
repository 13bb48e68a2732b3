"""`modelyard serve --remote`: real gateway processes on clones of one bare remote (one of
them through `git daemon` on 127.0.0.1), real HTTP clients, a third clone pushing with plain
git. Every acknowledged write ends on the remote, every 409 and 503 leaves nothing, pushes
stay within the budget, and a gateway killed mid-batch loses nothing it acknowledged."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import git, manifest
from modelyard.ops import recipes, setup
from server_support import API, ServerProcess, free_port, running_server

pytestmark = pytest.mark.slow

RECIPE = "recipe_pricing_base"
VERSION = "ver_pricing_base_v1.0.0"
MANIFEST_FILE = f"registry/recipes/{RECIPE}/manifest.yaml"
# short slots so the suite stays quick: a push at most every half second
FAST = ("--batch-interval", "0.5", "--push-budget", "120")
SLOT = 0.5


def seed_remote(tmp_path: Path) -> Path:
    """A bare remote holding a registry with one recipe."""
    seed = tmp_path / "seed"
    seed.mkdir()
    reg = setup.init_registry(seed)
    recipes.create_recipe(
        reg,
        {
            "name": "Pricing Baseline",
            "model_family": "pricing",
            "level": "baseline",
            "id": RECIPE,
            "manifest": manifest("pricing"),
        },
    )
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(seed, "push", "-q", str(remote), "main")
    return remote


def clone(url: str, dest: Path) -> Path:
    git(dest.parent, "clone", "-q", url, str(dest))
    return dest


@contextmanager
def git_daemon(base: Path) -> Iterator[str]:
    """`git daemon` serving `base` (pushes allowed) on a free loopback port: its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            f"--base-path={base}",
            "--export-all",
            "--enable=receive-pack",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"git://127.0.0.1:{port}/remote.git"
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(["git", "ls-remote", url], capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "git daemon did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def request(server: ServerProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    try:
        return server.request(method, path, body)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None  # the server went away mid-request


def new_run(server: ServerProcess, who: str) -> tuple[int, Any]:
    return request(
        server,
        "POST",
        f"{API}/runs",
        {
            "recipe_id": RECIPE,
            "recipe_version_id": VERSION,
            "run_type": "train",
            "created_by": who,
        },
    )


def health(server: ServerProcess) -> dict[str, Any]:
    with urllib.request.urlopen(server.url("/healthz"), timeout=30) as resp:
        return json.loads(resp.read())["upstream"]  # type: ignore[no-any-return]


def remote_paths(remote: Path) -> set[str]:
    return set(git(remote, "ls-tree", "-r", "--name-only", "main").splitlines())


def run_path(run_id: str) -> str:
    # runs/<yyyy-mm>/<id>/run.yaml, the month from the id's timestamp
    stamp = run_id.split("_")[1]
    return f"registry/runs/{stamp[:4]}-{stamp[4:6]}/{run_id}/run.yaml"


def all_history(repo: Path) -> str:
    return git(repo, "log", "-p", "--all", "--format=%H")


def check_linear_and_clean(*repos: Path) -> None:
    for repo in repos:
        git(repo, "fsck", "--no-dangling")
        assert git(repo, "rev-list", "--merges", "main") == ""


def wait_until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class PlainGitWriter(threading.Thread):
    """A person's clone pushing recipe edits (the manifest's learning rate) with plain git
    while the gateways run, pulling with rebase when the remote moved."""

    def __init__(self, repo: Path, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.repo = repo
        self.stop = stop
        self.pushed: list[str] = []
        self.failures: list[str] = []

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            path = self.repo / MANIFEST_FILE
            marker = f"learning_rate: 0.05{n:04d}"
            path.write_text(re.sub(r"learning_rate: [0-9.]+", marker, path.read_text()))
            git(self.repo, "commit", "-qam", f"Tune the learning rate ({n})")
            for _ in range(60):
                proc = subprocess.run(
                    ["git", "push", "-q", "origin", "main"], cwd=self.repo, capture_output=True
                )
                if proc.returncode == 0:
                    self.pushed.append(marker)
                    break
                pulled = subprocess.run(
                    ["git", "pull", "-q", "--rebase", "origin", "main"],
                    cwd=self.repo,
                    capture_output=True,
                )
                if pulled.returncode != 0:
                    self.failures.append(f"{marker}: {pulled.stderr.decode()}")
                    return
            else:
                self.failures.append(marker)
            self.stop.wait(0.7)


def test_two_gateways_eight_clients_and_a_person(tmp_path: Path) -> None:
    remote = seed_remote(tmp_path)
    with git_daemon(tmp_path) as url:
        g1 = clone(url, tmp_path / "g1")  # through git daemon
        g2 = clone(str(remote), tmp_path / "g2")  # the bare repository's path
        person = clone(str(remote), tmp_path / "person")
        logs = tmp_path / "logs"
        logs.mkdir()
        with (
            running_server(g1 / "registry", "--remote", *FAST, log_dir=logs) as s1,
            running_server(g2 / "registry", "--remote", *FAST, log_dir=logs) as s2,
        ):
            started = time.monotonic()
            status, shared = new_run(s1, "setup")
            assert status == 201
            shared_id = shared["id"]
            wait_until(lambda: run_path(shared_id) in remote_paths(remote), 30, "the shared run")
            stop = threading.Event()
            person_writer = PlainGitWriter(person, stop)
            created: list[str] = []
            updated: list[str] = []  # unique metric names of acknowledged updates
            refused: list[str] = []  # ... and of updates answered 409
            recipe_edits: dict[str, int] = {}
            statuses: Counter[int] = Counter()
            lock = threading.Lock()

            def client(n: int) -> None:
                server = s1 if n % 2 else s2
                mine: list[str] = []
                i = 0
                while not stop.is_set():
                    i += 1
                    status, body = new_run(server, f"client{n}")
                    with lock:
                        statuses[status] += 1
                        if status == 201:
                            created.append(body["id"])
                    if status == 201:
                        mine.append(body["id"])
                    # an update of its own run, then (sometimes) of the run every client shares,
                    # or of the recipe the person edits: the last two can conflict upstream
                    targets = [mine[-1]] if mine else []
                    if i % 2 == 0:
                        targets.append(shared_id)
                    for target in targets:
                        key = f"c{n}_{i}_{target[-4:]}"
                        status, _ = request(
                            server, "PUT", f"{API}/runs/{target}", {"metrics_json": {key: 1.0}}
                        )
                        with lock:
                            statuses[status] += 1
                            if status == 200:
                                updated.append(key)
                            elif status == 409:
                                refused.append(key)
                    if i % 5 == 0:
                        text = f"client {n} edit {i}"
                        status, _ = request(
                            server, "PUT", f"{API}/recipes/{RECIPE}", {"description": text}
                        )
                        with lock:
                            statuses[status] += 1
                            recipe_edits[text] = status

            person_writer.start()
            with ThreadPoolExecutor(8) as pool:
                futures = [pool.submit(client, n) for n in range(8)]
                time.sleep(6)
                stop.set()
                for f in futures:
                    f.result()
            person_writer.join()
            elapsed = time.monotonic() - started
            h1, h2 = health(s1), health(s2)
            # both gateways reach upstream and keep to the budget for the time they ran
            for h in (h1, h2):
                assert h["reachable"] and h["pushes"] >= 1
                assert h["pushes"] <= elapsed / SLOT + 2, (h["pushes"], elapsed)
            wait_until(lambda: health(s1)["ahead"] == 0 and health(s2)["ahead"] == 0, 30, "pushes")
            # reads name the upstream commit they reflect
            with urllib.request.urlopen(s1.url(f"{API}/runs/{shared_id}"), timeout=30) as resp:
                reflected = resp.headers["X-Modelyard-Upstream"]
            assert git(remote, "merge-base", "--is-ancestor", reflected, "main") == ""

    assert not person_writer.failures and person_writer.pushed, person_writer.failures
    assert set(statuses) <= {200, 201, 409}, statuses
    # at least some of each kind acknowledged, however loaded the machine is
    assert statuses[201] >= 4 and statuses[200] >= 4, statuses
    paths = remote_paths(remote)
    # every acknowledged create is on the remote
    assert not [r for r in created if run_path(r) not in paths]
    history = all_history(remote)
    # every acknowledged update is in the remote's history; every 409 left nothing
    assert not [k for k in updated if f"{k}: 1.0" not in history]
    assert not [k for k in refused if k in history]
    for repo in (g1, g2):
        assert not [k for k in refused if k in all_history(repo)]
    for text, status in recipe_edits.items():
        assert (text in history) == (status == 200), (text, status)
    # the person's edits are all there too
    assert all(marker in history for marker in person_writer.pushed)
    check_linear_and_clean(remote, g1, g2)
    assert git(g1, "status", "--porcelain") == "" and git(g2, "status", "--porcelain") == ""


def test_remote_gone_is_503_then_recovers(tmp_path: Path) -> None:
    remote = seed_remote(tmp_path)
    g = clone(str(remote), tmp_path / "g")
    with running_server(g / "registry", "--remote", *FAST, log_dir=tmp_path) as server:
        status, before = new_run(server, "before")
        assert status == 201
        head = git(g, "rev-parse", "HEAD")
        remote.rename(tmp_path / "remote.moved")
        status, body = new_run(server, "during")
        assert status == 503, body
        assert "remote is unavailable" in body["detail"] and body["action"]
        # nothing of a 503 stays: the clone is back where it was
        assert git(g, "rev-parse", "HEAD") == head
        assert health(server)["reachable"] is False
        (tmp_path / "remote.moved").rename(remote)
        made: list[str] = []

        def accepted() -> bool:
            status, body = new_run(server, "after")
            if status == 201:
                made.append(body["id"])
            return status == 201

        wait_until(accepted, 40, "writes accepted again")
        assert health(server)["reachable"] is True
    paths = remote_paths(remote)
    assert run_path(before["id"]) in paths and run_path(made[0]) in paths
    assert "during" not in git(remote, "log", "--format=%an", "main")
    check_linear_and_clean(remote, g)


def test_ack_local_keeps_writes_through_an_outage(tmp_path: Path) -> None:
    remote = seed_remote(tmp_path)
    g = clone(str(remote), tmp_path / "g")
    args = ("--remote", "--ack", "local", "--batch-interval", "3", "--fetch-interval", "0.3")
    with running_server(g / "registry", *args, log_dir=tmp_path) as server:
        # the first push goes at once; the next ones wait for the slot
        wait_until(lambda: health(server)["upstream_commit"] is not None, 30, "start-up")
        made = []
        for _ in range(3):
            status, body = new_run(server, "local")
            assert status == 201  # answered once committed in the clone
            made.append(body["id"])
        remote.rename(tmp_path / "remote.moved")
        wait_until(lambda: not health(server)["reachable"], 30, "the outage noticed")
        status, _ = new_run(server, "during")
        assert status == 503
        (tmp_path / "remote.moved").rename(remote)
        wait_until(lambda: health(server)["ahead"] == 0, 40, "the acknowledged writes pushed")
    paths = remote_paths(remote)
    assert all(run_path(r) in paths for r in made)
    check_linear_and_clean(remote, g)


def test_sigkill_mid_batch_loses_no_acknowledged_write(tmp_path: Path) -> None:
    remote = seed_remote(tmp_path)
    g = clone(str(remote), tmp_path / "g")
    args = ("--remote", "--batch-interval", "1.5", "--push-budget", "60")
    acked: list[str] = []
    lock = threading.Lock()
    with running_server(g / "registry", *args, log_dir=tmp_path) as server:
        stop = threading.Event()

        def client(n: int) -> None:
            while not stop.is_set():
                status, body = new_run(server, f"client{n}")
                if status == 201:
                    with lock:
                        acked.append(body["id"])
                elif status == 0:
                    return

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(client, n) for n in range(8)]
            wait_until(lambda: len(acked) >= 8, 40, "a first acknowledged batch")
            time.sleep(0.7)  # mid-batch: commits made, their push not yet due
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
            stop.set()
            for f in futures:
                f.result()
    with lock:
        acknowledged = list(acked)
    paths = remote_paths(remote)
    assert [r for r in acknowledged if run_path(r) not in paths] == []
    unacknowledged = int(git(g, "rev-list", "--count", "origin/main..main"))
    assert unacknowledged >= 1  # the killed batch: committed, never pushed
    left = git(g, "rev-parse", "main")
    with running_server(g / "registry", *args, log_dir=tmp_path) as server:
        wait_until(lambda: health(server)["ahead"] == 0, 40, "the restarted gateway's push")
        log = server.log
    text = log.read_text()
    assert f"{unacknowledged} commit(s) in this clone are not on origin/main yet" in text
    # pushed, as they were: the killed batch's commits are all on the remote now
    assert git(remote, "merge-base", "--is-ancestor", left, "main") == ""
    check_linear_and_clean(remote, g)
    assert git(g, "status", "--porcelain") == ""


def test_an_update_that_conflicts_upstream_is_409_and_leaves_nothing(tmp_path: Path) -> None:
    remote = seed_remote(tmp_path)
    fast = clone(str(remote), tmp_path / "fast")
    slow = clone(str(remote), tmp_path / "slow")
    slow_args = ("--remote", "--batch-interval", "8", "--fetch-interval", "0.3")
    with (
        running_server(fast / "registry", "--remote", *FAST, log_dir=tmp_path) as s_fast,
        running_server(slow / "registry", *slow_args, log_dir=tmp_path) as s_slow,
    ):
        status, run = new_run(s_slow, "slow")  # its first push goes at once...
        assert status == 201
        path = f"{API}/runs/{run['id']}"
        wait_until(lambda: request(s_fast, "GET", path)[0] == 200, 30, "the run fetched")
        answers: dict[str, tuple[int, Any]] = {}
        # ... so this update waits about eight seconds for the slow gateway's next slot
        waiting = threading.Thread(
            target=lambda: answers.update(
                slow=request(s_slow, "PUT", path, {"metrics_json": {"slow_side": 1.0}})
            )
        )
        waiting.start()
        wait_until(lambda: health(s_slow)["waiting_writes"] == 1, 30, "the slow write")
        answers["fast"] = request(s_fast, "PUT", path, {"metrics_json": {"fast_side": 2.0}})
        waiting.join()
        assert answers["fast"][0] == 200
        status, body = answers["slow"]
        assert status == 409, body
        assert run_path(run["id"]) in body["detail"] and "changed upstream by" in body["detail"]
        # the slow gateway now shows the fast side's update, and nothing of its own
        status, now = request(s_slow, "GET", path)
        assert status == 200 and now["metrics_json"] == {"fast_side": 2.0}
        assert health(s_slow)["conflicts"] == 1
    for repo in (remote, slow):
        assert "slow_side" not in all_history(repo)
    check_linear_and_clean(remote, fast, slow)
    assert git(slow, "status", "--porcelain") == ""


def test_the_settings_remote_section_makes_a_gateway(tmp_path: Path) -> None:
    remote = seed_remote(tmp_path)
    person = clone(str(remote), tmp_path / "person")
    settings = person / "registry" / "modelyard.yaml"
    settings.write_text(
        settings.read_text() + "remote:\n  name: origin\n  batch_interval: 0.5\n  push_budget: 90\n"
    )
    git(person, "commit", "-qam", "Share the registry through origin")
    git(person, "push", "-q", "origin", "main")
    g = clone(str(remote), tmp_path / "g")
    with running_server(g / "registry", log_dir=tmp_path) as server:
        assert health(server)["push_slot_seconds"] == 60 / 90  # the budget's slot is longer
        status, run = new_run(server, "by settings")
        assert status == 201
        assert run_path(run["id"]) in remote_paths(remote)  # acknowledged once pushed
    with running_server(g / "registry", "--no-remote", log_dir=tmp_path) as server:
        with urllib.request.urlopen(server.url("/healthz"), timeout=30) as resp:
            assert json.loads(resp.read()) == {"status": "ok"}
        status, run = new_run(server, "local only")
        assert status == 201
    assert run_path(run["id"]) not in remote_paths(remote)


def test_a_write_that_finds_its_clone_behind_fetches_first(tmp_path: Path) -> None:
    remote = seed_remote(tmp_path)
    first = clone(str(remote), tmp_path / "first")
    second = clone(str(remote), tmp_path / "second")
    lazy = ("--remote", *FAST, "--fetch-interval", "120")  # no fetch of its own meanwhile
    with (
        running_server(first / "registry", "--remote", *FAST, log_dir=tmp_path) as s1,
        running_server(second / "registry", *lazy, log_dir=tmp_path) as s2,
    ):
        wait_until(lambda: health(s2)["seconds_since_fetch"] > 1.0, 30, "a quiet moment")
        status, run = new_run(s1, "first")
        assert status == 201
        # the second gateway has not fetched the run, so the update fetches, then applies
        status, body = request(
            s2, "PUT", f"{API}/runs/{run['id']}", {"metrics_json": {"seen": 1.0}}
        )
        assert status == 200, body
        assert health(s2)["behind"] == 0
        # a record that exists nowhere is still a 404
        status, _ = request(s2, "PUT", f"{API}/runs/run_20200101000000_nothere", {})
        assert status == 404
    assert "seen: 1.0" in all_history(remote)
    check_linear_and_clean(remote, first, second)


def test_an_unknown_ack_mode_in_the_environment_is_refused_by_name(tmp_path: Path) -> None:
    g = clone(str(seed_remote(tmp_path)), tmp_path / "g")
    done = subprocess.run(
        [sys.executable, "-m", "modelyard", "--registry", str(g / "registry"), "serve",
         "--remote", "origin", "--port", str(free_port())],
        env={**os.environ, "MODELYARD_ACK": "eventually"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "$MODELYARD_ACK must be `remote` or `local` (got 'eventually')" in done.stderr
    assert "Traceback" not in done.stderr
