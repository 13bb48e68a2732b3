"""One plain, JSON-able context per page, built from the catalog. Templates only lay these
out; a page is re-rendered exactly when its context (or a template) changes."""

from __future__ import annotations

import bisect
import statistics
from typing import Any

from modelyard.domain.enums import ModelFamily, ModelStatus, RecipeLevel, RecipeStatus
from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.limits import MAX_LINEAGE_DEPTH
from modelyard.domain.records import Model, RecipeOut, RunOut
from modelyard.ops.history import version_number
from modelyard.site.charts import fmt_number, line_chart, metric_thresholds
from modelyard.site.rows import (
    NEIGHBOURS,
    PAGE_RUNS,
    RECENT_RUNS,
    SNAPSHOT_ROWS,
    Indexes,
    alert_items,
    alert_level,
    flatten,
    has_alerts,
    iso_text,
    model_row,
    recipe_ref,
    run_href,
    run_row,
    short_time,
    text,
)

LANDING_ROWS = 200  # recipes and models listed on the landing page, at most
LANDING_ALERTS = 50


def index_page(cat: Any, ix: Indexes) -> dict[str, Any]:
    """The model library: recipes by family and level, models by status, recent runs, alerts."""
    recipe_rows = [
        {
            "id": r.id,
            "name": r.name,
            "model_family": str(r.model_family),
            "level": str(r.level),
            "status": str(r.status),
            "tags": list(r.tags),
            "version": r.version or "",
            "parent": recipe_ref(ix, r.parent_id) if r.parent_id else None,
            "updated_at": iso_text(r.updated_at),
            "updated": short_time(r.updated_at),
        }
        for r in cat.recipes
    ]
    families = []
    for family in ModelFamily:
        levels = []
        for level in RecipeLevel:
            members = [
                row
                for row in recipe_rows
                if row["model_family"] == family and row["level"] == level
            ]
            levels.append({"level": str(level), "recipes": members})
        count = sum(len(lv["recipes"]) for lv in levels)
        if count:
            families.append({"family": str(family), "levels": levels, "count": count})
    model_rows = [model_row(ix, m, has_alerts(cat, m.id)) for m in cat.models]
    by_status = [
        {"status": str(s), "count": sum(1 for m in cat.models if m.status == s)}
        for s in ModelStatus
    ]
    alerts = []
    for model in cat.models:
        latest = cat.snapshots.latest(model.id)
        if latest and latest.alerts_json:
            alerts.append(
                {
                    "model": model_row(ix, model, alert_level(latest.alerts_json)),
                    "level": alert_level(latest.alerts_json),
                    "captured": short_time(latest.captured_at),
                    "alerts": alert_items(latest.alerts_json),
                }
            )
    return {
        "title": cat.settings.name,
        "description": cat.settings.description or "",
        "limit": LANDING_ROWS,
        "counts": {
            "recipes": len(cat.recipes),
            "models": len(cat.models),
            "runs": len(cat.runs),
            "alerts": len(alerts),
        },
        "families": families,
        # bounded whatever the registry holds: the rest is a search or an explorer away
        "recipes": recipe_rows[:LANDING_ROWS],
        "models": model_rows[:LANDING_ROWS],
        "models_by_status": by_status,
        "runs": [run_row(ix, r) for r in cat.runs[:RECENT_RUNS]],
        "alerts": alerts[:LANDING_ALERTS],
        "filters": {
            "model_family": [str(f) for f in ModelFamily],
            "level": [str(lv) for lv in RecipeLevel],
            "recipe_status": [str(s) for s in RecipeStatus],
            "model_status": [str(s) for s in ModelStatus],
            "tag": sorted({t for r in recipe_rows[:LANDING_ROWS] for t in r["tags"]}),
            "owner": sorted({m["owner"] for m in model_rows[:LANDING_ROWS]}),
        },
        "built_at": iso_text(cat.built_at),
        "head": (cat.head or "")[:12],
        "problems": list(cat.problems),
    }


