"""The cache's manifest log (`changes`) and parsed manifests: kept for one HEAD, extended
with `git log OLD..HEAD` when HEAD moved forward without merges, and indexed by recipe so
one recipe's history is its own rows. A mixin of `Cache`, which holds the connection."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from modelyard.storage.git import Git


class ChangeLog:
    """The manifest-history half of `Cache` (its callers hold `Cache.lock`)."""

    db: sqlite3.Connection
    git: Git
    lock: threading.RLock

    def _meta(self, key: str) -> str | None:
        raise NotImplementedError

    def _store(
        self, kind: str, model: type[BaseModel], blobs: dict[str, bytes], dump: bool = False
    ) -> dict[str, Any | None]:
        raise NotImplementedError

    def _changes_locked(
        self,
        head: str,
        compute: Callable[[str | None], list[tuple[Any, ...]]],
        recipes: list[str] | None = None,
    ) -> list[tuple[Any, ...]]:
        """The manifest log up to `head` (only the rows of `recipes` when given): cached,
        extended from the cached commit when HEAD only moved forward (no merges in between),
        else recomputed by `compute(None)`."""
        cached = self._meta("changes")
        if cached == head:
            return self._change_rows(recipes)
        base: str | None = None
        if cached and self._linear(cached, head):
            base = cached
        new = compute(base)
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if self._meta("changes") == cached:
                if base is None:
                    db.execute("DELETE FROM changes")
                db.executemany(
                    "INSERT INTO changes(sha, name, email, date, message, recipe_id, blob)"
                    " VALUES (?,?,?,?,?,?,?)",
                    new,
                )
                db.execute("INSERT OR REPLACE INTO meta VALUES ('changes', ?)", (head,))
                db.execute("COMMIT")
            else:  # another process moved it meanwhile: answer from what we computed
                db.execute("ROLLBACK")
                return _only(compute(None) if base is not None else new, recipes)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if base is None:
            return _only(new, recipes)
        return self._change_rows(recipes)

    def _change_rows(self, recipes: list[str] | None) -> list[tuple[Any, ...]]:
        columns = "SELECT sha, name, email, date, message, recipe_id, blob FROM changes"
        if recipes is None:
            return self.db.execute(f"{columns} ORDER BY seq").fetchall()
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(recipes), 500):
            chunk = recipes[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows += self.db.execute(
                f"SELECT seq, sha, name, email, date, message, recipe_id, blob FROM changes"
                f" WHERE recipe_id IN ({marks})",
                chunk,
            ).fetchall()
        return [row[1:] for row in sorted(rows)]

    def _linear(self, old: str, new: str) -> bool:
        """Whether `new` is `old` plus a chain of single-parent commits."""
        return bool(self.git.objects.chain(old, new))

    def _manifest_data_locked(
        self, blobs: Iterable[str], model: type[BaseModel]
    ) -> dict[str, Any | None]:
        """Each manifest blob's validated record as JSON data (`model_dump(mode="json")`), by blob
        id (None: it did not parse), parsing only what is new."""
        wanted = list(dict.fromkeys(blobs))
        out: dict[str, Any | None] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for blob, ok, data in self.db.execute(
                "SELECT blob, ok, data FROM records"
                f" WHERE kind='manifest-json' AND blob IN ({marks})",
                chunk,
            ):
                out[blob] = json.loads(data) if ok else None
        missing = [b for b in wanted if b not in out]
        for i in range(0, len(missing), 2000):
            out.update(
                self._store(
                    "manifest-json", model, self.git.cat_blobs(missing[i : i + 2000]), dump=True
                )
            )
        return out


def _only(rows: list[tuple[Any, ...]], recipes: list[str] | None) -> list[tuple[Any, ...]]:
    """The log rows (recipe id in column 5) of `recipes`; all of them when None."""
    if recipes is None:
        return rows
    keep = set(recipes)
    return [row for row in rows if row[5] in keep]
