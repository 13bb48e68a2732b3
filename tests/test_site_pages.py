"""Every page kind of the catalog, rendered from a small registry and read back by parsing."""

from __future__ import annotations

import json

from site_registry import small_site_fixture, soup  # noqa: F401  (fixture)


def rows(table) -> list[list[str]]:
    return [
        [c.get_text(" ", strip=True) for c in tr.find_all("td")]
        for tr in table.tbody.find_all("tr")
    ]


def test_the_landing_page_lists_recipes_models_runs_and_alerts(small_site):
    page = soup(small_site.pages / "index.html")
    recipe_ids = [
        tr.find("div", class_="mono").get_text() for tr in page.select("#recipes-table tbody tr")
    ]
    assert recipe_ids == sorted(
        [
            "recipe_pricing_base",
            "recipe_pricing_retail",
            "recipe_acme_retail_pricing",
            "recipe_forecast_base",
        ]
    )
    retail = page.select_one('#recipes-table tr[data-level="industry"]')
    assert retail["data-model_family"] == "pricing" and retail["data-recipe_status"] == "approved"
    assert retail["data-tag"] == "retail"
    families = {f.h3.contents[0].strip(): f for f in page.select(".family")}
    assert set(families) == {"pricing", "forecasting"}
    client_level = next(
        lv for lv in families["pricing"].select(".level") if lv.h4.get_text() == "client"
    )
    assert [a.get_text() for a in client_level.select("a")] == ["Acme Retail Pricing"]
    models = {
        tr.find("div", class_="mono").get_text(): tr for tr in page.select("#models-table tbody tr")
    }
    assert models["model_pricing_prod"]["data-model_status"] == "production"
    assert models["model_pricing_prod"].select_one(".b-alert") is not None
    assert models["model_forecast_draft"].select_one(".b-alert") is None
    alert_cards = page.select("#alerts .alert-card")
    assert len(alert_cards) == 1 and "PSI 0.25 above alert 0.2" in alert_cards[0].get_text()
    run_links = [a.get_text() for a in page.select("#runs tbody tr td:first-child a")]
    assert run_links == [small_site.ids["failed_run"], *reversed(small_site.ids["runs"])]
    assert (
        page.select_one(".stats")
        .get_text(" ", strip=True)
        .startswith("4 recipes 2 models 4 runs 1 with alerts")
    )
    owners = [o.get_text() for o in page.select('select[data-filter="owner"] option')]
    assert owners == ["all", "forecast-team", "pricing-team"]


def test_a_recipe_page_shows_lineage_provenance_versions_and_users(small_site):
    page = soup(small_site.pages / "recipes" / "recipe_pricing_retail" / "index.html")
    assert page.h1.get_text() == "Retail Pricing"
    tree = page.select_one("ul.tree")
    assert [n.get_text() for n in tree.select(".node")] == [
        "Pricing Baseline",
        "Retail Pricing",
        "Acme Retail Pricing",
    ]
    assert tree.select_one(".node.current").get_text() == "Retail Pricing"
    manifest = {r[0]: r for r in rows(page.select_one("table.manifest"))}
    assert manifest["model.hyperparameters.learning_rate"][1:] == ["0.05", "Pricing Baseline"]
    assert manifest["evaluation.metrics"][1] == '["MAPE", "revenue_lift"]'
    behind = page.select_one('[aria-labelledby="behind-h"]').get_text(" ", strip=True)
    assert "1 version behind" in behind and "1.0.1" in behind
    assert [a.get_text() for a in page.select("#models tbody a")][:1] == ["Production Pricing"]
    assert len(page.select("#runs tbody tr")) == 3
    record = json.loads(page.select_one("script#record").string)
    assert record["id"] == "recipe_pricing_retail" and record["parent_id"] == "recipe_pricing_base"


