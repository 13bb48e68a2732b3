"""`modelyard recipes ...`"""

from __future__ import annotations

from typing import Any

import click

from modelyard.cli.common import (
    body_option,
    build_body,
    emit,
    fields_text,
    json_option,
    open_registry,
    page_options,
    read_manifest,
    table,
)
from modelyard.cli.options import choice, recipe_id_argument
from modelyard.cli.sync import push_option
from modelyard.domain.enums import ModelFamily, RecipeLevel, RecipeStatus


def recipe_text(r: Any) -> str:
    return fields_text(
        [
            ("id", r.id),
            ("name", r.name),
            ("model_family", r.model_family),
            ("level", r.level),
            ("status", r.status),
            ("parent_id", r.parent_id),
            ("tags", ", ".join(r.tags)),
            ("version", r.version),
            ("version_id", r.version_id),
            ("description", r.description),
            ("created_at", r.model_dump(mode="json")["created_at"]),
            ("updated_at", r.model_dump(mode="json")["updated_at"]),
        ]
    )


def recipes_table(result: Any) -> str:
    rows = [
        [r.id, r.model_family, r.level, r.status, r.version or "", r.parent_id or "", r.name]
        for r in result.recipes
    ]
    shown = table(rows, ["id", "family", "level", "status", "version", "parent", "name"])
    return f"{shown}\n{len(rows)} of {result.total} recipes"


@click.group()
def recipes() -> None:
    """Recipes: how to build a model of a family, at a level (baseline, industry, client)."""


@recipes.command("list")
@click.option("--model-family", type=choice(ModelFamily), help="Only this model family.")
@click.option("--level", type=choice(RecipeLevel), help="Only this level.")
@click.option("--status", type=choice(RecipeStatus), help="Only this status.")
@click.option(
    "--as-of",
    metavar="DATE",
    help="As the registry was then: a date (2026-11-01: the end of that day, UTC) or a time.",
)
@page_options
@json_option
@click.pass_context
def list_(
    ctx: click.Context,
    model_family: str | None,
    level: str | None,
    status: str | None,
    as_of: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List recipes (GET /recipes); with --as-of, as they were then, read from git."""
    from modelyard.ops import recipes as ops

    result = ops.list_recipes(open_registry(ctx), model_family, level, status, limit, offset, as_of)
    emit(result, as_json, recipes_table)


@recipes.command("get")
@recipe_id_argument()
@click.option(
    "--manifest",
    "show_manifest",
    is_flag=True,
    help="Also print the resolved manifest, each value marked with the recipe that set it.",
)
@json_option
@click.pass_context
def get(ctx: click.Context, recipe_id: str, show_manifest: bool, as_json: bool) -> None:
    """Show one recipe (GET /recipes/{recipe_id})."""
    from modelyard.ops import recipes as ops

    reg = open_registry(ctx)
    result = ops.get_recipe(reg, recipe_id)
    if not show_manifest:
        emit(result, as_json, recipe_text)
        return
    manifest, provenance = ops.resolved_manifest(reg, recipe_id)
    if as_json:
        emit(
            {**result.model_dump(mode="json"), "manifest": manifest, "provenance": provenance},
            True,
            str,
        )
        return
    click.echo(recipe_text(result))
    click.echo("\nresolved manifest (value  <- set by):")
    for path, who in provenance.items():
        value = _at(manifest, path.split("."))
        click.echo(f"  {path} = {value!r}  <- {who}")


def _at(data: Any, path: list[str]) -> Any:
    for part in path:
        data = data[part]
    return data


@recipes.command("create")
@body_option
@click.option("--name", help="Recipe name.")
@click.option("--model-family", type=choice(ModelFamily), help="Model family.")
@click.option("--level", type=choice(RecipeLevel), help="Level.")
@click.option("--parent-id", help="Parent recipe; the new recipe stores only its overrides.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option(
    "--manifest",
    "manifest_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The whole manifest, JSON or YAML: the mapping itself, or a manifest file's "
    "`version:` and `manifest:` (whose version is not used: a new recipe starts at 1.0.0). "
    "For a child, empty or omitted means the same as the parent.",
)
@click.option("--id", "id_", help="Choose the id (default: made from the name).")
@click.option("--description", help="What the recipe is for.")
@click.option("--change-note", help="Commit message of version 1.0.0.")
@click.option("--created-by", help="Author of the commit, e.g. 'Ada <ada@example.com>'.")
@json_option
@push_option
@click.pass_context
def create(
    ctx: click.Context,
    body_file: str | None,
    name: str | None,
    model_family: str | None,
    level: str | None,
    parent_id: str | None,
    tags: tuple[str, ...],
    manifest_file: str | None,
    id_: str | None,
    description: str | None,
    change_note: str | None,
    created_by: str | None,
    as_json: bool,
) -> None:
    """Create a recipe at version 1.0.0 (POST /recipes)."""
    from modelyard.ops import recipes as ops

    body = build_body(
        body_file,
        name=name,
        model_family=model_family,
        level=level,
        parent_id=parent_id,
        tags=tags,
        id=id_,
        description=description,
        change_note=change_note,
        created_by=created_by,
        manifest=read_manifest(manifest_file) if manifest_file else None,
    )
    emit(ops.create_recipe(open_registry(ctx), body), as_json, recipe_text)


@recipes.command("update")
@recipe_id_argument()
@body_option
@click.option("--name", help="New name.")
@click.option("--status", type=choice(RecipeStatus), help="New status.")
@click.option("--tag", "tags", multiple=True, help="Replace the tags with these (repeatable).")
@click.option("--description", help="New description.")
@click.option("--updated-by", help="Author of the commit.")
@json_option
@push_option
@click.pass_context
def update(
    ctx: click.Context,
    recipe_id: str,
    body_file: str | None,
    name: str | None,
    status: str | None,
    tags: tuple[str, ...],
    description: str | None,
    updated_by: str | None,
    as_json: bool,
) -> None:
    """Rename, retag or change the status of a recipe (PUT /recipes/{recipe_id})."""
    from modelyard.ops import recipes as ops

    body = build_body(
        body_file,
        name=name,
        status=status,
        tags=tags,
        description=description,
        updated_by=updated_by,
    )
    emit(ops.update_recipe(open_registry(ctx), recipe_id, body), as_json, recipe_text)


@recipes.command("delete")
@recipe_id_argument()
@json_option
@push_option
@click.pass_context
def delete(ctx: click.Context, recipe_id: str, as_json: bool) -> None:
    """Delete a recipe nothing uses (DELETE /recipes/{recipe_id}); archive it otherwise."""
    from modelyard.ops import recipes as ops

    emit(ops.delete_recipe(open_registry(ctx), recipe_id), as_json, lambda r: f"Deleted {r['id']}")


@recipes.command("clone")
@recipe_id_argument()
@click.option("--name", required=True, help="Name of the new recipe (its id is made from it).")
@click.option(
    "--level", type=choice(RecipeLevel), help="Level of the clone (default: the source's)."
)
@json_option
@push_option
@click.pass_context
def clone(ctx: click.Context, recipe_id: str, name: str, level: str | None, as_json: bool) -> None:
    """Make a child of a recipe pinned to its current version (POST /recipes/{recipe_id}/clone)."""
    from modelyard.ops import recipes as ops

    emit(ops.clone_recipe(open_registry(ctx), recipe_id, name, level), as_json, recipe_text)


def _add_rebase() -> None:
    # its own module: the merge and its report are a command of their own
    from modelyard.cli.rebase import rebase

    recipes.add_command(rebase)


_add_rebase()
