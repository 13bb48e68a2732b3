"""Write groups (storage/mutation.py `WriteGroup`) and the server's committer
(server/committer.py): many writes under one hold of the write lock and one journal, each
still exactly one commit, in order, each error answered to its own write, and a crash in
the middle of a group finished like a single write's."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import git
from modelyard.errors import GitError, NotFound, ValidationFailed
from modelyard.ops import runs
from modelyard.server.committer import Committer
from modelyard.storage import journal
from modelyard.storage.mutation import WriteGroup
from modelyard.storage.registry import Registry
from server_support import API, ServerProcess, running_server

VERSION = "ver_pricing_base_v1.0.0"


def body(base_recipe: str, **extra: str) -> dict[str, str]:
    return {"recipe_id": base_recipe, "recipe_version_id": VERSION, "run_type": "train", **extra}


def commits_since(reg: Registry, start: str) -> list[str]:
    """Subjects of the commits after `start`, oldest first."""
    out = git(reg.worktree, "log", "--reverse", "--format=%s", f"{start}..HEAD")
    return out.splitlines()


def files_of(reg: Registry, sha: str) -> list[str]:
    out = git(reg.worktree, "diff-tree", "--no-commit-id", "--name-only", "-r", sha)
    return out.splitlines()


def test_a_group_makes_one_commit_per_write_in_order(reg: Registry, base_recipe: str) -> None:
    start = git(reg.worktree, "rev-parse", "HEAD")
    server = Registry(reg.root, committed=True)
    made = []
    with WriteGroup(server):
        assert journal.pending(server.git) is None  # written at the first branch move
        for n in range(5):
            made.append(runs.create_run(Registry(reg.root, committed=True), body(base_recipe)).id)
            if n == 0:
                intent = journal.pending(server.git)
                assert intent is not None and intent.since
                assert intent.commit.parent == start
    assert journal.pending(server.git) is None  # cleared when the group ends
    shas = git(reg.worktree, "rev-list", "--reverse", f"{start}..HEAD").splitlines()
    assert len(shas) == 5
    for sha, run_id in zip(shas, made, strict=True):
        changed = files_of(reg, sha)
        assert len(changed) == 1 and f"/{run_id}/run.yaml" in changed[0]
    assert [s.split()[3] for s in commits_since(reg, start)] == made
    assert server.flush_index() is None  # git's index, brought in step in batches by a server
    assert git(reg.worktree, "status", "--porcelain", "--untracked-files=no") == ""


def test_a_refused_write_in_a_group_leaves_nothing(reg: Registry, base_recipe: str) -> None:
    start = git(reg.worktree, "rev-parse", "HEAD")
    before = sorted(p.name for p in reg.root.rglob("run.yaml"))
    with WriteGroup(Registry(reg.root, committed=True)):
        first = runs.create_run(Registry(reg.root, committed=True), body(base_recipe))
        with pytest.raises(ValidationFailed):
            runs.create_run(
                Registry(reg.root, committed=True),
                {**body(base_recipe), "recipe_version_id": "ver_other_v1.0.0"},
            )
        with pytest.raises(NotFound):
            runs.create_run(Registry(reg.root, committed=True), body("recipe_missing"))
        last = runs.create_run(Registry(reg.root, committed=True), body(base_recipe))
    subjects = commits_since(reg, start)
    assert len(subjects) == 2
    assert first.id in subjects[0] and last.id in subjects[1]
    after = sorted(p.parent.name for p in reg.root.rglob("run.yaml"))
    assert len(after) == len(before) + 2 and {first.id, last.id} <= set(after)


def test_a_group_whose_files_cannot_be_synced_keeps_its_journal(
    reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Registry(reg.root, committed=True)

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    with WriteGroup(server):
        made = runs.create_run(Registry(reg.root, committed=True), body(base_recipe))
        monkeypatch.setattr("os.fsync", failing_fsync)
    monkeypatch.undo()
    intent = journal.pending(server.git)
    assert intent is not None and intent.since  # kept: the file may not be on disk
    # the next writer replays it (the file is in step: nothing to change) and clears it
    with reg.mutate("a note") as m:
        m.write("notes.txt", "hello\n")
    assert journal.pending(server.git) is None
    assert any(p.parent.name == made.id for p in reg.root.rglob("run.yaml"))


def test_groups_do_not_nest(reg: Registry) -> None:
    outer = WriteGroup(Registry(reg.root, committed=True))
    with outer, pytest.raises(RuntimeError), WriteGroup(Registry(reg.root, committed=True)):
        pass
    # and the lock was given back: a plain write goes through
    with reg.mutate("a note") as m:
        m.write("notes.txt", "hello\n")
    assert (reg.root / "notes.txt").read_text() == "hello\n"


KILLED_GROUP = """
import os, sys
from modelyard.ops import runs
from modelyard.storage import failpoints
from modelyard.storage.mutation import WriteGroup
from modelyard.storage.registry import Registry
root, recipe, version = sys.argv[1:4]
body = {"recipe_id": recipe, "recipe_version_id": version, "run_type": "train"}
with WriteGroup(Registry(root, committed=True)):
    for n in range(4):
        if n == 3:  # the fourth write dies once its commit is on the branch
            os.environ[failpoints.ENV] = "after-advance"
        made = runs.create_run(Registry(root, committed=True), body)
        print(made.id, flush=True)
