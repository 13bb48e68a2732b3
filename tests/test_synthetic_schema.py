"""Synthetic examples as Table Schemas: generated from a recipe, deterministic per seed,
stored as one commit, and checked by `modelyard validate`, each violation named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clihelp import Cli, write
from conftest import git
from modelyard.demo import manifests as demo
from modelyard.errors import ValidationFailed
from modelyard.ops import recipes, synthetic
from modelyard.server.app import create_app
from modelyard.storage import yamlio
from modelyard.storage.registry import Registry
from modelyard.validate import run
from server_support import API

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FAMILIES = {
    "pricing": demo.PRICING,
    "forecasting": demo.FORECASTING,
    "next_best_action": demo.NEXT_BEST_ACTION,
    "location_scoring": demo.LOCATION_SCORING,
}


def make_recipe(reg: Registry, family: str, manifest: dict[str, Any] | None = None) -> str:
    return recipes.create_recipe(
        reg,
        {
            "id": f"recipe_{family}",
            "name": family,
            "model_family": family,
            "level": "baseline",
            "manifest": copy.deepcopy(manifest or FAMILIES[family]),
        },
    ).id


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_generation_fits_the_family_is_deterministic_and_validates(
    reg: Registry, family: str
) -> None:
    rid = make_recipe(reg, family)
    manifest = FAMILIES[family]
    columns = [*manifest["features"], manifest["target"]["name"]]
    seen = []
    for seed in (0, 1, 42):
        before = git(reg.root, "rev-parse", "HEAD")
        example = synthetic.generate_synthetic(reg, rid, rows=15, seed=seed)
        assert git(reg.root, "rev-list", "--count", f"{before}..HEAD") == "1"
        assert git(reg.root, "log", "-1", "--format=%s").endswith(
            f"15 rows generated with seed {seed}"
        )
        assert len(example.sample_rows_json) == 15
        for row in example.sample_rows_json:
            assert set(columns) <= set(row)
        assert run(reg).problems == [], f"seed {seed}"
        seen.append(example.sample_rows_json)
    assert seen[0] != seen[1] != seen[2]
    # the stored schema is reused: the same seed gives the same rows again
    again = synthetic.generate_synthetic(reg, rid, rows=15, seed=1)
    assert again.sample_rows_json == seen[1]


def test_values_are_plausible_for_their_columns(reg: Registry) -> None:
    rid = make_recipe(reg, "next_best_action")
    example = synthetic.generate_synthetic(reg, rid, rows=30, seed=3)
    actions = set(demo.NEXT_BEST_ACTION["next_best_action"]["actions"])
    fields = {f["name"]: f for f in example.dataset_schema_json["fields"]}
    assert fields["customer_id"]["constraints"]["unique"] is True
    for row in example.sample_rows_json:
        assert row["action"] in actions
        assert isinstance(row["accepted_offer"], bool)
        assert isinstance(row["tenure_days"], int) and 0 <= row["tenure_days"] <= 3650
        assert row["customer_id"].startswith("C-") and len(row["customer_id"]) == 7
    assert len({r["customer_id"] for r in example.sample_rows_json}) == 30


def test_a_forecasting_schema_has_dates_and_a_composite_key(reg: Registry) -> None:
    rid = make_recipe(reg, "forecasting")
    example = synthetic.generate_synthetic(reg, rid, rows=10, seed=5)
    schema = example.dataset_schema_json
    stamp = demo.FORECASTING["data_sources"]["sales"]["timestamp_column"]
    assert schema["primaryKey"] == ["series_id", stamp]
    assert next(f for f in schema["fields"] if f["name"] == stamp)["type"] == "date"
    keys = {(r["series_id"], r[stamp]) for r in example.sample_rows_json}
    assert len(keys) == 10


def test_generate_from_a_given_schema_through_the_cli(reg: Registry, tmp_path: Path) -> None:
    rid = make_recipe(reg, "location_scoring")
    fields = [
        {"name": n, "type": "number", "constraints": {"minimum": 1, "maximum": 2}}
        for n in demo.LOCATION_SCORING["features"]
    ]
    fields.append({"name": "first_year_revenue", "type": "integer"})
    fields.append(
        {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{2}(-[0-9]{2}|X)?"}}
    )
    schema = {"fields": fields}
    cli = Cli(reg.root)
    out = cli.json(
        "synthetic", "generate", rid, "--rows", "5", "--seed", "9",
        "--schema", write(tmp_path / "s.json", schema),
    )  # fmt: skip
    assert out["dataset_schema_json"] == schema
    for row in out["sample_rows_json"]:
        assert all(1 <= row[n] <= 2 for n in demo.LOCATION_SCORING["features"])
        assert len(row["code"]) in (2, 3, 5)
    text = cli("synthetic", "get", rid).stdout
    assert "FIELD" in text and "code" in text and "sample rows (5)" in text


def test_a_schema_without_the_target_or_impossible_bounds_is_refused(
    reg: Registry, tmp_path: Path
) -> None:
    rid = make_recipe(reg, "location_scoring")
    cli = Cli(reg.root)
    lacking = {"fields": [{"name": "population_5km", "type": "number"}]}
    err = cli.error("synthetic", "generate", rid, "--schema", write(tmp_path / "a.json", lacking))
    assert "has no field for median_income, competitor_count_2km" in err
    assert "first_year_revenue" in err
    fields = [{"name": n, "type": "number"} for n in demo.LOCATION_SCORING["features"]]
    fields.append(
        {
            "name": "first_year_revenue",
            "type": "number",
            "constraints": {"minimum": 5, "maximum": 1},
        }
    )
    err = cli.error(
        "synthetic", "generate", rid, "--schema", write(tmp_path / "b.json", {"fields": fields})
    )
    assert "field 'first_year_revenue': minimum 5.0 is above maximum 1.0" in err
    assert git(reg.root, "log", "-1", "--format=%s").startswith("Create recipe")


# -- every constraint broken once ---------------------------------------------------------

SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
        {"name": "sku", "type": "string", "constraints": {"pattern": "SKU-[0-9]{4}"}},
        {"name": "name", "type": "string", "constraints": {"minLength": 3, "maxLength": 6}},
        {"name": "footfall", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "channel", "type": "string", "constraints": {"enum": ["web", "store"]}},
        {"name": "revenue", "type": "number", "constraints": {"required": True}},
    ],
    "primaryKey": ["id"],
}
GOOD = {"id": 1, "sku": "SKU-0001", "name": "abcd", "footfall": 5, "channel": "web", "revenue": 1}
BROKEN = [
    # (row change, field, value shown, constraint)
    ({"id": 1}, "id", 1, "unique"),
    ({"sku": "SKU-12"}, "sku", "SKU-12", "pattern"),
    ({"name": "ab"}, "name", "ab", "minLength"),
    ({"name": "abcdefgh"}, "name", "abcdefgh", "maxLength"),
    ({"footfall": -1}, "footfall", -1, "minimum"),
    ({"footfall": 101}, "footfall", 101, "maximum"),
    ({"channel": "fax"}, "channel", "fax", "enum"),
    ({"revenue": None}, "revenue", None, "required"),
    ({"footfall": "many"}, "footfall", "many", "type"),
    ({"colour": "red"}, "colour", "red", "field"),
]
MANIFEST = {
    "features": {"footfall": {"dtype": "float"}},
    "target": {"name": "revenue", "dtype": "float", "kind": "regression"},
    "model": {"algorithm": "random_forest"},
    "evaluation": {"metrics": ["R2"]},
    "location_scoring": {"geography": {"level": "postcode"}},
}


def broken_rows() -> list[dict[str, Any]]:
    rows = [dict(GOOD)]
    for i, (change, _, _, _) in enumerate(BROKEN, start=2):
        rows.append({**GOOD, "id": i, **change})
    return rows


def store_by_hand(reg: Registry, rid: str, example: dict[str, Any]) -> str:
    """Write a synthetic-example.yaml the way a pull request would, and commit it."""
    rel = f"recipes/{rid}/synthetic-example.yaml"
    body = {
        "recipe_id": rid,
        **example,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    reg.path(rel).write_text(yamlio.dump(body), encoding="utf-8")
    git(reg.root, "add", "-A")
    git(reg.root, "commit", "-qm", "hand-made example")
    return f"registry/{rel}"


def test_validate_names_every_violation_with_row_field_value_and_constraint(
    reg: Registry,
) -> None:
    rid = make_recipe(reg, "location_scoring", MANIFEST)
    shown = store_by_hand(
        reg, rid, {"dataset_schema_json": SCHEMA, "sample_rows_json": broken_rows()}
    )
    problems = [p for p in run(reg).problems if p.file == shown]
    rows = [p for p in problems if p.code == "synthetic-row"]
    assert len(rows) == len(BROKEN) + 1  # the repeated id also repeats the primary key
    for i, (_, field, value, constraint) in enumerate(BROKEN, start=1):
        found = [p for p in rows if p.field == f"sample_rows_json[{i}].{field}"]
        assert found, f"no violation of {constraint} reported on row {i}"
        message = found[0].message
        assert message.startswith(f"row {i}, field {field!r}: "), message
        assert constraint in message or (
            constraint == "type" and "is not a valid number" in message
        )
        shown_value = "(empty)" if value is None else repr(value)
        assert shown_value in message
        assert found[0].line is not None and found[0].severity == "error"
    key = [p for p in rows if p.field == "sample_rows_json[1]"]
    assert key and "breaks primaryKey: row 0 has the same key" in key[0].message
    assert "breaks unique: row 0 has it too" in next(
        p.message for p in rows if p.field == "sample_rows_json[1].id"
    )
    assert "did you mean" not in next(p.message for p in rows if "colour" in (p.field or ""))


def test_validate_reports_schema_coverage_and_metrics(reg: Registry) -> None:
    rid = make_recipe(reg, "location_scoring", MANIFEST)
    shown = store_by_hand(
        reg,
        rid,
        {
            "dataset_schema_json": {"fields": [{"name": "footfall", "type": "number"}]},
            "sample_rows_json": [{"footfall": 3}],
            "example_run_json": {"metrics_json": {"R2": 0.5, "R_2": 0.4}},
        },
    )
    found = {p.code: p for p in run(reg).problems if p.file == shown}
    assert "has no field for revenue" in found["synthetic-coverage"].message
    metrics = found["synthetic-metrics"]
    assert "names 'R_2', which the recipe does not evaluate (evaluation.metrics: R2)" in (
        metrics.message
    )
    assert metrics.field == "example_run_json.metrics_json.R_2"
    bad = {"fields": [{"name": "footfall", "type": "nope"}], "primaryKey": ["x"]}
    store_by_hand(reg, rid, {"dataset_schema_json": bad, "sample_rows_json": []})
    schema = [p for p in run(reg).problems if p.code == "synthetic-schema"]
    assert schema and "is not a valid Table Schema" in schema[0].message
    assert 'field type "nope" is not supported' in schema[0].message
    store_by_hand(reg, rid, {"dataset_schema_json": {"rows": 3}, "sample_rows_json": []})
    loose = [p for p in run(reg).problems if p.code == "synthetic-schema"]
    assert [p.severity for p in loose] == ["warning"]


def test_create_refuses_rows_that_break_a_table_schema(reg: Registry) -> None:
    rid = make_recipe(reg, "location_scoring", MANIFEST)
    with pytest.raises(ValidationFailed) as info:
        synthetic.create_synthetic(
            reg, rid, {"dataset_schema_json": SCHEMA, "sample_rows_json": broken_rows()}
        )
    locs = [e["loc"] for e in info.value.detail]
    assert ["body", "sample_rows_json", 5, "footfall"] in locs
    assert ["body", "sample_rows_json", 1] in locs  # the primary key
    assert git(reg.root, "log", "-1", "--format=%s").startswith("Create recipe")


def test_the_seed_endpoints_take_table_schemas_and_free_form_ones(reg: Registry) -> None:
    rid = make_recipe(reg, "location_scoring", MANIFEST)
    url = f"{API}/recipes/{rid}/synthetic-example"
    with TestClient(create_app(reg)) as client:
        rows = [dict(GOOD, id=i) for i in range(3)]
        r = client.post(url, json={"dataset_schema_json": SCHEMA, "sample_rows_json": rows})
        assert r.status_code == 201, r.text
        assert client.get(url).json()["sample_rows_json"] == rows
        r = client.post(url, json={"dataset_schema_json": SCHEMA, "sample_rows_json": [
            dict(GOOD, footfall=500)]})  # fmt: skip
        assert r.status_code == 422
        assert r.json()["detail"][0] == {
            "loc": ["body", "sample_rows_json", 0, "footfall"],
            "msg": "500 breaks maximum: 100",
            "type": "value_error.maximum",
        }
        r = client.post(url, json={"dataset_schema_json": {"anything": 1}, "sample_rows_json": []})
        assert r.status_code == 201


def test_the_catalog_shows_the_schema_and_the_rows_as_tables(reg: Registry, tmp_path: Path) -> None:
    from bs4 import BeautifulSoup

    rid = make_recipe(reg, "pricing")
    example = synthetic.generate_synthetic(reg, rid, rows=4, seed=2)
    out = tmp_path / "site"
    Cli(reg.root)("site", "build", "--out", str(out))
    page = BeautifulSoup(
        (out / f"model-development/recipes/{rid}/index.html").read_text(), "html.parser"
    )
    fields = [
        [td.get_text(strip=True) for td in tr.select("td")]
        for tr in page.select("#synthetic table.schema tbody tr")
    ]
    names = [f["name"] for f in example.dataset_schema_json["fields"]]
    assert [f[0] for f in fields] == names
    assert fields[0][1:4] == ["string", "required: true, pattern: SKU-[0-9]{4}", "primary key"]
    head = [th.get_text() for th in page.select("#synthetic table.rows th")]
    assert head == names
    cells = [
        [td.get_text() for td in tr.select("td")]
        for tr in page.select("#synthetic table.rows tbody tr")
    ]
    assert cells[0][0] == example.sample_rows_json[0]["sku"]
    assert len(cells) == 4
    mirror = out / f"api/ml-development/recipes/{rid}/synthetic-example.json"
    assert json.loads(mirror.read_text())["sample_rows_json"] == example.sample_rows_json
