"""Checking that a recipe version id belongs to its recipe, cheaply when it is the current one."""

from __future__ import annotations

from modelyard.domain.ids import version_id as make_version_id
from modelyard.errors import DirtyTree, FieldError, NotFound, ValidationFailed
from modelyard.ops import load
from modelyard.ops.history import History, owner_of, version_number
from modelyard.storage import layout
from modelyard.storage.registry import Registry


def recipe_version(
    reg: Registry, recipe_id: str, ref: str, field: str = "recipe_version_id"
) -> str:
    """The canonical version id of `ref`, which must name a committed version of `recipe_id`."""
    number = version_number(recipe_id, ref)
    if number is None:
        owner = owner_of(ref)
        hint = f"; it names a version of {owner}" if owner and owner != recipe_id else ""
        raise ValidationFailed(
            [
                FieldError(
                    ("body", field),
                    f"{ref!r} is not a version of {recipe_id}{hint}",
                    "value_error.recipe_version",
                )
            ]
        )
    current = load.manifest(reg, recipe_id).version
    if number == current and _committed(reg, recipe_id, number):
        return make_version_id(recipe_id, number)
    history = History(reg, lazy=True)
    if history.find(recipe_id, number) is None:
        raise NotFound(
            "Recipe version",
            make_version_id(recipe_id, number),
            hint=history.versions_hint(recipe_id),
        )
    return make_version_id(recipe_id, number)


def _committed(reg: Registry, recipe_id: str, version: str) -> bool:
    """The working tree's current version is committed when the manifest on disk is HEAD's;
    a registry read at HEAD (a server's) reads only committed versions."""
    if reg.committed:
        return True
    return not reg.git.worktree_differs([reg.repo_path(layout.manifest_file(recipe_id))])


def require_committed(reg: Registry, recipe_id: str, version: str) -> None:
    """A pin must name a committed version: refuse while the parent's manifest has edits."""
    rel = reg.repo_path(layout.manifest_file(recipe_id))
    if reg.git.worktree_differs([rel]):
        raise DirtyTree(
            f"{rel} has uncommitted changes, so {recipe_id} {version} as it stands is no committed "
            "version to build on",
            action="commit the parent's manifest (or version it: modelyard versions create), "
            "then try again",
        )
