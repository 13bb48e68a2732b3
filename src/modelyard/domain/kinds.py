"""The one table of record kinds: what each kind of registry file holds, where it lives,
which of its fields its place fixes, which a listing filters on, the name of its JSON
Schema, and which fields never change. Storage, validation and the schema export all read
this table, so a kind is named the same way everywhere (`synthetic`, whose schema file is
`synthetic-example.json`, after the file it describes)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from modelyard.domain.records import (
    ManifestFile,
    Model,
    MonitoringSnapshot,
    Recipe,
    RegistrySettings,
    Run,
    SyntheticExample,
)


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[BaseModel]
    path: str  # registry-relative, with {placeholders} for the ids the place fixes
    schema: str  # the stem of its JSON Schema in registry/.schema/
    title: str  # the schema's title
    filters: tuple[str, ...] = ()  # fields a listing filters on (at most four)
    immutable: tuple[str, ...] = ()  # fields a record keeps for life
    named: bool = False  # its `id` must equal its folder's name


_ALL = (
    Kind(
        "settings",
        RegistrySettings,
        "modelyard.yaml",
        "settings",
        "modelyard registry settings (modelyard.yaml)",
    ),
    Kind(
        "recipe",
        Recipe,
        "recipes/{recipe_id}/recipe.yaml",
        "recipe",
        "modelyard recipe (recipes/<id>/recipe.yaml)",
        filters=("model_family", "level", "status", "parent_id"),
        immutable=("id", "model_family", "created_at"),
        named=True,
    ),
    Kind(
        "manifest",
        ManifestFile,
        "recipes/{recipe_id}/manifest.yaml",
        "manifest",
        "modelyard recipe manifest (recipes/<id>/manifest.yaml)",
        filters=("version",),
    ),
    Kind(
        "synthetic",
        SyntheticExample,
        "recipes/{recipe_id}/synthetic-example.yaml",
        "synthetic-example",
        "modelyard synthetic example (recipes/<id>/synthetic-example.yaml)",
        immutable=("recipe_id", "created_at"),
    ),
    Kind(
        "model",
        Model,
        "models/{model_id}/model.yaml",
        "model",
        "modelyard model (models/<id>/model.yaml)",
        filters=("model_family", "status", "recipe_id", "owner"),
        immutable=("id", "model_family", "created_at", "recipe_id"),
        named=True,
    ),
    Kind(
        "snapshot",
        MonitoringSnapshot,
        "models/{model_id}/monitoring/{snapshot_id}.yaml",
        "snapshot",
        "modelyard monitoring snapshot (models/<model_id>/monitoring/<id>.yaml)",
        immutable=("id", "model_id", "captured_at"),
    ),
    Kind(
        "run",
        Run,
        "runs/{shard}/{run_id}/run.yaml",
        "run",
        "modelyard run (runs/<shard>/<id>/run.yaml)",
        filters=("model_id", "recipe_id", "status", "run_type"),
        immutable=("id", "created_at", "recipe_id", "recipe_version_id", "model_id", "run_type"),
        named=True,
    ),
)

KINDS: dict[str, Kind] = {k.name: k for k in _ALL}
