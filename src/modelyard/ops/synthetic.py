"""A recipe's synthetic example: a small made-up dataset and what a run on it gives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.domain.records import SyntheticExample, unknown_columns
from modelyard.domain.tableschema import is_table_schema
from modelyard.errors import FieldError, NotFound, ValidationFailed
from modelyard.ops import load
from modelyard.ops.common import parse_body, same_id
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

MAX_GENERATED_ROWS = 10_000

if TYPE_CHECKING:
    # request bodies are imported where one is parsed, so a listing does not build
    # their classes
    from modelyard.domain.requests import SyntheticCreate


def get_synthetic(reg: Registry, recipe_id: str) -> SyntheticExample:
    """The recipe's synthetic example; not found when the recipe has none."""
    load.recipe(reg, recipe_id)
    found = load.synthetic(reg, recipe_id)
    if found is None:
        raise NotFound(
            "Synthetic example",
            recipe_id,
            action=f"add one: modelyard synthetic create {recipe_id} --body example.yaml",
        )
    return found


def create_synthetic(
    reg: Registry, recipe_id: str, body: SyntheticCreate | dict[str, Any]
) -> SyntheticExample:
    """Set the recipe's synthetic example (replacing an earlier one). When the schema lists
    `columns`, every sample row must use only those columns."""
    from modelyard.domain.requests import SyntheticCreate

    req = parse_body(SyntheticCreate, body)
    same_id(req.recipe_id, recipe_id, "recipe_id")
    errors = [
        FieldError(
            ("body", "sample_rows_json", i),
            f"column {key!r} is not in dataset_schema_json.columns",
            "value_error.column",
        )
        for i, key in unknown_columns(req.dataset_schema_json, req.sample_rows_json)
    ]
    if is_table_schema(req.dataset_schema_json):
        errors += table_schema_errors(req.dataset_schema_json, req.sample_rows_json)
    if errors:
        raise ValidationFailed(errors)
    return _store(
        reg,
        recipe_id,
        req.dataset_schema_json,
        req.sample_rows_json,
        req.example_run_json,
        req.created_by,
    )


def _store(
    reg: Registry,
    recipe_id: str,
    schema: dict[str, Any],
    rows: list[dict[str, Any]],
    run: dict[str, Any],
    created_by: str | None,
    message: str | None = None,
) -> SyntheticExample:
    with reg.mutate("", author=created_by) as m:
        load.recipe(reg, recipe_id)
        earlier = load.synthetic(reg, recipe_id)
        now = m.date
        example = SyntheticExample(
            recipe_id=recipe_id,
            dataset_schema_json=schema,
            sample_rows_json=rows,
            example_run_json=run,
            created_at=earlier.created_at if earlier else now,
            updated_at=now,
        )
        rel = str(layout.synthetic_file(recipe_id))
        m.write(rel, files.render(example, "synthetic-example", rel))
        verb = "Replace" if earlier else "Add"
        m.message = message or f"{verb} synthetic example of {recipe_id}"
        if message:
            m.message = f"{verb} synthetic example of {recipe_id}: {message}"
    return example


def table_schema_errors(schema: dict[str, Any], rows: list[dict[str, Any]]) -> list[FieldError]:
    """A Table Schema that is not valid, or rows that break it, as 422 entries."""
    from modelyard.ops.tableschema import SchemaUnusable, row_violations, schema_problems

    problems = schema_problems(schema)
    if problems:
        return [
            FieldError(
                ("body", "dataset_schema_json"),
                f"not a valid Table Schema: {p}",
                "value_error.table_schema",
            )
            for p in problems
        ]
    try:
        violations = row_violations(schema, rows)
    except SchemaUnusable as exc:
        return [FieldError(("body", "dataset_schema_json"), str(exc), "value_error.table_schema")]
    return [
        FieldError(
            ("body", "sample_rows_json", v.row, *([v.field] if v.field else [])),
            v.message,
            f"value_error.{v.constraint}",
        )
        for v in violations
    ]


def generate_synthetic(
    reg: Registry,
    recipe_id: str,
    rows: int = 20,
    seed: int = 0,
    schema: dict[str, Any] | None = None,
    example_run: dict[str, Any] | None = None,
    created_by: str | None = None,
) -> SyntheticExample:
    """Generate `rows` rows satisfying the recipe's Table Schema, the same for the same
    `seed`, and store them as its synthetic example (one commit). The schema is `schema`,
    else the stored example's when it is a Table Schema, else one derived from the manifest
    (its features and target as columns, fitted to its family). Refused when the schema
    lacks a feature or the target, or cannot be satisfied."""
    from modelyard.domain.sampler import SampleError, generate_rows
    from modelyard.domain.tableschema import derive_schema, missing_columns
    from modelyard.ops.manifests import Resolver
    from modelyard.ops.tableschema import SchemaUnusable, row_violations, schema_problems

    if not 1 <= rows <= MAX_GENERATED_ROWS:
        raise ValidationFailed(
            [
                FieldError(
                    ("query", "rows"),
                    f"rows must be between 1 and {MAX_GENERATED_ROWS} (got {rows})",
                    "value_error.number",
                )
            ]
        )
    recipe = load.recipe(reg, recipe_id)
    manifest, _ = Resolver(reg).current(recipe_id)
    earlier = load.synthetic(reg, recipe_id)
    loc: tuple[str | int, ...] = ("body", "dataset_schema_json")
    derived = derive_schema(manifest, recipe.model_family)
    if schema is None and earlier is not None and is_table_schema(earlier.dataset_schema_json):
        # the stored contract, with fields for what the manifest added since
        schema = _extended(
            earlier.dataset_schema_json,
            derived,
            missing_columns(earlier.dataset_schema_json, manifest),
        )
    if schema is None:
        schema = derived
    problems = schema_problems(schema)
    missing = missing_columns(schema, manifest)
    errors = [
        FieldError(loc, f"not a valid Table Schema: {p}", "value_error.table_schema")
        for p in problems
    ]
    if missing:
        errors.append(
            FieldError(
                loc,
                f"the schema has no field for {', '.join(missing)}, which the manifest "
                "names as features or target",
                "value_error.coverage",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    try:
        made = generate_rows(schema, rows, seed)
    except SampleError as exc:
        raise ValidationFailed([FieldError(loc, str(exc), "value_error.sample")]) from None
    try:
        broken = row_violations(schema, made)
    except SchemaUnusable as exc:
        raise ValidationFailed([FieldError(loc, str(exc), "value_error.table_schema")]) from None
    if broken:  # the sampler and the specification disagree: never store such rows
        raise ValidationFailed(
            [
                FieldError(
                    loc,
                    "generated rows break the schema: " + "; ".join(v.text() for v in broken[:5]),
                    "value_error.sample",
                )
            ]
        )
    run = (
        dict(example_run)
        if example_run is not None
        else dict(earlier.example_run_json if earlier else {})
    )
    run["generated"] = {"rows": rows, "seed": seed}
    return _store(
        reg, recipe_id, schema, made, run, created_by, f"{rows} rows generated with seed {seed}"
    )


def _extended(
    schema: dict[str, Any], derived: dict[str, Any], missing: list[str]
) -> dict[str, Any]:
    """`schema` with the derived fields of the `missing` columns added at its end."""
    if not missing or not isinstance(schema.get("fields"), list):
        return schema
    added = [f for f in derived["fields"] if f["name"] in missing]
    return {**schema, "fields": [*schema["fields"], *added]}
