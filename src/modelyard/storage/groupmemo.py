"""What a group of writes (storage/mutation.py `WriteGroup`) works out once for all its commits
instead of once per commit: git's configuration a commit depends on (storage/commits.py) and
whether any attributes file applies to a folder (storage/objects.py). Each is otherwise
checked by a handful of `stat` calls per commit, which at a hundred commits a second was
a tenth of a write. A group lasts a fraction of a second (server/committer.py bounds it), so
a configuration or attributes file edited by hand applies from the next group on.

Outside a group, or in another thread, or for another repository, nothing is remembered.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_local = threading.local()


@contextlib.contextmanager
def holding(git_dir: Path) -> Iterator[None]:
    """While the block runs, `remember` keeps what it works out for `git_dir` in this thread."""
    previous = getattr(_local, "memo", None)
    _local.memo = (git_dir, {})
    try:
        yield
    finally:
        _local.memo = previous


def remember(git_dir: Path, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave for `key` earlier in this thread's group on `git_dir`."""
    memo: tuple[Path, dict[Hashable, Any]] | None = getattr(_local, "memo", None)
    if memo is None or memo[0] != git_dir:
        return compute()
    found = memo[1]
    if key not in found:
        found[key] = compute()
    return found[key]
