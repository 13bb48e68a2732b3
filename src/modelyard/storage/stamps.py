"""Stat stamps of a registry's files, and a store for what a build derived from them.

A stamp says "this file (or folder) is as it was": its mtime, ctime, size and inode, the
signature git's own index compares before it hashes a file. A tool that derives something
expensive from the registry (the catalog, `site/delta.py`) keeps the stamps it read beside
what it derived, and on its next run reads again only what has a different stamp. A folder's
stamp changes whenever an entry is added to it, removed or renamed, so a new file (a
`logs.txt` beside a committed run) shows in its folder's stamp even where git does not look.

A stamp taken within two seconds of the file's last change cannot be trusted alone
(timestamps can be coarse, so a second change in the same tick would leave it equal): it
also holds the file's hash (a folder's listing), and the next stamp of that file is
compared by content, as git re-reads "racily clean" index entries. So a build right after
a checkout or a commit still leaves stamps the next build can use. Links are stamped as
links (never followed), so a file swapped for a link is a change.

What is derived is stored under `.git/modelyard/memo/` as a pickle: only this process's own
code writes it and the folder is the repository's own, as trusted as the derived index
next to it. It is derived data: deleting it changes no answer, only speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import secrets
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from modelyard.domain.ids import is_valid_id
from modelyard.errors import GitError
from modelyard.storage import layout
from modelyard.storage.registry import Registry

RACY_NS = 2_000_000_000
MEMO_FOLDER = "memo"
_PARTS = "modelyard memo in parts 1"  # the first pickle of a memo saved in parts

Stamp = str


def _content(path: str, st: os.stat_result) -> str:
    """What a racy stamp also holds: a file's hash, a folder's listing, a link's target."""
    digest = hashlib.sha1()
    try:
        if stat.S_ISDIR(st.st_mode):
            digest.update("\0".join(sorted(_names(path))).encode())
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


def _names(folder: str) -> list[str]:
    """The entries of a folder, hidden ones aside, in the order the file system lists them."""
    try:
        with os.scandir(folder) as it:
            return [e.name for e in it if e.name[0] != "."]
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []


def _entry(folder: str, files: tuple[str, ...], now: int, old: Stamp | None) -> Stamp:
    """One stamp for an id folder: the folder's own and those of the files it may hold. A
    part that was racy in `old` is hashed again, so that it can be compared. A file that
    was missing in a folder whose own stamp is unchanged is missing still (adding it would
    have changed the folder), so it costs no `lstat`."""
    before = old.split("|") if old is not None else []
    if len(before) != len(files) + 1:
        before = [""] * (len(files) + 1)
    own = _stamp(folder, now, "#" in before[0])
    parts = [own]
    unchanged = _same_part(before[0], own) if before[0] else False
    for name, b in zip(files, before[1:], strict=True):
        parts.append("-" if unchanged and b == "-" else _stamp(f"{folder}/{name}", now, "#" in b))
    return "|".join(parts)


Old = dict[Any, Stamp]


def run_stamps(reg: Registry, old: Old | None = None) -> dict[tuple[str, str], Stamp]:
    """(shard, run id) of every run folder, with one stamp for the folder, its run.yaml and
    its logs.txt. About three `lstat`s a run: well under a second for 100,000 runs."""
    now = time.time_ns()
    old = old or {}
    base = str(reg.path(layout.RUNS))
    out: dict[tuple[str, str], Stamp] = {}
    for shard in _names(base):
        folder = f"{base}/{shard}"
        for run_id in _names(folder):
            if is_valid_id(run_id):
                key = (shard, run_id)
                out[key] = _entry(
                    f"{folder}/{run_id}", (layout.RUN_FILE, layout.LOGS_FILE), now, old.get(key)
                )
    return out


def snapshot_stamps(
    reg: Registry, model_ids: list[str], old: Old | None = None
) -> dict[tuple[str, str], Stamp]:
    """(model id, name) of each model's monitoring folder (name "") and of every file in it."""
    now = time.time_ns()
    old = old or {}
    out: dict[tuple[str, str], Stamp] = {}
    for model_id in model_ids:
        folder = str(reg.path(layout.model_dir(model_id) / layout.MONITORING))
        for name in ("", *_names(folder)):
            key = (model_id, name)
            path = f"{folder}/{name}" if name else folder
            out[key] = _stamp(path, now, "#" in old.get(key, ""))
    return out


def record_stamps(reg: Registry, old: Old | None = None) -> dict[str, Stamp]:
    """Stamps of everything else a catalog reads: the settings, and every recipe and model
    folder with its files (recipe, manifest, synthetic example; model)."""
    now = time.time_ns()
    old = old or {}
    out: dict[str, Stamp] = {
        layout.SETTINGS: _entry(str(reg.path(layout.SETTINGS)), (), now, old.get(layout.SETTINGS))
    }
    for folder, files in (
        (layout.RECIPES, (layout.RECIPE_FILE, layout.MANIFEST_FILE, layout.SYNTHETIC_FILE)),
        (layout.MODELS, (layout.MODEL_FILE,)),
    ):
        base = str(reg.path(folder))
        out[folder] = _entry(base, (), now, old.get(folder))
        for ident in _names(base):
            key = f"{folder}/{ident}"
            out[key] = _entry(f"{base}/{ident}", files, now, old.get(key))
    return out


def changed(old: Old, new: Old) -> set[Any]:
    """The keys whose stamps differ (added and removed ones among them)."""
    # equal strings are the same stamp: only the others need reading part by part
    out = {k for k, v in new.items() if old.get(k) != v and not same(old.get(k), v)}
    return out | (old.keys() - new.keys())


def committed_changes(reg: Registry, old: str, new: str) -> list[str] | None:
    """Registry-relative paths that differ between two commits (None when `old` is not an
    ancestor of `new`, or is gone): what git says changed since a build."""
    if old == new:
        return []
    try:
        if not reg.git.is_ancestor(old, new):
            return None
        diff = reg.git.diff_tree(old, new, *([reg.prefix] if reg.prefix else []))
    except GitError:
        return None
    if diff is None:
        return None
    out = []
    for change in diff:
        rel = reg.rel_path(change.path)
        if rel is not None:
            out.append(rel)
    return out


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


def save_memo_parts(reg: Registry, name: str, parts: Iterable[Any]) -> None:
    """`save_memo` of a value given in parts, each pickled and written as it comes (a large
    value is never held pickled whole); `load_memo_parts` gives them back, in order."""

    def dump(f: BinaryIO) -> None:
        pickle.dump(_PARTS, f, protocol=pickle.HIGHEST_PROTOCOL)
        for part in parts:
            pickle.dump(part, f, protocol=pickle.HIGHEST_PROTOCOL)

    _write_memo(reg, name, dump)


def load_memo_parts(reg: Registry, name: str) -> list[Any] | None:
    """The parts `save_memo_parts` stored under `name`, or None (none, or unreadable)."""
    path = _memo_path(reg, name)
    if path is None:
        return None
    parts: list[Any] = []
    try:
        with path.open("rb") as f:
            if pickle.load(f) != _PARTS:
                return None
            while f.peek(1):
                parts.append(pickle.load(f))
    except Exception:  # derived data: anything wrong with it only costs the recomputation
        return None
    return parts


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
