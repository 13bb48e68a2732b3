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
