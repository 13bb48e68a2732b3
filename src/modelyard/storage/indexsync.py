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
from collections.abc import Iterable
from pathlib import Path

from modelyard.errors import GitError, IndexBusy
from modelyard.storage.git import Git

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
        problem = git.sync_index_to_head(paths)
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
        problem = git.sync_index_to_head(stale)
        if problem is not None:
            raise GitError(problem.message, action=problem.action)
    return stale
