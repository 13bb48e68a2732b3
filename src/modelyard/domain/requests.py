"""Request bodies of the seed API. Unknown fields are refused (a typo is an error).

Fields beyond the seed's are optional extras, documented in docs/api.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from modelyard.domain.enums import (
    ModelFamily,
    ModelStatus,
    RecipeLevel,
    RecipeStatus,
    RunStatus,
    RunType,
)
from modelyard.domain.records import Id, Metrics, Name, Semver, Tag
from modelyard.domain.timefmt import UtcDatetime


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecipeCreate(Body):
    name: Name
    model_family: ModelFamily
    level: RecipeLevel
    parent_id: Id | None = None
    tags: list[Tag] = Field(default_factory=list)
    manifest: dict[str, Any] = Field(default_factory=dict)
    # extras
    id: Id | None = Field(None, description="Choose the id; by default it is made from the name.")
    description: str | None = None
    change_note: str | None = None
    created_by: str | None = None


class RecipeUpdate(Body):
    name: Name | None = None
    status: RecipeStatus | None = None
    tags: list[Tag] | None = None
    # extras
    description: str | None = None
    updated_by: str | None = None


class VersionCreate(Body):
    recipe_id: Id | None = None
    manifest_json: dict[str, Any]
    change_note: str = Field(min_length=1)
    created_by: str | None = None
    # extras
    version: Semver | None = Field(None, description="Explicit version; must be greater than the current one.")
    parent_version: Semver | None = Field(None, description="Re-pin a child recipe to this parent version.")


class ModelCreate(Body):
    name: Name
    recipe_id: Id
    recipe_version_id: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    # extras
    id: Id | None = None
    status: ModelStatus | None = None
    description: str | None = None


class ModelUpdate(Body):
    name: Name | None = None
    status: ModelStatus | None = None
    owner: str | None = Field(None, min_length=1)
    # extras
    description: str | None = None
    updated_by: str | None = None


class RunCreate(Body):
    recipe_id: Id
    recipe_version_id: str = Field(min_length=1)
    run_type: RunType
    model_id: Id | None = None
    # extras
    created_by: str | None = None


class RunUpdate(Body):
    status: RunStatus | None = None
    metrics_json: Metrics | None = None
    artifacts_json: dict[str, Any] | None = None
    logs_text: str | None = None
    # extras
    updated_by: str | None = None


class SnapshotCreate(Body):
    model_id: Id | None = None
    performance_metrics_json: Metrics = Field(default_factory=dict)
    drift_metrics_json: Metrics = Field(default_factory=dict)
    data_freshness_json: dict[str, Any] = Field(default_factory=dict)
    alerts_json: dict[str, Any] = Field(default_factory=dict)
    # extras
    captured_at: UtcDatetime | None = None
    created_by: str | None = None


class SyntheticCreate(Body):
    recipe_id: Id | None = None
    dataset_schema_json: dict[str, Any] = Field(default_factory=dict)
    sample_rows_json: list[dict[str, Any]] = Field(default_factory=list)
    example_run_json: dict[str, Any] = Field(default_factory=dict)
    # extras
    created_by: str | None = None


class ChatRequest(Body):
    message: str = Field(min_length=1, max_length=4000)
    context: dict[str, Any] = Field(default_factory=dict)
    recipe_id: Id | None = None
