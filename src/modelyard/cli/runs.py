"""`modelyard runs ...`"""

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
from modelyard.cli.options import choice, key_values
from modelyard.cli.sync import push_option
from modelyard.domain.enums import RunStatus, RunType


def run_text(r: Any) -> str:
    data = r.model_dump(mode="json")
    out = fields_text(
        [
            (k, data[k])
            for k in (
                "id",
                "run_type",
                "status",
                "recipe_id",
                "recipe_version_id",
                "model_id",
                "created_at",
                "started_at",
                "finished_at",
                "metrics_json",
                "artifacts_json",
            )
        ]
    )
    if r.logs_text:
        out += "\n\nlogs:\n" + r.logs_text.rstrip("\n")
    return out


def runs_table(result: Any) -> str:
    rows = []
    for r in result.runs:
        metrics = ", ".join(f"{k}={v:g}" for k, v in list(r.metrics_json.items())[:3])
        rows.append([r.id, r.run_type, r.status, r.recipe_version_id, r.model_id or "", metrics])
    return (
        f"{table(rows, ['id', 'type', 'status', 'recipe version', 'model', 'metrics'])}\n"
        f"{len(rows)} of {result.total} runs"
    )


@click.group()
def runs() -> None:
    """Train, eval and backtest runs: queued -> running -> succeeded | failed."""


@runs.command("list")
@click.option("--model-id", help="Only runs of this model.")
@click.option("--recipe-id", help="Only runs of this recipe.")
@click.option("--status", type=choice(RunStatus), help="Only this status.")
@click.option("--run-type", type=choice(RunType), help="Only this type.")
@page_options
@json_option
@click.pass_context
def list_(
    ctx: click.Context,
    model_id: str | None,
    recipe_id: str | None,
    status: str | None,
    run_type: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List runs, newest first (GET /runs)."""
    from modelyard.ops import runs as ops

    result = ops.list_runs(open_registry(ctx), model_id, recipe_id, status, limit, offset, run_type)
    emit(result, as_json, runs_table)


@runs.command("get")
@click.argument("run_id")
@json_option
@click.pass_context
def get(ctx: click.Context, run_id: str, as_json: bool) -> None:
    """Show one run with its logs (GET /runs/{run_id})."""
    from modelyard.ops import runs as ops

    emit(ops.get_run(open_registry(ctx), run_id), as_json, run_text)


@runs.command("create")
@body_option
@click.option("--recipe-id", help="The recipe to run.")
@click.option("--recipe-version-id", help="Its version: ver_<recipe>_v1.2.0 or 1.2.0.")
@click.option("--run-type", type=choice(RunType), help="The type of run.")
@click.option("--model-id", help="The model the run is for, if any.")
@click.option("--created-by", help="Author of the commit.")
@json_option
@push_option
@click.pass_context
def create(
    ctx: click.Context,
    body_file: str | None,
    recipe_id: str | None,
    recipe_version_id: str | None,
    run_type: str | None,
    model_id: str | None,
    created_by: str | None,
    as_json: bool,
) -> None:
    """Queue a run (POST /runs)."""
    from modelyard.ops import runs as ops

    body = build_body(
        body_file,
        recipe_id=recipe_id,
        recipe_version_id=recipe_version_id,
        run_type=run_type,
        model_id=model_id,
        created_by=created_by,
    )
    emit(ops.create_run(open_registry(ctx), body), as_json, run_text)


@runs.command("update")
@click.argument("run_id")
@body_option
@click.option("--status", type=choice(RunStatus), help="New status.")
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="NAME=NUMBER",
    help="A metric (repeatable); together they replace metrics_json.",
)
@click.option(
    "--artifact",
    "artifacts",
    multiple=True,
    metavar="NAME=VALUE",
    help="An artifact (repeatable); together they replace artifacts_json.",
)
@click.option(
    "--logs",
    "logs_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="A file ('-': standard input) whose text replaces the logs.",
)
@click.option("--updated-by", help="Author of the commit.")
@json_option
@push_option
@click.pass_context
def update(
    ctx: click.Context,
    run_id: str,
    body_file: str | None,
    status: str | None,
    metrics: tuple[str, ...],
    artifacts: tuple[str, ...],
    logs_file: str | None,
    updated_by: str | None,
    as_json: bool,
) -> None:
    """Report a run's progress or results (PUT /runs/{run_id})."""
    from modelyard.ops import runs as ops

    logs = None
    if logs_file:
        with click.open_file(logs_file, encoding="utf-8") as fh:
            logs = fh.read()
    body = build_body(
        body_file,
        status=status,
        metrics_json=key_values(metrics, "--metric", numbers=True),
        artifacts_json=key_values(artifacts, "--artifact"),
        logs_text=logs,
        updated_by=updated_by,
    )
    emit(ops.update_run(open_registry(ctx), run_id, body), as_json, run_text)
