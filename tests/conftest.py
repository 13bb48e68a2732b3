"""Shared fixtures: every test runs with its own HOME and git identity, in tmp_path."""

from __future__ import annotations

import copy
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from modelyard.ops import recipes, setup
from modelyard.storage.registry import Registry

MANIFESTS: dict[str, dict[str, Any]] = {
    "pricing": {
        "data_sources": {"transactions": {"kind": "table", "uri": "warehouse.sales.transactions"}},
        "features": {
            "base_price": {"dtype": "float", "source": "transactions"},
            "competitor_price": {"dtype": "float", "source": "transactions"},
        },
        "target": {"name": "units_sold", "dtype": "float", "kind": "regression"},
        "model": {
            "algorithm": "lightgbm",
            "hyperparameters": {"learning_rate": 0.05, "num_leaves": 31},
        },
        "evaluation": {"metrics": ["MAPE", "revenue_lift"], "acceptance": {"MAPE": {"max": 0.2}}},
        "monitoring": {"drift": {"PSI": {"warn": 0.1, "alert": 0.2}}},
        "pricing": {"objective": "revenue", "price_bounds": {"min_ratio": 0.8, "max_ratio": 1.2}},
    },
    "forecasting": {
        "features": {"lag_7": {"dtype": "float"}},
        "target": {"name": "demand", "dtype": "float", "kind": "regression"},
        "model": {"algorithm": "prophet"},
        "forecasting": {"horizon": 28, "frequency": "D"},
    },
    "next_best_action": {
        "features": {"tenure_days": {"dtype": "int"}},
        "target": {"name": "accepted", "dtype": "bool", "kind": "classification"},
        "model": {"algorithm": "xgboost"},
        "next_best_action": {"actions": {"upgrade": {"name": "Offer upgrade"}}},
    },
    "location_scoring": {
        "features": {"footfall": {"dtype": "float"}},
        "target": {"name": "revenue", "dtype": "float", "kind": "regression"},
        "model": {"algorithm": "random_forest"},
        "location_scoring": {"geography": {"level": "postcode"}},
    },
}


def manifest(family: str = "pricing") -> dict[str, Any]:
    """A fresh copy of a small valid manifest for `family`."""
    return copy.deepcopy(MANIFESTS[family])


@pytest.fixture(autouse=True)
def isolate(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """HOME, git config and the registry variable isolated for every test; no network."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for var in (
        "MODELYARD_REGISTRY",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_COMMITTER_DATE",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty folder to make a registry in."""
    path = tmp_path / "repo"
    path.mkdir()
    return path


@pytest.fixture
def reg(repo: Path) -> Registry:
    """A new registry, committed, in a new git repository."""
    return setup.init_registry(repo)


@pytest.fixture
def base_recipe(reg: Registry) -> str:
    """A baseline pricing recipe at 1.0.0."""
    return recipes.create_recipe(
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


def git(path: Path, *args: str) -> str:
    """Run git in `path` and return its output."""
    return subprocess.run(
        ["git", *args], cwd=path, check=True, capture_output=True, text=True, env=os.environ.copy()
    ).stdout.strip()
