"""Monitoring snapshots of a model: list (newest first) and create."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelyard.domain.ids import time_id
from modelyard.domain.records import Model, MonitoringSnapshot, SnapshotList
from modelyard.ops import load
from modelyard.ops.common import check_page, parse_body, same_id
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

if TYPE_CHECKING:
    # request bodies are imported where one is parsed, so a listing does not build
    # their classes
    from modelyard.domain.requests import SnapshotCreate


def list_snapshots(
    reg: Registry, model_id: str, limit: int | None = None, offset: int | None = None
) -> SnapshotList:
    """A model's snapshots, newest `captured_at` first."""
    limit, offset = check_page(limit, offset)
    load.model(reg, model_id)
    snaps = sorted(load.snapshots(reg, model_id), key=lambda s: (s.captured_at, s.id), reverse=True)
    return SnapshotList(snapshots=snaps[offset : offset + limit], total=len(snaps))


def create_snapshot(
    reg: Registry, model_id: str, body: SnapshotCreate | dict[str, Any]
) -> MonitoringSnapshot:
    """Record what production monitoring saw (captured now unless `captured_at` is given)."""
    from modelyard.domain.requests import SnapshotCreate

    req = parse_body(SnapshotCreate, body)
    same_id(req.model_id, model_id, "model_id")
    with reg.mutate("", author=req.created_by) as m:
        model = load.model(reg, model_id)
        captured = req.captured_at or m.date
        snap = MonitoringSnapshot(
            id=time_id("snap", captured),
            model_id=model_id,
            captured_at=captured,
            performance_metrics_json=req.performance_metrics_json,
            drift_metrics_json=req.drift_metrics_json,
            data_freshness_json=req.data_freshness_json,
            alerts_json=req.alerts_json,
        )
        computed = computed_for(reg, model, snap)
        if computed:
            snap = snap.model_copy(update={"computed_alerts_json": computed})
        rel = str(layout.snapshot_file(model_id, snap.id))
        m.write(rel, files.render(snap, "snapshot", rel))
        # an alert sent and the same one raised by a threshold count once
        count = len(set(snap.alerts_json) | set(snap.computed_alerts_json))
        alerts = f" ({count} alerts)" if count else ""
        m.message = f"Monitoring snapshot {snap.id} of {model_id}{alerts}"
    return snap


def computed_for(
    reg: Registry, model: Model, snap: MonitoringSnapshot, checker: Any = None
) -> dict[str, Any]:
    """What the monitoring thresholds of the model's recipe version say about `snap`
    (domain/alerts.py); nothing when that version's manifest cannot be resolved."""
    from modelyard.domain.alerts import computed_alerts
    from modelyard.domain.manifest import Monitoring
    from modelyard.errors import ModelyardError
    from modelyard.ops.gates import Checker

    try:
        manifest = (checker or Checker(reg)).version_manifest(model)
        monitoring = Monitoring.model_validate(manifest.get("monitoring") or {})
    except (ModelyardError, ValueError):
        return {}
    return computed_alerts(monitoring, snap)


@dataclass
class AlertState:
    """A model's latest snapshot and the alerts in it (sent and computed), by severity."""

    model_id: str
    status: str
    snapshot_id: str | None
    captured_at: str | None
    alerts: dict[str, str]  # name -> severity; computed ones are `computed:<name>`

    @property
    def in_alert(self) -> bool:
        return any(level == "alert" for level in self.alerts.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "status": self.status,
            "snapshot_id": self.snapshot_id,
            "captured_at": self.captured_at,
            "alerts": self.alerts,
            "in_alert": self.in_alert,
        }


def check_alerts(reg: Registry, status: str | None = None) -> list[AlertState]:
    """Every model (of `status` when given) with what its latest snapshot shows: the alerts
    sent in `alerts_json` and those its recipe version's thresholds raise (computed now, so
    snapshots recorded before thresholds existed are judged too)."""
    from modelyard.domain.enums import ModelStatus
    from modelyard.domain.gates import alerts_of
    from modelyard.domain.timefmt import iso
    from modelyard.ops.common import parse_enum
    from modelyard.ops.gates import Checker

    st = parse_enum(ModelStatus, status, "status")
    checker = Checker(reg)
    out = []
    for model in load.models_where(reg, status=st).all():
        snaps = load.snapshots(reg, model.id)
        if not snaps:
            out.append(AlertState(model.id, str(model.status), None, None, {}))
            continue
        latest = max(snaps, key=lambda s: (s.captured_at, s.id))
        computed = computed_for(reg, model, latest, checker)
        alerts = alerts_of(latest.alerts_json, ((k, v["severity"]) for k, v in computed.items()))
        out.append(
            AlertState(model.id, str(model.status), latest.id, iso(latest.captured_at), alerts)
        )
    return out
