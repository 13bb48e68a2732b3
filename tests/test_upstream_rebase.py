"""storage/upstream.py's rebase without a working tree, on a real repository: commits keep
their author, dates and message; a commit whose file changed upstream is left out, and so
is a later commit that built on it; `move_branch` brings the files on disk along."""

from __future__ import annotations

from pathlib import Path

from conftest import git
from modelyard.storage import upstream
from modelyard.storage.git import Git


def commit(repo: Path, path: str, text: str, message: str, author: str = "Ada") -> str:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text)
    git(repo, "add", path)
    git(repo, "-c", f"user.name={author}", "commit", "-qm", message, f"--author={author} <a@x>")
    return git(repo, "rev-parse", "HEAD")


def test_rebase_keeps_metadata_and_drops_what_conflicts(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    base = commit(repo, "shared.yaml", "v: 0\n", "base")
    git(repo, "switch", "-qc", "upstream")
    onto = commit(repo, "shared.yaml", "v: upstream\n", "upstream edit")
    git(repo, "switch", "-q", "main")
    first = commit(repo, "runs/a.yaml", "a\n", "run a", author="Grace")
    clash = commit(repo, "shared.yaml", "v: local\n", "local edit")
    built_on = commit(repo, "shared.yaml", "v: local again\n", "builds on the clash")
    last = commit(repo, "runs/b.yaml", "b\n", "run b\n\nwith a body\n")
    g = Git(repo)
    result = upstream.rebase(g, base, onto, last)
    assert [d.sha for d in result.dropped] == [clash, built_on]
    assert result.dropped[0].paths == ("shared.yaml",)
    assert result.dropped[0].upstream[0][1] == onto  # who changed it upstream
    assert set(result.moved) == {first, last}
    log = git(repo, "log", "--format=%an|%ad|%B", "--date=raw", f"{onto}..{result.head}")
    original = git(repo, "log", "--format=%an|%ad|%B", "--date=raw", first, "-1")
    assert original in log and "with a body" in log and "Grace" in log
    assert git(repo, "rev-parse", f"{result.head}~2") == onto  # linear, on upstream
    assert git(repo, "show", f"{result.head}:shared.yaml") == "v: upstream"
    # leaving a commit out on purpose drops the ones that built on it, silently for itself
    result = upstream.rebase(g, base, base, last, leave_out={clash})
    assert [d.sha for d in result.dropped] == [built_on]
    assert git(repo, "show", f"{result.head}:runs/b.yaml") == "b"
    # the branch and the files on disk move together
    changed = upstream.move_branch(g, last, result.head)
    assert "shared.yaml" in changed
    assert (repo / "shared.yaml").read_text() == "v: 0\n"
    assert git(repo, "rev-parse", "HEAD") == result.head
    assert upstream.finish_checkout(g) is None
