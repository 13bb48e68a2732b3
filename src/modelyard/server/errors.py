"""The server's one translation of errors into the seed's responses.

NotFound 404 `{"detail": "Recipe not found"}`, InvalidValue 400, ValidationFailed and
FastAPI's own request validation 422 with a list of loc/msg/type, Conflict and DirtyTree
409, LockTimeout 503; anything else is a 500 that says what went wrong, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from modelyard.domain.limits import nesting_message
from modelyard.errors import ModelyardError, NotFound
from modelyard.ops.common import seed_field_errors

log = logging.getLogger("modelyard.server")


def error_body(exc: ModelyardError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": exc.detail}
    # the hint of a not-found names CLI commands; an API client has no use for it
    if exc.action and not isinstance(exc, NotFound):
        body["action"] = exc.action
    body.update(getattr(exc, "extra", {}))  # a refused gate's verdict, beside the seed's fields
    return body


async def modelyard_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ModelyardError)
    if exc.http_status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return JSONResponse(error_body(exc), status_code=exc.http_status)


async def request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    entries = [e.as_json() for e in seed_field_errors(exc.errors())]
    return JSONResponse({"detail": entries}, status_code=422)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # FastAPI answers a body it cannot decode (not UTF-8, say) with a bare 400; the seed
    # answers every unreadable body with its 422 shape
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        entry = {
            "loc": ["body"],
            "msg": f"the body is not JSON text: {exc.__cause__}",
            "type": "value_error.jsondecode",
        }
        return JSONResponse({"detail": [entry]}, status_code=422)
    if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
        # JSON nested so deep that Python's reader gives up (about 1,000 levels); a body
        # nested less deep but beyond MAX_NESTING is refused on its field by the models
        entry = {
            "loc": ["body"],
            "msg": f"the body cannot be read: {nesting_message()}",
            "type": "value_error.nesting",
        }
        return JSONResponse({"detail": [entry]}, status_code=422)
    return await http_exception_handler(request, exc)


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    # the HTTP server logs the traceback itself once this response is sent
    return JSONResponse(
        {
            # the exception's own text stays in the log: it may name files of the server
            "detail": f"Internal server error: {type(exc).__name__}. "
            "This is a bug in modelyard; the server log has the traceback."
        },
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ModelyardError, modelyard_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
