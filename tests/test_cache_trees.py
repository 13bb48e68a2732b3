"""Commit trees built without an index equal the ones git builds from an index."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from conftest import git
from modelyard.storage import objects as object_store
from modelyard.storage.git import Git


def via_index(repo: Path, head: str, changes: dict[str, str | None]) -> str:
    env = {**os.environ, "GIT_INDEX_FILE": str(repo / ".git" / "scratch-index")}
    subprocess.run(["git", "read-tree", head], cwd=repo, env=env, check=True)
    info = "".join(
        f"100644 {sha}\t{p}\n" if sha else f"0 {'0' * 40}\t{p}\n" for p, sha in changes.items()
    )
    subprocess.run(
        ["git", "update-index", "--add", "--remove", "--index-info"],
        cwd=repo,
        env=env,
        input=info.encode(),
        check=True,
    )
    return subprocess.run(
        ["git", "write-tree"], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.parametrize("objects", ["process", "libgit2", "libgit2, every tree large"])
def test_random_changes_give_the_same_tree_as_an_index(tmp_path, monkeypatch, objects):
    """Each round starts from the commit of the round before, so that a large tree's next
    write starts from the entries remembered from its last one."""
    monkeypatch.setenv("MODELYARD_GIT_OBJECTS", objects.split(",")[0])
    if "large" in objects:  # every tree spliced as its raw entries and stored uncompressed
        monkeypatch.setattr(object_store, "LARGE_TREE_BYTES", 0)
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    rng = random.Random(4)
    names = ["a", "a.b", "a-b", "a0", "b", "ab", "z", "modèles ML"]
    paths = sorted(
        {"/".join(rng.choice(names) for _ in range(rng.randint(1, 4))) + ".yaml" for _ in range(60)}
    )
    paths = [p for p in paths if not any(q.startswith(p[:-5] + "/") for q in paths)]
    for p in paths:
        (repo / p).parent.mkdir(parents=True, exist_ok=True)
        (repo / p).write_text(p)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "start")
    head = git(repo, "rev-parse", "HEAD")
    g = Git(repo)
    blob = ""
    for round_ in range(15):
        changes: dict[str, str | None] = {}
        for p in rng.sample(paths, 4):  # remove some, emptying some folders
            changes[p] = None
        for i in range(3):  # and add some, some in new folders
            new = f"{rng.choice(names)}/new{round_}_{i}/{rng.choice(names)}.yaml"
            (repo / new).parent.mkdir(parents=True, exist_ok=True)
            (repo / new).write_text(new)
            blob = g.out("hash-object", "-w", new)
            changes[new] = blob
        changed = rng.choice(paths)
        changes[changed] = g.out("hash-object", "-w", "--stdin", input=f"changed {round_}".encode())
        made = g.objects.tree_with(head, changes)
        assert made == via_index(repo, head, changes)
        head = git(repo, "commit-tree", made, "-p", head, "-m", f"round {round_}")
        asked = [*rng.sample(paths, 6), *changes, "no/such/file.yaml"]
        listed = git(repo, "ls-tree", "-z", head, "--", *asked).split("\0")
        files = {e.split("\t")[1]: e.split()[2] for e in listed if e.startswith("100644 ")}
        assert g.objects.entry_ids(head, asked) == files
    git(repo, "update-ref", "refs/heads/rounds", head)
    git(repo, "fsck", "--strict", "--no-dangling")  # every object written is one git reads
    assert g.objects.tree_with(None, {"x/y.yaml": blob}) == via_index_empty(
        repo, {"x/y.yaml": blob}
    )


def via_index_empty(repo: Path, changes: dict[str, str | None]) -> str:
    env = {**os.environ, "GIT_INDEX_FILE": str(repo / ".git" / "empty-index")}
    info = "".join(f"100644 {sha}\t{p}\n" for p, sha in changes.items() if sha)
    subprocess.run(
        ["git", "update-index", "--add", "--index-info"],
        cwd=repo,
        env=env,
        input=info.encode(),
        check=True,
    )
    return subprocess.run(
        ["git", "write-tree"], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
