"""The catalog in headless Chromium: it loads clean from file:// and from a local server,
filters, sorts, searches and navigates, and a hostile registry runs nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from modelyard.site.build import build_site
from site_registry import SCRIPT, hostile_registry, small_site_fixture  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "site"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watched:
    """A page that records console errors, page errors, dialogs and requests leaving the site."""

    def __init__(self, browser, scheme: str = "light", width: int = 1280) -> None:
        self.context = browser.new_context(
            viewport={"width": width, "height": 900}, color_scheme=scheme
        )
        self.context.add_init_script(
            "window.__ran = []; window.alert = (m) => window.__ran.push(String(m));"
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on(
            "request",
            lambda r: (
                r.url.startswith(("file:", "http://127.0.0.1", "data:"))
                or self.outside.append(r.url)
            ),
        )

    def open(self, path: Path | str) -> None:
        self.page.goto(path.resolve().as_uri() if isinstance(path, Path) else path)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def test_the_main_pages_load_clean_in_light_and_dark(browser, small_site):
    ids = small_site.ids
    main = {
        "index": small_site.pages / "index.html",
        "recipe": small_site.pages / "recipes" / ids["retail"] / "index.html",
        "recipe-base": small_site.pages / "recipes" / ids["base"] / "index.html",
        "model": small_site.pages / "models" / ids["prod"] / "index.html",
        "run": small_site.pages / "runs" / ids["runs"][1] / "index.html",
        "chat": small_site.pages / "chat" / "index.html",
    }
    for scheme in ("light", "dark"):
        w = Watched(browser, scheme)
        for name, path in main.items():
            w.open(path)
            assert w.page.locator("h1").count() == 1
            w.shot(f"{name}-{scheme}")
        assert w.errors == [] and w.outside == [] and w.dialogs == []
        w.close()
    narrow = Watched(browser, width=390)
    narrow.open(main["index"])
    assert (
        narrow.page.evaluate("document.documentElement.scrollWidth") <= 390
    )  # no sideways scrolling
    narrow.shot("index-phone")
    narrow.close()


def test_filtering_and_sorting_the_recipe_table(browser, small_site):
    w = Watched(browser)
    w.open(small_site.pages / "index.html")
    table = w.page.locator("#recipes-table tbody tr")
    box = w.page.locator('[data-filters="recipes-table"]')
    assert box.locator("output").inner_text() == "Showing 4 of 4"
    box.get_by_label("Family").select_option("forecasting")
    assert table.locator("visible=true").count() == 1
    assert box.locator("output").inner_text() == "Showing 1 of 4"
    box.get_by_label("Family").select_option("")
    box.get_by_label("Find").fill("acme")
    assert [
        t.strip()
        for t in table.locator("visible=true").locator("td:first-child a").all_inner_texts()
    ] == ["Acme Retail Pricing"]
    box.get_by_label("Find").fill("")
    box.get_by_label("Tag").select_option("retail")  # the clone keeps its source's tags
    assert table.locator("visible=true").count() == 2
    box.get_by_label("Tag").select_option("")
    header = w.page.locator("#recipes-table th", has_text="Version")
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    versions = table.locator("td:nth-child(5)").all_inner_texts()
    assert versions == sorted(versions, key=lambda v: tuple(int(x) for x in v.split(".")))
    header.get_by_role("button").press("Enter")  # keyboard works too
    assert header.get_attribute("aria-sort") == "descending"
    models = w.page.locator('[data-filters="models-table"]')
    models.get_by_label("Owner").select_option("pricing-team")
    assert w.page.locator("#models-table tbody tr").locator("visible=true").count() == 1
    assert w.errors == []
    w.close()


def test_search_is_instant_and_leads_to_the_record(browser, small_site):
    w = Watched(browser)
    w.open(small_site.pages / "index.html")
    w.page.get_by_label("Search the catalog").fill("lightgbm")
    w.page.get_by_label("Search the catalog").press("Enter")
    w.page.wait_for_url(re.compile(r"chat/index\.html\?q=lightgbm"))
    results = w.page.locator("#results li")
    expect(w.page.locator("#search-status")).to_have_text("3 matches.")
    assert results.count() == 3  # the pricing recipes; their manifests name the algorithm
    box = w.page.locator("input#q")
    box.fill("acme")
    expect(w.page.locator("#search-status")).to_have_text("1 match.")  # search is async
    assert results.count() == 1
    box.fill("no-such-thing-anywhere")
    expect(w.page.locator("#search-status")).to_contain_text("Nothing matches")
    assert results.count() == 0
    box.fill(small_site.ids["prod"])
    expect(w.page.locator("#results li a").first).to_have_text("Production Pricing")
    w.page.locator("#results li a").first.click()
    w.page.wait_for_url(re.compile(r"models/model_pricing_prod/index\.html$"))
    assert w.page.locator("h1").inner_text() == "Production Pricing"
    assert w.page.locator("#chat").is_hidden()  # no assistant from file://
    assert w.errors == []
    w.close()


def test_navigating_from_the_library_to_a_recipe_a_model_chart_and_a_run(browser, small_site):
    w = Watched(browser)
    w.open(small_site.pages / "index.html")
    w.page.locator("#recipes-table").get_by_role(
        "link", name="Retail Pricing", exact=True
    ).first.click()
    assert w.page.locator("h1").inner_text() == "Retail Pricing"
    w.page.locator("#models").get_by_role("link", name="Production Pricing", exact=True).click()
    assert w.page.locator("h1").inner_text() == "Production Pricing"
    chart = w.page.get_by_role("img", name="PSI (drift)")
    assert chart.bounding_box()["width"] > 300
    w.page.locator("#runs tbody a.mono").first.click()
    assert w.page.locator("h1").inner_text().startswith("Eval run run_")
    w.page.locator(".page-head").get_by_role("link", name="1.0.0", exact=True).click()
    assert w.page.url.endswith("recipes/recipe_pricing_retail/index.html#ver_pricing_retail_v1.0.0")
    assert w.page.locator("#ver_pricing_retail_v1\\.0\\.0").is_visible()
    assert w.errors == [] and w.outside == []
    w.close()


def test_a_hostile_registry_executes_nothing(browser, reg, tmp_path):
    ids = hostile_registry(reg)
    out = tmp_path / "site"
    build_site(reg, out)
    w = Watched(browser)
    pages = sorted((out / "model-development").rglob("*.html"))
    for path in pages:
        w.open(path)
        assert w.page.locator("img").count() == 0, path
        assert w.page.evaluate("window.__ran") == [], path
    w.open(out / "model-development" / "chat" / "index.html")
    w.page.locator("input#q").fill("alert")
    expect(w.page.locator("#search-status")).to_contain_text("match")  # search is async
    assert w.page.locator("#results li").count() >= 3
    assert w.page.locator("#results li a").first.inner_text() in {
        SCRIPT,
        '"><img src=x onerror=alert(1)>',
    }
    w.page.locator("#results li a", has_text=SCRIPT).first.click()
    assert w.page.locator("h1").inner_text() == SCRIPT
    w.shot("hostile-recipe")
    w.open(out / "model-development" / "models" / ids["model"] / "index.html")
    w.shot("hostile-model")
    assert w.dialogs == [] and w.page.evaluate("window.__ran") == []
    assert w.outside == []
    w.close()


def test_site_serve_previews_the_catalog_and_offers_the_assistant(browser, small_site, tmp_path):
    out = tmp_path / "served"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelyard",
            "--registry",
            str(small_site.reg.root),
            "site",
            "serve",
            "--out",
            str(out),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = None
        for line in proc.stdout:
            found = re.search(r"http://127\.0\.0\.1:\d+/model-development/", line)
            if found:
                url = found.group(0)
                break
        assert url, proc.stderr.read()
        w = Watched(browser)
        w.open(url + "chat/index.html?q=retail")
        assert w.page.locator("#results li").count() >= 2
        # a static preview has no assistant behind it: the page says how to ask instead
        how = w.page.locator("#ask-how")
        assert how.is_visible() and "modelyard chat" in how.inner_text()
        assert "modelyard mcp" in how.inner_text()
        w.page.wait_for_load_state("networkidle")
        assert w.page.locator("#chat").is_hidden()
        w.open(url)
        assert w.page.locator("h1").inner_text() == "repo registry"
        assert [e for e in w.errors if "501" not in e and "404" not in e] == []  # the probe
        assert w.outside == []
        w.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_chat_page_shows_the_assistants_answer_with_linked_records(
    browser, small_site, tmp_path
):
    """The built pages behind a small HTTP server that answers the chat endpoint with the
    real assistant, as `modelyard serve` does."""
    import json
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from modelyard.chat.assistant import answer

    requests: list[dict] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if "/api/ml-development/recipes?" in self.path:  # the API, as modelyard serve has it
                data = json.dumps({"recipes": [], "total": 0}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            super().do_GET()

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append(body)
            data = json.dumps(answer(small_site.reg, body).model_dump(mode="json")).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(small_site.out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        w = Watched(browser)
        w.open(f"http://127.0.0.1:{server.server_address[1]}/model-development/chat/index.html")
        w.page.get_by_label("Your question").fill("tell me about model_pricing_prod")
        w.page.get_by_role("button", name="Ask").click()
        refs = w.page.locator("#chat-log .refs a")
        refs.first.wait_for()
        assert any("model_pricing_prod" in t for t in refs.all_inner_texts())
        w.page.get_by_label("Your question").fill("and its runs?")
        w.page.get_by_role("button", name="Ask").click()
        w.page.locator("#chat-log .msg:not(.me)").nth(1).wait_for()
        assert (
            requests[1]["context"] == json.loads(json.dumps(requests[1]["context"]))
            and requests[1]["context"]
        )
        w.shot("chat-served")
        w.page.locator("#chat-log .refs a", has_text="model_pricing_prod").first.click()
        w.page.wait_for_url(re.compile(r"/model-development/models/model_pricing_prod/$"))
        assert w.page.locator("h1").inner_text() == "Production Pricing"
        assert w.errors == [] and w.outside == []
        w.close()
    finally:
        server.shutdown()
