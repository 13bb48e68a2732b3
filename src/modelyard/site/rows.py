"""What several pages of the catalog show alike: formatted values, the indexes a build
looks records up in, and the rows and references of recipes, models, runs and alerts."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.records import Model, RecipeOut, RunOut
from modelyard.ops.history import version_number

RECENT_RUNS = 25
PAGE_RUNS = 50
SNAPSHOT_ROWS = 100
NEIGHBOURS = 5  # runs of the same recipe shown before and after a run on its page


def text(value: Any) -> str:
    """A value as people read it: strings as they are, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def iso_text(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    # isoformat is several times faster than strftime, and record times are UTC to the second
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def short_time(value: datetime | str | None) -> str:
    return iso_text(value)[:16].replace("T", " ")


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted path, leaf value) pairs, in the manifest's own order."""
    if isinstance(data, dict) and data:
        out: list[tuple[str, Any]] = []
        for key, value in data.items():
            out.extend(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return [(prefix, data)]


@dataclass
class Indexes:
    """Lookups every page needs, computed once per build."""

    runs_by_recipe: dict[str, list[RunOut]] = field(default_factory=lambda: defaultdict(list))
    runs_by_model: dict[str, list[RunOut]] = field(default_factory=lambda: defaultdict(list))
    models_by_recipe: dict[str, list[Model]] = field(default_factory=lambda: defaultdict(list))
    children: dict[str, list[RecipeOut]] = field(default_factory=lambda: defaultdict(list))
    recipes: dict[str, RecipeOut] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    run_position: dict[str, int] = field(default_factory=dict)  # index in runs_by_recipe
    run_pages: bool = True  # runs have pages of their own, else the run view shows them
    directions: dict[str, str] = field(default_factory=dict)  # metric -> "lower"/"higher" better
    _metrics: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def recipe_metrics(self, recipe_id: str) -> dict[str, list[float]]:
        """Every value of every metric over the recipe's runs, sorted; computed once per recipe,
        so a recipe with many runs costs one pass, not one per run page."""
        if recipe_id not in self._metrics:
            values: dict[str, list[float]] = defaultdict(list)
            for run in self.runs_by_recipe.get(recipe_id, []):
                for name, value in run.metrics_json.items():
                    values[name].append(value)
            self._metrics[recipe_id] = {k: sorted(v) for k, v in values.items()}
        return self._metrics[recipe_id]


def make_indexes(cat: Any, run_pages: bool = True) -> Indexes:
    ix = Indexes(run_pages=run_pages)
    for recipe in cat.recipes:
        ix.recipes[recipe.id] = recipe
        if recipe.parent_id:
            ix.children[recipe.parent_id].append(recipe)
    for model in cat.models:
        ix.models[model.id] = model
        ix.models_by_recipe[model.recipe_id].append(model)
    for run in cat.runs:
        ix.run_position[run.id] = len(ix.runs_by_recipe[run.recipe_id])
        ix.runs_by_recipe[run.recipe_id].append(run)
        if run.model_id:
            ix.runs_by_model[run.model_id].append(run)
    return ix


def recipe_ref(ix: Indexes, recipe_id: str) -> dict[str, Any]:
    recipe = ix.recipes.get(recipe_id)
    return {
        "id": recipe_id,
        "name": recipe.name if recipe else recipe_id,
        "exists": recipe is not None,
    }


def model_ref(ix: Indexes, model_id: str | None) -> dict[str, Any] | None:
    if not model_id:
        return None
    model = ix.models.get(model_id)
    return {"id": model_id, "name": model.name if model else model_id, "exists": model is not None}


def version_anchor(recipe_id: str, ref: str) -> str | None:
    """The id of a version's section on its recipe page (its version_id, e.g.
    `ver_pricing_base_v1.2.0`, as the chat assistant links it), or None for a foreign ref."""
    number = version_number(recipe_id, ref)
    return make_version_id(recipe_id, number) if number else None


def run_href(ix: Indexes, run: RunOut) -> str:
    """Where a run is shown, relative to `model-development/`: its own page, or the run view
    with its id and the month its data file is in."""
    if ix.run_pages:
        return f"runs/{run.id}/index.html"
    return f"runs/view.html?id={run.id}&m={iso_text(run.created_at)[:7]}"


def run_row(ix: Indexes, run: RunOut) -> dict[str, Any]:
    return {
        "id": run.id,
        "href": run_href(ix, run),
        "run_type": str(run.run_type),
        "status": str(run.status),
        "recipe": recipe_ref(ix, run.recipe_id),
        "model": model_ref(ix, run.model_id),
        "version": version_label(run.recipe_id, run.recipe_version_id),
        "version_ref": run.recipe_version_id,
        "anchor": version_anchor(run.recipe_id, run.recipe_version_id),
        "created_at": iso_text(run.created_at),
        "created": short_time(run.created_at),
        "metrics": [{"name": k, "value": f"{v:.4g}"} for k, v in sorted(run.metrics_json.items())][
            :4
        ],
    }


def model_row(ix: Indexes, model: Model, alerts: str) -> dict[str, Any]:
    return {
        "id": model.id,
        "name": model.name,
        "model_family": str(model.model_family),
        "status": str(model.status),
        "owner": model.owner,
        "recipe": recipe_ref(ix, model.recipe_id),
        "version": version_label(model.recipe_id, model.recipe_version_id),
        "version_ref": model.recipe_version_id,
        "anchor": version_anchor(model.recipe_id, model.recipe_version_id),
        "updated_at": iso_text(model.updated_at),
        "updated": short_time(model.updated_at),
        "alerts": alerts,
    }


SEVERITIES = {
    "info": "info",
    "warn": "warn",
    "warning": "warn",
    "alert": "alert",
    "critical": "alert",
    "error": "alert",
}


def alert_items(alerts: dict[str, Any]) -> list[dict[str, str]]:
    """Alerts as name, severity (one of info, warn, alert, or empty) and a readable message:
    a mapping's `message` when it has one, with its other fields after it."""
    items = []
    for name, value in alerts.items():
        severity, message = "", text(value)
        if isinstance(value, dict):
            raw = value.get("severity")
            severity = SEVERITIES.get(raw.lower(), "") if isinstance(raw, str) else ""
            rest = {k: v for k, v in value.items() if k not in ("severity", "message")}
            details = ", ".join(f"{k} {text(v)}" for k, v in rest.items())
            if isinstance(value.get("message"), str):
                message = value["message"] + (f" ({details})" if details else "")
            else:
                message = details
        items.append({"name": str(name), "severity": severity, "text": message})
    return items


def version_label(recipe_id: str, ref: str) -> str:
    """`1.2.0` for any spelling of a version of `recipe_id`; other references as they are."""
    return version_number(recipe_id, ref) or ref


def alert_level(alerts: dict[str, Any]) -> str:
    """The worst severity among a snapshot's alerts: `alert`, `warn`, `info`, or "" for none.
    An alert that names no severity counts as an alert: it was raised, and nothing says less."""
    if not alerts:
        return ""
    found = {item["severity"] or "alert" for item in alert_items(alerts)}
    return next(level for level in ("alert", "warn", "info") if level in found)


def has_alerts(cat: Any, model_id: str) -> str:
    """The level of the model's latest snapshot's alerts ("" when it has none)."""
    latest = cat.snapshots.latest(model_id)
    return alert_level(latest.alerts_json) if latest else ""


# ---- pages ------------------------------------------------------------------------------
