"""`modelyard models ...`"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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

F = TypeVar("F", bound=Callable[..., Any])


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


def override_options(what: str, gate: str) -> Callable[[F], F]:
    """`--override-gate` and `--reason`, the same on every command a gate may refuse."""

    def add(func: F) -> F:
        reason = click.option("--reason", help="Why; recorded in the commit as a Reason: trailer.")
        override = click.option(
            "--override-gate",
            is_flag=True,
            default=None,
            help=f"{what} although {gate} is not met (needs --reason).",
        )
        return override(reason(func))

    return add


@click.group()
def models() -> None:
    """Registered models: built from a recipe version, moving draft -> staging -> production ->
    retired."""


@models.command("list")
@click.option("--model-family", type=choice(ModelFamily), help="Only this model family.")
@click.option("--status", type=choice(ModelStatus), help="Only this status.")
@click.option("--recipe-id", help="Only models built from this recipe.")
@click.option("--owner", help="Only models with this owner.")
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
    status: str | None,
    recipe_id: str | None,
    owner: str | None,
    as_of: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List models (GET /models); with --as-of, as they were then, read from git
    ("what was in production on 1 November": --status production --as-of 2026-11-01)."""
    from modelyard.ops import models as ops

    result = ops.list_models(
        open_registry(ctx), model_family, status, limit, offset, recipe_id, owner, as_of
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
@override_options("Start in --status", "its promotion gate")
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
    override_gate: bool | None,
    reason: str | None,
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
        override_gate=override_gate,
        reason=reason,
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
@override_options("Change the status", "its promotion gate")
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
    override_gate: bool | None,
    reason: str | None,
    as_json: bool,
) -> None:
    """Rename, re-own, promote or retire a model (PUT /models/{model_id}). A promotion is
    refused (exit 1) when its gate is not met, naming every unmet condition."""
    from modelyard.ops import models as ops

    body = build_body(
        body_file,
        name=name,
        status=status,
        owner=owner,
        description=description,
        updated_by=updated_by,
        override_gate=override_gate,
        reason=reason,
    )
    emit(ops.update_model(open_registry(ctx), model_id, body), as_json, model_text)


def verdict_text(v: Any) -> str:
    if not v.gated:
        return f"{v.model_id} -> {v.status}: no gate applies"
    head = f"{v.model_id} -> {v.status}: {'passes' if v.passed else 'fails'} its gate ({v.source})"
    lines = [head]
    for c in v.conditions:
        lines.append(f"  {'ok  ' if c.met else 'FAIL'} {c.name}: {c.message}")
    return "\n".join(lines)


@models.command("check")
@model_id_argument()
@click.option(
    "--status",
    type=choice(ModelStatus),
    required=True,
    help="The status whose promotion gate to check (staging, production).",
)
@json_option
@click.pass_context
def check(ctx: click.Context, model_id: str, status: str, as_json: bool) -> None:
    """Say whether a model may enter a status by its promotion gate, changing nothing
    (GET /models/{model_id}/gate?status=...). Exit 1 when the gate is not met."""
    import json

    from modelyard.ops import gates

    verdict = gates.check(open_registry(ctx), model_id, status)
    if as_json:
        click.echo(json.dumps(verdict.as_json(), indent=2))
    else:
        click.echo(verdict_text(verdict))
    if not verdict.passed:
        ctx.exit(1)


def history_text(changes: list[Any]) -> str:
    rows = [
        [
            c["at"],
            f"{c['previous'] or '(registered)'} -> {c['status']}",
            c["author"],
            c["commit"][:10],
            c["reason"] or c["subject"],
            c["gate"] or "",
        ]
        for c in changes
    ]
    return table(rows, ["when", "status", "who", "commit", "reason", "gate"])


@models.command("history")
@model_id_argument()
@json_option
@click.pass_context
def history(ctx: click.Context, model_id: str, as_json: bool) -> None:
    """Every status change of a model, oldest first: when, who, the commit, the reason and
    the gate's verdict, read from git (GET /models/{model_id}/history)."""
    import json

    from modelyard.ops.model_history import model_history

    changes = [c.as_json() for c in model_history(open_registry(ctx), model_id)]
    if as_json:
        click.echo(json.dumps({"model_id": model_id, "changes": changes}, indent=2))
    else:
        click.echo(history_text(changes))


@models.command("rollback")
@model_id_argument()
@click.option("--updated-by", help="Author of the commit.")
@override_options("Put the previous model back", "its production gate")
@json_option
@push_option
@click.pass_context
def rollback(
    ctx: click.Context,
    model_id: str,
    updated_by: str | None,
    override_gate: bool | None,
    reason: str | None,
    as_json: bool,
) -> None:
    """Put back the previous production model of MODEL_ID's recipe and move MODEL_ID to
    staging, in one commit (POST /models/{model_id}/rollback)."""
    import json

    from modelyard.ops.rollback import rollback as do_rollback

    body = build_body(None, updated_by=updated_by, override_gate=override_gate, reason=reason)
    result = do_rollback(open_registry(ctx), model_id, body)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(
            f"{result['restored']['id']} is in production again; "
            f"{result['demoted']['id']} is in staging (commit {str(result['commit'])[:10]})"
        )