def test_versions_are_linkable_sections_with_a_readable_diff(small_site):
    page = soup(small_site.pages / "recipes" / "recipe_pricing_base" / "index.html")
    sections = page.select("article.version")
    assert [s["id"] for s in sections] == ["ver_pricing_base_v1.0.1", "ver_pricing_base_v1.0.0"]
    latest = sections[0]
    assert latest.select_one(".note").get_text() == "Lower the learning rate"
    assert rows(latest.select_one("table.diff")) == [
        ["change patch", "model.hyperparameters.learning_rate", "0.05", "0.03"]
    ]
    assert "Test User" in latest.get_text() and "2024-03-03 09:00" in latest.get_text()
    synthetic = page.select_one("#synthetic")
    tables = synthetic.select("table")
    assert rows(tables[0]) == [["base_price", "dtype: float"], ["units_sold", "dtype: int"]]
    assert [th.get_text() for th in tables[1].select("th")] == ["base_price", "units_sold"]
    assert rows(tables[1]) == [["9.99", "120"], ["12.5", "80"]]
    # the client recipe's page links the parent's version it is built on
    client = soup(small_site.pages / "recipes" / "recipe_acme_retail_pricing" / "index.html")
    assert (
        client.select_one('article.version a[href$="recipe_pricing_retail/index.html"]') is not None
    )


def test_a_model_page_shows_status_history_and_charts_with_thresholds(small_site):
    page = soup(small_site.pages / "models" / "model_pricing_prod" / "index.html")
    assert [b.get_text() for b in page.select(".timeline .badge")] == [
        "draft",
        "staging",
        "production",
    ]
    assert "2024-03-09 09:00" in page.select(".timeline li")[2].get_text()
    charts = {f.figcaption.strong.get_text(): f for f in page.select("figure.chart")}
    assert set(charts) == {"MAPE (performance)", "revenue_lift (performance)", "PSI (drift)"}
    psi = charts["PSI (drift)"]
    assert psi.svg.title.get_text() == "PSI (drift)"
    assert [li.get_text(" ", strip=True) for li in psi.select(".legend li")] == [
        "PSI (latest 0.25)",
        "warn 0.1",
        "alert 0.2",
    ]
    assert len(psi.select("circle.dot")) == 4
    assert {c for line in psi.select("line.threshold") for c in line["class"]} >= {
        "th-warn",
        "th-alert",
    }
    lift = charts["revenue_lift (performance)"]
    assert [li.get_text(" ", strip=True) for li in lift.select(".legend li")][
        1
    ] == "monitoring min 0.02"
    mape = charts["MAPE (performance)"]
    assert "acceptance max 0.2" in mape.get_text(" ", strip=True)
    latest = page.select_one('[aria-labelledby="latest-h"]').get_text(" ", strip=True)
    assert "PSI 0.25 above alert 0.2" in latest and "24 hours" in latest
    assert len(page.select("#runs tbody tr")) == 3


def test_a_run_page_compares_metrics_with_the_recipes_other_runs(small_site):
    run_id = small_site.ids["runs"][1]  # revenue_lift 0.042, the best of three
    page = soup(small_site.pages / "runs" / run_id / "index.html")
    metrics = {r[0]: r for r in rows(page.select_one("#metrics table"))}
    assert metrics["revenue_lift"] == [
        "revenue_lift",
        "0.042",
        "3",
        "0.031",
        "0.038",
        "0.042",
        "higher",
        "1 of 3",
    ]
    assert metrics["MAPE"][1] == "0.12"
    # lower is better for MAPE (the recipe accepts a maximum): the lowest value is first
    mape_values = sorted(float(v) for v in metrics["MAPE"][3:6])
    assert metrics["MAPE"][6] == "lower"
    assert metrics["MAPE"][7] == f"{1 + sum(v < 0.12 for v in mape_values)} of 3"
    siblings = page.select("#metrics table")[1]
    assert siblings.select_one("tr.current").td.get_text(" ", strip=True).startswith(run_id)
    assert (
        "s3://bucket/models/1.pkl" in page.select_one('[aria-labelledby="artifacts-h"]').get_text()
    )
    assert page.select_one("pre.logs").get_text() == "Training started\nEpoch 1/10\nrun 1 done\n"
    timing = page.select_one('[aria-labelledby="timing-h"]').get_text(" ", strip=True)
    assert (
        "Started 2024-03-11 10:00 UTC Finished 2024-03-11 11:00 UTC Duration 1h 00m 00s" in timing
    )


def _data(path):
    text = path.read_text()
    name = path.relative_to(path.parents[2]).as_posix().removesuffix(".js").split("data/")[-1]
    prefix = f'window.MODELYARD_DATA("{name}", '
    assert text.startswith(prefix), path
    return json.loads(text[len(prefix) :].rstrip().removesuffix(");"))


