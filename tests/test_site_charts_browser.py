"""The catalog's interactive charts (uPlot, drawn by assets/charts.js) in headless Chromium:
one series per metric or run, a time axis on calendar dates, the tooltip of a known point,
zoom and its reset, thresholds told apart by colour and dash, light and dark, phones, and
the comparison's overlay in each metric's own direction."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from modelyard.ops import models, monitoring
from modelyard.site.build import build_site
from site_registry import small_site_fixture  # noqa: F401  (fixture)
from test_site_browser import Watched, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

# the small registry's PSI snapshots (site_registry.small_registry): 09:00 on 15 to 18 March
PSI = [0.05, 0.08, 0.12, 0.25]
DAYS = ["2024-03-15", "2024-03-16", "2024-03-17", "2024-03-18"]


def _model(w: Watched, small_site) -> None:
    w.open(small_site.pages / "models" / small_site.ids["prod"] / "index.html")
    expect(w.page.locator("figure.chart.live canvas")).to_have_count(3)


def _chart(w: Watched, title: str) -> str:
    """A JavaScript expression for the uPlot of the chart titled `title`."""
    return (
        "modelyardCharts.instances.find(e => e.figure.querySelector('figcaption strong')"
        f".textContent === {title!r}).u"
    )


def _point(w: Watched, chart: str, index: int) -> tuple[float, float]:
    """Where on the screen point `index` of the chart's series is drawn."""
    x, y, left, top = w.page.evaluate(
        f"""() => {{ const u = {chart}; u.root.scrollIntoView({{block: "center"}});
        const r = u.over.getBoundingClientRect();
        return [u.valToPos(u.data[0][{index}], 'x'), u.valToPos(u.data[1][{index}], 'y'),
                r.left, r.top]; }}"""
    )
    return left + x, top + y


def _pixel(w: Watched, chart: str, x: float, y: float) -> list[int]:
    return w.page.evaluate(
        f"""() => {{ const u = {chart}; const r = uPlot.pxRatio;
        return Array.from(u.ctx.getImageData(Math.round({x} * r), Math.round({y} * r), 1, 1)
          .data.slice(0, 3)); }}"""
    )


def _colour(w: Watched, name: str) -> list[int]:
    """A CSS custom property of the page (#rrggbb) as [r, g, b]."""
    text = w.page.evaluate(
        f"getComputedStyle(document.documentElement).getPropertyValue({name!r}).trim()"
    )
    return [int(text[i : i + 2], 16) for i in (1, 3, 5)]


def _line_share(w: Watched, chart: str, value: float, colour: list[int]) -> float:
    """How much of the plot's left half, along the row of `value`, is drawn in `colour`."""
    row = w.page.evaluate(
        f"""() => {{ const u = {chart}; const r = uPlot.pxRatio;
        const y = Math.round(u.valToPos({value}, 'y', true));
        const x0 = Math.round(u.bbox.left), n = Math.round(u.bbox.width / 2);
        return Array.from(u.ctx.getImageData(x0, y, n, 1).data); }}"""
    )
    pixels = [row[i : i + 3] for i in range(0, len(row), 4)]
    near = [p for p in pixels if all(abs(a - b) <= 40 for a, b in zip(p, colour, strict=True))]
    return len(near) / len(pixels)


def _drawn_in(w: Watched, chart: str, value: float, colour: list[int]) -> float:
    """`_line_share`, once the chart has been drawn in `colour` (a chart draws when its
    canvas has a size, and again after a change of scheme): the share, asked until it is
    over 0.9 or five seconds have passed."""
    deadline = time.monotonic() + 5
    while True:
        share = _line_share(w, chart, value, colour)
        if share > 0.9 or time.monotonic() > deadline:
            return share
        time.sleep(0.05)


