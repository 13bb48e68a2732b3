"""A derived index of the registry, kept under `.git/modelyard/`, that is never the source of truth.

Parsing YAML is what makes a large registry slow, so the cache keeps every parsed file
keyed by its git blob id: content-addressed, so a committed file can never be served
stale. What it answers with is always "the working tree", assembled as

- the files of HEAD (a path -> blob table, brought up to date with `git diff-tree`
  from the commit it last saw, or rebuilt with `git ls-tree` when that commit is gone),
- less every path that differs from HEAD in the index or on disk, and plus every new
  file (storage/worktree.py finds both), which the caller reads from disk directly.

Records are stored as the plain data the YAML reader produced; the caller validates them
with the current code, so a cached file gives the very record (or error) a fresh read
gives. The manifest history (`storage/history.py`) is cached by HEAD and extended with
`git log OLD..HEAD` when HEAD moved forward without merges.

sqlite (WAL mode, `BEGIN IMMEDIATE` for writes) keeps two processes safe; any problem
with the cache file turns the cache off for that process instead of failing. Deleting
`.git/modelyard/cache.sqlite3` changes no answer, only speed. MODELYARD_CACHE=0 turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from modelyard.errors import GitError
from modelyard.storage import cache_fill, layout
from modelyard.storage.cache_log import ChangeLog
from modelyard.storage.cache_rows import _LAZY, Row, classify, containers
from modelyard.storage.git import Git
from modelyard.storage.gitraw import ZERO, RawChange

if TYPE_CHECKING:
    from modelyard.storage.worktree import View

ENV_CACHE = "MODELYARD_CACHE"
_OPEN: dict[tuple[int, str, str, str], Cache] = {}
_OPEN_LOCK = threading.Lock()
FILE = "cache.sqlite3"
SCHEMA = 1


def _code_key() -> str:
    """Cached data comes from the YAML reader, the records' schema, and (for version records)
    manifest resolution and diffs; a change to any of that code empties the cache."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha1(str(SCHEMA).encode())
    domain = here.parent / "domain"
    for path in (
        here / "yamlio.py",
        here / "layout.py",
        here / "cache.py",
        here / "cache_rows.py",
        here / "cache_fill.py",
        here / "cache_log.py",
        here / "gitraw.py",
        here / "history.py",
        domain / "records.py",
        domain / "kinds.py",
        domain / "enums.py",
        domain / "ids.py",
        domain / "timefmt.py",
        domain / "resolve.py",
        domain / "semver.py",
        here.parent / "ops" / "history.py",
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _inode(path: str | os.PathLike[str]) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _cache_name(git: Git) -> str:
    # a plain string: a server asks for it on every request
    return os.path.join(git.git_dir, "modelyard", FILE)


def cache_file(git: Git) -> Path:
    """Where a repository's derived index lives: `.git/modelyard/cache.sqlite3`."""
    return Path(_cache_name(git))


def enabled() -> bool:
    return os.environ.get(ENV_CACHE, "1").strip().lower() not in ("0", "off", "no", "false")


class Cache(ChangeLog):
    """The index of one registry. Open with `Cache.of(reg)`; None when it cannot be used."""

    def __init__(self, git: Git, prefix: str, path: Path, root: Path) -> None:
        self.git = git
        self.root = root
        self.prefix = prefix
        self.path = path
        # one connection, shared by the threads of a process (a server reads from several at
        # once) under `lock`; sqlite's WAL mode lets other processes read while one writes
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.inode = _inode(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._setup()

    @classmethod
    def at(cls, git: Git, prefix: str, root: Path) -> Cache | None:
        """The cache of this repository, opened once per process (every Registry object of a
        long-running server shares it, so it holds one connection, not one per request)."""
        if not enabled():
            return None
        try:
            name = _cache_name(git)
        except GitError:  # a cache that cannot open is no cache, not a failure
            return None
        key = (os.getpid(), name, prefix, str(root))
        with _OPEN_LOCK:
            found = _OPEN.get(key)
            if found is not None and _inode(name) == found.inode:
                return found  # the same file: not deleted or replaced since it was opened
            path = Path(name)
            try:
                path.parent.mkdir(exist_ok=True)
            except OSError:
                return None
            for attempt in (1, 2):
                try:
                    found = cls(git, prefix, path, root)
                    _OPEN[key] = found
                    return found
                except sqlite3.DatabaseError:
                    if attempt == 2 or not path.is_file():
                        return None
                    # not a database (a crash, a bad copy): it is only derived data, so start again
                    for extra in ("", "-wal", "-shm"):
                        Path(f"{path}{extra}").unlink(missing_ok=True)
                except (OSError, sqlite3.Error):
                    return None
        return None

    # -- schema ----------------------------------------------------------------------------
    def _setup(self) -> None:
        key = _code_key()
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)")
            found = db.execute("SELECT value FROM meta WHERE key='code'").fetchone()
            if found is None or found[0] != key:
                for table in ("tree", "records", "changes", "dirs", "other"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute("DELETE FROM meta")
                db.execute("INSERT INTO meta VALUES ('code', ?)", (key,))
            # HEAD's files; ok and f1..f4 are copied from `records` once the blob is parsed
            db.execute(
                "CREATE TABLE IF NOT EXISTS tree(path TEXT PRIMARY KEY, blob TEXT NOT NULL,"
                " kind TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL, ok INT,"
                " f1 TEXT, f2 TEXT, f3 TEXT, f4 TEXT, sig TEXT)"
                " WITHOUT ROWID"
            )
            db.execute("CREATE INDEX IF NOT EXISTS tree_kind ON tree(kind, a, b)")
            db.execute("CREATE INDEX IF NOT EXISTS tree_f1 ON tree(kind, f1)")
            db.execute("CREATE INDEX IF NOT EXISTS tree_f2 ON tree(kind, f2)")
            db.execute("CREATE INDEX IF NOT EXISTS tree_todo ON tree(kind, ok)")
            # HEAD's entries under the registry that are not regular files (links, submodules)
            db.execute("CREATE TABLE IF NOT EXISTS other(path TEXT PRIMARY KEY) WITHOUT ROWID")
            # folders whose new entries were last looked for (see worktree.py)
            db.execute(
                "CREATE TABLE IF NOT EXISTS dirs(folder TEXT NOT NULL, kind TEXT NOT NULL,"
                " mtime INT NOT NULL, scanned INT NOT NULL, found TEXT NOT NULL,"
                " PRIMARY KEY(folder, kind)) WITHOUT ROWID"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS records(blob TEXT NOT NULL, kind TEXT NOT NULL,"
                " ok INT NOT NULL, data TEXT, f1 TEXT, f2 TEXT, f3 TEXT, f4 TEXT,"
                " PRIMARY KEY(blob, kind)) WITHOUT ROWID"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS changes(seq INTEGER PRIMARY KEY, sha TEXT, name TEXT,"
                " email TEXT, date TEXT, message TEXT, recipe_id TEXT, blob TEXT)"
            )
            # one recipe's history is its own rows, in log order
            db.execute("CREATE INDEX IF NOT EXISTS changes_recipe ON changes(recipe_id, seq)")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    # -- HEAD's files --------------------------------------------------------------------------

    def rel(self, repo_path: str) -> str | None:
        return layout.from_repo(self.prefix, repo_path)

    def current(self) -> str | None:
        """HEAD's commit when the index holds it already and no other thread is using it, so
        a read of one record costs a lookup and a parse now; None when it would first have to
        catch up (a commit or a fetch since) or wait for another thread."""
        if not self.lock.acquire(blocking=False):
            return None
        try:
            head = self.git.current_head()
            return head if head and self._meta("tree") == head else None
        except sqlite3.Error:
            return None
        finally:
            self.lock.release()

    def _sync_locked(self, known: str | None = None) -> None:
        """Bring the path -> blob table to HEAD: a diff from the commit it holds, or a full
        listing. `known`: a commit HEAD was at a moment ago (`current`); when the index still
        holds it, a read of one request answers from it without asking HEAD again."""
        if known is not None and self._meta("tree") == known:
            return
        # HEAD is asked every time: a long-lived process sees other processes' commits
        head = self.git.current_head() or ""
        if self._meta("tree") == head:
            return
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            old = self._meta(
                "tree"
            )  # again, inside the write lock: another process may have synced
            if old != head:
                spec = [self.prefix] if self.prefix else []
                # None when that commit is gone (gc after a rebase): list it all then
                diff = self.git.diff_tree(old, head, *spec) if old and head else None
                if diff is not None:
                    self._apply_diff(diff)
                else:
                    db.execute("DELETE FROM tree")
                    if head:
                        out = self.git.run(
                            "ls-tree", "-r", "-z", "--full-tree", head, "--", *spec
                        ).stdout
                        self._apply_listing(out)
                self._tree_is(head)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _tree_is(self, head: str) -> None:
        """The path table holds `head`'s files now; every kind's parse is to be checked again."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('tree', ?)", (head,))
        self.db.execute("DELETE FROM meta WHERE key LIKE 'filled:%'")

    def _rows_for(
        self, items: Iterable[tuple[str, str]]
    ) -> Iterator[tuple[str, str, str, str, str]]:
        # a generator: 200,000 rows go to sqlite without being held in a list first
        for repo_path, blob in items:
            rel = self.rel(repo_path)
            if rel is not None:
                yield (rel, blob, *classify(rel))

    def _apply_listing(self, out: bytes) -> None:
        others: list[tuple[str]] = []

        def items() -> Iterable[tuple[str, str]]:
            for entry in out.decode("utf-8", "surrogateescape").split("\0"):
                if not entry:
                    continue
                meta, _, path = entry.partition("\t")
                mode, otype, sha = meta.split()
                if otype == "blob" and mode != "120000":
                    yield path, sha
                elif (rel := self.rel(path)) is not None:
                    others.append((rel,))  # a link or a submodule

        self.db.executemany(
            "INSERT OR REPLACE INTO tree(path, blob, kind, a, b) VALUES (?,?,?,?,?)",
            self._rows_for(items()),
        )
        self.db.execute("DELETE FROM dirs")
        self.db.execute("DELETE FROM other")
        self.db.executemany("INSERT OR REPLACE INTO other(path) VALUES (?)", others)

    def _apply_diff(self, diff: list[RawChange]) -> None:
        gone = [c.path for c in diff if c.gone]
        present = [(c.path, c.new_sha) for c in diff if not c.gone]
        gone_rel = [r for p in gone if (r := self.rel(p)) is not None]
        self.db.executemany("DELETE FROM tree WHERE path=?", [(r,) for r in gone_rel])
        rows = list(self._rows_for(present))
        self.db.executemany(
            "INSERT OR REPLACE INTO tree(path, blob, kind, a, b) VALUES (?,?,?,?,?)", rows
        )
        touched = [(r,) for c in diff if (r := self.rel(c.path)) is not None]
        self.db.executemany("DELETE FROM other WHERE path=?", touched)
        self.db.executemany(
            "INSERT OR REPLACE INTO other(path) VALUES (?)",
            [
                (r,)
                for c in diff
                if c.gone and not c.status.startswith("D") and (r := self.rel(c.path)) is not None
            ],
        )
        # what HEAD lists under a folder changed: its remembered scan for new files is void
        folders = set().union(*(containers(rel) for rel in (*gone_rel, *(r[0] for r in rows))))
        self.db.executemany("DELETE FROM dirs WHERE folder=?", [(f,) for f in folders])

    # -- parsed records -------------------------------------------------------------------------
    def view(self, kind: str, *specs: str, glob: bool = False, committed: bool = False) -> View:
        """The working tree's `kind` files, which live under `specs` (registry-relative
        folders, or glob patterns); with `committed`, HEAD's files alone."""
        from modelyard.storage.worktree import View

        return View(self, kind, specs, glob, committed)

    def _fill_locked(self, kind: str, model: type[BaseModel]) -> None:
        """Parse every blob of `kind` in HEAD that is not cached yet (one `git cat-file --batch`)
        and copy its filter columns into the tree table."""
        if self._meta(f"filled:{kind}") == self._meta("tree"):
            return
        todo = self.db.execute(
            "SELECT blob, min(path) FROM tree WHERE kind=? AND ok IS NULL GROUP BY blob", (kind,)
        ).fetchall()
        if todo:
            blobs = [b for (b, _) in todo]
            known: set[str] = set()
            for i in range(0, len(blobs), 500):
                chunk = blobs[i : i + 500]
                marks = ",".join("?" * len(chunk))
                known.update(
                    b
                    for (b,) in self.db.execute(
                        f"SELECT blob FROM records WHERE kind=? AND blob IN ({marks})",
                        [kind, *chunk],
                    )
                )
            missing = [b for b in blobs if b not in known]
            # in chunks, so that a first fill of 100,000 files does not hold them all at once;
            # parsed in forked workers when the caller asked for them (storage/cache_fill.py)
            where = dict(todo)  # a path of HEAD's that holds each blob
            cache_fill.fill(
                kind,
                model,
                [(b, str(self.root / where[b])) for b in missing],
                self.git.cat_blobs,
                self._insert,
            )
        # sqlite picks the filter indexes (a model's 20 runs among 100,000) only when it has
        # statistics; gather them once, and again after a large change
        stale = (
            len(todo) > 5000
            or not self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE name='sqlite_stat1'"
            ).fetchone()
        )
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "UPDATE tree SET ok=r.ok, f1=r.f1, f2=r.f2, f3=r.f3, f4=r.f4 FROM records r"
                " WHERE tree.kind=? AND tree.ok IS NULL AND r.blob=tree.blob AND r.kind=tree.kind",
                (kind,),
            )
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, (SELECT value FROM meta WHERE key='tree'))",
                (f"filled:{kind}",),
            )
            if stale:
                db.execute("ANALYZE tree")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _store(
        self, kind: str, model: type[BaseModel], blobs: dict[str, bytes], dump: bool = False
    ) -> dict[str, Any | None]:
        rows, out = cache_fill.rows_of(kind, model, blobs, dump)
        self._insert(rows)
        return out

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("INSERT OR IGNORE INTO records VALUES (?,?,?,?,?,?,?,?)", rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _data_locked(self, rows: list[Row], kind: str) -> None:
        """Load the cached data of `rows` that have it (only the ones about to be shown)."""
        wanted = [r for r in rows if r.data is _LAZY]
        if not wanted:
            return
        found: dict[str, str] = {}
        blobs = list({r.blob for r in wanted if r.blob})
        for i in range(0, len(blobs), 500):
            chunk = blobs[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                self.db.execute(
                    f"SELECT blob, data FROM records WHERE kind=? AND blob IN ({marks})",
                    [kind, *chunk],
                ).fetchall()
            )
        for r in wanted:
            text = found.get(r.blob or "")
            r.data = json.loads(text) if text is not None else None

    def _get_json_locked(self, kind: str, key: str) -> Any | None:
        """A derived value stored under `key` (a digest of everything it depends on)."""
        row = self.db.execute(
            "SELECT data FROM records WHERE blob=? AND kind=? AND ok=1", (key, kind)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def _put_json_locked(self, kind: str, key: str, value: Any) -> None:
        with contextlib.suppress(sqlite3.Error):  # only an optimisation: a busy cache skips it
            self.db.execute(
                "INSERT OR IGNORE INTO records(blob, kind, ok, data) VALUES (?,?,1,?)",
                (key, kind, json.dumps(value, separators=(",", ":"))),
            )

    # -- the public methods, each under the lock ---------------------------------------------------
    def sync(self) -> None:
        """Bring the path -> blob table to HEAD: a diff from the commit it holds, or a full
        listing."""
        with self.lock:
            self._sync_locked()

    def advanced(self, parent: str | None, commit: str, blobs: Mapping[str, str | None]) -> None:
        """This process moved HEAD from `parent` to `commit` by setting `blobs` ({repo path:
        blob id, None where removed}): the path table follows without comparing any trees,
        if it was at `parent` (else the next read compares them, as for anyone's commit)."""
        changes = [
            RawChange("100644", "000000", ZERO, ZERO, "D", path)
            if blob is None
            else RawChange("100644", "100644", ZERO, blob, "M", path)
            for path, blob in blobs.items()
        ]
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if parent and self._meta("tree") == parent:
                    self._apply_diff(changes)
                    self._tree_is(commit)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def fill(self, kind: str, model: type[BaseModel]) -> None:
        """Parse every blob of `kind` in HEAD that is not cached yet."""
        with self.lock:
            self._fill_locked(kind, model)

    def parsed_files(self, kind: str, model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
        """HEAD's `kind` files that parsed and validated: path -> (blob id, the reader's data),
        every blob parsed at most once, ever (brought to HEAD and filled first)."""
        with self.lock:
            self._sync_locked()
            self._fill_locked(kind, model)
            rows = self.db.execute(
                "SELECT t.path, t.blob, r.data FROM tree t JOIN records r"
                " ON r.blob=t.blob AND r.kind=t.kind WHERE t.kind=? AND r.ok=1",
                (kind,),
            ).fetchall()
        return {path: (blob, json.loads(text)) for path, blob, text in rows}

    def first_filter_values(self, paths: list[str], kind: str) -> dict[str, str]:
        """HEAD's `f1` (the first filter field) of the `kind` files at `paths` that parsed
        and validated, by path; paths without one are left out."""
        out: dict[str, str] = {}
        with self.lock:
            for i in range(0, len(paths), 500):
                chunk = paths[i : i + 500]
                marks = ",".join("?" * len(chunk))
                out.update(
                    self.db.execute(
                        f"SELECT path, f1 FROM tree WHERE kind=? AND ok=1 AND f1 IS NOT NULL"
                        f" AND path IN ({marks})",
                        [kind, *chunk],
                    ).fetchall()
                )
        return out

    def data(self, rows: list[Row], kind: str) -> None:
        """Load the cached data of `rows` that have it (only the ones about to be shown)."""
        with self.lock:
            self._data_locked(rows, kind)

    def changes(
        self,
        head: str,
        compute: Callable[[str | None], list[tuple[Any, ...]]],
        recipes: list[str] | None = None,
    ) -> list[tuple[Any, ...]]:
        """The manifest log up to `head`, of `recipes` only when given (see `_changes_locked`)."""
        with self.lock:
            return self._changes_locked(head, compute, recipes)

    def manifest_data(self, blobs: Iterable[str], model: type[BaseModel]) -> dict[str, Any | None]:
        """Each manifest blob's validated record as JSON data, by blob id."""
        with self.lock:
            return self._manifest_data_locked(blobs, model)

    def head_data(
        self, rel: str, model: type[BaseModel], known: str | None = None
    ) -> tuple[bool, Any]:
        """(True, the parsed data of `rel` as HEAD has it) when HEAD has the file and it
        parses; (False, None) otherwise (not in HEAD, a link, broken), for the caller to read
        from disk, which reports the problem. One blob is parsed at most once, ever."""
        with self.lock:
            self._sync_locked(known)
            # one query: the path's blob and, when it was parsed before, what it held
            row = self.db.execute(
                "SELECT t.blob, t.kind, r.ok, r.data FROM tree t LEFT JOIN records r"
                " ON r.blob=t.blob AND r.kind=t.kind WHERE t.path=?",
                (rel,),
            ).fetchone()
            if row is None:
                return False, None
            blob, kind, ok, text = row
            if ok is None:
                data = self._store(kind, model, self.git.cat_blobs([blob])).get(blob)
            else:
                data = json.loads(text) if ok else None
        return data is not None, data

    def head_blob(self, rel: str, known: str | None = None) -> tuple[str | None, bool]:
        """What HEAD has at `rel`: (its blob id, False) for a regular file, (None, True) for
        something else (a link, a submodule), (None, False) for nothing."""
        with self.lock:
            self._sync_locked(known)
            row = self.db.execute(
                "SELECT blob FROM tree WHERE path=? UNION ALL SELECT NULL FROM other WHERE path=?",
                (rel, rel),
            ).fetchone()
        if row is None:
            return None, False
        return (None, True) if row[0] is None else (str(row[0]), False)

    def get_json(self, kind: str, key: str) -> Any | None:
        """A derived value stored under `key`; None when absent or the cache cannot answer
        (a busy or broken cache only costs the recomputation)."""
        with self.lock:
            try:
                return self._get_json_locked(kind, key)
            except sqlite3.Error:
                return None

    def put_json(self, kind: str, key: str, value: Any) -> None:
        """Store a derived value under `key` (a digest of everything it depends on)."""
        with self.lock:
            self._put_json_locked(kind, key, value)

    def close(self) -> None:
        with self.lock, _OPEN_LOCK:
            for key, value in list(_OPEN.items()):
                if value is self:
                    del _OPEN[key]
            self.db.close()


__all__ = ["FILE", "Cache", "Row", "cache_file", "enabled"]