def test_the_search_page_and_its_chunked_index(small_site):
    page = soup(small_site.pages / "chat" / "index.html")
    assert page.select_one("input#q")["type"] == "search"
    assert page.select_one("label[for=q]") is not None
    folder = small_site.pages / "data" / "search"
    index = _data(folder / "docs.js")
    kinds = sorted({d[0] for d in index["docs"]})
    assert kinds == ["model", "recipe", "run"]
    chunks = {p.name for p in folder.glob("t-*.js")}
    assert chunks == {f"t-{c}.js" for c in index["chunks"]}
    base = next(n for n, d in enumerate(index["docs"]) if d[1] == "recipe_pricing_base")
    lightgbm = _data(folder / "t-l.js")["lightgbm"]
    assert [base, 1] in lightgbm  # a manifest value, weight 1
    assert [base, 3] in _data(folder / "t-r.js")["recipe_pricing_base"]  # its id, weight 3
    assert all(t.startswith("o") for t in _data(folder / "t-o.js"))
    assert (small_site.pages / index["docs"][base][3]).is_file()


def test_every_page_has_a_title_one_h1_and_labelled_controls(small_site):
    for path in small_site.pages.rglob("*.html"):
        page = soup(path)
        assert page.title and page.title.get_text().strip(), path
        assert len(page.find_all("h1")) == 1, path
        for control in page.select("input, select, textarea"):
            labelled = control.find_parent("label") or (
                control.get("id") and page.select_one(f'label[for="{control["id"]}"]')
            )
            assert labelled, f"{path}: {control}"
        for button in page.select("button"):
            assert button.get_text(strip=True), f"{path}: {button}"


def test_the_lineage_tree_folds_branches_away_from_the_recipe(reg, tmp_path):
    from conftest import manifest
    from modelyard.ops import recipes
    from modelyard.site.build import build_site

    recipes.create_recipe(
        reg,
        {
            "id": "recipe_root",
            "name": "Root",
            "model_family": "pricing",
            "level": "baseline",
            "manifest": manifest(),
        },
    )
    for name in ("a", "b"):
        recipes.create_recipe(
            reg,
            {
                "id": f"recipe_{name}",
                "name": name.upper(),
                "model_family": "pricing",
                "level": "industry",
                "parent_id": "recipe_root",
            },
        )
        recipes.create_recipe(
            reg,
            {
                "id": f"recipe_{name}_client",
                "name": f"{name.upper()} client",
                "model_family": "pricing",
                "level": "client",
                "parent_id": f"recipe_{name}",
            },
        )
    build_site(reg, tmp_path / "site")
    page = soup(tmp_path / "site" / "model-development" / "recipes" / "recipe_a" / "index.html")
    tree = page.select_one("ul.tree")
    assert [n.get_text() for n in tree.select(".node")] == ["Root", "A", "A client", "B"]
    folded = tree.select("li")[-1].get_text(" ", strip=True)
    assert folded.startswith("B") and "and 1 below" in folded
    root = soup(tmp_path / "site" / "model-development" / "recipes" / "recipe_root" / "index.html")
    assert len(root.select("ul.tree .node")) == 5


def test_the_documented_context_is_what_each_template_receives(small_site, monkeypatch):
    """docs/catalog.md lists each page's variables; the templates get exactly those."""
    import re
    from pathlib import Path

    from modelyard.site import outputs
    from modelyard.site.build import build_site

    doc = (Path(__file__).resolve().parents[1] / "docs" / "catalog.md").read_text(encoding="utf-8")
    table = doc[doc.index("What each page's template receives") :].split("\n\n")[1]
    documented = {}
    for line in table.splitlines():
        m = re.match(r"\| (every page|`(\w+)\.html`) \| (.*) \|$", line)
        if m:
            documented[m.group(2) or "*"] = set(
                re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", m.group(3)))
            )
    common = {n for n in documented["*"] if n != "modelyard_version"}  # a global, not context
    seen: dict[str, set[str]] = {}
    original = outputs.Site.page

    def spy(self, rel, template, context):
        output = original(self, rel, template, context)
        seen[template.removesuffix(".html")] = set(context) | {
            "root",
            "api_root",
            "page_path",
            "canonical",
            "site_name",
        }
        return output

    monkeypatch.setattr(outputs.Site, "page", spy)
    build_site(small_site.reg, small_site.out.parent / "context-check", incremental=False)
    assert set(seen) == set(documented) - {"*"}
    for page, names in seen.items():
        assert names == common | documented[page], page