"""


def test_a_crash_mid_group_is_finished_by_the_next_command(reg: Registry, base_recipe: str) -> None:
    start = git(reg.worktree, "rev-parse", "HEAD")
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_GROUP), str(reg.root), base_recipe, VERSION],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == -9, proc.stderr
    printed = proc.stdout.split()
    assert len(printed) == 3  # the fourth was killed before it could answer
    shas = git(reg.worktree, "rev-list", "--reverse", f"{start}..HEAD").splitlines()
    assert len(shas) == 4  # ... but its commit is on the branch
    fourth = files_of(reg, shas[3])[0]
    assert not (reg.worktree / fourth).exists()
    intent = json.loads((reg.git.git_dir / "modelyard" / "intent.json").read_text())
    assert intent["since"] is True and intent["parent"] == start
    # someone edits one of the group's files by hand before anything replays the journal
    edited = reg.worktree / files_of(reg, shas[0])[0]
    edited.write_text("edited by hand\n")
    # and one is empty, as a power cut before the group synced its files can leave it
    emptied = files_of(reg, shas[1])[0]
    (reg.worktree / emptied).write_bytes(b"")

    fixed = Registry(reg.root).finish_interrupted()
    assert sorted(fixed) == sorted([fourth, emptied])
    assert (reg.worktree / emptied).read_bytes() == subprocess.run(
        ["git", "show", f"HEAD:{emptied}"], cwd=reg.worktree, capture_output=True, check=True
    ).stdout
    assert journal.pending(reg.git) is None
    assert (reg.worktree / fourth).is_file()
    assert (reg.worktree / fourth).read_bytes() == subprocess.run(
        ["git", "show", f"HEAD:{fourth}"], cwd=reg.worktree, capture_output=True, check=True
    ).stdout
    assert edited.read_text() == "edited by hand\n"  # their work, left alone
    git(reg.worktree, "reset", "-q")  # git's index, which a server brings in step in batches
    status = git(reg.worktree, "status", "--porcelain", "--untracked-files=no")
    assert status.split() == ["M", edited.relative_to(reg.worktree).as_posix()]


class Gate:
    """A write that waits until the test lets it finish, so that others queue behind it."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, reg: Registry) -> str:
        self.started.set()
        assert self.release.wait(30)
        return "first"


def server_registry(reg: Registry) -> Callable[[], Registry]:
    return lambda: Registry(reg.root, committed=True)


def test_the_committer_answers_each_write_in_order(reg: Registry, base_recipe: str) -> None:
    start = git(reg.worktree, "rev-parse", "HEAD")
    guard = threading.Lock()
    committer = Committer(server_registry(reg), guard, max_seconds=60)
    gate = Gate()
    try:
        first = committer.submit(gate)
        assert gate.started.wait(30)
        order: list[int] = []

        def write(n: int) -> Callable[[Registry], str]:
            def make(r: Registry) -> str:
                order.append(n)
                if n == 3:
                    raise ValidationFailed([])
                if n == 5:
                    return runs.create_run(r, body("recipe_missing")).id
                return runs.create_run(r, body(base_recipe, created_by=f"writer {n}")).id

            return make

        futures = [committer.submit(write(n)) for n in range(10)]
        assert guard.locked()  # the group holds the server's guard while it writes
        gate.release.set()
        assert first.result(30) == "first"
        answers: dict[int, object] = {}
        for n, future in enumerate(futures):
            error = future.exception(30)
            answers[n] = error if error is not None else future.result()
    finally:
        committer.stop()
    assert order == list(range(10))
    assert isinstance(answers[3], ValidationFailed)
    assert isinstance(answers[5], NotFound)
    made = [answers[n] for n in range(10) if n not in (3, 5)]
    assert all(isinstance(a, str) and a.startswith("run_") for a in made)
    # one commit per write that succeeded, in the order they were submitted
    subjects = commits_since(reg, start)
    assert [s.split()[3] for s in subjects] == made
    authors = git(reg.worktree, "log", "--reverse", "--format=%an", f"{start}..HEAD")
    assert authors.splitlines() == [f"writer {n}" for n in range(10) if n not in (3, 5)]
    # the ten that queued behind the first were made in the first one's group
    assert committer.groups == 1 and committer.written == 11
    assert journal.pending(reg.git) is None
    assert not guard.locked()


