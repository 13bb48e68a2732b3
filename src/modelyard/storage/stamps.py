"""Stat stamps of a registry's files, and a store for what a build derived from them.

A stamp says "this file (or folder) is as it was": its mtime, ctime, size and inode, the
signature git's own index compares before it hashes a file. A tool that derives something
expensive from the registry (the catalog, `site/delta.py`) keeps the stamps it read beside
what it derived, and on its next run reads again only what has a different stamp. A folder's
stamp changes whenever an entry is added to it, removed or renamed, so a new file (a
`logs.txt` beside a committed run) shows in its folder's stamp even where git does not look.

A stamp taken within two seconds of the file's last change is not trusted (timestamps can be
coarse): it is recorded as racy and never equals a later stamp, as git treats "racily clean"
index entries. Links are stamped as links (never followed), so a file swapped for a link is
a change.

What is derived is stored under `.git/modelyard/memo/` as a pickle: only this process's own
code writes it and the folder is the repository's own, as trusted as the derived index
next to it. It is derived data: deleting it changes no answer, only speed.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import time
from pathlib import Path
from typing import Any

from modelyard.domain.ids import is_valid_id
from modelyard.errors import GitError
from modelyard.storage import layout
from modelyard.storage.registry import Registry

RACY_NS = 2_000_000_000
MEMO_FOLDER = "memo"

Stamp = str


def _stamp(path: str, now: int) -> Stamp | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) >= now - RACY_NS:
        return f"racy:{now}:{st.st_ino}"
    return f"{st.st_mode:o}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_size}:{st.st_ino}"


def _names(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as it:
            return sorted(e.name for e in it if not e.name.startswith("."))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []


def _entry(folder: str, files: tuple[str, ...], now: int) -> Stamp:
    """One stamp for an id folder: the folder's own and those of the files it may hold."""
    parts = [_stamp(folder, now) or "-"]
    parts += [_stamp(f"{folder}/{name}", now) or "-" for name in files]
    return "|".join(parts)


def run_stamps(reg: Registry) -> dict[tuple[str, str], Stamp]:
    """(shard, run id) of every run folder, with one stamp for the folder, its run.yaml and
    its logs.txt. About three `lstat`s a run: well under a second for 100,000 runs."""
    now = time.time_ns()
    base = str(reg.path(layout.RUNS))
    out: dict[tuple[str, str], Stamp] = {}
    for shard in _names(base):
        folder = f"{base}/{shard}"
        for run_id in _names(folder):
            if is_valid_id(run_id):
                out[(shard, run_id)] = _entry(
                    f"{folder}/{run_id}", (layout.RUN_FILE, layout.LOGS_FILE), now
                )
    return out


def snapshot_stamps(reg: Registry, model_ids: list[str]) -> dict[str, Stamp]:
    """One stamp a model for its monitoring folder and every file in it."""
    now = time.time_ns()
    out: dict[str, Stamp] = {}
    for model_id in model_ids:
        folder = str(reg.path(layout.model_dir(model_id) / layout.MONITORING))
        parts = [_stamp(folder, now) or "-"]
        parts += [f"{name}={_stamp(f'{folder}/{name}', now)}" for name in _names(folder)]
        out[model_id] = "|".join(parts)
    return out


def record_stamps(reg: Registry) -> dict[str, Stamp]:
    """Stamps of everything else a catalog reads: the settings, and every recipe and model
    folder with its files (recipe, manifest, synthetic example; model)."""
    now = time.time_ns()
    out: dict[str, Stamp] = {layout.SETTINGS: _stamp(str(reg.path(layout.SETTINGS)), now) or "-"}
    for folder, files in (
        (layout.RECIPES, (layout.RECIPE_FILE, layout.MANIFEST_FILE, layout.SYNTHETIC_FILE)),
        (layout.MODELS, (layout.MODEL_FILE,)),
    ):
        base = str(reg.path(folder))
        out[folder] = _stamp(base, now) or "-"
        for ident in _names(base):
            out[f"{folder}/{ident}"] = _entry(f"{base}/{ident}", files, now)
    return out


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


def save_memo(reg: Registry, name: str, value: Any) -> None:
    """Store `value` under `name`, atomically (a reader sees the old memo or the new one)."""
    path = _memo_path(reg, name)
    if path is None:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:  # a memo that cannot be written is only a slower next build
        with contextlib.suppress(OSError):
            tmp.unlink()


def drop_memo(reg: Registry, name: str) -> None:
    path = _memo_path(reg, name)
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()
