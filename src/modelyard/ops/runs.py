"""Runs: list, get, create, update. queued -> running -> succeeded | failed, timestamps
automatic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.domain.enums import ModelStatus, RunStatus
from modelyard.domain.ids import time_id
from modelyard.domain.lifecycle import RUN_TRANSITIONS, transition_problem
from modelyard.domain.records import Run, RunList, RunOut
from modelyard.errors import Conflict, FieldError, ValidationFailed
from modelyard.ops import load, refs
from modelyard.ops.common import check_page, parse_body, parse_enum
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

if TYPE_CHECKING:
    # request bodies are imported where one is parsed, so a listing does not build
    # their classes
    from modelyard.domain.requests import RunCreate, RunUpdate


def list_runs(
    reg: Registry,
    model_id: str | None = None,
    recipe_id: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    run_type: str | None = None,
) -> RunList:
    """Runs matching every given filter, newest first."""
    from modelyard.domain.enums import RunType

    st = parse_enum(RunStatus, status, "status")
    rt = parse_enum(RunType, run_type, "run_type")
    limit, offset = check_page(limit, offset)
    hits = load.runs_where(reg, model_id=model_id, recipe_id=recipe_id, status=st, run_type=rt)
    return RunList(runs=[load.run_out(reg, r) for r in hits.page(offset, limit)], total=len(hits))


def get_run(reg: Registry, run_id: str) -> RunOut:
    """One run with its logs."""
    return load.run_out(reg, load.run(reg, run_id))


def create_run(reg: Registry, body: RunCreate | dict[str, Any]) -> RunOut:
    """Queue a run of a committed recipe version, optionally for a model built from that recipe."""
    from modelyard.domain.requests import RunCreate

    req = parse_body(RunCreate, body)
    with reg.mutate("", author=req.created_by) as m:
        now = m.date
        recipe = load.recipe(reg, req.recipe_id)
        version = refs.recipe_version(reg, recipe.id, req.recipe_version_id)
        if req.model_id is not None:
            model = load.model(reg, req.model_id)
            if model.recipe_id != recipe.id:
                raise ValidationFailed(
                    [
                        FieldError(
                            ("body", "model_id"),
                            f"model {model.id} is built from {model.recipe_id}, not {recipe.id}",
                            "value_error.model",
                        )
                    ]
                )
            if model.status == ModelStatus.retired:
                raise Conflict(f"model {model.id} is retired; it takes no new runs")
        run = Run(
            id=time_id("run", now),
            model_id=req.model_id,
            recipe_id=recipe.id,
            recipe_version_id=version,
            run_type=req.run_type,
            status=RunStatus.queued,
            created_at=now,
        )
        rel = str(layout.run_file(run.id))
        m.write(rel, files.render(run, "run", rel))
        target = f" for {req.model_id}" if req.model_id else ""
        m.message = f"Queue {req.run_type} run {run.id} of {version}{target}"
    return RunOut(**run.model_dump(), logs_text="")


def update_run(reg: Registry, run_id: str, body: RunUpdate | dict[str, Any]) -> RunOut:
    """Report progress or results. Leaving queued sets started_at, a final status sets
    finished_at (a direct jump sets both); final statuses are final."""
    from modelyard.domain.requests import RunUpdate

    req = parse_body(RunUpdate, body)
    with reg.mutate("", author=req.updated_by) as m:
        run = load.run(reg, run_id)
        logs = reg.read_logs(layout.logs_file(run_id)) or ""
        now = m.date
        changes: dict[str, Any] = {}
        if req.status is not None and req.status != run.status:
            problem = transition_problem("run", run.status, req.status, RUN_TRANSITIONS)
            if problem:
                raise Conflict(problem)
            changes["status"] = req.status
            if run.started_at is None:
                changes["started_at"] = now
            if req.status.is_final:
                changes["finished_at"] = now
        if req.metrics_json is not None and req.metrics_json != run.metrics_json:
            changes["metrics_json"] = req.metrics_json
        if req.artifacts_json is not None and req.artifacts_json != run.artifacts_json:
            changes["artifacts_json"] = req.artifacts_json
        updated = Run.model_validate({**run.model_dump(), **changes})
        if changes:
            rel = str(layout.run_file(run_id))
            m.write(rel, files.render(updated, "run", rel))
        if req.logs_text is not None and req.logs_text != logs:
            m.write(layout.logs_file(run_id), req.logs_text)
            logs = req.logs_text
        what = f"status {run.status} -> {req.status}" if "status" in changes else "results"
        m.message = f"Update run {run_id}: {what}"
    return RunOut(**updated.model_dump(), logs_text=logs)
