"""The intent journal: a mutation a crash interrupted is finished by the next command.

A mutation first makes its commit as objects only (blobs, trees, the commit: nothing a
crash can half-do, since unreferenced objects are invisible), writes this journal, moves
the branch (the one step that decides whether it happened), and only then brings the
working tree and git's index to the commit, and deletes the journal. Killed at any moment,
the registry is therefore either as before the mutation (the branch did not move: the
working tree was never touched) or as after it once the journal is replayed: each journaled
path that still holds what the mutation found or what it wrote is brought to what the
branch now holds, and its index entry with it.

A server that commits many writes one after another under one hold of the write lock
(storage/mutation.py `WriteGroup`) writes one journal for all of them, before the first
branch move: it names the commit the branch was at (`since`), and its replay brings every
path changed between that commit and the branch's commit to what the branch holds, when the
file holds what any commit in between had there (or is empty: the group's files are synced
together at its end, so a power cut may leave one empty). Its cost, one fsync, is shared by
the group.

The journal lives in `.git/modelyard/intent.json` and is replayed under the registry's
write lock, by the next mutation or by any command that opens the registry.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.storage import files
from modelyard.storage.git import ZERO, Git, Prepared
from modelyard.storage.gitraw import decode, parse_raw
from modelyard.storage.indexsync import sync_to_head

NAME = "intent.json"
EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's id of an empty file


@dataclass(frozen=True)
class Intent:
    commit: Prepared
    index: bool  # whether the mutation keeps git's index in step itself (not a server's)
    # a group's journal: every commit after `commit.parent` is covered, not only `commit`
    since: bool = False

    def to_json(self) -> dict[str, Any]:
        c = self.commit
        data = {
            "branch": c.branch,
            "parent": c.parent,
            "sha": c.sha,
            "blobs": c.blobs,
            "subject": c.subject,
            "index": self.index,
        }
        if self.since:
            data["since"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Intent:
        commit = Prepared(
            data["branch"], data["parent"], data["sha"], dict(data["blobs"]), data["subject"]
        )
        return cls(commit, bool(data["index"]), bool(data.get("since", False)))


def path(git: Git) -> Path:
    return git.git_dir / "modelyard" / NAME


def write(git: Git, intent: Intent) -> None:
    target = path(git)
    target.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write(target, json.dumps(intent.to_json()).encode())


def clear(git: Git) -> None:
    path(git).unlink(missing_ok=True)


def pending(git: Git) -> Intent | None:
    """The journal a crashed mutation left, if any (one that cannot be read is dropped:
    it was cut short before the branch moved, since it is written whole before that)."""
    try:
        raw = path(git).read_bytes()
    except FileNotFoundError:
        return None
    try:
        return Intent.from_json(json.loads(raw))
    except (ValueError, KeyError, TypeError):
        clear(git)
        return None


def replay(git: Git, intent: Intent) -> list[str]:
    """Finish what the journal's mutation left undone; the repo paths brought in step. A
    path someone changed since (neither what the mutation found nor what it wrote) is left
    as it is: that is their work."""
    c = intent.commit
    head = git.current_head()
    if intent.since:
        accepted = _blobs_since(git, c.parent, head)
    else:
        before = _blobs_at(git, c.parent, sorted(c.blobs))
        accepted = {p: {before.get(p), blob} for p, blob in c.blobs.items()}
    paths = sorted(accepted)
    now = _blobs_at(git, head, paths)
    fixed: list[str] = []
    for repo_path in paths:
        target = git.worktree / repo_path
        _remove_leftovers(target)
        on_disk = _disk_blob(git, target, repo_path)
        if on_disk == now.get(repo_path):
            continue
        if on_disk not in accepted[repo_path]:
            continue
        wanted = now.get(repo_path)
        if wanted is None:
            target.unlink(missing_ok=True)
            files.prune_empty(target.parent, git.worktree)
        else:
            files.atomic_write(target, git.cat_blobs([wanted])[wanted])
        fixed.append(repo_path)
    if intent.index:
        stale = [p for p, blob in _index_blobs(git, paths).items() if blob != now.get(p)]
        if stale and sync_to_head(git, stale) is None:
            fixed = sorted({*fixed, *stale})
    clear(git)
    return fixed


def _blobs_since(git: Git, parent: str | None, head: str | None) -> dict[str, set[str | None]]:
    """Each path a commit after `parent` up to `head` changed, with every blob it held along
    the way (None: absent); also what differs between the two when `head` does not descend
    from `parent` (the branch was reset)."""
    found: dict[str, set[str | None]] = {}
    if not head or not parent or parent == ZERO:
        return found
    between = f"{parent}..{head}"
    outputs = [
        git.run(
            "log", "--raw", "-z", "--no-abbrev", "--no-renames", "--format=", between, check=False
        ),
        git.run("diff-tree", "-r", "-z", "--no-renames", parent, head, check=False),
    ]
    for proc in outputs:
        for change in parse_raw(decode(proc.stdout, "surrogateescape")):
            # and empty: a group syncs its files only at its end, so a power cut can leave
            # one of them empty (written, its data not yet on disk)
            blobs = (change.old_blob, change.new_blob, EMPTY_BLOB)
            found.setdefault(change.path, set()).update(blobs)
    return found


def _blobs_at(git: Git, commit: str | None, paths: list[str]) -> dict[str, str]:
    if not commit or commit == ZERO or not paths:
        return {}
    out = git.run("ls-tree", "-z", "--full-tree", commit, "--", *paths).stdout
    found: dict[str, str] = {}
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, name = entry.partition("\t")
        if name:
            found[name] = meta.split()[2]
    return found


def _index_blobs(git: Git, paths: list[str]) -> dict[str, str | None]:
    out = git.run("ls-files", "-s", "-z", "--", *(f":(literal){p}" for p in paths)).stdout
    found: dict[str, str | None] = dict.fromkeys(paths)
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, name = entry.partition("\t")
        if name in found:
            found[name] = meta.split()[1]
    return found


def _disk_blob(git: Git, target: Path, repo_path: str) -> str | None:
    try:
        data = target.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return git.out("hash-object", "--stdin", f"--path={repo_path}", input=data)


def _remove_leftovers(target: Path) -> None:
    """The temporary files an atomic write of `target` leaves when killed mid-write."""
    folder = target.parent
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(f".{target.name}.") and name.endswith(".tmp"):
            (folder / name).unlink(missing_ok=True)
