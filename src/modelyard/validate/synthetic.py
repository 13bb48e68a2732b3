"""Checks of a synthetic example against its Table Schema and its recipe (docs/synthetic.md):
the schema is a valid Table Schema, every row satisfies it, it covers the manifest's features
and target, and the example run names only metrics the recipe evaluates."""

from __future__ import annotations

from typing import Any

from modelyard.domain.records import SyntheticExample
from modelyard.domain.resolve import resolve
from modelyard.domain.tableschema import evaluated_metrics, is_table_schema, missing_columns
from modelyard.errors import ModelyardError
from modelyard.validate.context import Context
from modelyard.validate.report import did_you_mean


def check_example(
    ctx: Context, recipe_id: str, example: SyntheticExample, parsed: Any, shown: str
) -> None:
    schema = example.dataset_schema_json
    if not is_table_schema(schema):
        if "columns" not in schema:  # the earlier free-form shape is checked by its columns
            ctx.out.warning(
                "synthetic-schema",
                shown,
                "dataset_schema_json is not a Table Schema (it has no `fields`), so the rows "
                f"are not checked; make one with `modelyard synthetic generate {recipe_id}`",
                parsed.where("dataset_schema_json"),
                "dataset_schema_json",
            )
        return
    from modelyard.ops.tableschema import schema_problems

    problems = schema_problems(schema)
    for problem in problems:
        ctx.out.error(
            "synthetic-schema",
            shown,
            f"dataset_schema_json is not a valid Table Schema: {problem}",
            parsed.where("dataset_schema_json"),
            "dataset_schema_json",
        )
    if not problems:
        _check_rows(ctx, schema, example.sample_rows_json, parsed, shown)
    manifest = _resolved(ctx, recipe_id)
    if manifest is None:
        return
    missing = missing_columns(schema, manifest)
    if missing:
        ctx.out.error(
            "synthetic-coverage",
            shown,
            f"dataset_schema_json has no field for {', '.join(missing)}, which the manifest "
            "names as features or target",
            parsed.where("dataset_schema_json", "fields"),
            "dataset_schema_json.fields",
        )
    _check_metrics(ctx, example.example_run_json, manifest, parsed, shown)


def _check_rows(
    ctx: Context, schema: dict[str, Any], rows: list[dict[str, Any]], parsed: Any, shown: str
) -> None:
    from modelyard.ops.tableschema import SchemaUnusable, row_violations

    names = [f.get("name") for f in schema["fields"] if isinstance(f, dict)]
    try:
        violations = row_violations(schema, rows)
    except SchemaUnusable as exc:
        ctx.out.error(
            "synthetic-schema",
            shown,
            f"dataset_schema_json: {exc}",
            parsed.where("dataset_schema_json"),
            "dataset_schema_json",
        )
        return
    for v in violations:
        message = f"row {v.row}" + (f", field {v.field!r}" if v.field else "") + f": {v.message}"
        if v.constraint == "field" and v.field:
            message += did_you_mean(v.field, [n for n in names if isinstance(n, str)])
        path = ("sample_rows_json", v.row, *([v.field] if v.field else []))
        ctx.out.error(
            "synthetic-row",
            shown,
            message,
            parsed.where(*path),
            f"sample_rows_json[{v.row}]" + (f".{v.field}" if v.field else ""),
        )


def _resolved(ctx: Context, recipe_id: str) -> dict[str, Any] | None:
    if ctx.tree.recipe(recipe_id) is None:
        return None
    try:
        return resolve(ctx.resolver.layers(recipe_id))[0]
    except ModelyardError:  # reported on the recipe's own files
        return None


def _check_metrics(
    ctx: Context, run: dict[str, Any], manifest: dict[str, Any], parsed: Any, shown: str
) -> None:
    allowed = evaluated_metrics(manifest)
    for key in ("metrics_json", "metrics"):
        metrics = run.get(key)
        if not isinstance(metrics, dict):
            continue
        for name in metrics:
            if name not in allowed:
                ctx.out.error(
                    "synthetic-metrics",
                    shown,
                    f"example_run_json.{key} names {name!r}, which the recipe does not evaluate "
                    f"(evaluation.metrics: {', '.join(allowed) or 'none'})"
                    f"{did_you_mean(name, allowed)}",
                    parsed.where("example_run_json", key, name),
                    f"example_run_json.{key}.{name}",
                )
