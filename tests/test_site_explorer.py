"""The runs explorer, the run view and the comparison view in headless Chromium, over a
generated registry of 20,000 runs built without per-run pages (the large layout)."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from modelyard.site.build import build_site
from modelyard.storage.registry import Registry
from test_site_browser import Watched, browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks/generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_generate", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, int]]]:
    """The `runs20k` size of benchmarks/generate.py, built once; and how many runs have
    each status, counted from the run files themselves."""
    base = tmp_path_factory.mktemp("runs20k")
    _generator().generate(base / "repo", "runs20k", 7, quiet=True)
    reg = Registry(base / "repo" / "registry")
    report = build_site(reg, base / "site")
    assert not any("/runs/run_" in w for w in report.written)  # no page per run
    statuses = Counter(
        re.search(rb"^status: (\w+)", p.read_bytes(), re.M).group(1).decode()
        for p in (reg.root / "runs").glob("*/*/run.yaml")
    )
    assert sum(statuses.values()) >= 20_000
    yield base / "site" / "model-development", dict(statuses)


def _loaded(w: Watched) -> str:
    status = w.page.locator("#runs-status")
    # every month loaded: the status no longer says how many are (a predicate evaluated in
    # the page would break its Content-Security-Policy, so Playwright's own matcher)
    expect(status).to_have_text(
        re.compile(r"^(Runs \d+ to \d+ of \d+ matching\.|No run matches these filters\.)$"),
        timeout=60_000,
    )
    return status.inner_text()


def test_the_explorer_pages_and_filters_every_run(browser, big):  # noqa: F811
    pages, statuses = big
    total = sum(statuses.values())
    w = Watched(browser)
    w.open(pages / "runs" / "index.html")
    assert _loaded(w) == f"Runs 1 to 50 of {total} matching."
    rows = w.page.locator("#runs-body tr")
    assert rows.count() == 50
    first_page = rows.first.locator("td").nth(1).inner_text()
    w.page.get_by_role("button", name="Next").click()
    assert w.page.locator("#runs-status").inner_text() == f"Runs 51 to 100 of {total} matching."
    assert rows.first.locator("td").nth(1).inner_text() != first_page
    assert "page=2" in w.page.url

    status, count = min(statuses.items(), key=lambda kv: kv[1])  # the rarest status
    w.page.get_by_label("Status").select_option(status)
    assert w.page.locator("#runs-status").inner_text().endswith(f"of {count} matching.")
    badges = rows.locator(".badge").all_inner_texts()
    assert badges and set(badges) == {status}
    assert "page=" not in w.page.url and f"status={status}" in w.page.url
    assert w.errors == [] and w.outside == []
    w.close()


def test_sorting_by_a_metric_respects_its_direction(browser, big):  # noqa: F811
    pages, _ = big
    w = Watched(browser)
    w.open((pages / "runs" / "index.html").as_uri() + "?metric=MAPE&sort=best")
    _loaded(w)
    assert "lower is better" in w.page.locator("#metric-head").text_content()
    values = [float(v) for v in w.page.locator("#runs-body tr td:last-child b").all_inner_texts()]
    assert len(values) == 50 and values == sorted(values)
    w.close()


def test_a_run_view_and_the_comparison_of_two_runs(browser, big):  # noqa: F811
    pages, _ = big
    w = Watched(browser)
    w.open((pages / "runs" / "index.html").as_uri() + "?metric=MAPE")
    _loaded(w)
    ids = w.page.locator("#runs-body tr td:nth-child(2) a").all_inner_texts()[:2]
    w.page.get_by_label(f"compare {ids[0]}").check()
    w.page.get_by_label(f"compare {ids[1]}").check()
    w.page.get_by_role("link", name="Compare 2 runs").click()
    expect(w.page.locator("#compare-status")).to_contain_text("metrics")
    head = w.page.locator("#compare-head").text_content()
    assert ids[0] in head and ids[1] in head
    mape = w.page.locator("#compare-body tr", has_text="MAPE")
    assert "lower is better" in mape.text_content()
    cells = mape.locator("td")
    values = [float(cells.nth(i).locator("b").inner_text()) for i in range(2)]
    best = cells.nth(values.index(min(values)))
    if values[0] != values[1]:
        assert "best" in best.inner_text()
        second = cells.nth(1).inner_text()
        assert ("better" in second) == (values[1] < values[0])
    # the overlay: a canvas with one series per run (and uPlot's x)
    expect(w.page.locator("#compare-chart.live canvas")).to_have_count(1)
    assert w.page.evaluate("modelyardCharts.instances[0].u.series.length") == 3

    w.page.get_by_role("link", name=ids[0]).click()
    w.page.wait_for_selector("#run-body:not([hidden])")
    assert ids[0] in w.page.locator("h1").text_content()
    metrics = w.page.locator("#run-metrics tr", has_text="MAPE").locator("td").all_inner_texts()
    assert metrics[6] == "lower" and re.fullmatch(r"\d+ of \d+", metrics[7])
    assert w.page.locator("#run-siblings tr.current").count() == 1
    assert w.errors == [] and w.outside == []
    w.close()


def test_the_large_layout_fits_a_phone(browser, big):  # noqa: F811
    pages, _ = big
    w = Watched(browser, width=390)
    for rel in ("index.html", "runs/index.html"):
        w.open(pages / rel)
        w.page.wait_for_load_state("load")
        assert w.page.evaluate("document.documentElement.scrollWidth") <= 390, rel
    assert w.errors == []
    w.close()
