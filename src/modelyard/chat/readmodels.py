"""The shapes of the registry reads that are not a record already (search hits, resolved
manifests, diffs, histories): what the assistant's tools and the MCP read tools return,
each published as a JSON Schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Kind = Literal["recipe", "model"]


class SearchHit(BaseModel):
    kind: Kind
    id: str
    title: str = Field(description="The record's name.")
    score: float = Field(description="BM25 relevance; higher is closer.")


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit]


class ResolvedManifest(BaseModel):
    recipe_id: str
    version: str = Field(description="The version number resolved, e.g. `1.2.0`.")
    commit: str | None = Field(None, description="The commit that introduced this version.")
    manifest: dict[str, Any] = Field(description="The full manifest after inheritance.")
    provenance: dict[str, str] = Field(
        description="For every leaf path of the manifest (`a.b.c`), the recipe that set it."
    )


class VersionDiff(BaseModel):
    recipe_id: str
    from_version: str
    to_version: str
    diff: dict[str, Any] = Field(
        description="The semantic difference: `changes` (added, removed, changed paths) "
        "and the `bump` it calls for."
    )


class Change(BaseModel):
    """One commit that touched a record's files."""

    commit: str
    author: str
    date: str = Field(description="Author date, ISO 8601.")
    message: str
    path: str
    removed: bool = False


class StatusChange(BaseModel):
    status: str
    at: str
    author: str
    commit: str
    message: str


class RecordHistory(BaseModel):
    kind: Literal["recipe", "model", "run"]
    id: str
    changes: list[Change] = Field(description="Every commit that touched the record, oldest first.")
    status_changes: list[StatusChange] = Field(
        default_factory=list, description="For a model: when it entered each status, and who."
    )
    versions: list[str] = Field(
        default_factory=list, description="For a recipe: its committed versions, oldest first."
    )


class ModelAsOf(BaseModel):
    model_id: str
    status: str
    since: str = Field(description="When the model entered this status (ISO 8601).")
    author: str
    commit: str


class ModelsAsOf(BaseModel):
    as_of: str
    models: list[ModelAsOf] = Field(
        description="Every model that existed then, with the status it had (from git history)."
    )
