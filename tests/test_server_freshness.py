"""A running `modelyard serve` sees every commit, whoever made it, by the next request and
without a restart: one made by the CLI in another process, one made with plain git, and
one fetched from another clone through a real bare remote. By default it serves the
committed state, so an uncommitted hand edit in its clone is not served; `--worktree`
serves it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import git, manifest
from modelyard.ops import recipes
from modelyard.storage.registry import Registry
from server_support import API, SRC, running_server


def _cli(cwd: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "modelyard", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=True,
        capture_output=True,
        timeout=120,
    )


def _names(server, recipe_id: str) -> str:  # type: ignore[no-untyped-def]
    status, body = server.request("GET", f"{API}/recipes/{recipe_id}")
    assert status == 200, body
    return str(body["name"])


def test_commits_from_anywhere_are_seen_by_the_next_request(reg, base_recipe, tmp_path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(reg.worktree), str(remote))
    served = tmp_path / "served"
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(served))
    git(tmp_path, "clone", "-q", str(remote), str(other))
    with running_server(served / "registry", log_dir=tmp_path) as server:
        assert _names(server, base_recipe) == "Pricing Baseline"
        # the CLI, in another process, in the server's clone
        _cli(served, "recipes", "update", base_recipe, "--name", "Renamed by the CLI")
        assert _names(server, base_recipe) == "Renamed by the CLI"
        # plain git in the server's clone
        path = served / "registry" / "recipes" / base_recipe / "recipe.yaml"
        path.write_text(path.read_text().replace("Renamed by the CLI", "Renamed with git"))
        assert _names(server, base_recipe) == "Renamed by the CLI"  # not committed: not served
        git(served, "commit", "-qam", "rename with plain git")
        assert _names(server, base_recipe) == "Renamed with git"
        # another clone pushes a new recipe; the server's clone pulls it
        git(served, "push", "-q", "origin", "HEAD:main")
        git(other, "pull", "-q", "--ff-only", "origin", "main")
        recipes.create_recipe(
            Registry(other / "registry"),
            {
                "name": "Offers",
                "model_family": "next_best_action",
                "level": "baseline",
                "manifest": manifest("next_best_action"),
            },
        )
        git(other, "push", "-q", "origin", "HEAD:main")
        git(served, "pull", "-q", "--ff-only", "origin", "main")
        status, body = server.request("GET", f"{API}/recipes")
        assert status == 200
        assert "recipe_offers" in [r["id"] for r in body["recipes"]]
        status, body = server.request("GET", f"{API}/recipes/recipe_offers")
        assert status == 200 and body["name"] == "Offers"


def test_worktree_mode_serves_uncommitted_edits(reg, base_recipe, tmp_path) -> None:
    with running_server(reg.root, "--worktree", log_dir=tmp_path) as server:
        assert _names(server, base_recipe) == "Pricing Baseline"
        path = reg.path(f"recipes/{base_recipe}/recipe.yaml")
        path.write_text(path.read_text().replace("name: Pricing Baseline", "name: Draft name"))
        assert _names(server, base_recipe) == "Draft name"
        status, body = server.request("GET", f"{API}/recipes")
        assert status == 200 and [r["name"] for r in body["recipes"]] == ["Draft name"]


def test_answers_name_their_commit_and_are_kept_only_for_it(reg, base_recipe) -> None:
    from fastapi.testclient import TestClient

    from modelyard.server.app import create_app

    with TestClient(create_app(reg)) as client:
        first = client.get(f"{API}/recipes/{base_recipe}")
        again = client.get(f"{API}/recipes/{base_recipe}")
        head = git(reg.worktree, "rev-parse", "HEAD")
        assert first.headers["x-modelyard-commit"] == again.headers["x-modelyard-commit"] == head
        assert first.content == again.content
        recipes.update_recipe(Registry(reg.root), base_recipe, {"name": "Changed elsewhere"})
        after = client.get(f"{API}/recipes/{base_recipe}")
        assert after.json()["name"] == "Changed elsewhere"
        assert after.headers["x-modelyard-commit"] == git(reg.worktree, "rev-parse", "HEAD") != head
        # a refusal is an answer of its commit too; a write never is
        assert client.get(f"{API}/recipes/recipe_nope").status_code == 404
        made = client.post(f"{API}/recipes/{base_recipe}/clone", params={"name": "Kept"})
        assert made.status_code == 201 and "x-modelyard-commit" not in made.headers
