"""JSON Schemas of every kind of registry file, generated from the pydantic models.

Editors using the YAML language server read them through the
`# yaml-language-server: $schema=...` line that heads every file the CLI writes.
A schema says what a file may hold; rules that span files (references, lineage,
versions) are `modelyard validate`'s.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from modelyard.domain.kinds import KINDS as ALL_KINDS
from modelyard.domain.manifest import Manifest

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# JSON Schema file stem -> the record it describes (domain/kinds.py holds the table)
KINDS: dict[str, type[BaseModel]] = {k.schema: k.model for k in ALL_KINDS.values()}
TITLES: dict[str, str] = {k.schema: k.title for k in ALL_KINDS.values()}

_OVERRIDE = "Override"


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of file (a key of KINDS)."""
    model = KINDS[kind]
    schema = model.model_json_schema(mode="validation")
    if kind == "manifest":
        schema = _manifest_file_schema(schema)
    out: dict[str, Any] = {"$schema": DIALECT, "title": TITLES[kind]}
    out.update({k: v for k, v in schema.items() if k != "title"})
    return out


def all_schemas() -> dict[str, dict[str, Any]]:
    """Every kind's schema, keyed by the file name stem used in `registry/.schema/`."""
    return {kind: schema_for(kind) for kind in KINDS}


def _manifest_file_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`manifest` is a whole Manifest for a root recipe and overrides (every field optional,
    `null` removes a key) for a child, told apart by `extends`."""
    full = Manifest.model_json_schema(mode="validation", ref_template="#/$defs/{model}")
    defs: dict[str, Any] = dict(schema.get("$defs", {}))
    manifest_defs = full.pop("$defs", {})
    defs.update(manifest_defs)
    defs["Manifest"] = full
    for name, definition in [*manifest_defs.items(), ("Manifest", full)]:
        defs[name + _OVERRIDE] = _partial(definition)
    props = schema["properties"]
    props["manifest"] = {
        "description": "The whole manifest of a root recipe, or only the overrides of a child "
        "(mappings merge key by key, lists and scalars replace, null removes a key).",
        "type": "object",
    }
    schema["$defs"] = defs
    schema["if"] = {"required": ["extends"], "properties": {"extends": {"type": "object"}}}
    schema["then"] = {"properties": {"manifest": {"$ref": f"#/$defs/Manifest{_OVERRIDE}"}}}
    schema["else"] = {"properties": {"manifest": {"$ref": "#/$defs/Manifest"}}}
    return schema


def _partial(definition: dict[str, Any]) -> dict[str, Any]:
    return _loosen(_retarget(copy.deepcopy(definition)))


def _loosen(node: Any) -> Any:
    """No field required, and every mapping value may be `null` (which removes it)."""
    if isinstance(node, list):
        return [_loosen(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _loosen(value) for key, value in node.items() if key != "required"}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {key: _nullable(value) for key, value in out["properties"].items()}
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = _nullable(out["additionalProperties"])
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _retarget(node: Any) -> Any:
    """Point every `$ref` inside an override definition at the override of its target."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and not ref.endswith(_OVERRIDE):
            node["$ref"] = ref + _OVERRIDE
        for value in node.values():
            _retarget(value)
    elif isinstance(node, list):
        for item in node:
            _retarget(item)
    return node
