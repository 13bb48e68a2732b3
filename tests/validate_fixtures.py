"""A small valid registry, built once with ops and copied for each validation test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import manifest
from modelyard.ops import models, monitoring, recipes, runs, setup, synthetic, versions
from modelyard.storage.registry import Registry

GITCONFIG = (
    "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
)


def build_template(folder: Path) -> dict[str, str]:
    """Two pricing recipes (a baseline at 1.0.1 and a child), a forecasting recipe, two models,
    two runs, a snapshot and a synthetic example. Returns the ids of the time-named records."""
    reg = setup.init_registry(folder)
    base = recipes.create_recipe(
        reg,
        {
            "name": "Pricing Baseline",
            "model_family": "pricing",
            "level": "baseline",
            "id": "recipe_pricing_base",
            "tags": ["baseline"],
            "manifest": manifest("pricing"),
        },
    ).id
    m2 = manifest("pricing")
    m2["model"]["hyperparameters"]["learning_rate"] = 0.03
    versions.create_version(
        reg, base, {"manifest_json": m2, "change_note": "Lower the learning rate"}
    )
    child_manifest = manifest("pricing")
    child_manifest["model"]["hyperparameters"]["learning_rate"] = 0.03
    child_manifest["pricing"]["objective"] = "margin"
    recipes.create_recipe(
        reg,
        {
            "name": "Retail Pricing",
            "model_family": "pricing",
            "level": "industry",
            "id": "recipe_retail_pricing",
            "parent_id": base,
            "manifest": child_manifest,
        },
    )
    recipes.create_recipe(
        reg,
        {
            "name": "Demand Forecast",
            "model_family": "forecasting",
            "level": "baseline",
            "id": "recipe_demand_forecast",
            "manifest": manifest("forecasting"),
        },
    )
    recipes.update_recipe(reg, base, {"status": "approved"})
    prod = models.register_model(
        reg,
        {
            "name": "Pricing Prod",
            "id": "model_pricing_prod",
            "recipe_id": base,
            "recipe_version_id": "ver_pricing_base_v1.0.0",
            "owner": "pricing-team",
            "status": "production",
        },
    )
    models.register_model(
        reg,
        {
            "name": "Forecast",
            "id": "model_forecast",
            "recipe_id": "recipe_demand_forecast",
            "recipe_version_id": "1.0.0",
            "owner": "planning",
        },
    )
    done = runs.create_run(
        reg,
        {"recipe_id": base, "recipe_version_id": "1.0.1", "run_type": "train", "model_id": prod.id},
    )
    runs.update_run(
        reg,
        done.id,
        {"status": "succeeded", "metrics_json": {"MAPE": 0.12}, "logs_text": "epoch 1\n"},
    )
    queued = runs.create_run(
        reg,
        {
            "recipe_id": "recipe_demand_forecast",
            "recipe_version_id": "1.0.0",
            "run_type": "backtest",
            "model_id": "model_forecast",
        },
    )
    snap = monitoring.create_snapshot(
        reg,
        prod.id,
        {"performance_metrics_json": {"MAPE": 0.14}, "drift_metrics_json": {"PSI": 0.05}},
    )
    synthetic.create_synthetic(
        reg,
        base,
        {
            "dataset_schema_json": {"columns": {"base_price": "float", "units_sold": "float"}},
            "sample_rows_json": [{"base_price": 9.99, "units_sold": 120.0}],
        },
    )
    return {"run_done": done.id, "run_queued": queued.id, "snapshot": snap.id}


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(repository folder, ids) of the template registry, built once per test session."""
    home = tmp_path_factory.mktemp("template-home")
    (home / ".gitconfig").write_text(GITCONFIG)
    folder = tmp_path_factory.mktemp("template") / "repo"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        for var in (
            "MODELYARD_REGISTRY",
            "GIT_AUTHOR_DATE",
            "GIT_COMMITTER_DATE",
            "GIT_DIR",
            "GIT_INDEX_FILE",
        ):
            mp.delenv(var, raising=False)
        ids = build_template(folder)
    return folder, ids


@pytest.fixture
def copy(template: tuple[Path, dict[str, str]], tmp_path: Path) -> tuple[Registry, dict[str, str]]:
    """A fresh copy of the template registry (with its git history) for one test."""
    source, ids = template
    target = tmp_path / "copy"
    shutil.copytree(source, target, symlinks=True)
    return Registry(target / "registry"), ids


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, check=True, capture_output=True, text=True, env=os.environ.copy()
    ).stdout.strip()


def edit(reg: Registry, rel: str, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a registry file."""
    path = reg.path(rel)
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    path.write_text(text.replace(old, new))


def line_of(reg: Registry, rel: str, marker: str) -> int:
    lines = reg.path(rel).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if marker in line)


SRC = Path(__file__).resolve().parents[1] / "src"


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`modelyard *args` as a process in `cwd`, with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "modelyard", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
