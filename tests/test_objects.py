"""Commits made in process (storage/objects.py, storage/commits.py) are the commits git
itself makes: the same object ids, the same reflog, the same refusals; and where git would
do more (signing, filters), git makes them."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import git
from modelyard.errors import GitError, LockTimeout
from modelyard.ops import runs
from modelyard.storage import plumbing
from modelyard.storage.git import Git, Person
from modelyard.storage.registry import Registry

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture(params=["process", "libgit2"], autouse=True)
def objects(request, monkeypatch):
    """Every test here runs with git's plumbing and with libgit2 in process."""
    monkeypatch.setenv("MODELYARD_GIT_OBJECTS", request.param)
    return request.param


@pytest.fixture
def repo(repo: Path) -> Path:
    """A git repository with one commit on `main`."""
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("x\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "start")
    return repo


def commit_tree(repo: Path, tree: str, parent: str, message: str, env: dict[str, str]) -> str:
    return (
        subprocess.run(
            ["git", "commit-tree", tree, "-p", parent, "-F", "-"],
            cwd=repo,
            input=message.encode(),
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .strip()
    )


@pytest.mark.parametrize(
    "author",
    [Person("Ada Lovelace", "ada@example.com"), Person("Grace Hopper", "grace@example.com"), None],
)
def test_a_commit_is_the_one_commit_tree_makes(repo, monkeypatch, author, objects):
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2024-05-06T08:00:00+02:00")
    g = Git(repo)
    assert type(g.objects).__name__ == ("Plumbing" if objects == "process" else "Objects")
    head = git(repo, "rev-parse", "HEAD")
    blob = g.write_blob(b"id: x\n")
    message = "Queue train run run_x of ver_y\n\nwith a body line"
    made = g.build_commit({"registry/runs/x.yaml": blob}, message, author, WHEN)
    assert made.parent == head
    tree = git(repo, "rev-parse", f"{made.sha}^{{tree}}")
    env = {"GIT_AUTHOR_DATE": f"@{int(WHEN.timestamp())} +0000"}
    if author is not None:
        env |= {"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email}
    assert commit_tree(repo, tree, head, message, env) == made.sha
    # and git reads it back as it was meant
    shown = git(repo, "show", "-s", "--format=%an|%ae|%aI|%cI|%B", made.sha)
    expected_name = author.name if author else "Test User"
    assert shown.startswith(f"{expected_name}|")
    assert "|2024-05-06T07:08:09+00:00|2024-05-06T08:00:00+02:00|" in shown


def test_the_branch_moves_only_from_the_commit_it_was_built_on(repo):
    g = Git(repo)
    stale = g.build_commit({"a.txt": g.write_blob(b"a\n")}, "stale", None, WHEN)
    git(repo, "commit", "-q", "--allow-empty", "-m", "someone else's commit")
    theirs = git(repo, "rev-parse", "HEAD")
    with pytest.raises(GitError, match="no longer at"):
        g.advance(stale)
    assert git(repo, "rev-parse", "HEAD") == theirs
    fresh = g.build_commit({"a.txt": g.write_blob(b"a\n")}, "Fresh one", None, WHEN)
    g.advance(fresh)
    assert git(repo, "rev-parse", "HEAD") == fresh.sha
    # git's reflog tells the move, for the branch and for HEAD, as `update-ref -m` would
    assert git(repo, "reflog", "-1", "--format=%gs", "main") == "modelyard: Fresh one"
    assert git(repo, "reflog", "-1", "--format=%gs", "HEAD") == "modelyard: Fresh one"
    git(repo, "fsck", "--strict")


def test_a_new_branch_is_created_never_moved(repo):
    g = Git(repo)
    head = git(repo, "rev-parse", "HEAD")
    first = g.commit_to_new_branch("proposal/a", head, {"b.txt": g.write_blob(b"b")}, "B", None)
    assert git(repo, "rev-parse", "proposal/a") == first
    with pytest.raises(GitError, match="already exists"):
        g.commit_to_new_branch("proposal/a", head, {"c.txt": g.write_blob(b"c")}, "C", None)
    assert git(repo, "rev-parse", "proposal/a") == first
    assert git(repo, "rev-parse", "HEAD") == head


def test_a_changed_git_identity_is_seen_by_the_next_commit(reg, base_recipe):
    body = {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
    runs.create_run(reg, body)
    root = reg.worktree
    assert git(root, "log", "-1", "--format=%an|%cn") == "Test User|Test User"
    git(root, "config", "user.name", "Katherine Johnson")
    runs.create_run(Registry(reg.root), body)
    assert git(root, "log", "-1", "--format=%an|%cn") == "Katherine Johnson|Katherine Johnson"


@pytest.mark.parametrize(
    "where", [".gitattributes", "runs/r1/.gitattributes", ".git/info/attributes", "attributesFile"]
)
def test_a_file_git_filters_is_stored_as_git_stores_it(repo, tmp_path, where):
    # a clean filter (as git-lfs has) changes the bytes on the way in: git stores those,
    # wherever the attribute that asks for it is written
    git(repo, "config", "filter.upper.clean", "tr a-z A-Z")
    if where == "attributesFile":  # the user's own file, named in git's configuration
        attributes = tmp_path / "config" / "attributes"
        git(repo, "config", "core.attributesFile", str(attributes))
    else:
        attributes = repo / where
    attributes.parent.mkdir(parents=True, exist_ok=True)
    attributes.write_text("*.log filter=upper\n")
    g = Git(repo)
    stored = g.hash_blobs({"runs/r1/logs.log": b"hello\n", "runs/r1/plain.yaml": b"hello\n"})
    assert git(repo, "cat-file", "-p", stored["runs/r1/logs.log"]) == "HELLO"
    assert git(repo, "cat-file", "-p", stored["runs/r1/plain.yaml"]) == "hello"


def test_a_signing_setup_makes_git_sign_the_commit(repo, tmp_path):
    # a stand-in for gpg that signs anything, so that the test needs no keys: what matters is
    # that modelyard leaves a commit git should sign to git
    fake = tmp_path / "fake-gpg"
    fake.write_text(
        "#!/bin/sh\ncat > /dev/null\n"
        "printf '\\n[GNUPG:] SIG_CREATED D 1 8 00 0 0\\n' >&2\n"
        "printf -- '-----BEGIN PGP SIGNATURE-----\\n\\nfake\\n-----END PGP SIGNATURE-----\\n'\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    git(repo, "config", "gpg.program", str(fake))
    git(repo, "config", "user.signingkey", "FAKE")
    git(repo, "config", "commit.gpgsign", "true")
    g = Git(repo)
    made = g.build_commit({"a.txt": g.write_blob(b"a\n")}, "Signed", None, WHEN)
    assert "gpgsig -----BEGIN PGP SIGNATURE-----" in git(repo, "cat-file", "-p", made.sha)


def test_a_branch_locked_for_a_moment_is_waited_for(repo):
    # `git gc --auto` after a fetch packs refs, holding each ref's lock for a moment
    g = Git(repo)
    made = g.build_commit({"a.txt": g.write_blob(b"a\n")}, "After the lock", None, WHEN)
    lock = repo / ".git" / "refs" / "heads" / "main.lock"
    lock.write_text("")
    threading.Timer(0.3, lock.unlink).start()
    g.advance(made)
    assert git(repo, "rev-parse", "HEAD") == made.sha


def test_a_branch_lock_nobody_releases_is_a_clear_refusal(repo, monkeypatch):
    monkeypatch.setattr(plumbing, "REF_LOCK_SECONDS", 0.2)
    g = Git(repo)
    head = git(repo, "rev-parse", "HEAD")
    made = g.build_commit({"a.txt": g.write_blob(b"a\n")}, "Never", None, WHEN)
    (repo / ".git" / "refs" / "heads" / "main.lock").write_text("")
    with pytest.raises(LockTimeout, match=r"delete .*main\.lock") as caught:
        g.advance(made)
    assert caught.value.http_status == 503
    assert git(repo, "rev-parse", "HEAD") == head


def test_the_derived_index_follows_its_own_commits_without_comparing_trees(
    reg, base_recipe, monkeypatch
):
    served = Registry(reg.root, committed=True)  # as a server reads: HEAD, through the index
    body = {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
    first = runs.create_run(served, body)
    assert runs.get_run(served, first.id).id == first.id
    started: list[tuple[str, ...]] = []
    real = Git.run

    def counting(self, *args, **kwargs):
        started.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Git, "run", counting)
    made = [runs.create_run(Registry(reg.root, committed=True), body).id for _ in range(3)]
    listed = {r.id for r in runs.list_runs(Registry(reg.root, committed=True)).runs}
    assert set(made) <= listed
    assert runs.get_run(Registry(reg.root, committed=True), made[-1]).status == "queued"
    # no tree comparison, no full listing, no history read: the commits said what changed
    assert [a for a in started if a[0] in ("diff-tree", "log") or a[:2] == ("ls-tree", "-r")] == []


def test_a_repository_libgit2_cannot_read_is_left_to_git(tmp_path, objects):
    # sha256 object ids: git reads and writes them, this libgit2 does not
    repo = tmp_path / "sha256"
    subprocess.run(["git", "init", "-q", "-b", "main", "--object-format=sha256", str(repo)])
    git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    g = Git(repo)
    assert type(g.objects).__name__ == "Plumbing"
    made = g.build_commit({"a.txt": g.write_blob(b"a\n")}, "Into sha256", None, WHEN)
    g.advance(made)
    assert len(made.sha) == 64
    assert git(repo, "rev-parse", "HEAD") == made.sha
    assert git(repo, "show", "HEAD:a.txt") == "a"


def test_maintenance_packs_the_loose_objects_in_process_commits_leave(repo):
    """Commits made without `git commit` never run its `gc --auto`; a server runs it."""
    git(repo, "config", "gc.autoDetach", "false")  # the test waits for it
    g = Git(repo)
    head = git(repo, "rev-parse", "HEAD")
    blobs = g.hash_blobs({f"runs/r{i}/run.yaml": f"id: r{i}\n".encode() for i in range(400)})
    g.advance(g.build_commit(blobs, "many runs", None, WHEN, g.user()))
    assert git(repo, "rev-parse", "HEAD") != head
    counted = dict(line.split(": ") for line in git(repo, "count-objects", "-v").splitlines())
    assert int(counted["count"]) >= 400
    # git estimates from the one object folder in 256 that these fixed contents reach
    git(repo, "config", "gc.auto", "1")
    g.maintain()
    counted = dict(line.split(": ") for line in git(repo, "count-objects", "-v").splitlines())
    assert int(counted["count"]) < 10
    assert int(counted["in-pack"]) >= 400


def test_an_object_that_cannot_be_stored_is_a_clear_refusal(reg, base_recipe, monkeypatch):
    """A full disk while a large tree is written: nothing is committed, and the error names
    the object folder and the reason (a server answers it 503, not 500)."""
    import errno

    from modelyard.storage import objects as object_store

    monkeypatch.setenv("MODELYARD_GIT_OBJECTS", "libgit2")
    monkeypatch.setattr(object_store, "LARGE_TREE_BYTES", 0)  # every tree through our writer

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(object_store.os, "link", full)
    registry = Registry(reg.root)
    head = git(reg.root, "rev-parse", "HEAD")
    with pytest.raises(GitError) as refused:
        runs.create_run(
            registry,
            {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"},
        )
    assert "could not store an object in" in refused.value.message
    assert "No space left on device" in refused.value.message
    assert refused.value.http_status == 503
    assert git(reg.root, "rev-parse", "HEAD") == head
    assert git(reg.root, "status", "--porcelain") == ""
