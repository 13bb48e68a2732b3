"""New files of a registry's working tree, found without reading every folder.

git's untracked scan (`git ls-files --others`) reads every folder of the working tree, and a
registry has one folder per run: 100,000 runs are 100,000 folders read for a review that
touches seven files. A new record can only be a new file in a folder that holds records or
record folders (the registry's top, `recipes/` and each recipe, `models/`, each model and
its `monitoring/`, `runs/` and each shard), or anything inside a folder git does not track
at all (a new run, a new recipe). So those folders are listed, and compared with the paths
git tracks (read from its index, no stat and no folder read); files inside an existing run
folder that git does not track are not looked for. What git ignores stays ignored
(`git check-ignore`, on the candidates only).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from modelyard.storage import layout
from modelyard.storage.git import Git
from modelyard.storage.gitraw import RACY_NS

if TYPE_CHECKING:
    from modelyard.storage.cache import Cache


_TOPS = (layout.RECIPES, layout.MODELS, layout.RUNS)
_WHOLE = "templates"  # a small folder, read whole


def _listed(parts: tuple[str, ...]) -> bool:
    """Whether a tracked folder's own entries are listed: `recipes/`, `models/`, `runs/`, one
    level below each, and `models/<id>/monitoring/`."""
    n = len(parts)
    if n <= 2:
        return parts[0] in _TOPS or parts[0] == _WHOLE
    if parts[0] == _WHOLE:
        return True
    return n == 3 and parts[0] == layout.MODELS and parts[2] == layout.MONITORING


def new_files(git: Git, root: str, prefix: str, cache: Cache | None = None) -> list[str]:
    """Repository paths of files under the registry that git does not track and does not
    ignore, as `git ls-files --others --exclude-standard` would list them, except files
    added inside a run folder that git already tracks.

    With the derived index (`cache`), what a scan found is remembered with the stat of git's
    index and the mtime of every folder it listed: while none of them changed, no folder gaining
    or losing an entry and git tracking the same files, the scan would find the same, so it is
    not made again (`_remembered`)."""
    started = time.time_ns()
    # another index than the worktree's own (GIT_INDEX_FILE) is not one to remember by
    index = None if os.environ.get("GIT_INDEX_FILE") else _stat_of(git.git_dir / "index")
    if cache is not None:
        found = _remembered(cache, root, prefix, index)
        if found is not None:
            return git.not_ignored(found)
    listed: dict[str, int] = {}
    found = _scan(git, root, prefix, listed)
    if cache is not None:
        _remember(cache, prefix, index, listed, found, started)
    return git.not_ignored(found)


def _scan(git: Git, root: str, prefix: str, listed: dict[str, int]) -> list[str]:
    """The scan itself; `listed` gets the mtime of every folder it read."""
    tracked = git.tracked(prefix or ".")
    # every folder that holds a tracked file: parents taken level by level, as set operations
    folders: set[str] = set()
    level = {p.rpartition("/")[0] for p in tracked}
    while level:
        level.discard("")
        folders |= level
        level = {f.rpartition("/")[0] for f in level} - folders
    lead = f"{prefix.rstrip('/')}/" if prefix else ""
    found: list[str] = []
    stack: list[tuple[str, ...]] = [()]
    while stack:
        rel_parts = stack.pop()
        rel = "/".join(rel_parts)
        here = f"{lead}{rel}/" if rel else lead
        folder = os.path.join(root, rel) if rel else root
        try:
            mtime = os.stat(folder).st_mtime_ns
            # names only, and set operations on them: 200,000 entries in a large registry
            names = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        listed[rel] = mtime
        paths = {here + name for name in names}
        for path in paths & folders:
            name = path[len(here) :]
            if _listed((*rel_parts, name)):
                stack.append((*rel_parts, name))
        for path in sorted(paths - folders - tracked):
            name = path[len(here) :]
            inside = f"{rel}/{name}" if rel else name
            if name == ".git" and not rel_parts:
                continue
            full = os.path.join(root, inside)
            if os.path.isdir(full) and not os.path.islink(full):
                found.extend(_everything(root, inside, lead, listed))
            else:  # a file, a link (never followed) or a special file
                found.append(path)
    return sorted(found)


def _everything(root: str, rel: str, lead: str, listed: dict[str, int]) -> list[str]:
    """Every file (or link, or special file) under a folder git does not track."""
    out = []
    for top, dirs, names in os.walk(os.path.join(root, rel)):
        inside = os.path.relpath(top, root).replace(os.sep, "/")
        with contextlib.suppress(OSError):
            listed[inside] = os.stat(top).st_mtime_ns
        for name in names:
            out.append(f"{lead}{inside}/{name}")
        # a link to a folder is listed as a file (validate reports it), never followed
        for name in [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            out.append(f"{lead}{inside}/{name}")
            dirs.remove(name)
    return out


# -- what the last scan found ------------------------------------------------------------------
def _stat_of(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


def _table(cache: Cache) -> None:
    cache.db.execute(
        "CREATE TABLE IF NOT EXISTS newfiles(prefix TEXT PRIMARY KEY, data TEXT NOT NULL)"
    )


def _remembered(cache: Cache, root: str, prefix: str, index: list[int] | None) -> list[str] | None:
    """What the last scan found, when it would find the same now: git's index is the same
    file (git rewrites it whole, as a new file, whenever what it tracks changes), and every
    folder the scan read has the mtime it had, an mtime older than the scan by more than two
    seconds (timestamps can be coarse: git treats "racily clean" entries the same way)."""
    if index is None:
        return None
    try:
        with cache.lock:
            _table(cache)
            row = cache.db.execute("SELECT data FROM newfiles WHERE prefix=?", (prefix,)).fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    data = json.loads(row[0])
    if data["index"] != index:
        return None
    trusted = data["scanned"] - RACY_NS
    for rel, mtime in data["folders"].items():
        try:
            now = os.stat(os.path.join(root, rel) if rel else root).st_mtime_ns
        except OSError:
            return None
        if now != mtime or mtime >= trusted:
            return None
    return list(data["found"])


def _remember(
    cache: Cache,
    prefix: str,
    index: list[int] | None,
    listed: dict[str, int],
    found: list[str],
    started: int,
) -> None:
    if index is None:
        return
    data = {"index": index, "scanned": started, "folders": listed, "found": found}
    with cache.lock, contextlib.suppress(sqlite3.Error):  # remembering is only an optimisation
        _table(cache)
        cache.db.execute(
            "INSERT OR REPLACE INTO newfiles VALUES (?, ?)", (prefix, json.dumps(data))
        )
