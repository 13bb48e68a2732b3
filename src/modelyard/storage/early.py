"""Work a command starts before its slow imports.

`validate --base` on a large registry waits on one thing that does not depend on anything
Python does: git comparing every tracked file with the base (`Git.changed_since`, a stat of
each of 200,000 files). Importing pydantic, PyYAML, Jinja and the checks takes about as long.
So the command finds the registry with the standard library alone (storage/locate.py),
starts that git, and only then imports the rest; `changed_since` reads what git found.
"""

from __future__ import annotations

from modelyard.errors import ModelyardError
from modelyard.storage.git import Git
from modelyard.storage.locate import discover, find_worktree


def start_review(explicit: str | None, base: str | None, upstream: bool = False) -> None:
    """Start git's comparison of the registry's working tree with `base` (or, with `upstream`,
    with where the branch left its upstream), as `validate --base` will ask it. Nothing is
    reported here: when the registry or the base cannot be found, the command itself says so
    once it gets there."""
    try:
        root = discover(explicit).resolve()
    except (ModelyardError, OSError):
        return
    worktree = find_worktree(root)
    if worktree is None:
        return
    git = Git(worktree)
    try:
        found = git.upstream_base() if upstream else None
    except ModelyardError:
        return
    if found is not None:
        base = found[0]
    if base is None:
        return
    prefix = root.relative_to(worktree).as_posix()
    git.start_changed_since(base, prefix if prefix not in ("", ".") else ".")
