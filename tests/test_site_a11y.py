"""Every page kind in Chromium at 1280 and 390 px, light and dark: no sideways scrolling
of the page, and axe-core (vendored in tests/vendor/axe.min.js) finds nothing serious or
critical."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_registry import small_site_fixture  # noqa: F401  (fixture)
from test_site_browser import CHROMIUM, browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def page_kinds(site) -> dict[str, str]:
    ids = site.ids
    pages = site.pages
    run = ids["runs"][1]
    month = site.reg.root.joinpath("runs").glob(f"*/{run}")
    shard = next(month).parent.name
    return {
        "index": (pages / "index.html").as_uri(),
        "recipe": (pages / "recipes" / ids["retail"] / "index.html").as_uri(),
        "model": (pages / "models" / ids["prod"] / "index.html").as_uri(),
        "run": (pages / "runs" / run / "index.html").as_uri(),
        "chat": (pages / "chat" / "index.html").as_uri() + "?q=pricing",
        "runs": (pages / "runs" / "index.html").as_uri(),
        "run-view": (pages / "runs" / "view.html").as_uri() + f"?id={run}&m={shard}",
        "compare": (pages / "runs" / "compare.html").as_uri()
        + f"?run={run}@{shard}&run={ids['runs'][0]}@{shard}",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_kind_fits_and_passes_axe(browser, small_site, width, scheme):  # noqa: F811
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, bypass_csp=True
    )
    page = context.new_page()
    problems = []
    for name, url in page_kinds(small_site).items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if name in ("model", "compare"):  # axe reads the interactive charts, once drawn
            page.wait_for_selector(".chart.live canvas")
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            """async () => {
              const r = await axe.run(document, {resultTypes: ["violations"]});
              return r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3)
                  .map(n => n.target.join(" ")).join(", "));
            }"""
        )
        problems += [f"{name} at {width} px, {scheme}: {f}" for f in found]
        overflow = page.evaluate("document.documentElement.scrollWidth")
        if overflow > width:
            problems.append(f"{name} at {width} px, {scheme}: the page is {overflow} px wide")
    context.close()
    assert not problems, "\n".join(problems)
