"""`modelyard models|runs|monitoring|synthetic|init ...` through the CLI."""

from __future__ import annotations

import pytest

from clihelp import Cli, write
from conftest import git


@pytest.fixture
def cli(reg, base_recipe):
    c = Cli(reg.root)
    c("recipes", "update", base_recipe, "--status", "approved")
    return c


def register(cli, **extra):
    args = [
        "models",
        "register",
        "--name",
        "Production Pricing",
        "--recipe-id",
        "recipe_pricing_base",
        "--recipe-version-id",
        "ver_pricing_base_v1.0.0",
        "--owner",
        "data-science-team",
    ]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}", value]
    return cli.json(*args)


def test_register_get_list_update_model(cli, reg):
    model = register(cli)
    assert model["id"] == "model_production_pricing"
    assert model["model_family"] == "pricing" and model["status"] == "draft"
    assert (
        git(reg.worktree, "log", "-1", "--format=%an|%s")
        == "data-science-team|Register model model_production_pricing from ver_pricing_base_v1.0.0"
    )
    assert cli.json("models", "get", model["id"])["owner"] == "data-science-team"
    assert cli.json("models", "list", "--status", "draft")["total"] == 1
    assert cli.json("models", "list", "--status", "production")["total"] == 0
    assert (
        cli.json("models", "update", model["id"], "--status", "production")["status"]
        == "production"
    )
    assert (
        cli.json("models", "update", model["id"], "--status", "staging")["status"] == "staging"
    )  # rollback
    assert cli.json("models", "update", model["id"], "--status", "retired")["status"] == "retired"
    err = cli.error("models", "update", model["id"], "--status", "production")
    assert err == "Error: model status 'retired' is final; it cannot change to 'production'\n"


def test_register_refuses_a_version_of_another_recipe(cli):
    err = cli.error(
        "models",
        "register",
        "--name",
        "X",
        "--recipe-id",
        "recipe_pricing_base",
        "--recipe-version-id",
        "ver_other_v1.0.0",
        "--owner",
        "t",
    )
    assert (
        "body.recipe_version_id: 'ver_other_v1.0.0' is not a version of recipe_pricing_base" in err
    )
    err = cli.error(
        "models",
        "register",
        "--name",
        "X",
        "--recipe-id",
        "recipe_pricing_base",
        "--recipe-version-id",
        "ver_pricing_base_v3.0.0",
        "--owner",
        "t",
    )
    assert err == (
        "Error: Recipe version not found: ver_pricing_base_v3.0.0; recipe_pricing_base has 1.0.0\n"
    )
    err = cli.error(
        "models",
        "register",
        "--name",
        "X",
        "--recipe-id",
        "recipe_nope",
        "--recipe-version-id",
        "1.0.0",
        "--owner",
        "t",
    )
    assert err == "Error: Recipe not found: recipe_nope\n"
    assert cli.error("models", "get", "model_nope") == "Error: Model not found: model_nope\n"


def test_production_needs_an_approved_recipe(cli):
    model = register(cli)
    cli("recipes", "update", "recipe_pricing_base", "--status", "draft")
    err = cli.error("models", "update", model["id"], "--status", "production")
    assert "cannot go to production: its recipe recipe_pricing_base is draft, not approved" in err


def test_run_lifecycle_through_the_cli(cli, tmp_path):
    model = register(cli)
    run = cli.json(
        "runs",
        "create",
        "--recipe-id",
        "recipe_pricing_base",
        "--recipe-version-id",
        "1.0.0",
        "--run-type",
        "train",
        "--model-id",
        model["id"],
    )
    assert run["status"] == "queued" and run["started_at"] is None
    assert run["recipe_version_id"] == "ver_pricing_base_v1.0.0"
    running = cli.json("runs", "update", run["id"], "--status", "running")
    assert running["started_at"] is not None and running["finished_at"] is None
    logs = tmp_path / "logs.txt"
    logs.write_text("Training started...\nEpoch 1/10...\n")
    done = cli.json(
        "runs",
        "update",
        run["id"],
        "--status",
        "succeeded",
        "--metric",
        "revenue_lift=0.042",
        "--artifact",
        "model_path=s3://bucket/models/model.pkl",
        "--logs",
        str(logs),
    )
    assert done["finished_at"] is not None
    assert done["metrics_json"] == {"revenue_lift": 0.042}
    assert done["artifacts_json"] == {"model_path": "s3://bucket/models/model.pkl"}
    got = cli.json("runs", "get", run["id"])
    assert got["logs_text"] == "Training started...\nEpoch 1/10...\n"
    assert (
        cli.json("runs", "list", "--model-id", model["id"], "--status", "succeeded")["total"] == 1
    )
    assert cli.json("runs", "list", "--status", "failed")["total"] == 0
    err = cli.error("runs", "update", run["id"], "--status", "running")
    assert err == "Error: run status 'succeeded' is final; it cannot change to 'running'\n"
    err = cli.error("runs", "update", run["id"], "--metric", "MAPE=low", code=2)
    assert "'MAPE=low': the value must be a number" in err
    assert cli.error("runs", "get", "run_nope") == "Error: Run not found: run_nope\n"