def test_the_committer_bounds_a_group(reg: Registry) -> None:
    committer = Committer(server_registry(reg), threading.Lock(), max_writes=4, max_seconds=60)
    gate = Gate()
    try:
        committer.submit(gate)
        assert gate.started.wait(30)
        futures = [committer.submit(lambda r: r.root.name) for _ in range(6)]
        gate.release.set()
        assert {f.result(30) for f in futures} == {reg.root.name}
    finally:
        committer.stop()
    assert (committer.groups, committer.written) == (2, 7)  # 4, then 3


def test_a_group_ends_after_its_time(reg: Registry) -> None:
    committer = Committer(server_registry(reg), threading.Lock(), max_seconds=0.25)

    def slow(r: Registry) -> None:
        time.sleep(0.1)

    try:
        futures = [committer.submit(slow) for _ in range(6)]
        for f in futures:
            f.result(30)
    finally:
        committer.stop()
    assert (committer.groups, committer.written) == (2, 6)  # 3 a group: 0.3 s > 0.25 s


def test_a_stopped_committer_starts_again(reg: Registry) -> None:
    committer = Committer(server_registry(reg), threading.Lock())
    assert committer.submit(lambda r: 1).result(30) == 1
    committer.stop()
    assert committer.submit(lambda r: 2).result(30) == 2
    committer.stop()


def test_a_server_answers_each_of_many_concurrent_writes_its_own_way(
    reg: Registry, base_recipe: str, tmp_path: Path
) -> None:
    """Through a real `modelyard serve`: 8 clients at once, each write valid or not; every
    client gets its own answer (201 with its run, 404 or 422 naming what was wrong) and
    exactly the valid ones are commits."""
    start = git(reg.worktree, "rev-parse", "HEAD")
    wrong = {
        1: ({**body(base_recipe), "recipe_version_id": "ver_pricing_base_v9.0.0"}, 404),
        2: ({**body(base_recipe), "recipe_version_id": "ver_other_v1.0.0"}, 422),
        3: ({**body(base_recipe), "run_type": "dance"}, 422),
    }
    answers: list[tuple[int, int, int, object]] = []
    lock = threading.Lock()

    def client(server: ServerProcess, n: int) -> None:
        for i in range(12):
            kind = (n + i) % 4
            sent, _ = wrong.get(kind, (body(base_recipe, created_by=f"c{n}-{i}"), 201))
            status, answer = server.request("POST", f"{API}/runs", sent)
            with lock:
                answers.append((n, i, status, answer))

    with running_server(reg.root, log_dir=tmp_path) as server, ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: client(server, n), range(8)))
    made = {}
    for n, i, status, answer in answers:
        kind = (n + i) % 4
        assert status == wrong.get(kind, (None, 201))[1], (n, i, status, answer)
        if status == 201:
            assert isinstance(answer, dict) and answer["status"] == "queued"
            made[answer["id"]] = f"c{n}-{i}"
        elif kind == 1:  # the seed API's words
            assert answer == {"detail": "Recipe version not found"}
        elif kind == 2:
            assert "ver_other_v1.0.0" in json.dumps(answer)
        else:
            assert "run_type" in json.dumps(answer)
    assert len(made) == 24
    log = git(reg.worktree, "log", "--format=%an %s", f"{start}..HEAD").splitlines()
    assert len(log) == 24  # one commit per valid write, none for the others
    assert {line.split()[4]: line.split()[0] for line in log} == made


def test_a_write_the_committer_cannot_start_is_answered(reg: Registry, tmp_path: Path) -> None:
    """The registry cannot be opened (gone): that write gets the error, the next one works."""
    calls = {"n": 0}

    def open_registry() -> Registry:
        calls["n"] += 1
        if calls["n"] == 1:
            return Registry(tmp_path / "no-such-registry", committed=True)
        return Registry(reg.root, committed=True)

    committer = Committer(open_registry, threading.Lock())
    try:
        failed = committer.submit(lambda r: r.root.name)
        error = failed.exception(30)
        assert isinstance(error, GitError)
        assert committer.submit(lambda r: r.root.name).result(30) == reg.root.name
    finally:
        committer.stop()
