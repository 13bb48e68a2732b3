"""A hostile registry renders as text: no element, attribute, link or script comes from it."""

from __future__ import annotations

import json

import pytest

from modelyard.site.build import build_site
from modelyard.site.render import json_for_script
from site_registry import END_SCRIPT, HOSTILE, SCRIPT, hostile_registry, soup


def test_json_for_script_escapes_everything_that_could_end_a_script():
    value = {"a": END_SCRIPT, "b": "x\u2028y\u2029z", "c": "&'<>"}
    dumped = str(json_for_script(value))
    for char in "<>&'\u2028\u2029":
        assert char not in dumped
    assert json.loads(dumped) == value


@pytest.fixture
def hostile_site(reg, tmp_path):
    ids = hostile_registry(reg)
    out = tmp_path / "site"
    build_site(reg, out)
    return ids, out


def test_no_markup_from_the_registry_reaches_the_pages(hostile_site):
    ids, out = hostile_site
    pages = sorted((out / "model-development").rglob("*.html"))
    assert len(pages) == 9  # the five page kinds, the root, the runs explorer, view, compare
    for path in pages:
        doc = soup(path)
        assert not doc.find_all("img"), path
        for script in doc.find_all("script"):
            assert script.get("src", "").endswith(
                (
                    "assets/site.js",
                    "assets/search.js",
                    "assets/minisearch.js",
                    "assets/data.js",
                    "assets/runs.js",
                    "assets/view.js",
                    "assets/compare.js",
                    "assets/uplot.min.js",
                    "assets/charts.js",
                )
            ) or (script.get("type") == "application/json"), f"{path}: {script}"
        for el in doc.find_all(True):
            for attr, value in el.attrs.items():
                assert not attr.startswith("on"), f"{path}: {el.name} has {attr}"
                if attr in ("href", "src", "action"):
                    assert not str(value).strip().lower().startswith("javascript:"), f"{path}: {el}"
    recipe = soup(out / "model-development" / "recipes" / ids["recipe"] / "index.html")
    assert recipe.h1.get_text() == SCRIPT
    assert [t.get_text() for t in recipe.select(".page-head .tag")][:3] == HOSTILE[:3]
    record = json.loads(recipe.select_one("script#record").string)
    assert record["description"].startswith(END_SCRIPT)
    run = soup(out / "model-development" / "runs" / ids["run"] / "index.html")
    assert run.select_one("pre.logs").get_text() == "\n".join(HOSTILE)
    model = soup(out / "model-development" / "models" / ids["model"] / "index.html")
    assert model.select_one("figure.chart svg title").get_text() in {
        f"{SCRIPT} (drift)",
        f"{HOSTILE[1]} (performance)",
    }
    # the numbers the interactive chart draws: the metric's name survives as text
    labels = {json.loads(d.string)["label"] for d in model.select("figure.chart script.chart-data")}
    assert labels == {SCRIPT, HOSTILE[1]}


def test_the_search_index_cannot_end_its_script(hostile_site):
    _, out = hostile_site
    text = (out / "model-development" / "data" / "search" / "docs.js").read_text(encoding="utf-8")
    for char in "<>\u2028\u2029":
        assert char not in text
    prefix = 'window.MODELYARD_DATA("search/docs", '
    docs = json.loads(text.removeprefix(prefix).rstrip().removesuffix(");"))["docs"]
    assert any(d[2] == SCRIPT for d in docs)
