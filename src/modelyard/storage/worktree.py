"""What the working tree adds to HEAD's cached files: changed tracked files and new ones.

Changed tracked files come from `git status --untracked-files=no`, started first so that
git stats the files (in C, on every core) while this process brings the cache up to date.
New files are found here rather than by git: git's untracked scan reads every folder, and
a registry has one folder per run. A new record can only be in a folder that HEAD does not
list with that record's file, so it is enough to list the folders that hold id folders
(`recipes/`, `models/`, `runs/` and each `runs/<shard>/`) and remember, per folder, its
mtime and what the listing found. A folder's mtime changes whenever an entry is added,
removed or renamed in it, so an unchanged mtime means an unchanged listing; a listing taken
within two seconds of the folder's last change is not trusted next time (timestamps can be
coarse), exactly as git treats "racily clean" index entries.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from modelyard.domain.ids import is_valid_id
from modelyard.errors import GitError
from modelyard.storage.cache import _FILTER_COLS, _LAZY, FIELDS, UNTRACKED, Cache, Row, classify

RACY_NS = 2_000_000_000


class View:
    """The registry's working tree under some folders: HEAD's cached records, less what differs
    from HEAD, plus what is new, both of which callers read from disk."""

    def __init__(self, cache: Cache, specs: tuple[str, ...], glob: bool) -> None:
        self.cache = cache
        self.root = cache.root
        magic = "glob" if glob else "literal"
        prefix = f"{cache.prefix}/" if cache.prefix else ""
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            ["git", "status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames",
             "--ignore-submodules", "--", *(f":({magic}){prefix}{s}" for s in specs)],
            cwd=cache.git.worktree, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self._dirty: set[str] = set()
        try:
            cache.sync()
        except BaseException:
            self._proc.kill()
            self._proc.wait()
            raise

    @property
    def dirty(self) -> set[str]:
        """Registry paths under the view's folders whose tracked state differs from HEAD."""
        if self._proc is not None:
            out, _ = self._proc.communicate()
            code = self._proc.returncode
            self._proc = None
            if code != 0:
                raise GitError("git status failed while checking the working tree")
            for entry in out.decode("utf-8", "surrogateescape").split("\0"):
                if len(entry) > 3:
                    rel = self.cache.rel(entry[3:])
                    if rel is not None:
                        self._dirty.add(rel)
        return self._dirty

    def rows(
        self,
        kind: str,
        model: type[BaseModel],
        filters: dict[str, str | None] | None = None,
        newest_first: bool = False,
    ) -> list[Row]:
        """Every `kind` record file of the working tree, in (a, b) order.

        Clean files come from the cache, filtered on `filters`; files that differ from HEAD,
        are new, or did not parse come back with `data=None` and unfiltered, for the caller.
        """
        cache = self.cache
        cache.fill(kind, model)
        names = FIELDS.get(kind, ())
        where, args = ["kind=?", "ok=1"], [kind]
        for name, value in (filters or {}).items():
            if value is not None:
                where.append(f"{_FILTER_COLS[names.index(name)]}=?")
                args.append(value)
        order = "DESC" if newest_first else "ASC"
        # two queries, each on an index: the matches, and the files that did not parse
        # (read the ordinary way, so that they report their problem)
        found = cache.db.execute(
            f"SELECT path, a, b, blob, ok FROM tree WHERE {' AND '.join(where)} ORDER BY a {order}, b {order}",
            args,
        ).fetchall()
        broken = cache.db.execute("SELECT path, a, b, blob, ok FROM tree WHERE kind=? AND ok=0", (kind,)).fetchall()
        if broken:
            found = sorted(found + broken, key=lambda r: (r[1], r[2]), reverse=newest_first)
        new = untracked(cache, kind)
        dirty = self.dirty
        out = [Row(p, (a, b), _LAZY if ok else None, blob if ok else None)
               for p, a, b, blob, ok in found if p not in dirty]
        extra = [rel for rel in dirty if classify(rel)[0] == kind]
        extra += [rel for rel in new if rel not in dirty]
        if extra:
            out.extend(Row(rel, (k[1], k[2]), None, None) for rel in extra if (k := classify(rel))[0] == kind)
            out.sort(key=lambda r: r.sort, reverse=newest_first)
        return out

    def data(self, rows: list[Row], kind: str) -> None:
        self.cache.data(rows, kind)


def untracked(cache: Cache, kind: str) -> list[str]:
    """Files of `kind` on disk that HEAD does not list, where a directory scan would find them."""
    folder, depth, name = UNTRACKED[kind]
    root = cache.root
    if depth == 1:
        parents = [folder]
    else:
        parents = [f"{folder}/{d}" for d in _listing(cache, folder, "*", lambda: _subdirs(root / folder, False))]
    out = []
    for parent in parents:
        def scan(parent: str = parent) -> list[str]:
            a = parent.split("/", 1)[1] if depth == 2 else ""
            tracked = {b for (b,) in cache.db.execute("SELECT b FROM tree WHERE kind=? AND a=?", (kind, a))}
            return [f"{parent}/{d}/{name}" for d in _subdirs(root / parent, True) if d not in tracked]

        for rel in _listing(cache, parent, kind, scan):
            if (root / rel).is_file():
                out.append(rel)
    return out


def _listing(cache: Cache, folder: str, kind: str, scan: Callable[[], list[str]]) -> list[str]:
    """`scan()` of `folder`, or what it found last time when the folder has not changed since."""
    try:
        mtime = os.stat(cache.root / folder).st_mtime_ns
    except (FileNotFoundError, NotADirectoryError):
        return []
    row = cache.db.execute("SELECT mtime, scanned, found FROM dirs WHERE folder=? AND kind=?",
                           (folder, kind)).fetchone()
    if row is not None and row[0] == mtime and row[1] - mtime > RACY_NS:
        return json.loads(row[2])
    started = time.time_ns()
    found = scan()
    with contextlib.suppress(sqlite3.Error):  # remembering is only an optimisation
        cache.db.execute("INSERT OR REPLACE INTO dirs VALUES (?,?,?,?,?)",
                         (folder, kind, mtime, started, json.dumps(found)))
    return found


def _subdirs(folder: Path, ids_only: bool) -> list[str]:
    try:
        with os.scandir(folder) as it:
            return [e.name for e in it
                    if (is_valid_id(e.name) if ids_only else not e.name.startswith(".")) and e.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return []
