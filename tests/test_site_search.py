"""Search in Chromium over the demo catalog: a misspelt word is found, the beginning of a
word is enough, matches are highlighted, and a query loads only the chunks it needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from modelyard.site.build import build_site
from modelyard.storage.registry import Registry
from test_site_browser import Watched, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo-search") / "site"
    build_site(Registry(ROOT / "registry"), out)
    return out / "model-development"


def test_fuzzy_and_prefix_search_with_highlighting(browser, demo_pages):  # noqa: F811
    w = Watched(browser)
    loaded: list[str] = []
    w.page.on(
        "request", lambda r: "/data/search/" in r.url and loaded.append(r.url.rsplit("/", 1)[1])
    )
    w.open((demo_pages / "chat" / "index.html").as_uri() + "?q=freshmrt")
    results = w.page.locator("#results li")
    results.first.wait_for()
    names = results.locator("a").all_inner_texts()
    assert names and all("FreshMart" in n for n in names[:2])
    assert w.page.locator("#results li a mark").first.inner_text() == "FreshMart"
    assert sorted(loaded) == ["docs.js", "t-f.js"]  # the one chunk the word needs

    box = w.page.locator("input#q")
    box.fill("northw")  # the beginning of a word
    expect(w.page.locator("#results li a mark").first).to_have_text("Northwind")
    assert all("orthwind" in t.lower() for t in results.locator("a").all_inner_texts()[:1])
    box.fill("zzzqqq")
    expect(w.page.locator("#search-status")).to_contain_text("Nothing matches")
    assert results.count() == 0
    assert w.errors == []
    w.close()
