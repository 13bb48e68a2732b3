"""A small, realistic registry for the chat tests, built through ops with fixed clocks."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import manifest
from modelyard.ops import models, monitoring, recipes, runs, setup, versions
from modelyard.storage.registry import Registry

NOW = "2024-03-15T12:00:00Z"


def _at(when: str) -> None:
    # the caller restores these (see `built`); every record and commit gets this time
    os.environ["GIT_AUTHOR_DATE"] = when
    os.environ["GIT_COMMITTER_DATE"] = when


@contextmanager
def built(folder: Path) -> Iterator[Registry]:
    """`build(folder)` with HOME, git config and the clock isolated, all restored afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        home = folder / "home"
        home.mkdir(parents=True)
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Test User\n\temail = test@example.com\n"
            "[init]\n\tdefaultBranch = main\n"
        )
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("GIT_AUTHOR_DATE", NOW)
        mp.setenv("GIT_COMMITTER_DATE", NOW)
        reg = build(folder / "repo")
    yield reg


def build(folder: Path) -> Registry:
    """Pricing (base -> retail -> acme), forecasting and NBA recipes, models in four statuses,
    runs of each status, and snapshots whose drift crosses the alert level."""
    _at("2024-01-10T09:00:00Z")
    reg = setup.init_registry(folder)
    pricing = manifest("pricing")
    pricing["monitoring"]["performance"] = {"MAPE": {"max": 0.2}}
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_pricing_base",
            "name": "Pricing Baseline",
            "model_family": "pricing",
            "level": "baseline",
            "tags": ["baseline", "optimization"],
            "manifest": pricing,
            "created_by": "Ada Analyst",
            "description": "Demand-based price optimisation shared by every pricing client.",
        },
    )
    _at("2024-01-20T09:00:00Z")
    v2 = copy.deepcopy(pricing)
    v2["model"]["hyperparameters"]["learning_rate"] = 0.03
    versions.create_version(
        reg,
        "recipe_pricing_base",
        {
            "manifest_json": v2,
            "change_note": "Lower the learning rate",
            "created_by": "Ada Analyst",
        },
    )
    recipes.update_recipe(reg, "recipe_pricing_base", {"status": "approved"})
    _at("2024-01-25T09:00:00Z")
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_pricing_retail",
            "name": "Retail Pricing",
            "model_family": "pricing",
            "level": "industry",
            "parent_id": "recipe_pricing_base",
            "tags": ["retail"],
            "manifest": _retail(v2),
        },
    )
    recipes.update_recipe(reg, "recipe_pricing_retail", {"status": "approved"})
    _at("2024-02-01T09:00:00Z")
    v3 = copy.deepcopy(v2)
    v3["features"]["promo_flag"] = {"dtype": "bool", "source": "transactions"}
    versions.create_version(
        reg, "recipe_pricing_base", {"manifest_json": v3, "change_note": "Add the promotion flag"}
    )
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_pricing_acme",
            "name": "Acme Grocery Pricing",
            "model_family": "pricing",
            "level": "client",
            "parent_id": "recipe_pricing_retail",
            "tags": ["retail", "acme"],
            "manifest": {
                **_retail(v2),
                "pricing": {
                    "objective": "profit",
                    "price_bounds": {"min_ratio": 0.9, "max_ratio": 1.1},
                },
            },
        },
    )
    forecast = manifest("forecasting")
    forecast["evaluation"] = {"metrics": ["WAPE"], "acceptance": {"WAPE": {"max": 0.25}}}
    forecast["monitoring"] = {
        "performance": {"WAPE": {"max": 0.3}},
        "drift": {"PSI": {"warn": 0.1, "alert": 0.25}},
    }
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_demand_forecast",
            "name": "Demand Forecast",
            "model_family": "forecasting",
            "level": "baseline",
            "tags": ["supply_chain"],
            "manifest": forecast,
        },
    )
    recipes.update_recipe(reg, "recipe_demand_forecast", {"status": "approved"})
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_nba_telco",
            "name": "Telco Next Best Action",
            "model_family": "next_best_action",
            "level": "baseline",
            "tags": ["crm"],
            "manifest": manifest("next_best_action"),
        },
    )

    _at("2024-02-05T09:00:00Z")
    models.register_model(
        reg,
        {
            "id": "model_retail_pricing_prod",
            "name": "Retail Pricing Production",
            "recipe_id": "recipe_pricing_retail",
            "recipe_version_id": "1.0.0",
            "owner": "pricing-team",
            "status": "production",
        },
    )
    models.register_model(
        reg,
        {
            "id": "model_acme_pricing",
            "name": "Acme Pricing Candidate",
            "recipe_id": "recipe_pricing_acme",
            "recipe_version_id": "1.0.0",
            "owner": "acme-team",
        },
    )
    models.register_model(
        reg,
        {
            "id": "model_demand_forecast",
            "name": "Weekly Demand Forecast",
            "recipe_id": "recipe_demand_forecast",
            "recipe_version_id": "1.0.0",
            "owner": "supply-team",
            "status": "staging",
        },
    )
    models.register_model(
        reg,
        {
            "id": "model_nba_pilot",
            "name": "NBA Pilot",
            "recipe_id": "recipe_nba_telco",
            "recipe_version_id": "1.0.0",
            "owner": "crm-team",
        },
    )
    models.update_model(reg, "model_nba_pilot", {"status": "retired"})

    _run(
        reg,
        "2024-03-01T10:00:00Z",
        "recipe_pricing_retail",
        "model_retail_pricing_prod",
        "train",
        "succeeded",
        {"MAPE": 0.15, "revenue_lift": 0.042},
    )
    _run(
        reg,
        "2024-03-02T10:00:00Z",
        "recipe_pricing_retail",
        "model_retail_pricing_prod",
        "eval",
        "succeeded",
        {"MAPE": 0.21, "revenue_lift": 0.031},
    )
    _run(
        reg,
        "2024-03-11T10:00:00Z",
        "recipe_demand_forecast",
        "model_demand_forecast",
        "backtest",
        "failed",
        {},
    )
    _run(
        reg,
        "2024-03-13T10:00:00Z",
        "recipe_pricing_acme",
        "model_acme_pricing",
        "train",
        "failed",
        {},
    )
    _run(
        reg,
        "2024-03-14T10:00:00Z",
        "recipe_demand_forecast",
        "model_demand_forecast",
        "train",
        "running",
        None,
    )

    for when, mape, psi, alerts in (
        ("2024-03-05T12:00:00Z", 0.14, 0.05, {}),
        ("2024-03-10T12:00:00Z", 0.16, 0.12, {}),
        ("2024-03-14T12:00:00Z", 0.19, 0.27, {"psi_drift": "PSI 0.27 above 0.2"}),
    ):
        _at(when)
        monitoring.create_snapshot(
            reg,
            "model_retail_pricing_prod",
            {
                "performance_metrics_json": {"MAPE": mape, "revenue_lift": 0.04},
                "drift_metrics_json": {"PSI": psi},
                "data_freshness_json": {"last_update": when.replace("12:00", "06:00")},
                "alerts_json": alerts,
            },
        )
    _at("2024-03-14T12:00:00Z")
    monitoring.create_snapshot(
        reg,
        "model_demand_forecast",
        {"performance_metrics_json": {"WAPE": 0.22}, "drift_metrics_json": {"PSI": 0.04}},
    )
    _at(NOW)
    return reg


def _retail(base: dict[str, Any]) -> dict[str, Any]:
    m = copy.deepcopy(base)
    m["pricing"]["objective"] = "margin"
    m["evaluation"]["acceptance"] = {"MAPE": {"max": 0.18}}
    m["features"]["store_format"] = {"dtype": "category", "source": "transactions"}
    return m


def _run(
    reg: Registry,
    when: str,
    recipe_id: str,
    model_id: str,
    run_type: str,
    status: str,
    metrics: dict[str, float] | None,
) -> None:
    _at(when)
    run = runs.create_run(
        reg,
        {
            "recipe_id": recipe_id,
            "recipe_version_id": "1.0.0",
            "run_type": run_type,
            "model_id": model_id,
        },
    )
    body: dict[str, Any] = {"status": status}
    if metrics is not None:
        body["metrics_json"] = metrics
    runs.update_run(reg, run.id, body)
