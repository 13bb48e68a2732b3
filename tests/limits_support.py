"""Registries that cross the bounds of domain.limits, written as files and committed at once
(creating 1,000 recipes one commit at a time would take minutes)."""

from __future__ import annotations

from pathlib import Path

from conftest import git, manifest
from modelyard.storage import layout, yamlio
from modelyard.storage.registry import Registry

STAMP = "2026-01-01T00:00:00Z"


def write_chain(reg: Registry, length: int, prefix: str = "recipe_chain_") -> list[str]:
    """`length` pricing recipes, each a child of the previous pinned to its version 1.0.0,
    committed in one commit. Returns their ids, root first."""
    ids = [f"{prefix}{i}" for i in range(length)]
    for i, recipe_id in enumerate(ids):
        parent = ids[i - 1] if i else None
        recipe = {
            "id": recipe_id,
            "name": f"Chain {i}",
            "model_family": "pricing",
            "level": "baseline",
            "status": "draft",
            "parent_id": parent,
            "tags": [],
            "description": None,
            "created_at": STAMP,
            "updated_at": STAMP,
        }
        mf: dict[str, object] = {"version": "1.0.0"}
        if parent:
            mf["extends"] = {"recipe": parent, "version": "1.0.0"}
            mf["manifest"] = {"model": {"hyperparameters": {"num_leaves": 31 + i}}}
        else:
            mf["manifest"] = manifest("pricing")
        folder = reg.path(layout.recipe_dir(recipe_id))
        folder.mkdir(parents=True)
        (folder / layout.RECIPE_FILE).write_text(yamlio.dump(recipe))
        (folder / layout.MANIFEST_FILE).write_text(yamlio.dump(mf))
    commit_all(reg, f"{length} recipes in one chain")
    return ids


def commit_all(reg: Registry, message: str) -> None:
    worktree = Path(reg.worktree)
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", message)


def nested(depth: int) -> object:
    """A value of `depth` nested mappings: {"a": {"a": ... {"a": 1}}}."""
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value
