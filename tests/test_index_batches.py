"""A server commits without reading or rewriting git's index (an entry for every file of the
repository) and brings the index in step in batches; a crash in between is repaired at the
next start, and a change someone staged on purpose is left alone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from conftest import git
from modelyard.ops import runs
from modelyard.server.app import create_app
from modelyard.storage import indexsync
from modelyard.storage.indexsync import IndexBacklog
from modelyard.storage.registry import Registry
from server_support import API


def _run_body(recipe: str) -> dict[str, str]:
    return {"recipe_id": recipe, "recipe_version_id": "1.0.0", "run_type": "train"}


def test_server_writes_leave_the_index_to_one_batched_update(reg, base_recipe) -> None:
    with TestClient(create_app(reg)) as client:
        made = [client.post(f"{API}/runs", json=_run_body(base_recipe)) for _ in range(3)]
        assert [r.status_code for r in made] == [201, 201, 201]
        # committed: HEAD has them; the index is behind until the batch
        assert git(reg.worktree, "status", "--porcelain", "--untracked-files=no") != ""
        assert len(IndexBacklog.of(reg.git)) == 3
        client.app.state.access.flush_index()  # what the server does every INDEX_INTERVAL
        assert git(reg.worktree, "status", "--porcelain") == ""
        client.post(f"{API}/runs", json=_run_body(base_recipe))
    # and once more on the way out
    assert git(reg.worktree, "status", "--porcelain") == ""
    assert int(git(reg.worktree, "rev-list", "--count", "HEAD")) >= 5


def test_a_crash_before_the_batch_is_repaired_and_staged_work_is_kept(reg, base_recipe) -> None:
    notes = reg.worktree / "notes.txt"
    notes.write_text("one\n")
    git(reg.worktree, "add", "notes.txt")
    git(reg.worktree, "commit", "-qm", "notes")
    run = runs.create_run(Registry(reg.root, committed=True), _run_body(base_recipe))
    backlog = IndexBacklog.of(reg.git)
    with backlog._lock:  # the batch a SIGKILL never let run
        backlog._paths.clear()
    notes.write_text("two\n")  # someone stages a change on purpose
    git(reg.worktree, "add", "notes.txt")
    stale = git(reg.worktree, "diff", "--cached", "--name-only")
    assert f"{run.id}/run.yaml" in stale and "notes.txt" in stale
    repaired = Registry(reg.root).repair_index()
    assert [p for p in repaired if p.endswith(f"{run.id}/run.yaml")] and "notes.txt" not in repaired
    assert git(reg.worktree, "diff", "--cached", "--name-only") == "notes.txt"
    assert git(reg.worktree, "status", "--porcelain") == "M  notes.txt"


def test_a_locked_index_keeps_the_batch_for_the_next_try(reg, base_recipe, monkeypatch) -> None:

    monkeypatch.setattr(indexsync, "INDEX_TRIES", 2)
    runs.create_run(Registry(reg.root, committed=True), _run_body(base_recipe))
    lock = reg.git.git_dir / "index.lock"
    lock.write_text("")
    try:
        problem = Registry(reg.root).flush_index()
    finally:
        lock.unlink()
    assert problem is not None
    assert "so it stays behind HEAD until the next try" in problem.message
    assert "nothing was committed" not in problem.message  # the commit is in HEAD
    assert len(IndexBacklog.of(reg.git)) == 1
    assert Registry(reg.root).flush_index() is None
    assert git(reg.worktree, "status", "--porcelain") == ""
