"""A registry in a folder with a non-ASCII name (`régistre/`): git quotes such paths in its
output unless asked for `-z`, so every reader of git's raw output is checked here, with the
cache on and off."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import git, manifest
from modelyard.ops import models, recipes, setup, versions
from modelyard.ops.model_history import status_history
from modelyard.site.build import build_site
from modelyard.storage.registry import Registry
from modelyard.validate import run

FOLDER = "régistre"


@pytest.fixture(params=["cache", "no-cache"])
def accented(request, tmp_path, monkeypatch) -> tuple[Registry, str, str]:
    """A recipe with two versions and a model moved from draft to staging, on `main`."""
    if request.param == "no-cache":
        monkeypatch.setenv("MODELYARD_CACHE", "0")
    reg = setup.init_registry(tmp_path / "repo", subdir=FOLDER)
    git(reg.worktree, "branch", "-M", "main")
    m = manifest("pricing")
    m["parameters"] = {"step": 0}
    rid = recipes.create_recipe(
        reg,
        {"name": "base", "model_family": "pricing", "level": "baseline", "manifest": m},
    ).id
    m["parameters"]["step"] = 1
    versions.create_version(reg, rid, {"manifest_json": m, "change_note": "Step 1"})
    mid = models.register_model(
        reg, {"name": "m", "recipe_id": rid, "recipe_version_id": "1.0.0", "owner": "team"}
    ).id
    models.update_model(reg, mid, {"status": "staging"})
    return Registry.open(reg.root), rid, mid


def test_model_status_history(accented):
    reg, _rid, mid = accented
    every = status_history(reg)
    assert [c.status for c in every[mid]] == ["draft", "staging"]
    assert status_history(reg, mid) == {mid: every[mid]}


def test_version_history(accented):
    reg, rid, _mid = accented
    listed = versions.list_versions(reg, rid).versions
    assert [v.version_number for v in listed] == ["1.0.0", "1.0.1"]
    assert [v.change_note for v in listed][1] == "Step 1"
    assert versions.get_version(reg, rid, "v1.0.0").manifest_json["parameters"] == {"step": 0}


def test_validate_against_a_base(accented):
    reg, rid, _mid = accented
    git(reg.worktree, "switch", "-qc", "change")
    path = reg.root / "recipes" / rid / "manifest.yaml"
    path.write_text(path.read_text().replace("step: 1", "step: 2"))
    report = run(reg, base="main")
    assert f"{FOLDER}/recipes/{rid}/manifest.yaml" in report.changed_files
    assert [p.code for p in report.problems if p.severity == "error"] == ["version-not-bumped"]
    assert [(c.recipe_id, c.status) for c in report.recipe_changes] == [(rid, "changed")]


def test_the_catalog(accented, tmp_path: Path):
    reg, rid, mid = accented
    out = tmp_path / "site"
    build_site(reg, out)
    pages = out / "model-development"
    model = BeautifulSoup((pages / "models" / mid / "index.html").read_text(), "html.parser")
    assert [b.get_text() for b in model.select(".timeline .badge")] == ["draft", "staging"]
    recipe = (pages / "recipes" / rid / "index.html").read_text()
    assert "1.0.1" in recipe and "Step 1" in recipe
