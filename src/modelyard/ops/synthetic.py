"""A recipe's synthetic example: a small made-up dataset and what a run on it gives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.domain.records import SyntheticExample, unknown_columns
from modelyard.errors import FieldError, NotFound, ValidationFailed
from modelyard.ops import load
from modelyard.ops.common import parse_body, same_id
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

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
    if errors:
        raise ValidationFailed(errors)
    with reg.mutate("", author=req.created_by) as m:
        load.recipe(reg, recipe_id)
        earlier = load.synthetic(reg, recipe_id)
        now = m.date
        example = SyntheticExample(
            recipe_id=recipe_id,
            dataset_schema_json=req.dataset_schema_json,
            sample_rows_json=req.sample_rows_json,
            example_run_json=req.example_run_json,
            created_at=earlier.created_at if earlier else now,
            updated_at=now,
        )
        rel = str(layout.synthetic_file(recipe_id))
        m.write(rel, files.render(example, "synthetic-example", rel))
        m.message = f"{'Replace' if earlier else 'Add'} synthetic example of {recipe_id}"
    return example
