"""Registries for the catalog's tests, built through ops like any user would."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from conftest import manifest
from modelyard.ops import models, monitoring, recipes, runs, setup, synthetic, versions
from modelyard.site.build import BuildReport, build_site
from modelyard.storage.registry import Registry


@contextmanager
def clock_at(day: int, hour: int = 9) -> Iterator[None]:
    """Pin the commit and record time, so tests build the same registry every time."""
    stamp = f"2024-03-{day:02d}T{hour:02d}:00:00Z"
    old = {k: os.environ.get(k) for k in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = stamp
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def small_registry(reg: Registry) -> dict[str, Any]:
    """Two families, a three-level lineage with versions, models through their lifecycle,
    runs with metrics, monitoring with drift crossing its thresholds, a synthetic example."""
    m = manifest("pricing")
    m["monitoring"]["performance"] = {"revenue_lift": {"min": 0.02}}
    m["monitoring"]["freshness"] = {"max_age_hours": 24}
    with clock_at(1):
        base = recipes.create_recipe(
            reg,
            {
                "id": "recipe_pricing_base",
                "name": "Pricing Baseline",
                "model_family": "pricing",
                "level": "baseline",
                "tags": ["baseline", "optimization"],
                "manifest": m,
                "description": "Price elasticity baseline for every retailer.",
            },
        )
    with clock_at(2):
        retail = recipes.create_recipe(
            reg,
            {
                "id": "recipe_pricing_retail",
                "name": "Retail Pricing",
                "model_family": "pricing",
                "level": "industry",
                "parent_id": base.id,
                "tags": ["retail"],
                "manifest": {},
            },
        )
    m2 = manifest("pricing")
    m2["monitoring"]["performance"] = {"revenue_lift": {"min": 0.02}}
    m2["monitoring"]["freshness"] = {"max_age_hours": 24}
    m2["model"]["hyperparameters"]["learning_rate"] = 0.03
    with clock_at(3):
        versions.create_version(
            reg, base.id, {"manifest_json": m2, "change_note": "Lower the learning rate"}
        )
    with clock_at(4):
        client = recipes.clone_recipe(reg, retail.id, "Acme Retail Pricing", level="client")
    with clock_at(5):
        recipes.update_recipe(reg, base.id, {"status": "approved"})
        recipes.update_recipe(reg, retail.id, {"status": "approved"})
    with clock_at(5, 10):
        fc = recipes.create_recipe(
            reg,
            {
                "id": "recipe_forecast_base",
                "name": "Demand Forecast",
                "model_family": "forecasting",
                "level": "baseline",
                "tags": ["forecasting"],
                "manifest": manifest("forecasting"),
            },
        )
    with clock_at(6):
        synthetic.create_synthetic(
            reg,
            base.id,
            {
                "dataset_schema_json": {
                    "columns": {"base_price": {"dtype": "float"}, "units_sold": {"dtype": "int"}},
                    "rows": 2,
                },
                "sample_rows_json": [
                    {"base_price": 9.99, "units_sold": 120},
                    {"base_price": 12.5, "units_sold": 80},
                ],
                "example_run_json": {"metrics": {"MAPE": 0.12}},
            },
        )
    with clock_at(7):
        prod = models.register_model(
            reg,
            {
                "id": "model_pricing_prod",
                "name": "Production Pricing",
                "recipe_id": retail.id,
                "recipe_version_id": "1.0.0",
                "owner": "pricing-team",
            },
        )
    with clock_at(8):
        models.update_model(reg, prod.id, {"status": "staging"})
    with clock_at(9):
        models.update_model(reg, prod.id, {"status": "production"})
    with clock_at(9, 11):
        other = models.register_model(
            reg,
            {
                "id": "model_forecast_draft",
                "name": "Forecast Trial",
                "recipe_id": fc.id,
                "recipe_version_id": "ver_forecast_base_v1.0.0",
                "owner": "forecast-team",
            },
        )
    run_ids = []
    for i, (lift, mape) in enumerate([(0.031, 0.14), (0.042, 0.12), (0.038, 0.18)]):
        with clock_at(10 + i):
            run = runs.create_run(
                reg,
                {
                    "recipe_id": retail.id,
                    "recipe_version_id": "1.0.0",
                    "run_type": "train" if i == 0 else "eval",
                    "model_id": prod.id,
                },
            )
        with clock_at(10 + i, 10):
            runs.update_run(reg, run.id, {"status": "running"})
        with clock_at(10 + i, 11):
            runs.update_run(
                reg,
                run.id,
                {
                    "status": "succeeded",
                    "metrics_json": {"revenue_lift": lift, "MAPE": mape},
                    "artifacts_json": {"model_path": f"s3://bucket/models/{i}.pkl"},
                    "logs_text": f"Training started\nEpoch 1/10\nrun {i} done\n",
                },
            )
        run_ids.append(run.id)
    with clock_at(14):
        failed = runs.create_run(
            reg, {"recipe_id": fc.id, "recipe_version_id": "1.0.0", "run_type": "backtest"}
        )
        runs.update_run(reg, failed.id, {"status": "failed", "logs_text": "out of memory"})
    snaps = []
    for i, psi in enumerate([0.05, 0.08, 0.12, 0.25]):
        with clock_at(15 + i):
            alerts = {"PSI": f"PSI {psi} above alert 0.2"} if psi > 0.2 else {}
            snaps.append(
                monitoring.create_snapshot(
                    reg,
                    prod.id,
                    {
                        "performance_metrics_json": {
                            "revenue_lift": 0.04 - i * 0.007,
                            "MAPE": 0.15 + i * 0.01,
                        },
                        "drift_metrics_json": {"PSI": psi},
                        "data_freshness_json": {"last_update": f"2024-03-{15 + i:02d}T08:00:00Z"},
                        "alerts_json": alerts,
                    },
                ).id
            )
    return {
        "base": base.id,
        "retail": retail.id,
        "client": client.id,
        "forecast": fc.id,
        "prod": prod.id,
        "draft_model": other.id,
        "runs": run_ids,
        "failed_run": failed.id,
        "snapshots": snaps,
    }


@contextmanager
def isolated_git(home: Path) -> Iterator[None]:
    """The same isolation as conftest's `isolate`, for session-scoped fixtures."""
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        for var in (
            "MODELYARD_REGISTRY",
            "GIT_AUTHOR_NAME",
            "GIT_AUTHOR_EMAIL",
            "GIT_AUTHOR_DATE",
            "GIT_COMMITTER_NAME",
            "GIT_COMMITTER_EMAIL",
            "GIT_COMMITTER_DATE",
            "SOURCE_DATE_EPOCH",
        ):
            mp.delenv(var, raising=False)
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Test User\n\temail = test@example.com\n"
            "[init]\n\tdefaultBranch = main\n"
        )
        yield
    finally:
        mp.undo()


