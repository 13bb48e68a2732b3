"""What the cache keeps for each file: the kind of record a path holds, the row a listing
returns, and parsing a blob into the data the cache stores (storage/cache.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from modelyard.domain.ids import is_valid_id
from modelyard.domain.kinds import KINDS
from modelyard.domain.limits import MAX_FILE_BYTES
from modelyard.storage import layout
from modelyard.storage.files import read_record

# what a record's filter columns hold, by kind
FIELDS: dict[str, tuple[str, ...]] = {k.name: k.filters for k in KINDS.values() if k.filters}
_FILTER_COLS = ("f1", "f2", "f3", "f4")
# where each listable kind's files are: (folder, how deep the id folders are, file name)
UNTRACKED: dict[str, tuple[str, int, str]] = {
    "run": (layout.RUNS, 2, layout.RUN_FILE),
    "recipe": (layout.RECIPES, 1, layout.RECIPE_FILE),
    "manifest": (layout.RECIPES, 1, layout.MANIFEST_FILE),
    "model": (layout.MODELS, 1, layout.MODEL_FILE),
}


@dataclass(slots=True)
class Row:
    """One record file of the working tree. `data` is None when the file must be read from disk
    (it differs from HEAD, or it did not parse when it was cached)."""

    rel: str
    sort: tuple[str, str]
    data: Any | None
    blob: str | None


class _Lazy:
    def __repr__(self) -> str:
        return "<cached>"


_LAZY: Any = _Lazy()


def parse(text: bytes, model: type[BaseModel]) -> tuple[Any, BaseModel] | None:
    """The reader's data and the validated record, or None when the file has a problem
    (callers then read it the ordinary way, which reports the problem)."""
    if len(text) > MAX_FILE_BYTES:  # never parsed; the ordinary read refuses it by name
        return None
    try:
        outcome = read_record(text, model, "")
    except (ValueError, TypeError):  # what the ordinary read reports, with its place
        return None
    if outcome.record is None or outcome.loaded is None:
        return None
    return outcome.loaded.data, outcome.record


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def containers(rel: str) -> set[str]:
    """The folders whose listing shows whether `rel` is new: `runs` and `runs/<shard>` for a run,
    `recipes` for a recipe file, `models` for a model file."""
    parts = rel.split("/")
    if parts[0] == layout.RUNS and len(parts) > 2:
        return {layout.RUNS, f"{layout.RUNS}/{parts[1]}"}
    if parts[0] in (layout.RECIPES, layout.MODELS) and len(parts) > 1:
        return {parts[0]}
    return set()


def classify(rel: str) -> tuple[str, str, str]:
    """(kind, a, b) of a registry-relative path, as the directory scans would see it:
    a run is ("run", shard, run_id), a recipe file ("recipe", "", recipe_id), and so on."""
    found = layout.kind_of(rel)
    if found is None:
        return "other", "", rel
    kind, ids = found
    if kind in ("recipe", "manifest", "synthetic"):
        rid = ids["recipe_id"]
        return (kind, "", rid) if is_valid_id(rid) else ("other", "", rel)
    if kind == "model":
        mid = ids["model_id"]
        return (kind, "", mid) if is_valid_id(mid) else ("other", "", rel)
    if kind in ("run", "logs"):
        shard, rid = ids["shard"], ids["run_id"]
        if is_valid_id(rid) and not shard.startswith("."):
            return kind, shard, rid
        return "other", "", rel
    if kind == "snapshot":
        return kind, ids["model_id"], ids["snapshot_id"]
    return kind, "", ""
