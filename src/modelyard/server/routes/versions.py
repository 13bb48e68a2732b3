"""Recipe versions: list, get, create. A version is a git commit."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from modelyard.domain.records import RecipeVersion, VersionList
from modelyard.domain.requests import VersionCreate
from modelyard.ops import versions
from modelyard.server.routes.common import AS_OF, Access, respond
from modelyard.server.schemas import BAD_QUERY, NOT_FOUND, WRITE_ERRORS

TAG = "Recipe Versions"
reads = APIRouter(tags=[TAG])
writes = APIRouter(tags=[TAG])


@reads.get(
    "/recipes/{recipe_id}/versions",
    summary="List Versions",
    response_model=VersionList,
    responses={**NOT_FOUND, **BAD_QUERY},
)
async def list_versions(
    access: Access, recipe_id: str, as_of: str | None = Query(None, description=AS_OF)
) -> JSONResponse:
    """Every committed version, oldest first, each with its resolved manifest and the
    semantic diff from the previous one; with `as_of`, those committed by then."""
    return respond(await access.read(versions.list_versions, recipe_id, None, as_of))


@reads.get(
    "/recipes/{recipe_id}/versions/{version_id}",
    summary="Get Version",
    response_model=RecipeVersion,
    responses=NOT_FOUND,
)
async def get_version(access: Access, recipe_id: str, version_id: str) -> JSONResponse:
    """One version, by `ver_<recipe>_v1.2.0`, `v1.2.0` or `1.2.0`."""
    return respond(await access.read(versions.get_version, recipe_id, version_id))


@writes.post(
    "/recipes/{recipe_id}/versions",
    summary="Create Version",
    status_code=201,
    response_model=RecipeVersion,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def create_version(access: Access, recipe_id: str, body: VersionCreate) -> JSONResponse:
    """Commit a new version from a full manifest; the version number is bumped from the
    semantic difference unless an explicit, greater `version` is given."""
    return respond(await access.write(versions.create_version, recipe_id, body), 201)
