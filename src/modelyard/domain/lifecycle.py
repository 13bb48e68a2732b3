"""Status lifecycles (docs/api.md). A registry may tighten the model lifecycle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelyard.domain.enums import ModelStatus, RecipeStatus, RunStatus

M = ModelStatus
MODEL_TRANSITIONS: dict[ModelStatus, tuple[ModelStatus, ...]] = {
    M.draft: (M.staging, M.production, M.retired),
    M.staging: (M.production, M.retired),
    M.production: (M.staging, M.retired),  # production -> staging is a rollback
    M.retired: (),
}

R = RecipeStatus
RECIPE_TRANSITIONS: dict[RecipeStatus, tuple[RecipeStatus, ...]] = {
    R.draft: (R.approved, R.archived),
    R.approved: (R.draft, R.archived),
    R.archived: (R.draft,),
}

S = RunStatus
RUN_TRANSITIONS: dict[RunStatus, tuple[RunStatus, ...]] = {
    S.queued: (S.running, S.succeeded, S.failed),
    S.running: (S.succeeded, S.failed),
    S.succeeded: (),
    S.failed: (),
}


def transition_problem(
    kind: str, old: str, new: str, table: Mapping[Any, Sequence[Any]]
) -> str | None:
    """None when `old -> new` is allowed (or unchanged), else a message naming what is allowed."""
    old, new = str(old), str(new)
    if old == new:
        return None
    allowed = [str(s) for s in table.get(old, ())]
    if new in allowed:
        return None
    if not allowed:
        return f"{kind} status {old!r} is final; it cannot change to {new!r}"
    return (
        f"{kind} status cannot change from {old!r} to {new!r} "
        f"(allowed from {old!r}: {', '.join(allowed)})"
    )


def model_table(custom: Mapping[ModelStatus, Sequence[ModelStatus]] | None) -> dict[str, list[str]]:
    source = custom if custom is not None else MODEL_TRANSITIONS
    return {str(k): [str(v) for v in vs] for k, vs in source.items()}