def test_each_monitoring_chart_is_drawn_on_a_time_axis(browser, small_site):  # noqa: F811
    w = Watched(browser)
    _model(w, small_site)
    charts = w.page.evaluate(
        """modelyardCharts.instances.map(e => ({
             title: e.figure.querySelector('figcaption strong').textContent,
             series: e.u.series.length - 1, points: e.u.data[1].length,
             times: e.u.data[0], splits: e.u.axes[0]._splits }))"""
    )
    assert {c["title"]: (c["series"], c["points"]) for c in charts} == {
        "MAPE (performance)": (1, 4),
        "revenue_lift (performance)": (1, 4),
        "PSI (drift)": (1, 4),
    }
    for chart in charts:
        # ticks on the calendar (midnights and noons UTC), none on a snapshot's 09:00
        assert chart["splits"] and all(s % 43_200 == 0 for s in chart["splits"])
        assert not set(chart["splits"]) & set(chart["times"])
    # the canvas is what a reader sees and what a screen reader names; the SVG waits for print
    plot = w.page.get_by_role("img", name="PSI (drift)")
    assert plot.locator("canvas").count() == 1 and plot.bounding_box()["width"] > 300
    assert w.page.locator("figure.chart svg.fallback").first.is_hidden()
    w.page.emulate_media(media="print")  # printed, the SVG comes back in place of the canvas
    assert w.page.locator("figure.chart svg.fallback").first.is_visible()
    assert w.page.locator("figure.chart .plot").first.is_hidden()
    assert w.errors == [] and w.outside == []
    w.close()


def test_a_tooltip_tells_the_value_and_the_threshold_it_passed(browser, small_site):  # noqa: F811
    w = Watched(browser)
    _model(w, small_site)
    chart = _chart(w, "PSI (drift)")
    tip = w.page.locator("figure.chart", has_text="PSI (drift)").locator(".chart-tip")
    told = []
    for i in range(len(PSI)):
        w.page.mouse.move(*_point(w, chart, i))
        expect(tip).to_be_visible()
        told.append(tip.inner_text().splitlines())
    assert told == [
        [f"{DAYS[0]} 09:00 UTC", "PSI 0.05"],
        [f"{DAYS[1]} 09:00 UTC", "PSI 0.08"],
        [f"{DAYS[2]} 09:00 UTC", "PSI 0.12", "past warn 0.1"],
        [f"{DAYS[3]} 09:00 UTC", "PSI 0.25", "past alert 0.2"],
    ]
    # warn and alert in their own colours
    assert tip.locator(".tip-alert").evaluate("e => getComputedStyle(e).color") != (
        w.page.locator("figure.chart", has_text="PSI (drift)")
        .locator(".legend li", has_text="warn")
        .evaluate("e => getComputedStyle(e).color")
    )
    w.page.mouse.move(5, 5)
    expect(tip).to_be_hidden()
    # from the keyboard: End is the latest snapshot, each arrow the one before or after
    plot = w.page.get_by_role("img", name="PSI (drift)")
    plot.focus()
    plot.press("End")
    expect(tip).to_have_text(f"{DAYS[3]} 09:00 UTCPSI 0.25past alert 0.2")
    plot.press("ArrowLeft")
    expect(tip).to_have_text(f"{DAYS[2]} 09:00 UTCPSI 0.12past warn 0.1")
    said = w.page.locator("figure.chart", has_text="PSI (drift)").locator("[aria-live]")
    assert said.text_content() == f"{DAYS[2]} 09:00 UTC, PSI 0.12, past warn 0.1"
    plot.press("Escape")
    expect(tip).to_be_hidden()
    w.close()


def test_dragging_zooms_in_and_a_double_click_zooms_out(browser, small_site):  # noqa: F811
    w = Watched(browser)
    _model(w, small_site)
    chart = _chart(w, "PSI (drift)")
    full = w.page.evaluate(f"[{chart}.scales.x.min, {chart}.scales.x.max]")
    assert full[0] < 1710493200 and full[1] > 1710752400  # every snapshot in view
    (x1, y), (x2, _) = _point(w, chart, 1), _point(w, chart, 2)
    w.page.mouse.move(x1 - 4, y)
    w.page.mouse.down()
    w.page.mouse.move(x2 + 4, y, steps=5)
    w.page.mouse.up()
    zoomed = w.page.evaluate(f"[{chart}.scales.x.min, {chart}.scales.x.max]")
    # the second and third snapshots, a few pixels' worth of time either side
    assert 1710493200 < zoomed[0] < 1710579600 < 1710666000 < zoomed[1] < 1710752400
    w.page.mouse.dblclick(x1, y)
    assert w.page.evaluate(f"[{chart}.scales.x.min, {chart}.scales.x.max]") == full
    assert w.errors == []
    w.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_warn_and_alert_lines_differ_in_colour_and_dash(browser, small_site, scheme):  # noqa: F811
    w = Watched(browser, scheme)
    _model(w, small_site)
    chart = _chart(w, "PSI (drift)")
    warn, alert = _colour(w, "--warn"), _colour(w, "--bad")
    assert warn != alert
    solid = _line_share(w, chart, 0.2, alert)
    dashed = _line_share(w, chart, 0.1, warn)
    assert solid > 0.9, solid  # alert: a solid line
    assert 0.35 < dashed < 0.8, dashed  # warn: dashes and gaps
    assert _line_share(w, chart, 0.1, alert) < 0.05 and _line_share(w, chart, 0.2, warn) < 0.05
    w.close()


