"""Models: list, get, register, update."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from modelyard.domain.enums import ModelFamily, ModelStatus
from modelyard.domain.records import Model, ModelList
from modelyard.domain.requests import ModelCreate, ModelRollback, ModelUpdate
from modelyard.ops import models
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
from modelyard.server.schemas import BAD_QUERY, NOT_FOUND, WRITE_ERRORS

TAG = "Models"
reads = APIRouter(tags=[TAG])
writes = APIRouter(tags=[TAG])


@reads.get("/models", summary="List Models", response_model=ModelList, responses=BAD_QUERY)
async def list_models(
    access: Access,
    model_family: str | None = enum_query(ModelFamily, "models"),
    status: str | None = enum_query(ModelStatus, "models"),
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = DEFAULT_OFFSET,
    recipe_id: str | None = Query(None, description="Only models built from this recipe (extra)."),
    owner: str | None = Query(None, description="Only models with this owner (extra)."),
    as_of: str | None = Query(None, description=AS_OF),
) -> JSONResponse:
    """Models matching every given filter, by id; with `as_of`, as they were then."""
    return respond(
        await access.read(
            models.list_models, model_family, status, limit, offset, recipe_id, owner, as_of
        )
    )


@reads.get("/models/{model_id}", summary="Get Model", response_model=Model, responses=NOT_FOUND)
async def get_model(access: Access, model_id: str) -> JSONResponse:
    """One model."""
    return respond(await access.read_one(models.get_model, model_id))


@writes.post(
    "/models",
    summary="Register Model",
    status_code=201,
    response_model=Model,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def register_model(access: Access, body: ModelCreate) -> JSONResponse:
    """Register a model built from a committed version of a recipe (status draft unless given)."""
    return respond(await access.write(models.register_model, body), 201)


@writes.put(
    "/models/{model_id}",
    summary="Update Model",
    response_model=Model,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def update_model(access: Access, model_id: str, body: ModelUpdate) -> JSONResponse:
    """Rename, change owner, or move the status along draft -> staging -> production -> retired."""
    return respond(await access.write(models.update_model, model_id, body))


@reads.get(
    "/models/{model_id}/gate",
    summary="Check Promotion Gate",
    responses={**NOT_FOUND, **BAD_QUERY},
)
async def check_gate(
    access: Access,
    model_id: str,
    status: str = Query(
        description="The status to check the gate of (staging, production).",
        json_schema_extra={"enum": [m.value for m in ModelStatus]},
    ),
) -> JSONResponse:
    """Whether the model may enter `status` by its promotion gate, changing nothing (extra):
    every condition with its values and the runs looked at."""
    from modelyard.ops import gates

    verdict = await access.read(gates.check, model_id, status)
    return respond(verdict.as_json())


@reads.get("/models/{model_id}/history", summary="Model Status History", responses=NOT_FOUND)
async def model_history(access: Access, model_id: str) -> JSONResponse:
    """Every status change of the model, oldest first, from git (extra): when, who, the
    commit, the reason and the gate's verdict recorded in it."""
    from modelyard.ops.model_history import model_history as history

    changes = await access.read(history, model_id)
    return respond({"model_id": model_id, "changes": [c.as_json() for c in changes]})


@writes.post(
    "/models/{model_id}/rollback",
    summary="Roll Back Production",
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def rollback(
    access: Access, model_id: str, body: ModelRollback | None = None
) -> JSONResponse:
    """Put back the previous production model of the recipe and move this one to staging, in
    one commit (extra). The returning model's production gate applies (or `override_gate` with
    a `reason`)."""
    from modelyard.ops.rollback import rollback as do_rollback

    return respond(await access.write(do_rollback, model_id, body or {}))
