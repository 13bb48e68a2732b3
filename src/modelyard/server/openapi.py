"""The OpenAPI document, tidied so it reads like the seed's: an optional query parameter is
its plain type (`string` with its enum; empty allowed, meaning "no filter") rather than
"that type or null". Operation ids are
the route names (`list_recipes`), and a created record links to what can be done with it
next (OpenAPI links: the new recipe's id feeds `get_recipe`, `create_version`, ...)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

_BY_ID = "$response.body#/id"
# operation that creates -> (operations that take the new id, {their parameter: where it is})
LINKS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "create_recipe": (
        (
            "get_recipe",
            "update_recipe",
            "delete_recipe",
            "clone_recipe",
            "get_resolved_manifest",
            "list_versions",
            "create_version",
            "get_synthetic",
            "create_synthetic",
        ),
        {"recipe_id": _BY_ID},
    ),
    "register_model": (
        ("get_model", "update_model", "list_snapshots", "create_snapshot"),
        {"model_id": _BY_ID},
    ),
    "create_run": (("get_run", "update_run"), {"run_id": _BY_ID}),
    "create_version": (
        ("get_version",),
        {"recipe_id": "$response.body#/recipe_id", "version_id": "$response.body#/version_id"},
    ),
}
LINKS["clone_recipe"] = LINKS["create_recipe"]


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return schema
    kept = [o for o in options if o != {"type": "null"}]
    if len(kept) != 1:
        return schema
    out = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **out}


def _add_links(doc: dict[str, Any]) -> None:
    operations = {
        op["operationId"]: op
        for item in doc.get("paths", {}).values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for source, (targets, params) in LINKS.items():
        created = operations.get(source, {}).get("responses", {}).get("201")
        if not created:
            continue
        links = {}
        for target in targets:
            if target not in operations:
                continue
            wanted = {
                p["name"] for p in operations[target].get("parameters", []) if p.get("in") == "path"
            }
            links[target] = {
                "operationId": target,
                "parameters": {k: v for k, v in params.items() if k in wanted},
            }
        created["links"] = links


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            for item in doc.get("paths", {}).values():
                for operation in item.values():
                    for param in operation.get("parameters", []):
                        if param.get("in") == "query" and not param.get("required"):
                            param["schema"] = _plain(param["schema"])
                            if "enum" in param["schema"]:
                                # `?status=` is the same as no status filter, as forms send it
                                param["allowEmptyValue"] = True
            _add_links(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