def test_the_charts_follow_a_change_of_scheme(browser, small_site):  # noqa: F811
    w = Watched(browser, "light")
    _model(w, small_site)
    chart = _chart(w, "PSI (drift)")
    light = _colour(w, "--bad")
    assert _drawn_in(w, chart, 0.2, light) > 0.9
    w.page.emulate_media(color_scheme="dark")
    dark = _colour(w, "--bad")
    assert dark != light
    expect(w.page.locator("figure.chart.live canvas")).to_have_count(3)
    assert _drawn_in(w, chart, 0.2, dark) > 0.9  # drawn again, in the dark scheme's colour
    assert w.errors == []
    w.close()


def _compare_url(small_site) -> str:
    ids = small_site.ids
    shard = next(small_site.reg.root.joinpath("runs").glob(f"*/{ids['runs'][0]}")).parent.name
    picked = [ids["runs"][1], ids["runs"][0], ids["runs"][2]]  # MAPE 0.12, 0.14, 0.18
    query = "&".join(f"run={r}@{shard}" for r in picked)
    return (small_site.pages / "runs" / "compare.html").as_uri() + "?" + query


def test_the_comparison_overlays_runs_best_on_top(browser, small_site):  # noqa: F811
    w = Watched(browser)
    w.open(_compare_url(small_site))
    expect(w.page.locator("#compare-chart.live canvas")).to_have_count(1)
    u = "modelyardCharts.instances[0].u"
    assert w.page.evaluate(f"{u}.series.length") == 4  # uPlot's x and the three runs
    names = w.page.evaluate(f"{u}.axes[0]._values")
    assert names == ["MAPE\nlower is better", "revenue_lift\nhigher is better"]
    # each run's line across MAPE and revenue_lift, scaled so that better is higher: MAPE
    # 0.12 (best, lowest) is at the top, 0.18 at the bottom; lift 0.042 is the best
    scores = w.page.evaluate(f"{u}.data.slice(1)")
    assert scores == [[1, 1], [pytest.approx(2 / 3), 0], [0, pytest.approx(7 / 11)]]
    box = w.page.locator("#compare-chart .u-over").bounding_box()
    w.page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + 10)
    tip = w.page.locator("#compare-chart .chart-tip")
    expect(tip).to_be_visible()
    lines = tip.inner_text().splitlines()
    assert lines[0] == "MAPE (lower is better)"
    assert lines[1].endswith("0.12 best") and lines[2].endswith("0.14 +0.02 worse")
    assert lines[3].endswith("0.18 +0.06 worse")
    assert tip.locator(".bad-text").count() == 2
    assert w.errors == [] and w.outside == []
    w.close()


def test_runs_without_metrics_have_nothing_to_overlay(browser, small_site):  # noqa: F811
    failed = small_site.ids["failed_run"]
    shard = next(small_site.reg.root.joinpath("runs").glob(f"*/{failed}")).parent.name
    w = Watched(browser)
    w.open((small_site.pages / "runs" / "compare.html").as_uri() + f"?run={failed}@{shard}")
    expect(w.page.locator("#compare-chart")).to_have_text("None of these runs reported a metric.")
    assert w.page.locator("#compare-chart canvas").count() == 0
    assert w.errors == []
    w.close()