def test_run_for_a_model_of_another_recipe_is_refused(cli, reg):
    register(cli)
    cli("recipes", "clone", "recipe_pricing_base", "--name", "Other")
    err = cli.error(
        "runs",
        "create",
        "--recipe-id",
        "recipe_other",
        "--recipe-version-id",
        "1.0.0",
        "--run-type",
        "eval",
        "--model-id",
        "model_production_pricing",
    )
    assert (
        "body.model_id: model model_production_pricing is built from recipe_pricing_base, "
        "not recipe_other" in err
    )


def test_runs_list_paging_limits(cli):
    err = cli.error("runs", "list", "--limit", "501")
    assert "query.limit: limit must be between 1 and 500 (got 501)" in err


def test_monitoring_create_and_list_newest_first(cli, tmp_path):
    model = register(cli)
    cli.json(
        "monitoring",
        "create",
        model["id"],
        "--performance",
        "MAPE=0.15",
        "--drift",
        "PSI=0.08",
        "--captured-at",
        "2024-01-15T12:00:00Z",
    )
    body = write(
        tmp_path / "s.json",
        {
            "model_id": model["id"],
            "performance_metrics_json": {"MAPE": 0.2},
            "drift_metrics_json": {"PSI": 0.25},
            "alerts_json": {"PSI": "alert"},
            "captured_at": "2024-01-22T12:00:00Z",
        },
    )
    cli.json("monitoring", "create", model["id"], "--body", body)
    listed = cli.json("monitoring", "list", model["id"], "--limit", "10")
    assert listed["total"] == 2
    assert [s["captured_at"] for s in listed["snapshots"]] == [
        "2024-01-22T12:00:00Z",
        "2024-01-15T12:00:00Z",
    ]
    assert listed["snapshots"][1]["drift_metrics_json"] == {"PSI": 0.08}
    assert (
        cli.json("monitoring", "list", model["id"], "--limit", "1", "--offset", "1")["snapshots"][
            0
        ]["captured_at"]
        == "2024-01-15T12:00:00Z"
    )
    other = write(tmp_path / "o.json", {"model_id": "model_other"})
    err = cli.error("monitoring", "create", model["id"], "--body", other)
    assert (
        "body.model_id: model_id 'model_other' does not match the path's 'model_production_pricing'"
        in err
    )
    assert cli.error("monitoring", "list", "model_nope") == "Error: Model not found: model_nope\n"


def test_synthetic_example(cli, tmp_path):
    err = cli.error("synthetic", "get", "recipe_pricing_base")
    assert err.startswith("Error: Synthetic example not found: recipe_pricing_base\n")
    body = {
        "recipe_id": "recipe_pricing_base",
        "dataset_schema_json": {"columns": {"price": "float", "units": "float"}},
        "sample_rows_json": [{"price": 3.5, "units": 10}],
        "example_run_json": {"metrics_json": {"MAPE": 0.1}},
    }
    created = cli.json(
        "synthetic", "create", "recipe_pricing_base", "--body", write(tmp_path / "b.json", body)
    )
    assert created["sample_rows_json"] == [{"price": 3.5, "units": 10}]
    assert (
        cli.json("synthetic", "get", "recipe_pricing_base")["dataset_schema_json"]
        == body["dataset_schema_json"]
    )
    assert "sample rows (1)" in cli("synthetic", "get", "recipe_pricing_base").stdout
    bad = dict(body, sample_rows_json=[{"prize": 1}])
    err = cli.error(
        "synthetic", "create", "recipe_pricing_base", "--body", write(tmp_path / "x.json", bad)
    )
    assert "body.sample_rows_json.0: column 'prize' is not in dataset_schema_json.columns" in err


def test_body_file_errors_name_the_place(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nname: y\n")
    err = cli.error("models", "register", "--body", str(bad))
    assert err == f"Error: {bad}:2:1: duplicate key 'name'\n"
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": ')
    err = cli.error("models", "register", "--body", str(broken))
    assert err.startswith(f"Error: {broken}:1:")
    assert "not valid JSON" in err


def test_init_makes_a_repository_and_refuses_twice(tmp_path):
    from click.testing import CliRunner

    from modelyard.cli.main import cli

    target = tmp_path / "new"
    result = CliRunner().invoke(cli, ["init", str(target), "--name", "Team registry"])
    assert result.exit_code == 0, result.stderr
    assert (target / "registry" / "modelyard.yaml").is_file()
    assert git(target, "log", "--format=%s") == "Start modelyard registry 'Team registry'"
    again = CliRunner().invoke(cli, ["init", str(target)])
    assert again.exit_code == 1
    assert "already has a registry" in again.stderr


def test_json_output_is_the_seed_shape(cli):
    model = register(cli)
    out = cli.json("models", "get", model["id"])
    seed = [
        "id",
        "name",
        "model_family",
        "recipe_id",
        "recipe_version_id",
        "status",
        "owner",
        "created_at",
        "updated_at",
    ]
    assert [k for k in out if k in seed] == seed
    assert out["created_at"].endswith("Z")


def test_registry_found_from_env_and_upward(cli, reg, monkeypatch):
    from click.testing import CliRunner

    from modelyard.cli.main import cli

    monkeypatch.chdir(reg.root / "recipes")
    result = CliRunner().invoke(cli, ["recipes", "list", "--json"])
    assert result.exit_code == 0, result.stderr
    assert '"recipe_pricing_base"' in result.stdout
    monkeypatch.chdir(reg.worktree.parent)
    monkeypatch.setenv("MODELYARD_REGISTRY", str(reg.worktree))
    result = CliRunner().invoke(cli, ["models", "list", "--json"])
    assert result.exit_code == 0, result.stderr
