"""Reading records by id, with the seed's not-found errors, and listings through storage's
record API. Every read of the operations goes through here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelyard.domain.ids import is_valid_id
from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.records import (
    ManifestFile,
    Model,
    Recipe,
    RecipeOut,
    Run,
    RunOut,
    SyntheticExample,
)
from modelyard.errors import NotFound
from modelyard.storage import layout, records
from modelyard.storage.records import (
    Hits,
    current_versions,
    listed,
    models_where,
    recipes_where,
    runs_where,
    snapshots,
)
from modelyard.storage.registry import Registry

__all__ = [
    "Hits",
    "current_versions",
    "listed",
    "models_where",
    "recipes_where",
    "runs_where",
    "snapshots",
]


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


def recipe_out(reg: Registry, rec: Recipe, version: Any = ...) -> RecipeOut:
    """A recipe with its current version; pass `version` when it is known already."""
    if version is ...:
        mf = reg.read(layout.manifest_file(rec.id), ManifestFile)
        version = mf.version if mf else None
    return RecipeOut(
        **rec.model_dump(),
        version=version,
        version_id=make_version_id(rec.id, version) if version else None,
    )


def model(reg: Registry, model_id: str) -> Model:
    _check("Model", model_id)
    found = reg.read_at(layout.model_file(model_id), Model, id=model_id)
    if found is None:
        raise NotFound("Model", model_id)
    return found


def run(reg: Registry, run_id: str) -> Run:
    _check("Run", run_id)
    found = reg.read_at(layout.run_file(run_id), Run, id=run_id)
    if found is None:
        raise NotFound("Run", run_id)
    return found


def run_out(reg: Registry, found: Run) -> RunOut:
    logs = reg.read_logs(layout.logs_file(found.id)) or ""
    return RunOut(**found.model_dump(), logs_text=logs)


def synthetic(reg: Registry, recipe_id: str) -> SyntheticExample | None:
    return reg.read_at(layout.synthetic_file(recipe_id), SyntheticExample, recipe_id=recipe_id)


# -- listings: storage's record API (storage/records.py) -----------------------------------------


def recipes(reg: Registry) -> Iterator[Recipe]:
    """Every recipe, by id."""
    return iter(records.recipes_where(reg).all())


def models(reg: Registry) -> Iterator[Model]:
    """Every model, by id."""
    return iter(records.models_where(reg).all())


def runs(reg: Registry) -> Iterator[Run]:
    """Every run, newest first."""
    return iter(records.runs_where(reg).all())