def test_charts_fit_a_phone(browser, small_site):  # noqa: F811
    w = Watched(browser, width=390)
    _model(w, small_site)
    assert w.page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = w.page.evaluate(
        "modelyardCharts.instances.map(e => [e.u.width, e.figure.clientWidth])"
    )
    assert all(300 <= u <= figure for u, figure in widths), widths
    chart = _chart(w, "PSI (drift)")
    w.page.mouse.move(*_point(w, chart, 3))  # the rightmost point: its tooltip turns left
    tip = w.page.locator("figure.chart", has_text="PSI (drift)").locator(".chart-tip")
    expect(tip).to_be_visible()
    assert tip.bounding_box()["x"] + tip.bounding_box()["width"] <= 390
    assert w.page.evaluate("document.documentElement.scrollWidth") <= 390
    w.open(_compare_url(small_site))
    expect(w.page.locator("#compare-chart.live canvas")).to_have_count(1)
    w.page.locator("#compare-chart").scroll_into_view_if_needed()
    box = w.page.locator("#compare-chart .u-over").bounding_box()
    w.page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + 20)  # every run's lift
    tip = w.page.locator("#compare-chart .chart-tip")
    expect(tip).to_contain_text("revenue_lift")
    right = w.page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('#compare-chart .chart-tip *'),"
        " e => e.getBoundingClientRect().right))"
    )
    assert right <= 390  # its lines wrap rather than run off the screen
    assert w.page.evaluate("document.documentElement.scrollWidth") <= 390
    assert w.errors == []
    w.close()


def test_without_javascript_the_svg_shows_every_threshold_in_its_dash(browser, small_site):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto((small_site.pages / "models" / small_site.ids["prod"] / "index.html").as_uri())
    assert page.locator("figure.chart svg.fallback").count() == 3
    assert page.locator("figure.chart svg.fallback").first.is_visible()
    dashes = {
        kind: page.locator(f"line.th-{kind}").first.evaluate(
            "e => getComputedStyle(e).strokeDasharray"
        )
        for kind in ("warn", "alert", "min", "max")
    }
    assert dashes == {
        "warn": "6px, 4px",
        "alert": "none",
        "min": "2px, 3px",
        "max": "9px, 3px, 2px, 3px",
    }
    colours = {
        kind: page.locator(f"line.th-{kind}").first.evaluate("e => getComputedStyle(e).stroke")
        for kind in ("warn", "alert", "min", "max")
    }
    assert len(set(colours.values())) == 4
    # and the legend's keys are bits of the same lines
    keys = {
        kind: page.locator(f"figcaption svg.key line.th-{kind}").first.evaluate(
            "e => [getComputedStyle(e).strokeDasharray, getComputedStyle(e).stroke]"
        )
        for kind in ("warn", "alert", "min", "max")
    }
    assert keys == {kind: [dashes[kind], colours[kind]] for kind in keys}
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_a_single_snapshot_is_a_chart_too(browser, reg, base_recipe, tmp_path):  # noqa: F811
    model = models.register_model(
        reg,
        {"name": "Lone", "recipe_id": base_recipe, "recipe_version_id": "1.0.0", "owner": "ml"},
    )
    monitoring.create_snapshot(
        reg,
        model.id,
        {"captured_at": "2024-05-02T14:30:00Z", "drift_metrics_json": {"PSI": 0.3}},
    )
    build_site(reg, tmp_path / "site")
    w = Watched(browser)
    w.open(tmp_path / "site" / "model-development" / "models" / model.id / "index.html")
    expect(w.page.locator("figure.chart.live canvas")).to_have_count(1)
    chart = _chart(w, "PSI (drift)")
    low, high = w.page.evaluate(f"[{chart}.scales.x.min, {chart}.scales.x.max]")
    moment = 1714660200  # 2024-05-02 14:30 UTC, in the middle of the axis
    assert low < moment < high and moment - low == pytest.approx(high - moment)
    w.page.mouse.move(*_point(w, chart, 0))
    tip = w.page.locator("figure.chart .chart-tip")
    expect(tip).to_contain_text("2024-05-02 14:30 UTC")
    expect(tip).to_contain_text("PSI 0.3")
    assert w.errors == []
    w.close()
