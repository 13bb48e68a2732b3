"""Write tokens, refusing to listen on the network without them, CORS and the body cap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import git
from modelyard.errors import InvalidValue
from modelyard.server.app import create_app
from modelyard.server.settings import ServerSettings, check_exposure, is_loopback, load_tokens
from modelyard.storage.registry import Registry
from server_support import API

TOKEN = "s3cret-token-for-tests-0123456789"


@pytest.fixture
def guarded(reg: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(reg, ServerSettings(tokens=frozenset({TOKEN})))) as c:
        yield c


def test_reads_are_open_writes_need_a_token(
    guarded: TestClient, reg: Registry, base_recipe: str
) -> None:
    before = git(reg.worktree, "rev-parse", "HEAD")
    assert guarded.get(f"{API}/recipes/{base_recipe}").status_code == 200
    url = f"{API}/recipes/{base_recipe}"
    r = guarded.put(url, json={"status": "approved"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = guarded.put(
        url, json={"status": "approved"}, headers={"Authorization": "Bearer wrong-token-000000000"}
    )
    assert (r.status_code, r.json()) == (401, {"detail": "Invalid token"})
    r = guarded.put(url, json={"status": "approved"}, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    assert git(reg.worktree, "rev-parse", "HEAD") == before
    r = guarded.put(url, json={"status": "approved"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert git(reg.worktree, "rev-parse", "HEAD") != before


def test_every_write_is_guarded_in_the_openapi_document(guarded: TestClient) -> None:
    doc = guarded.get("/openapi.json").json()
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            secured = bool(op.get("security"))
            is_write = method in {"post", "put", "delete"} and not path.endswith("/chat")
            assert secured == is_write, (method, path)


def test_without_tokens_nothing_is_guarded(client_open: TestClient) -> None:
    doc = client_open.get("/openapi.json").json()
    assert all(not op.get("security") for item in doc["paths"].values() for op in item.values())


@pytest.fixture
def client_open(reg: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(reg)) as c:
        yield c


def test_tokens_from_env_and_file(
    tmp_path: Path, reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELYARD_TOKENS", "aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb")
    outside = tmp_path / "tokens.txt"
    outside.write_text("# writers\ncccccccccccccccccccc\n")
    assert load_tokens(outside, reg.worktree) == {
        "aaaaaaaaaaaaaaaaaaaa",
        "bbbbbbbbbbbbbbbbbbbb",
        "cccccccccccccccccccc",
    }
    inside = reg.worktree / "tokens.txt"
    inside.write_text("cccccccccccccccccccc\n")
    with pytest.raises(InvalidValue, match="inside the registry's repository"):
        load_tokens(inside, reg.worktree)
    monkeypatch.setenv("MODELYARD_TOKENS", "short")
    with pytest.raises(InvalidValue, match="at least 16 characters"):
        load_tokens(None, reg.worktree)


def test_network_address_needs_tokens_or_insecure() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    check_exposure("127.0.0.1", ServerSettings(), insecure=False)
    with pytest.raises(InvalidValue, match="--insecure"):
        check_exposure("0.0.0.0", ServerSettings(), insecure=False)
    check_exposure("0.0.0.0", ServerSettings(), insecure=True)
    check_exposure("0.0.0.0", ServerSettings(tokens=frozenset({TOKEN})), insecure=False)


def test_serve_refuses_a_network_address_without_tokens(reg: Registry) -> None:
    import subprocess
    import sys

    from server_support import serve_env

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelyard",
            "--registry",
            str(reg.root),
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "1",
        ],
        capture_output=True,
        text=True,
        env=serve_env(),
        timeout=60,
    )
    assert proc.returncode == 1
    assert "refusing to listen on 0.0.0.0 without write tokens" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cors_is_off_unless_configured(reg: Registry) -> None:
    headers = {"Origin": "https://app.example.com"}
    with TestClient(create_app(reg)) as c:
        r = c.get(f"{API}/recipes", headers=headers)
        assert "access-control-allow-origin" not in r.headers
    settings = ServerSettings(cors_origins=("https://app.example.com",))
    with TestClient(create_app(reg, settings)) as c:
        r = c.get(f"{API}/recipes", headers=headers)
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"
        r = c.get(f"{API}/recipes", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in r.headers
        r = c.options(
            f"{API}/runs",
            headers={
                **headers,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert r.status_code == 200
        assert "POST" in r.headers["access-control-allow-methods"]


def test_body_size_cap(reg: Registry, base_recipe: str) -> None:
    settings = ServerSettings(max_body_bytes=2048)
    with TestClient(create_app(reg, settings)) as c:
        big = {"recipe_id": base_recipe, "sample_rows_json": [{"x": "y" * 100}] * 40}
        r = c.post(f"{API}/recipes/{base_recipe}/synthetic-example", json=big)
        assert r.status_code == 413
        assert "2048 bytes" in r.json()["detail"]

        # streamed without a Content-Length: counted as it arrives
        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(10):
                yield b" " * 1000

        r = c.post(
            f"{API}/recipes/{base_recipe}/synthetic-example",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 413
        small = {"recipe_id": base_recipe, "sample_rows_json": [{"x": 1}]}
        assert (
            c.post(f"{API}/recipes/{base_recipe}/synthetic-example", json=small).status_code == 201
        )


def test_serve_needs_a_registry_in_git(tmp_path: Path) -> None:
    import subprocess
    import sys

    from server_support import serve_env

    folder = tmp_path / "plain" / "registry"
    folder.mkdir(parents=True)
    (folder / "modelyard.yaml").write_text("modelyard: 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "modelyard", "--registry", str(folder), "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env=serve_env(),
        timeout=60,
    )
    assert proc.returncode == 1
    assert "is not inside a git repository" in proc.stderr and "Traceback" not in proc.stderr
