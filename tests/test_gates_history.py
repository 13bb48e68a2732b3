"""History as of any date, status histories and rollback, on a registry built with known
dates (every commit's author and committer date set)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clihelp import Cli
from conftest import git, manifest
from gates_support import model, on_day, run, set_gates
from modelyard.errors import Conflict, InvalidValue
from modelyard.ops import asof, models, recipes, versions
from modelyard.ops.gates import GateRefused
from modelyard.ops.model_history import model_history
from modelyard.ops.rollback import rollback
from modelyard.server.app import create_app
from modelyard.storage.registry import Registry
from server_support import API

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def story(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """Day 1: the registry and recipe_pricing_base 1.0.0 (approved). Day 2: model_a. Day 3:
    model_a in production. Day 5: version 1.1.0 and model_b. Day 7: model_b in production,
    model_a back to staging."""
    from modelyard.ops import setup

    on_day(monkeypatch, 1)
    reg = setup.init_registry(repo)
    recipes.create_recipe(
        reg,
        {
            "name": "Pricing Baseline",
            "model_family": "pricing",
            "level": "baseline",
            "id": "recipe_pricing_base",
            "manifest": manifest("pricing"),
        },
    )
    recipes.update_recipe(reg, "recipe_pricing_base", {"status": "approved"})
    on_day(monkeypatch, 2)
    model(reg, "model_a")
    run(reg, "model_a", {"MAPE": 0.15})
    on_day(monkeypatch, 3)
    models.update_model(reg, "model_a", {"status": "production", "reason": "first model"})
    on_day(monkeypatch, 5)
    m = manifest("pricing")
    m["model"]["hyperparameters"]["learning_rate"] = 0.04
    versions.create_version(
        reg, "recipe_pricing_base", {"manifest_json": m, "change_note": "Tune", "version": "1.1.0"}
    )
    model(reg, "model_b", version="ver_pricing_base_v1.1.0")
    run(reg, "model_b", {"MAPE": 0.12}, version="ver_pricing_base_v1.1.0")
    on_day(monkeypatch, 7)
    models.update_model(reg, "model_b", {"status": "production"})
    models.update_model(reg, "model_a", {"status": "staging", "reason": "model_b beats it"})
    on_day(monkeypatch, 9)
    return reg


def in_production(reg: Registry, when: str) -> list[str]:
    return [m.id for m in models.list_models(reg, status="production", as_of=when).models]


def test_models_recipes_and_versions_as_of(story: Registry) -> None:
    # before the first commit (31 October), between the changes, and after them
    assert models.list_models(story, as_of="2026-10-31").total == 0
    assert recipes.list_recipes(story, as_of="2026-10-31").total == 0
    assert asof.versions_as_of(story, "recipe_pricing_base", "2026-10-31").total == 0
    assert in_production(story, "2026-11-02") == []
    assert in_production(story, "2026-11-03") == ["model_a"]
    assert in_production(story, "2026-11-03T11:59:59Z") == []  # promoted at noon
    assert in_production(story, "2026-11-06") == ["model_a"]
    assert [m.id for m in models.list_models(story, as_of="2026-11-06").models] == [
        "model_a",
        "model_b",
    ]
    assert in_production(story, "2026-11-08") == ["model_b"]
    [recipe] = recipes.list_recipes(story, as_of="2026-11-04").recipes
    assert (recipe.version, recipe.status) == ("1.0.0", "approved")
    assert recipes.list_recipes(story, as_of="2026-11-06").recipes[0].version == "1.1.0"
    numbers = [
        v.version_number
        for v in asof.versions_as_of(story, "recipe_pricing_base", "2026-11-04").versions
    ]
    assert numbers == ["1.0.0"]
    with pytest.raises(InvalidValue, match="Invalid as_of value: 'last tuesday'"):
        models.list_models(story, as_of="last tuesday")


def test_history_lists_every_status_change_with_who_when_and_why(story: Registry) -> None:
    changes = [c.as_json() for c in model_history(story, "model_a")]
    assert [(c["previous"], c["status"], c["at"], c["reason"]) for c in changes] == [
        (None, "draft", "2026-11-02T12:00:00Z", None),
        ("draft", "production", "2026-11-03T12:00:00Z", "first model"),
        ("production", "staging", "2026-11-07T12:00:00Z", "model_b beats it"),
    ]
    assert changes[1]["author"] == "Test User"
    assert changes[1]["commit"] == git(
        story.worktree, "rev-list", "-1", "--before=2026-11-04", "HEAD"
    )


def test_rollback_restores_the_previous_model_in_one_commit(story: Registry) -> None:
    before = git(story.worktree, "rev-parse", "HEAD")
    result = rollback(story, "model_b", {"reason": "model_b misprices weekends"})
    assert result["restored"]["id"] == "model_a" and result["demoted"]["id"] == "model_b"
    assert git(story.worktree, "rev-parse", "HEAD^") == before
    touched = git(story.worktree, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(touched) == [
        "registry/models/model_a/model.yaml",
        "registry/models/model_b/model.yaml",
    ]
    assert models.get_model(story, "model_a").status == "production"
    assert models.get_model(story, "model_b").status == "staging"
    last = model_history(story, "model_a")[-1]
    assert (last.status, last.reason) == ("production", "model_b misprices weekends")
    assert "Rollback-Of: model_b" in git(story.worktree, "log", "-1", "--format=%B")
    with pytest.raises(Conflict, match="model_b is staging, not in production"):
        rollback(story, "model_b")
    models.update_model(story, "model_b", {"status": "retired"})
    with pytest.raises(Conflict, match="no earlier production model"):
        rollback(story, "model_a")  # the one before it is retired


def test_rollback_checks_the_gate_of_the_model_put_back(
    story: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    gates = {"production": {"evidence": {"max_age_days": 3}}}
    reg = set_gates(story, gates)  # model_a's eval run is 7 days old
    with pytest.raises(GateRefused, match="model_a cannot enter production"):
        rollback(reg, "model_b")
    assert models.get_model(reg, "model_b").status == "production"
    rollback(reg, "model_b", {"override_gate": True, "reason": "outage"})
    assert models.get_model(reg, "model_a").status == "production"


def test_cli_and_http(story: Registry) -> None:
    cli = Cli(story.root)
    listed = cli.json("models", "list", "--status", "production", "--as-of", "2026-11-04")
    assert [m["id"] for m in listed["models"]] == ["model_a"]
    out = cli("models", "history", "model_a").stdout
    assert "production -> staging" in out and "model_b beats it" in out
    with TestClient(create_app(story)) as client:
        resp = client.get(f"{API}/models", params={"as_of": "2026-11-08", "status": "production"})
        assert [m["id"] for m in resp.json()["models"]] == ["model_b"]
        resp = client.get(
            f"{API}/recipes/recipe_pricing_base/versions", params={"as_of": "2026-11-04"}
        )
        assert resp.json()["total"] == 1
        assert client.get(f"{API}/recipes", params={"as_of": "soon"}).status_code == 400
        history = client.get(f"{API}/models/model_b/history").json()
        assert [c["status"] for c in history["changes"]] == ["draft", "production"]
        resp = client.post(f"{API}/models/model_b/rollback", json={"reason": "bad week"})
        assert resp.status_code == 200 and resp.json()["restored"]["id"] == "model_a"
    out = cli("models", "list", "--status", "production").stdout
    assert "model_a" in out and "model_b" not in out


@pytest.mark.parametrize("path", ["/models", "/recipes", "/recipes/recipe_pricing_base/versions"])
def test_a_bad_as_of_is_a_documented_400_and_an_empty_one_no_filter(story, path) -> None:
    with TestClient(create_app(story)) as client:
        bad = client.get(f"{API}{path}?as_of=None")
        assert bad.status_code == 400 and "Invalid as_of value: 'None'" in bad.json()["detail"]
        assert client.get(f"{API}{path}?as_of=").json() == client.get(f"{API}{path}").json()
        operation = client.get("/openapi.json").json()["paths"][
            f"{API}{path}".replace("recipe_pricing_base", "{recipe_id}")
        ]["get"]
        assert "400" in operation["responses"]
