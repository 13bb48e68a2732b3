"""Values at the edges of what the API accepts are stored so that they read back, or refused
as 422s, never a 500: a year before 1000 keeps four digits, a time with no UTC equivalent is
refused, an author git refuses is stored and the commit authored safely, and a boolean is
not a metric."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from modelyard.ops import models
from modelyard.server.app import create_app
from modelyard.storage.registry import Registry
from test_validate_cli import cli

API = "/api/ml-development"


@pytest.fixture
def model_id(reg: Registry, base_recipe: str) -> str:
    body = {"name": "M", "recipe_id": base_recipe, "recipe_version_id": "1.0.0", "owner": "ana"}
    return models.register_model(reg, body).id


@pytest.mark.parametrize("when", ["0791-09-29T00:39:29Z", "0001-01-01T00:00:00Z"])
def test_an_early_year_is_written_so_that_it_reads_back(reg, model_id, when) -> None:
    with TestClient(create_app(reg)) as client:
        made = client.post(f"{API}/models/{model_id}/monitoring", json={"captured_at": when})
        assert made.status_code == 201, made.text
        assert made.json()["captured_at"] == when
        listed = client.get(f"{API}/models/{model_id}/monitoring")
        assert listed.status_code == 200
        assert [s["captured_at"] for s in listed.json()["snapshots"]] == [when]
        answer = client.post(
            f"{API}/chat", json={"message": "which production models have drift alerts?"}
        )
        assert answer.status_code == 200
    snap = next((reg.root / "models" / model_id / "monitoring").iterdir())
    assert f"captured_at: '{when}'" in snap.read_text()
    done = cli(reg.worktree, "validate")
    assert done.returncode == 0, done.stdout


def test_a_time_before_the_first_utc_instant_is_a_422(reg, model_id) -> None:
    with TestClient(create_app(reg)) as client:
        r = client.post(
            f"{API}/models/{model_id}/monitoring", json={"captured_at": "0001-01-01T00:00:00+01:00"}
        )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "captured_at"]
    assert "out of range" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize("who", [".", ",", "'", "<", "\u0004", "Ada <ada@x>\u0004"])
def test_an_author_git_refuses_is_stored_and_the_commit_authored_safely(reg, base_recipe, who):
    from conftest import git

    with TestClient(create_app(reg), raise_server_exceptions=False) as client:
        body = {"name": "M", "recipe_id": base_recipe, "recipe_version_id": "1.0.0", "owner": who}
        made = client.post(f"{API}/models", json=body)
        assert made.status_code == 201, made.text
        assert made.json()["owner"] == who
        author = git(reg.worktree, "log", "-1", "--format=%an")
        assert author in ("Test User", "Ada")  # git's own user, or what is left of the name
        version = client.post(
            f"{API}/recipes/{base_recipe}/versions",
            json={"change_note": "Tune", "created_by": who, "manifest_json": _tuned()},
        )
        assert version.status_code == 201, version.text


def _tuned() -> dict:  # type: ignore[type-arg]
    from conftest import manifest

    changed = manifest("pricing")
    changed["model"]["hyperparameters"]["learning_rate"] = 0.01
    return changed


def test_a_boolean_is_not_a_metric(reg, base_recipe) -> None:
    with TestClient(create_app(reg)) as client:
        body = {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
        run = client.post(f"{API}/runs", json=body).json()["id"]
        r = client.put(f"{API}/runs/{run}", json={"metrics_json": {"MAPE": True}})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "metrics_json"]
    assert "metric 'MAPE' is true, not a number" in r.json()["detail"][0]["msg"]


NEW_RECIPE = {"model_family": "pricing", "level": "baseline", "created_by": "t"}


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("   ", "only spaces"),
        ("\t\n", "only spaces"),
        ("price\u202egnirts", "U+202E"),
        ("a\u2066b", "U+2066"),
        ("bell\x07", "U+0007"),
    ],
)
def test_a_blank_or_hidden_name_is_refused_on_every_way_in(reg, base_recipe, name, what) -> None:
    from modelyard.errors import ValidationFailed
    from modelyard.ops import recipes

    before = reg.git.current_head()
    with pytest.raises(ValidationFailed) as caught:
        recipes.create_recipe(reg, {**NEW_RECIPE, "name": name})
    assert [(e["loc"], what in e["msg"]) for e in caught.value.detail] == [(["body", "name"], True)]
    with pytest.raises(ValidationFailed) as caught:
        recipes.clone_recipe(reg, base_recipe, name)
    assert what in caught.value.detail[0]["msg"]
    assert reg.git.current_head() == before


def test_a_name_with_spaces_around_words_and_accents_is_kept_as_given(reg, base_recipe) -> None:
    from modelyard.ops import recipes

    made = recipes.clone_recipe(reg, base_recipe, " Prix été ")
    assert made.name == " Prix été "
    assert recipes.get_recipe(reg, made.id).name == " Prix été "
