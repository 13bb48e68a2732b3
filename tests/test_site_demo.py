"""The demo registry (registry/ in this repository) rendered: every page kind, every link,
and JSON mirrors equal to what the CLI's --json prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from modelyard.cli.main import cli
from modelyard.domain.resolve import leaf_paths
from modelyard.ops import models, monitoring, recipes, runs, versions
from modelyard.site.build import build_site
from modelyard.storage.registry import Registry
from site_registry import soup
from test_site_links import check_links

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    reg = Registry(ROOT / "registry")
    out = tmp_path_factory.mktemp("demo") / "site"
    build_site(reg, out)
    return reg, out


def test_every_record_of_the_demo_has_its_page(demo):
    reg, out = demo
    pages = out / "model-development"
    index = soup(pages / "index.html")
    all_recipes = recipes.list_recipes(reg, limit=500).recipes
    assert len(all_recipes) >= 5
    assert len(index.select("#recipes-table tbody tr")) == len(all_recipes)
    for recipe in all_recipes:
        page = soup(pages / "recipes" / recipe.id / "index.html")
        assert page.h1.get_text() == recipe.name
        assert len(page.select("article.version")) == versions.list_versions(reg, recipe.id).total
        manifest, _ = recipes.resolved_manifest(reg, recipe.id)
        assert len(page.select("table.manifest tbody tr")) == len(leaf_paths(manifest))
    for model in models.list_models(reg, limit=500).models:
        page = soup(pages / "models" / model.id / "index.html")
        assert page.h1.get_text() == model.name
        assert [b.get_text() for b in page.select(".timeline .badge")][-1] == model.status
        snaps = monitoring.list_snapshots(reg, model.id, limit=500).snapshots
        metrics = {k for s in snaps for k in (*s.performance_metrics_json, *s.drift_metrics_json)}
        assert len(page.select("figure.chart")) == len(metrics)
    all_runs = runs.list_runs(reg, limit=500).runs
    for run in all_runs:
        page = soup(pages / "runs" / run.id / "index.html")
        assert page.select_one(".page-head .badge").get_text() == run.status
    assert any(
        soup(pages / "models" / m.id / "index.html").select("line.threshold")
        for m in models.list_models(reg).models
    )


def test_every_link_of_the_demo_catalog_resolves(demo):
    assert check_links(demo[1]) > 500


def test_the_demo_mirrors_equal_the_cli_json(demo):
    reg, out = demo
    api = out / "api" / "ml-development"
    runner = CliRunner()

    def cli_json(*args: str):
        result = runner.invoke(cli, ["--registry", str(reg.root), *args, "--json"])
        assert result.exit_code == 0, result.output
        return result.stdout

    def mirror(rel: str) -> str:
        return (api / rel).read_text(encoding="utf-8")

    checked = 0
    for args, rel in [
        (("recipes", "list"), "recipes.json"),
        (("models", "list"), "models.json"),
        (("runs", "list"), "runs.json"),
    ]:
        assert json.loads(mirror(rel)) == json.loads(cli_json(*args)), rel
        checked += 1
    for recipe in recipes.list_recipes(reg).recipes:
        assert mirror(f"recipes/{recipe.id}.json") == cli_json("recipes", "get", recipe.id)
        assert mirror(f"recipes/{recipe.id}/versions.json") == cli_json(
            "versions", "list", recipe.id
        )
        for v in versions.list_versions(reg, recipe.id).versions:
            assert mirror(f"recipes/{recipe.id}/versions/{v.version_id}.json") == cli_json(
                "versions", "get", recipe.id, v.version_id
            )
            checked += 1
        if (api / "recipes" / recipe.id / "synthetic-example.json").exists():
            assert mirror(f"recipes/{recipe.id}/synthetic-example.json") == cli_json(
                "synthetic", "get", recipe.id
            )
            checked += 1
        checked += 2
    for model in models.list_models(reg).models:
        assert mirror(f"models/{model.id}.json") == cli_json("models", "get", model.id)
        assert mirror(f"models/{model.id}/monitoring.json") == cli_json(
            "monitoring", "list", model.id
        )
        checked += 2
    for run in runs.list_runs(reg).runs:
        assert mirror(f"runs/{run.id}.json") == cli_json("runs", "get", run.id)
        checked += 1
    assert checked == sum(1 for _ in api.rglob("*.json"))


def test_warn_level_alerts_are_told_apart_from_alerts(demo):
    from modelyard.site.rows import alert_level

    _, out = demo
    page = BeautifulSoup(
        (out / "model-development/models/model_freshmart_pricing/index.html").read_text(),
        "html.parser",
    )
    warned = page.select_one("#snap_20261118070000_tdm9qgs5 .badge")
    alerted = page.select_one("#snap_20261123070000_xgdqnxpd .badge")
    assert warned["class"] == ["badge", "b-warn"] and warned.get_text() == "warn"
    assert alerted["class"] == ["badge", "b-alert"] and alerted.get_text() == "alert"
    assert alert_level({"a": {"severity": "warn"}, "b": {"severity": "info"}}) == "warn"
    assert alert_level({"a": {"severity": "warn"}, "b": "no severity given"}) == "alert"
    assert alert_level({}) == ""
