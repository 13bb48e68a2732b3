"""A recipe's data contract as a Frictionless Table Schema (docs/synthetic.md).

`dataset_schema_json` holds `fields` (each a `name`, a `type` and optional `constraints`:
required, unique, minimum, maximum, enum, pattern, minLength, maxLength) and optionally
`primaryKey`. This module derives such a schema from a manifest, fitted to its family, and
says whether a schema covers the manifest's features and target. Checking a schema and rows
against the specification is left to the `frictionless` library (ops/tableschema.py).
"""

from __future__ import annotations

from typing import Any

# manifest dtype -> Table Schema type
FIELD_TYPES = {
    "float": "number",
    "int": "integer",
    "string": "string",
    "bool": "boolean",
    "category": "string",
    "datetime": "datetime",
}

# (name fragment, minimum, maximum): plausible ranges for common column names, first match
# wins
_RANGES: list[tuple[str, float, float]] = [
    ("discount", 0.0, 0.5),
    ("pct", 0.0, 1.0),
    ("ratio", 0.0, 2.0),
    ("rate", 0.0, 1.0),
    ("price", 0.5, 120.0),
    ("cost", 0.5, 80.0),
    ("spend", 5.0, 250.0),
    ("income", 15000.0, 120000.0),
    ("population", 1000.0, 500000.0),
    ("revenue", 50000.0, 5000000.0),
    ("footfall", 100.0, 40000.0),
    ("units", 0.0, 400.0),
    ("sold", 0.0, 400.0),
    ("demand", 0.0, 400.0),
    ("lag", 0.0, 400.0),
    ("rolling", 0.0, 400.0),
    ("mean", 0.0, 400.0),
    ("days", 0, 3650),
    ("count", 0, 25),
    ("age", 18, 90),
    ("score", 0.0, 1.0),
]

_CATEGORIES = {
    "day_of_week": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "weekday": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "category": ["produce", "dairy", "bakery", "frozen", "household"],
    "segment": ["new", "loyal", "at_risk", "lapsed"],
    "channel": ["web", "store", "app", "email"],
    "region": ["north", "south", "east", "west"],
}

# the family's identifying column: (name, pattern), and whether rows are also keyed by time
_KEYS = {
    "pricing": ("sku", "SKU-[0-9]{4}", True),
    "forecasting": ("series_id", "S[0-9]{2}-SKU-[0-9]{4}", True),
    "next_best_action": ("customer_id", "C-[0-9]{5}", False),
    "location_scoring": ("site_id", "SITE-[0-9]{4}", False),
}


def is_table_schema(schema: Any) -> bool:
    """Whether a stored `dataset_schema_json` claims to be a Table Schema (it has `fields`)."""
    return isinstance(schema, dict) and "fields" in schema


def field_names(schema: dict[str, Any]) -> list[str]:
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return []
    return [f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)]


def manifest_columns(manifest: dict[str, Any]) -> list[str]:
    """The columns a manifest's data must have: its features, then its target."""
    out = [str(k) for k in manifest.get("features") or {}]
    target = (manifest.get("target") or {}).get("name")
    if isinstance(target, str) and target not in out:
        out.append(target)
    return out


