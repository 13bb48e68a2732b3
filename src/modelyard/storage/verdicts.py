"""What validation found in each committed file, kept in the derived index (`.git/modelyard/`)
so that a check of the whole registry reads again only what changed.

A file's own checks (its YAML, its schema, what its path says about it) depend on nothing but
its path and its content, so their outcome is stored under the path and the file's git blob
id, the way the parsed records are (storage/cache.py): a row can never be stale for a file
whose content is HEAD's, and a changed file simply has no row. What the checks are is part
of the key too: the caller gives a digest of the code that produced the outcome, and rows
made by other code are dropped before any is read.

A file is taken to hold HEAD's content when HEAD lists it and `git status` does not (git
compares the stat of every file with the one its index recorded, in C, and hashes the files
whose stat changed). Everything else is checked the ordinary way. The stored text is opaque
here: the caller (validate/whole.py) writes and reads it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel

from modelyard.errors import GitError
from modelyard.storage import layout
from modelyard.storage.cache import Cache

META_KEY = "verdicts"


# A file of HEAD whose content is unchanged on disk, and what was found in it, if known:
# (path, blob, kind, a, b, found, extra). `a` is a run's shard or a snapshot's model id, `b` a
# run's or a snapshot's id (storage/cache_rows.classify); `found` is the stored outcome, None
# when this content was never checked. Plain tuples: a large registry has 200,000 of them.
Known = tuple[str, str, str, str, str, str | None, str | None]


class Verdicts:
    """Stored outcomes of one registry's files. Open with `Verdicts.of(cache, code)`."""

    def __init__(self, cache: Cache, code: str) -> None:
        self.cache = cache
        self.code = code
        self._dirty: set[str] | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        db = cache.db
        with cache.lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS verdicts(path TEXT NOT NULL, blob TEXT NOT NULL,"
                    " found TEXT NOT NULL, extra TEXT, PRIMARY KEY(path, blob)) WITHOUT ROWID"
                )
                row = db.execute("SELECT value FROM meta WHERE key=?", (META_KEY,)).fetchone()
                if row is None or row[0] != code:
                    db.execute("DELETE FROM verdicts")
                    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (META_KEY, code))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @classmethod
    def of(cls, cache: Cache | None, code: str) -> Verdicts | None:
        """The store in `cache`, or None when there is no cache or it cannot be used (then
        every file is checked, with the same answers)."""
        if cache is None:
            return None
        try:
            return cls(cache, code)
        except sqlite3.Error:
            return None

    # -- what differs from HEAD ----------------------------------------------------------
    def start(self) -> None:
        """Ask git, in the background, which tracked files differ from HEAD (the caller lists
        the working tree meanwhile). `git status` reads the index and stats every file in C."""

        def ask() -> None:
            try:
                spec = self.cache.prefix or "."
                dirty: set[str] = set()
                for path in self.cache.git.tracked_changes(spec):
                    rel = layout.from_repo(self.cache.prefix, path)
                    if rel is not None:
                        dirty.add(rel)
                self._dirty = dirty
            except BaseException as exc:  # re-raised in the caller's thread
                self._error = exc

        self._thread = threading.Thread(target=ask, name="modelyard-git-status", daemon=True)
        self._thread.start()

    def dirty(self) -> set[str]:
        """Registry paths that differ from HEAD in the index or the working tree."""
        if self._thread is None:
            self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise GitError(f"git status failed while checking the working tree: {self._error}")
        assert self._dirty is not None
        return self._dirty

    # -- reading and writing ------------------------------------------------------------------
    def known(self, kinds: Iterable[str]) -> Iterator[list[Known]]:
        """HEAD's files of `kinds` that are unchanged on disk, with their stored outcome when
        this path and content were checked before; a page at a time, in path order (there
        are 200,000 of them in a large registry)."""
        dirty = self.dirty()
        cache = self.cache
        cache.sync()
        wanted = sorted(set(kinds))
        marks = ",".join("?" * len(wanted))
        last = ""
        while True:
            # a page at a time, each read whole: nothing stays open while the caller works;
            # in path order (`+` keeps sqlite on the primary key rather than the kind index)
            with cache.lock:
                rows = cache.db.execute(
                    "SELECT t.path, t.blob, t.kind, t.a, t.b, v.found, v.extra FROM tree t"
                    " LEFT JOIN verdicts v ON v.path=t.path AND v.blob=t.blob"
                    f" WHERE +t.kind IN ({marks}) AND t.path > ? ORDER BY t.path LIMIT 5000",
                    [*wanted, last],
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [row for row in rows if row[0] not in dirty] if dirty else rows

    def unchanged(self, kind: str, model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
        """HEAD's `kind` files that are unchanged on disk and whose content parsed and validated
        as `model`: path -> (blob id, the reader's data), from the derived index (storage's one
        reader made it, storage/files.py `read_record`), so that they need no parse again.
        Empty when the index cannot answer: the files are then read from disk."""
        dirty = self.dirty()
        try:
            found = self.cache.parsed_files(kind, model)
        except (sqlite3.Error, GitError, OSError):
            return {}
        return {rel: v for rel, v in found.items() if rel not in dirty}

    def store(self, rows: Iterable[tuple[str, str, str, str | None]]) -> None:
        """Remember (path, blob, outcome, extra) rows; a busy cache skips it (only speed is
        lost)."""
        batch = list(rows)
        if not batch:
            return
        db = self.cache.db
        with self.cache.lock, contextlib.suppress(sqlite3.Error):
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?)", batch)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def prune(self) -> None:
        """Forget outcomes of contents HEAD no longer has (a run that moved on, a deleted
        file), so the table holds about one row per committed file."""
        db = self.cache.db
        with self.cache.lock, contextlib.suppress(sqlite3.Error):
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "DELETE FROM verdicts WHERE NOT EXISTS (SELECT 1 FROM tree t"
                    " WHERE t.path=verdicts.path AND t.blob=verdicts.blob)"
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise


__all__ = ["Known", "Verdicts"]
