"""Checks of models, runs and monitoring snapshots: ids, references, timestamps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from modelyard.domain.enums import ModelStatus, RecipeStatus, RunStatus
from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.records import MonitoringSnapshot, Run
from modelyard.ops.history import owner_of, version_number
from modelyard.storage import layout
from modelyard.validate.context import Context
from modelyard.validate.tree import Parsed


def check_version_ref(
    ctx: Context, where: Callable[[], tuple[int, int] | None], recipe_id: str, ref: str, shown: str
) -> None:
    """`recipe_version_id` must name a version of the record's recipe that exists; `where`
    gives the field's position, asked only for a problem (it may read the file)."""
    number = version_number(recipe_id, ref)
    if number is None:
        owner = owner_of(ref)
        hint = f"; it names a version of {owner}" if owner and owner != recipe_id else ""
        ctx.out.error(
            "unknown-version",
            shown,
            f"{ref!r} is not a version id of {recipe_id} (expected like "
            f"{make_version_id(recipe_id, '1.0.0')!r}){hint}",
            where(),
            "recipe_version_id",
        )
        return
    if not ctx.version_exists(recipe_id, number):
        known = ", ".join(ctx.known_versions(recipe_id)) or "none"
        ctx.out.error(
            "unknown-version",
            shown,
            f"{recipe_id} has no version {number} (its versions: {known})",
            where(),
            "recipe_version_id",
        )


def check_model(ctx: Context, model_id: str) -> None:
    rel = str(layout.model_file(model_id))
    parsed = ctx.tree.model(model_id)
    if parsed is None:
        return
    ctx.report_parse(parsed)
    shown = ctx.display(rel)
    model = parsed.record
    if model is None:
        return
    if model.id != model_id:
        ctx.out.error(
            "id-mismatch",
            shown,
            f"id {model.id!r} does not match its folder {model_id!r}",
            parsed.where("id"),
            "id",
        )
    recipe = ctx.tree.recipe(model.recipe_id)
    if recipe is None:
        ctx.out.error(
            "unknown-recipe",
            shown,
            ctx.unknown_recipe(model.recipe_id),
            parsed.where("recipe_id"),
            "recipe_id",
        )
        return
    if recipe.record is None:
        return
    if recipe.record.model_family != model.model_family:
        ctx.out.error(
            "family-mismatch",
            shown,
            f"model_family is {model.model_family}, but its recipe {model.recipe_id} is "
            f"{recipe.record.model_family}",
            parsed.where("model_family"),
            "model_family",
        )
    check_version_ref(
        ctx,
        lambda: parsed.where("recipe_version_id"),
        model.recipe_id,
        model.recipe_version_id,
        shown,
    )
    if (
        model.status == ModelStatus.production
        and ctx.settings.require_approved_recipe_for_production
        and recipe.record.status != RecipeStatus.approved
    ):
        ctx.out.warning(
            "production-unapproved",
            shown,
            f"model is in production but its recipe {model.recipe_id} is {recipe.record.status}, "
            "not approved",
            parsed.where("status"),
            "status",
        )


# the fields of a run that name other records
REF_FIELDS = ("recipe_id", "recipe_version_id", "model_id")


@dataclass(frozen=True)
class RunRefs:
    """What a run's reference checks need: small, so a worker process can send it back."""

    rel: str
    recipe_id: str
    recipe_version_id: str
    model_id: str | None
    where: dict[str, tuple[int, int] | None]


def check_run(ctx: Context, rel: str, shard: str, run_id: str) -> None:
    refs = check_run_local(ctx, rel, shard, run_id)
    check_run_duplicates(ctx, rel, shard, run_id)
    if refs is not None:
        check_run_refs(ctx, refs)


def check_run_local(ctx: Context, rel: str, shard: str, run_id: str) -> RunRefs | None:
    """What one run file shows by itself: schema, id, shard, timestamps."""
    parsed = ctx.tree.parse(rel, Run, keep=False)
    if parsed is None:
        return None
    ctx.report_parse(parsed)
    shown = ctx.display(rel)
    expected = layout.run_shard(run_id)
    if shard != expected:
        ctx.out.error(
            "wrong-shard",
            shown,
            f"run {run_id} belongs in runs/{expected}/ "
            f"(the month its id starts with), not runs/{shard}/",
        )
    run = parsed.record
    if run is None:
        return None
    if run.id != run_id:
        ctx.out.error(
            "id-mismatch",
            shown,
            f"id {run.id!r} does not match its folder {run_id!r}",
            parsed.where("id"),
            "id",
        )
    _check_timestamps(ctx, parsed, run, shown)
    return RunRefs(
        rel,
        run.recipe_id,
        run.recipe_version_id,
        run.model_id,
        {f: parsed.where(f) for f in REF_FIELDS},
    )