def missing_columns(schema: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """Features and target of the manifest that the schema has no field for."""
    names = set(field_names(schema))
    return [c for c in manifest_columns(manifest) if c not in names]


def evaluated_metrics(manifest: dict[str, Any]) -> list[str]:
    """The metrics a recipe evaluates: `evaluation.metrics` and its acceptance thresholds."""
    evaluation = manifest.get("evaluation") or {}
    names = list(evaluation.get("metrics") or [])
    names += [m for m in evaluation.get("acceptance") or {} if m not in names]
    return [str(n) for n in names]


def derive_schema(manifest: dict[str, Any], family: str) -> dict[str, Any]:
    """A Table Schema for a recipe's data: the family's key column, the timestamp column of
    the target's data source, every feature, the family's own columns, then the target; each
    with constraints that make generated values plausible."""
    fields: list[dict[str, Any]] = []
    key, pattern, timed = _KEYS.get(family, ("row_id", "R-[0-9]{6}", False))
    fields.append(
        {
            "name": key,
            "type": "string",
            "constraints": {"required": True, "pattern": pattern}
            | ({} if timed else {"unique": True}),
        }
    )
    primary = [key]
    stamp = timestamp_column(manifest)
    if stamp:
        frequency = (manifest.get("forecasting") or {}).get("frequency")
        kind = "date" if frequency in ("D", "W", "M") else "datetime"
        low, high = ("2025-01-01", "2026-06-30")
        if kind == "datetime":
            low, high = f"{low}T00:00:00Z", f"{high}T23:59:59Z"
        fields.append(
            {
                "name": stamp,
                "type": kind,
                "constraints": {"required": True, "minimum": low, "maximum": high},
            }
        )
        if timed:
            primary.append(stamp)
    taken = {f["name"] for f in fields}
    for name, spec in (manifest.get("features") or {}).items():
        if name in taken:
            continue
        fields.append(_column(str(name), spec or {}, manifest))
        taken.add(name)
    for extra in _family_columns(manifest, family):
        if extra["name"] not in taken:
            fields.append(extra)
            taken.add(extra["name"])
    target = manifest.get("target") or {}
    if target.get("name") and target["name"] not in taken:
        fields.append(_target(target))
    return {"fields": fields, "primaryKey": primary}


def timestamp_column(manifest: dict[str, Any]) -> str | None:
    """The timestamp column of the target's data source, else of the first source with one."""
    sources = manifest.get("data_sources") or {}
    source = (manifest.get("target") or {}).get("source")
    ordered = [sources[source]] if source in sources else []
    ordered += [s for n, s in sources.items() if n != source]
    for spec in ordered:
        column = (spec or {}).get("timestamp_column")
        if isinstance(column, str) and column:
            return column
    return None


def _column(name: str, spec: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    dtype = str(spec.get("dtype", "float"))
    kind = FIELD_TYPES.get(dtype, "string")
    out: dict[str, Any] = {"name": name, "type": kind}
    if spec.get("description"):
        out["description"] = spec["description"]
    constraints: dict[str, Any] = {"required": True}
    if dtype == "category":
        constraints["enum"] = _categories(name, manifest)
    elif kind in ("number", "integer"):
        low, high = _range(name, kind)
        constraints |= {"minimum": low, "maximum": high}
    elif kind == "string":
        constraints |= {"minLength": 1, "maxLength": 40}
    elif kind == "datetime":
        constraints |= {"minimum": "2025-01-01T00:00:00Z", "maximum": "2026-06-30T23:59:59Z"}
    out["constraints"] = constraints
    return out


def _range(name: str, kind: str) -> tuple[float, float]:
    lowered = name.lower()
    for fragment, low, high in _RANGES:
        if fragment in lowered:
            if kind == "integer":
                return int(low), int(high)
            return float(low), float(high)
    return (0, 1000) if kind == "integer" else (0.0, 100.0)


def _categories(name: str, manifest: dict[str, Any]) -> list[str]:
    if name in ("region", "regions"):
        regions = ((manifest.get("location_scoring") or {}).get("geography") or {}).get("regions")
        if regions:
            return [str(r) for r in regions]
    for fragment, values in _CATEGORIES.items():
        if fragment in name.lower():
            return list(values)
    return [f"{name}_{i}" for i in range(1, 5)]


def _family_columns(manifest: dict[str, Any], family: str) -> list[dict[str, Any]]:
    if family == "next_best_action":
        actions = list((manifest.get("next_best_action") or {}).get("actions") or {})
        if actions:
            return [
                {
                    "name": "action",
                    "type": "string",
                    "description": "The action offered, from the recipe's action catalogue.",
                    "constraints": {"required": True, "enum": [str(a) for a in actions]},
                }
            ]
    if family == "location_scoring":
        regions = ((manifest.get("location_scoring") or {}).get("geography") or {}).get("regions")
        if regions:
            return [
                {
                    "name": "region",
                    "type": "string",
                    "constraints": {"required": True, "enum": [str(r) for r in regions]},
                }
            ]
    return []


def _target(target: dict[str, Any]) -> dict[str, Any]:
    name, dtype, kind = str(target["name"]), str(target.get("dtype", "float")), target.get("kind")
    out: dict[str, Any] = {"name": name, "type": FIELD_TYPES.get(dtype, "number")}
    if target.get("description"):
        out["description"] = target["description"]
    constraints: dict[str, Any] = {"required": True}
    if dtype == "category" or (dtype == "string" and kind == "classification"):
        constraints["enum"] = ["yes", "no"]
    elif out["type"] in ("number", "integer"):
        if kind == "ranking":
            low, high = (1, 10) if out["type"] == "integer" else (0.0, 1.0)
        else:
            low, high = _range(name, out["type"])
        constraints |= {"minimum": low, "maximum": high}
    out["constraints"] = constraints
    return out
