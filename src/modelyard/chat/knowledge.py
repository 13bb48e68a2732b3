"""The registry as the assistant sees it: records loaded once per question, through ops.

Everything is loaded lazily, so a question about one recipe never reads every run, and
versions come from one `History` pass over git, never one git call per recipe.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from modelyard.chat.response import Reference
from modelyard.domain.limits import MAX_LINEAGE_DEPTH
from modelyard.domain.records import Model, MonitoringSnapshot, RecipeOut, RecipeVersion, Run
from modelyard.domain.timefmt import iso
from modelyard.errors import LineageTooDeep, ModelyardError
from modelyard.ops import load, monitoring, recipes
from modelyard.ops.common import MAX_LIMIT
from modelyard.ops.history import History
from modelyard.storage.registry import Registry

# a run whose created_at differs a little from the time in its id must not stop a scan early
_SLACK = timedelta(days=1)
API = "/api/ml-development"
SITE = "/model-development"


class _Committed:
    """Versions read from git for one question, a recipe at a time (`History(lazy=True)`):
    storage keeps the manifest log and the parsed versions in its derived index, keyed by
    commit and blob, so nothing here needs to outlive the question."""

    def __init__(self, reg: Registry) -> None:
        self.history = History(reg, lazy=True)
        self._versions: dict[str, list[RecipeVersion]] = {}
        self._lock = threading.Lock()
        self.metric_names: set[str] | None = None

    def versions(self, recipe_id: str) -> list[RecipeVersion]:
        with self._lock:
            if recipe_id not in self._versions:
                count = len(self.history.versions_of(recipe_id))
                self._versions[recipe_id] = [
                    self.history.record(recipe_id, i) for i in range(count)
                ]
            return self._versions[recipe_id]


class Knowledge:
    """Read-only views of one registry for answering one question."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        self._snapshots: dict[str, list[MonitoringSnapshot]] = {}
        self._resolved: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
        self._runs: dict[str, Run | None] = {}
        self._manifest_files: dict[str, dict[str, Any]] = {}
        self.problems: dict[str, str] = {}  # recipe id -> why its manifest could not be read

    # -- records ---------------------------------------------------------------------
    @cached_property
    def recipes(self) -> dict[str, RecipeOut]:
        out: dict[str, RecipeOut] = {}
        offset = 0
        while True:
            page = recipes.list_recipes(self.reg, limit=MAX_LIMIT, offset=offset)
            out.update((r.id, r) for r in page.recipes)
            offset += MAX_LIMIT
            if offset >= page.total:
                return out

    @cached_property
    def models(self) -> dict[str, Model]:
        return {m.id: m for m in load.models(self.reg)}

    @cached_property
    def runs(self) -> list[Run]:
        """Every run, newest first (without logs: a question never needs them all)."""
        return sorted(load.runs(self.reg), key=lambda r: (r.created_at, r.id), reverse=True)

    def runs_since(self, since: datetime) -> list[Run]:
        """Runs created at or after `since`, newest first, reading no older shard than needed:
        run ids embed their creation time, so storage lists them newest first."""
        if "runs" in self.__dict__:
            return [r for r in self.runs if r.created_at >= since]
        out = []
        for run in load.runs(self.reg):
            if run.created_at < since - _SLACK:
                break
            self._runs[run.id] = run
            if run.created_at >= since:
                out.append(run)
        return sorted(out, key=lambda r: (r.created_at, r.id), reverse=True)

    def has_run(self, run_id: str) -> bool:
        return self.run(run_id) is not None

    def run(self, run_id: str) -> Run | None:
        """One run, read alone unless every run is loaded already."""
        if "runs" in self.__dict__:
            return next((r for r in self.runs if r.id == run_id), None)
        if run_id not in self._runs:
            try:
                self._runs[run_id] = load.run(self.reg, run_id)
            except ModelyardError:
                self._runs[run_id] = None
        return self._runs[run_id]

    def snapshots(self, model_id: str) -> list[MonitoringSnapshot]:
        """A model's snapshots, newest first."""
        if model_id not in self._snapshots:
            snaps: list[MonitoringSnapshot] = []
            offset = 0
            while True:
                page = monitoring.list_snapshots(self.reg, model_id, limit=MAX_LIMIT, offset=offset)
                snaps.extend(page.snapshots)
                offset += MAX_LIMIT
                if offset >= page.total:
                    break
            self._snapshots[model_id] = snaps
        return self._snapshots[model_id]

    @cached_property
    def _committed(self) -> _Committed:
        return _Committed(self.reg)

    @property
    def history(self) -> History:
        return self._committed.history

    def versions(self, recipe_id: str) -> list[RecipeVersion]:
        """A recipe's committed versions, oldest first, with diffs (empty, with the reason in
        `problems`, when they cannot be resolved)."""
        try:
            return self._committed.versions(recipe_id)
        except LineageTooDeep:
            # a bound of the registry crossed: refused like every other command, not explained
            raise
        except ModelyardError as exc:
            self.problems[recipe_id] = str(exc).splitlines()[0]
            return []

    def manifest_file(self, recipe_id: str) -> dict[str, Any]:
        """A recipe's own manifest as stored (overrides only, for a child)."""
        if recipe_id not in self._manifest_files:
            try:
                self._manifest_files[recipe_id] = load.manifest(self.reg, recipe_id).manifest
            except ModelyardError:
                self._manifest_files[recipe_id] = {}
        return self._manifest_files[recipe_id]

    def metric_names(self) -> set[str]:
        """Every metric a manifest names (evaluation, acceptance, monitoring): words to
        recognise in questions."""
        cached = self._committed.metric_names
        if cached is not None:
            return cached
        names: set[str] = set()
        for rid in self.recipes:
            manifest = self.manifest_file(rid)
            evaluation = manifest.get("evaluation") or {}
            names |= {m for m in evaluation.get("metrics") or [] if isinstance(m, str)}
            names |= set(evaluation.get("acceptance") or {})
            mon = manifest.get("monitoring") or {}
            names |= set(mon.get("performance") or {}) | set(mon.get("drift") or {})
        self._committed.metric_names = names
        return names

    def resolved(self, recipe_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        """The current resolved manifest and who set each value; empty, with the reason in
        `problems`, when the registry cannot resolve it (a pin to a missing version, a bad file)."""
        if recipe_id not in self._resolved:
            try:
                self._resolved[recipe_id] = recipes.resolved_manifest(self.reg, recipe_id)
            except LineageTooDeep:
                # a bound of the registry crossed: refused like every other command, not explained
                raise
            except ModelyardError as exc:
                self.problems[recipe_id] = str(exc).splitlines()[0]
                self._resolved[recipe_id] = ({}, {})
        return self._resolved[recipe_id]

    def manifest_of_version(self, recipe_id: str, version_id: str) -> dict[str, Any] | None:
        """The resolved manifest a model or run was built from (None when not committed)."""
        for v in self.versions(recipe_id):
            if v.version_id == version_id:
                return v.manifest_json
        return None

    # -- relations -------------------------------------------------------------------
    def children(self, recipe_id: str) -> list[RecipeOut]:
        return [r for r in self.recipes.values() if r.parent_id == recipe_id]

    def lineage(self, recipe_id: str) -> list[RecipeOut]:
        """The recipe and its ancestors, root first."""
        chain: list[RecipeOut] = []
        current: str | None = recipe_id
        # bounded: a chain longer than a lineage may be is refused where it is resolved
        while (
            current
            and current in self.recipes
            and all(r.id != current for r in chain)
            and len(chain) <= MAX_LINEAGE_DEPTH
        ):
            chain.insert(0, self.recipes[current])
            current = self.recipes[current].parent_id
        return chain

    def models_of(self, recipe_id: str) -> list[Model]:
        return [m for m in self.models.values() if m.recipe_id == recipe_id]

    def known(self, ident: str) -> bool:
        """Whether an id names a record of this registry."""
        if ident in self.recipes or ident in self.models:
            return True
        if ident.startswith("run_"):
            return self.has_run(ident)
        if ident.startswith("snap_"):
            return any(s.id == ident for m in self.models for s in self.snapshots(m))
        if ident.startswith("ver_"):
            return any(v.version_id == ident for r in self.recipes for v in self.versions(r))
        return False

    # -- references ------------------------------------------------------------------
    def ref(self, kind: str, ident: str) -> Reference:
        if kind == "recipe":
            r = self.recipes[ident]
            return Reference(
                type="recipe",
                id=ident,
                title=r.name,
                link=f"{SITE}/recipes/{ident}/",
                api=f"{API}/recipes/{ident}",
            )
        if kind == "model":
            m = self.models[ident]
            return Reference(
                type="model",
                id=ident,
                title=m.name,
                link=f"{SITE}/models/{ident}/",
                api=f"{API}/models/{ident}",
            )
        if kind == "run":
            run = self.run(ident)
            title = f"{run.run_type} run ({run.status})" if run else ident
            return Reference(
                type="run",
                id=ident,
                title=title,
                link=f"{SITE}/runs/{ident}/",
                api=f"{API}/runs/{ident}",
            )
        raise ValueError(kind)

    def version_ref(self, version: RecipeVersion) -> Reference:
        rid = version.recipe_id
        return Reference(
            type="version",
            id=version.version_id,
            title=f"{rid} {version.version_number}",
            link=f"{SITE}/recipes/{rid}/#{version.version_id}",
            api=f"{API}/recipes/{rid}/versions/{version.version_id}",
        )

    def snapshot_ref(self, snap: MonitoringSnapshot) -> Reference:
        return Reference(
            type="snapshot",
            id=snap.id,
            title=f"{snap.model_id} at {iso(snap.captured_at)}",
            link=f"{SITE}/models/{snap.model_id}/#{snap.id}",
            api=f"{API}/models/{snap.model_id}/monitoring",
        )
