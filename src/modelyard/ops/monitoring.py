"""Monitoring snapshots of a model: list (newest first) and create."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.domain.ids import time_id
from modelyard.domain.records import MonitoringSnapshot, SnapshotList
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
        load.model(reg, model_id)
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
        rel = str(layout.snapshot_file(model_id, snap.id))
        m.write(rel, files.render(snap, "snapshot", rel))
        alerts = f" ({len(snap.alerts_json)} alerts)" if snap.alerts_json else ""
        m.message = f"Monitoring snapshot {snap.id} of {model_id}{alerts}"
    return snap
