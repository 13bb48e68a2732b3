"""Taking chosen local commits back out of a branch without a working tree (what a gateway
does with writes its remote refused), through the replay sync uses: the others keep their
author, dates and message; a later commit that built on one left out no longer applies and
is reported; `move_branch` brings the files on disk along."""

from __future__ import annotations

from pathlib import Path

from conftest import git
from modelyard.storage import remote, upstream
from modelyard.storage.git import Git


def commit(repo: Path, path: str, text: str, message: str, author: str = "Ada") -> str:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text)
    git(repo, "add", path)
    git(repo, "-c", f"user.name={author}", "commit", "-qm", message, f"--author={author} <a@x>")
    return git(repo, "rev-parse", "HEAD")


def test_commits_left_out_take_what_built_on_them_and_keep_the_rest(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    base = commit(repo, "shared.yaml", "v: 0\n", "base")
    first = commit(repo, "runs/a.yaml", "a\n", "run a", author="Grace")
    refused = commit(repo, "shared.yaml", "v: local\n", "local edit")
    built_on = commit(repo, "shared.yaml", "v: local again\n", "builds on the refused one")
    last = commit(repo, "runs/b.yaml", "b\n", "run b\n\nwith a body\n")
    g = Git(repo)
    result = remote.replay(g, last, base, leave_out={refused})
    assert [c.commit for c in result.conflicts] == [built_on]  # not the one left out
    assert [f.path for f in result.conflicts[0].files] == ["shared.yaml"]
    assert [old for old, _ in result.applied] == [first, last]
    log = git(repo, "log", "--format=%an|%ad|%B", "--date=raw", f"{base}..{result.new_head}")
    original = git(repo, "log", "--format=%an|%ad|%B", "--date=raw", first, "-1")
    assert original in log and "with a body" in log and "Grace" in log
    assert git(repo, "rev-parse", f"{result.new_head}~2") == base  # linear, on the base
    assert git(repo, "show", f"{result.new_head}:shared.yaml") == "v: 0"
    assert git(repo, "show", f"{result.new_head}:runs/b.yaml") == "b"
    # the branch and the files on disk move together
    changed = upstream.move_branch(g, last, result.new_head)
    assert "shared.yaml" in changed
    assert (repo / "shared.yaml").read_text() == "v: 0\n"
    assert git(repo, "rev-parse", "HEAD") == result.new_head
    assert upstream.finish_checkout(g) is None


def test_leaving_out_every_commit_goes_back_to_the_base(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    base = commit(repo, "shared.yaml", "v: 0\n", "base")
    a = commit(repo, "runs/a.yaml", "a\n", "run a")
    b = commit(repo, "runs/b.yaml", "b\n", "run b")
    result = remote.replay(Git(repo), b, base, leave_out={a, b})
    assert (result.new_head, result.applied, result.conflicts) == (base, [], [])
