"""Line charts laid out at build time. This module only computes geometry and labels;
`templates/partials/chart.html` draws them as inline SVG, so every label is autoescaped."""

from __future__ import annotations

import math
from datetime import datetime
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
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def line_chart(
    title: str,
    points: list[tuple[str, float]],
    thresholds: list[dict[str, Any]],
    y_label: str,
) -> dict[str, Any]:
    """One metric over time. `points` are (ISO time, value), oldest first; `thresholds` are
    {"label", "value", "kind"} with kind `warn`, `alert`, `min` or `max`, drawn as lines."""
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

    def x_of(stamp: float) -> float:
        if t1 == t0:
            return round(LEFT + plot_w / 2, 1)
        return round(LEFT + plot_w * (stamp - t0) / (t1 - t0), 1)

    coords = [(x_of(s), y_of(v)) for s, (_, v) in zip(times, points, strict=True)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(coords))
    dots = [
        {"x": x, "y": y, "label": f"{when[:16].replace('T', ' ')} UTC: {fmt_number(v)}"}
        for (x, y), (when, v) in zip(coords, points, strict=True)
    ]
    x_ticks: list[dict[str, Any]] = []
    min_gap = 100  # between date labels (about 62 wide at 11px), so they never overlap
    for i, (when, _) in enumerate(points):
        x = coords[i][0]
        label = when[:10]
        if x_ticks and (x_ticks[-1]["label"] == label or x - x_ticks[-1]["x"] < min_gap):
            if i != len(points) - 1 or (len(x_ticks) == 1 and x - x_ticks[0]["x"] < min_gap):
                continue
            x_ticks.pop()  # the last point's date matters more than its neighbour's
        x_ticks.append({"x": x, "label": label})
    for n, tick in enumerate(x_ticks):
        first, last = n == 0 and len(points) > 1, n == len(x_ticks) - 1 and len(points) > 1
        tick["anchor"] = (
            "start" if first and tick["x"] == coords[0][0] else "end" if last else "middle"
        )
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
        "y_ticks": [{"y": y_of(t), "label": fmt_number(t)} for t in ticks],
        "x_ticks": x_ticks,
        "path": path,
        "dots": dots,
        "thresholds": lines,
        "latest": fmt_number(points[-1][1]) if points else None,
        "count": len(points),
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
