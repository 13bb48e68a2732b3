"""A recipe's synthetic example: get and set."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from modelyard.domain.records import SyntheticExample
from modelyard.domain.requests import SyntheticCreate
from modelyard.ops import synthetic
from modelyard.server.routes.common import Access, respond
from modelyard.server.schemas import NOT_FOUND, WRITE_ERRORS

TAG = "Synthetic Examples"
reads = APIRouter(tags=[TAG])
writes = APIRouter(tags=[TAG])


@reads.get(
    "/recipes/{recipe_id}/synthetic-example",
    summary="Get Synthetic Example",
    response_model=SyntheticExample,
    responses=NOT_FOUND,
)
async def get_synthetic(access: Access, recipe_id: str) -> JSONResponse:
    """The recipe's synthetic example; 404 `Synthetic example not found` when it has none."""
    return respond(await access.read(synthetic.get_synthetic, recipe_id))


@writes.post(
    "/recipes/{recipe_id}/synthetic-example",
    summary="Create Synthetic Example",
    status_code=201,
    response_model=SyntheticExample,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def create_synthetic(access: Access, recipe_id: str, body: SyntheticCreate) -> JSONResponse:
    """Set the recipe's synthetic example, replacing an earlier one."""
    return respond(await access.write(synthetic.create_synthetic, recipe_id, body), 201)
