"""`modelyard recipes ...` and `modelyard versions ...` through the CLI."""

from __future__ import annotations

import pytest

from clihelp import Cli, write
from conftest import git, manifest
from modelyard.ops import recipes as recipe_ops


@pytest.fixture
def cli(reg):
    return Cli(reg.root)


def create_base(cli, tmp_path, **extra):
    args = [
        "recipes",
        "create",
        "--name",
        "Pricing Baseline",
        "--model-family",
        "pricing",
        "--level",
        "baseline",
        "--id",
        "recipe_pricing_base",
        "--tag",
        "baseline",
        "--manifest",
        write(tmp_path / "m.json", manifest()),
    ]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}", value]
    return cli.json(*args)


def test_create_get_and_list(cli, reg, tmp_path):
    created = create_base(
        cli, tmp_path, change_note="First cut", created_by="Ada <ada@example.com>"
    )
    assert created["id"] == "recipe_pricing_base"
    assert created["status"] == "draft"
    assert created["version"] == "1.0.0"
    assert set(created) >= {
        "id",
        "name",
        "model_family",
        "level",
        "status",
        "parent_id",
        "tags",
        "created_at",
        "updated_at",
    }
    assert (
        git(reg.worktree, "log", "-1", "--format=%an <%ae>|%s") == "Ada <ada@example.com>|First cut"
    )
    assert cli.json("recipes", "get", "recipe_pricing_base")["name"] == "Pricing Baseline"
    listed = cli.json("recipes", "list", "--model-family", "pricing")
    assert listed["total"] == 1 and listed["recipes"][0]["id"] == "recipe_pricing_base"
    assert cli.json("recipes", "list", "--model-family", "forecasting") == {
        "recipes": [],
        "total": 0,
    }
    text = cli("recipes", "list").stdout
    assert "recipe_pricing_base" in text and "1 of 1 recipes" in text


def test_create_from_body_on_stdin_with_flag_override(cli):
    import json

    body = {
        "name": "Demand",
        "model_family": "forecasting",
        "level": "baseline",
        "manifest": manifest("forecasting"),
    }
    created = cli.json(
        "recipes", "create", "--body", "-", "--name", "Demand Forecast", input=json.dumps(body)
    )
    assert created["id"] == "recipe_demand_forecast"
    assert created["name"] == "Demand Forecast"


def test_create_refuses_bad_input_and_writes_nothing(cli, reg, tmp_path):
    head = git(reg.worktree, "rev-parse", "HEAD")
    err = cli.error(
        "recipes",
        "create",
        "--name",
        "X",
        "--model-family",
        "pricing",
        "--level",
        "baseline",
        "--manifest",
        write(tmp_path / "bad.json", {"features": {}}),
    )
    assert "Error: invalid request" in err
    assert "body.manifest.target: field required" in err
    err = cli.error(
        "recipes",
        "create",
        "--name",
        "X",
        "--model-family",
        "pricing",
        "--level",
        "baseline",
        "--id",
        "../x",
        "--manifest",
        write(tmp_path / "m.json", manifest()),
    )
    assert "body.id: '../x' is not a valid id" in err
    err = cli.error("recipes", "list", "--model-family", "weather", code=2)
    assert (
        "'weather' is not one of 'pricing', 'next_best_action', 'location_scoring', 'forecasting'"
        in err
    )
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    assert git(reg.worktree, "status", "--porcelain") == ""


def test_get_missing_recipe(cli):
    assert cli.error("recipes", "get", "recipe_nope") == "Error: Recipe not found: recipe_nope\n"


def test_update_status_lifecycle(cli, tmp_path):
    create_base(cli, tmp_path)
    assert (
        cli.json("recipes", "update", "recipe_pricing_base", "--status", "approved")["status"]
        == "approved"
    )
    assert (
        cli.json("recipes", "update", "recipe_pricing_base", "--status", "archived")["status"]
        == "archived"
    )
    assert cli.json("recipes", "update", "recipe_pricing_base", "--tag", "a", "--tag", "b")[
        "tags"
    ] == ["a", "b"]
    err = cli.error("recipes", "update", "recipe_pricing_base", "--status", "approved")
    assert (
        "recipe status cannot change from 'archived' to 'approved' (allowed from 'archived': draft)"
        in err
    )


def test_clone_then_delete(cli, reg, tmp_path):
    create_base(cli, tmp_path)
    clone = cli.json("recipes", "clone", "recipe_pricing_base", "--name", "Retail Pricing v1")
    assert clone["id"] == "recipe_retail_pricing_v1"
    assert clone["parent_id"] == "recipe_pricing_base" and clone["status"] == "draft"
    again = cli.json("recipes", "clone", "recipe_pricing_base", "--name", "Retail Pricing v1")
    assert again["id"] == "recipe_retail_pricing_v1_2"
    assert (
        recipe_ops.resolved_manifest(reg, clone["id"])[0]
        == recipe_ops.resolved_manifest(reg, "recipe_pricing_base")[0]
    )
    err = cli.error("recipes", "delete", "recipe_pricing_base")
    assert (
        "recipe recipe_pricing_base is still used (recipes: recipe_retail_pricing_v1, "
        "recipe_retail_pricing_v1_2)" in err
    )
    assert "Suggested action: archive it instead" in err
    assert cli.json("recipes", "delete", "recipe_retail_pricing_v1_2") == {
        "deleted": True,
        "id": "recipe_retail_pricing_v1_2",
    }
    assert not (reg.root / "recipes" / "recipe_retail_pricing_v1_2").exists()
    cli.error("recipes", "clone", "recipe_pricing_base", code=2)  # --name is required