TREE_LIMIT = 60  # nodes at one level of the drawn tree before "and N more"


def _lineage_tree(
    ix: Indexes, recipe_id: str, current: str, path: set[str], depth: int = 0
) -> dict[str, Any]:
    """The lineage from the root: the path down to `current` and everything below it in
    full; other branches as one node each with how many recipes hang below them."""
    recipe = ix.recipes[recipe_id]
    kids = sorted(ix.children.get(recipe_id, []), key=lambda r: r.id)
    expand = depth < 12 and (
        recipe_id in path or recipe_id == current or _below(ix, recipe_id, current)
    )
    children = (
        [_lineage_tree(ix, k.id, current, path, depth + 1) for k in kids[:TREE_LIMIT]]
        if expand
        else []
    )
    return {
        "id": recipe.id,
        "name": recipe.name,
        "level": str(recipe.level),
        "status": str(recipe.status),
        "current": recipe.id == current,
        "children": children,
        "more": len(kids) - len(children) if expand else 0,
        "hidden": 0 if expand else _count_below(ix, recipe_id),
    }


def _below(ix: Indexes, recipe_id: str, ancestor: str) -> bool:
    seen: set[str] = set()
    parent = ix.recipes[recipe_id].parent_id
    # bounded like every walk up a lineage: a longer chain does not build (LineageTooDeep)
    while parent and parent not in seen and len(seen) <= MAX_LINEAGE_DEPTH:
        if parent == ancestor:
            return True
        seen.add(parent)
        parent = ix.recipes[parent].parent_id if parent in ix.recipes else None
    return False


def _count_below(ix: Indexes, recipe_id: str) -> int:
    """Descendants of a recipe, counted with a loop (a lineage is no recursion's to bound)."""
    seen = {recipe_id}
    todo = [recipe_id]
    count = 0
    while todo:
        for kid in ix.children.get(todo.pop(), []):
            count += 1
            if kid.id not in seen:
                seen.add(kid.id)
                todo.append(kid.id)
    return count


def _ancestors(ix: Indexes, recipe: RecipeOut) -> list[RecipeOut]:
    chain: list[RecipeOut] = []
    seen = {recipe.id}
    parent_id = recipe.parent_id
    while (
        parent_id
        and parent_id in ix.recipes
        and parent_id not in seen
        and len(seen) <= MAX_LINEAGE_DEPTH
    ):
        parent = ix.recipes[parent_id]
        chain.insert(0, parent)
        seen.add(parent_id)
        parent_id = parent.parent_id
    return chain


def _schema_fields(schema: dict[str, Any]) -> list[dict[str, str]]:
    """A Table Schema's fields as table rows: name, type, constraints, description."""
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return []
    keys = schema.get("primaryKey") or []
    keys = [keys] if isinstance(keys, str) else keys
    out = []
    for f in fields:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            continue
        raw = f.get("constraints")
        constraints: dict[str, Any] = raw if isinstance(raw, dict) else {}
        out.append(
            {
                "name": f["name"],
                "type": text(f.get("type", "string")),
                "constraints": ", ".join(f"{k}: {text(v)}" for k, v in constraints.items()),
                "description": text(f.get("description", "")),
                "key": "primary key" if f["name"] in keys else "",
            }
        )
    return out


