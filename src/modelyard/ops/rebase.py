"""Rebasing a child recipe onto a newer version of its parent (docs/manifest.md, "Rebasing a
child"): plan it, or commit it as a new version of the child."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.rebase import ListMode, Merge, Resolution, three_way
from modelyard.domain.records import (
    Extends,
    ManifestFile,
    MergeByKey,
    RegistrySettings,
    Response,
)
from modelyard.domain.resolve import overrides_between, resolve
from modelyard.domain.semver import bump, bump_between, manifest_diff
from modelyard.errors import Conflict, FieldError, ValidationFailed
from modelyard.ops import load, refs
from modelyard.ops.common import parse_body
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry


class RebaseChange(Response):
    """One manifest path where the old parent, the new parent and the child differ."""

    path: str = Field(description="Dotted path in the resolved manifest.")
    case: str = Field(
        description="`child` (only the child changed it: kept), `parent` (only the parent: "
        "followed), `same` (both, the same way), `merged` (a list merged by its declared mode) "
        "or `conflict`."
    )
    base: Any = Field(None, description="The parent's value at the old pin (null: absent).")
    ours: Any = Field(None, description="The child's value now (null: absent).")
    theirs: Any = Field(None, description="The parent's value at the new version (null: absent).")
    result: Any = Field(
        None, description="The value after the rebase (null: absent, or a conflict unsettled)."
    )
    resolved_by: str | None = Field(
        None, description="For a conflict: `ours`, `theirs` or `value`; null while unresolved."
    )


class RebaseResult(Response):
    """What a rebase changes (`applied: false` for `--check` or the GET), or what it did."""

    recipe_id: str
    parent_id: str
    from_version: str = Field(description="The parent version the child was built on.")
    to_version: str = Field(description="The parent version it is rebased onto.")
    current_version: str = Field(description="The child's version before the rebase.")
    version: str = Field(description="The child's new version (to be made, or made).")
    version_id: str
    bump: str
    applied: bool = Field(description="Whether the new version was committed.")
    commit: str | None = None
    change_note: str
    changes: list[RebaseChange]
    unresolved: list[str] = Field(
        default_factory=list, description="Paths of conflicts no resolution settles."
    )
    manifest_json: dict[str, Any] = Field(description="The child's resolved manifest after.")
    overrides: dict[str, Any] = Field(description="What the child stores after the rebase.")
    diff: dict[str, Any] | None = Field(
        None, description="The child's resolved manifest, before -> after (as diff_from_prev)."
    )


# a dotted path in a manifest (`model.hyperparameters.num_leaves`): never empty
ManifestPath = Annotated[str, Field(min_length=1)]


class RebaseRequest(BaseModel):
    """The body of `POST /recipes/{recipe_id}/rebase`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    to_version: str | None = Field(
        None,
        min_length=1,
        description="The parent version to rebase onto (default: its current one).",
    )
    ours: list[ManifestPath] = Field(
        default_factory=list, description="Paths whose conflicts keep the child's value."
    )
    theirs: list[ManifestPath] = Field(
        default_factory=list, description="Paths whose conflicts take the parent's new value."
    )
    resolutions: dict[str, Any] = Field(
        default_factory=dict,
        description="More resolutions by path: `ours`, `theirs` or `{value: X}`.",
    )
    change_note: str | None = Field(
        None, description="Your words for the commit; the parent versions are always added."
    )
    created_by: str | None = None


def rebase_from_body(
    reg: Registry, recipe_id: str, body: RebaseRequest | dict[str, Any]
) -> RebaseResult:
    """`rebase_recipe` with its arguments from a request body."""
    req = parse_body(RebaseRequest, body)
    resolutions = parse_resolutions(req.ours, req.theirs, req.resolutions)
    return rebase_recipe(
        reg, recipe_id, req.to_version, resolutions, req.created_by, req.change_note
    )


