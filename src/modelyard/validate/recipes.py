"""Checks of a recipe's files: the recipe record, its lineage, and its manifest resolved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from modelyard.domain.limits import MAX_LINEAGE_DEPTH
from modelyard.domain.lineage import ancestry, find_cycle, lineage_problems, too_deep_message
from modelyard.domain.manifest import FAMILY_SECTIONS, Manifest, check_family_section
from modelyard.domain.records import ManifestFile, Recipe, unknown_columns
from modelyard.domain.resolve import resolve
from modelyard.domain.semver import bump_between
from modelyard.errors import ModelyardError
from modelyard.storage import layout, yamlio
from modelyard.storage.files import problems_from_validation
from modelyard.validate.context import Context
from modelyard.validate.report import did_you_mean


def check_recipe(ctx: Context, recipe_id: str) -> None:
    rel = str(layout.recipe_file(recipe_id))
    parsed = ctx.tree.recipe(recipe_id)
    if parsed is None:
        return
    ctx.report_parse(parsed)
    recipe = parsed.record
    shown = ctx.display(rel)
    if recipe is None:
        return
    if recipe.id != recipe_id:
        ctx.out.error(
            "id-mismatch",
            shown,
            f"id {recipe.id!r} does not match its folder {recipe_id!r}; "
            "the id and the folder name must be the same",
            parsed.where("id"),
            "id",
        )
    if not ctx.tree.exists(str(layout.manifest_file(recipe_id))):
        ctx.out.error(
            "missing-file", shown, f"recipe {recipe_id} has no manifest.yaml beside recipe.yaml"
        )
    if recipe.parent_id is None:
        return
    parent = ctx.tree.recipe(recipe.parent_id)
    if parent is None:
        ctx.out.error(
            "unknown-parent",
            shown,
            "parent " + ctx.unknown_recipe(recipe.parent_id),
            parsed.where("parent_id"),
            "parent_id",
        )
        return
    if parent.record is None:
        return
    for field, message in lineage_problems(
        parent.record.model_family, parent.record.level, recipe.model_family, recipe.level
    ):
        code = "lineage-family" if field == "model_family" else "lineage-level"
        ctx.out.error(
            code, shown, f"{message}; parent is {parent.record.id}", parsed.where(field), field
        )

    cycle = find_cycle(recipe_id, lambda rid: _parent_of(ctx, rid))
    if cycle:
        ctx.out.error(
            "lineage-cycle",
            shown,
            "the lineage is a cycle: " + " -> ".join(cycle),
            parsed.where("parent_id"),
            "parent_id",
        )
    elif _too_deep(ctx, recipe_id):
        ctx.out.error(
            "lineage-depth",
            shown,
            too_deep_message(ancestry(recipe_id, lambda rid: _parent_of(ctx, rid))),
            parsed.where("parent_id"),
            "parent_id",
        )


def _parent_of(ctx: Context, recipe_id: str) -> str | None:
    found = ctx.tree.recipe(recipe_id)
    return found.record.parent_id if found is not None and found.record is not None else None


def _too_deep(ctx: Context, recipe_id: str) -> bool:
    """Whether following `parent_id` from the recipe passes MAX_LINEAGE_DEPTH recipes (a walk
    of at most that many steps, so a 1,000-recipe chain costs 33 lookups per recipe)."""
    return len(ancestry(recipe_id, lambda rid: _parent_of(ctx, rid))) > MAX_LINEAGE_DEPTH


def check_manifest(ctx: Context, recipe_id: str) -> None:
    rel = str(layout.manifest_file(recipe_id))
    parsed = ctx.tree.manifest(recipe_id)
    if parsed is None:
        return
    ctx.report_parse(parsed)
    shown = ctx.display(rel)
    recipe_parsed = ctx.tree.recipe(recipe_id)
    if recipe_parsed is None:
        ctx.out.error(
            "missing-file", shown, f"recipe {recipe_id} has no recipe.yaml beside manifest.yaml"
        )
    mf = parsed.record
    if mf is None:
        return
    recipe = recipe_parsed.record if recipe_parsed is not None else None
    if recipe is not None and not _extends_agrees(ctx, recipe, mf, parsed, shown):
        return
    if mf.extends is not None:
        parent_id, pinned = mf.extends.recipe, mf.extends.version
        if ctx.tree.recipe(parent_id) is None:
            return  # reported on recipe.yaml as unknown-parent
        if not ctx.version_exists(parent_id, pinned):
            known = ", ".join(ctx.known_versions(parent_id)) or "none"
            ctx.out.error(
                "unknown-parent-version",
                shown,
                f"{parent_id} has no version {pinned} (its versions: {known})",
                parsed.where("extends", "version"),
                "extends.version",
            )
            return
        _check_behind(ctx, recipe_id, parent_id, pinned, parsed, shown)
    if _too_deep(ctx, recipe_id):
        return  # reported on recipe.yaml as lineage-depth; it cannot be resolved
    try:
        layers = ctx.resolver.layers(recipe_id)
    except ModelyardError as exc:
        # a broken or missing ancestor, or a cycle: reported on the ancestor's own files
        ctx.out.warning(
            "unresolved",
            shown,
            f"the resolved manifest cannot be checked: {exc.message}",
            parsed.where("extends"),
            "extends",
        )
        return
    full, provenance = resolve(layers)
    _check_resolved(ctx, full, provenance, recipe, parsed.positions, shown, recipe_id)


def _check_behind(
    ctx: Context, recipe_id: str, parent_id: str, pinned: str, parsed: Any, shown: str
) -> None:
    """A child pinned to an older major version of its parent misses breaking changes."""
    parent = ctx.tree.manifest(parent_id)
    current = parent.record.version if parent is not None and parent.record is not None else None
    if current is None or bump_between(pinned, current) != "major":
        return
    ctx.out.warning(
        "behind-parent",
        shown,
        f"built on {parent_id} {pinned}, a major version behind its current {current}; "
        f"see what catching up changes with `modelyard recipes rebase {recipe_id} --check`",
        parsed.where("extends", "version"),
        "extends.version",
    )


def _extends_agrees(
    ctx: Context, recipe: Recipe, mf: ManifestFile, parsed: Any, shown: str
) -> bool:
    if recipe.parent_id is not None and mf.extends is None:
        ctx.out.error(
            "extends-mismatch",
            shown,
            f"recipe.yaml names parent {recipe.parent_id}, but manifest.yaml has no `extends` "
            "pinning a version of it "
            f"(add `extends: {{recipe: {recipe.parent_id}, version: ...}}`)",
            parsed.where("version"),
            "extends",
        )
        return False
    if recipe.parent_id is None and mf.extends is not None:
        ctx.out.error(
            "extends-mismatch",
            shown,
            f"manifest.yaml extends {mf.extends.recipe}, but recipe.yaml has no parent_id",
            parsed.where("extends"),
            "extends",
        )
        return False
    if mf.extends is not None and mf.extends.recipe != recipe.parent_id:
        ctx.out.error(
            "extends-mismatch",
            shown,
            f"extends.recipe is {mf.extends.recipe}, "
            f"but recipe.yaml's parent_id is {recipe.parent_id}",
            parsed.where("extends", "recipe"),
            "extends.recipe",
        )
        return False
    return True


def _check_resolved(
    ctx: Context,
    full: dict[str, Any],
    provenance: dict[str, str],
    recipe: Recipe | None,
    positions: Callable[[], yamlio.Loaded | None],
    shown: str,
    recipe_id: str,
) -> None:
    """The resolved manifest against the typed model, each problem placed in this file
    (`positions` gives the file's, read only when there is a problem to place)."""
    try:
        parsed = Manifest.model_validate(full)
    except ValidationError as exc:
        inner = _inside_manifest(full, positions())
        for problem in problems_from_validation(exc, Manifest, inner, shown):
            message = problem.message
            origin = _origin(problem.field, provenance)
            if origin and origin != recipe_id:
                message += f" (in the resolved manifest; set by {origin})"
            field = f"manifest.{problem.field}" if problem.field else "manifest"
            where = (problem.line, problem.column or 1) if problem.line else None
            ctx.out.error("manifest-schema", shown, message, where, field)
        return
    if recipe is None:
        return
    for message in check_family_section(parsed, recipe.model_family):
        inner = _inside_manifest(full, positions())
        section = next((s for s in FAMILY_SECTIONS if f"`{s}`" in message), None)
        where = (
            inner.where((section,))
            if section and getattr(parsed, section) is not None
            else inner.where(())
        )
        hint = ""
        if section and getattr(parsed, section) is not None:
            hint = f"; this recipe's model_family is {recipe.model_family}"
        ctx.out.error(
            "family-section",
            shown,
            message + hint,
            where,
            f"manifest.{section}" if section else "manifest",
        )


def _inside_manifest(full: dict[str, Any], loaded: yamlio.Loaded | None) -> yamlio.Loaded:
    """The resolved manifest with the positions of the file's `manifest:` section, so that
    pydantic's locations find their lines."""
    inner = yamlio.Loaded(
        full,
        {
            p[1:]: pos
            for p, pos in (loaded.marks if loaded else {}).items()
            if p[:1] == ("manifest",)
        },
    )
    if loaded is not None and ("manifest",) in loaded.marks:
        inner.marks[()] = loaded.marks[("manifest",)]
    return inner


def _origin(field: str | None, provenance: dict[str, str]) -> str | None:
    if not field:
        return None
    for path, who in provenance.items():
        if path == field or path.startswith(field + ".") or field.startswith(path + "."):
            return who
    return None


def check_synthetic(ctx: Context, recipe_id: str) -> None:
    rel = str(layout.synthetic_file(recipe_id))
    parsed = ctx.tree.parse_kind(rel, "synthetic")
    if parsed is None:
        return
    ctx.report_parse(parsed)
    shown = ctx.display(rel)
    example = parsed.record
    if example is None:
        return
    if example.recipe_id != recipe_id:
        ctx.out.error(
            "id-mismatch",
            shown,
            f"recipe_id {example.recipe_id!r} does not match its folder {recipe_id!r}",
            parsed.where("recipe_id"),
            "recipe_id",
        )
    if ctx.tree.recipe(recipe_id) is None:
        ctx.out.error(
            "missing-file", shown, f"recipe {recipe_id} has no recipe.yaml beside this file"
        )
    for row, column in unknown_columns(example.dataset_schema_json, example.sample_rows_json):
        columns = example.dataset_schema_json.get("columns") or {}
        ctx.out.error(
            "synthetic-columns",
            shown,
            f"column {column!r} is not in dataset_schema_json.columns"
            f"{did_you_mean(column, list(columns))}",
            parsed.where("sample_rows_json", row, column),
            f"sample_rows_json[{row}].{column}",
        )
    from modelyard.validate.synthetic import check_example

    check_example(ctx, recipe_id, example, parsed, shown)
