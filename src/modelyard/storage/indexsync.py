"""git's index, brought in step with a long-running writer's commits in batches.

A commit's cost must not grow with the repository, but git's index holds an entry for every
file (35 MB for 215,000 files), and updating it means reading and rewriting all of it. A
person's clone pays that once per command (storage/git.py keeps it in step at each commit).
A server commits many times a second into a clone that nobody edits by hand, so it commits
without touching the index and records the committed paths here; `flush` then updates
the index for all of them at once, under the registry's write lock, at most once per
interval. Until then `git status` in the server's clone shows those paths as changed
(HEAD is right; only the index is behind), and `repair` on start-up brings back in step
any path that a crash left behind: where git's index differs from HEAD but the file on
disk is HEAD's, the index is simply stale.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path

from modelyard.errors import GitError, IndexBusy
from modelyard.storage.git import ZERO, Git, Prepared

# attempts at updating a locked index, 20 ms more apart each time: about four seconds in all
INDEX_TRIES = 20


def sync_entries(
    git: Git, info: bytes, then: str = "so the change was not made; nothing was committed"
) -> IndexBusy | None:
    """Keep the user's index in step for exactly the committed paths, so `git status`
    stays clean and a later `git commit` of other work cannot undo this one. The problem,
    when git cannot (the commit must then be undone: an index left behind would revert it
    at the next `git commit`).

    Editors refresh the index in the background and hold `index.lock` for a moment,
    so a locked index is waited for (about four seconds) rather than given up on at once."""
    proc = None
    for attempt in range(INDEX_TRIES):
        proc = git.run("update-index", "--add", "--remove", "--index-info", input=info, check=False)
        if proc.returncode == 0:
            return None
        if b"index.lock" not in proc.stderr:
            break
        time.sleep(0.02 * (attempt + 1))
    assert proc is not None
    said = proc.stderr.decode(errors="replace").strip().splitlines()
    lock = git.git_dir / "index.lock"
    if lock.exists():
        return IndexBusy(
            f"git's index is locked ({lock} exists: "
            f"another git process or an editor is using it), {then}",
            action="wait for that process to finish, "
            f"or if no git process is running, delete {lock}; "
            "then run the command again",
        )
    return IndexBusy(
        f"git could not update its index ({said[-1] if said else 'update-index failed'}), {then}",
        action="fix what git reports (a full disk, permissions), then run the command again",
    )


def sync_to_head(git: Git, paths: Iterable[str]) -> IndexBusy | None:
    """Bring git's index entries of `paths` to what HEAD holds (removed where HEAD has
    none): one `ls-tree` and one `update-index` for any number of paths."""
    wanted = sorted(set(paths))
    if not wanted:
        return None
    head = git.current_head()
    in_head: dict[str, str] = {}
    if head:
        out = git.run("ls-tree", "-z", "--full-tree", head, "--", *wanted).stdout
        for entry in out.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, path = entry.partition("\t")
            if path:
                in_head[path] = meta  # "<mode> blob <sha>"
    lines = []
    for path in wanted:
        if path in in_head:
            mode, _, sha = in_head[path].split()
            lines.append(f"{mode} {sha}\t{path}")
        else:
            lines.append(f"0 {ZERO}\t{path}")
    info = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
    return sync_entries(git, info, then="so it stays behind HEAD until the next try")


def sync_to_commit(git: Git, commit: Prepared) -> IndexBusy | None:
    """Bring the index entries of exactly the commit's paths to it, so `git status` stays
    clean and a later `git commit` of other work cannot undo it; the problem, if git
    cannot (the caller must then undo the commit: an index left behind would revert it)."""
    lines = [
        f"100644 {blob}\t{p}" if blob else f"0 {ZERO}\t{p}" for p, blob in commit.blobs.items()
    ]
    return sync_entries(git, ("\n".join(lines) + "\n").encode())


_BACKLOGS: dict[Path, IndexBacklog] = {}
_GUARD = threading.Lock()


class IndexBacklog:
    """Paths committed without updating git's index, per repository."""

    def __init__(self) -> None:
        self._paths: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def of(cls, git: Git) -> IndexBacklog:
        with _GUARD:
            return _BACKLOGS.setdefault(git.git_dir, cls())

    def add(self, paths: Iterable[str]) -> None:
        with self._lock:
            self._paths.update(paths)

    def __len__(self) -> int:
        with self._lock:
            return len(self._paths)

    def flush(self, git: Git) -> IndexBusy | None:
        """Update the index for every path recorded so far; the caller holds the registry's
        write lock, so no commit changes HEAD meanwhile. Paths that could not be updated (the
        index is locked) stay recorded for the next flush."""
        with self._lock:
            paths, self._paths = self._paths, set()
        if not paths:
            return None
        problem = sync_to_head(git, paths)
        if problem is not None:
            self.add(paths)
        return problem


def repair(git: Git, prefix: str) -> list[str]:
    """Index entries under `prefix` that differ from HEAD while the file on disk is HEAD's
    (left behind by a crash between a commit and its index update), brought to HEAD; the
    paths repaired. A change someone staged on purpose has a file that differs from HEAD
    too, so it is left alone."""
    spec = [f":(literal){prefix}"] if prefix else []
    proc = git.run("diff-index", "--cached", "-z", "--name-only", "HEAD", "--", *spec, check=False)
    if proc.returncode != 0:
        return []
    staged = [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
    stale = sorted(set(staged) - set(git.worktree_differs(staged)))
    if stale:
        problem = sync_to_head(git, stale)
        if problem is not None:
            raise GitError(problem.message, action=problem.action)
    return stale
