"""What may have changed in a registry since something was derived from it, from what git
already knows instead of a stamp of every file.

A `Mark` is taken when a result is read (the catalog's memo, `site/delta.py`): the commit
it was read at, the stat stamps (`storage/stamps.py`) of the few files that differed from
that commit then (tracked files git reports as edited or deleted, and files git does not
track: new records, logs put beside a run), and the modification time of every id folder
(a recipe's, a model's, its monitoring folder, a run's). Against a later mark, what may
differ is

- every path a commit on one side and not the other touched, and every path that differs
  between the two commits (`Git.touched_between`: a branch switch is compared like a pull);
- what git reports as differing from HEAD now (`git status` of the tracked files, the
  check every listing's freshness rests on, `storage/worktree.py`) that was not stamped
  alike then, and every stamped file whose stamp differs;
- every id folder whose modification time differs, or that came or went: a file added to
  or removed from a folder changes it, which is how a new file git does not track shows
  without a scan of every folder (git's untracked scan reads 100,000 of them).

A folder changed within two seconds of being looked at is marked racy, and counts as
changed at the next look (timestamps can be coarse), as git treats "racily clean" index
entries. So the cost of a look is one `git status` (in the background) and one `lstat` per
id folder, not one per file.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
import stat
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from modelyard.errors import GitError
from modelyard.storage import layout, stamps
from modelyard.storage.cache import Cache
from modelyard.storage.gitraw import RACY_NS
from modelyard.storage.registry import Registry

K = TypeVar("K")
RACY = -1
# (mtime ns, inode) of an id folder; (RACY, a digest of its listing) when it changed within
# two seconds of being looked at: then the listing is compared next time, not its mtime
FolderMark = tuple[int, int]


Shard = tuple[list[str], "array[int]", "array[int]"]


class RunMarks:
    """The mark of every run folder, by shard: the run ids, sorted, and their marks as two
    arrays of numbers. A shard none of whose folders changed compares equal in one step (and
    100,000 marks pickle as a few arrays, not as 300,000 small objects)."""

    def __init__(self, shards: dict[str, Shard] | None = None) -> None:
        self.shards: dict[str, Shard] = shards or {}
        self._ids: dict[str, set[str]] | None = None

    @classmethod
    def of(cls, found: dict[str, list[tuple[str, FolderMark]]]) -> RunMarks:
        shards: dict[str, Shard] = {}
        for shard, marks in found.items():
            marks.sort()
            shards[shard] = (
                [run_id for run_id, _ in marks],
                array("q", [m[0] for _, m in marks]),
                array("Q", [m[1] for _, m in marks]),
            )
        return cls(shards)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for shard, (ids, _, _) in self.shards.items():
            for run_id in ids:
                yield shard, run_id

    def __len__(self) -> int:
        return sum(len(ids) for ids, _, _ in self.shards.values())

    def __contains__(self, key: object) -> bool:
        if self._ids is None:
            self._ids = {shard: set(ids) for shard, (ids, _, _) in self.shards.items()}
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        return key[1] in self._ids.get(key[0], ())

    def marks(self, shard: str) -> dict[str, FolderMark]:
        ids, firsts, seconds = self.shards.get(shard, ([], array("q"), array("Q")))
        return {run_id: (a, b) for run_id, a, b in zip(ids, firsts, seconds, strict=True)}

    def changed(self, old: RunMarks, folder: Callable[[str, str], str]) -> set[tuple[str, str]]:
        """The (shard, run id) of the run folders that changed since `old`, came or went."""
        out: set[tuple[str, str]] = set()
        for shard in self.shards.keys() | old.shards.keys():
            if self.shards.get(shard) == old.shards.get(shard):
                continue
            found = _changed(old.marks(shard), self.marks(shard), functools.partial(folder, shard))
            out.update((shard, run_id) for run_id in found)
        return out

    def __getstate__(self) -> dict[str, Shard]:
        return self.shards

    def __setstate__(self, state: dict[str, Shard]) -> None:
        self.shards = state
        self._ids = None


@dataclass
class Mark:
    head: str | None
    runs: RunMarks = field(default_factory=lambda: RunMarks())
    # "recipes/<id>", "models/<id>", "models/<id>/monitoring" -> the folder's mark
    folders: dict[str, FolderMark] = field(default_factory=dict)
    # registry path -> stamp: files that differed from HEAD, or that HEAD does not have
    files: dict[str, stamps.Stamp] = field(default_factory=dict)
    # run ids whose folder holds a logs file
    logs: set[str] = field(default_factory=set)


@dataclass
class Since:
    """What may differ between two marks. `whole`: they cannot be compared (no commit on
    one side, or one is gone): everything may."""

    paths: set[str] = field(default_factory=set)
    runs: set[tuple[str, str]] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)
    whole: bool = False


def _mark(path: str, racy_from: int) -> FolderMark | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) >= racy_from:
        return (RACY, _listing(path))
    return (st.st_mtime_ns, st.st_ino)


_OPEN_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


def _marks_in(folder: str, racy_from: int) -> list[tuple[str, FolderMark]]:
    """The mark of every folder in `folder` (none when it is missing or a link): each
    `lstat` relative to the folder, so the kernel does not walk the whole path each time."""
    if os.stat not in os.supports_dir_fd:  # not on every system: each path whole, then
        return [
            (n, m) for n in stamps.folder_names(folder) if (m := _mark(f"{folder}/{n}", racy_from))
        ]
    try:
        fd = os.open(folder, _OPEN_FOLDER)
    except OSError:
        return []
    out = []
    try:
        for name in os.listdir(fd):
            if name[0] == ".":
                continue
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode):
                continue
            if max(st.st_mtime_ns, st.st_ctime_ns) >= racy_from:
                out.append((name, (RACY, _listing(f"{folder}/{name}"))))
            else:
                out.append((name, (st.st_mtime_ns, st.st_ino)))
    finally:
        os.close(fd)
    return out


def _listing(path: str) -> int:
    names = "\0".join(sorted(stamps.folder_names(path))).encode("utf-8", "surrogateescape")
    return int.from_bytes(hashlib.sha1(names).digest()[:8], "big")


def _differs(path: str, old: FolderMark | None, new: FolderMark | None) -> bool:
    if old is None or new is None:
        return old != new
    if old[0] == RACY:  # its mtime could not be trusted: what it lists decides
        return _listing(path) != old[1]
    return old != new


def _changed(
    old: dict[K, FolderMark], new: dict[K, FolderMark], path: Callable[[K], str]
) -> set[K]:
    """The keys whose folders changed from `old` to `new`, came or went."""
    out: set[K] = set(old.keys() - new.keys())
    get = old.get
    for key, mark in new.items():
        before = get(key)
        if before != mark and _differs(path(key), before, mark):
            out.add(key)
    return out


class Look:
    """One look at the registry: started at once (git works in the background), finished
    with `full()` (after a read of everything) or `patched()` (after reading what changed)."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        self._spec = reg.prefix or "."
        reg.git.start_tracked_changes(self._spec)
        self.now = time.time_ns()
        self.racy_from = self.now - RACY_NS
        self.head = reg.git.head()
        self._runs = RunMarks()
        self._folders: dict[str, FolderMark] = {}
        self._dirty: set[str] | None = None
        self._failed: Exception | None = None
        self._stamps: dict[str, stamps.Stamp] = {}  # the files `since` stamped
        # the folders are looked at in a thread (each `lstat` lets go of the interpreter),
        # while the caller loads its memo
        self._scan = threading.Thread(target=self._look_at_folders, daemon=True)
        self._scan.start()

    def _joined(self) -> None:
        self._scan.join()
        if self._failed is not None:  # half a look is no look: the caller reads everything
            raise OSError(f"the registry's folders could not be looked at: {self._failed}")

    @property
    def runs(self) -> RunMarks:
        self._joined()
        return self._runs

    @property
    def folders(self) -> dict[str, FolderMark]:
        self._joined()
        return self._folders

    def _look_at_folders(self) -> None:
        try:
            self._look_at_all()
        except Exception as exc:  # told to the thread that asks, by `_joined`
            self._failed = exc

    def _look_at_all(self) -> None:
        reg, racy_from = self.reg, self.racy_from
        base = str(reg.path(layout.RUNS))
        self._runs = RunMarks.of(
            {s: _marks_in(f"{base}/{s}", racy_from) for s in stamps.folder_names(base)}
        )
        for top in (layout.RECIPES, layout.MODELS):
            top_path = str(reg.path(top))
            for ident, found in _marks_in(top_path, racy_from):
                self._folders[f"{top}/{ident}"] = found
                if top == layout.MODELS:
                    inner = _mark(f"{top_path}/{ident}/{layout.MONITORING}", racy_from)
                    if inner is not None:
                        self._folders[f"{top}/{ident}/{layout.MONITORING}"] = inner

    def dirty(self) -> set[str]:
        """Registry paths of tracked files that differ from HEAD now (edited, deleted)."""
        if self._dirty is None:
            found = self.reg.git.tracked_changes(self._spec)
            self._dirty = {rel for p in found if (rel := self.reg.rel_path(p)) is not None}
        return self._dirty

    def since(self, old: Mark) -> Since:
        out = Since()
        if self.head != old.head:
            if self.head is None or old.head is None:
                return Since(whole=True)
            try:
                touched = self.reg.git.touched_between(
                    old.head, self.head, *([self.reg.prefix] if self.reg.prefix else [])
                )
            except GitError:
                touched = None
            if touched is None:
                return Since(whole=True)
            out.paths = {rel for p in touched if (rel := self.reg.rel_path(p)) is not None}
        for rel in self.dirty():
            if rel not in old.files:
                out.paths.add(rel)
        root = f"{self.reg.root}{os.sep}"
        for rel, before in old.files.items():
            # kept for the next mark: a file is stamped once, before anything is read
            now = self._stamps[rel] = stamps.file_stamp(root + rel, self.now, "#" in before)
            if not stamps.same(before, now):
                out.paths.add(rel)
        runs = f"{root}{layout.RUNS}/"
        out.runs = self.runs.changed(old.runs, lambda shard, run_id: f"{runs}{shard}/{run_id}")
        out.folders = _changed(old.folders, self.folders, lambda key: root + key)
        return out

    def _stamped(self, rels: set[str]) -> dict[str, stamps.Stamp]:
        root = f"{self.reg.root}{os.sep}"
        taken = self._stamps
        return {
            rel: taken[rel] if rel in taken else stamps.file_stamp(root + rel, self.now)
            for rel in sorted(rels)
        }

    def full(self) -> Mark:
        """The mark of a registry read whole: every file that differs from HEAD or that HEAD
        does not have is stamped (the id folders are listed once to find them)."""
        reg = self.reg
        on_disk: set[str] = set()
        logs: set[str] = set()
        base = str(reg.path(layout.RUNS))
        for shard, run_id in self.runs:
            folder = f"{layout.RUNS}/{shard}/{run_id}"
            on_disk.add(f"{folder}/{layout.RUN_FILE}")
            if os.path.lexists(f"{base}/{shard}/{run_id}/{layout.LOGS_FILE}"):
                logs.add(run_id)
                on_disk.add(f"{folder}/{layout.LOGS_FILE}")
        for folder in self.folders:
            on_disk.update(_files_in(reg, folder))
        head = _head_paths(reg)
        untracked = on_disk - head if head is not None else on_disk
        untracked.add(layout.SETTINGS)  # one file, stamped always
        return Mark(
            self.head, self.runs, self.folders, self._stamped(self.dirty() | untracked), logs
        )

    def patched(self, old: Mark, since: Since) -> Mark:
        """The mark after `since` was read: `old`'s, with what changed looked at again."""
        reg = self.reg
        dirty = self.dirty()
        candidates = set(old.files) | dirty | since.paths
        logs = set(old.logs)
        base = str(reg.path(layout.RUNS))
        for shard, run_id in since.runs:
            logs.discard(run_id)
            if (shard, run_id) not in self.runs:
                continue
            folder = f"{layout.RUNS}/{shard}/{run_id}"
            found = _files_in(reg, folder)
            candidates.update(found)
            if f"{folder}/{layout.LOGS_FILE}" in found or os.path.lexists(
                f"{base}/{shard}/{run_id}/{layout.LOGS_FILE}"
            ):
                logs.add(run_id)
        for folder in since.folders:
            candidates.update(_files_in(reg, folder))
        for rel in since.paths:
            kind = layout.kind_of(rel)
            if kind is not None and kind[0] == "logs":
                run_id = kind[1]["run_id"]
                if os.path.lexists(reg.path(rel)):
                    logs.add(run_id)
                elif (kind[1]["shard"], run_id) in self.runs:
                    logs.discard(run_id)
        cache = reg.blob_cache
        try:
            tracked = in_head(cache, candidates) if cache is not None else set()
        except (sqlite3.Error, GitError, OSError):  # then every candidate stays stamped
            tracked = set()
        keep = {rel for rel in candidates if rel in dirty or rel not in tracked}
        keep.add(layout.SETTINGS)
        return Mark(self.head, self.runs, self.folders, self._stamped(keep), logs)

    def close(self) -> None:
        """Let go of a git status nobody asked for."""
        self.reg.git.stop_started()