def test_versions_create_list_get(cli, reg, tmp_path):
    create_base(cli, tmp_path)
    v = cli.json(
        "versions",
        "create",
        "recipe_pricing_base",
        "--set",
        "model.hyperparameters.learning_rate=0.03",
        "--change-note",
        "Lower the learning rate",
        "--created-by",
        "Ada <ada@example.com>",
    )
    assert v["version_number"] == "1.0.1"
    assert v["version_id"] == "ver_pricing_base_v1.0.1"
    assert v["created_by"] == "Ada"
    assert v["diff_from_prev"]["changes"] == [
        {
            "op": "change",
            "path": ["model", "hyperparameters", "learning_rate"],
            "path_text": "model.hyperparameters.learning_rate",
            "old": 0.05,
            "new": 0.03,
            "bump": "patch",
        }
    ]
    patch = write(tmp_path / "p.json", {"training": {"schedule": "weekly"}})
    v2 = cli.json(
        "versions",
        "create",
        "recipe_pricing_base",
        "--patch",
        patch,
        "--change-note",
        "Retrain weekly",
    )
    assert v2["version_number"] == "1.1.0"
    listed = cli.json("versions", "list", "recipe_pricing_base")
    assert [x["version_number"] for x in listed["versions"]] == ["1.0.0", "1.0.1", "1.1.0"]
    assert listed["versions"][0]["diff_from_prev"] is None
    assert listed["versions"][2]["change_note"] == "Retrain weekly"
    for ref in ("ver_pricing_base_v1.0.1", "v1.0.1", "1.0.1"):
        assert cli.json("versions", "get", "recipe_pricing_base", ref)["version_number"] == "1.0.1"
    assert (
        cli.error("versions", "get", "recipe_pricing_base", "9.9.9")
        == "Error: Recipe version not found: 9.9.9; recipe_pricing_base has 1.0.0, 1.0.1, 1.1.0\n"
    )
    err = cli.error(
        "versions",
        "create",
        "recipe_pricing_base",
        "--set",
        "training.schedule=weekly",
        "--change-note",
        "same",
    )
    assert "the manifest is the same as version 1.1.0; there is nothing to version" in err
    err = cli.error(
        "versions",
        "create",
        "recipe_pricing_base",
        "--set",
        "model.algorithm=xgboost",
        "--change-note",
        "x",
        "--version",
        "1.0.5",
    )
    assert "version 1.0.5 is not greater than the current 1.1.0" in err


def test_versions_create_from_body_mismatched_recipe(cli, tmp_path):
    create_base(cli, tmp_path)
    body = write(
        tmp_path / "b.json",
        {"recipe_id": "recipe_other", "manifest_json": manifest(), "change_note": "x"},
    )
    err = cli.error("versions", "create", "recipe_pricing_base", "--body", body)
    assert (
        "body.recipe_id: recipe_id 'recipe_other' does not match the path's 'recipe_pricing_base'"
        in err
    )


def test_recipe_get_manifest_shows_provenance(cli, tmp_path):
    create_base(cli, tmp_path)
    cli("recipes", "clone", "recipe_pricing_base", "--name", "Child")
    cli(
        "versions",
        "create",
        "recipe_child",
        "--set",
        "pricing.objective=margin",
        "--change-note",
        "margin",
    )
    out = cli.json("recipes", "get", "recipe_child", "--manifest")
    assert out["provenance"]["pricing.objective"] == "recipe_child"
    assert out["provenance"]["pricing.price_bounds.min_ratio"] == "recipe_pricing_base"
    assert out["manifest"]["pricing"]["objective"] == "margin"
    text = cli("recipes", "get", "recipe_child", "--manifest").stdout
    assert "pricing.objective = 'margin'  <- recipe_child" in text


def test_no_registry_is_a_clear_error(tmp_path):
    from click.testing import CliRunner

    from modelyard.cli.main import cli

    result = CliRunner().invoke(cli, ["--registry", str(tmp_path), "recipes", "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: no registry at {tmp_path}")
    assert (
        "Suggested action: point --registry at a folder made by `modelyard init`" in result.stderr
    )


def test_missing_body_fields_name_their_flags(cli, tmp_path):
    # only flags missing: a usage error, one line, exit 2 (as a missing click option is)
    err = cli.error("recipes", "create", code=2)
    assert err == (
        "Error: Missing option '--name', '--model-family', '--level'. "
        "(see 'modelyard recipes create --help')\n"
    )
    # missing beside a wrong value: the request's problems, each naming its flag
    body = tmp_path / "body.json"
    body.write_text('{"name": "x", "level": "baseline", "tags": "not-a-list"}')
    err = cli.error("recipes", "create", "--body", str(body))
    assert err.startswith("Error: invalid request\n")
    assert "  body.model_family: field required (--model-family)\n" in err
    assert "body.tags" in err
    err = cli.error("runs", "list", "--limit", "0")
    assert err.endswith("  query.limit: limit must be between 1 and 500 (got 0) (--limit)\n")
