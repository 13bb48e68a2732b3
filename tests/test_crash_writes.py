"""A mutation killed with SIGKILL at any point leaves nothing for a person to repair: the
registry is as before the mutation or as after it, the next command finds it so, and the next
mutation of the same record works without a manual step.

The kills are real: the CLI process (or a `modelyard serve`) is killed by SIGKILL at a named
point of the write (storage/failpoints.py), or after a random delay."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import git
from modelyard.ops import models, runs
from modelyard.storage.failpoints import ENV, POINTS
from modelyard.storage.registry import Registry

pytestmark = pytest.mark.slow

VERSION = "ver_pricing_base_v1.0.0"


@pytest.fixture
def setup(reg: Registry, base_recipe: str) -> dict[str, str]:
    model = models.register_model(
        reg, {"name": "Crash", "recipe_id": base_recipe, "recipe_version_id": VERSION, "owner": "t"}
    )
    run = runs.create_run(
        reg,
        {
            "recipe_id": base_recipe,
            "recipe_version_id": VERSION,
            "run_type": "train",
            "model_id": model.id,
        },
    )
    return {"model": model.id, "run": run.id, "recipe": base_recipe}


def mutations(ids: dict[str, str]) -> dict[str, list[str]]:
    """One of every kind of mutation, as CLI arguments."""
    recipe, model, run = ids["recipe"], ids["model"], ids["run"]
    return {
        "runs create": [
            "runs", "create", "--recipe-id", recipe, "--recipe-version-id", VERSION,
            "--run-type", "eval", "--model-id", model,
        ],
        "runs update": ["runs", "update", run, "--status", "running"],
        "versions create": [
            "versions", "create", recipe, "--set", "model.hyperparameters.num_leaves=63",
            "--change-note", "More leaves",
        ],
        "recipes update": ["recipes", "update", recipe, "--description", "Changed"],
        "recipes clone": ["recipes", "clone", recipe, "--name", "Crash clone"],
        "models register": [
            "models", "register", "--name", "Second", "--recipe-id", recipe,
            "--recipe-version-id", VERSION, "--owner", "t",
        ],
        "models update": ["models", "update", model, "--status", "staging"],
        "monitoring create": ["monitoring", "create", model, "--drift", "PSI=0.05"],
    }  # fmt: skip


def cli(reg: Registry, *args: str, failpoint: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MODELYARD_CACHE": "1"}
    env.pop(ENV, None)
    if failpoint:
        env[ENV] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "modelyard", "--registry", str(reg.root), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def state(reg: Registry) -> tuple[str, str]:
    """HEAD, and what `git status` says (empty: the working tree and index are HEAD's)."""
    return (
        git(reg.worktree, "rev-parse", "HEAD"),
        git(reg.worktree, "status", "--porcelain", "--untracked-files=all"),
    )


def assert_consistent(reg: Registry, before: str) -> None:
    """After the next command: HEAD is the old commit or one new one, and the working tree,
    the index and the untracked files all agree with it."""
    head, status = state(reg)
    assert status == "", status
    assert head == before or git(reg.worktree, "rev-parse", "HEAD~1") == before
    assert not (reg.git.git_dir / "modelyard" / "intent.json").exists()
    fsck = subprocess.run(["git", "fsck", "--no-dangling"], cwd=reg.worktree, capture_output=True)
    assert fsck.returncode == 0, fsck.stderr


def test_every_point_is_met_by_a_write(reg, setup) -> None:
    """Each named point kills a mutation that passes it (none is dead code)."""
    for point in POINTS:
        change = ["recipes", "update", setup["recipe"], "--description", f"Killed at {point}"]
        done = cli(reg, *change, failpoint=point)
        assert done.returncode == -signal.SIGKILL, (point, done.stdout, done.stderr)
        cli(reg, "recipes", "list")


def followup(ids: dict[str, str], kind: str) -> list[str]:
    """Another change of the record `kind` touched: it must work with no manual step."""
    return {
        "runs create": mutations(ids)["runs create"],
        "runs update": ["runs", "update", ids["run"], "--metric", "MAPE=0.12"],
        "versions create": [
            "versions", "create", ids["recipe"], "--set", "model.hyperparameters.num_leaves=127",
            "--change-note", "Even more leaves",
        ],
        "models update": ["models", "update", ids["model"], "--description", "After"],
    }[kind]  # fmt: skip


# every point for a mutation that adds a file and for one that changes one; the point that
# decides (the branch moving) for the other two
MATRIX = [
    *((kind, point) for kind in ("runs create", "versions create") for point in POINTS),
    ("runs update", "after-advance"),
    ("models update", "mid-worktree"),
]


@pytest.mark.parametrize(("kind", "point"), MATRIX)
def test_a_kill_at_any_point_leaves_the_registry_as_before_or_after(reg, setup, kind, point):
    before = git(reg.worktree, "rev-parse", "HEAD")
    killed = cli(reg, *mutations(setup)[kind], failpoint=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    listed = cli(reg, "runs", "list")  # any command: it finds the registry whole
    assert listed.returncode == 0, listed.stderr
    assert_consistent(reg, before)
    landed = git(reg.worktree, "rev-parse", "HEAD") != before
    # the branch moving is the one step that decides: before it nothing happened
    assert landed == (POINTS.index(point) >= POINTS.index("after-advance"))
    again = cli(reg, *followup(setup, kind))
    assert again.returncode == 0, again.stderr
    assert state(reg)[1] == ""


OTHERS = ["recipes update", "recipes clone", "models register", "monitoring create"]


@pytest.mark.parametrize("kind", OTHERS)
def test_every_other_kind_of_mutation_survives_a_kill_mid_write(reg, setup, kind) -> None:
    before = git(reg.worktree, "rev-parse", "HEAD")
    killed = cli(reg, *mutations(setup)[kind], failpoint="mid-worktree")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert cli(reg, "recipes", "list").returncode == 0
    assert_consistent(reg, before)
    assert git(reg.worktree, "rev-parse", "HEAD~1") == before


def test_a_recipe_delete_killed_between_its_files_is_finished(reg, setup) -> None:
    clone = cli(reg, "recipes", "clone", setup["recipe"], "--name", "Doomed", "--json")
    assert clone.returncode == 0, clone.stderr
    before = git(reg.worktree, "rev-parse", "HEAD")
    killed = cli(reg, "recipes", "delete", "recipe_doomed", failpoint="mid-worktree")
    assert killed.returncode == -signal.SIGKILL
    assert cli(reg, "recipes", "list").returncode == 0
    assert_consistent(reg, before)
    assert not (reg.root / "recipes" / "recipe_doomed").exists()


def test_kills_after_random_delays_never_need_a_repair(reg, setup) -> None:
    """Kills at moments nobody chose: 8 mutations, each killed after a random delay."""
    rng = random.Random(1201)
    kinds = list(mutations(setup))
    env = {k: v for k, v in os.environ.items() if k != ENV}
    for attempt in range(8):
        kind = kinds[attempt % len(kinds)]
        before = git(reg.worktree, "rev-parse", "HEAD")
        args = ["--registry", str(reg.root), *mutations(setup)[kind]]
        proc = subprocess.Popen(
            [sys.executable, "-m", "modelyard", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )  # fmt: skip
        time.sleep(rng.uniform(0.25, 0.9))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert cli(reg, "recipes", "list").returncode == 0
        assert_consistent(reg, before)


def test_a_server_killed_mid_write_restarts_whole(reg, setup, tmp_path: Path) -> None:
    from server_support import running_server

    before = git(reg.worktree, "rev-parse", "HEAD")
    body = {
        "recipe_id": setup["recipe"],
        "recipe_version_id": VERSION,
        "run_type": "backtest",
        "model_id": setup["model"],
    }
    with running_server(reg.root, env={ENV: "after-advance"}, log_dir=tmp_path) as server:
        import httpx

        with pytest.raises(httpx.HTTPError):
            httpx.post(f"{server.base}/api/ml-development/runs", json=body, timeout=30)
        assert server.proc.wait(timeout=30) == -signal.SIGKILL
    # the commit landed (the branch moved) but its run file was never written
    assert git(reg.worktree, "rev-parse", "HEAD~1") == before
    with running_server(reg.root, log_dir=tmp_path) as server:
        listed = httpx.get(f"{server.base}/api/ml-development/runs?run_type=backtest").json()
        assert listed["total"] == 1
    assert_consistent(reg, before)