def _files_in(reg: Registry, folder: str) -> set[str]:
    """The registry paths of the files (and links) directly in `folder`."""
    out = set()
    try:
        with os.scandir(reg.path(folder)) as it:
            for e in it:
                if e.name[0] != "." and not e.is_dir(follow_symlinks=False):
                    out.add(f"{folder}/{e.name}")
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        pass
    return out


def in_head(
    cache: Cache, rels: Iterable[str] | None = None, kinds: tuple[str, ...] = ()
) -> set[str]:
    """Which of `rels` (registry paths) HEAD has, or with `kinds` every path of those kinds
    HEAD has, from the derived index's copy of HEAD's tree (`storage/cache.py`)."""
    cache.sync()
    with cache.lock:
        if kinds:
            marks = ",".join("?" * len(kinds))
            found = cache.db.execute(f"SELECT path FROM tree WHERE kind IN ({marks})", kinds)
            return {p for (p,) in found}
        wanted = list(rels or ())
        out: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT path FROM tree WHERE path IN ({marks})"
            out.update(p for (p,) in cache.db.execute(query, chunk))
        return out


def _head_paths(reg: Registry) -> set[str] | None:
    cache = reg.blob_cache
    if cache is None:
        return None
    kinds = ("run", "logs", "snapshot", "recipe", "manifest", "synthetic", "model", "settings")
    try:
        return in_head(cache, kinds=kinds)
    except (sqlite3.Error, GitError, OSError):  # without it, every file found is stamped
        return None
