"""The served product in a real headless Chromium: the API documentation at /docs renders
every operation from this server alone (no CDN), and / leads to the catalog."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from modelyard.storage.registry import Registry
from server_support import ServerProcess, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def server(reg: Registry, base_recipe: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(reg.root, log_dir=tmp_path) as s:
        yield s


@pytest.fixture
def page(server: ServerProcess) -> Iterator[tuple[object, list[str]]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)")
    from playwright import sync_api

    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page()

        def only_loopback(route) -> None:  # type: ignore[no-untyped-def]
            if urlparse(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        pg.route("**/*", only_loopback)
        try:
            yield pg, outside
        finally:
            browser.close()


def test_docs_render_every_operation_offline(server: ServerProcess, page) -> None:  # type: ignore[no-untyped-def]
    pg, outside = page
    pg.goto(server.url("/docs"))
    pg.wait_for_selector(".opblock-summary", timeout=30_000)
    summaries = pg.locator(".opblock-summary-description").all_inner_texts()
    for name in (
        "List Recipes",
        "Clone Recipe",
        "Create Version",
        "Register Model",
        "Update Run",
        "List Monitoring Snapshots",
        "Create Synthetic Example",
        "Chat",
        "Check Promotion Gate",
        "Roll Back Production",
    ):
        assert name in summaries, summaries
    # every operation of the document is rendered, however many there are
    document = json.loads(urllib.request.urlopen(server.url("/openapi.json")).read())
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert len(summaries) == len(operations) >= 28
    assert outside == []


def test_try_it_out_reads_the_registry(server: ServerProcess, page, base_recipe: str) -> None:  # type: ignore[no-untyped-def]
    pg, outside = page
    pg.goto(server.url("/docs"))
    block = pg.locator("#operations-Recipes-get_recipe")
    block.wait_for(timeout=30_000)
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    block.locator("input[placeholder='recipe_id']").fill(base_recipe)
    block.get_by_role("button", name="Execute").click()
    live = block.locator(".live-responses-table")
    live.wait_for(timeout=30_000)
    text = live.inner_text()
    assert f'"id": "{base_recipe}"' in text and "200" in text
    assert outside == []


def test_home_leads_to_the_catalog(server: ServerProcess, page) -> None:  # type: ignore[no-untyped-def]
    pg, _ = page
    pg.goto(server.url("/"))
    assert urlparse(pg.url).path == "/model-development/"
    assert pg.locator("body").inner_text().strip()