def check_run_duplicates(ctx: Context, rel: str, shard: str, run_id: str) -> None:
    shards = ctx.tree.run_index().get(run_id, [])
    if len(shards) > 1:
        ctx.out.error(
            "duplicate-id",
            ctx.display(rel),
            f"run {run_id} also exists in " + ", ".join(f"runs/{s}/" for s in shards if s != shard),
        )


def check_run_refs(ctx: Context, refs: RunRefs) -> None:
    """A run's recipe, recipe version and model exist, and the model is built from the recipe."""
    shown = ctx.display(refs.rel)
    recipe = ctx.tree.recipe(refs.recipe_id)
    if recipe is None:
        ctx.out.error(
            "unknown-recipe",
            shown,
            ctx.unknown_recipe(refs.recipe_id),
            refs.where["recipe_id"],
            "recipe_id",
        )
    else:
        check_version_ref(
            ctx,
            lambda: refs.where["recipe_version_id"],
            refs.recipe_id,
            refs.recipe_version_id,
            shown,
        )
    if refs.model_id is None:
        return
    model = ctx.tree.model(refs.model_id)
    if model is None:
        ctx.out.error(
            "unknown-model",
            shown,
            ctx.unknown_model(refs.model_id),
            refs.where["model_id"],
            "model_id",
        )
    elif model.record is not None and model.record.recipe_id != refs.recipe_id:
        ctx.out.error(
            "model-recipe-mismatch",
            shown,
            f"model {refs.model_id} is built from {model.record.recipe_id}, not {refs.recipe_id}",
            refs.where["model_id"],
            "model_id",
        )


def _check_timestamps(ctx: Context, parsed: Parsed[Run], run: Run, shown: str) -> None:
    """Leaving `queued` sets started_at, a final status sets finished_at (docs/api.md)."""

    def bad(field: str, message: str) -> None:
        ctx.out.error(
            "run-timestamps", shown, message, parsed.where(field) or parsed.where("status"), field
        )

    status = run.status
    if status == RunStatus.queued:
        for field in ("started_at", "finished_at"):
            if getattr(run, field) is not None:
                bad(field, f"a queued run has not started, so {field} must be empty")
        return
    if run.started_at is None:
        bad("started_at", f"a {status} run needs started_at")
    if status.is_final and run.finished_at is None:
        bad("finished_at", f"a {status} run needs finished_at")
    if not status.is_final and run.finished_at is not None:
        bad("finished_at", f"a {status} run has not finished, so finished_at must be empty")
    if run.started_at is not None and run.started_at < run.created_at:
        bad("started_at", "started_at is before created_at")
    if (
        run.started_at is not None
        and run.finished_at is not None
        and run.finished_at < run.started_at
    ):
        bad("finished_at", "finished_at is before started_at")


def check_snapshot(ctx: Context, rel: str, model_id: str, snapshot_id: str) -> None:
    check_snapshot_local(ctx, rel, model_id, snapshot_id)
    check_snapshot_model(ctx, rel, model_id)


def check_snapshot_model(ctx: Context, rel: str, model_id: str) -> None:
    if ctx.tree.exists(rel) and ctx.tree.model(model_id) is None:
        ctx.out.error(
            "unknown-model",
            ctx.display(rel),
            f"snapshot is in models/{model_id}/monitoring/, but {ctx.unknown_model(model_id)}",
        )


def check_snapshot_local(ctx: Context, rel: str, model_id: str, snapshot_id: str) -> None:
    """What one snapshot file shows by itself: schema, its id and model id against its path."""
    parsed = ctx.tree.parse(rel, MonitoringSnapshot, keep=False)
    if parsed is None:
        return
    ctx.report_parse(parsed)
    shown = ctx.display(rel)
    snap = parsed.record
    if snap is None:
        return
    if snap.id != snapshot_id:
        ctx.out.error(
            "id-mismatch",
            shown,
            f"id {snap.id!r} does not match its file name {snapshot_id!r}",
            parsed.where("id"),
            "id",
        )
    if snap.model_id != model_id:
        ctx.out.error(
            "id-mismatch",
            shown,
            f"model_id {snap.model_id!r} does not match its folder models/{model_id}/",
            parsed.where("model_id"),
            "model_id",
        )
