"""Response shapes the server adds to the records of `domain/records.py`: errors, the
delete result and the resolved manifest. Used for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from modelyard.domain.records import Response


class ErrorDetail(Response):
    """`{"detail": "Recipe not found"}`; `action` (an extra) suggests what to do next."""

    detail: str
    action: str | None = None


class DeleteResult(Response):
    deleted: bool
    id: str


class ResolvedManifest(Response):
    """A recipe's current manifest with its parents' values merged in, and for each value
    (by dotted path) the recipe that set it."""

    recipe_id: str
    version: str | None = None
    manifest: dict[str, Any]
    provenance: dict[str, str] = Field(default_factory=dict)


Responses = dict[int | str, dict[str, Any]]


def error(description: str) -> dict[str, Any]:
    return {"model": ErrorDetail, "description": description}


NOT_FOUND: Responses = {404: error('No such record: `{"detail": "Recipe not found"}` and the like')}
BAD_QUERY: Responses = {
    400: error("A query parameter has a value outside its enum: `Invalid status value ...`")
}
WRITE_ERRORS: Responses = {
    401: error(
        "Write tokens are configured and the request has no valid `Authorization: Bearer` token"
    ),
    409: error(
        "The registry's state forbids the change (a used recipe, an illegal status change, "
        "uncommitted edits over the files it would write)"
    ),
    413: error("The request body is larger than the server accepts"),
    503: error("Another process held the registry's write lock for too long"),
}
