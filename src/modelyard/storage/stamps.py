"""Stat stamps of a registry's files, and a store for what a build derived from them.

A stamp says "this file (or folder) is as it was": its mtime, ctime, size and inode, the
signature git's own index compares before it hashes a file. A tool that derives something
expensive from the registry (the catalog, `site/delta.py`) keeps, beside what it derived,
the stamps of the few files git cannot vouch for (those that differ from HEAD, or that HEAD
does not have: `storage/since.py`), and on its next run reads again only what has a
different stamp.

A stamp taken within two seconds of the file's last change cannot be trusted alone
(timestamps can be coarse, so a second change in the same tick would leave it equal): it
also holds the file's hash (a folder's listing), and the next stamp of that file is
compared by content, as git re-reads "racily clean" index entries. So a build right after
a checkout or a commit still leaves stamps the next build can use. Links are stamped as
links (never followed), so a file swapped for a link is a change.

What is derived is stored under `.git/modelyard/memo/` as pickles (a head, and parts in
files of their own, so that a save rewrites only the parts that changed): only this
process's own code writes them and the folder is the repository's own, as trusted as the
derived index next to it. It is derived data: deleting it changes no answer, only speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import secrets
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from modelyard.errors import GitError
from modelyard.storage.gitraw import RACY_NS
from modelyard.storage.registry import Registry

MEMO_FOLDER = "memo"

Stamp = str


def _content(path: str, st: os.stat_result) -> str:
    """What a racy stamp also holds: a file's hash, a folder's listing, a link's target."""
    digest = hashlib.sha1()
    try:
        if stat.S_ISDIR(st.st_mode):
            digest.update("\0".join(sorted(folder_names(path))).encode())
        elif stat.S_ISLNK(st.st_mode):
            digest.update(os.readlink(path).encode())
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                digest.update(f.read())
    except OSError:
        return "?"
    return digest.hexdigest()


def _stamp(path: str, now: int, hashed: bool = False) -> Stamp:
    try:
        st = os.lstat(path)
    except OSError:
        return "-"
    sig = f"{st.st_mode:o}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_size}:{st.st_ino}"
    if hashed or max(st.st_mtime_ns, st.st_ctime_ns) >= now - RACY_NS:
        return f"{sig}#{_content(path, st)}"
    return sig


def file_stamp(path: str, now: int, hashed: bool = False) -> Stamp:
    """The stamp of one file (or folder, or link) at `path`, taken at `now` (time.time_ns());
    with `hashed`, or when it changed within two seconds of `now`, with its content too."""
    return _stamp(path, now, hashed)


def _same_part(old: str, new: str) -> bool:
    if "#" in old:  # racy when taken: its content decides (the new stamp has it too)
        return "#" in new and old.split("#", 1)[1] == new.split("#", 1)[1]
    return old == new.split("#", 1)[0]


def same(old: Stamp | None, new: Stamp | None) -> bool:
    """Whether what `old` stamped is as it was when `new` was taken."""
    if old is None or new is None:
        return old is new
    a, b = old.split("|"), new.split("|")
    return len(a) == len(b) and all(_same_part(x, y) for x, y in zip(a, b, strict=True))


def folder_names(folder: str) -> list[str]:
    """The entries of a folder, hidden ones aside, in the order the file system lists them."""
    try:
        with os.scandir(folder) as it:
            return [e.name for e in it if e.name[0] != "."]
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []


def _memo_path(reg: Registry, name: str) -> Path | None:
    if not reg.in_git:
        return None
    try:
        return reg.git.git_dir / "modelyard" / MEMO_FOLDER / f"{name}.pickle"
    except GitError:
        return None


def load_memo(reg: Registry, name: str) -> Any | None:
    """What `save_memo` stored under `name`, or None (none stored, or unreadable)."""
    path = _memo_path(reg, name)
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # derived data: anything wrong with it only costs the recomputation
        return None


def _write_memo(reg: Registry, name: str, dump: Callable[[BinaryIO], None]) -> None:
    """Write the memo `name` with `dump`, atomically (a reader sees the old memo or the new
    one); a memo that cannot be written is only a slower next build."""
    path = _memo_path(reg, name)
    if path is None:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            dump(f)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def save_memo(reg: Registry, name: str, value: Any) -> None:
    """Store `value` under `name`, atomically."""
    _write_memo(reg, name, lambda f: pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL))


def write_memo_part(reg: Registry, name: str, key: str, data: bytes) -> str | None:
    """Store `data` as a new part of the memo `name`, in a file of its own beside it; the
    file's name, for the memo to list (None when it cannot be written). A memo saved in
    parts rewrites only the parts that changed: one whose data did not keeps its file."""
    path = _memo_path(reg, f"{name}.{key}.{secrets.token_hex(8)}")
    if path is None:
        return None
    part = path.name

    def dump(f: BinaryIO) -> None:
        f.write(data)

    _write_memo(reg, part.removesuffix(".pickle"), dump)
    return part if path.is_file() else None


def read_memo_part(reg: Registry, part: str) -> bytes | None:
    """The bytes of a part `write_memo_part` stored, or None."""
    path = _memo_path(reg, "x")
    if path is None or "/" in part or part.startswith("."):
        return None
    try:
        return (path.parent / part).read_bytes()
    except OSError:
        return None


def prune_memo_parts(reg: Registry, name: str, keep: Iterable[str]) -> None:
    """Remove the parts of the memo `name` that it no longer lists."""
    path = _memo_path(reg, name)
    if path is None:
        return
    kept = set(keep)
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            stale = entry.name.startswith(f"{name}.") and entry.name not in kept
            if stale and entry.name != path.name:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def drop_memo(reg: Registry, name: str) -> None:
    path = _memo_path(reg, name)
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()
