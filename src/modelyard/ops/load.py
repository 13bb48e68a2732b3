"""Reading records by id, with the seed's not-found errors. Every read goes through here."""

from __future__ import annotations

from collections.abc import Iterator

from modelyard.domain.ids import is_valid_id
from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.records import (
    ManifestFile,
    Model,
    MonitoringSnapshot,
    Recipe,
    RecipeOut,
    Run,
    RunOut,
    SyntheticExample,
)
from modelyard.errors import NotFound
from modelyard.storage import layout
from modelyard.storage.registry import Registry


def _check(kind: str, ident: str) -> None:
    if not is_valid_id(ident):
        raise NotFound(kind, ident)


def recipe(reg: Registry, recipe_id: str) -> Recipe:
    _check("Recipe", recipe_id)
    found = reg.read_at(layout.recipe_file(recipe_id), Recipe, id=recipe_id)
    if found is None:
        raise NotFound("Recipe", recipe_id)
    return found


def manifest(reg: Registry, recipe_id: str) -> ManifestFile:
    found = reg.read(layout.manifest_file(recipe_id), ManifestFile)
    if found is None:
        raise NotFound("Recipe manifest", recipe_id)
    return found


def recipe_out(reg: Registry, rec: Recipe) -> RecipeOut:
    mf = reg.read(layout.manifest_file(rec.id), ManifestFile)
    version = mf.version if mf else None
    return RecipeOut(
        **rec.model_dump(),
        version=version,
        version_id=make_version_id(rec.id, version) if version else None,
    )


def recipes(reg: Registry) -> Iterator[Recipe]:
    for recipe_id in reg.ids_in(layout.RECIPES):
        found = reg.read_at(layout.recipe_file(recipe_id), Recipe, id=recipe_id)
        if found is not None:
            yield found


def model(reg: Registry, model_id: str) -> Model:
    _check("Model", model_id)
    found = reg.read_at(layout.model_file(model_id), Model, id=model_id)
    if found is None:
        raise NotFound("Model", model_id)
    return found


def models(reg: Registry) -> Iterator[Model]:
    for model_id in reg.ids_in(layout.MODELS):
        found = reg.read_at(layout.model_file(model_id), Model, id=model_id)
        if found is not None:
            yield found


def run(reg: Registry, run_id: str) -> Run:
    _check("Run", run_id)
    found = reg.read_at(layout.run_file(run_id), Run, id=run_id)
    if found is None:
        raise NotFound("Run", run_id)
    return found


def run_out(reg: Registry, found: Run) -> RunOut:
    logs = reg.read_text(layout.logs_file(found.id)) or ""
    return RunOut(**found.model_dump(), logs_text=logs)


def runs(reg: Registry) -> Iterator[Run]:
    """Every run, newest first."""
    for shard, run_id in reg.run_locations():
        found = reg.read_at(f"{layout.RUNS}/{shard}/{run_id}/{layout.RUN_FILE}", Run, id=run_id)
        if found is not None:
            yield found


def snapshots(reg: Registry, model_id: str) -> list[MonitoringSnapshot]:
    out = []
    for snap_id in reg.snapshot_ids(model_id):
        found = reg.read_at(layout.snapshot_file(model_id, snap_id), MonitoringSnapshot,
                            id=snap_id, model_id=model_id)
        if found is not None:
            out.append(found)
    return out


def synthetic(reg: Registry, recipe_id: str) -> SyntheticExample | None:
    return reg.read_at(layout.synthetic_file(recipe_id), SyntheticExample, recipe_id=recipe_id)
