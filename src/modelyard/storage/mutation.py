"""The one path every write takes: the write lock, then a mutation's commit made as objects,
journaled, put on the branch, and only then the working tree and git's index brought to it
(storage/journal.py finishes what a crash interrupts). A `WriteGroup` lets one thread make
many mutations, each still its own commit, under one hold of the lock and one journal."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar

from modelyard.domain.timefmt import to_utc
from modelyard.errors import DirtyTree, GitError, IndexBusy, LockTimeout, UnsafePath
from modelyard.storage import failpoints, files, groupmemo, journal, layout, safefs
from modelyard.storage.git import Git, Prepared
from modelyard.storage.indexsync import IndexBacklog, sync_to_commit

if TYPE_CHECKING:
    from modelyard.storage.registry import Registry

ENV_LOCK_TIMEOUT = "MODELYARD_LOCK_TIMEOUT"


def clock() -> datetime:
    """Now, in UTC; GIT_AUTHOR_DATE (ISO 8601 or `@epoch`) wins, so records and commits agree."""
    forced = os.environ.get("GIT_AUTHOR_DATE")
    if forced:
        text = forced.strip()
        try:
            if text.startswith("@"):
                return datetime.fromtimestamp(int(text[1:].split()[0]), UTC)
            return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            pass
    return datetime.now(UTC).replace(microsecond=0)


class WriteLock:
    """The write lock: a thread lock for the writers of this process, then git's directory's
    `modelyard.lock` for other processes. Threads queue on the thread lock, which hands over
    the moment it is released; a file lock's waiters only poll (every POLL_SECONDS), so a
    server's writers waiting on the file alone would each sleep a poll interval per write."""

    POLL_SECONDS = 0.01
    _threads: ClassVar[dict[Path, threading.Lock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, threads: threading.Lock, file: object) -> None:
        self._thread_lock = threads
        self._file = file

    @classmethod
    def acquire(cls, git_dir: Path) -> WriteLock:
        from filelock import FileLock, Timeout

        timeout = float(os.environ.get(ENV_LOCK_TIMEOUT, "60"))
        with cls._guard:
            threads = cls._threads.setdefault(git_dir, threading.Lock())
        started = time.monotonic()
        if not threads.acquire(timeout=timeout if timeout >= 0 else -1):
            raise _lock_timeout(timeout)
        try:
            file = FileLock(str(git_dir / "modelyard.lock"))
            left = -1.0 if timeout < 0 else max(0.0, timeout - (time.monotonic() - started))
            file.acquire(timeout=left, poll_interval=cls.POLL_SECONDS)
        except Timeout:
            threads.release()
            raise _lock_timeout(timeout) from None
        except BaseException:
            threads.release()
            raise
        return cls(threads, file)

    def release(self) -> None:
        try:
            self._file.release()  # type: ignore[attr-defined]
        finally:
            self._thread_lock.release()


def _lock_timeout(timeout: float) -> LockTimeout:
    return LockTimeout(
        f"another modelyard process has held the registry's write lock for over {timeout:g} s",
        action=f"wait for it to finish, or raise {ENV_LOCK_TIMEOUT}",
    )


SYNC_THREADS = 8


def refuse_links(reg: Registry, rels: Iterable[str]) -> None:
    """Refuse a write to any of `rels` through a symbolic link: it would put the file
    outside the repository."""
    for rel in rels:
        if not safefs.is_link_free(reg.root, rel):
            raise UnsafePath(reg.display(rel), f"{safefs.IN_PATH}; nothing was written")


def refuse_dirty(dirty: Collection[str], why: str, action: str) -> None:
    """Refuse a write when any of its paths has uncommitted changes (`dirty`), naming them;
    `why` ends the sentence (" that this would overwrite")."""
    if dirty:
        listed = ", ".join(sorted(dirty)[:5])
        verb = "has" if len(dirty) == 1 else "have"
        raise DirtyTree(f"{listed} {verb} uncommitted changes{why}", action=action)


# the kinds whose files are named by a new random id (a run's, a snapshot's)
_RANDOM_IDS = frozenset({"run", "logs", "snapshot"})


def _new_by_id(reg: Registry, rels: Iterable[str]) -> bool:
    """Whether every path is a new run's or snapshot's file: nothing on disk at it, nor in
    HEAD. Nothing uncommitted can be at a path named by an id made a moment ago, so git's
    index (35 MB in a registry of 100,000 runs, read whole by `git status`) need not be
    read to know; HEAD and the disk are asked as a server asks them."""
    for rel in rels:
        found = layout.kind_of(rel)
        if found is None or found[0] not in _RANDOM_IDS or os.path.lexists(reg.path(rel)):
            return False
    return True


def _locked(reg: Registry) -> object:
    """The registry's write lock, held, with what a crash left in the journal finished."""
    lock = reg.write_lock()
    try:
        reg._replay_journal()
    except BaseException:
        lock.release()  # type: ignore[attr-defined]
        raise
    return lock


class WriteGroup:
    """Several mutations made one after another by this thread under one hold of the write
    lock: each is still its own commit, its branch move and its files, but the lock is taken
    once and one journal (written, with its fsync, before the group's first branch move)
    covers every commit of the group, so a crash anywhere in it is finished like a single
    mutation's (storage/journal.py). The group's files are written without an fsync each
    and synced together when it ends, before the journal goes: until then the journal
    covers them. A server's committer uses it for writes that queue up; keep a group short,
    since other writers wait for the lock meanwhile.

        with WriteGroup(registry):
            ops.create_run(registry, ...)  # each opens its own Mutation as usual
    """

    _local = threading.local()

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.git_dir = registry.git.git_dir
        self.journaled = False
        self.keep = False  # a commit of the group left work for the journal: do not clear it
        self.unsynced: list[Path] = []  # files written without their fsync, synced at the end
        self._lock: object | None = None
        self._memo: contextlib.AbstractContextManager[None] | None = None

    @classmethod
    def active(cls, git_dir: Path) -> WriteGroup | None:
        """This thread's group on the repository at `git_dir`, if one is open."""
        group: WriteGroup | None = getattr(cls._local, "group", None)
        return group if group is not None and group.git_dir == git_dir else None

    def __enter__(self) -> WriteGroup:
        if getattr(self._local, "group", None) is not None:
            raise RuntimeError("a write group is open in this thread already")
        self._lock = _locked(self.registry)
        self._local.group = self
        self._memo = groupmemo.holding(self.git_dir)
        self._memo.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._local.group = None
        if self._memo is not None:
            self._memo.__exit__(None, None, None)
            self._memo = None
        try:
            if self.unsynced and not _sync_all(self.unsynced):
                self.keep = True  # a file may not be on disk: the journal stays to finish it
            if self.journaled and not self.keep:
                journal.clear(self.registry.git)
        finally:
            if self._lock is not None:
                self._lock.release()  # type: ignore[attr-defined]

    def cover(self, git: Git, commit: Prepared, index: bool) -> None:
        """Before `commit`'s branch move: the group's journal, written once, from the
        commit the branch was at before the group's first commit."""
        if self.journaled:  # nobody else clears it while the group holds the lock
            return
        journal.write(git, journal.Intent(commit, index=index, since=True))
        self.journaled = True


def _sync_all(paths: list[Path]) -> bool:
    """fsync each of `paths` (those still there), side by side: the file system commits its
    journal once for fsyncs that wait together, where one after another each paid for its
    own. Whether all of them are on disk."""
    from concurrent.futures import ThreadPoolExecutor

    def sync(path: Path) -> bool:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # removed by a later commit of the group
            return True
        except OSError:
            return False
        try:
            os.fsync(fd)
            return True
        except OSError:
            return False
        finally:
            os.close(fd)

    unique = list(dict.fromkeys(paths))
    if len(unique) == 1:
        return sync(unique[0])
    with ThreadPoolExecutor(max_workers=min(SYNC_THREADS, len(unique))) as pool:
        return all(pool.map(sync, unique))


class Mutation:
    """Pending writes of one mutation; applied and committed when the `with` block ends."""

    def __init__(self, registry: Registry, message: str, author: str | None) -> None:
        self.registry = registry
        self.message = message
        self.created_by = author
        # one instant for the whole mutation: the records' timestamps and the commit's author date
        self.date: datetime = clock()
        self.sha: str | None = None
        self.author_name: str | None = None  # who the commit is authored by, once made
        self._changes: dict[str, bytes | None] = {}
        self._lock: object | None = None
        self._group: WriteGroup | None = None

    def write(self, rel: str | os.PathLike[str], text: str) -> None:
        self._changes[Path(rel).as_posix()] = text.encode("utf-8")

    def delete(self, rel: str | os.PathLike[str]) -> None:
        self._changes[Path(rel).as_posix()] = None

    def delete_tree(self, rel: str | os.PathLike[str]) -> None:
        """Delete every file under `rel` that git tracks, or would (untracked files then
        make the mutation refuse as dirty). Files the user's .gitignore hides stay."""
        reg = self.registry
        if not reg.in_git:
            raise GitError(f"{reg.root} is not inside a git repository")
        listed = reg.git.run(
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            f":(literal){reg.repo_path(rel)}",
        ).stdout.decode()
        for repo_path in sorted(set(filter(None, listed.split("\0")))):
            inside = reg.rel_path(repo_path)
            if inside is not None:
                self.delete(inside)

    def __enter__(self) -> Mutation:
        reg = self.registry
        if not reg.in_git:
            raise GitError(
                f"{reg.root} is not inside a git repository",
                action="run `modelyard init` there, or `git init` first",
            )
        self._group = WriteGroup.active(reg.git.git_dir)
        if self._group is not None:  # the group holds the lock and replayed any journal
            return self
        self._lock = _locked(reg)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and self._changes:
                self._apply()
        finally:
            if self._lock is not None:
                self._lock.release()  # type: ignore[attr-defined]

    def _apply(self) -> None:
        reg = self.registry
        refuse_links(reg, self._changes)
        repo_paths = {rel: reg.repo_path(rel) for rel in self._changes}
        # whether the files on disk are HEAD's is all that matters for a server (committed
        # state: its clone is not edited by hand) and for a new run's or snapshot's files;
        # only other writes in a person's clone ask git's index about staged changes
        on_disk = reg.committed or _new_by_id(reg, self._changes)
        check = reg.git.worktree_differs if on_disk else reg.git.dirty
        refuse_dirty(
            check(repo_paths.values()),
            " that this would overwrite",
            "commit or stash them first (`git stash`), then run the command again",
        )
        originals: dict[str, bytes | None] = {}
        modes: dict[str, int] = {}
        for rel in self._changes:
            try:
                originals[rel] = reg.path(rel).read_bytes()
                modes[rel] = stat.S_IMODE(reg.path(rel).stat().st_mode)
            except FileNotFoundError:
                originals[rel] = None
        # the paths are clean, so a file that would keep its bytes is no change at all;
        # a mutation that changes nothing makes no (empty) commit
        for rel in [rel for rel, data in self._changes.items() if data == originals[rel]]:
            del self._changes[rel], originals[rel], repo_paths[rel]
        if not self._changes:
            return
        git = reg.git
        present = {repo_paths[rel]: data for rel, data in self._changes.items() if data is not None}
        blobs: dict[str, str | None] = {repo_paths[rel]: None for rel in self._changes}
        blobs.update(git.hash_blobs(present))
        user = git.user()
        author = reg.author(self.created_by, user)
        commit = git.build_commit(blobs, self.message, author, self.date, user)
        # from here a crash is finished by the next command (storage/journal.py): the branch
        # moves first, then the working tree and the index follow it
        group = self._group
        failpoints.hit("before-journal")
        if group is not None:
            group.cover(git, commit, index=not reg.committed)
        else:
            journal.write(git, journal.Intent(commit, index=not reg.committed))
        failpoints.hit("after-journal")
        try:
            git.advance(commit)
        except BaseException:
            if group is None:  # a group's journal covers its other commits: it clears it
                journal.clear(git)
            raise
        failpoints.hit("after-advance")
        try:
            for rel, data in self._changes.items():
                if data is None:
                    reg.path(rel).unlink(missing_ok=True)
                    files.prune_empty(reg.path(rel).parent, reg.root)
                elif group is not None:  # synced with the group's other files, at its end
                    files.atomic_write(reg.path(rel), data, sync=False)
                    group.unsynced.append(reg.path(rel))
                else:
                    files.atomic_write(reg.path(rel), data)
                failpoints.hit("mid-worktree")
            failpoints.hit("after-worktree")
            if reg.committed:  # the index is brought in step in batches (storage/indexsync.py)
                IndexBacklog.of(git).add(repo_paths.values())
            else:
                problem = sync_to_commit(git, commit)
                if problem is not None:
                    raise problem
        except BaseException as exc:
            if not git.undo(commit):
                # something moved the branch on meanwhile, so the commit stays; the journal
                # stays too, and the next command brings the working tree and index to it
                if group is not None:
                    group.keep = True
                if isinstance(exc, IndexBusy):
                    paths = " ".join(repo_paths.values())
                    raise IndexBusy(
                        f"committed {commit.sha[:12]}, but git's index could not be updated "
                        "and the branch has moved on since, so the commit stays; "
                        "the index still holds the old files",
                        action=f"once the index is free, run `git reset -q -- {paths}` "
                        "so that the next `git commit` does not undo it",
                    ) from None
                raise
            for rel, data in originals.items():
                target = reg.path(rel)
                if data is None:
                    target.unlink(missing_ok=True)
                    files.prune_empty(target.parent, reg.root)
                else:
                    files.atomic_write(target, data, modes.get(rel))
            if group is None:
                journal.clear(git)
            raise
        failpoints.hit("after-index")
        if group is None:
            journal.clear(git)
        self._tell_cache(commit)
        self.sha = commit.sha
        self.author_name = git.author_name(author, user)

    def _tell_cache(self, commit: Prepared) -> None:
        """The derived index follows this commit from what it changed, rather than by
        comparing trees on its next read (which, at 100,000 runs, costs more than the write).
        A cache this process has not opened is opened for it only if it exists already."""
        from modelyard.storage.cache import cache_file

        reg = self.registry
        if reg._cache is False and not cache_file(reg.git).is_file():
            return
        cache = reg.blob_cache
        if cache is None:
            return
        # derived data: on an error, the next read compares the trees instead
        with contextlib.suppress(sqlite3.Error, OSError):
            cache.advanced(commit.parent, commit.sha, commit.blobs)
