"""The JSON mirrors equal what the API (ops, the CLI's --json and the server) returns."""

from __future__ import annotations

import json

from modelyard.cli.common import to_json
from modelyard.ops import models, monitoring, recipes, runs, synthetic, versions
from site_registry import small_site_fixture  # noqa: F401  (fixture)


def read(small_site, rel: str):
    return json.loads((small_site.api / rel).read_text(encoding="utf-8"))


def test_every_mirror_equals_the_operation_it_mirrors(small_site):
    reg = small_site.reg
    expected = {
        "recipes.json": recipes.list_recipes(reg),
        "models.json": models.list_models(reg),
        "runs.json": runs.list_runs(reg),
    }
    for r in recipes.list_recipes(reg).recipes:
        expected[f"recipes/{r.id}.json"] = recipes.get_recipe(reg, r.id)
        vs = versions.list_versions(reg, r.id)
        expected[f"recipes/{r.id}/versions.json"] = vs
        for v in vs.versions:
            expected[f"recipes/{r.id}/versions/{v.version_id}.json"] = versions.get_version(
                reg, r.id, v.version_id
            )
    expected["recipes/recipe_pricing_base/synthetic-example.json"] = synthetic.get_synthetic(
        reg, "recipe_pricing_base"
    )
    for m in models.list_models(reg).models:
        expected[f"models/{m.id}.json"] = models.get_model(reg, m.id)
        expected[f"models/{m.id}/monitoring.json"] = monitoring.list_snapshots(reg, m.id)
    for r in runs.list_runs(reg).runs:
        expected[f"runs/{r.id}.json"] = runs.get_run(reg, r.id)
    for rel, record in expected.items():
        assert read(small_site, rel) == to_json(record), rel
    on_disk = {p.relative_to(small_site.api).as_posix() for p in small_site.api.rglob("*.json")}
    assert on_disk == set(expected)
    # the CLI prints with the same serializer and layout, so the files are byte-equal too
    text = (small_site.api / "recipes.json").read_text(encoding="utf-8")
    assert (
        text == json.dumps(to_json(expected["recipes.json"]), indent=2, ensure_ascii=False) + "\n"
    )


def test_long_lists_are_paged_as_the_api_pages_them(small_site, tmp_path, monkeypatch):
    from modelyard.site import outputs
    from modelyard.site.build import build_site

    monkeypatch.setattr(outputs, "DEFAULT_LIMIT", 3)  # four runs: a full page and one more
    out = tmp_path / "site"
    build_site(small_site.reg, out)
    api = out / "api" / "ml-development"
    first = json.loads((api / "runs.json").read_text())
    second = json.loads((api / "runs" / "page-2.json").read_text())
    assert first == to_json(runs.list_runs(small_site.reg, limit=3))
    assert second == to_json(runs.list_runs(small_site.reg, limit=3, offset=3))
    assert len(second["runs"]) == 1 and second["total"] == 4
    assert not (api / "runs" / "page-3.json").exists()
