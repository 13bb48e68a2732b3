"""Recipes: list, get, create, update, delete, clone; and (an extra) the resolved manifest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from modelyard.domain.enums import ModelFamily, RecipeLevel, RecipeStatus
from modelyard.domain.records import NewName, RecipeList, RecipeOut
from modelyard.domain.requests import RecipeCreate, RecipeUpdate
from modelyard.ops import recipes
from modelyard.server.routes.common import (
    AS_OF,
    DEFAULT_LIMIT,
    DEFAULT_OFFSET,
    Access,
    Limit,
    Offset,
    enum_query,
    respond,
)
from modelyard.server.schemas import (
    BAD_QUERY,
    NOT_FOUND,
    WRITE_ERRORS,
    DeleteResult,
    ResolvedManifest,
)
from modelyard.storage.registry import Registry

TAG = "Recipes"
reads = APIRouter(tags=[TAG])
writes = APIRouter(tags=[TAG])


@reads.get("/recipes", summary="List Recipes", response_model=RecipeList, responses=BAD_QUERY)
async def list_recipes(
    access: Access,
    model_family: str | None = enum_query(ModelFamily, "recipes"),
    level: str | None = enum_query(RecipeLevel, "recipes"),
    status: str | None = enum_query(RecipeStatus, "recipes"),
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = DEFAULT_OFFSET,
    as_of: str | None = Query(None, description=AS_OF),
) -> JSONResponse:
    """Recipes matching every given filter, by id; `total` counts all matches before paging.
    With `as_of`, as they were then (each with the version it was at)."""
    return respond(
        await access.read(recipes.list_recipes, model_family, level, status, limit, offset, as_of)
    )


@reads.get(
    "/recipes/{recipe_id}", summary="Get Recipe", response_model=RecipeOut, responses=NOT_FOUND
)
async def get_recipe(access: Access, recipe_id: str) -> JSONResponse:
    """One recipe, with its current version (extra fields `version`, `version_id`)."""
    return respond(await access.read(recipes.get_recipe, recipe_id))


@reads.get(
    "/recipes/{recipe_id}/manifest",
    summary="Get Resolved Manifest (modelyard extra)",
    response_model=ResolvedManifest,
    responses=NOT_FOUND,
)
async def get_resolved_manifest(access: Access, recipe_id: str) -> JSONResponse:
    """The recipe's current manifest with its parents' values merged in, and which recipe
    set each value."""
    return respond(await access.read(_resolved, recipe_id))


def _resolved(reg: Registry, recipe_id: str) -> ResolvedManifest:
    manifest, provenance = recipes.resolved_manifest(reg, recipe_id)
    return ResolvedManifest(
        recipe_id=recipe_id,
        version=recipes.get_recipe(reg, recipe_id).version,
        manifest=manifest,
        provenance=provenance,
    )


@writes.post(
    "/recipes",
    summary="Create Recipe",
    status_code=201,
    response_model=RecipeOut,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def create_recipe(access: Access, body: RecipeCreate) -> JSONResponse:
    """A new recipe at version 1.0.0, status draft, committed. A child (with `parent_id`)
    stores only its differences from the parent and pins the parent's current version."""
    return respond(await access.write(recipes.create_recipe, body), 201)


@writes.put(
    "/recipes/{recipe_id}",
    summary="Update Recipe",
    response_model=RecipeOut,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def update_recipe(access: Access, recipe_id: str, body: RecipeUpdate) -> JSONResponse:
    """Change name, tags or status (draft <-> approved, any -> archived, archived -> draft)."""
    return respond(await access.write(recipes.update_recipe, recipe_id, body))


@writes.delete(
    "/recipes/{recipe_id}",
    summary="Delete Recipe",
    response_model=DeleteResult,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def delete_recipe(access: Access, recipe_id: str) -> JSONResponse:
    """Delete a recipe nothing uses; 409 naming the models, runs and child recipes otherwise."""
    return respond(await access.write(recipes.delete_recipe, recipe_id))


@writes.post(
    "/recipes/{recipe_id}/clone",
    summary="Clone Recipe",
    status_code=201,
    response_model=RecipeOut,
    responses={**NOT_FOUND, **BAD_QUERY, **WRITE_ERRORS},
)
async def clone_recipe(
    access: Access,
    recipe_id: str,
    name: Annotated[NewName, Query(description="The new recipe's name.")],
    level: str | None = Query(
        None,
        description="Level of the clone (extra; default the source's level): "
        "baseline, industry or client.",
        json_schema_extra={"enum": [m.value for m in RecipeLevel]},
    ),
) -> JSONResponse:
    """A child of the source pinned to its current version with no overrides: the same
    resolved manifest, a new lineage, status draft."""
    return respond(await access.write(recipes.clone_recipe, recipe_id, name, level), 201)
