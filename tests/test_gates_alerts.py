"""Alerts from thresholds: computed when a snapshot is recorded (beside `alerts_json` as sent),
and `modelyard monitoring check` failing while a model is in alert."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from clihelp import Cli
from gates_support import approve, model, on_day, snapshot
from modelyard.domain.alerts import computed_alerts
from modelyard.domain.manifest import Monitoring
from modelyard.domain.records import MonitoringSnapshot
from modelyard.ops import models
from modelyard.server.app import create_app
from modelyard.storage.registry import Registry
from server_support import API

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_thresholds_give_warn_and_alert() -> None:
    monitoring = Monitoring.model_validate(
        {
            "drift": {"PSI": {"warn": 0.1, "alert": 0.2}, "KS": {"warn": 0.1, "alert": 0.3}},
            "performance": {"MAPE": {"max": 0.2}},
            "freshness": {"max_age_hours": 24},
        }
    )
    snap = MonitoringSnapshot.model_validate(
        {
            "id": "snap_20261101120000_abcdefgh",
            "model_id": "model_x",
            "captured_at": "2026-11-01T12:00:00Z",
            "drift_metrics_json": {"PSI": 0.15, "KS": 0.05},
            "performance_metrics_json": {"MAPE": 0.25},
            "data_freshness_json": {"last_update": "2026-10-30T12:00:00Z"},
        }
    )
    found = computed_alerts(monitoring, snap)
    assert {k: v["severity"] for k, v in found.items()} == {
        "PSI": "warn",
        "MAPE": "alert",
        "freshness": "alert",
    }
    assert found["freshness"]["value"] == 48.0
    assert found["MAPE"]["rule"] == "needs MAPE <= 0.2"


def test_snapshots_carry_computed_alerts_and_monitoring_check_fails_on_them(
    reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(monkeypatch, 1)
    approve(reg)
    model(reg, "model_live")
    models.update_model(reg, "model_live", {"status": "production"})
    model(reg, "model_idle")
    on_day(monkeypatch, 2)
    sent = {"latency": {"severity": "warn", "value": 900}}
    snap = snapshot(reg, "model_live", drift_metrics_json={"PSI": 0.25}, alerts_json=sent)
    assert snap["alerts_json"] == sent  # as sent
    assert snap["computed_alerts_json"] == {
        "PSI": {"severity": "alert", "value": 0.25, "rule": "PSI >= 0.2 (drift alert)"}
    }
    text = reg.path(f"models/model_live/monitoring/{snap['id']}.yaml").read_text()
    assert "computed_alerts_json:\n  PSI:\n    severity: alert" in text
    cli = Cli(reg.root)
    out = cli("monitoring", "check", "--status", "production", code=1).stdout
    assert "model_live" in out and "ALERT" in out and "computed:PSI=alert" in out
    assert "1 of 1 models in alert" in out
    snapshot(reg, "model_idle", drift_metrics_json={"PSI": 0.5})
    result = cli("monitoring", "check", "--json", code=1)
    states = {m["model_id"]: m["in_alert"] for m in json.loads(result.stdout)["models"]}
    assert states == {"model_idle": True, "model_live": True}
    on_day(monkeypatch, 3)
    with TestClient(create_app(reg)) as client:
        resp = client.post(
            f"{API}/models/model_live/monitoring", json={"drift_metrics_json": {"PSI": 0.12}}
        )
        assert resp.status_code == 201
        assert resp.json()["computed_alerts_json"]["PSI"]["severity"] == "warn"
    out = cli("monitoring", "check", "--status", "production").stdout
    assert "0 of 1 models in alert" in out  # a warning is no alert
    cli("monitoring", "check", code=1)  # model_idle (draft) is in alert
