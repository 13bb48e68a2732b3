"""Records by kind, with filters and paging: the one way the layers above read listings.

A listing is answered from the derived index (storage/cache.py) where there is one: HEAD's
records, parsed once per blob, less what differs in the working tree, plus what is new
(storage/worktree.py), both of which are read from disk here. Without the index (no git,
MODELYARD_CACHE=0, or a cache that failed) every file is read. The answers are the same;
callers get records (`Hits`), never a cache row, a view or sqlite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from modelyard.domain.ids import is_valid_id
from modelyard.domain.kinds import KINDS
from modelyard.domain.records import ManifestFile, Model, MonitoringSnapshot, Recipe, Run
from modelyard.errors import GitError, UnsafePath
from modelyard.storage import layout
from modelyard.storage.cache_rows import _LAZY, Row
from modelyard.storage.registry import Registry
from modelyard.storage.worktree import View

T = TypeVar("T", bound=BaseModel)


def listed(reg: Registry, rel: Any, model: type[T], **expect: str) -> T | None:
    """A record for a listing: `read_at`, except that a file reached through a symbolic link
    is left out (never read; `validate` reports it, and a read by id refuses it)."""
    try:
        return reg.read_at(rel, model, **expect)
    except UnsafePath as exc:
        if exc.reason == "symlink":
            return None
        raise


def scan_recipes(reg: Registry) -> Iterator[Recipe]:
    """Every recipe, by id, read from disk (without the cache)."""
    for recipe_id in reg.ids_in(layout.RECIPES):
        found = listed(reg, layout.recipe_file(recipe_id), Recipe, id=recipe_id)
        if found is not None:
            yield found


def scan_models(reg: Registry) -> Iterator[Model]:
    """Every model, by id, read from disk (without the cache)."""
    for model_id in reg.ids_in(layout.MODELS):
        found = listed(reg, layout.model_file(model_id), Model, id=model_id)
        if found is not None:
            yield found


def scan_runs(reg: Registry) -> Iterator[Run]:
    """Every run, newest first, read from disk (without the cache)."""
    for shard, run_id in reg.run_locations():
        found = listed(reg, f"{layout.RUNS}/{shard}/{run_id}/{layout.RUN_FILE}", Run, id=run_id)
        if found is not None:
            yield found


def snapshots(reg: Registry, model_id: str) -> list[MonitoringSnapshot]:
    """Every snapshot of a model, in file-name order."""
    out = []
    for snap_id in reg.snapshot_ids(model_id):
        found = _snapshot(reg, model_id, snap_id)
        if found is not None:
            out.append(found)
    return out


def _snapshot(reg: Registry, model_id: str, snap_id: str) -> MonitoringSnapshot | None:
    path = layout.snapshot_file(model_id, snap_id)
    return listed(reg, path, MonitoringSnapshot, id=snap_id, model_id=model_id)


_CHUNK = 5000


def snapshots_by_model(reg: Registry, model_ids: list[str]) -> dict[str, list[MonitoringSnapshot]]:
    """`snapshots` of every model in `model_ids` at once, through the derived index where
    there is one: HEAD's snapshot files parsed once per blob, those that differ on disk and
    those that are new (found by listing each model's monitoring folder) read from disk.
    The same records as `snapshots`, in the same order."""
    cache = reg.blob_cache
    if cache is None:
        return {m: snapshots(reg, m) for m in model_ids}
    try:
        view = cache.view(
            "snapshot",
            f"{layout.MODELS}/*/{layout.MONITORING}/*.yaml",
            glob=True,
            committed=reg.committed,
        )
        rows = view.rows("snapshot", MonitoringSnapshot)
    except (sqlite3.Error, GitError, OSError):
        return {m: snapshots(reg, m) for m in model_ids}
    found: dict[str, dict[str, MonitoringSnapshot]] = {m: {} for m in model_ids}
    seen: dict[str, set[str]] = {m: set() for m in model_ids}
    for start in range(0, len(rows), _CHUNK):  # a chunk's data at a time: 100,000 at once is a lot
        chunk = rows[start : start + _CHUNK]
        try:
            view.data(chunk, "snapshot")
        except (sqlite3.Error, GitError, OSError):
            for row in chunk:
                row.data = None  # read from disk instead
        for row in chunk:
            model_id, snap_id = row.sort
            if model_id not in found or not is_valid_id(snap_id):
                continue
            seen[model_id].add(snap_id)
            snap = _realize(reg, row, MonitoringSnapshot, "snapshot")
            if snap is not None and snap.model_id != model_id:  # read it as `snapshots` does
                snap = listed(reg, row.rel, MonitoringSnapshot, id=snap_id, model_id=model_id)
            if snap is not None:
                found[model_id][snap_id] = snap
            row.data = None
    for model_id in model_ids:  # new files: on disk, not in HEAD
        for snap_id in reg.snapshot_ids(model_id):
            if snap_id not in seen[model_id]:
                snap = _snapshot(reg, model_id, snap_id)
                if snap is not None:
                    found[model_id][snap_id] = snap
    return {m: [found[m][s] for s in sorted(found[m])] for m in model_ids}


class Hits(Generic[T]):
    """The records that match a listing's filters, in order. Records that come from the cache
    are validated only when a page of them is asked for, so `len()` of 100,000 runs is cheap."""

    def __init__(
        self,
        reg: Registry,
        model: type[T],
        kind: str,
        items: list[T | Row],
        view: View | None = None,
    ) -> None:
        self.reg, self.model, self.kind, self.items, self.view = reg, model, kind, items, view

    def __len__(self) -> int:
        return len(self.items)

    def page(self, offset: int = 0, limit: int | None = None) -> list[T]:
        chunk = self.items[offset : None if limit is None else offset + limit]
        rows = [i for i in chunk if isinstance(i, Row)]
        if rows and self.view is not None:
            self.view.data(rows, self.kind)
        out = []
        for item in chunk:
            found = (
                _realize(self.reg, item, self.model, self.kind) if isinstance(item, Row) else item
            )
            if found is not None:
                out.append(found)
        return out

    def all(self) -> list[T]:
        return self.page()

    def chunks(self, size: int = _CHUNK) -> Iterator[list[T]]:
        """`all()`, `size` records at a time, letting go of the cached data each chunk was
        made from before the next: 100,000 records are never held twice over."""
        for start in range(0, len(self.items), size):
            found = self.page(start, size)
            for item in self.items[start : start + size]:
                if isinstance(item, Row) and item.data is not None:
                    item.data = _LAZY  # loaded again, should anyone ask for this page again
            yield found


# a record whose file names it: its `id` must be its folder's name (Registry.read_at)
_NAMED = {k.name for k in KINDS.values() if k.named}


def _realize(reg: Registry, row: Row, model: type[T], kind: str) -> T | None:
    expect = {"id": row.sort[1]} if kind in _NAMED else {}
    if row.data is not None:
        try:
            found = model.model_validate(row.data)
        except ValidationError:
            pass  # read it the ordinary way, which reports the problem with its position
        else:
            if all(getattr(found, k) == v for k, v in expect.items()):
                return found
    return listed(reg, row.rel, model, **expect)


def _matches(record: BaseModel, filters: dict[str, Any]) -> bool:
    return all(v is None or getattr(record, k) == v for k, v in filters.items())


def _where(
    reg: Registry,
    kind: str,
    model: type[T],
    specs: tuple[str, ...],
    filters: dict[str, Any],
    newest_first: bool = False,
    glob: bool = False,
) -> Hits[T] | None:
    """Matches from the cache (None when there is none, or it failed: the caller scans)."""
    cache = reg.blob_cache
    if cache is None:
        return None
    try:
        view = cache.view(kind, *specs, glob=glob, committed=reg.committed)
        rows = view.rows(
            kind,
            model,
            {k: None if v is None else str(v) for k, v in filters.items()},
            newest_first=newest_first,
        )
    except (sqlite3.Error, GitError, OSError):
        return None
    items: list[T | Row] = []
    for row in rows:
        if row.data is None:  # changed in the working tree, or broken: read it now, filter here
            found = _realize(reg, row, model, kind)
            if found is not None and _matches(found, filters):
                items.append(found)
        else:
            items.append(row)
    return Hits(reg, model, kind, items, view)


def runs_where(reg: Registry, **filters: Any) -> Hits[Run]:
    """Runs whose fields equal every non-None filter (model_id, recipe_id, status, run_type),
    newest first."""
    hits = _where(reg, "run", Run, (layout.RUNS,), filters, newest_first=True)
    if hits is None:
        hits = Hits(reg, Run, "run", [r for r in scan_runs(reg) if _matches(r, filters)])
    return hits


def recipes_where(reg: Registry, **filters: Any) -> Hits[Recipe]:
    """Recipes whose fields equal every non-None filter (model_family, level, status,
    parent_id), by id."""
    hits = _where(reg, "recipe", Recipe, (layout.RECIPES,), filters)
    if hits is None:
        hits = Hits(reg, Recipe, "recipe", [r for r in scan_recipes(reg) if _matches(r, filters)])
    return hits


def models_where(reg: Registry, **filters: Any) -> Hits[Model]:
    """Models whose fields equal every non-None filter (model_family, status, recipe_id,
    owner), by id."""
    hits = _where(
        reg, "model", Model, (f"{layout.MODELS}/*/{layout.MODEL_FILE}",), filters, glob=True
    )
    if hits is None:
        hits = Hits(reg, Model, "model", [m for m in scan_models(reg) if _matches(m, filters)])
    return hits


def current_versions(
    reg: Registry, recipe_ids: list[str], listing: Hits[Any] | None = None
) -> dict[str, str | None]:
    """The current version number of each recipe (None when its manifest is missing).
    `listing`: a recipes listing already made, whose view of `recipes/` is reused."""
    view = listing.view if listing is not None else None
    wanted = set(recipe_ids)
    found: dict[str, str | None] = {}
    rows: list[Row] = []
    if view is not None and len(wanted) > 5:  # for a handful, reading the files is as quick
        try:
            rows = [
                r
                for r in view.rows("manifest", ManifestFile)
                if r.data is not None and r.sort[1] in wanted
            ]
            # a file equal to HEAD's whose blob validated as a manifest (with this code: the
            # index empties itself when the schema changes) has the version the index keeps
            # in its filter column: no need to load and validate the whole manifest again
            kept = view.filter_values([r.rel for r in rows], "manifest")
        except (sqlite3.Error, GitError, OSError):
            rows, kept = [], {}
        for row in rows:
            version = kept.get(row.rel)
            if version is not None:
                found[row.sort[1]] = version
    for rid in recipe_ids:
        if rid not in found:  # changed in the working tree, or no cache: read the file
            mf = reg.read(layout.manifest_file(rid), ManifestFile)
            found[rid] = mf.version if mf else None
    return found
