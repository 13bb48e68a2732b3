"""The catalog at /model-development/: built on first request, rebuilt when the registry
changes (a write through the server, an uncommitted edit), never for nothing, and never a
file from outside its folder. The builder here stands in for `modelyard.site.build`, whose
interface it follows: `build_site(reg, out, *, base_url, incremental)`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import git, manifest
from modelyard.errors import FileProblem, RegistryFileError
from modelyard.ops import recipes
from modelyard.server import catalog
from modelyard.server.app import create_app
from modelyard.server.settings import ServerSettings
from modelyard.storage.registry import Registry
from server_support import API

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Builder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail: str | None = None

    def __call__(
        self, reg: Registry, out: Path, *, base_url: str = "", incremental: bool = True
    ) -> None:
        self.calls.append({"out": out, "base_url": base_url, "incremental": incremental})
        if self.fail:
            raise RegistryFileError(
                [FileProblem("registry/recipes/x/recipe.yaml", self.fail, 3, 1)]
            )
        ids = [r.id for r in recipes.list_recipes(reg).recipes]
        pages = out / "model-development"
        (pages / "recipes").mkdir(parents=True, exist_ok=True)
        (pages / "index.html").write_text("<h1>recipes: " + " ".join(ids) + "</h1>")
        for rid in ids:
            (pages / "recipes" / f"{rid}.html").write_text(rid)
        mirrors = out / "api" / "ml-development"
        mirrors.mkdir(parents=True, exist_ok=True)
        (mirrors / "index.json").write_text(f'{{"recipes": {len(ids)}}}')


@pytest.fixture
def builder(monkeypatch: pytest.MonkeyPatch) -> Builder:
    fake = Builder()
    monkeypatch.setattr(catalog, "_site_builder", lambda: fake)
    return fake


@pytest.fixture
def client(reg: Registry, builder: Builder, tmp_path: Path) -> Iterator[TestClient]:
    settings = ServerSettings(site_dir=tmp_path / "site")
    with TestClient(create_app(reg, settings)) as c:
        yield c


def test_built_once_then_rebuilt_after_a_write(
    client: TestClient, builder: Builder, base_recipe: str, tmp_path: Path
) -> None:
    r = client.get("/model-development/")
    assert r.status_code == 200 and r.text == f"<h1>recipes: {base_recipe}</h1>"
    assert builder.calls == [{"out": tmp_path / "site", "base_url": "", "incremental": True}]
    assert client.get(f"/model-development/recipes/{base_recipe}").text == base_recipe
    assert len(builder.calls) == 1
    created = client.post(
        f"{API}/recipes",
        json={
            "name": "Demand",
            "model_family": "forecasting",
            "level": "baseline",
            "manifest": manifest("forecasting"),
        },
    )
    assert created.status_code == 201
    new_id = created.json()["id"]
    assert new_id in client.get("/model-development/").text
    assert len(builder.calls) == 2
    assert client.get(f"/model-development/recipes/{new_id}.html").text == new_id


def test_rebuilt_after_an_edit_outside_the_server(
    client: TestClient,
    builder: Builder,
    reg: Registry,
    base_recipe: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(catalog, "CHECK_INTERVAL", 0.0)
    client.get("/model-development/")
    client.get("/model-development/")
    assert len(builder.calls) == 1  # nothing changed: nothing rebuilt
    recipes.create_recipe(
        reg,
        {
            "name": "Offers",
            "model_family": "next_best_action",
            "level": "baseline",
            "manifest": manifest("next_best_action"),
        },
    )
    assert "recipe_offers" in client.get("/model-development/").text
    assert len(builder.calls) == 2
    path = reg.path(f"recipes/{base_recipe}/recipe.yaml")
    path.write_text(
        path.read_text().replace("name: Pricing Baseline", "name: Pricing Baseline (edited)")
    )
    client.get("/model-development/")
    assert len(builder.calls) == 2  # the committed state is what it serves: not committed yet
    git(reg.worktree, "commit", "-qam", "a hand edit, committed with plain git")
    client.get("/model-development/")
    assert len(builder.calls) == 3


def test_with_worktree_an_uncommitted_edit_is_rebuilt_too(
    reg: Registry,
    builder: Builder,
    base_recipe: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(catalog, "CHECK_INTERVAL", 0.0)
    settings = ServerSettings(site_dir=tmp_path / "site", worktree=True)
    with TestClient(create_app(reg, settings)) as client:
        client.get("/model-development/")
        path = reg.path(f"recipes/{base_recipe}/recipe.yaml")
        path.write_text(path.read_text().replace("name: Pricing Baseline", "name: Edited"))
        client.get("/model-development/")
        assert len(builder.calls) == 2
        assert client.get(f"/api/ml-development/recipes/{base_recipe}").json()["name"] == "Edited"


def test_pages_and_mirrors_stay_inside_their_folders(
    client: TestClient, base_recipe: str, tmp_path: Path
) -> None:
    client.get("/model-development/")
    (tmp_path / "site" / "secret.txt").write_text("outside the pages")
    assert client.get("/model-development/nope.html").status_code == 404
    assert client.get("/model-development/%2e%2e/secret.txt").status_code == 404
    assert client.get("/model-development/..%2fsecret.txt").status_code == 404
    assert client.get("/model-development/%2e%2e/%2e%2e/%2e%2e/etc/passwd").status_code == 404
    assert client.get(f"{API}/index.json").json() == {"recipes": 1}
    assert client.get(f"{API}/%2e%2e/%2e%2e/etc/passwd").status_code == 404
    # the API itself wins over a mirror
    assert client.get(f"{API}/recipes").json()["total"] == 1


def test_a_failed_build_is_reported_not_retried_for_nothing(
    client: TestClient, builder: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog, "CHECK_INTERVAL", 0.0)
    builder.fail = "name: field required"
    r = client.get("/model-development/")
    assert r.status_code == 500
    assert "registry/recipes/x/recipe.yaml:3:1: name: field required" in r.text
    client.get("/model-development/")
    assert len(builder.calls) == 1
