"""The seed's Usage Examples 1, 2 and 3, step by step through the CLI: every step a commit
by the right author, the registry valid at the end."""

from __future__ import annotations

import pytest

from clihelp import Cli, write
from conftest import git, manifest
from modelyard.ops import load, models, recipes, runs


@pytest.fixture
def cli(reg, base_recipe):
    recipes.update_recipe(reg, base_recipe, {"status": "approved"})
    return Cli(reg.root)


def commits(reg) -> int:
    return int(git(reg.worktree, "rev-list", "--count", "HEAD"))


def last_author(reg) -> str:
    return git(reg.worktree, "log", "-1", "--format=%an")


def test_example_1_create_and_deploy_a_pricing_model(cli, reg, tmp_path):
    # 1. List available recipes
    listed = cli.json("recipes", "list", "--model-family", "pricing")
    assert [r["id"] for r in listed["recipes"]] == ["recipe_pricing_base"]
    before = commits(reg)
    # 2. Clone baseline recipe
    new = cli.json("recipes", "clone", "recipe_pricing_base", "--name", "Retail Pricing v1")
    new_id = new["id"]
    assert (new_id, new["status"], new["parent_id"]) == (
        "recipe_retail_pricing_v1",
        "draft",
        "recipe_pricing_base",
    )
    assert commits(reg) == before + 1
    # 3. Create new version with custom manifest
    custom = manifest()
    custom["features"]["loyalty_member"] = {"dtype": "bool", "source": "transactions"}
    body = write(
        tmp_path / "v.json",
        {
            "recipe_id": new_id,
            "manifest_json": custom,
            "change_note": "Added retail features",
            "created_by": "Ada <ada@x.org>",
        },
    )
    version = cli.json("versions", "create", new_id, "--body", body)
    assert version["change_note"] == "Added retail features"
    assert version["version_number"] == "2.0.0"  # features are a breaking path
    assert (commits(reg), last_author(reg)) == (before + 2, "Ada")
    # 4. Approve recipe
    assert (
        cli.json(
            "recipes",
            "update",
            new_id,
            "--body",
            write(tmp_path / "a.json", {"status": "approved"}),
        )["status"]
        == "approved"
    )
    # 5. Register model
    model = cli.json(
        "models",
        "register",
        "--body",
        write(
            tmp_path / "m.json",
            {
                "name": "Production Retail Pricing",
                "recipe_id": new_id,
                "recipe_version_id": version["version_id"],
                "owner": "team",
            },
        ),
    )
    assert last_author(reg) == "team"
    # 6. Create training run
    run = cli.json(
        "runs",
        "create",
        "--body",
        write(
            tmp_path / "r.json",
            {
                "recipe_id": new_id,
                "recipe_version_id": version["version_id"],
                "run_type": "train",
                "model_id": model["id"],
            },
        ),
    )
    # 7. Update run with results
    done = cli.json(
        "runs",
        "update",
        run["id"],
        "--body",
        write(
            tmp_path / "u.json", {"status": "succeeded", "metrics_json": {"revenue_lift": 0.045}}
        ),
    )
    assert done["status"] == "succeeded" and done["started_at"] and done["finished_at"]
    # 8. Promote model to production
    assert (
        cli.json(
            "models",
            "update",
            model["id"],
            "--body",
            write(tmp_path / "p.json", {"status": "production"}),
        )["status"]
        == "production"
    )
    # 9. Create monitoring snapshot
    snap = cli.json(
        "monitoring",
        "create",
        model["id"],
        "--body",
        write(
            tmp_path / "s.json",
            {"model_id": model["id"], "performance_metrics_json": {"revenue_lift": 0.042}},
        ),
    )
    assert snap["model_id"] == model["id"]
    assert commits(reg) == before + 8  # one commit per mutating step (2 to 9)
    subjects = git(reg.worktree, "log", "-8", "--format=%s").splitlines()
    assert subjects[0].startswith("Monitoring snapshot snap_")
    assert subjects[-2:] == [
        "Added retail features",
        "Clone recipe_pricing_base as 'Retail Pricing v1'",
    ]
    assert git(reg.worktree, "status", "--porcelain") == ""
    # the registry is whole: every record loads
    assert len(list(load.recipes(reg))) == 2
    assert models.get_model(reg, model["id"]).status == "production"
    assert runs.get_run(reg, run["id"]).metrics_json == {"revenue_lift": 0.045}


def test_example_2_query_runs_for_a_model(cli, reg):
    model = cli.json(
        "models",
        "register",
        "--name",
        "M",
        "--recipe-id",
        "recipe_pricing_base",
        "--recipe-version-id",
        "ver_pricing_base_v1.0.0",
        "--owner",
        "team",
    )
    ids = []
    for outcome in ("succeeded", "failed", "succeeded"):
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
        cli.json("runs", "update", run["id"], "--status", outcome)
        ids.append(run["id"])
    ok = cli.json("runs", "list", "--model-id", model["id"], "--status", "succeeded")
    assert ok["total"] == 2
    assert {r["id"] for r in ok["runs"]} == {ids[0], ids[2]}
    detail = cli.json("runs", "get", ids[1])
    assert detail["status"] == "failed" and detail["model_id"] == model["id"]


def test_example_3_monitor_model_performance(cli, reg):
    model = cli.json(
        "models",
        "register",
        "--name",
        "M",
        "--recipe-id",
        "recipe_pricing_base",
        "--recipe-version-id",
        "ver_pricing_base_v1.0.0",
        "--owner",
        "team",
    )
    for day in range(1, 13):
        cli(
            "monitoring",
            "create",
            model["id"],
            "--performance",
            f"MAPE={0.1 + day / 100}",
            "--captured-at",
            f"2024-01-{day:02d}T12:00:00Z",
        )
    recent = cli.json("monitoring", "list", model["id"], "--limit", "10")
    assert recent["total"] == 12 and len(recent["snapshots"]) == 10
    assert recent["snapshots"][0]["captured_at"] == "2024-01-12T12:00:00Z"
    assert recent["snapshots"][0]["performance_metrics_json"] == {"MAPE": 0.22}
    assert cli.json("models", "get", model["id"])["name"] == "M"
