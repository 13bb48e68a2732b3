"""Chart geometry: round ticks, points inside the plot, thresholds from the manifest."""

from __future__ import annotations

import pytest

from modelyard.site.charts import (
    BOTTOM,
    HEIGHT,
    LEFT,
    TOP,
    WIDTH,
    line_chart,
    metric_thresholds,
    nice_ticks,
)


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0.05, 0.25, [0.05, 0.1, 0.15, 0.2, 0.25]),
        (0, 1, [0, 0.25, 0.5, 0.75, 1]),
        (3, 97, [0, 25, 50, 75, 100]),
        (0.5, 0.5, [0.45, 0.475, 0.5, 0.525, 0.55]),
    ],
)
def test_nice_ticks_cover_the_range_in_round_steps(low, high, ticks):
    assert nice_ticks(low, high) == pytest.approx(ticks)


def test_a_line_chart_places_points_and_thresholds_inside_the_plot():
    points = [
        ("2024-03-15T09:00:00Z", 0.05),
        ("2024-03-16T09:00:00Z", 0.08),
        ("2024-03-18T09:00:00Z", 0.25),
    ]
    chart = line_chart(
        "PSI (drift)", points, [{"label": "alert", "value": 0.2, "kind": "alert"}], "PSI"
    )
    xs = [d["x"] for d in chart["dots"]]
    ys = [d["y"] for d in chart["dots"]]
    assert xs[0] == LEFT and xs[-1] == WIDTH - 16 and xs[0] < xs[1] < xs[2]
    # one day of three is a third of the way along
    assert xs[1] - xs[0] == pytest.approx((xs[2] - xs[0]) / 3, abs=0.1)
    assert (
        all(TOP <= y <= HEIGHT - BOTTOM for y in ys) and ys[2] < ys[0]
    )  # higher values are drawn higher
    assert chart["path"].startswith(f"M{xs[0]},{ys[0]} L")
    [alert] = chart["thresholds"]
    assert ys[2] < alert["y"] < ys[1] and alert["text"] == "alert 0.2"
    assert chart["dots"][2]["label"] == "2024-03-18 09:00 UTC: 0.25"
    assert [t["label"] for t in chart["x_ticks"]] == ["2024-03-15", "2024-03-16", "2024-03-18"]


def test_a_single_snapshot_is_drawn_in_the_middle():
    chart = line_chart("MAPE", [("2024-03-15T09:00:00Z", 0.1)], [], "MAPE")
    assert chart["dots"][0]["x"] == LEFT + (WIDTH - LEFT - 16) / 2


def test_thresholds_come_from_monitoring_and_acceptance():
    manifest = {
        "monitoring": {
            "drift": {"PSI": {"warn": 0.1, "alert": 0.2}},
            "performance": {"MAPE": {"max": 0.25}},
        },
        "evaluation": {"acceptance": {"MAPE": {"max": 0.2, "min": 0.0}}},
    }
    assert metric_thresholds(manifest, "drift", "PSI") == [
        {"label": "warn", "value": 0.1, "kind": "warn"},
        {"label": "alert", "value": 0.2, "kind": "alert"},
    ]
    assert metric_thresholds(manifest, "performance", "MAPE") == [
        {"label": "monitoring max", "value": 0.25, "kind": "max"},
        {"label": "acceptance min", "value": 0.0, "kind": "min"},
        {"label": "acceptance max", "value": 0.2, "kind": "max"},
    ]
    assert metric_thresholds({}, "drift", "PSI") == []
