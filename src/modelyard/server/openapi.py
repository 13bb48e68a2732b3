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


# what the server refuses in every text of a request body (Body._no_nul), stated in the schema
NO_NUL = "^[^\\x00]*$"


def _state_body_rules(doc: dict[str, Any]) -> None:
    """Write into the document the rules the request bodies enforce beyond their types, so
    a client (or a fuzzer) that follows the schema is not refused: no text holds a NUL."""
    schemas = doc.get("components", {}).get("schemas", {})
    bodies = {
        ref.rsplit("/", 1)[-1]
        for item in doc.get("paths", {}).values()
        for op in item.values()
        if isinstance(op, dict)
        for media in op.get("requestBody", {}).get("content", {}).values()
        if (ref := media.get("schema", {}).get("$ref"))
    }
    for name in bodies:
        for prop in schemas.get(name, {}).get("properties", {}).values():
            _no_nul(prop)


def _no_nul(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and not {"pattern", "enum", "format"} & schema.keys():
        schema["pattern"] = NO_NUL
    for option in schema.get("anyOf", []):
        _no_nul(option)
    if isinstance(schema.get("items"), dict):
        _no_nul(schema["items"])


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
            _state_body_rules(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
