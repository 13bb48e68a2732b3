"""Line charts laid out at build time. This module only computes geometry and labels;
`templates/partials/chart.html` draws them as inline SVG, so every label is autoescaped.

The SVG is what a reader without JavaScript sees, and what prints. With JavaScript,
`assets/charts.js` draws the same chart with uPlot (vendored as `assets/uplot.min.js`)
from the numbers in `data`: the times in epoch seconds, the values and the thresholds,
embedded in the page as JSON, so the page needs no other file and works from disk."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 36


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten."""
    if high <= low:  # one value: centre it
        spread = abs(low) * 0.1 or 1.0
        low, high = low - spread, high + spread
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def fmt_number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000 or abs(value) < 0.001:
        return f"{value:.3g}"
    return f"{value:.4g}"


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()  # Python 3.11 reads the "Z" itself


HOUR, DAY = 3600, 86400
# (step in seconds, or in months when negative), tried smallest first
_TIME_STEPS = [
    HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, -1, -3, -6, -12,
]  # fmt: skip
# a tick's label by its step: hours show the day and time, months the month, years the year
_TICK_FORMATS = {"hour": "%m-%d %H:%M", "day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
_TICK_FORMATS_BY_STEP = [(-12, "year"), (-1, "month"), (DAY - 1, "hour"), (math.inf, "day")]
_MONDAY = 4 * DAY  # 1970-01-05, the first Monday after the epoch: weeks start on Mondays


def _months(start: float, end: float, step: int) -> list[float]:
    first = datetime.fromtimestamp(start, UTC)
    year, month = first.year, first.month - 1
    month -= month % step  # a quarter starts in January, April, ...
    out: list[float] = []
    while True:
        stamp = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC).timestamp()
        if stamp > end:
            return out
        if stamp >= start:
            out.append(stamp)
        month += step


def time_ticks(start: float, end: float, count: int = 4) -> list[tuple[float, str]]:
    """Ticks on calendar boundaries (midnights UTC, Mondays, firsts of months, new years)
    inside [start, end], at most `count`, each with its label: the date, the month or
    the year, or the hour when the range is shorter than a few days."""
    stamps: list[float] = []
    for step in _TIME_STEPS:
        if step < 0:
            # a month is at most 31 days: skip the steps that surely give too many ticks
            if (end - start) / (-step * 31 * DAY) > count + 1 and step != _TIME_STEPS[-1]:
                continue
            stamps = _months(start, end, -step)
        else:
            offset = _MONDAY if step % (7 * DAY) == 0 else 0
            first = math.ceil((start - offset) / step) * step + offset
            if (end - first) // step >= count:  # counted before any is made
                continue
            stamps = [float(first + n * step) for n in range(int((end - first) // step) + 1)]
        if len(stamps) <= count:
            break
    else:  # decades: every few years
        stamps = stamps[:: -(-len(stamps) // count)]
    fmt = _TICK_FORMATS[next(f for limit, f in _TICK_FORMATS_BY_STEP if step <= limit)]
    return [(s, datetime.fromtimestamp(s, UTC).strftime(fmt)) for s in stamps]


def line_chart(
    title: str,
    points: list[tuple[str, float]],
    thresholds: list[dict[str, Any]],
    y_label: str,
) -> dict[str, Any]:
    """One metric over time. `points` are (ISO time, value), oldest first; `thresholds` are
    {"label", "value", "kind"} with kind `warn`, `alert`, `min` or `max`, drawn as lines.

    Points and ticks are tuples (`dots`: x, y, tooltip; `y_ticks`: y, label; `x_ticks`: x,
    label, anchor): a page's key is the JSON of its context, and tuples dump faster than
    small dicts with sorted keys, which pays for `data`, the numbers charts.js draws."""
    values = [v for _, v in points] + [t["value"] for t in thresholds]
    ticks = nice_ticks(min(values), max(values)) if values else [0.0, 1.0]
    y_min, y_max = ticks[0], ticks[-1]
    if y_max == y_min:
        y_max = y_min + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (1 - (value - y_min) / (y_max - y_min)), 1)

    times = [_stamp(t) for t, _ in points]
    t0, t1 = (min(times), max(times)) if times else (0.0, 1.0)
    if t1 == t0:  # one moment: half a day either side, the point in the middle
        t0, t1 = t0 - DAY / 2, t1 + DAY / 2

    def x_of(stamp: float) -> float:
        return round(LEFT + plot_w * (stamp - t0) / (t1 - t0), 1)

    coords = [(x_of(s), y_of(v)) for s, (_, v) in zip(times, points, strict=True)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(coords))
    dots = [
        (x, y, f"{when[:16].replace('T', ' ')} UTC: {fmt_number(v)}")
        for (x, y), (when, v) in zip(coords, points, strict=True)
    ]
    # a label near the right edge ends at its tick, so that it is not cut off
    x_ticks = [
        (x, label, "end" if x > WIDTH - RIGHT - 56 else "middle")
        for x, label in ((x_of(s), label) for s, label in time_ticks(t0, t1))
    ]
    lines = [
        {**t, "y": y_of(t["value"]), "text": f"{t['label']} {fmt_number(t['value'])}"}
        for t in thresholds
    ]
    return {
        "title": title,
        "y_label": y_label,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "y_ticks": [(y_of(t), fmt_number(t)) for t in ticks],
        "x_ticks": x_ticks,
        "path": path,
        "dots": dots,
        "thresholds": lines,
        "latest": fmt_number(points[-1][1]) if points else None,
        "count": len(points),
        # what assets/charts.js draws: whole seconds, the values as they are
        "data": {
            "t": [int(s) for s in times],
            "v": [v for _, v in points],
            "thresholds": thresholds,
            "label": y_label,
        },
    }


def metric_thresholds(manifest: dict[str, Any], section: str, metric: str) -> list[dict[str, Any]]:
    """The lines a recipe's manifest draws on a metric's chart: `monitoring.drift` warn and
    alert, `monitoring.performance` and `evaluation.acceptance` min and max."""
    out: list[dict[str, Any]] = []
    monitoring = manifest.get("monitoring") or {}
    if section == "drift":
        rule = (monitoring.get("drift") or {}).get(metric) or {}
        for kind in ("warn", "alert"):
            if _is_number(rule.get(kind)):
                out.append({"label": kind, "value": float(rule[kind]), "kind": kind})
        return out
    sources = [
        ("monitoring", (monitoring.get("performance") or {}).get(metric)),
        ("acceptance", ((manifest.get("evaluation") or {}).get("acceptance") or {}).get(metric)),
    ]
    for origin, rule in sources:
        if not isinstance(rule, dict):
            continue
        for kind in ("min", "max"):
            if _is_number(rule.get(kind)):
                value = float(rule[kind])
                if not any(t["kind"] == kind and t["value"] == value for t in out):
                    out.append({"label": f"{origin} {kind}", "value": value, "kind": kind})
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
