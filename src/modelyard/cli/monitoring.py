"""`modelyard monitoring ...`"""

from __future__ import annotations

from typing import Any

import click

from modelyard.cli.common import (
    body_option,
    build_body,
    emit,
    json_option,
    open_registry,
    page_options,
    table,
)
from modelyard.cli.options import choice, key_values, model_id_argument
from modelyard.cli.sync import push_option
from modelyard.domain.enums import ModelStatus


def snapshots_table(result: Any) -> str:
    rows = []
    for s in result.snapshots:
        perf = ", ".join(f"{k}={v:g}" for k, v in s.performance_metrics_json.items())
        drift = ", ".join(f"{k}={v:g}" for k, v in s.drift_metrics_json.items())
        alerts = [*s.alerts_json, *(f"computed:{k}" for k in s.computed_alerts_json)]
        when = s.model_dump(mode="json")["captured_at"]
        rows.append([s.id, when, perf, drift, ", ".join(alerts)])
    return (
        f"{table(rows, ['id', 'captured_at', 'performance', 'drift', 'alerts'])}\n"
        f"{len(rows)} of {result.total} snapshots"
    )


def snapshot_text(s: Any) -> str:
    return snapshots_table(type("One", (), {"snapshots": [s], "total": 1})())


@click.group()
def monitoring() -> None:
    """Monitoring snapshots: what a model's production monitoring saw, over time."""


@monitoring.command("list")
@model_id_argument()
@page_options
@json_option
@click.pass_context
def list_(ctx: click.Context, model_id: str, limit: int, offset: int, as_json: bool) -> None:
    """List a model's snapshots, newest first (GET /models/{model_id}/monitoring)."""
    from modelyard.ops import monitoring as ops

    emit(ops.list_snapshots(open_registry(ctx), model_id, limit, offset), as_json, snapshots_table)


@monitoring.command("create")
@model_id_argument()
@body_option
@click.option(
    "--performance", multiple=True, metavar="NAME=NUMBER", help="A performance metric (repeatable)."
)
@click.option(
    "--drift",
    multiple=True,
    metavar="NAME=NUMBER",
    help="A drift metric, e.g. PSI=0.08 (repeatable).",
)
@click.option(
    "--freshness", multiple=True, metavar="NAME=VALUE", help="A data freshness fact (repeatable)."
)
@click.option(
    "--alert", "alerts", multiple=True, metavar="NAME=VALUE", help="An active alert (repeatable)."
)
@click.option("--captured-at", help="When it was captured (ISO 8601; default now).")
@click.option("--created-by", help="Author of the commit.")
@json_option
@push_option
@click.pass_context
def create(
    ctx: click.Context,
    model_id: str,
    body_file: str | None,
    performance: tuple[str, ...],
    drift: tuple[str, ...],
    freshness: tuple[str, ...],
    alerts: tuple[str, ...],
    captured_at: str | None,
    created_by: str | None,
    as_json: bool,
) -> None:
    """Record a monitoring snapshot (POST /models/{model_id}/monitoring)."""
    from modelyard.ops import monitoring as ops

    body = build_body(
        body_file,
        model_id=None,
        performance_metrics_json=key_values(performance, "--performance", numbers=True),
        drift_metrics_json=key_values(drift, "--drift", numbers=True),
        data_freshness_json=key_values(freshness, "--freshness"),
        alerts_json=key_values(alerts, "--alert"),
        captured_at=captured_at,
        created_by=created_by,
    )
    emit(ops.create_snapshot(open_registry(ctx), model_id, body), as_json, snapshot_text)


@monitoring.command("check")
@click.option(
    "--status",
    type=choice(ModelStatus),
    help="Only models in this status (e.g. production).",
)
@json_option
@click.pass_context
def check(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """Say which models' latest snapshot shows an alert (sent, or raised by the recipe's
    monitoring thresholds); exit 1 when any does, for a scheduled CI job."""
    import json

    from modelyard.ops import monitoring as ops

    states = ops.check_alerts(open_registry(ctx), status)
    if as_json:
        click.echo(json.dumps({"models": [s.as_json() for s in states]}, indent=2))
    else:
        rows = [
            [
                s.model_id,
                s.status,
                s.snapshot_id or "(no snapshot)",
                "ALERT" if s.in_alert else "ok",
                ", ".join(f"{k}={v}" for k, v in sorted(s.alerts.items())),
            ]
            for s in states
        ]
        firing = sum(s.in_alert for s in states)
        click.echo(table(rows, ["model", "status", "latest snapshot", "state", "alerts"]))
        click.echo(f"{firing} of {len(states)} models in alert")
    if any(s.in_alert for s in states):
        ctx.exit(1)


def _add_compute() -> None:
    # its own module: reading data files and the statistics are a command of their own
    from modelyard.cli.drift import compute

    monitoring.add_command(compute)


_add_compute()
