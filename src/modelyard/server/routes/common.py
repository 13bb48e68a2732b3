"""What every route module shares: the registry dependency, query parameters as the seed
spells them, and the one serializer."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from modelyard.domain.enums import allowed
from modelyard.ops.common import DEFAULT_LIMIT, MAX_LIMIT
from modelyard.server.access import RegistryAccess


async def _access(request: Request) -> RegistryAccess:
    access: RegistryAccess = request.app.state.access
    return access


Access = Annotated[RegistryAccess, Depends(_access)]


def enum_query(enum: type[StrEnum], what: str) -> Any:
    """An enum in the query, received as text so that a bad value gets the seed's 400
    `Invalid <name> value` from the operations layer rather than a 422."""
    return Query(
        None,
        description=f"Only {what} with this value. One of: {allowed(enum)}.",
        json_schema_extra={"enum": [m.value for m in enum]},
    )


Limit = Annotated[
    int,
    Query(
        description=f"At most this many (1 to {MAX_LIMIT}; more is refused with 422, not capped).",
        json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},
    ),
]
Offset = Annotated[
    int, Query(description="Skip this many matches first.", json_schema_extra={"minimum": 0})
]
DEFAULT_OFFSET = 0
AS_OF = (
    "As the registry was at this time, read from git (extra): a date (`2026-11-01`, the end "
    "of that day in UTC) or an ISO 8601 time."
)
__all__ = [
    "AS_OF",
    "DEFAULT_LIMIT",
    "DEFAULT_OFFSET",
    "Access",
    "Limit",
    "Offset",
    "enum_query",
    "respond",
]


def respond(record: BaseModel | dict[str, Any], status_code: int = 200) -> JSONResponse:
    """The seed's response body: `model_dump(mode="json")`, the serializer the CLI's --json
    and the catalog's JSON mirrors use too."""
    body = record.model_dump(mode="json") if isinstance(record, BaseModel) else record
    return JSONResponse(body, status_code=status_code)
