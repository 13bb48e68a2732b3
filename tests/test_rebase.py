"""`modelyard recipes rebase`: a child caught up with its parent's new version by a three-way
merge, on a real three-level lineage in a real git repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clihelp import Cli
from conftest import git, manifest
from modelyard.domain.rebase import ListMode, Resolution, three_way
from modelyard.ops import recipes, versions
from modelyard.ops.recipes import resolved_manifest
from modelyard.server.app import create_app
from modelyard.storage.registry import Registry
from modelyard.validate import run
from server_support import API

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def new_version(reg: Registry, recipe_id: str, note: str, **sets: Any) -> str:
    """A new version of `recipe_id` with dotted paths set (None removes)."""
    from modelyard.domain.resolve import set_value

    full, _ = resolved_manifest(reg, recipe_id)
    for path, value in sets.items():
        full = set_value(full, path.replace("__", "."), value)
    body = {"manifest_json": full, "change_note": note}
    return versions.create_version(reg, recipe_id, body).version_number


@pytest.fixture
def lineage(reg: Registry) -> Registry:
    """baseline -> industry -> client, then the industry recipe moves on.

    Keys and who changed them since the client's pin (industry 1.0.1):
    - model.hyperparameters.learning_rate: only the client (0.05 -> 0.01)
    - model.hyperparameters.num_leaves: only the industry recipe (63 -> 127)
    - model.hyperparameters.max_depth: both, differently (8 -> client 10, industry 7)
    - pricing.price_bounds.min_ratio: nobody (0.8)
    """
    m = manifest("pricing")
    m["model"]["hyperparameters"]["max_depth"] = 6
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_base",
            "name": "Base",
            "model_family": "pricing",
            "level": "baseline",
            "manifest": m,
        },
    )
    recipes.clone_recipe(reg, "recipe_base", "Grocery", "industry")
    new_version(
        reg,
        "recipe_grocery",
        "Grocery tuning",
        model__hyperparameters__num_leaves=63,
        model__hyperparameters__max_depth=8,
    )
    recipes.clone_recipe(reg, "recipe_grocery", "Acme", "client")
    new_version(
        reg,
        "recipe_acme",
        "Acme tuning",
        model__hyperparameters__learning_rate=0.01,
        model__hyperparameters__max_depth=10,
    )
    new_version(
        reg,
        "recipe_grocery",
        "Grocery 1.0.2",
        model__hyperparameters__num_leaves=127,
        model__hyperparameters__max_depth=7,
    )
    return reg


def by_path(result: Any) -> dict[str, Any]:
    return {c["path"]: c for c in result["changes"]}


def head(reg: Registry) -> str:
    return git(reg.root, "rev-parse", "HEAD")


def test_check_reports_each_case_and_writes_nothing(lineage: Registry) -> None:
    cli = Cli(lineage.root)
    before = head(lineage)
    result = cli("recipes", "rebase", "recipe_acme", "--check", "--json", code=1)
    plan = json.loads(result.stdout)
    changes = by_path(plan)
    hp = "model.hyperparameters."
    assert changes[hp + "learning_rate"]["case"] == "child"
    assert changes[hp + "learning_rate"]["result"] == 0.01
    assert changes[hp + "num_leaves"]["case"] == "parent"
    assert changes[hp + "num_leaves"]["result"] == 127
    conflict = changes[hp + "max_depth"]
    assert (conflict["case"], conflict["base"], conflict["ours"], conflict["theirs"]) == (
        "conflict",
        8,
        10,
        7,
    )
    assert conflict["resolved_by"] is None and conflict["result"] is None
    assert "pricing.price_bounds.min_ratio" not in changes  # nobody changed it
    assert plan["unresolved"] == [hp + "max_depth"]
    assert (plan["from_version"], plan["to_version"], plan["applied"]) == ("1.0.1", "1.0.2", False)
    assert head(lineage) == before
    assert git(lineage.root, "status", "--porcelain") == ""


def test_unresolved_conflict_is_refused_naming_the_three_values(lineage: Registry) -> None:
    cli = Cli(lineage.root)
    before = head(lineage)
    err = cli.error("recipes", "rebase", "recipe_acme")
    assert (
        "model.hyperparameters.max_depth: was 8 in the parent, the child has 10, "
        "the parent now has 7"
    ) in err
    assert "--ours PATH" in err
    assert head(lineage) == before


@pytest.mark.parametrize(("flag", "depth"), [("--ours", 10), ("--theirs", 7)])
def test_conflict_settled_by_flag_commits_one_version(
    lineage: Registry, flag: str, depth: int
) -> None:
    cli = Cli(lineage.root)
    before = head(lineage)
    done = cli.json("recipes", "rebase", "recipe_acme", flag, "model.hyperparameters.max_depth")
    assert done["applied"] is True
    assert git(lineage.root, "rev-list", "--count", f"{before}..HEAD") == "1"
    touched = git(lineage.root, "show", "--name-only", "--format=", "HEAD").splitlines()
    # recipe.yaml changes only when its updated_at moves to another second
    assert "registry/recipes/recipe_acme/manifest.yaml" in touched
    assert set(touched) <= {
        "registry/recipes/recipe_acme/manifest.yaml",
        "registry/recipes/recipe_acme/recipe.yaml",
    }
    full, provenance = resolved_manifest(lineage, "recipe_acme")
    hp = full["model"]["hyperparameters"]
    assert (hp["learning_rate"], hp["num_leaves"], hp["max_depth"]) == (0.01, 127, depth)
    assert full["pricing"]["price_bounds"]["min_ratio"] == 0.8
    assert provenance["model.hyperparameters.num_leaves"] == "recipe_grocery"
    # the bump comes from the child's own resolved diff: values changed, so a patch
    assert done["bump"] == "patch" and done["version"] == "1.0.2"
    note = git(lineage.root, "log", "-1", "--format=%B")
    assert "onto recipe_grocery 1.0.2 (from 1.0.1)" in note
    side = flag.removeprefix("--")
    assert f"model.hyperparameters.max_depth: {side}" in note
    listed = versions.list_versions(lineage, "recipe_acme").versions
    assert listed[-1].version_number == "1.0.2"
    assert listed[-1].extends is not None and listed[-1].extends.version == "1.0.2"
    assert listed[-1].commit == done["commit"]


def test_conflict_settled_by_file_with_a_value(lineage: Registry, tmp_path: Path) -> None:
    cli = Cli(lineage.root)
    path = tmp_path / "resolutions.yaml"
    path.write_text("model.hyperparameters.max_depth:\n  value: 9\n", encoding="utf-8")
    done = cli.json("recipes", "rebase", "recipe_acme", "--resolutions", str(path))
    assert by_path(done)["model.hyperparameters.max_depth"]["resolved_by"] == "value"
    full, _ = resolved_manifest(lineage, "recipe_acme")
    assert full["model"]["hyperparameters"]["max_depth"] == 9


def test_a_resolution_for_no_conflict_is_refused(lineage: Registry) -> None:
    cli = Cli(lineage.root)
    err = cli.error("recipes", "rebase", "recipe_acme", "--ours", "model.algorithm", code=1)
    assert "no conflict at or under 'model.algorithm'" in err
    assert "conflicts: model.hyperparameters.max_depth" in err


def test_a_breaking_parent_change_makes_a_major_bump(reg: Registry) -> None:
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_base",
            "name": "Base",
            "model_family": "pricing",
            "level": "baseline",
            "manifest": manifest("pricing"),
        },
    )
    recipes.clone_recipe(reg, "recipe_base", "Child", "industry")
    assert new_version(reg, "recipe_base", "new feature", features__promo={"dtype": "bool"}) == (
        "2.0.0"
    )
    report = run(reg)
    assert [(p.code, p.field) for p in report.problems] == [("behind-parent", "extends.version")]
    assert "a major version behind its current 2.0.0" in report.problems[0].message
    done = Cli(reg.root).json("recipes", "rebase", "recipe_child")
    assert (done["bump"], done["version"]) == ("major", "2.0.0")
    assert by_path(done)["features.promo"]["case"] == "parent"
    assert run(reg).problems == []
    again = Cli(reg.root).error("recipes", "rebase", "recipe_child")
    assert "already built on recipe_base 2.0.0" in again


def test_rebase_onto_an_explicit_older_version(lineage: Registry) -> None:
    new_version(lineage, "recipe_grocery", "1.0.3", model__algorithm="xgboost")
    cli = Cli(lineage.root)
    plan = cli.json(
        "recipes",
        "rebase",
        "recipe_acme",
        "--to",
        "1.0.2",
        "--check",
        "--ours",
        "model.hyperparameters.max_depth",
    )
    assert plan["to_version"] == "1.0.2" and "model.algorithm" not in by_path(plan)
    assert plan["unresolved"] == []
    err = cli.error("recipes", "rebase", "recipe_acme", "--to", "1.0.0", code=1)
    assert "1.0.0 is not newer than the version recipe_acme is built on (1.0.1)" in err


def test_root_recipe_has_nothing_to_rebase(lineage: Registry) -> None:
    err = Cli(lineage.root).error("recipes", "rebase", "recipe_base")
    assert "recipe_base has no parent" in err


def test_the_same_change_on_both_sides_and_removals() -> None:
    base = {"a": 1, "b": 2, "c": {"x": 1, "y": 2}, "d": 4}
    ours = {"a": 5, "b": 2, "c": {"x": 1}, "d": 4}  # a changed, c.y removed
    theirs = {"a": 5, "c": {"x": 1, "y": 2}, "d": 4}  # a changed the same way, b removed
    merge = three_way(base, ours, theirs)
    assert merge.manifest == {"a": 5, "c": {"x": 1}, "d": 4}
    assert [(c.path, c.case) for c in merge.changes] == [
        ("a", "same"),
        ("c.y", "child"),
        ("b", "parent"),
    ]
    clash = three_way(base, {**ours, "b": 3}, theirs)  # child changed what the parent removed
    assert [(c.path, c.base, c.ours, c.theirs) for c in clash.unresolved] == [("b", 2, 3, None)]


# -- list merge modes ---------------------------------------------------------------------


def test_lists_replace_by_default_so_both_changing_one_conflicts() -> None:
    base = {"evaluation": {"metrics": ["MAPE"]}}
    ours = {"evaluation": {"metrics": ["MAPE", "WAPE"]}}
    theirs = {"evaluation": {"metrics": ["MAPE", "revenue_lift"]}}
    merge = three_way(base, ours, theirs)
    assert [(c.path, c.case) for c in merge.changes] == [("evaluation.metrics", "conflict")]
    settled = three_way(
        base, ours, theirs, resolutions={"evaluation": Resolution("theirs")}
    )  # an enclosing path settles what is beneath it
    assert settled.manifest == theirs and settled.unresolved == []


def test_append_keeps_what_either_side_added_and_drops_what_either_removed() -> None:
    base = {"m": ["MAPE", "bias"]}
    ours = {"m": ["MAPE", "WAPE"]}  # child removed bias, added WAPE
    theirs = {"m": ["MAPE", "bias", "revenue_lift"]}  # parent added revenue_lift
    merge = three_way(base, ours, theirs, {"m": ListMode("append")})
    assert merge.manifest == {"m": ["MAPE", "revenue_lift", "WAPE"]}
    assert [(c.path, c.case) for c in merge.changes] == [("m", "merged")]


def test_merge_by_key_merges_items_and_reports_conflicts_per_item() -> None:
    base = {"stages": [{"name": "fit", "epochs": 5}, {"name": "eval", "folds": 3}]}
    ours = {"stages": [{"name": "fit", "epochs": 8}, {"name": "eval", "folds": 3}]}
    theirs = {
        "stages": [
            {"name": "fit", "epochs": 5, "lr": 0.1},
            {"name": "eval", "folds": 5},
            {"name": "export"},
        ]
    }
    merge = three_way(base, ours, theirs, {"stages": ListMode("merge-by-key", "name")})
    assert merge.manifest == {
        "stages": [
            {"name": "fit", "epochs": 8, "lr": 0.1},
            {"name": "eval", "folds": 5},
            {"name": "export"},
        ]
    }
    both = {"stages": [{"name": "fit", "epochs": 9}, {"name": "eval", "folds": 3}]}
    clash = three_way(
        base,
        both,
        {"stages": [{"name": "fit", "epochs": 2}]},
        {"stages": ListMode("merge-by-key", "name")},
    )
    assert [c.path for c in clash.unresolved] == ["stages.fit.epochs"]


def test_registry_declared_list_modes_apply_to_a_rebase(reg: Registry) -> None:
    settings = reg.root / "modelyard.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("list_merge: {}\n", "")
        + "list_merge:\n  evaluation.metrics: append\n"
        + "  training.parameters.stages:\n    merge_by_key: name\n",
        encoding="utf-8",
    )
    git(reg.root, "commit", "-qam", "declare list merges")
    reg = Registry.open(reg.root)
    m = manifest("pricing")
    m["training"] = {"parameters": {"stages": [{"name": "fit", "epochs": 5}]}}
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_base",
            "name": "B",
            "model_family": "pricing",
            "level": "baseline",
            "manifest": m,
        },
    )
    recipes.clone_recipe(reg, "recipe_base", "Kid", "industry")
    new_version(
        reg,
        "recipe_kid",
        "kid",
        evaluation__metrics=["MAPE", "revenue_lift", "WAPE"],
        training__parameters__stages=[{"name": "fit", "epochs": 9}],
    )
    new_version(
        reg,
        "recipe_base",
        "base",
        evaluation__metrics=["MAPE", "revenue_lift", "bias"],
        training__parameters__stages=[{"name": "fit", "epochs": 5}, {"name": "eval"}],
    )
    done = Cli(reg.root).json("recipes", "rebase", "recipe_kid")
    full, _ = resolved_manifest(reg, "recipe_kid")
    assert full["evaluation"]["metrics"] == ["MAPE", "revenue_lift", "bias", "WAPE"]
    assert full["training"]["parameters"]["stages"] == [
        {"name": "fit", "epochs": 9},
        {"name": "eval"},
    ]
    assert by_path(done)["evaluation.metrics"]["case"] == "merged"


# -- the API -------------------------------------------------------------------------------


def test_api_plans_then_applies(lineage: Registry) -> None:
    with TestClient(create_app(lineage)) as client:
        r = client.get(f"{API}/recipes/recipe_acme/rebase")
        assert r.status_code == 200
        assert r.json()["unresolved"] == ["model.hyperparameters.max_depth"]
        r = client.post(f"{API}/recipes/recipe_acme/rebase", json={})
        assert r.status_code == 409
        assert "the child has 10, the parent now has 7" in r.json()["detail"]
        r = client.post(
            f"{API}/recipes/recipe_acme/rebase",
            json={"resolutions": {"model.hyperparameters.max_depth": "theirs"}, "bogus": 1},
        )
        assert r.status_code == 422
        r = client.post(
            f"{API}/recipes/recipe_acme/rebase",
            json={"theirs": ["model.hyperparameters.max_depth"], "change_note": "Catch up"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["applied"] is True
        r = client.get(f"{API}/recipes/recipe_acme/manifest")
        assert r.json()["manifest"]["model"]["hyperparameters"]["max_depth"] == 7
    assert git(lineage.root, "log", "-1", "--format=%s") == "Catch up"


def test_the_catalog_page_shows_what_a_rebase_would_change(lineage: Registry, tmp_path: Path):
    from bs4 import BeautifulSoup

    out = tmp_path / "site"
    Cli(lineage.root)("site", "build", "--out", str(out))
    page = BeautifulSoup(
        (out / "model-development/recipes/recipe_acme/index.html").read_text(), "html.parser"
    )
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in page.select("table.rebase tbody tr")
    ]
    assert ["model.hyperparameters.max_depth", "conflict", "8", "10", "7", ""] in rows
    assert ["model.hyperparameters.num_leaves", "parent", "63", "63", "127", "127"] in rows
