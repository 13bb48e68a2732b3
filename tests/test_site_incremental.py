"""An incremental rebuild after one new run gives, byte for byte, what a full build of the
same registry gives, in both layouts (pages per run, and data files only), and writes only
the few files the run shows in."""

from __future__ import annotations

import pytest

from conftest import manifest
from modelyard.ops import models, recipes, runs
from modelyard.site.build import build_site
from site_registry import clock_at
from test_site_build import tree


@pytest.mark.parametrize("run_pages", [True, False])
def test_a_rebuild_after_one_new_run_equals_a_full_build(reg, tmp_path, run_pages):
    with clock_at(1):
        base = recipes.create_recipe(
            reg,
            {
                "name": "Pricing base",
                "model_family": "pricing",
                "level": "baseline",
                "manifest": manifest("pricing"),
            },
        )
        model = models.register_model(
            reg,
            {
                "name": "Pricing model",
                "recipe_id": base.id,
                "recipe_version_id": "1.0.0",
                "owner": "pricing-team",
            },
        )
    for day in range(2, 14):
        with clock_at(day):
            run = runs.create_run(
                reg,
                {
                    "recipe_id": base.id,
                    "recipe_version_id": "1.0.0",
                    "model_id": model.id,
                    "run_type": "train",
                },
            )
            runs.update_run(
                reg, run.id, {"status": "succeeded", "metrics_json": {"MAPE": 0.1 + day / 100}}
            )
    out = tmp_path / "site"
    build_site(reg, out, run_pages=run_pages)
    with clock_at(20):
        new = runs.create_run(
            reg,
            {
                "recipe_id": base.id,
                "recipe_version_id": "1.0.0",
                "model_id": model.id,
                "run_type": "train",
            },
        )
    report = build_site(reg, out, run_pages=run_pages)
    fresh = tmp_path / "fresh"
    build_site(reg, fresh, incremental=False, run_pages=run_pages)
    assert tree(out) == tree(fresh)
    month = new.created_at.strftime("%Y-%m")
    assert f"model-development/data/runs/{month}/rows.js" in report.written
    assert ("model-development/runs/" + new.id + "/index.html" in report.written) == run_pages
    if not run_pages:  # what shows the new run, and nothing else
        assert set(report.written) == {
            "api/ml-development/runs.json",
            "model-development/index.html",
            "model-development/runs/index.html",
            f"model-development/recipes/{base.id}/index.html",
            f"model-development/models/{model.id}/index.html",
            f"model-development/data/recipes/{base.id}.js",
            "model-development/data/runs/index.js",
            f"model-development/data/runs/{month}/rows.js",
            f"model-development/data/runs/{month}/0.js",
        }
