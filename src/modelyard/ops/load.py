"""Reading records by id, with the seed's not-found errors, and listings through storage's
record API. Every read of the operations goes through here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


def _check(reg: Registry, kind: str, ident: str) -> None:
    if not is_valid_id(ident):
        raise missing(reg, kind, ident)


def did_you_mean(ident: str, choices: Iterable[str]) -> str | None:
    """`did you mean 'x'?` (or 'x' or 'y') for the closest of `choices`, or None."""
    pool = list(choices)
    close = [c for c in pool if ident and c.startswith(ident)][:3]  # `run_2026` and the like
    if not close:
        import difflib  # only for a not-found's hint

        close = difflib.get_close_matches(ident, pool, n=2, cutoff=0.7)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


def missing(reg: Registry, kind: str, ident: str) -> NotFound:
    """The not-found of a recipe, model or run, with the closest ids that exist."""
    if kind == "Run":
        ids: Iterable[str] = (run_id for _, run_id in reg.run_locations())
    else:
        ids = reg.ids_in(layout.RECIPES if kind == "Recipe" else layout.MODELS)
    try:
        hint = did_you_mean(ident, ids)
    except OSError:  # the hint is a courtesy: a folder that cannot be listed gives none
        hint = None
    return NotFound(kind, ident, hint=hint)


def recipe(reg: Registry, recipe_id: str) -> Recipe:
    _check(reg, "Recipe", recipe_id)
    found = reg.read_at(layout.recipe_file(recipe_id), Recipe, id=recipe_id)
    if found is None:
        raise missing(reg, "Recipe", recipe_id)
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
    _check(reg, "Model", model_id)
    found = reg.read_at(layout.model_file(model_id), Model, id=model_id)
    if found is None:
        raise missing(reg, "Model", model_id)
    return found


def run(reg: Registry, run_id: str) -> Run:
    _check(reg, "Run", run_id)
    found = reg.read_at(layout.run_file(run_id), Run, id=run_id)
    if found is None:
        raise missing(reg, "Run", run_id)
    return found


def run_out(reg: Registry, found: Run) -> RunOut:
    logs = reg.read_logs(layout.logs_file(found.id)) or ""
    # a validated Run and a string: nothing to validate again
    fields = {name: getattr(found, name) for name in type(found).model_fields}
    return RunOut.model_construct(found.model_fields_set | {"logs_text"}, **fields, logs_text=logs)


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
