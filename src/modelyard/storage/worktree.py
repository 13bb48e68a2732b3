"""What the working tree adds to HEAD's cached files: changed tracked files and new ones.

Changed tracked files are found the way git's index finds them: by comparing each file's
stat with the one recorded when its content was last found equal to HEAD's (hashing it when
the stat differs). Git's own index holds every file of the repository (a 40 MB file for
200,000 files) and `git status` reads it whole, so modelyard keeps its own stats for the
few thousand recipe or model files; for a kind with more files than STAT_LIMIT (runs) it
asks `git status --untracked-files=no`, which stats them in C on every core.
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
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from modelyard.domain.ids import is_valid_id
from modelyard.errors import GitError
from modelyard.storage import layout, safefs
from modelyard.storage.cache import Cache
from modelyard.storage.cache_rows import _FILTER_COLS, _LAZY, FIELDS, UNTRACKED, Row, classify
from modelyard.storage.gitraw import RACY_NS, TRACKED_STATUS, blob_id, status_paths

# up to this many files of a kind, modelyard checks them itself (lstat, and hashing the ones
# whose stat changed); above it, git does (threaded, in C) but must read its whole index
STAT_LIMIT = 20_000


def _count(cache: Cache, kind: str) -> int:
    with cache.lock:
        return int(
            cache.db.execute("SELECT count(*) FROM tree WHERE kind=?", (kind,)).fetchone()[0]
        )


def changed_by_stat(cache: Cache, kind: str) -> set[str]:
    """Files of `kind` in HEAD whose content on disk is not HEAD's, found as git's index finds
    them: a file whose (mtime, ctime, size, inode) is the one recorded when its content was
    last found equal to HEAD's blob is unchanged; any other is hashed and compared. A stat is
    recorded only when the file is older than two seconds, so an edit in the same tick as
    the check cannot go unseen."""
    with cache.lock:
        rows = cache.db.execute("SELECT path, blob, sig FROM tree WHERE kind=?", (kind,)).fetchall()
    now = time.time_ns()
    root = f"{cache.root}{os.sep}"  # plain strings: pathlib's joins cost more than the lstat
    changed: set[str] = set()
    verified: list[tuple[str, str]] = []
    for path, blob, sig in rows:
        try:
            st = os.lstat(root + path)
        except OSError:
            changed.add(path)
            continue
        mark = f"{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_size}:{st.st_ino}"
        if mark == sig:
            continue
        try:
            data = Path(root + path).read_bytes() if stat.S_ISREG(st.st_mode) else None
        except OSError:
            data = None
        if data is None or blob_id(data, len(blob)) != blob:
            changed.add(path)
        elif max(st.st_mtime_ns, st.st_ctime_ns) < now - RACY_NS:
            verified.append((mark, path))
    if verified:
        with cache.lock, contextlib.suppress(sqlite3.Error):  # remembering is only an optimisation
            cache.db.executemany("UPDATE tree SET sig=? WHERE path=?", verified)
    return changed


class View:
    """The registry's working tree under some folders: HEAD's cached records, less what differs
    from HEAD, plus what is new, both of which callers read from disk."""

    def __init__(
        self, cache: Cache, kind: str, specs: tuple[str, ...], glob: bool, committed: bool = False
    ) -> None:
        self.cache = cache
        self.root = cache.root
        # HEAD's records alone: what a server whose clone nobody edits reads (docs/performance.md)
        self.committed = committed
        self._proc: subprocess.Popen[bytes] | None = None
        self._git_dirty: set[str] | None = None
        self._by_stat: dict[str, set[str]] = {}
        cache.sync()
        if not committed and _count(cache, kind) > STAT_LIMIT:
            # started now, read last: git stats the files (in C, on every core) meanwhile
            magic = "glob" if glob else "literal"
            self._proc = subprocess.Popen(
                [
                    "git",
                    *TRACKED_STATUS,
                    "--",
                    *(f":({magic}){layout.to_repo(cache.prefix, s)}" for s in specs),
                ],
                cwd=cache.git.worktree,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )

    def changed(self, kind: str) -> set[str]:
        """Registry paths of `kind` that HEAD has and that differ on disk (edited, deleted)."""
        if self.committed:
            return set()
        if self._proc is not None or self._git_dirty is not None:
            return self._from_git()
        if kind not in self._by_stat:
            self._by_stat[kind] = changed_by_stat(self.cache, kind)
        return self._by_stat[kind]

    def _from_git(self) -> set[str]:
        if self._git_dirty is None:
            assert self._proc is not None
            out, _ = self._proc.communicate()
            code = self._proc.returncode
            self._proc = None
            if code != 0:
                raise GitError("git status failed while checking the working tree")
            self._git_dirty = set()
            for path in status_paths(out):
                rel = self.cache.rel(path)
                if rel is not None:
                    self._git_dirty.add(rel)
        return self._git_dirty

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
        dirty = self.changed(kind)  # git's answer is awaited here, outside the lock
        cache.fill(kind, model)
        with cache.lock:
            found, new = self._query(kind, filters, newest_first)
        out = [
            Row(p, (a, b), _LAZY if ok else None, blob if ok else None)
            for p, a, b, blob, ok in found
            if p not in dirty
        ]
        extra = [rel for rel in dirty if classify(rel)[0] == kind]
        extra += [rel for rel in new if rel not in dirty]
        if extra:
            out.extend(
                Row(rel, (k[1], k[2]), None, None)
                for rel in extra
                if (k := classify(rel))[0] == kind
            )
            out.sort(key=lambda r: r.sort, reverse=newest_first)
        return out

    def _query(
        self, kind: str, filters: dict[str, str | None] | None, newest_first: bool
    ) -> tuple[list[tuple[str, str, str, str, int]], list[str]]:
        cache = self.cache
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
            f"SELECT path, a, b, blob, ok FROM tree WHERE {' AND '.join(where)}"
            f" ORDER BY a {order}, b {order}",
            args,
        ).fetchall()
        broken = cache.db.execute(
            "SELECT path, a, b, blob, ok FROM tree WHERE kind=? AND ok=0", (kind,)
        ).fetchall()
        if broken:
            found = sorted(found + broken, key=lambda r: (r[1], r[2]), reverse=newest_first)
        # kinds whose new files no folder scan here finds (snapshots): the caller lists them
        new = [] if self.committed or kind not in UNTRACKED else untracked(cache, kind)
        return found, new

    def data(self, rows: list[Row], kind: str) -> None:
        self.cache.data(rows, kind)

    def filter_values(self, paths: list[str], kind: str) -> dict[str, str]:
        """The first filter field of HEAD's `kind` files at `paths` whose blob validated
        (a manifest's version), by path."""
        return self.cache.first_filter_values(paths, kind)


def untracked(cache: Cache, kind: str) -> list[str]:
    """Files of `kind` on disk that HEAD does not list, where a directory scan would find them."""
    folder, depth, name = UNTRACKED[kind]
    root = cache.root
    if depth == 1:
        parents = [folder]
    else:
        parents = [
            f"{folder}/{d}"
            for d in _listing(cache, folder, "*", lambda: _subdirs(root / folder, False))
        ]
    out = []
    for parent in parents:

        def scan(parent: str = parent) -> list[str]:
            a = parent.split("/", 1)[1] if depth == 2 else ""
            tracked = {
                b for (b,) in cache.db.execute("SELECT b FROM tree WHERE kind=? AND a=?", (kind, a))
            }
            return [
                f"{parent}/{d}/{name}" for d in _subdirs(root / parent, True) if d not in tracked
            ]

        for rel in _listing(cache, parent, kind, scan):
            if safefs.is_file(root, rel):  # a record file reached through a link is never listed
                out.append(rel)
    return out


def _listing(cache: Cache, folder: str, kind: str, scan: Callable[[], list[str]]) -> list[str]:
    """`scan()` of `folder`, or what it found last time when the folder has not changed since."""
    try:
        mtime = os.stat(cache.root / folder).st_mtime_ns
    except (FileNotFoundError, NotADirectoryError):
        return []
    row = cache.db.execute(
        "SELECT mtime, scanned, found FROM dirs WHERE folder=? AND kind=?", (folder, kind)
    ).fetchone()
    if row is not None and row[0] == mtime and row[1] - mtime > RACY_NS:
        return json.loads(row[2])
    started = time.time_ns()
    found = scan()
    with contextlib.suppress(sqlite3.Error):  # remembering is only an optimisation
        cache.db.execute(
            "INSERT OR REPLACE INTO dirs VALUES (?,?,?,?,?)",
            (folder, kind, mtime, started, json.dumps(found)),
        )
    return found


def _subdirs(folder: Path, ids_only: bool) -> list[str]:
    if folder.is_symlink():  # the folders above it are registry folders already scanned
        return []
    try:
        with os.scandir(folder) as it:
            return [
                e.name
                for e in it
                if (is_valid_id(e.name) if ids_only else not e.name.startswith("."))
                and e.is_dir(follow_symlinks=False)
            ]
    except (FileNotFoundError, NotADirectoryError):
        return []
