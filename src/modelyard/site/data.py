"""Everything the catalog shows, read once through ops: recipes with their resolved
manifests and every version (one pass over git), models with their status history
(one more pass), runs, monitoring snapshots and synthetic examples."""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from modelyard.domain.records import (
    Model,
    MonitoringSnapshot,
    RecipeOut,
    RecipeVersion,
    RegistrySettings,
    Run,
    RunOut,
    SyntheticExample,
)
from modelyard.errors import ModelyardError
from modelyard.ops import load
from modelyard.ops.history import History
from modelyard.ops.manifests import Resolver
from modelyard.ops.model_history import StatusChange, status_history
from modelyard.ops.versions import list_versions
from modelyard.storage import layout, records
from modelyard.storage.records import snapshots_by_model
from modelyard.storage.registry import Registry


class Snapshots:
    """Every model's monitoring snapshots, newest first. Each model's list is kept pickled
    (a third of the memory of the records) and unpickled for the page that asks for it,
    which is one page per model: most pages need only a model's latest snapshot (its alert
    badge) and the counts. A list given to `replace` is kept as it is, until it is saved."""

    def __init__(self, lists: dict[str, list[MonitoringSnapshot]], packed: bool = False) -> None:
        self._lists: dict[str, list[MonitoringSnapshot]] = {} if packed else dict(lists)
        self._packed: dict[str, bytes] = (
            {m: pickle.dumps(snaps, protocol=pickle.HIGHEST_PROTOCOL) for m, snaps in lists.items()}
            if packed
            else {}
        )
        self._latest = {m: (snaps[0] if snaps else None) for m, snaps in lists.items()}
        self._counts = {m: len(snaps) for m, snaps in lists.items()}

    def get(self, model_id: str, default: Any = None) -> list[MonitoringSnapshot] | Any:
        if model_id not in self._counts:
            return default
        if model_id not in self._lists:  # a new list each time: nothing keeps it unpacked
            found: list[MonitoringSnapshot] = pickle.loads(self._packed[model_id])
            return found
        return self._lists[model_id]

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._counts

    def latest(self, model_id: str) -> MonitoringSnapshot | None:
        return self._latest.get(model_id)

    def count(self) -> int:
        return sum(self._counts.values())

    def replace(self, model_id: str, snaps: list[MonitoringSnapshot]) -> None:
        self._packed.pop(model_id, None)
        self._lists[model_id] = snaps
        self._latest[model_id] = snaps[0] if snaps else None
        self._counts[model_id] = len(snaps)

    def __getstate__(self) -> dict[str, Any]:
        # what was never unpacked is stored as it came: only changed lists are pickled again
        packed = dict(self._packed)
        for model_id, snaps in self._lists.items():
            packed[model_id] = pickle.dumps(snaps, protocol=pickle.HIGHEST_PROTOCOL)
        return {"packed": packed, "latest": self._latest, "counts": self._counts}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._lists = {}
        self._packed = state["packed"]
        self._latest = state["latest"]
        self._counts = state["counts"]


@dataclass
class Catalog:
    """The registry as the catalog sees it; every list sorted so output is reproducible."""

    settings: RegistrySettings
    built_at: datetime
    head: str | None
    recipes: list[RecipeOut]
    resolved: dict[str, tuple[dict[str, Any], dict[str, str]]]
    versions: dict[str, list[RecipeVersion]]
    synthetic: dict[str, SyntheticExample]
    models: list[Model]
    snapshots: Snapshots  # newest first, as the API lists them
    runs: list[RunOut]  # newest first, as the API lists them
    statuses: dict[str, list[StatusChange]]
    problems: list[str] = field(default_factory=list)
    # "recipe:<id>" / "model:<id>" -> the record's files as (path from the repository's top,
    # text), for the raw YAML and the "Edit this file" link of its page
    sources: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def recipe(self, recipe_id: str) -> RecipeOut | None:
        return self._recipes.get(recipe_id)

    def __post_init__(self) -> None:
        self._recipes = {r.id: r for r in self.recipes}


def build_time(reg: Registry) -> tuple[datetime, str | None]:
    """`SOURCE_DATE_EPOCH` when set, else the time of the registry's last commit, so the same
    registry always gives the same pages; the wall clock only outside git."""
    head = reg.git.head() if reg.in_git else None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC), head
    if head:
        return datetime.fromtimestamp(reg.git.commit_time(head), UTC), head
    return datetime.now(UTC).replace(microsecond=0), head


