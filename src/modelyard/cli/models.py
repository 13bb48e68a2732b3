"""`modelyard models ...`"""

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
    table,
)
from modelyard.cli.options import choice, model_id_argument
from modelyard.cli.sync import push_option
from modelyard.domain.enums import ModelFamily, ModelStatus


def model_text(m: Any) -> str:
    data = m.model_dump(mode="json")
    return fields_text(
        [
            (k, data[k])
            for k in (
                "id",
                "name",
                "model_family",
                "recipe_id",
                "recipe_version_id",
                "status",
                "owner",
                "description",
                "created_at",
                "updated_at",
            )
        ]
    )


def models_table(result: Any) -> str:
    rows = [
        [m.id, m.model_family, m.status, m.recipe_version_id, m.owner, m.name]
        for m in result.models
    ]
    return (
        f"{table(rows, ['id', 'family', 'status', 'recipe version', 'owner', 'name'])}\n"
        f"{len(rows)} of {result.total} models"
    )


@click.group()
def models() -> None:
    """Registered models: built from a recipe version, moving draft -> staging -> production ->
    retired."""


@models.command("list")
@click.option("--model-family", type=choice(ModelFamily), help="Only this model family.")
@click.option("--status", type=choice(ModelStatus), help="Only this status.")
@click.option("--recipe-id", help="Only models built from this recipe.")
@click.option("--owner", help="Only models with this owner.")
@page_options
@json_option
@click.pass_context
def list_(
    ctx: click.Context,
    model_family: str | None,
    status: str | None,
    recipe_id: str | None,
    owner: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List models (GET /models)."""
    from modelyard.ops import models as ops

    result = ops.list_models(
        open_registry(ctx), model_family, status, limit, offset, recipe_id, owner
    )
    emit(result, as_json, models_table)


@models.command("get")
@model_id_argument()
@json_option
@click.pass_context
def get(ctx: click.Context, model_id: str, as_json: bool) -> None:
    """Show one model (GET /models/{model_id})."""
    from modelyard.ops import models as ops

    emit(ops.get_model(open_registry(ctx), model_id), as_json, model_text)


@models.command("register")
@body_option
@click.option("--name", help="Model name.")
@click.option("--recipe-id", help="The recipe it is built from.")
@click.option("--recipe-version-id", help="The recipe version: ver_<recipe>_v1.2.0 or 1.2.0.")
@click.option("--owner", help="Owning team or person (also the commit's author).")
@click.option("--status", type=choice(ModelStatus), help="Initial status (default draft).")
@click.option("--id", "id_", help="Choose the id (default: made from the name).")
@click.option("--description", help="What the model is for.")
@json_option
@push_option
@click.pass_context
def register(
    ctx: click.Context,
    body_file: str | None,
    name: str | None,
    recipe_id: str | None,
    recipe_version_id: str | None,
    owner: str | None,
    status: str | None,
    id_: str | None,
    description: str | None,
    as_json: bool,
) -> None:
    """Register a model (POST /models)."""
    from modelyard.ops import models as ops

    body = build_body(
        body_file,
        name=name,
        recipe_id=recipe_id,
        recipe_version_id=recipe_version_id,
        owner=owner,
        status=status,
        id=id_,
        description=description,
    )
    emit(ops.register_model(open_registry(ctx), body), as_json, model_text)


@models.command("update")
@model_id_argument()
@body_option
@click.option("--name", help="New name.")
@click.option("--status", type=choice(ModelStatus), help="New status (promote, roll back, retire).")
@click.option("--owner", help="New owner.")
@click.option("--description", help="New description.")
@click.option("--updated-by", help="Author of the commit.")
@json_option
@push_option
@click.pass_context
def update(
    ctx: click.Context,
    model_id: str,
    body_file: str | None,
    name: str | None,
    status: str | None,
    owner: str | None,
    description: str | None,
    updated_by: str | None,
    as_json: bool,
) -> None:
    """Rename, re-own, promote or retire a model (PUT /models/{model_id})."""
    from modelyard.ops import models as ops

    body = build_body(
        body_file,
        name=name,
        status=status,
        owner=owner,
        description=description,
        updated_by=updated_by,
    )
    emit(ops.update_model(open_registry(ctx), model_id, body), as_json, model_text)
