"""A read of one record by id (`GET /runs/{id}`, `GET /models/{id}`) is answered in the
server's event loop when storage's derived index already holds HEAD, and in the thread pool
when it must first catch up with a commit. Either way the answer is the library's, for
HEAD as it is when the request arrives: a commit by another process or by plain git is
seen by the next request."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from conftest import git
from modelyard.ops import models, recipes, runs
from modelyard.server.access import RegistryAccess
from modelyard.storage.registry import Registry
from server_support import API, running_server
from validate_fixtures import cli


def _made(reg: Registry, recipe_id: str) -> tuple[str, str]:
    version = recipes.get_recipe(reg, recipe_id).version_id
    assert version is not None
    model = models.register_model(
        reg,
        {"name": "Prices", "recipe_id": recipe_id, "recipe_version_id": version, "owner": "team"},
    ).id
    run = runs.create_run(
        reg,
        {
            "recipe_id": recipe_id,
            "recipe_version_id": version,
            "model_id": model,
            "run_type": "eval",
        },
    ).id
    runs.update_run(reg, run, {"status": "running", "logs_text": "epoch 1\n"})
    return model, run


def _library(root: Path, what: str, record_id: str) -> dict[str, Any]:
    fresh = Registry(root, committed=True)
    found = runs.get_run(fresh, record_id) if what == "runs" else models.get_model(fresh, record_id)
    return found.model_dump(mode="json")


def test_answers_equal_the_library_and_follow_every_commit(reg, base_recipe, tmp_path) -> None:
    model, run = _made(reg, base_recipe)
    with running_server(reg.root, log_dir=tmp_path) as server:
        for what, record_id in (("runs", run), ("models", model)):
            for _ in range(2):  # the first may catch up in a thread, the second is in the loop
                status, body = server.request("GET", f"{API}/{what}/{record_id}")
                assert status == 200, body
                assert body == _library(reg.root, what, record_id)
        # another process commits: the next request sees it
        done = cli(reg.worktree, "runs", "update", run, "--status", "succeeded")
        assert done.returncode == 0, done.stderr
        status, body = server.request("GET", f"{API}/runs/{run}")
        assert status == 200 and body["status"] == "succeeded"
        assert body == _library(reg.root, "runs", run)
        # plain git: a hand edit is not served until it is committed
        path = reg.root / "models" / model / "model.yaml"
        path.write_text(path.read_text().replace("name: Prices", "name: Renamed"))
        assert server.request("GET", f"{API}/models/{model}")[1]["name"] == "Prices"
        git(reg.worktree, "commit", "-qam", "rename by hand")
        status, body = server.request("GET", f"{API}/models/{model}")
        assert status == 200 and body["name"] == "Renamed"
        assert body == _library(reg.root, "models", model)
        # gone from HEAD: the seed's 404, from the loop as from a thread
        git(reg.worktree, "rm", "-rq", f"registry/models/{model}")
        git(reg.worktree, "commit", "-qm", "remove the model")
        for _ in range(2):
            status, body = server.request("GET", f"{API}/models/{model}")
            assert (status, body["detail"]) == (404, "Model not found")


def _where(access: RegistryAccess, run: str) -> tuple[str, dict[str, Any]]:
    """Which thread answered a `read_one`, and what."""
    seen: list[str] = []

    def op(reg: Registry, run_id: str) -> dict[str, Any]:
        seen.append(threading.current_thread().name)
        return runs.get_run(reg, run_id).model_dump(mode="json")

    async def main() -> tuple[str, dict[str, Any]]:
        loop_thread = threading.current_thread().name
        answer = await access.read_one(op, run)
        return ("loop" if seen[-1] == loop_thread else "pool"), answer

    return anyio.run(main)


def test_in_the_loop_only_when_the_index_holds_head(reg, base_recipe) -> None:
    _, run = _made(reg, base_recipe)
    access = RegistryAccess(reg.root)
    first = _where(access, run)
    assert _where(access, run) == ("loop", first[1])
    # a commit the index has not seen: caught up in the pool, then in the loop again
    runs.update_run(Registry(reg.root), run, {"status": "failed"})
    git(reg.worktree, "commit", "--allow-empty", "-qm", "an empty commit by hand")
    where, answer = _where(access, run)
    assert (where, answer["status"]) == ("pool", "failed")
    assert _where(access, run) == ("loop", answer)
    # another thread using the index: the loop does not wait for it
    cache = access.open().blob_cache
    assert cache is not None
    with cache.lock:
        done: list[str | None] = []
        waiter = threading.Thread(target=lambda: done.append(cache.current()))
        waiter.start()
        waiter.join(5)
        assert done == [None]
    assert cache.current() is not None


def test_a_working_tree_server_never_reads_in_the_loop(reg, base_recipe) -> None:
    _, run = _made(reg, base_recipe)
    access = RegistryAccess(reg.root, worktree=True)
    assert _where(access, run)[0] == "pool"
    assert _where(access, run)[0] == "pool"


@pytest.mark.parametrize("inside", ["", "ml"])
def test_a_fork_is_the_registry_it_came_from(tmp_path, inside) -> None:
    from modelyard.ops import setup

    repo = tmp_path / "repo"
    (repo / inside).mkdir(parents=True)
    made = setup.init_registry(repo / inside) if inside else setup.init_registry(repo)
    for committed in (False, True):
        opened = Registry(made.root, committed=committed)
        fork = opened.fork()
        facts = ("root", "worktree", "prefix", "in_git", "committed")
        assert [getattr(fork, f) for f in facts] == [getattr(opened, f) for f in facts]
        assert fork.git is not opened.git and fork.git.git_dir == opened.git.git_dir
        assert fork.settings == opened.settings
        assert fork.ids_in("recipes") == opened.ids_in("recipes")


def test_a_fork_outside_git_asks_git_nothing(tmp_path) -> None:
    root = tmp_path / "plain" / "registry"
    (root / "recipes" / "recipe_pricing_base").mkdir(parents=True)
    fork = Registry(root).fork()
    assert not fork.in_git and fork.blob_cache is None
    assert fork.ids_in("recipes") == ["recipe_pricing_base"]