def load_catalog(
    reg: Registry,
    no_logs: Callable[[str], bool] | None = None,
    settle: Callable[[], None] | None = None,
) -> Catalog:
    """Read the whole registry. Records that fail to parse stop the build with their
    file and line (RegistryFileError), the same as every other command. `no_logs(run_id)`:
    true when the run is known to have no logs file (from stat stamps taken just before),
    so that 100,000 runs, most without logs, do not cost 100,000 attempts to open one.
    `settle()` is called after the snapshots and after each chunk of runs are read (the
    build freezes what was read out of the collector's sight there)."""
    built_at, head = build_time(reg)
    history = History(reg)
    resolver = Resolver(reg, history)
    recipes = [load.recipe_out(reg, r) for r in load.recipes(reg)]
    resolved: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
    versions: dict[str, list[RecipeVersion]] = {}
    synthetic: dict[str, SyntheticExample] = {}
    problems: list[str] = []
    for recipe in recipes:
        try:
            resolved[recipe.id] = resolver.current(recipe.id)
        except ModelyardError as exc:  # a broken lineage still gets a page, saying what is wrong
            problems.append(f"{recipe.id}: {exc}")
            resolved[recipe.id] = ({}, {})
        versions[recipe.id] = list_versions(reg, recipe.id, history=history).versions
        example = load.synthetic(reg, recipe.id)
        if example is not None:
            synthetic[recipe.id] = example
    models = list(load.models(reg))
    by_model = snapshots_by_model(reg, [m.id for m in models])
    snapshots = Snapshots(
        {m.id: sorted_snapshots([compact(s) for s in by_model.pop(m.id)]) for m in models},
        packed=True,
    )
    del by_model
    if settle:
        settle()
    runs: list[RunOut] = []
    # a chunk of runs at a time: what they were read from is let go before the next chunk
    for chunk in records.runs_where(reg).chunks():
        runs.extend(run_out(reg, r, logs=no_logs is None or not no_logs(r.id)) for r in chunk)
        if settle:
            settle()
    sources = {f"recipe:{r.id}": _files(reg, _recipe_files(r.id)) for r in recipes}
    sources.update({f"model:{m.id}": _files(reg, [layout.model_file(m.id)]) for m in models})
    return Catalog(
        settings=reg.settings,
        built_at=built_at,
        head=head,
        recipes=recipes,
        resolved=resolved,
        versions=versions,
        synthetic=synthetic,
        models=models,
        snapshots=snapshots,
        runs=runs,
        statuses=status_history(reg),
        problems=problems,
        sources=sources,
    )


# what every run of the catalog has set: all its fields (one set, shared by all of them)
_RUN_FIELDS = set(RunOut.model_fields)
_SHARED_FIELDS: dict[frozenset[str], set[str]] = {}
_RUN_TEXTS = ("recipe_id", "recipe_version_id", "model_id")
_SNAPSHOT_KEYED = ("performance_metrics_json", "drift_metrics_json", "data_freshness_json")


def _keys_interned(data: dict[str, Any]) -> dict[str, Any]:
    return {sys.intern(k): v for k, v in data.items()} if data else data


def run_out(reg: Registry, run: Run, logs: bool = True) -> RunOut:
    """`load.run_out`, without validating the run a second time: it was as it was read.
    Without `logs`, the run has none (its folder has no logs file).

    A catalog holds 100,000 of these: the ids every run of a recipe repeats and the metric
    names are interned, and the set of fields set is one set for all (pydantic keeps one
    per record otherwise, about a third of a run's memory). Equal values, equal output."""
    text = (reg.read_logs(layout.logs_file(run.id)) or "") if logs else ""
    values = dict(run)
    for name in _RUN_TEXTS:
        if values[name] is not None:
            values[name] = sys.intern(values[name])
    values["metrics_json"] = _keys_interned(values["metrics_json"])
    return RunOut.model_construct(_RUN_FIELDS, **values, logs_text=text)


def compact(snap: MonitoringSnapshot) -> MonitoringSnapshot:
    """A snapshot sharing what 100,000 of them repeat, as `run_out` does for runs: its
    model id and metric names interned, its set of fields set shared with every snapshot
    that set the same fields. The same values, in the same order."""
    values = snap.__dict__
    values["model_id"] = sys.intern(values["model_id"])
    for name in _SNAPSHOT_KEYED:
        values[name] = _keys_interned(values[name])
    given = snap.__pydantic_fields_set__
    shared = _SHARED_FIELDS.setdefault(frozenset(given), set(given))
    object.__setattr__(snap, "__pydantic_fields_set__", shared)
    return snap


def sorted_snapshots(snaps: list[MonitoringSnapshot]) -> list[MonitoringSnapshot]:
    """A model's snapshots newest first, as the API lists them."""
    return sorted(snaps, key=lambda s: (s.captured_at, s.id), reverse=True)


def _recipe_files(recipe_id: str) -> list[Any]:
    return [
        layout.recipe_file(recipe_id),
        layout.manifest_file(recipe_id),
        layout.synthetic_file(recipe_id),
    ]


def _files(reg: Registry, rels: list[Any]) -> list[tuple[str, str]]:
    out = []
    for rel in rels:
        data = reg.read_bytes(rel)
        if data is not None:
            out.append((reg.display(rel), data.decode("utf-8", errors="replace")))
    return out
