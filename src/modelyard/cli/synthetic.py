"""`modelyard synthetic ...`"""

from __future__ import annotations

import json
from typing import Any

import click

from modelyard.cli.common import body_option, build_body, emit, json_option, open_registry, table
from modelyard.cli.options import recipe_id_argument
from modelyard.cli.sync import push_option


def _constraints_text(field: dict[str, Any]) -> str:
    constraints = field.get("constraints") or {}
    return ", ".join(f"{k}: {json.dumps(v)}" for k, v in constraints.items())


def example_text(e: Any) -> str:
    schema = e.dataset_schema_json
    columns = schema.get("columns", {})
    out = [f"synthetic example of {e.recipe_id}"]
    fields = schema.get("fields")
    if isinstance(fields, list) and fields:
        rows = [
            [str(f.get("name", "")), str(f.get("type", "string")), _constraints_text(f)]
            for f in fields
            if isinstance(f, dict)
        ]
        out.append("\nschema:\n" + table(rows, ["field", "type", "constraints"]))
        if schema.get("primaryKey"):
            out.append(f"primary key: {json.dumps(schema['primaryKey'])}")
    elif isinstance(columns, dict) and columns:
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


@synthetic.command("generate")
@recipe_id_argument()
@click.option("--rows", type=int, default=20, show_default=True, help="How many rows (1-10000).")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="The same seed gives the same rows."
)
@click.option(
    "--schema",
    "schema_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="A Table Schema (JSON or YAML) to generate from; default: the stored example's, "
    "else one derived from the manifest.",
)
@click.option(
    "--run",
    "run_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="What a run on the data gives (example_run_json); default: the stored one.",
)
@click.option("--created-by", help="Author of the commit.")
@json_option
@push_option
@click.pass_context
def generate(
    ctx: click.Context,
    recipe_id: str,
    rows: int,
    seed: int,
    schema_file: str | None,
    run_file: str | None,
    created_by: str | None,
    as_json: bool,
) -> None:
    """Generate rows that satisfy the recipe's Table Schema and store them as its synthetic
    example (one commit). The features and target the manifest names are columns."""
    from modelyard.cli.common import read_data
    from modelyard.ops import synthetic as ops

    schema = read_data(schema_file, "schema") if schema_file else None
    if schema is not None and not isinstance(schema, dict):
        raise click.BadParameter(
            "the schema must be a mapping with `fields`", param_hint="--schema"
        )
    run = read_data(run_file, "run") if run_file else None
    if run is not None and not isinstance(run, dict):
        raise click.BadParameter("the run must be a mapping", param_hint="--run")
    result = ops.generate_synthetic(
        open_registry(ctx), recipe_id, rows, seed, schema, run, created_by=created_by
    )
    emit(result, as_json, example_text)
