"""Every endpoint through FastAPI's test client: success, not found, bad enum, bad body,
paging limits and body/path id mismatches, checked against the registry afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import git, manifest
from modelyard.ops import models, recipes, runs
from modelyard.server.app import create_app
from modelyard.storage.registry import Registry
from server_support import API

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def client(reg: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(reg)) as c:
        yield c


@pytest.fixture
def world(reg: Registry, base_recipe: str) -> dict[str, str]:
    """A baseline recipe, a model built from it, and a queued run of that model."""
    model = models.register_model(
        reg,
        {
            "name": "Pricing Prod",
            "recipe_id": base_recipe,
            "recipe_version_id": "ver_pricing_base_v1.0.0",
            "owner": "team",
        },
    )
    run = runs.create_run(
        reg,
        {
            "recipe_id": base_recipe,
            "recipe_version_id": "ver_pricing_base_v1.0.0",
            "run_type": "train",
            "model_id": model.id,
        },
    )
    return {
        "recipe": base_recipe,
        "model": model.id,
        "run": run.id,
        "version": "ver_pricing_base_v1.0.0",
    }


def commits(reg: Registry) -> int:
    return int(git(reg.worktree, "rev-list", "--count", "HEAD"))


def assert_seed_422(body: Any, loc: list[Any]) -> None:
    assert isinstance(body["detail"], list)
    for entry in body["detail"]:
        assert set(entry) == {"loc", "msg", "type"}
    assert loc in [e["loc"] for e in body["detail"]], body


# -- recipes -------------------------------------------------------------------------------


def test_list_recipes_filters_and_pages(
    client: TestClient, reg: Registry, base_recipe: str
) -> None:
    recipes.create_recipe(
        reg,
        {
            "name": "Demand",
            "model_family": "forecasting",
            "level": "baseline",
            "manifest": manifest("forecasting"),
        },
    )
    r = client.get(f"{API}/recipes", params={"model_family": "pricing"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1
    assert [x["id"] for x in body["recipes"]] == [base_recipe]
    seed_fields = {
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
    assert seed_fields <= set(body["recipes"][0])
    assert body["recipes"][0]["created_at"].endswith("Z")
    r = client.get(f"{API}/recipes", params={"limit": 1, "offset": 1})
    assert r.json()["total"] == 2 and len(r.json()["recipes"]) == 1


@pytest.mark.parametrize(
    ("param", "value"), [("model_family", "retail"), ("level", "global"), ("status", "live")]
)
def test_list_recipes_bad_enum_is_400(client: TestClient, param: str, value: str) -> None:
    r = client.get(f"{API}/recipes", params={param: value})
    assert r.status_code == 400
    assert r.json()["detail"].startswith(f"Invalid {param} value")


@pytest.mark.parametrize("path", ["/recipes", "/models", "/runs"])
def test_limit_501_is_refused(client: TestClient, path: str) -> None:
    r = client.get(f"{API}{path}", params={"limit": 501})
    assert r.status_code == 422
    assert_seed_422(r.json(), ["query", "limit"])
    assert client.get(f"{API}{path}", params={"limit": 500}).status_code == 200
    assert client.get(f"{API}{path}", params={"limit": 0}).status_code == 422
    assert client.get(f"{API}{path}", params={"offset": -1}).status_code == 422
    r = client.get(f"{API}{path}", params={"limit": "ten"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "type_error.integer"


def test_get_recipe(client: TestClient, base_recipe: str) -> None:
    r = client.get(f"{API}/recipes/{base_recipe}")
    assert r.status_code == 200
    assert r.json()["version"] == "1.0.0"
    r = client.get(f"{API}/recipes/recipe_missing")
    assert (r.status_code, r.json()) == (404, {"detail": "Recipe not found"})
    # not even a valid id: still the seed's 404, never a 500
    assert client.get(f"{API}/recipes/..%2F..%2Fetc").status_code == 404


def test_create_recipe(client: TestClient, reg: Registry) -> None:
    before = commits(reg)
    body = {
        "name": "Pricing Baseline v1",
        "model_family": "pricing",
        "level": "baseline",
        "parent_id": None,
        "tags": ["baseline"],
        "manifest": manifest("pricing"),
    }
    r = client.post(f"{API}/recipes", json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "draft" and created["version"] == "1.0.0"
    assert commits(reg) == before + 1
    assert client.get(f"{API}/recipes/{created['id']}").json()["name"] == "Pricing Baseline v1"


def test_create_recipe_bad_body(client: TestClient, reg: Registry) -> None:
    before = commits(reg)
    r = client.post(
        f"{API}/recipes", json={"model_family": "retail", "level": "baseline", "stauts": "x"}
    )
    assert r.status_code == 422
    body = r.json()
    assert_seed_422(body, ["body", "name"])
    by_loc = {tuple(e["loc"]): e for e in body["detail"]}
    assert by_loc[("body", "name")] == {
        "loc": ["body", "name"],
        "msg": "field required",
        "type": "value_error.missing",
    }
    assert by_loc[("body", "model_family")]["type"] == "type_error.enum"
    assert by_loc[("body", "stauts")]["type"] == "value_error.extra"
    # a body that is not JSON at all
    r = client.post(
        f"{API}/recipes", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "value_error.jsondecode"
    # a manifest the operations layer refuses: still 422, same shape
    r = client.post(
        f"{API}/recipes", json={"name": "X", "model_family": "pricing", "level": "baseline"}
    )
    assert r.status_code == 422
    assert_seed_422(r.json(), ["body", "manifest"])
    assert commits(reg) == before


def test_create_child_of_missing_parent_is_404(client: TestClient) -> None:
    r = client.post(
        f"{API}/recipes",
        json={
            "name": "Child",
            "model_family": "pricing",
            "level": "client",
            "parent_id": "recipe_nope",
        },
    )
    assert (r.status_code, r.json()) == (404, {"detail": "Recipe not found"})


def test_update_recipe(client: TestClient, base_recipe: str) -> None:
    r = client.put(f"{API}/recipes/{base_recipe}", json={"status": "approved", "tags": ["a", "b"]})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["tags"]) == ("approved", ["a", "b"])
    assert (
        client.put(f"{API}/recipes/recipe_missing", json={"status": "approved"}).status_code == 404
    )
    r = client.put(f"{API}/recipes/{base_recipe}", json={"status": "live"})
    assert r.status_code == 422
    assert_seed_422(r.json(), ["body", "status"])


def test_illegal_recipe_transition_is_409(client: TestClient, base_recipe: str) -> None:
    assert (
        client.put(f"{API}/recipes/{base_recipe}", json={"status": "archived"}).status_code == 200
    )
    r = client.put(f"{API}/recipes/{base_recipe}", json={"status": "approved"})
    assert r.status_code == 409
    assert "archived" in r.json()["detail"]


def test_delete_recipe(client: TestClient, reg: Registry) -> None:
    created = recipes.create_recipe(
        reg,
        {
            "name": "Temp",
            "model_family": "pricing",
            "level": "baseline",
            "manifest": manifest("pricing"),
        },
    )
    r = client.delete(f"{API}/recipes/{created.id}")
    assert (r.status_code, r.json()) == (200, {"deleted": True, "id": created.id})
    assert client.get(f"{API}/recipes/{created.id}").status_code == 404
    assert client.delete(f"{API}/recipes/{created.id}").status_code == 404


def test_delete_used_recipe_is_409(client: TestClient, world: dict[str, str]) -> None:
    r = client.delete(f"{API}/recipes/{world['recipe']}")
    assert r.status_code == 409
    assert world["model"] in r.json()["detail"]
    assert "archive" in r.json()["action"]
    assert client.get(f"{API}/recipes/{world['recipe']}").status_code == 200


def test_clone_recipe(client: TestClient, base_recipe: str) -> None:
    r = client.post(f"{API}/recipes/{base_recipe}/clone", params={"name": "Retail Pricing v1"})
    assert r.status_code == 201, r.text
    clone = r.json()
    assert clone["parent_id"] == base_recipe and clone["status"] == "draft"
    source = client.get(f"{API}/recipes/{base_recipe}/manifest").json()["manifest"]
    assert client.get(f"{API}/recipes/{clone['id']}/manifest").json()["manifest"] == source
    r = client.post(f"{API}/recipes/{base_recipe}/clone")
    assert r.status_code == 422
    assert_seed_422(r.json(), ["query", "name"])
    assert (
        client.post(f"{API}/recipes/recipe_missing/clone", params={"name": "X"}).status_code == 404
    )
    r = client.post(f"{API}/recipes/{base_recipe}/clone", params={"name": "Y", "level": "planet"})
    assert r.status_code == 400 and r.json()["detail"].startswith("Invalid level value")


def test_resolved_manifest_not_found(client: TestClient) -> None:
    assert client.get(f"{API}/recipes/recipe_missing/manifest").json() == {
        "detail": "Recipe not found"
    }


# -- versions ------------------------------------------------------------------------------


def test_versions(client: TestClient, reg: Registry, base_recipe: str) -> None:
    new = manifest("pricing")
    new["model"]["hyperparameters"]["learning_rate"] = 0.1
    before = commits(reg)
    r = client.post(
        f"{API}/recipes/{base_recipe}/versions",
        json={
            "recipe_id": base_recipe,
            "manifest_json": new,
            "change_note": "Faster learning",
            "created_by": "Ada <ada@example.com>",
        },
    )
    assert r.status_code == 201, r.text
    version = r.json()
    assert version["version_number"] == "1.0.1" and version["created_by"] == "Ada"
    assert commits(reg) == before + 1
    assert git(reg.worktree, "log", "-1", "--format=%an|%s") == "Ada|Faster learning"

    listed = client.get(f"{API}/recipes/{base_recipe}/versions").json()
    assert listed["total"] == 2
    assert [v["version_number"] for v in listed["versions"]] == ["1.0.0", "1.0.1"]
    one = client.get(f"{API}/recipes/{base_recipe}/versions/{version['version_id']}")
    assert one.status_code == 200 and one.json()["manifest_json"] == new
    assert client.get(f"{API}/recipes/{base_recipe}/versions/9.9.9").status_code == 404
    assert client.get(f"{API}/recipes/recipe_missing/versions").json() == {
        "detail": "Recipe not found"
    }


def test_create_version_errors(client: TestClient, reg: Registry, base_recipe: str) -> None:
    before = commits(reg)
    url = f"{API}/recipes/{base_recipe}/versions"
    r = client.post(
        url, json={"recipe_id": "recipe_other", "manifest_json": manifest(), "change_note": "x"}
    )
    assert r.status_code == 422
    assert_seed_422(r.json(), ["body", "recipe_id"])
    r = client.post(url, json={"manifest_json": manifest()})
    assert_seed_422(r.json(), ["body", "change_note"])
    r = client.post(url, json={"manifest_json": manifest(), "change_note": "same"})
    assert r.status_code == 409  # nothing changed: nothing to version
    r = client.post(
        f"{API}/recipes/recipe_missing/versions",
        json={"manifest_json": manifest(), "change_note": "x"},
    )
    assert r.status_code == 404
    assert commits(reg) == before


# -- models --------------------------------------------------------------------------------


def test_models(client: TestClient, world: dict[str, str], base_recipe: str) -> None:
    r = client.get(f"{API}/models", params={"model_family": "pricing", "status": "draft"})
    assert r.status_code == 200 and r.json()["total"] == 1
    assert client.get(f"{API}/models", params={"status": "live"}).status_code == 400
    assert (
        client.get(f"{API}/models", params={"model_family": "retail"})
        .json()["detail"]
        .startswith("Invalid model_family value")
    )
    assert client.get(f"{API}/models/{world['model']}").json()["owner"] == "team"
    assert client.get(f"{API}/models/model_missing").json() == {"detail": "Model not found"}

    r = client.post(
        f"{API}/models",
        json={
            "name": "Second",
            "recipe_id": base_recipe,
            "recipe_version_id": world["version"],
            "owner": "ops",
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "draft"
    r = client.post(
        f"{API}/models", json={"name": "Third", "recipe_id": base_recipe, "owner": "ops"}
    )
    assert_seed_422(r.json(), ["body", "recipe_version_id"])
    r = client.post(
        f"{API}/models",
        json={
            "name": "Fourth",
            "recipe_id": "recipe_missing",
            "recipe_version_id": "v1.0.0",
            "owner": "ops",
        },
    )
    assert r.status_code == 404


def test_update_model(client: TestClient, world: dict[str, str]) -> None:
    url = f"{API}/models/{world['model']}"
    assert client.put(url, json={"status": "staging", "owner": "ml"}).json()["status"] == "staging"
    # the recipe is a draft: production is refused until it is approved
    r = client.put(url, json={"status": "production"})
    assert r.status_code == 409 and "approve" in r.json()["action"]
    assert client.put(url, json={"status": "retired"}).status_code == 200
    assert client.put(url, json={"status": "draft"}).status_code == 409
    assert client.put(url, json={"status": "gone"}).status_code == 422
    assert client.put(f"{API}/models/model_missing", json={"owner": "x"}).status_code == 404


# -- runs ----------------------------------------------------------------------------------


def test_runs(client: TestClient, world: dict[str, str]) -> None:
    r = client.get(f"{API}/runs", params={"model_id": world["model"], "status": "queued"})
    assert r.status_code == 200 and [x["id"] for x in r.json()["runs"]] == [world["run"]]
    assert client.get(f"{API}/runs", params={"status": "done"}).status_code == 400
    assert client.get(f"{API}/runs", params={"model_id": "model_other"}).json() == {
        "runs": [],
        "total": 0,
    }
    assert client.get(f"{API}/runs/{world['run']}").json()["logs_text"] == ""
    assert client.get(f"{API}/runs/run_missing").json() == {"detail": "Run not found"}

    r = client.post(
        f"{API}/runs",
        json={
            "recipe_id": world["recipe"],
            "recipe_version_id": world["version"],
            "run_type": "backtest",
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "queued"
    r = client.post(
        f"{API}/runs",
        json={
            "recipe_id": world["recipe"],
            "recipe_version_id": world["version"],
            "run_type": "fit",
        },
    )
    assert_seed_422(r.json(), ["body", "run_type"])


def test_update_run(client: TestClient, world: dict[str, str]) -> None:
    url = f"{API}/runs/{world['run']}"
    r = client.put(
        url,
        json={
            "status": "succeeded",
            "metrics_json": {"revenue_lift": 0.045},
            "logs_text": "done\n",
        },
    )
    assert r.status_code == 200
    run = r.json()
    assert run["started_at"] and run["finished_at"] and run["logs_text"] == "done\n"
    assert client.put(url, json={"status": "running"}).status_code == 409
    r = client.put(url, json={"metrics_json": {"x": "high"}})
    assert r.status_code == 422
    assert client.put(f"{API}/runs/run_missing", json={"status": "running"}).status_code == 404


# -- monitoring ----------------------------------------------------------------------------


def test_monitoring(client: TestClient, world: dict[str, str]) -> None:
    url = f"{API}/models/{world['model']}/monitoring"
    for when in ("2024-01-15T12:00:00Z", "2024-01-16T12:00:00Z"):
        r = client.post(
            url,
            json={
                "model_id": world["model"],
                "performance_metrics_json": {"MAPE": 0.15},
                "drift_metrics_json": {"PSI": 0.08},
                "captured_at": when,
            },
        )
        assert r.status_code == 201, r.text
    listed = client.get(url, params={"limit": 1}).json()
    assert listed["total"] == 2
    assert [s["captured_at"] for s in listed["snapshots"]] == ["2024-01-16T12:00:00Z"]
    assert client.get(url, params={"limit": 501}).status_code == 422
    assert client.get(f"{API}/models/model_missing/monitoring").json() == {
        "detail": "Model not found"
    }
    r = client.post(url, json={"model_id": "model_other"})
    assert r.status_code == 422
    assert_seed_422(r.json(), ["body", "model_id"])
    assert client.post(f"{API}/models/model_missing/monitoring", json={}).status_code == 404


# -- synthetic examples --------------------------------------------------------------------


def test_synthetic_example(client: TestClient, base_recipe: str) -> None:
    url = f"{API}/recipes/{base_recipe}/synthetic-example"
    assert client.get(url).json() == {"detail": "Synthetic example not found"}
    body = {
        "recipe_id": base_recipe,
        "dataset_schema_json": {"columns": {"price": "float"}},
        "sample_rows_json": [{"price": 9.99}],
        "example_run_json": {"metrics": {"MAPE": 0.1}},
    }
    r = client.post(url, json=body)
    assert r.status_code == 201, r.text
    assert client.get(url).json()["sample_rows_json"] == [{"price": 9.99}]
    r = client.post(url, json={**body, "recipe_id": "recipe_other"})
    assert_seed_422(r.json(), ["body", "recipe_id"])
    r = client.post(url, json={**body, "sample_rows_json": [{"cost": 1}]})
    assert_seed_422(r.json(), ["body", "sample_rows_json", 0])
    assert client.get(f"{API}/recipes/recipe_missing/synthetic-example").json() == {
        "detail": "Recipe not found"
    }


# -- chat, docs, catalog -------------------------------------------------------------------


def test_chat(client: TestClient, world: dict[str, str]) -> None:
    r = client.post(f"{API}/chat", json={"message": "Which pricing recipes are there?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reply"] and body["response"] == body["reply"]
    assert isinstance(body["references"], list) and isinstance(body["context"], dict)
    follow = client.post(
        f"{API}/chat", json={"message": "tell me more", "context": body["context"]}
    )
    assert follow.status_code == 200
    r = client.post(f"{API}/chat", json={"message": "hi", "recipe_id": "recipe_missing"})
    assert (r.status_code, r.json()) == (404, {"detail": "Recipe not found"})
    r = client.post(f"{API}/chat", json={"message": ""})
    assert_seed_422(r.json(), ["body", "message"])


def test_openapi_matches_the_seed(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    expected = {
        "/recipes": {"get", "post"},
        "/recipes/{recipe_id}": {"get", "put", "delete"},
        "/recipes/{recipe_id}/clone": {"post"},
        "/recipes/{recipe_id}/versions": {"get", "post"},
        "/recipes/{recipe_id}/versions/{version_id}": {"get"},
        "/models": {"get", "post"},
        "/models/{model_id}": {"get", "put"},
        "/runs": {"get", "post"},
        "/runs/{run_id}": {"get", "put"},
        "/models/{model_id}/monitoring": {"get", "post"},
        "/recipes/{recipe_id}/synthetic-example": {"get", "post"},
        "/chat": {"post"},
    }
    paths = doc["paths"]
    for path, methods in expected.items():
        assert methods <= set(paths[API + path]), path
    params = {p["name"]: p for p in paths[f"{API}/recipes"]["get"]["parameters"]}
    # the seed's parameters, and the extra as_of (docs/promotion.md)
    assert set(params) == {"model_family", "level", "status", "limit", "offset", "as_of"}
    assert params["model_family"]["schema"]["enum"] == [
        "pricing",
        "next_best_action",
        "location_scoring",
        "forecasting",
    ]
    assert (
        params["limit"]["schema"]["maximum"] == 500 and params["limit"]["schema"]["default"] == 100
    )
    runs_params = {p["name"] for p in paths[f"{API}/runs"]["get"]["parameters"]}
    assert {"model_id", "recipe_id", "status", "limit", "offset"} <= runs_params
    clone = {
        p["name"]: p for p in paths[f"{API}/recipes/{{recipe_id}}/clone"]["post"]["parameters"]
    }
    assert clone["name"]["required"] is True
    create = paths[f"{API}/runs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    run_create = doc["components"]["schemas"][create["$ref"].rsplit("/", 1)[1]]
    assert {"recipe_id", "recipe_version_id", "run_type", "model_id"} <= set(
        run_create["properties"]
    )
    assert set(run_create["required"]) == {"recipe_id", "recipe_version_id", "run_type"}
    assert client.get("/docs").status_code == 200


def test_catalog_placeholder_until_the_site_exists(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "modelyard.site", None)
    monkeypatch.setitem(sys.modules, "modelyard.site.build", None)
    r = client.get("/model-development/")
    assert r.status_code == 200 and "not part of this build" in r.text
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/model-development/"


def test_a_trailing_slash_still_finds_the_route(client: TestClient, base_recipe: str) -> None:
    r = client.get(f"{API}/recipes/?model_family=pricing", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"].endswith(f"{API}/recipes?model_family=pricing")
    assert client.get(f"{API}/recipes/").json()["total"] == 1
    assert client.get(f"{API}/nothing/here").json() == {"detail": "Not Found"}


# -- failures that are not the client's ------------------------------------------------------


def test_a_broken_registry_file_is_a_500_naming_it(
    client: TestClient, reg: Registry, base_recipe: str
) -> None:
    path = reg.path(f"recipes/{base_recipe}/recipe.yaml")
    path.write_text(path.read_text().replace("level: baseline", "level: galaxy"))
    git(reg.worktree, "commit", "-qam", "a broken file, committed")  # the server reads HEAD
    r = client.get(f"{API}/recipes/{base_recipe}")
    assert r.status_code == 500
    assert r.json()["detail"].startswith(f"registry/recipes/{base_recipe}/recipe.yaml:")
    assert "level" in r.json()["detail"]


def test_an_unexpected_error_is_a_500_that_says_so(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(recipes, "list_recipes", boom)
    with TestClient(create_app(reg), raise_server_exceptions=False) as c:
        r = c.get(f"{API}/recipes")
    assert r.status_code == 500
    assert r.json()["detail"] == (
        "Internal server error: ZeroDivisionError. "
        "This is a bug in modelyard; the server log has the traceback."
    )
