"""The registry on disk: finding it and reading records; every write goes through `mutate`
(storage/mutation.py)."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

from modelyard.domain.ids import is_valid_id
from modelyard.domain.limits import MAX_LOG_BYTES
from modelyard.domain.records import RegistrySettings
from modelyard.errors import (
    GitError,
    IndexBusy,
    RegistryNotFound,
    UnsafePath,
)
from modelyard.storage import files, journal, layout, safefs
from modelyard.storage.git import Git, Person, committable, parse_person
from modelyard.storage.indexsync import IndexBacklog, repair
from modelyard.storage.locate import discover, find_worktree
from modelyard.storage.mutation import Mutation, WriteLock

if TYPE_CHECKING:
    from modelyard.storage.cache import Cache


T = TypeVar("T", bound=BaseModel)


def _refuse_linked_root(root: Path) -> Path | None:
    """A registry folder that is a symbolic link inside its repository (`registry -> /etc`)
    would make every read leave the repository; a path to the repository may use links.
    Returns the working tree `root` is in, as given (None: not in one)."""
    given = Path(os.path.abspath(root))
    worktree = find_worktree(given)
    if (
        worktree is not None
        and given != worktree
        and not safefs.is_link_free(worktree, given.relative_to(worktree))
    ):
        raise RegistryNotFound(
            f"the registry folder {given.relative_to(worktree).as_posix()} "
            "is, or is inside, a symbolic link",
            action="make it a real folder of the repository (links are never followed)",
        )
    return worktree


class Registry:
    """One registry folder inside a git working tree. Cheap to open: reads need no git."""

    def __init__(self, root: Path, committed: bool = False) -> None:
        given = _refuse_linked_root(root)
        # read HEAD's records, not the working tree's: for a long-running server whose clone
        # changes only by its own commits and fetches (docs/performance.md, "Freshness")
        self.committed = committed
        self.root = Path(os.path.realpath(root))
        # the same folder when no link was resolved: its working tree is known already
        same = str(self.root) == os.path.abspath(root)
        worktree = given if same else find_worktree(self.root)
        self.worktree = worktree or self.root
        self.prefix = self.root.relative_to(self.worktree).as_posix() if worktree else ""
        if self.prefix == ".":
            self.prefix = ""
        self.in_git = worktree is not None
        self.git = Git(self.worktree)
        self._settings: RegistrySettings | None = None
        self._cache: Cache | bool | None = False  # False: not opened yet
        self._sparse: bool | None = None
        self._head: str | None = None  # the commit `reads_at_head` found the index at

    def fork(self) -> Registry:
        """A new Registry of the same folder, with nothing read yet, that skips the checks
        of its place this one made when it opened: a server opens one per request."""
        reg = object.__new__(Registry)
        reg.committed = self.committed
        reg.root, reg.worktree, reg.prefix, reg.in_git = (
            self.root,
            self.worktree,
            self.prefix,
            self.in_git,
        )
        reg.git = self.git.fork()
        reg._settings = None
        reg._cache = False
        reg._sparse = None
        reg._head = None
        return reg

    @classmethod
    def open(cls, explicit: str | os.PathLike[str] | None = None) -> Registry:
        reg = cls(discover(explicit))
        reg.finish_interrupted()
        return reg

    def finish_interrupted(self) -> list[str]:
        """Finish a mutation a crash interrupted (storage/journal.py): the repo paths brought
        in step with the branch. Costs one `stat` when there is none; a journal whose writer
        still holds the write lock is that writer's, and is left to it."""
        if not self.in_git or not journal.path(self.git).exists() or self.git.head() is None:
            return []
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.git.git_dir / "modelyard.lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            return []
        try:
            return self._replay_journal()
        finally:
            lock.release()

    def _replay_journal(self) -> list[str]:
        intent = journal.pending(self.git)
        return journal.replay(self.git, intent) if intent is not None else []

    # -- paths -----------------------------------------------------------------------
    def path(self, rel: str | os.PathLike[str]) -> Path:
        return self.root / rel

    def repo_path(self, rel: str | os.PathLike[str]) -> str:
        rel = Path(rel).as_posix()
        return layout.to_repo(self.prefix, rel)

    def rel_path(self, repo_path: str) -> str | None:
        """The registry path of a repository path (None: outside the registry)."""
        return layout.from_repo(self.prefix, repo_path)

    def display(self, rel: str | os.PathLike[str]) -> str:
        """How a file is named in messages: relative to the repository."""
        return self.repo_path(rel)

    # -- reading ---------------------------------------------------------------------
    @property
    def blob_cache(self) -> Cache | None:
        """The derived index under `.git/modelyard/` (storage/cache.py), or None without git
        or with MODELYARD_CACHE=0. Never the source of truth: answers are the same without it."""
        if self._cache is False:
            from modelyard.storage.cache import Cache

            self._cache = Cache.at(self.git, self.prefix, self.root) if self.in_git else None
        return self._cache  # type: ignore[return-value]

    def reads_at_head(self) -> bool:
        """True when this reads the committed state and the derived index already holds
        HEAD: reading one record by id is then a lookup and a parse, with no git and no
        catching up, short enough for a server to do in its event loop. This Registry's
        reads then answer as of that commit while the index holds it: open one per request."""
        cache = self.blob_cache if self.committed else None
        self._head = cache.current() if cache is not None else None
        return self._head is not None

    @property
    def settings(self) -> RegistrySettings:
        if self._settings is None:
            self._settings = self.read(layout.SETTINGS, RegistrySettings) or RegistrySettings()
        return self._settings

    def read_bytes(self, rel: str | os.PathLike[str]) -> bytes | None:
        """The bytes of a registry file, or None when it does not exist. Never follows a
        symbolic link and refuses a file over the size limit (storage/safefs.py), so nothing
        outside the repository is ever read."""
        data = safefs.read_file(self.root, rel, self.display(rel))
        if data is None and self.sparse:
            from modelyard.storage.clones import skipped_file

            return skipped_file(self.git, self.repo_path(rel))
        return data

    @property
    def sparse(self) -> bool:
        """A sparse checkout (a writer clone): records it leaves out are read from HEAD."""
        if self._sparse is None:
            self._sparse = self.in_git and (self.git.git_dir / "info" / "sparse-checkout").is_file()
        return self._sparse

    def read_logs(self, rel: str | os.PathLike[str]) -> str | None:
        """A run's logs: the whole file, or its last MAX_LOG_BYTES (where a failure is told)
        after one line saying how much came before. Logs that are a link (or not a file) are
        never read: the text says so instead."""
        if self.committed:
            committed = self._committed_bytes(Path(rel).as_posix())
            if committed is not None:
                data, present = committed
                if not present:
                    return None
                skipped = max(0, len(data) - MAX_LOG_BYTES)
                return self._logs_text(rel, data[skipped:], skipped)
        try:
            found = safefs.read_tail(self.root, rel, MAX_LOG_BYTES, self.display(rel))
        except UnsafePath as exc:
            # the run itself is fine: show why its logs are not, rather than fail every listing
            return f"[modelyard: {exc.problems[0]}; not read]\n"
        if found is None:
            return None
        return self._logs_text(rel, *found)

    def _committed_bytes(self, rel: str) -> tuple[bytes, bool] | None:
        """HEAD's bytes of a file that is not a record (a run's logs) and whether HEAD has it
        as a regular file, from the derived index's list of HEAD's files: no look at the
        working tree, which for 100,000 run folders means a disk read for each folder not
        looked at lately. None when the index cannot say (no index, an error) or HEAD has a
        link or a submodule there."""
        cache = self.blob_cache
        if cache is None:
            return None
        try:
            blob, other = cache.head_blob(rel, self._head)
            if blob is None:
                # a link or a submodule is left to the reader of files, which says why it is
                # not shown
                return None if other else (b"", False)
            data = self.git.cat_blobs([blob]).get(blob)
        except (sqlite3.Error, GitError, OSError):
            return None
        return None if data is None else (data, True)

    def _logs_text(self, rel: str | os.PathLike[str], data: bytes, skipped: int) -> str:
        if not skipped:
            return data.decode("utf-8", errors="replace")
        cut = data.find(b"\n")
        if 0 <= cut < len(data) - 1:
            skipped, data = skipped + cut + 1, data[cut + 1 :]  # start at a whole line
        note = f"[modelyard: the first {skipped:,} bytes of {self.display(rel)} are not shown]\n"
        return note + data.decode("utf-8", errors="replace")

    def read(self, rel: str | os.PathLike[str], model: type[T]) -> T | None:
        """The record in `rel`, or None when the file does not exist."""
        if self.committed:
            found = self._read_committed(Path(rel).as_posix(), model)
            if found is not None:
                return found
        data = self.read_bytes(rel)
        if data is None:
            return None
        return files.parse_text(data, model, self.display(rel))

    def _read_committed(self, rel: str, model: type[T]) -> T | None:
        cache = self.blob_cache
        if cache is None:
            return None
        try:
            hit, data = cache.head_data(rel, model, self._head)
            return model.model_validate(data) if hit else None
        except (sqlite3.Error, GitError, OSError, ValidationError):
            return None  # read from disk, which reports a problem with its place in the file

    def read_at(self, rel: str | os.PathLike[str], model: type[T], **expect: str) -> T | None:
        """`read`, and the fields its place fixes (`id=...`) must hold those values."""
        found = self.read(rel, model)
        if found is not None and any(getattr(found, k) != v for k, v in expect.items()):
            files.check_place(found, expect, self.read_bytes(rel) or b"", self.display(rel))
        return found

    def ids_in(self, folder: str) -> list[str]:
        """Sorted names of the id-named sub-folders of `folder`."""
        return sorted(
            e.name
            for e in self._entries(folder)
            if is_valid_id(e.name) and e.is_dir(follow_symlinks=False)
        )

    def run_locations(self) -> Iterator[tuple[str, str]]:
        """(shard, run_id) of every run folder, newest shard first."""
        for shard in sorted(self._subdirs(layout.RUNS), reverse=True):
            for run_id in sorted(self.ids_in(f"{layout.RUNS}/{shard}"), reverse=True):
                yield shard, run_id

    def snapshot_ids(self, model_id: str) -> list[str]:
        folder = (layout.model_dir(model_id) / layout.MONITORING).as_posix()
        names = [
            e.name[:-5]
            for e in self._entries(folder)
            if e.name.endswith(".yaml") and e.is_file(follow_symlinks=False)
        ]
        return sorted(n for n in names if is_valid_id(n))

    def _subdirs(self, folder: str) -> list[str]:
        return [
            e.name
            for e in self._entries(folder)
            if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)
        ]

    def _entries(self, folder: str) -> list[os.DirEntry[str]]:
        """The entries of a registry folder; none when it is missing or is (or lies in) a
        symbolic link, so that no listing shows what is outside the repository. Links are
        reported by `modelyard validate` and refused by every read."""
        if not safefs.is_link_free(self.root, folder):
            return []
        try:
            with os.scandir(self.path(folder)) as it:
                return list(it)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def write_lock(self) -> object:
        """The registry's cross-process write lock, acquired (`.release()` it): every
        mutation, and the batched index update of a server, hold it."""
        return WriteLock.acquire(self.git.git_dir)

    def flush_index(self) -> IndexBusy | None:
        """Bring git's index in step with the commits this process made without it (a
        server's, storage/indexsync.py); the problem when the index is still locked."""
        backlog = IndexBacklog.of(self.git)
        if not len(backlog):
            return None
        # under the write lock: a gateway's branch move (rebased onto upstream) updates the
        # index too, and an update computed from the HEAD before it would undo that
        lock = self.write_lock()
        try:
            return backlog.flush(self.git)
        finally:
            lock.release()  # type: ignore[attr-defined]

    def repair_index(self) -> list[str]:
        """Index entries a crash left behind HEAD (the file on disk is HEAD's), brought in
        step; the paths repaired. For a server's start-up."""
        if not self.in_git or self.git.head() is None:
            return []
        lock = self.write_lock()
        try:
            return repair(self.git, self.prefix)
        finally:
            lock.release()  # type: ignore[attr-defined]

    # -- freshness -------------------------------------------------------------------
    def fingerprint(self) -> tuple[object, ...]:
        """A value that changes whenever what this registry reads may have: HEAD's commit
        when reading the committed state; with the working tree, also git's index and the
        stat of the settings, recipe and model files and of the run shards."""
        head = self.git.current_head() if self.in_git else None
        parts: list[object] = [head]
        if self.committed and head is not None:
            return tuple(parts)
        if self.in_git:
            parts.append(_stat(self.git.git_dir / "index"))
        parts.append(_stat(self.path(layout.SETTINGS)))
        for folder in (layout.RECIPES, layout.MODELS):
            for dirpath, dirnames, filenames in os.walk(self.path(folder)):
                dirnames[:] = [d for d in dirnames if d != layout.MONITORING]
                parts.append((dirpath, _stat(Path(dirpath))))
                parts.extend((dirpath, n, _stat(Path(dirpath) / n)) for n in filenames)
        parts.append(_stat(self.path(layout.RUNS)))
        parts.extend(
            (shard, _stat(self.path(f"{layout.RUNS}/{shard}")))
            for shard in self._subdirs(layout.RUNS)
        )
        return tuple(parts)

    # -- writing ---------------------------------------------------------------------
    def mutate(self, message: str, author: str | None = None) -> Mutation:
        """The one path for every write: lock, check, write atomically, commit, release."""
        return Mutation(self, message, author)

    def author(
        self, created_by: str | None, user: tuple[str | None, str | None] | None = None
    ) -> Person | None:
        """The commit author a request names; None (git's own user) when it names nobody."""
        if not created_by or not created_by.strip():
            return None
        name, email = user if user is not None else self.git.user()
        email = email or ""
        text = re.sub(r"[\x00-\x1f\x7f]", " ", created_by).strip()  # no identity holds these
        person = parse_person(text, default_email=email if created_by == name else "")
        # git refuses a name it cannot hold (`.`, `<>`, a control character): the commit is
        # then authored by git's user rather than failing; the record keeps the text as given
        return committable(person)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
