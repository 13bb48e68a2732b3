"""git's objects and refs through git's own plumbing commands, one process per step: what a
short-lived command uses, and the twin of storage/objects.py (libgit2, in process), which a
long-running one uses.

Loading libgit2 costs a process about 0.15 s, more than the dozen git processes of one
commit (about 3 ms each on an idle machine), so a CLI command that commits once is faster
with these; a server committing many times a second is many times faster in process. Both
make the same objects (the same ids, held by tests), so which one made a commit never shows.
`modelyard serve` and `modelyard mcp` switch to libgit2 when they start (`use_in_process`);
MODELYARD_GIT_OBJECTS=libgit2|process chooses for any command.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from modelyard.errors import LockTimeout
from modelyard.storage.gitraw import ZERO

if TYPE_CHECKING:
    from modelyard.storage.git import Git

ENV = "MODELYARD_GIT_OBJECTS"
_chosen = {"in_process": False}
# how long a branch move waits while another git process holds the branch's lock (a
# `git gc --auto` after a fetch packs refs and locks each one for a moment); git itself
# waits 100 ms (core.filesRefLockTimeout)
REF_LOCK_SECONDS = 2.0


def ref_locked(refs_dir: Path, name: str) -> LockTimeout:
    lock = refs_dir / f"{name}.lock"
    return LockTimeout(
        f"{name} stayed locked for over {REF_LOCK_SECONDS:g} s ({lock} exists: another git "
        "process holds it), so nothing was committed",
        action=f"try again in a moment; if no git process is running, delete {lock}",
    )


def use_in_process(on: bool = True) -> None:
    """From now on, this process reads and writes git objects through libgit2."""
    _chosen["in_process"] = on


def in_process() -> bool:
    wanted = os.environ.get(ENV, "").strip().lower()
    if wanted in ("libgit2", "in-process"):
        return True
    if wanted == "process":
        return False
    return _chosen["in_process"]


class Plumbing:
    """One repository's objects and refs, through git commands."""

    def __init__(self, git: Git) -> None:
        self.git = git

    # -- reading -------------------------------------------------------------------------
    def entry_ids(self, commit: str, paths: list[str]) -> dict[str, str]:
        """The blob id of each of `paths` that is a regular file in `commit` (one `ls-tree`)."""
        out: dict[str, str] = {}
        listed = self.git.run("ls-tree", "-z", "--full-tree", commit, "--", *paths).stdout
        for entry in listed.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, path = entry.partition("\t")
            if path:
                mode, kind, sha = meta.split()
                if kind == "blob" and mode != "120000":
                    out[path] = sha
        return out

    def chain(self, old: str, new: str, limit: int = 10_000) -> list[str] | None:
        """The commits after `old` up to `new`, oldest first, when `new` is `old` plus a line
        of single-parent commits; None otherwise (one `rev-list`)."""
        proc = self.git.run(
            "rev-list",
            "--parents",
            "--reverse",
            f"--max-count={limit + 1}",
            f"{old}..{new}",
            check=False,
        )
        lines = proc.stdout.decode().split("\n") if proc.returncode == 0 else []
        chain = [line.split() for line in lines if line]
        if not chain or len(chain) > limit or any(len(c) != 2 for c in chain):
            return None
        linked = chain[0][1] == old and all(
            chain[i][1] == chain[i - 1][0] for i in range(1, len(chain))
        )
        return [c[0] for c in chain] if linked else None

    def folder_untouched(self, old: str, new: str, folder: str) -> bool:
        """Whether no commit from `old` to `new` changed `folder`; with processes, asking is
        not cheaper than reading the log, so this never claims it."""
        return False

    def read_blobs(self, shas: list[str]) -> dict[str, bytes]:
        return {}  # `Git.cat_blobs` reads them all with one `cat-file --batch`

    def attributes_filter(self, path: str) -> bool:
        return True  # `hash-object --path` applies whatever git's attributes ask

    # -- writing -------------------------------------------------------------------------
    def write_blob(self, data: bytes) -> str:
        return self.git.out("hash-object", "-w", "--stdin", input=data)

    def tree_with(self, head: str | None, changes: Mapping[str, str | None]) -> str:
        from modelyard.storage.trees import tree_with

        return tree_with(self.git, head, changes)

    def move_ref(self, name: str, new: str, old: str | None, message: str) -> bool:
        """`git update-ref -m message name new old` (compare-and-swap; `old` None: create
        only); whether it moved. Waits up to REF_LOCK_SECONDS while another git process
        holds the ref's lock, then raises LockTimeout."""
        deadline = time.monotonic() + REF_LOCK_SECONDS
        while True:
            proc = self.git.run("update-ref", "-m", message, name, new, old or ZERO, check=False)
            if proc.returncode == 0:
                return True
            if ".lock': File exists" not in proc.stderr.decode(errors="replace"):
                return False
            if time.monotonic() >= deadline:
                raise ref_locked(self.git.common_dir(), name)
            time.sleep(0.02)

    def delete_ref(self, name: str, old: str) -> bool:
        return self.git.run("update-ref", "-d", name, old, check=False).returncode == 0
