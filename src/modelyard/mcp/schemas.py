"""The output shapes of the MCP write tools and of `validate`; the other read tools' shapes
are in chat/readmodels.py, shared with the assistant's model backend."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ValidationReport(BaseModel):
    ok: bool
    errors: int
    warnings: int
    problems: list[dict[str, Any]]


class WriteResult(BaseModel):
    """A change proposed on a new branch: the checked-out branch and working tree are untouched."""

    branch: str = Field(description="The new branch that holds the change.")
    commit: str = Field(description="The commit on it.")
    base: str = Field(description="The commit the branch was made from (HEAD at the time).")
    message: str = Field(description="The commit message.")
    record: dict[str, Any] = Field(description="The record as the change leaves it.")
    review: list[str] = Field(description="Commands to review and merge the change.")


class GateCondition(BaseModel):
    condition: str = Field(description="evidence, thresholds, champion or monitoring.")
    met: bool
    message: str
    values: dict[str, Any] = Field(description="The figures the condition compared.")
    runs: list[str] = Field(description="The runs it looked at.")


class GateVerdict(BaseModel):
    """Whether a model may enter a status by its promotion gate (nothing is changed)."""

    model_id: str
    status: str
    gated: bool = Field(description="False when no gate applies to that status.")
    source: str | None = Field(description="Where the gate is declared.")
    passed: bool
    conditions: list[GateCondition]
