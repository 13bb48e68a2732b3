"""Runs: list, get, create, update."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from modelyard.domain.enums import RunStatus, RunType
from modelyard.domain.records import RunList, RunOut
from modelyard.domain.requests import RunCreate, RunUpdate
from modelyard.ops import runs
from modelyard.server.routes.common import (
    DEFAULT_LIMIT,
    DEFAULT_OFFSET,
    Access,
    Limit,
    Offset,
    enum_query,
    respond,
)
from modelyard.server.schemas import BAD_QUERY, NOT_FOUND, WRITE_ERRORS

TAG = "Runs"
reads = APIRouter(tags=[TAG])
writes = APIRouter(tags=[TAG])


@reads.get("/runs", summary="List Runs", response_model=RunList, responses=BAD_QUERY)
async def list_runs(
    access: Access,
    model_id: str | None = Query(None, description="Only runs of this model."),
    recipe_id: str | None = Query(None, description="Only runs of this recipe."),
    status: str | None = enum_query(RunStatus, "runs"),
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = DEFAULT_OFFSET,
    run_type: str | None = enum_query(RunType, "runs (extra)"),
) -> JSONResponse:
    """Runs matching every given filter, newest first."""
    return respond(
        await access.read(runs.list_runs, model_id, recipe_id, status, limit, offset, run_type)
    )


@reads.get("/runs/{run_id}", summary="Get Run", response_model=RunOut, responses=NOT_FOUND)
async def get_run(access: Access, run_id: str) -> JSONResponse:
    """One run with its logs."""
    return respond(await access.read_one(runs.get_run, run_id))


@writes.post(
    "/runs",
    summary="Create Run",
    status_code=201,
    response_model=RunOut,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def create_run(access: Access, body: RunCreate) -> JSONResponse:
    """Queue a run of a committed recipe version, optionally for a model built from that recipe."""
    return respond(await access.write(runs.create_run, body), 201)


@writes.put(
    "/runs/{run_id}",
    summary="Update Run",
    response_model=RunOut,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def update_run(access: Access, run_id: str, body: RunUpdate) -> JSONResponse:
    """Report progress or results. Leaving queued sets started_at, a final status sets
    finished_at; succeeded and failed are final."""
    return respond(await access.write(runs.update_run, run_id, body))
