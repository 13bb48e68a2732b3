"""Paths that fall through to the catalog's files (a NUL byte, a segment longer than a file
name may be, a walk out of the folder) are 404s, and no answer names the server's folders."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from modelyard.server.app import create_app
from modelyard.storage.registry import Registry

PATHS = [
    "/model-development/%00",
    "/api/ml-development/%00",
    "/model-development/" + "a" * 300,
    "/api/ml-development/" + "b" * 300 + "/x",
    "/model-development/recipes/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/api/ml-development/%2e%2e/%2e%2e/config",
]


@pytest.fixture
def client(reg: Registry, base_recipe: str, tmp_path) -> TestClient:  # type: ignore[no-untyped-def]
    with TestClient(create_app(reg), raise_server_exceptions=False) as c:
        assert c.get("/model-development/").status_code == 200  # the catalog is built
        yield c


@pytest.mark.parametrize("path", PATHS)
def test_a_path_no_file_can_have_is_a_404_naming_nothing(client, reg, path) -> None:
    r = client.get(path)
    assert r.status_code == 404, r.text
    assert str(reg.worktree) not in r.text and ".git" not in r.text


def test_an_unexpected_error_does_not_quote_the_exception(reg, monkeypatch) -> None:
    from modelyard.ops import recipes

    def boom(*args):  # type: ignore[no-untyped-def]
        raise OSError(36, "File name too long", str(reg.worktree / ".git" / "x"))

    monkeypatch.setattr(recipes, "list_recipes", boom)
    with TestClient(create_app(reg), raise_server_exceptions=False) as c:
        r = c.get("/api/ml-development/recipes")
    assert r.status_code == 500
    assert str(reg.worktree) not in r.text
    assert r.json()["detail"].startswith("Internal server error: OSError.")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/api/ml-development/recipes/recipe_pricing_base", "DELETE, GET, HEAD, PUT"),
        ("POST", "/api/ml-development/recipes/recipe_pricing_base", "DELETE, GET, HEAD, PUT"),
        ("DELETE", "/api/ml-development/runs", "GET, HEAD, POST"),
        ("GET", "/api/ml-development/chat", "POST"),
        ("PUT", "/api/ml-development/models", "GET, HEAD, POST"),
    ],
)
def test_a_405_names_every_method_the_path_answers(client, method, path, allow) -> None:
    r = client.request(method, path)
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == allow
    assert r.json() == {"detail": "Method Not Allowed"}


def test_a_method_on_a_path_no_api_route_has_is_a_404(client) -> None:
    r = client.delete("/api/ml-development/nothing/here")
    assert r.status_code == 404, r.text
    assert "allow" not in r.headers


def test_a_not_found_answer_stays_a_404_when_the_method_is_allowed(client) -> None:
    r = client.get("/api/ml-development/recipes/recipe_nope")
    assert (r.status_code, r.json()) == (404, {"detail": "Recipe not found"})


@pytest.mark.parametrize("name", ["%20%20", "a%E2%80%AEb"])
def test_a_clone_named_blank_or_hidden_is_a_422_on_the_query(client, reg, name) -> None:
    before = reg.git.current_head()
    r = client.post(f"/api/ml-development/recipes/recipe_pricing_base/clone?name={name}")
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["query", "name"]]
    assert reg.git.current_head() == before
