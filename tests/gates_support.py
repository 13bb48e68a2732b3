"""Registries with promotion gates, and runs, models and snapshots made on given days
(GIT_AUTHOR_DATE and GIT_COMMITTER_DATE set, so records and commits carry known dates)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from conftest import git
from modelyard.ops import models, monitoring, recipes, runs
from modelyard.storage import layout
from modelyard.storage.registry import Registry

RECIPE = "recipe_pricing_base"
VERSION = "ver_pricing_base_v1.0.0"

GATES: dict[str, Any] = {
    "production": {
        "evidence": {"run_types": ["eval", "backtest"], "max_age_days": 30},
        "thresholds": True,
        "champion": {"metrics": ["MAPE"], "margin": 0.01},
        "no_alert": True,
    }
}


def day(n: int) -> str:
    """Noon of day `n` of November 2026 (day 0 is 31 October), as ISO 8601."""
    from datetime import UTC, datetime, timedelta

    when = datetime(2026, 10, 31, 12, tzinfo=UTC) + timedelta(days=n)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def on_day(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", day(n))
    monkeypatch.setenv("GIT_COMMITTER_DATE", day(n))


def set_gates(
    reg: Registry, gates: dict[str, Any] | None = None, allow_override: bool = True
) -> Registry:
    """Declare `gates` (default GATES) in modelyard.yaml and commit it; the registry opened
    again (a Registry reads its settings once)."""
    path = reg.path(layout.SETTINGS)
    data = yaml.safe_load(path.read_text())
    data["promotion"] = {
        "gates": copy.deepcopy(GATES if gates is None else gates),
        "allow_override": allow_override,
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    git(reg.worktree, "commit", "-qam", "Declare promotion gates")
    return Registry(reg.root)


def approve(reg: Registry, recipe_id: str = RECIPE) -> None:
    recipes.update_recipe(reg, recipe_id, {"status": "approved"})


def model(reg: Registry, model_id: str, version: str = VERSION, recipe: str = RECIPE) -> str:
    return models.register_model(
        reg,
        {
            "name": model_id.replace("_", " "),
            "id": model_id,
            "recipe_id": recipe,
            "recipe_version_id": version,
            "owner": "pricing-team",
        },
    ).id


def run(
    reg: Registry,
    model_id: str,
    metrics: dict[str, float],
    run_type: str = "eval",
    status: str = "succeeded",
    version: str = VERSION,
    recipe: str = RECIPE,
) -> str:
    made = runs.create_run(
        reg,
        {
            "recipe_id": recipe,
            "recipe_version_id": version,
            "model_id": model_id,
            "run_type": run_type,
        },
    )
    runs.update_run(reg, made.id, {"status": status, "metrics_json": metrics})
    return made.id


def snapshot(reg: Registry, model_id: str, **body: Any) -> dict[str, Any]:
    return monitoring.create_snapshot(reg, model_id, body).model_dump(mode="json")


def last_message(reg: Registry) -> str:
    return git(reg.worktree, "log", "-1", "--format=%B")