def _synthetic(example: Any) -> dict[str, Any] | None:
    if example is None:
        return None
    schema = example.dataset_schema_json
    columns_spec = schema.get("columns") if isinstance(schema.get("columns"), dict) else None
    schema_rows = []
    if columns_spec is not None:
        for name, spec in columns_spec.items():
            if isinstance(spec, dict):
                detail = ", ".join(f"{k}: {text(v)}" for k, v in spec.items())
            else:
                detail = text(spec)
            schema_rows.append({"name": str(name), "detail": detail})
    fields = _schema_fields(schema)
    other = [
        {"path": p, "value": text(v)}
        for p, v in flatten({k: v for k, v in schema.items() if k not in ("columns", "fields")})
        if p
    ]
    columns: list[str] = list(columns_spec) if columns_spec else [f["name"] for f in fields]
    for row in example.sample_rows_json:
        for key in row:
            if key not in columns:
                columns.append(key)
    rows = [[text(row.get(c, "")) for c in columns] for row in example.sample_rows_json]
    run = [{"path": p, "value": text(v)} for p, v in flatten(example.example_run_json) if p]
    return {
        "schema": schema_rows,
        "fields": fields,
        "schema_other": other,
        "columns": columns,
        "rows": rows,
        "run": run,
    }


def _rebase_preview(
    cat: Any, recipe_id: str, parent_id: str, pinned: str
) -> list[dict[str, str]] | None:
    """What `modelyard recipes rebase` onto the parent's current version would change, from
    the manifests the catalog already holds (None when a side is missing)."""
    from modelyard.domain.rebase import three_way
    from modelyard.ops.rebase import list_modes

    base = next(
        (v.manifest_json for v in cat.versions.get(parent_id, []) if v.version_number == pinned),
        None,
    )
    ours, theirs = cat.resolved.get(recipe_id, ({}, {}))[0], cat.resolved.get(parent_id, ({},))[0]
    if base is None or not ours or not theirs:
        return None
    merge = three_way(base, ours, theirs, list_modes(cat.settings))

    def shown(value: Any) -> str:
        return "(absent)" if value is None else text(value)

    return [
        {
            "path": c.path,
            "case": c.case,
            "base": shown(c.base),
            "ours": shown(c.ours),
            "theirs": shown(c.theirs),
            "result": "" if c.case == "conflict" else shown(c.result),
        }
        for c in merge.changes
    ]


def sources(cat: Any, key: str) -> list[dict[str, str]]:
    """A record's files: path, raw YAML, and the settings' `catalog_edit_url` link to edit
    it ("" without one). Ids and paths are validated, so the link holds nothing else."""
    template = cat.settings.catalog_edit_url or ""
    return [
        {"path": path, "yaml": text, "edit": template.replace("{path}", path) if template else ""}
        for path, text in cat.sources.get(key, [])
    ]


