"""Chart geometry: round ticks, points inside the plot, thresholds from the manifest."""

from __future__ import annotations

from datetime import UTC, datetime

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
    time_ticks,
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
    xs = [x for x, _, _ in chart["dots"]]
    ys = [y for _, y, _ in chart["dots"]]
    assert xs[0] == LEFT and xs[-1] == WIDTH - 16 and xs[0] < xs[1] < xs[2]
    # one day of three is a third of the way along
    assert xs[1] - xs[0] == pytest.approx((xs[2] - xs[0]) / 3, abs=0.1)
    assert (
        all(TOP <= y <= HEIGHT - BOTTOM for y in ys) and ys[2] < ys[0]
    )  # higher values are drawn higher
    assert chart["path"].startswith(f"M{xs[0]},{ys[0]} L")
    [alert] = chart["thresholds"]
    assert ys[2] < alert["y"] < ys[1] and alert["text"] == "alert 0.2"
    assert chart["dots"][2][2] == "2024-03-18 09:00 UTC: 0.25"
    # the time axis ticks at midnights (UTC), not at the snapshots: 9:00 on the 15th is
    # 15 hours before the first tick, and a day is a third of the plot
    ticks = chart["x_ticks"]
    assert [label for _, label, _ in ticks] == ["2024-03-16", "2024-03-17", "2024-03-18"]
    day = (xs[2] - xs[0]) / 3
    assert ticks[0][0] == pytest.approx(xs[0] + day * 15 / 24, abs=0.1)
    assert ticks[2][0] - ticks[1][0] == pytest.approx(day, abs=0.1)
    assert [anchor for _, _, anchor in ticks] == ["middle", "middle", "middle"]
    # and what the page draws with JavaScript: the same points in epoch seconds
    assert chart["data"] == {
        "t": [1710493200, 1710579600, 1710752400],
        "v": [0.05, 0.08, 0.25],
        "thresholds": [{"label": "alert", "value": 0.2, "kind": "alert"}],
        "label": "PSI",
    }


def test_a_single_snapshot_is_drawn_in_the_middle():
    chart = line_chart("MAPE", [("2024-03-15T09:00:00Z", 0.1)], [], "MAPE")
    assert chart["dots"][0][0] == LEFT + (WIDTH - LEFT - 16) / 2
    # half a day either side (21:00 to 21:00): ticks every six hours from midnight
    assert [label for _, label, _ in chart["x_ticks"]] == [
        "03-15 00:00",
        "03-15 06:00",
        "03-15 12:00",
        "03-15 18:00",
    ]


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("start", "end", "labels"),
    [
        ("2024-03-15 09:00", "2024-03-15 19:00",
         ["03-15 09:00", "03-15 12:00", "03-15 15:00", "03-15 18:00"]),
        ("2024-03-15 09:00", "2024-03-18 09:00", ["2024-03-16", "2024-03-17", "2024-03-18"]),
        # weeks start on Mondays (2024-03-04 is one)
        ("2024-03-01 09:00", "2024-03-29 09:00",
         ["2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"]),
        ("2024-01-15 09:00", "2024-03-18 09:00", ["2024-02", "2024-03"]),
        # half years start in January and July
        ("2022-01-15 09:00", "2024-03-18 09:00", ["2022-07", "2023-01", "2023-07", "2024-01"]),
        ("2000-01-15 09:00", "2024-03-18 09:00", ["2001", "2007", "2013", "2019"]),
    ],
)  # fmt: skip
def test_time_ticks_fall_on_calendar_boundaries(start, end, labels):
    ticks = time_ticks(_at(start), _at(end))
    assert [label for _, label in ticks] == labels
    assert all(_at(start) <= stamp <= _at(end) for stamp, _ in ticks)
    for stamp, _ in ticks:  # each one at a midnight, UTC
        moment = datetime.fromtimestamp(stamp, UTC)
        assert moment.minute == 0 and (len(labels[0]) == 11 or moment.hour == 0)


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
