"""The benchmark generator: the small size builds, every record loads through ops, files are
canonical."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import git
from modelyard.domain.records import Model, MonitoringSnapshot, Recipe, Run
from modelyard.ops import models, monitoring, recipes, runs, synthetic, versions
from modelyard.ops.history import History
from modelyard.ops.manifests import check_manifest
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

ROOT = Path(__file__).resolve().parent.parent


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "bench_generate", ROOT / "benchmarks" / "generate.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)
    return module


def every_page(fetch, key):
    out, offset = [], 0
    while True:
        page = fetch(offset)
        out += getattr(page, key)
        offset += 500
        if offset >= page.total:
            assert len(out) == page.total
            return out


@pytest.mark.bench
def test_small_registry_loads_record_by_record(tmp_path, monkeypatch):
    gen = load_generator()
    size = gen.SIZES["small"]
    counts = gen.generate(tmp_path / "small", "small", seed=3)
    repo = tmp_path / "small"
    assert git(repo, "status", "--porcelain") == ""
    assert int(git(repo, "rev-list", "--count", "HEAD")) == counts["commits"]
    monkeypatch.setenv("MODELYARD_CACHE", "0")  # the files themselves, read the ordinary way
    reg = Registry.open(repo)

    all_recipes = every_page(lambda o: recipes.list_recipes(reg, limit=500, offset=o), "recipes")
    assert len(all_recipes) == size.recipes
    history = History(reg)
    n_versions = 0
    for r in all_recipes:
        assert recipes.get_recipe(reg, r.id) == r
        listed = versions.list_versions(reg, r.id, history)
        assert listed.total == size.versions
        assert listed.versions[-1].version_number == r.version
        # each later version is a bump the change allows, and its resolved manifest is valid
        for v in listed.versions[1:]:
            assert v.bump in ("patch", "minor")
        check_manifest(listed.versions[-1].manifest_json, r.model_family, ("manifest",))
        n_versions += listed.total
        if r.parent_id is None:
            assert synthetic.get_synthetic(reg, r.id).recipe_id == r.id
    assert n_versions == size.recipes * size.versions

    all_models = every_page(lambda o: models.list_models(reg, limit=500, offset=o), "models")
    assert len(all_models) == size.models
    n_snaps = 0
    for m in all_models:
        assert models.get_model(reg, m.id) == m
        assert history.find(m.recipe_id, m.recipe_version_id.rsplit("_v", 1)[1]) is not None
        n_snaps += monitoring.list_snapshots(reg, m.id, limit=500).total
    assert n_snaps == size.snapshots

    all_runs = every_page(lambda o: runs.list_runs(reg, limit=500, offset=o), "runs")
    assert len(all_runs) == size.runs
    assert [r.id for r in all_runs] == sorted((r.id for r in all_runs), reverse=True)
    for r in all_runs:
        assert runs.get_run(reg, r.id) == r

    # byte for byte what the CLI would write
    for rel, model, kind in [
        (layout.recipe_file(all_recipes[0].id), Recipe, "recipe"),
        (layout.model_file(all_models[0].id), Model, "model"),
        (layout.run_file(all_runs[0].id), Run, "run"),
    ]:
        text = reg.path(rel).read_text()
        assert text.startswith("# yaml-language-server: $schema=")
        assert files.render(files.parse_text(text, model, str(rel)), kind, str(rel)) == text
    # and the whole registry passes `modelyard validate`, warnings included
    from modelyard import validate

    report = validate.run(reg)
    assert report.ok(strict=True), [str(p) for p in [*report.errors, *report.warnings][:5]]

    snap_dir = reg.path(layout.model_dir(all_models[0].id) / layout.MONITORING)
    for path in list(snap_dir.glob("*.yaml"))[:3]:
        rel = str(path.relative_to(reg.root))
        assert (
            files.render(
                files.parse_text(path.read_text(), MonitoringSnapshot, rel), "snapshot", rel
            )
            == path.read_text()
        )


@pytest.mark.bench
def test_same_seed_same_history(tmp_path):
    gen = load_generator()
    gen.generate(tmp_path / "a", "tiny", seed=5)
    gen.generate(tmp_path / "b", "tiny", seed=5)
    gen.generate(tmp_path / "c", "tiny", seed=6)
    heads = [git(tmp_path / n, "rev-parse", "HEAD") for n in "abc"]
    assert heads[0] == heads[1] != heads[2]