@dataclass
class Built:
    reg: Registry
    ids: dict[str, Any]
    out: Path
    report: BuildReport

    @property
    def pages(self) -> Path:
        return self.out / "model-development"

    @property
    def api(self) -> Path:
        return self.out / "api" / "ml-development"


@pytest.fixture(scope="session", name="small_site")
def small_site_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The small registry, built once for the whole session (read-only for tests)."""
    base = tmp_path_factory.mktemp("small-site")
    (base / "home").mkdir()
    with isolated_git(base / "home"):
        repo = base / "repo"
        repo.mkdir()
        reg = setup.init_registry(repo)
        ids = small_registry(reg)
        out = base / "site"
        report = build_site(reg, out)
        yield Built(reg, ids, out, report)


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
JS_LINK = "javascript:alert(1)"
END_SCRIPT = "</script><script>alert(2)</script>"
SEPARATORS = "line\u2028separator\u2029paragraph"
HOSTILE = [SCRIPT, ATTR, JS_LINK, END_SCRIPT, SEPARATORS]


def hostile_registry(reg: Registry) -> dict[str, str]:
    """Every free-text field of every record holds markup, a javascript: link, `</script>`
    or U+2028: all of it must render as text."""
    m = manifest("pricing")
    m["data_sources"]["transactions"]["uri"] = JS_LINK
    m["features"][ATTR[:30].replace(" ", "_")] = {"dtype": "float", "description": END_SCRIPT}
    m["monitoring"]["drift"] = {SCRIPT: {"warn": 0.1, "alert": 0.2}}
    with clock_at(1):
        recipe = recipes.create_recipe(
            reg,
            {
                "id": "recipe_hostile",
                "name": SCRIPT,
                "model_family": "pricing",
                "level": "baseline",
                "tags": [SCRIPT, ATTR, JS_LINK, "u2028\u2028tag"],
                "manifest": m,
                "description": END_SCRIPT + SEPARATORS,
                "change_note": ATTR,
            },
        )
    m2 = copy.deepcopy(m)
    m2["model"]["algorithm"] = SCRIPT
    with clock_at(2):
        versions.create_version(reg, recipe.id, {"manifest_json": m2, "change_note": END_SCRIPT})
        recipes.create_recipe(
            reg,
            {
                "id": "recipe_hostile_child",
                "name": ATTR,
                "model_family": "pricing",
                "level": "client",
                "parent_id": recipe.id,
                "manifest": {},
            },
        )
        synthetic.create_synthetic(
            reg,
            recipe.id,
            {
                "dataset_schema_json": {"columns": {SCRIPT: {"dtype": ATTR}}},
                "sample_rows_json": [{SCRIPT: END_SCRIPT}],
                "example_run_json": {JS_LINK: SEPARATORS},
            },
        )
    with clock_at(3):
        model = models.register_model(
            reg,
            {
                "id": "model_hostile",
                "name": ATTR,
                "recipe_id": recipe.id,
                "recipe_version_id": "1.0.1",
                "owner": SCRIPT,
                "description": JS_LINK,
            },
        )
        run = runs.create_run(
            reg,
            {
                "recipe_id": recipe.id,
                "recipe_version_id": "1.0.1",
                "run_type": "train",
                "model_id": model.id,
            },
        )
        runs.update_run(
            reg,
            run.id,
            {
                "status": "failed",
                "metrics_json": {SCRIPT: 1.0, ATTR: 2.0},
                "artifacts_json": {"link": JS_LINK, SCRIPT: END_SCRIPT},
                "logs_text": "\n".join(HOSTILE),
            },
        )
        monitoring.create_snapshot(
            reg,
            model.id,
            {
                "performance_metrics_json": {ATTR: 0.5},
                "drift_metrics_json": {SCRIPT: 0.3},
                "data_freshness_json": {JS_LINK: END_SCRIPT},
                "alerts_json": {SCRIPT: ATTR, "sep": SEPARATORS},
            },
        )
    return {"recipe": recipe.id, "model": model.id, "run": run.id}
