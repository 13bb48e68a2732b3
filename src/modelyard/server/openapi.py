"""The OpenAPI document, tidied so it reads like the seed's: an optional query parameter is
its plain type (`string` with its enum) rather than "that type or null"."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return schema
    kept = [o for o in options if o != {"type": "null"}]
    if len(kept) != 1:
        return schema
    out = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **out}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes, tags=app.openapi_tags,
            )
            for item in doc.get("paths", {}).values():
                for operation in item.values():
                    for param in operation.get("parameters", []):
                        if param.get("in") == "query" and not param.get("required"):
                            param["schema"] = _plain(param["schema"])
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
