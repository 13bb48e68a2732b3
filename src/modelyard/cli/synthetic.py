"""`modelyard synthetic ...`"""

from __future__ import annotations

import json
from typing import Any

import click

from modelyard.cli.common import body_option, build_body, emit, json_option, open_registry, table
from modelyard.cli.options import recipe_id_argument
from modelyard.cli.sync import push_option


def example_text(e: Any) -> str:
    columns = e.dataset_schema_json.get("columns", {})
    out = [f"synthetic example of {e.recipe_id}"]
    if isinstance(columns, dict) and columns:
        out.append(
            "\nschema:\n" + table([[k, str(v)] for k, v in columns.items()], ["column", "type"])
        )
    if e.sample_rows_json:
        names = list(dict.fromkeys(k for row in e.sample_rows_json for k in row))
        rows = [[json.dumps(row.get(n)) for n in names] for row in e.sample_rows_json]
        out.append(f"\nsample rows ({len(rows)}):\n" + table(rows, names))
    if e.example_run_json:
        out.append("\nexample run:\n" + json.dumps(e.example_run_json, indent=2))
    return "\n".join(out)


@click.group()
def synthetic() -> None:
    """A recipe's synthetic example: a small made-up dataset and what a run on it gives."""


@synthetic.command("get")
@recipe_id_argument()
@json_option
@click.pass_context
def get(ctx: click.Context, recipe_id: str, as_json: bool) -> None:
    """Show a recipe's synthetic example (GET /recipes/{recipe_id}/synthetic-example)."""
    from modelyard.ops import synthetic as ops

    emit(ops.get_synthetic(open_registry(ctx), recipe_id), as_json, example_text)


@synthetic.command("create")
@recipe_id_argument()
@body_option
@click.option("--created-by", help="Author of the commit.")
@json_option
@push_option
@click.pass_context
def create(
    ctx: click.Context, recipe_id: str, body_file: str | None, created_by: str | None, as_json: bool
) -> None:
    """Set a recipe's synthetic example from --body
    (POST /recipes/{recipe_id}/synthetic-example)."""
    from modelyard.ops import synthetic as ops

    if not body_file:
        raise click.UsageError(
            "give the example with --body FILE (dataset_schema_json, sample_rows_json, "
            "example_run_json)"
        )
    body = build_body(body_file, created_by=created_by)
    emit(ops.create_synthetic(open_registry(ctx), recipe_id, body), as_json, example_text)
