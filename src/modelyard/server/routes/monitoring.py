"""Monitoring snapshots of a model: list (newest first) and create."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from modelyard.domain.records import MonitoringSnapshot, SnapshotList
from modelyard.domain.requests import SnapshotCreate
from modelyard.ops import monitoring
from modelyard.server.routes.common import (
    DEFAULT_LIMIT,
    DEFAULT_OFFSET,
    Access,
    Limit,
    Offset,
    respond,
)
from modelyard.server.schemas import NOT_FOUND, WRITE_ERRORS

TAG = "Monitoring"
reads = APIRouter(tags=[TAG])
writes = APIRouter(tags=[TAG])


@reads.get(
    "/models/{model_id}/monitoring",
    summary="List Monitoring Snapshots",
    response_model=SnapshotList,
    responses=NOT_FOUND,
)
async def list_snapshots(
    access: Access, model_id: str, limit: Limit = DEFAULT_LIMIT, offset: Offset = DEFAULT_OFFSET
) -> JSONResponse:
    """A model's snapshots, newest `captured_at` first."""
    return respond(await access.read(monitoring.list_snapshots, model_id, limit, offset))


@writes.post(
    "/models/{model_id}/monitoring",
    summary="Create Monitoring Snapshot",
    status_code=201,
    response_model=MonitoringSnapshot,
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def create_snapshot(access: Access, model_id: str, body: SnapshotCreate) -> JSONResponse:
    """Record what production monitoring saw (captured now unless `captured_at` is given)."""
    return respond(await access.write(monitoring.create_snapshot, model_id, body), 201)
