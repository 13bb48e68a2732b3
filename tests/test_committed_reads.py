"""A server reading the committed state (the default) answers a run's logs from HEAD, as it
answers its record: the same text a read of the files gives while the files are HEAD's, HEAD's
text while someone's edit of the file is uncommitted, nothing for logs deleted in HEAD, and the
same refusal as before for a committed link, whether the derived index learnt of it from a
listing of HEAD or from a diff after a commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import git
from modelyard.ops import runs
from modelyard.server.app import create_app
from modelyard.storage import layout
from modelyard.storage.registry import Registry
from server_support import API


@pytest.fixture
def with_logs(reg: Registry, base_recipe: str) -> tuple[Registry, str, Path]:
    """A committed run with logs, and a second one without."""
    run = runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
    ).id
    runs.update_run(reg, run, {"status": "succeeded", "logs_text": "epoch 1\nepoch 2\n"})
    return reg, run, reg.root / layout.logs_file(run)


def _both(reg: Registry, run: str) -> tuple[str, str]:
    committed = runs.get_run(Registry(reg.root, committed=True), run).logs_text
    files = runs.get_run(Registry(reg.root), run).logs_text
    return committed, files


def test_committed_logs_are_the_files_while_the_files_are_head_s(with_logs) -> None:
    reg, run, _ = with_logs
    assert _both(reg, run) == ("epoch 1\nepoch 2\n", "epoch 1\nepoch 2\n")
    other = runs.create_run(
        reg, {"recipe_id": "recipe_pricing_base", "recipe_version_id": "1.0.0", "run_type": "eval"}
    ).id
    assert _both(reg, other) == ("", "")


def test_an_uncommitted_edit_is_served_once_committed(with_logs) -> None:
    reg, run, logs = with_logs
    logs.write_text("edited by hand\n")
    assert _both(reg, run) == ("epoch 1\nepoch 2\n", "edited by hand\n")
    logs.unlink()
    assert _both(reg, run) == ("epoch 1\nepoch 2\n", "")
    git(reg.worktree, "commit", "-qam", "logs removed by hand")
    assert _both(reg, run) == ("", "")
    logs.write_text("new logs\n")
    git(reg.worktree, "add", "-A")
    git(reg.worktree, "commit", "-qm", "logs back")
    assert _both(reg, run) == ("new logs\n", "new logs\n")


def test_large_committed_logs_show_the_same_end(with_logs) -> None:
    reg, run, logs = with_logs
    logs.write_text("".join(f"step {i}\n" for i in range(300_000)))
    git(reg.worktree, "commit", "-qam", "long logs")
    committed, files = _both(reg, run)
    assert committed == files
    assert committed.startswith("[modelyard: the first ") and committed.endswith("step 299999\n")


@pytest.mark.parametrize("learnt", ["diff", "listing"])
def test_a_committed_link_is_refused_as_before(with_logs, tmp_path, learnt) -> None:
    reg, run, logs = with_logs
    secret = tmp_path / "secret.txt"
    secret.write_text("token=SECRET\n")
    runs.get_run(Registry(reg.root, committed=True), run)  # the index now knows HEAD
    logs.unlink()
    logs.symlink_to(secret)
    git(reg.worktree, "add", "-A")
    git(reg.worktree, "commit", "-qm", "logs are a link")
    if learnt == "listing":  # a commit the index cannot diff from: it lists HEAD again
        (reg.worktree / ".git" / "modelyard" / "cache.sqlite3").unlink()
    with TestClient(create_app(reg.root)) as client:
        answer = client.get(f"{API}/runs/{run}")
    assert answer.status_code == 200
    text = answer.json()["logs_text"]
    assert "SECRET" not in text and "is a symbolic link" in text
    assert text == runs.get_run(Registry(reg.root), run).logs_text
    # a regular file again: its text is served
    logs.unlink()
    logs.write_text("real again\n")
    git(reg.worktree, "add", "-A")
    git(reg.worktree, "commit", "-qm", "logs are a file again")
    assert _both(reg, run) == ("real again\n", "real again\n")