def recipe_page(cat: Any, ix: Indexes, recipe: RecipeOut) -> dict[str, Any]:
    """A recipe: metadata, lineage, resolved manifest with provenance, versions, example, users."""
    manifest, provenance = cat.resolved.get(recipe.id, ({}, {}))
    rows = [
        {
            "path": path,
            "value": text(value),
            "set_by": recipe_ref(ix, provenance.get(path, recipe.id)),
            "own": provenance.get(path, recipe.id) == recipe.id,
        }
        for path, value in flatten(manifest)
        if path
    ]
    versions = []
    for v in reversed(cat.versions.get(recipe.id, [])):
        changes = [
            {
                "op": c.get("op", ""),
                "path": c.get("path_text", ""),
                "old": text(c.get("old")),
                "new": text(c.get("new")),
                "bump": c.get("bump") or "",
            }
            for c in ((v.diff_from_prev or {}).get("changes") or [])
        ]
        versions.append(
            {
                "number": v.version_number,
                "version_id": v.version_id,
                "anchor": v.version_id,
                "change_note": v.change_note,
                "created_by": v.created_by,
                "created_at": iso_text(v.created_at),
                "created": short_time(v.created_at),
                "commit": v.commit or "",
                "commit_short": (v.commit or "")[:10],
                "bump": v.bump or "",
                "changes": changes,
                "extends": {
                    "recipe": recipe_ref(ix, v.extends.recipe),
                    "version": v.extends.version,
                }
                if v.extends
                else None,
            }
        )
    behind = None
    if recipe.parent_id:
        pinned = next(
            (v.extends.version for v in reversed(cat.versions.get(recipe.id, [])) if v.extends),
            None,
        )
        parent = ix.recipes.get(recipe.parent_id)
        parent_versions = [v.version_number for v in cat.versions.get(recipe.parent_id, [])]
        if pinned and parent is not None:
            newer = (
                parent_versions[parent_versions.index(pinned) + 1 :]
                if pinned in parent_versions
                else []
            )
            behind = {
                "parent": recipe_ref(ix, recipe.parent_id),
                "pinned": pinned,
                "current": parent.version or "",
                "count": len(newer),
                "newer": [
                    {"number": n, "anchor": make_version_id(recipe.parent_id, n)} for n in newer
                ],
                "rebase": _rebase_preview(cat, recipe.id, recipe.parent_id, pinned)
                if newer
                else None,
            }
    ancestors = _ancestors(ix, recipe)
    root = ancestors[0].id if ancestors else recipe.id
    path = {a.id for a in ancestors}
    runs = ix.runs_by_recipe.get(recipe.id, [])
    return {
        "title": recipe.name,
        "recipe": {
            "id": recipe.id,
            "name": recipe.name,
            "model_family": str(recipe.model_family),
            "level": str(recipe.level),
            "status": str(recipe.status),
            "tags": list(recipe.tags),
            "description": recipe.description or "",
            "version": recipe.version or "",
            "created": short_time(recipe.created_at),
            "updated": short_time(recipe.updated_at),
            "parent": recipe_ref(ix, recipe.parent_id) if recipe.parent_id else None,
        },
        "ancestors": [{"id": a.id, "name": a.name, "level": str(a.level)} for a in ancestors],
        "tree": _lineage_tree(ix, root, recipe.id, path),
        "manifest": rows,
        "versions": versions,
        "behind": behind,
        "synthetic": _synthetic(cat.synthetic.get(recipe.id)),
        "models": [
            model_row(ix, m, has_alerts(cat, m.id)) for m in ix.models_by_recipe.get(recipe.id, [])
        ],
        "runs": [run_row(ix, r) for r in runs[:PAGE_RUNS]],
        "runs_total": len(runs),
        "record": recipe.model_dump(mode="json"),
        "sources": sources(cat, f"recipe:{recipe.id}"),
    }


def _metric_charts(
    snaps: list[Any], manifest: dict[str, Any], section: str
) -> list[dict[str, Any]]:
    attr = "performance_metrics_json" if section == "performance" else "drift_metrics_json"
    oldest_first = list(reversed(snaps))
    names = sorted({k for s in oldest_first for k in getattr(s, attr)})
    charts = []
    for name in names:
        points = [
            (iso_text(s.captured_at), float(getattr(s, attr)[name]))
            for s in oldest_first
            if name in getattr(s, attr)
        ]
        title = f"{name} ({'drift' if section == 'drift' else 'performance'})"
        charts.append(line_chart(title, points, metric_thresholds(manifest, section, name), name))
    return charts


