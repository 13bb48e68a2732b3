"""The server's one translation of errors into the seed's responses.

NotFound 404 `{"detail": "Recipe not found"}`, InvalidValue 400, ValidationFailed and
FastAPI's own request validation 422 with a list of loc/msg/type, Conflict and DirtyTree
409, LockTimeout 503; anything else is a 500 that says what went wrong, never a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Route, compile_path

from modelyard.domain.limits import nesting_message
from modelyard.errors import ModelyardError, NotFound
from modelyard.ops.common import seed_field_errors

log = logging.getLogger("modelyard.server")


def error_body(exc: ModelyardError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": exc.detail}
    # the hint of a not-found names CLI commands; an API client has no use for it
    if exc.action and not isinstance(exc, NotFound):
        body["action"] = exc.action
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
    if exc.status_code in (404, 405):
        table: MethodTable | None = getattr(request.app.state, "methods", None)
        allowed = table.allowed(request.url.path) if table else set()
        if allowed and request.method not in allowed:
            # the router stops at the first route whose path matches and names only its
            # methods; the path may be served by several routes (GET and POST /runs)
            headers = {"Allow": ", ".join(sorted(allowed))}
            return JSONResponse({"detail": "Method Not Allowed"}, 405, headers=headers)
        if exc.status_code == 405 and table and not allowed and table.is_api(request.url.path):
            # only the GET-only catch-all of the catalog's JSON mirrors is there: no resource
            return JSONResponse({"detail": "Not Found"}, 404)
    return await http_exception_handler(request, exc)


class MethodTable:
    """The methods the API answers at each of its paths, to name them all in a 405's
    `Allow` (the router names only those of the first route whose path matches)."""

    def __init__(self, prefix: str, routes: Iterable[BaseRoute]) -> None:
        self.prefix = prefix
        self.paths: list[tuple[re.Pattern[str], set[str]]] = []
        for route in routes:
            if isinstance(route, Route) and route.methods:
                regex, _, _ = compile_path(prefix + route.path)
                self.paths.append((regex, set(route.methods)))

    def is_api(self, path: str) -> bool:
        return path.startswith(self.prefix + "/")

    def allowed(self, path: str) -> set[str]:
        """Every method some API route answers at `path` (HEAD wherever GET is)."""
        allowed: set[str] = set()
        for regex, methods in self.paths:
            if regex.match(path):
                allowed |= methods
        if "GET" in allowed:
            allowed.add("HEAD")
        return allowed


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
