"""What the write tools do: the same ops as the CLI and the server, each committed to a new
branch (storage/branches.py), never to the checked-out one, so an agent proposes a change
that a person reviews and merges."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from modelyard.errors import Conflict
from modelyard.mcp.schemas import WriteResult
from modelyard.ops import models, runs, versions
from modelyard.storage.branches import BranchRegistry, branch_name


def _on_branch(
    root: Path, action: str, branch: str | None, write: Callable[[BranchRegistry], BaseModel]
) -> WriteResult:
    reg = BranchRegistry(root, branch or branch_name(action))
    record = write(reg)
    if reg.last_commit is None or reg.base is None:
        raise Conflict(f"{action}: nothing would change, so no branch was made")
    return WriteResult(
        branch=reg.branch,
        commit=reg.last_commit,
        base=reg.base,
        message=reg.last_message or "",
        record=record.model_dump(mode="json"),
        review=[
            f"git log -p {reg.base}..{reg.branch}",
            f"git merge --ff-only {reg.branch}",
        ],
    )


def create_run(root: Path, body: dict[str, Any], branch: str | None = None) -> WriteResult:
    """Queue a run (ops `create_run`) on a new branch."""
    return _on_branch(root, "create run", branch, lambda reg: runs.create_run(reg, body))


def update_run(
    root: Path, run_id: str, body: dict[str, Any], branch: str | None = None
) -> WriteResult:
    """Report a run's status, metrics, artifacts or logs (ops `update_run`) on a new branch."""
    return _on_branch(
        root, f"update {run_id}", branch, lambda reg: runs.update_run(reg, run_id, body)
    )


def create_version(
    root: Path, recipe_id: str, body: dict[str, Any], branch: str | None = None
) -> WriteResult:
    """Commit a new version of a recipe (ops `create_version`) on a new branch."""
    return _on_branch(
        root,
        f"version {recipe_id}",
        branch,
        lambda reg: versions.create_version(reg, recipe_id, body),
    )


def register_model(root: Path, body: dict[str, Any], branch: str | None = None) -> WriteResult:
    """Register a model (ops `register_model`) on a new branch."""
    return _on_branch(root, "register model", branch, lambda reg: models.register_model(reg, body))


def set_model_status(
    root: Path, model_id: str, body: dict[str, Any], branch: str | None = None
) -> WriteResult:
    """Move a model along its lifecycle (ops `update_model`) on a new branch."""
    return _on_branch(
        root, f"{model_id} status", branch, lambda reg: models.update_model(reg, model_id, body)
    )
