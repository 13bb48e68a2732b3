"""Alerts a monitoring snapshot raises by the recipe's monitoring thresholds (docs/promotion.md,
"Alerts from thresholds"): drift at or above `alert` (`warn` below it), a performance metric
outside its bounds, data older than `freshness.max_age_hours`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelyard.domain.manifest import Monitoring
from modelyard.domain.numbers import num
from modelyard.domain.records import MonitoringSnapshot
from modelyard.domain.timefmt import parse_iso


def computed_alerts(monitoring: Monitoring, snap: MonitoringSnapshot) -> dict[str, dict[str, Any]]:
    """name -> {severity (warn or alert), value, rule} for every threshold the snapshot crosses."""
    out: dict[str, dict[str, Any]] = {}
    for name, level in monitoring.drift.items():
        value = snap.drift_metrics_json.get(name)
        if value is None:
            continue
        if value >= level.alert:
            out[name] = _alert("alert", value, f"{name} >= {num(level.alert)} (drift alert)")
        elif value >= level.warn:
            out[name] = _alert("warn", value, f"{name} >= {num(level.warn)} (drift warn)")
    for name, bound in monitoring.performance.items():
        value = snap.performance_metrics_json.get(name)
        if value is not None and not bound.passes(value):
            out[name] = _alert("alert", value, f"needs {bound.describe(name)}")
    if monitoring.freshness is not None:
        age = _age_hours(snap)
        limit = monitoring.freshness.max_age_hours
        if age is not None and age > limit:
            out["freshness"] = _alert("alert", age, f"data at most {num(limit)} hours old")
    return out


def _alert(severity: str, value: float, rule: str) -> dict[str, Any]:
    return {"severity": severity, "value": value, "rule": rule}


def _age_hours(snap: MonitoringSnapshot) -> float | None:
    """`data_freshness_json.age_hours`, else the hours from `last_update` to the capture."""
    fresh = snap.data_freshness_json
    age = fresh.get("age_hours")
    if isinstance(age, int | float) and not isinstance(age, bool):
        return float(age)
    last = fresh.get("last_update")
    if isinstance(last, str):
        try:
            when: datetime = parse_iso(last)
        except ValueError:
            return None
        return (snap.captured_at - when).total_seconds() / 3600
    return None
