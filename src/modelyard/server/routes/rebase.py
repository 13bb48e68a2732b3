"""Rebasing a child recipe onto a newer version of its parent (a modelyard extra)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from modelyard.ops import rebase
from modelyard.ops.rebase import RebaseRequest, RebaseResult
from modelyard.server.routes.common import Access, respond
from modelyard.server.schemas import NOT_FOUND, WRITE_ERRORS

TAG = "Recipe Versions"
reads = APIRouter(tags=[TAG])
writes = APIRouter(tags=[TAG])


@reads.get(
    "/recipes/{recipe_id}/rebase",
    summary="Plan Rebase (modelyard extra)",
    response_model=RebaseResult,
    responses={**NOT_FOUND, 409: WRITE_ERRORS[409]},
)
async def plan_rebase(
    access: Access,
    recipe_id: str,
    to_version: str | None = Query(
        None, description="The parent version to rebase onto (default: its current one)."
    ),
) -> JSONResponse:
    """What rebasing the child onto a newer parent version would change, conflicts included
    (`applied: false`); nothing is written."""
    return respond(await access.read(rebase.plan_rebase, recipe_id, to_version))


@writes.post(
    "/recipes/{recipe_id}/rebase",
    summary="Rebase Recipe (modelyard extra)",
    status_code=201,
    response_model=RebaseResult,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def rebase_recipe(access: Access, recipe_id: str, body: RebaseRequest) -> JSONResponse:
    """Commit the rebase as a new version of the child; 409 naming every conflict that the
    body's `ours`, `theirs` or `resolutions` leave unsettled."""
    return respond(await access.write(rebase.rebase_from_body, recipe_id, body), 201)
