"""Every enum of the seed API, spelled exactly as the seed spells it."""

from __future__ import annotations

from enum import StrEnum


class ModelFamily(StrEnum):
    pricing = "pricing"
    next_best_action = "next_best_action"
    location_scoring = "location_scoring"
    forecasting = "forecasting"


class RecipeLevel(StrEnum):
    baseline = "baseline"
    industry = "industry"
    client = "client"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {RecipeLevel.baseline: 0, RecipeLevel.industry: 1, RecipeLevel.client: 2}


class RecipeStatus(StrEnum):
    draft = "draft"
    approved = "approved"
    archived = "archived"


class ModelStatus(StrEnum):
    draft = "draft"
    staging = "staging"
    production = "production"
    retired = "retired"


class RunType(StrEnum):
    train = "train"
    eval = "eval"
    backtest = "backtest"


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"

    @property
    def is_final(self) -> bool:
        return self in (RunStatus.succeeded, RunStatus.failed)


def allowed(enum: type[StrEnum]) -> str:
    """The allowed values of an enum, for error messages."""
    return ", ".join(m.value for m in enum)