def list_modes(settings: RegistrySettings) -> dict[str, ListMode]:
    """The registry's `list_merge` declarations as the merge reads them."""
    return {
        path: ListMode("merge-by-key", mode.merge_by_key)
        if isinstance(mode, MergeByKey)
        else ListMode(mode)
        for path, mode in settings.list_merge.items()
    }


def parse_resolutions(
    ours: Iterable[str] = (), theirs: Iterable[str] = (), given: Any = None
) -> dict[str, Resolution]:
    """`--ours KEY`, `--theirs KEY` and a resolutions mapping (`path: ours | theirs |
    {value: X}`) as one table; a path named twice is an error."""
    out: dict[str, Resolution] = {}
    errors: list[FieldError] = []

    def add(path: str, res: Resolution, loc: tuple[str | int, ...]) -> None:
        if not path:
            errors.append(FieldError(loc, "a resolution needs a manifest path", "value_error"))
        elif path in out:
            errors.append(FieldError(loc, f"{path!r} is resolved twice", "value_error.duplicate"))
        else:
            out[path] = res

    for path in ours:
        add(path, Resolution("ours"), ("body", "ours"))
    for path in theirs:
        add(path, Resolution("theirs"), ("body", "theirs"))
    if given is not None and not isinstance(given, dict):
        errors.append(
            FieldError(
                ("body", "resolutions"),
                "resolutions must map manifest paths to ours, theirs or {value: ...}",
                "type_error.dict",
            )
        )
    for path, how in (given or {}).items() if isinstance(given, dict) else ():
        loc = ("body", "resolutions", str(path))
        if how in ("ours", "theirs"):
            add(str(path), Resolution(how), loc)
        elif isinstance(how, dict) and set(how) == {"value"}:
            add(str(path), Resolution("value", how["value"]), loc)
        else:
            errors.append(
                FieldError(
                    loc, f"{how!r} is not ours, theirs or {{value: ...}}", "value_error.resolution"
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return out


def plan_rebase(
    reg: Registry,
    recipe_id: str,
    to_version: str | None = None,
    resolutions: dict[str, Resolution] | None = None,
) -> RebaseResult:
    """What rebasing the child onto `to_version` (default: its parent's current version)
    would change; nothing is written."""
    return _plan(reg, recipe_id, to_version, resolutions or {})


def rebase_recipe(
    reg: Registry,
    recipe_id: str,
    to_version: str | None = None,
    resolutions: dict[str, Resolution] | None = None,
    created_by: str | None = None,
    change_note: str | None = None,
) -> RebaseResult:
    """Rebase the child onto `to_version` as a new version of it, one commit. Refused (409,
    each conflict with its three values) while any conflict has no resolution."""
    with reg.mutate("", author=created_by) as m:
        plan = _plan(reg, recipe_id, to_version, resolutions or {})
        if plan.unresolved:
            raise Conflict(
                f"rebasing {recipe_id} onto {plan.parent_id} {plan.to_version} conflicts at "
                f"{len(plan.unresolved)} path(s): "
                + "; ".join(_conflict_text(c) for c in plan.changes if c.path in plan.unresolved),
                action="settle each with --ours PATH (keep the child's value), --theirs PATH "
                "(take the parent's) or --resolutions FILE; see them with --check",
            )
        # the note always names the parent versions, after the author's own words
        note = f"{change_note}\n\n{plan.change_note}" if change_note else plan.change_note
        mf = ManifestFile(
            version=plan.version,
            extends=Extends(recipe=plan.parent_id, version=plan.to_version),
            manifest=plan.overrides,
        )
        rel = str(layout.manifest_file(recipe_id))
        m.write(rel, files.render(mf, "manifest", rel))
        recipe = load.recipe(reg, recipe_id).model_copy(update={"updated_at": m.date})
        m.write(
            layout.recipe_file(recipe_id),
            files.render(recipe, "recipe", str(layout.recipe_file(recipe_id))),
        )
        m.message = note
    return plan.model_copy(update={"applied": True, "commit": m.sha, "change_note": note})


def _conflict_text(c: RebaseChange) -> str:
    def show(v: Any) -> str:
        return "(absent)" if v is None else repr(v)

    return (
        f"{c.path}: was {show(c.base)} in the parent, "
        f"the child has {show(c.ours)}, the parent now has {show(c.theirs)}"
    )


def _plan(
    reg: Registry, recipe_id: str, to_version: str | None, resolutions: dict[str, Resolution]
) -> RebaseResult:
    from modelyard.ops.manifests import Resolver, normalized_manifest

    recipe = load.recipe(reg, recipe_id)
    child_file = load.manifest(reg, recipe_id)
    if child_file.extends is None:
        raise Conflict(
            f"{recipe_id} has no parent, so there is nothing to rebase it onto",
            action="only a child recipe (one with parent_id) can be rebased",
        )
    parent_id, pinned = child_file.extends.recipe, child_file.extends.version
    parent_current = load.manifest(reg, parent_id).version
    target = to_version or parent_current
    step = bump_between(pinned, target)
    if step is None:
        if target == pinned:
            raise Conflict(
                f"{recipe_id} is already built on {parent_id} {pinned}; there is nothing to rebase"
            )
        raise ValidationFailed(
            [
                FieldError(
                    ("body", "to_version"),
                    f"{target} is not newer than the version {recipe_id} is built on ({pinned})",
                    "value_error.version",
                )
            ]
        )
    if target == parent_current:
        refs.require_committed(reg, parent_id, target)
    resolver = Resolver(reg)
    base = resolver.at(parent_id, pinned)
    theirs = resolve(
        resolver.layers_for_child(recipe_id, parent_id, target, ("body", "to_version"))
    )[0]
    ours, _ = resolver.current(recipe_id)
    merge = three_way(base, ours, theirs, list_modes(reg.settings), resolutions)
    _check_resolutions_used(merge, resolutions)
    if merge.unresolved:
        merged = merge.manifest
    else:
        merged = normalized_manifest(merge.manifest, recipe.model_family, ("body", "resolutions"))
    diff = manifest_diff(ours, merged, child_file.version, tuple(reg.settings.breaking_paths))
    assert diff is not None
    required = diff["bump"] or "patch"  # a moved pin alone is a patch, as in versions create
    new_version = bump(child_file.version, required)
    while resolver.history.find(recipe_id, new_version) is not None:
        new_version = bump(new_version, required)
    note = f"Rebase {recipe_id} onto {parent_id} {target} (from {pinned})"
    settled = [c for c in merge.conflicts if c.resolved_by]
    if settled:
        note += "\n\nConflicts resolved:\n" + "\n".join(
            f"- {c.path}: {c.resolved_by}" for c in settled
        )
    return RebaseResult(
        recipe_id=recipe_id,
        parent_id=parent_id,
        from_version=pinned,
        to_version=target,
        current_version=child_file.version,
        version=new_version,
        version_id=make_version_id(recipe_id, new_version),
        bump=required,
        applied=False,
        change_note=note,
        changes=[
            RebaseChange(**{**c.as_json(), "result": None})
            if c.case == "conflict" and c.resolved_by is None
            else RebaseChange(**c.as_json())
            for c in merge.changes
        ],
        unresolved=[c.path for c in merge.unresolved],
        manifest_json=merged,
        overrides=overrides_between(theirs, merged),
        diff=diff,
    )


def _check_resolutions_used(merge: Merge, resolutions: dict[str, Resolution]) -> None:
    """A resolution that settles no conflict is a typo or a stale file: say so."""
    paths = [c.path for c in merge.conflicts]
    unused = [p for p in resolutions if not any(c == p or c.startswith(p + ".") for c in paths)]
    if unused:
        listed = ", ".join(paths) or "none"
        raise ValidationFailed(
            [
                FieldError(
                    ("body", "resolutions"),
                    f"no conflict at or under {p!r} (conflicts: {listed})",
                    "value_error.resolution",
                )
                for p in unused
            ]
        )
