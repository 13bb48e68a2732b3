"""The server's cache of parsed files: the same records as a plain read, a fresh object per
read, and never stale after a write, an edit in place, or a file removed."""

from __future__ import annotations

import os

import pytest

from modelyard.domain.records import (
    ManifestFile,
    Model,
    MonitoringSnapshot,
    Recipe,
    RegistrySettings,
    Run,
    SyntheticExample,
)
from modelyard.errors import RegistryFileError
from modelyard.ops import models, monitoring, recipes, runs, synthetic
from modelyard.server.cache import CachedRegistry, ParseCache
from modelyard.storage import layout
from modelyard.storage.registry import Registry


def test_every_kind_reads_back_the_same(reg: Registry, base_recipe: str) -> None:
    model = models.register_model(
        reg, {"name": "M", "recipe_id": base_recipe, "recipe_version_id": "v1.0.0", "owner": "team"}
    )
    run = runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "v1.0.0", "run_type": "train"}
    )
    runs.update_run(
        reg,
        run.id,
        {
            "status": "succeeded",
            "metrics_json": {"MAPE": 0.1},
            "artifacts_json": {"files": [{"path": "s3://b/m.pkl"}]},
        },
    )
    snap = monitoring.create_snapshot(reg, model.id, {"drift_metrics_json": {"PSI": 0.08}})
    synthetic.create_synthetic(reg, base_recipe, {"sample_rows_json": [{"price": 1.5}]})
    child = recipes.clone_recipe(reg, base_recipe, "Child")
    cached = CachedRegistry(reg.root, ParseCache())
    reads = [
        (layout.SETTINGS, RegistrySettings),
        (layout.recipe_file(base_recipe), Recipe),
        (layout.manifest_file(base_recipe), ManifestFile),
        (layout.manifest_file(child.id), ManifestFile),
        (layout.model_file(model.id), Model),
        (layout.run_file(run.id), Run),
        (layout.snapshot_file(model.id, snap.id), MonitoringSnapshot),
        (layout.synthetic_file(base_recipe), SyntheticExample),
    ]
    for rel, kind in reads:
        plain = reg.read(rel, kind)
        assert plain is not None
        assert cached.read(rel, kind) == plain  # parsed
        assert cached.read(rel, kind) == plain  # from the cache
    assert cached.cache.hits == len(reads) and cached.cache.misses == len(reads)
    assert cached.read("recipes/recipe_nope/recipe.yaml", Recipe) is None


def test_each_read_is_a_fresh_object(reg: Registry, base_recipe: str) -> None:
    run = runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "v1.0.0", "run_type": "train"}
    )
    cached = CachedRegistry(reg.root, ParseCache())
    first = cached.read(layout.run_file(run.id), Run)
    assert first is not None
    first.artifacts_json["leak"] = True
    second = cached.read(layout.run_file(run.id), Run)
    assert second is not None and second is not first and "leak" not in second.artifacts_json


def test_never_stale(reg: Registry, base_recipe: str) -> None:
    cache = ParseCache()
    cached = CachedRegistry(reg.root, cache)
    rel = layout.recipe_file(base_recipe)
    assert cached.read(rel, Recipe).status == "draft"  # type: ignore[union-attr]
    recipes.update_recipe(reg, base_recipe, {"status": "approved"})  # a write: a new file by rename
    assert cached.read(rel, Recipe).status == "approved"  # type: ignore[union-attr]
    # an edit in place, same size, same inode: the modification time tells
    path = reg.path(rel)
    text = path.read_text()
    stat = path.stat()
    with path.open("r+") as fh:
        fh.write(text.replace("status: approved", "status: archived"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert path.stat().st_ino == stat.st_ino and path.stat().st_size == stat.st_size
    assert cached.read(rel, Recipe).status == "archived"  # type: ignore[union-attr]
    path.unlink()
    assert cached.read(rel, Recipe) is None


def test_a_broken_file_is_the_same_error(reg: Registry, base_recipe: str) -> None:
    rel = layout.recipe_file(base_recipe)
    path = reg.path(rel)
    path.write_text(path.read_text().replace("level: baseline", "level: galaxy"))
    with pytest.raises(RegistryFileError) as plain:
        reg.read(rel, Recipe)
    with pytest.raises(RegistryFileError) as cached:
        CachedRegistry(reg.root, ParseCache()).read(rel, Recipe)
    assert str(cached.value) == str(plain.value)


def test_bounded(reg: Registry, base_recipe: str) -> None:
    cache = ParseCache(max_entries=2)
    cached = CachedRegistry(reg.root, cache)
    for rel, kind in [
        (layout.SETTINGS, RegistrySettings),
        (layout.recipe_file(base_recipe), Recipe),
        (layout.manifest_file(base_recipe), ManifestFile),
    ]:
        cached.read(rel, kind)
    assert len(cache) == 2
