"""`monitoring compute`: a monitoring snapshot computed from a reference and a current data
set (docs/drift.md): drift per feature, freshness, performance, and the alerts the recipe's
monitoring thresholds give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelyard.domain.records import MonitoringSnapshot
from modelyard.domain.tableschema import timestamp_column as default_timestamp
from modelyard.domain.timefmt import iso, parse_iso, to_utc
from modelyard.errors import InvalidValue
from modelyard.ops import load
from modelyard.storage.registry import Registry

NUMERIC = ("float", "int")
CATEGORICAL = ("category", "string", "bool")


@dataclass(frozen=True)
class Table:
    """A data set as read from a file: its name (for messages) and its columns, every cell
    as the text it was; the first data row is line 2 (line 1 holds the header)."""

    name: str
    columns: dict[str, list[str]]

    def rows(self) -> int:
        return max((len(v) for v in self.columns.values()), default=0)


def compute_snapshot(
    reg: Registry,
    model_id: str,
    reference: Table,
    current: Table,
    timestamp_column: str | None = None,
    label_column: str | None = None,
    prediction_column: str = "prediction",
    captured_at: datetime | None = None,
    created_by: str | None = None,
) -> MonitoringSnapshot:
    """Compute drift of every feature of the model's recipe version (reference against
    current), data freshness from a timestamp column and performance when the current data
    has labels and predictions; compare them with the recipe's `monitoring` thresholds; and
    record the snapshot with its alerts (one commit)."""
    from modelyard.domain import drift
    from modelyard.ops.history import version_number
    from modelyard.ops.manifests import Resolver
    from modelyard.ops.monitoring import create_snapshot
    from modelyard.storage.mutation import clock

    model = load.model(reg, model_id)
    number = version_number(model.recipe_id, model.recipe_version_id) or ""
    manifest = Resolver(reg).at(model.recipe_id, number)
    monitoring = manifest.get("monitoring") or {}
    captured = to_utc(captured_at) if captured_at else clock()

    features = []
    for name, spec in (manifest.get("features") or {}).items():
        dtype = (spec or {}).get("dtype")
        if dtype not in NUMERIC + CATEGORICAL:
            continue  # a datetime feature has no distribution to compare
        numeric = dtype in NUMERIC
        ref = _values(reference, name, numeric)
        cur = _values(current, name, numeric)
        features.append(drift.feature_drift(name, ref, cur, numeric))
    if not features:
        raise InvalidValue(
            f"recipe {model.recipe_id} {number} has no numeric or categorical feature to compare"
        )
    report = drift.judge(features, monitoring.get("drift") or {})
    alerts: dict[str, Any] = dict(report.alerts)

    freshness: dict[str, Any] = {}
    column = timestamp_column or default_timestamp(manifest)
    if column and column in current.columns:
        last = _latest(current, column)
        age = (captured - last).total_seconds() / 3600
        freshness = {
            "last_update": iso(last),
            "age_hours": round(age, 3),
            "timestamp_column": column,
            "rows": current.rows(),
        }
        limit = (monitoring.get("freshness") or {}).get("max_age_hours")
        if limit is not None and age > limit:
            alerts["freshness"] = {
                "severity": "alert",
                "value": round(age, 3),
                "threshold": limit,
                "message": f"the newest row is {age:.1f} hours old, over the limit of "
                f"{limit:g} hours",
            }
    elif timestamp_column:
        raise InvalidValue(f"{current.name} has no column {timestamp_column!r}")

    performance: dict[str, float] = {}
    target = manifest.get("target") or {}
    label = label_column or target.get("name")
    if label in current.columns and prediction_column in current.columns:
        performance = _performance(current, str(label), prediction_column, target)
        alerts |= drift.performance_alerts(performance, monitoring.get("performance") or {})
    elif label_column and label_column not in current.columns:
        raise InvalidValue(f"{current.name} has no label column {label_column!r}")

    body = {
        "performance_metrics_json": performance,
        "drift_metrics_json": report.metrics(),
        "data_freshness_json": freshness,
        "alerts_json": alerts,
        "captured_at": iso(captured),
        "created_by": created_by,
    }
    return create_snapshot(reg, model_id, body)


def _values(table: Table, name: str, numeric: bool) -> list[Any]:
    if name not in table.columns:
        raise InvalidValue(
            f"{table.name} has no column {name!r}, a feature of the model's recipe "
            f"(its columns: {', '.join(table.columns) or 'none'})"
        )
    out: list[Any] = []
    for i, cell in enumerate(table.columns[name]):
        if cell == "":
            continue  # a missing value is left out of the distribution
        if not numeric:
            out.append(cell)
            continue
        try:
            out.append(float(cell))
        except ValueError:
            raise InvalidValue(
                f"{table.name}:{i + 2}: column {name!r}: {cell!r} is not a number"
            ) from None
    if not out:
        raise InvalidValue(f"{table.name}: column {name!r} has no values")
    return out


def _latest(table: Table, column: str) -> datetime:
    latest: datetime | None = None
    for i, cell in enumerate(table.columns[column]):
        if not cell:
            continue
        try:
            moment = parse_iso(cell if "T" in cell or " " in cell else f"{cell}T00:00:00Z")
        except ValueError:
            raise InvalidValue(
                f"{table.name}:{i + 2}: column {column!r}: {cell!r} is not an ISO 8601 time"
            ) from None
        latest = moment if latest is None or moment > latest else latest
    if latest is None:
        raise InvalidValue(f"{table.name}: column {column!r} has no timestamps")
    return latest


def _performance(
    table: Table, label: str, prediction: str, target: dict[str, Any]
) -> dict[str, float]:
    from modelyard.domain import drift

    pairs = [
        (i, a, p)
        for i, (a, p) in enumerate(
            zip(table.columns[label], table.columns[prediction], strict=False)
        )
        if a != "" and p != ""
    ]
    if not pairs:
        return {}
    if target.get("kind") == "regression" or target.get("dtype") in NUMERIC:
        actual, predicted = [], []
        for i, a, p in pairs:
            try:
                actual.append(float(a))
                predicted.append(float(p))
            except ValueError:
                raise InvalidValue(
                    f"{table.name}:{i + 2}: {label!r} and {prediction!r} must be numbers "
                    f"(got {a!r}, {p!r})"
                ) from None
        return drift.regression_metrics(actual, predicted)
    return drift.classification_metrics([a for _, a, _ in pairs], [p for _, _, p in pairs])