def model_page(cat: Any, ix: Indexes, model: Model) -> dict[str, Any]:
    """A model: status and its history from git, recipe version, runs, monitoring charts."""
    snaps = cat.snapshots.get(model.id) or []
    number = version_number(model.recipe_id, model.recipe_version_id)
    manifest = next(
        (
            v.manifest_json
            for v in cat.versions.get(model.recipe_id, [])
            if v.version_number == number
        ),
        None,
    )
    if manifest is None:
        manifest = cat.resolved.get(model.recipe_id, ({}, {}))[0]
    freshness_rule = ((manifest.get("monitoring") or {}).get("freshness") or {}).get(
        "max_age_hours"
    )
    latest = snaps[0] if snaps else None
    runs = ix.runs_by_model.get(model.id, [])
    return {
        "title": model.name,
        "model": model_row(ix, model, alert_level(latest.alerts_json) if latest else ""),
        "description": model.description or "",
        "created": short_time(model.created_at),
        "statuses": [
            {
                "status": c.status,
                "at": short_time(c.at),
                "author": c.author,
                "commit_short": c.commit[:10],
                "message": c.message,
            }
            for c in cat.statuses.get(model.id, [])
        ],
        "runs": [run_row(ix, r) for r in runs[:PAGE_RUNS]],
        "runs_total": len(runs),
        "performance": _metric_charts(snaps, manifest, "performance"),
        "drift": _metric_charts(snaps, manifest, "drift"),
        "latest": {
            "captured": short_time(latest.captured_at),
            "freshness": [
                {"path": p, "value": text(v)} for p, v in flatten(latest.data_freshness_json) if p
            ],
            "alerts": alert_items(latest.alerts_json),
        }
        if latest
        else None,
        "freshness_rule": fmt_number(float(freshness_rule))
        if isinstance(freshness_rule, int | float)
        else None,
        "snapshots": [
            {
                "id": s.id,
                "captured": short_time(s.captured_at),
                "metrics": ", ".join(
                    f"{k} {v:.4g}"
                    for k, v in {**s.performance_metrics_json, **s.drift_metrics_json}.items()
                ),
                "alerts": ", ".join(s.alerts_json),
                "level": alert_level(s.alerts_json),
            }
            for s in snaps[:SNAPSHOT_ROWS]
        ],
        "snapshots_total": len(snaps),
        "record": model.model_dump(mode="json"),
        "sources": sources(cat, f"model:{model.id}"),
    }


def _duration(run: RunOut) -> str:
    if run.started_at is None or run.finished_at is None:
        return ""
    seconds = int((run.finished_at - run.started_at).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def run_page(cat: Any, ix: Indexes, run: RunOut) -> dict[str, Any]:
    """A run: type, status, timing, metrics against all runs of its recipe, artifacts, logs."""
    stats = ix.recipe_metrics(run.recipe_id)
    metrics = []
    for name, value in sorted(run.metrics_json.items()):
        values = stats.get(name) or [value]
        lower = ix.directions.get(name) == "lower"
        # 1 is the best run: the lowest value of a metric where lower is better (MAPE)
        better = (
            bisect.bisect_left(values, value)
            if lower
            else len(values) - bisect.bisect_right(values, value)
        )
        metrics.append(
            {
                "name": name,
                "better": "lower" if lower else "higher",
                "value": f"{value:.4g}",
                "runs": len(values),
                "min": f"{values[0]:.4g}",
                "median": f"{statistics.median(values):.4g}",
                "max": f"{values[-1]:.4g}",
                "rank": 1 + better,
            }
        )
    names = sorted(run.metrics_json)
    recipe_runs = ix.runs_by_recipe.get(run.recipe_id, [])
    at = ix.run_position.get(run.id, 0)
    window = recipe_runs[max(0, at - NEIGHBOURS) : at + NEIGHBOURS + 1] or [run]
    siblings = [
        {
            "id": r.id,
            "href": run_href(ix, r),
            "run_type": str(r.run_type),
            "status": str(r.status),
            "created": short_time(r.created_at),
            "cells": [f"{r.metrics_json[n]:.4g}" if n in r.metrics_json else "" for n in names],
            "current": r.id == run.id,
        }
        for r in window
    ]
    return {
        "title": run.id,
        "run": {
            **run_row(ix, run),
            "started": short_time(run.started_at),
            "finished": short_time(run.finished_at),
            "duration": _duration(run),
        },
        "metrics": metrics,
        "metric_names": names,
        "siblings": siblings,
        "runs_total": len(ix.runs_by_recipe.get(run.recipe_id, [])),
        "artifacts": [{"path": p, "value": text(v)} for p, v in flatten(run.artifacts_json) if p],
        "logs": run.logs_text,
        "record": run.model_dump(mode="json"),
    }
