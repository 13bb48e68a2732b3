"""Writer clones (`modelyard clone URL DIR --writer`): partial and sparse, and the commands a
training job runs there with --push, as processes against a real bare remote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import git
from modelyard.ops import models, monitoring
from modelyard.ops import sync as ops
from remote_support import bare_remote, new_run

SRC = Path(__file__).resolve().parent.parent / "src"
CREATE = ("runs", "create", "--recipe-id", "recipe_pricing_base", "--recipe-version-id", "1.0.0",
          "--run-type", "train", "--json", "--push")  # fmt: skip


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "modelyard", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def team(tmp_path: Path) -> tuple[Path, str, str]:
    """A remote with a model, a run and a snapshot pushed by someone else: (bare, run, snap)."""
    bare, seed = bare_remote(tmp_path)
    from modelyard.storage.registry import Registry

    reg = Registry(seed / "registry")
    model = models.register_model(
        reg,
        {
            "name": "Pricing model",
            "recipe_id": "recipe_pricing_base",
            "recipe_version_id": "1.0.0",
            "owner": "Ada",
        },
    )
    run = new_run(reg)
    snap = monitoring.create_snapshot(
        reg, model.id, {"model_id": model.id, "drift_metrics_json": {"PSI": 0.05}}
    )
    assert ops.sync(reg).outcome == "pushed"
    return bare, run, snap.id


def test_a_writer_clone_checks_out_no_runs_or_snapshots_and_its_jobs_push(tmp_path):
    bare, other_run, snap = team(tmp_path)
    job = tmp_path / "job"
    done = cli(tmp_path, "clone", f"file://{bare}", str(job), "--writer")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"writer clone (partial, sparse) of file://{bare} in {job}; "
        f"the registry is {job / 'registry'}"
    )
    assert git(job, "config", "remote.origin.partialclonefilter") == "blob:none"
    on_disk = {p.relative_to(job).as_posix() for p in job.rglob("*") if ".git" not in p.parts}
    assert "registry/modelyard.yaml" in on_disk
    assert "registry/recipes/recipe_pricing_base/manifest.yaml" in on_disk
    assert any(p.endswith("/model.yaml") for p in on_disk)
    assert not any(other_run in p or snap in p for p in on_disk)
    # partial: the contents of runs and snapshots it did not check out were never fetched
    listed = git(job, "rev-list", "--objects", "--missing=print", "HEAD").splitlines()
    assert len([line for line in listed if line.startswith("?")]) >= 2
    assert git(job, "status", "--porcelain") == ""

    done = cli(job, *CREATE)
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["id"]
    assert "pushed 1 commit to origin/main" in done.stderr
    done = cli(job, "runs", "update", run_id, "--status", "succeeded", "--metric", "MAPE=0.1",
               "--push")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "pushed 1 commit" in done.stderr
    # someone else's run is read from the commit, though it is not checked out here
    done = cli(job, "runs", "get", other_run, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == other_run
    shown = git(bare, "show", f"main:registry/runs/{run_id[4:8]}-{run_id[8:10]}/{run_id}/run.yaml")
    assert "status: succeeded" in shown and "MAPE: 0.1" in shown
    model_id = git(bare, "ls-tree", "--name-only", "main", "registry/models/").split("/")[-1]
    done = cli(job, "monitoring", "create", model_id, "--drift", "PSI=0.2", "--push")
    assert done.returncode == 0, done.stderr
    assert git(bare, "fsck", "--no-progress", "--no-dangling") == ""
    assert git(job, "status", "--porcelain") == ""


def writer_job(bare: Path, folder: Path, count: int) -> list[str]:
    done = cli(folder.parent, "clone", f"file://{bare}", str(folder), "--writer")
    assert done.returncode == 0, done.stderr
    ids = []
    for _ in range(count):
        done = cli(folder, *CREATE)
        assert done.returncode == 0, done.stderr
        ids.append(json.loads(done.stdout)["id"])
    return ids


def concurrent_writers(tmp_path: Path, writers: int, runs: int) -> None:
    bare, _ = bare_remote(tmp_path)
    with ThreadPoolExecutor(writers) as pool:
        futures = [
            pool.submit(writer_job, bare, tmp_path / f"job{i}", runs) for i in range(writers)
        ]
        made = [run_id for f in futures for run_id in f.result()]
    assert len(made) == len(set(made)) == writers * runs
    listed = git(bare, "ls-tree", "-r", "--name-only", "main", "registry/runs").splitlines()
    on_remote = [p.split("/")[-2] for p in listed if p.endswith("/run.yaml")]
    assert sorted(on_remote) == sorted(made)  # none lost, none twice
    assert git(bare, "rev-list", "--merges", "main") == ""
    assert git(bare, "fsck", "--no-progress", "--no-dangling") == ""


def test_writers_in_writer_clones_push_concurrently_and_lose_nothing(tmp_path):
    concurrent_writers(tmp_path, 3, 3)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("MODELYARD_FULL_WRITERS"),
    reason="8 writers x 50 runs takes minutes on 2 cores: set MODELYARD_FULL_WRITERS=1",
)
def test_8_writers_with_50_runs_each(tmp_path):
    concurrent_writers(tmp_path, 8, 50)
