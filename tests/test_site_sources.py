"""Pull-request editors: every recipe and model page shows its files' raw YAML, and with
`catalog_edit_url` in modelyard.yaml, a link to edit each file on the forge."""

from __future__ import annotations

from bs4 import BeautifulSoup

from conftest import manifest
from modelyard.ops import models, recipes
from modelyard.site.build import build_site
from modelyard.storage.registry import Registry


def test_raw_yaml_and_edit_links(reg, tmp_path):
    recipe = recipes.create_recipe(
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
        {"name": "P", "recipe_id": recipe.id, "recipe_version_id": "1.0.0", "owner": "team"},
    )
    out = tmp_path / "plain"
    build_site(reg, out)
    page = BeautifulSoup(
        (out / f"model-development/recipes/{recipe.id}/index.html").read_text(), "html.parser"
    )
    files = {d.summary.get_text(strip=True): d for d in page.select("#source details")}
    top = reg.display(f"recipes/{recipe.id}/manifest.yaml")
    assert top in files
    assert (
        files[top].pre.get_text() == (reg.root / f"recipes/{recipe.id}/manifest.yaml").read_text()
    )
    assert not page.select("#source a")  # no forge configured: no edit link

    settings = reg.root / "modelyard.yaml"
    settings.write_text(
        settings.read_text().replace(
            "catalog_edit_url: null",
            "catalog_edit_url: https://git.example/o/r/-/edit/main/{path}",
        )
    )
    out = tmp_path / "edit"
    build_site(Registry(reg.root), out)
    page = BeautifulSoup(
        (out / f"model-development/models/{model.id}/index.html").read_text(), "html.parser"
    )
    link = page.select_one("#source a")
    assert link.get_text() == "Edit this file"
    assert link["href"] == "https://git.example/o/r/-/edit/main/" + reg.display(
        f"models/{model.id}/model.yaml"
    )
