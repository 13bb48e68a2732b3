"""Request bodies of the seed API. Unknown fields are refused (a typo is an error).

Fields beyond the seed's are optional extras, documented in docs/api.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from modelyard.domain.enums import (
    ModelFamily,
    ModelStatus,
    RecipeLevel,
    RecipeStatus,
    RunStatus,
    RunType,
)
from modelyard.domain.ids import ID_RULE
from modelyard.domain.records import Data, Id, Metrics, NewName, Rows, Semver, Tags
from modelyard.domain.timefmt import UtcDatetime


def _prefixed(prefix: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value.startswith(prefix) or value == prefix:
            raise ValueError(f"{value!r} must start with {prefix!r}, e.g. {prefix}retail_pricing")
        return value

    return AfterValidator(check)


# a new recipe's id starts with recipe_: version ids drop that prefix (ver_retail_pricing_v1.0.0),
# so recipe_x and a bare x would otherwise own the same version ids
def _prefixed_schema(prefix: str) -> WithJsonSchema:
    # an id (3 to 63 characters) that starts with the prefix and has something after it
    rest = f"{{1,{63 - len(prefix)}}}"
    return WithJsonSchema(
        {"type": "string", "pattern": f"^{prefix}[a-z0-9_]{rest}$", "description": ID_RULE}
    )


RecipeId = Annotated[Id, _prefixed("recipe_"), _prefixed_schema("recipe_")]
ModelId = Annotated[Id, _prefixed("model_"), _prefixed_schema("model_")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # names, notes and authors end up in commit messages and identities, where git
        # cannot hold a NUL byte
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise ValueError("text must not contain a NUL character (\\x00)")
        return value


class RecipeCreate(Body):
    name: NewName
    model_family: ModelFamily
    level: RecipeLevel
    parent_id: Id | None = None
    tags: Tags = Field(default_factory=list)
    manifest: Data = Field(default_factory=dict)
    # extras
    id: RecipeId | None = Field(
        None, description="Choose the id (`recipe_...`); by default it is made from the name."
    )
    description: str | None = None
    change_note: str | None = None
    created_by: str | None = None


class RecipeUpdate(Body):
    name: NewName | None = None
    status: RecipeStatus | None = None
    tags: Tags | None = None
    # extras
    description: str | None = None
    updated_by: str | None = None


class VersionCreate(Body):
    recipe_id: Id | None = None
    manifest_json: Data
    change_note: str = Field(min_length=1)
    created_by: str | None = None
    # extras
    version: Semver | None = Field(
        None, description="Explicit version; must be greater than the current one."
    )
    parent_version: Semver | None = Field(
        None, description="Re-pin a child recipe to this parent version."
    )


class ModelCreate(Body):
    name: NewName
    recipe_id: Id
    recipe_version_id: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    # extras
    id: ModelId | None = Field(
        None, description="Choose the id (`model_...`); by default it is made from the name."
    )
    status: ModelStatus | None = None
    description: str | None = None


class ModelUpdate(Body):
    name: NewName | None = None
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
    artifacts_json: Data | None = None
    logs_text: str | None = None
    # extras
    updated_by: str | None = None


class SnapshotCreate(Body):
    model_id: Id | None = None
    performance_metrics_json: Metrics = Field(default_factory=dict)
    drift_metrics_json: Metrics = Field(default_factory=dict)
    data_freshness_json: Data = Field(default_factory=dict)
    alerts_json: Data = Field(default_factory=dict)
    # extras
    captured_at: UtcDatetime | None = None
    created_by: str | None = None


class SyntheticCreate(Body):
    recipe_id: Id | None = None
    dataset_schema_json: Data = Field(default_factory=dict)
    sample_rows_json: Rows = Field(default_factory=list)
    example_run_json: Data = Field(default_factory=dict)
    # extras
    created_by: str | None = None


class ChatRequest(Body):
    message: str = Field(min_length=1, max_length=4000)
    context: Data = Field(default_factory=dict)
    recipe_id: Id | None = None
