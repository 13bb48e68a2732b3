"""Promotion gates on real registries: each condition failing alone, all passing, the champion
comparison both ways, overrides recorded in the commit, through ops, the CLI and HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clihelp import Cli
from conftest import git
from gates_support import (
    GATES,
    approve,
    last_message,
    model,
    on_day,
    run,
    set_gates,
    snapshot,
)
from modelyard.errors import ValidationFailed
from modelyard.ops import gates, models
from modelyard.ops.gates import GateRefused
from modelyard.server.app import create_app
from modelyard.storage.registry import Registry
from server_support import API

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def gated(reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """GATES declared; the recipe approved; model_new (draft) with a good eval run on day 10;
    checked on day 12."""
    on_day(monkeypatch, 1)
    reg = set_gates(reg)
    approve(reg)
    model(reg, "model_new")
    on_day(monkeypatch, 10)
    run(reg, "model_new", {"MAPE": 0.15, "revenue_lift": 0.03})
    on_day(monkeypatch, 12)
    return reg


def unmet(reg: Registry, model_id: str = "model_new") -> dict[str, str]:
    verdict = gates.check(reg, model_id, "production")
    assert verdict.gated
    return {c.name: c.message for c in verdict.unmet}


def test_all_conditions_met_promotes_and_records_the_gate(gated: Registry) -> None:
    verdict = gates.check(gated, "model_new", "production")
    assert verdict.passed and verdict.source == "modelyard.yaml"
    assert [c.name for c in verdict.conditions] == [
        "evidence",
        "thresholds",
        "champion",
        "monitoring",
    ]
    models.update_model(gated, "model_new", {"status": "production"})
    assert models.get_model(gated, "model_new").status == "production"
    assert "\n\nGate: production passed (modelyard.yaml)" in last_message(gated)


def test_no_evidence_alone(
    reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(monkeypatch, 1)
    reg = set_gates(reg, {"production": {"evidence": {"run_types": ["eval"], "max_age_days": 30}}})
    approve(reg)
    model(reg, "model_new")
    train = run(reg, "model_new", {"MAPE": 0.1}, run_type="train")
    failed = run(reg, "model_new", {"MAPE": 0.1}, status="failed")
    on_day(monkeypatch, 2)
    found = unmet(reg)
    assert list(found) == ["evidence"]
    assert f"{train}: a train run, not eval" in found["evidence"]
    assert f"{failed}: failed, not succeeded" in found["evidence"]
    with pytest.raises(GateRefused) as refused:
        models.update_model(reg, "model_new", {"status": "production"})
    assert refused.value.http_status == 409
    assert models.get_model(reg, "model_new").status == "draft"  # nothing written
    detail = refused.value.extra["gate"]
    assert detail["passed"] is False
    assert sorted(detail["conditions"][0]["runs"]) == sorted([failed, train])


def test_evidence_too_old_or_on_another_version_alone(
    gated: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(monkeypatch, 45)  # the day-10 run is 35 days old, the gate allows 30
    found = unmet(gated)
    assert list(found) == ["evidence", "thresholds"]  # thresholds need the evidence run
    assert "finished 35 days ago, more than 30" in found["evidence"]


def test_thresholds_alone(gated: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, 11)
    bad = run(gated, "model_new", {"MAPE": 0.25})
    found = unmet(gated)
    assert list(found) == ["thresholds"]
    assert found["thresholds"] == f"MAPE is 0.25 in {bad}, needs MAPE <= 0.2"


def test_champion_alone_lower_is_better(gated: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, 5)
    model(gated, "model_old")
    champion_run = run(gated, "model_old", {"MAPE": 0.155})
    models.update_model(gated, "model_old", {"status": "production"})
    on_day(monkeypatch, 12)
    # 0.15 vs 0.155: better, but not by the margin 0.01
    found = unmet(gated)
    assert list(found) == ["champion"]
    assert (
        "MAPE 0.15" in found["champion"]
        and f"0.155 of model_old ({champion_run})" in (found["champion"])
    )
    assert "lower is better, margin 0.01" in found["champion"]
    run(gated, "model_new", {"MAPE": 0.14})  # now better by 0.015
    assert gates.check(gated, "model_new", "production").passed


def test_champion_higher_is_better_with_a_relative_margin(
    reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(monkeypatch, 1)
    rule = {"metrics": ["revenue_lift"], "margin": 0.1, "margin_kind": "relative"}
    reg = set_gates(reg, {"production": {"champion": rule}})
    approve(reg)
    # revenue_lift has no acceptance threshold yet: which way is better is unknown
    model(reg, "model_old")
    run(reg, "model_old", {"revenue_lift": 0.04})
    models.update_model(reg, "model_old", {"status": "production"})
    model(reg, "model_new")
    run(reg, "model_new", {"revenue_lift": 0.05})
    assert "which way revenue_lift is better is not known" in unmet(reg)["champion"]
    rule["direction"] = {"revenue_lift": "higher"}
    reg = set_gates(reg, {"production": {"champion": rule}})
    assert gates.check(reg, "model_new", "production").passed  # 0.05 >= 0.04 * 1.1
    on_day(monkeypatch, 2)
    run(reg, "model_new", {"revenue_lift": 0.043})  # better, but by less than 10%
    assert "higher is better, margin 10%" in unmet(reg)["champion"]


def test_monitoring_alert_alone(gated: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    on_day(monkeypatch, 10)
    snapshot(gated, "model_new", drift_metrics_json={"PSI": 0.25})
    on_day(monkeypatch, 11)
    snapshot(gated, "model_new", drift_metrics_json={"PSI": 0.05})
    assert gates.check(gated, "model_new", "production").passed  # only the latest counts
    on_day(monkeypatch, 12)
    snapshot(gated, "model_new", alerts_json={"latency": {"severity": "warn"}})
    assert gates.check(gated, "model_new", "production").passed  # a warning is no alert
    on_day(monkeypatch, 13)
    snap = snapshot(gated, "model_new", drift_metrics_json={"PSI": 0.25})
    found = unmet(gated)
    assert list(found) == ["monitoring"]
    assert found["monitoring"] == f"the latest snapshot {snap['id']} shows alerts: computed:PSI"


def test_override_needs_a_reason_and_is_recorded(gated: Registry, monkeypatch) -> None:
    on_day(monkeypatch, 45)
    with pytest.raises(ValidationFailed):
        models.update_model(gated, "model_new", {"status": "production", "override_gate": True})
    models.update_model(
        gated,
        "model_new",
        {"status": "production", "override_gate": True, "reason": "incident 42 hotfix"},
    )
    message = last_message(gated)
    assert "Gate: production overridden (modelyard.yaml; unmet: evidence, thresholds)" in message
    assert "Reason: incident 42 hotfix" in message


def test_override_refused_where_settings_forbid_it(gated: Registry, monkeypatch) -> None:
    gated = set_gates(gated, GATES, allow_override=False)
    on_day(monkeypatch, 45)
    with pytest.raises(GateRefused) as refused:
        models.update_model(
            gated, "model_new", {"status": "production", "override_gate": True, "reason": "x"}
        )
    assert "does not allow overriding" in str(refused.value)


def test_a_recipe_gate_replaces_the_default_and_is_inherited(
    gated: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelyard.ops import recipes, versions

    child = recipes.create_recipe(
        gated,
        {
            "name": "Retail",
            "model_family": "pricing",
            "level": "industry",
            "parent_id": "recipe_pricing_base",
            "id": "recipe_retail",
            "manifest": {},
        },
    )
    approve(gated, child.id)
    model(gated, "model_child", version="ver_retail_v1.0.0", recipe=child.id)
    assert "evidence" in unmet(gated, "model_child")  # the default applies
    base = versions.list_versions(gated, "recipe_pricing_base").versions[-1].manifest_json
    base["promotion"] = {"gates": {"production": {"no_alert": True}}}
    note = {"change_note": "Gate production on monitoring only"}
    versions.create_version(gated, "recipe_pricing_base", {"manifest_json": base, **note})
    # the child is pinned to its parent's 1.0.0 until it moves to 1.1.0
    assert "evidence" in unmet(gated, "model_child")
    versions.create_version(
        gated, child.id, {"parent_version": "1.1.0", "manifest_json": base, **note}
    )
    verdict = gates.check(gated, "model_child", "production")
    assert verdict.source == "recipe recipe_retail" and verdict.passed


def test_demotion_and_statuses_without_a_gate_are_not_checked(gated: Registry, monkeypatch) -> None:
    assert not gates.check(gated, "model_new", "staging").gated
    on_day(monkeypatch, 45)
    models.update_model(gated, "model_new", {"status": "staging"})  # no staging gate
    models.update_model(
        gated, "model_new", {"status": "production", "override_gate": True, "reason": "r"}
    )
    models.update_model(gated, "model_new", {"status": "staging"})  # a rollback is not gated
    assert "Gate:" not in last_message(gated)


# -- the CLI ---------------------------------------------------------------------------------


def test_cli_refuses_checks_and_overrides(gated: Registry, monkeypatch) -> None:
    cli = Cli(gated.root)
    out = cli("models", "check", "model_new", "--status", "production").stdout
    assert "model_new -> production: passes its gate (modelyard.yaml)" in out
    on_day(monkeypatch, 45)
    out = cli("models", "check", "model_new", "--status", "production", code=1).stdout
    assert "FAIL evidence: no succeeded eval or backtest run" in out
    err = cli.error("models", "update", "model_new", "--status", "production")
    assert "Error: model_new cannot enter production: its gate (modelyard.yaml) is not met" in err
    assert "  evidence: no succeeded eval or backtest run of model_new" in err
    assert "  thresholds: " in err and "--override-gate --reason TEXT" in err
    # a missing reason is a usage error, like any missing required field (exit 2, one line)
    err = cli.error(
        "models", "update", "model_new", "--status", "production", "--override-gate", code=2
    )
    assert "Missing option '--reason'" in err
    cli(
        "models",
        "update",
        "model_new",
        "--status",
        "production",
        "--override-gate",
        "--reason",
        "board decision",
    )
    assert "Reason: board decision" in git(gated.worktree, "log", "-1", "--format=%B")


# -- HTTP ------------------------------------------------------------------------------------


@pytest.fixture
def client(gated: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(gated)) as c:
        yield c


def test_http_put_refused_with_409_and_overridden(client: TestClient, monkeypatch) -> None:
    on_day(monkeypatch, 45)
    resp = client.put(f"{API}/models/model_new", json={"status": "production"})
    assert resp.status_code == 409
    body = resp.json()
    assert body["detail"].startswith("model_new does not pass the production gate: evidence:")
    assert [c["condition"] for c in body["gate"]["conditions"] if not c["met"]] == [
        "evidence",
        "thresholds",
    ]
    assert body["gate"]["conditions"][0]["values"]["looked_at"][0].endswith(
        "finished 35 days ago, more than 30"
    )
    resp = client.put(
        f"{API}/models/model_new",
        json={"status": "production", "override_gate": True, "reason": "ok by the lead"},
    )
    assert resp.status_code == 200 and resp.json()["status"] == "production"
    resp = client.get(f"{API}/models/model_new/gate", params={"status": "production"})
    assert resp.status_code == 200 and resp.json()["passed"] is False


@pytest.mark.slow
def test_a_real_server_refuses_and_then_takes_an_override(
    gated: Registry, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from server_support import running_server

    on_day(monkeypatch, 45)  # the evidence run is too old; the server inherits the clock
    with running_server(gated.root, log_dir=tmp_path) as server:
        status, body = server.request("PUT", f"{API}/models/model_new", {"status": "production"})
        assert status == 409 and body["gate"]["passed"] is False
        assert {c["condition"] for c in body["gate"]["conditions"] if not c["met"]} == {
            "evidence",
            "thresholds",
        }
        status, body = server.request("GET", f"{API}/models/model_new/gate?status=production")
        assert status == 200 and body["source"] == "modelyard.yaml"
        status, body = server.request(
            "PUT",
            f"{API}/models/model_new",
            {"status": "production", "override_gate": True, "reason": "over the wire"},
        )
        assert status == 200 and body["status"] == "production"
        status, body = server.request("GET", f"{API}/models/model_new/history")
        assert body["changes"][-1]["reason"] == "over the wire"
        assert body["changes"][-1]["gate"].startswith("production overridden")


def test_registering_straight_into_a_gated_status_is_checked(gated: Registry) -> None:
    cli = Cli(gated.root)
    args = [
        "models",
        "register",
        "--name",
        "Straight In",
        "--recipe-id",
        "recipe_pricing_base",
        "--recipe-version-id",
        "1.0.0",
        "--owner",
        "team",
        "--status",
        "production",
    ]
    err = cli.error(*args)
    assert "model_straight_in cannot enter production" in err and "evidence" in err
    assert "model_straight_in" not in cli("models", "list").stdout  # nothing written
    cli(*args, "--override-gate", "--reason", "migrated from the old registry")
    assert "Reason: migrated from the old registry" in last_message(gated)
