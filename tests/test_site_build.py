"""Building: reproducible bytes, incremental rebuilds, template overrides, the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from conftest import manifest
from modelyard.cli.main import cli
from modelyard.ops import models, recipes
from modelyard.site.build import STATE_FILE, build_site
from site_registry import clock_at, small_registry, small_site_fixture, soup  # noqa: F401  (fixture)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_same_registry_gives_byte_identical_output(small_site, tmp_path, monkeypatch):
    again = tmp_path / "again"
    build_site(small_site.reg, again, incremental=False)
    assert tree(again) == tree(small_site.out)
    footer = soup(again / "model-development" / "index.html").select_one("footer").get_text()
    assert "2024-03-18T09:00:00Z" in footer  # the last commit's time, not the clock's
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pinned = tmp_path / "pinned"
    build_site(small_site.reg, pinned)
    assert (
        "2023-11-14T22:13:20Z"
        in soup(pinned / "model-development" / "index.html").select_one("footer").get_text()
    )


def test_a_rebuild_rewrites_only_what_changed_and_removes_what_is_gone(reg, tmp_path):
    ids = small_registry(reg)
    with clock_at(20):
        recipes.create_recipe(
            reg,
            {
                "id": "recipe_short_lived",
                "name": "Short lived",
                "model_family": "pricing",
                "level": "baseline",
                "manifest": manifest(),
            },
        )
    out = tmp_path / "site"
    first = build_site(reg, out)
    assert first.written and not first.removed
    run_page = out / "model-development" / "runs" / ids["failed_run"] / "index.html"
    before = run_page.stat().st_mtime_ns

    nothing = build_site(reg, out)
    assert nothing.written == [] and nothing.removed == [] and nothing.files == first.files

    with clock_at(21):
        models.update_model(reg, ids["draft_model"], {"owner": "planning-team"})
        recipes.delete_recipe(reg, "recipe_short_lived")
    report = build_site(reg, out)
    written = set(report.written)
    assert "model-development/models/model_forecast_draft/index.html" in written
    assert "api/ml-development/models/model_forecast_draft.json" in written
    assert "model-development/index.html" in written
    assert (
        "model-development/recipes/recipe_forecast_base/index.html" in written
    )  # lists the model's owner
    assert "model-development/models/model_pricing_prod/index.html" not in written
    assert f"model-development/runs/{ids['runs'][0]}/index.html" not in written
    assert run_page.stat().st_mtime_ns == before
    assert set(report.removed) == {
        "model-development/recipes/recipe_short_lived/index.html",
        "api/ml-development/recipes/recipe_short_lived.json",
        "api/ml-development/recipes/recipe_short_lived/versions.json",
        "api/ml-development/recipes/recipe_short_lived/versions/ver_short_lived_v1.0.0.json",
        "model-development/data/recipes/recipe_short_lived.js",
    }
    assert not (out / "model-development" / "recipes" / "recipe_short_lived").exists()
    assert not (out / "api" / "ml-development" / "recipes" / "recipe_short_lived").exists()
    # and the result is what a clean build gives
    clean = tmp_path / "clean"
    build_site(reg, clean)
    assert tree(clean) == tree(out)


def test_files_the_build_did_not_make_are_left_alone(small_site, tmp_path):
    out = tmp_path / "site"
    build_site(small_site.reg, out)
    (out / "CNAME").write_text("catalog.example.com\n")
    state = json.loads((out / STATE_FILE).read_text())
    assert "CNAME" not in state["files"]
    build_site(small_site.reg, out, incremental=False)
    assert (out / "CNAME").read_text() == "catalog.example.com\n"


def test_a_registry_overrides_templates_and_assets(reg, tmp_path):
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_one",
            "name": "One",
            "model_family": "pricing",
            "level": "baseline",
            "manifest": manifest(),
        },
    )
    override = reg.root / "templates"
    (override / "assets").mkdir(parents=True)
    (override / "assets" / "site.css").write_text("body { color: rebeccapurple; }\n")
    (override / "chat.html").write_text(
        '{% extends "base.html" %}{% block main %}'
        '<h1 id="custom">Ask {{ site_name }}</h1>{% endblock %}\n'
    )
    out = tmp_path / "site"
    build_site(reg, out)
    pages = out / "model-development"
    assert (pages / "assets" / "site.css").read_text() == "body { color: rebeccapurple; }\n"
    assert (pages / "assets" / "site.js").is_file()  # the built-in assets are still there
    assert (
        soup(pages / "chat" / "index.html").select_one("h1#custom").get_text()
        == "Ask repo registry"
    )
    assert soup(pages / "index.html").select_one("h1").get_text() == "repo registry"


def test_base_url_gives_canonical_links_and_pages_stay_relative(small_site, tmp_path):
    out = tmp_path / "site"
    build_site(small_site.reg, out, base_url="https://org.example.io/catalog/")
    page = soup(out / "model-development" / "recipes" / "recipe_pricing_base" / "index.html")
    assert page.select_one("link[rel=canonical]")["href"] == (
        "https://org.example.io/catalog/model-development/recipes/recipe_pricing_base/index.html"
    )
    assert page.select_one("link[rel=stylesheet]")["href"] == "../../assets/site.css"


def test_parallel_rendering_gives_the_same_bytes(small_site, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELYARD_SITE_WORKERS", "2")
    monkeypatch.setattr("modelyard.site.build.CHUNK", 3)
    out = tmp_path / "site"
    report = build_site(small_site.reg, out)
    assert report.workers == 2
    assert tree(out) == tree(small_site.out)


def test_site_build_from_the_cli(small_site, tmp_path):
    out = tmp_path / "cli-site"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["--registry", str(small_site.reg.root), "site", "build", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Built {len(tree(small_site.out)) - 1} files in {out}")
    assert tree(out) == tree(small_site.out)
    result = runner.invoke(
        cli, ["--registry", str(small_site.reg.root), "site", "build", "--out", str(out), "--json"]
    )
    assert json.loads(result.output)["written"] == 0


def test_the_catalog_is_never_written_over_the_registry(small_site):
    runner = CliRunner()
    repo = small_site.reg.root.parent
    result = runner.invoke(
        cli, ["--registry", str(small_site.reg.root), "site", "build", "--out", str(repo)]
    )
    assert result.exit_code == 1
    assert (
        f"the catalog cannot be written to {repo}: the registry {small_site.reg.root} is inside it"
        in (result.output)
    )
    assert not (repo / "model-development").exists()
    assert set(os.listdir(repo)) == {".git", "registry"}
    inside = small_site.reg.root / "site"
    result = runner.invoke(
        cli, ["--registry", str(small_site.reg.root), "site", "build", "--out", str(inside)]
    )
    assert result.exit_code == 1
    assert f"the catalog cannot be written to {inside}: it is inside the registry" in result.output
    assert not inside.exists()


def test_a_broken_template_names_its_file_and_line(small_site, tmp_path):
    import shutil

    registry = tmp_path / "repo" / "registry"
    shutil.copytree(small_site.reg.root.parent, tmp_path / "repo")
    (registry / "templates").mkdir()
    (registry / "templates" / "run.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n'
        "<h1>{{ run.id }}</h1>\n<p>{{ run.no_such_field }}</p>\n"
        "{% endblock %}\n"
    )
    result = CliRunner().invoke(
        cli, ["--registry", str(registry), "site", "build", "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first == (
        "Error: template registry/templates/run.html, line 4: "
        "'dict object' has no attribute 'no_such_field'"
    )
    (registry / "templates" / "run.html").write_text("{% block main %}\n{% if %}\n")
    result = CliRunner().invoke(
        cli, ["--registry", str(registry), "site", "build", "--out", str(tmp_path / "s")]
    )
    assert result.stderr.splitlines()[0].startswith(
        "Error: template registry/templates/run.html, line 2: "
    )


def test_progress_shows_every_phase_from_its_start_with_counts_on_a_terminal(monkeypatch, reg):
    from modelyard.cli import site as site_cli

    class Terminal:
        def __init__(self, tty: bool) -> None:
            self.tty, self.text = tty, ""

        def isatty(self) -> bool:
            return self.tty

        def write(self, text: str) -> int:
            self.text += text
            return len(text)

        def flush(self) -> None:
            pass

    calls: list[tuple[int, int, str]] = []
    build_site(reg, reg.root.parent.parent / "progress-site", progress=lambda *a: calls.append(a))
    phases = [c[2] for c in calls]
    assert phases[0] == "reading" and phases[1].startswith("read 0 recipes, 0 models, 0 runs")
    assert calls[2][0] == 0 and calls[2][2] == "rendering" and calls[2][1] > 0  # at its start
    assert calls[-1][0] == calls[-1][1]

    for tty, shown in ((True, True), (False, False)):
        stream = Terminal(tty)
        monkeypatch.setattr(site_cli.sys, "stderr", stream)
        progress = site_cli._Progress()
        progress(0, 0, "reading")
        progress(0, 0, "read 3 recipes, 2 models, 10 runs, 4 snapshots")
        for done in (0, 200, 400, 500):
            progress(done, 500, "rendering")
        progress.close()
        assert ("Reading the registry" in stream.text) is shown, tty
        assert ("Read 3 recipes, 2 models, 10 runs" in stream.text) is shown, tty
        assert ("Rendering 500 jobs" in stream.text) is shown, tty
        if shown:
            assert "500/500" in stream.text
