"""Explaining one record: what a recipe builds, its lineage, versions and overrides; a
model's state; a run's outcome."""

from __future__ import annotations

from typing import Any

from modelyard.chat import commands
from modelyard.chat.draft import Draft, plural
from modelyard.chat.health import alert_state
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.understand import Question
from modelyard.domain.numbers import num
from modelyard.domain.records import RecipeVersion
from modelyard.domain.timefmt import iso


def value_text(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return num(value) if isinstance(value, int | float) else str(value)


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def change_text(change: dict[str, Any]) -> str:
    path = change["path_text"]
    if change["op"] == "add":
        return f"added {path} = {value_text(change['new'])}"
    if change["op"] == "remove":
        return f"removed {path} (was {value_text(change['old'])})"
    return f"changed {path} from {value_text(change['old'])} to {value_text(change['new'])}"


def builds(manifest: dict[str, Any]) -> list[str]:
    """What a resolved manifest builds, in a few lines."""
    out = []
    target = manifest.get("target") or {}
    model = manifest.get("model") or {}
    features = sorted(manifest.get("features") or {})
    if target:
        out.append(
            f"predicts {target.get('name')} ({target.get('kind')}, {target.get('dtype')}) "
            f"with {model.get('algorithm', 'an unnamed algorithm')}"
        )
    if features:
        shown = ", ".join(features[:12]) + (
            f" and {len(features) - 12} more" if len(features) > 12 else ""
        )
        out.append(f"{plural(len(features), 'feature')}: {shown}")
    sources = sorted(manifest.get("data_sources") or {})
    if sources:
        out.append(f"data sources: {', '.join(sources)}")
    fam = manifest.get("pricing")
    if fam:
        b = fam.get("price_bounds") or {}
        out.append(
            f"pricing objective {fam.get('objective')}, "
            f"prices between {num(b.get('min_ratio'))} and "
            f"{num(b.get('max_ratio'))} of the reference price"
        )
    fam = manifest.get("forecasting")
    if fam:
        out.append(
            f"forecasts {fam.get('horizon')} periods ahead at frequency {fam.get('frequency')}"
        )
    fam = manifest.get("next_best_action")
    if fam:
        out.append(
            f"chooses among {plural(len(fam.get('actions') or {}), 'action')}: "
            + ", ".join(sorted(fam.get("actions") or {}))
        )
    fam = manifest.get("location_scoring")
    if fam:
        out.append(f"scores locations at {((fam.get('geography') or {}).get('level'))} level")
    acc = (manifest.get("evaluation") or {}).get("acceptance") or {}
    if acc:
        out.append(
            "acceptance: " + "; ".join(f"{k} {value_text(v)}" for k, v in sorted(acc.items()))
        )
    drift = (manifest.get("monitoring") or {}).get("drift") or {}
    if drift:
        out.append(
            "drift thresholds: "
            + "; ".join(
                f"{k} warn {num(v.get('warn'))}, alert {num(v.get('alert'))}"
                for k, v in sorted(drift.items())
            )
        )
    return out


def cite_version(kb: Knowledge, draft: Draft, v: RecipeVersion) -> None:
    draft.cite_ref(kb.version_ref(v))


def explain_recipe(kb: Knowledge, recipe_id: str, q: Question, draft: Draft) -> None:
    r = kb.recipes[recipe_id]
    draft.cite("recipe", recipe_id)
    draft.focus["recipe_id"] = recipe_id
    draft.step(commands.show_recipe(recipe_id))
    lineage_only = q.has(
        "lineage", "parent", "ancestors", "inherit", "inherits", "override", "overrides"
    )
    versions_only = (
        q.has("version", "versions", "changed", "change", "changes", "latest", "history")
        and not lineage_only
    )
    if lineage_only:
        lineage(kb, recipe_id, draft)
        overrides(kb, recipe_id, draft)
    elif versions_only:
        versions(kb, recipe_id, draft, all_versions=q.has("versions", "history"))
    else:
        draft.say(
            f'{recipe_id} "{r.name}" is {article(r.level)} {r.level} {r.model_family} recipe, '
            f"{r.status}, at version {r.version}."
            + (f" Tags: {', '.join(r.tags)}." if r.tags else "")
        )
        manifest, _ = kb.resolved(recipe_id)
        description = r.description or manifest.get("description")
        if description:
            draft.say(description.strip())
        if manifest:
            draft.say("It builds a model that:")
            for line in builds(manifest):
                draft.item(line)
        lineage(kb, recipe_id, draft)
        if r.parent_id:
            overrides(kb, recipe_id, draft)
        versions(kb, recipe_id, draft, all_versions=False)
        models = kb.models_of(recipe_id)
        if models:
            draft.say(
                "Models built from it: " + ", ".join(f"{m.id} ({m.status})" for m in models) + "."
            )
            for m in models:
                draft.cite("model", m.id)
    if recipe_id in kb.problems:
        draft.say(
            f"Its manifest cannot be read: {kb.problems[recipe_id]} "
            "(`modelyard validate` says more)."
        )
    draft.step(commands.list_versions(recipe_id))


def lineage(kb: Knowledge, recipe_id: str, draft: Draft) -> None:
    chain = kb.lineage(recipe_id)
    for r in chain:
        draft.cite("recipe", r.id)
    if len(chain) > 1:
        draft.say("Lineage: " + " -> ".join(f"{r.id} ({r.level})" for r in chain) + ".")
        hist = kb.versions(recipe_id)
        pin = hist[-1].extends if hist else None
        parent = kb.recipes[chain[-2].id]
        if pin is not None:
            behind = (
                "" if pin.version == parent.version else f"; the parent is now at {parent.version}"
            )
            draft.say(f"It is built on {pin.recipe} version {pin.version}{behind}.")
    else:
        draft.say(f"{recipe_id} is a root recipe (no parent).")
    kids = kb.children(recipe_id)
    if kids:
        draft.say("Children: " + ", ".join(f"{k.id} ({k.level}, {k.status})" for k in kids) + ".")
        for k in kids:
            draft.cite("recipe", k.id)


def overrides(kb: Knowledge, recipe_id: str, draft: Draft) -> None:
    r = kb.recipes[recipe_id]
    if not r.parent_id:
        draft.say(
            f"{recipe_id} has no parent, so it overrides nothing: it sets its whole manifest."
        )
        return
    manifest, provenance = kb.resolved(recipe_id)
    if recipe_id in kb.problems:
        draft.say(f"Its manifest cannot be resolved: {kb.problems[recipe_id]}.")
        return
    own = sorted(path for path, who in provenance.items() if who == recipe_id)
    removed = _removed(kb.manifest_file(recipe_id))
    if removed:
        draft.say(
            f"{recipe_id} removes {plural(len(removed), 'value')} of {r.parent_id} "
            "(set to null in its manifest): " + ", ".join(removed) + "."
        )
    if not own:
        draft.say(
            f"{recipe_id} overrides nothing of its parent {r.parent_id}: "
            "its resolved manifest is the parent's."
        )
        return
    draft.say(f"{recipe_id} sets {plural(len(own), 'value')} itself, on top of {r.parent_id}:")
    for path in own[:25]:
        draft.item(f"{path} = {value_text(_get(manifest, path))}")
    if len(own) > 25:
        draft.say(f"(and {len(own) - 25} more)")


def _removed(data: dict[str, Any], prefix: str = "") -> list[str]:
    """The paths a child's stored overrides set to null: what it removes from its parent."""
    out: list[str] = []
    for key, value in data.items():
        if value is None:
            out.append(f"{prefix}{key}")
        elif isinstance(value, dict):
            out += _removed(value, f"{prefix}{key}.")
    return out


def _get(data: dict[str, Any], dotted: str) -> Any:
    cur: Any = data
    for part in dotted.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return cur


def versions(kb: Knowledge, recipe_id: str, draft: Draft, all_versions: bool) -> None:
    hist = kb.versions(recipe_id)
    if not hist:
        why = f": {kb.problems[recipe_id]}" if recipe_id in kb.problems else " yet"
        draft.say(f"{recipe_id} has no committed version that can be read{why}.")
        return
    latest = hist[-1]
    cite_version(kb, draft, latest)
    draft.say(
        f"{plural(len(hist), 'version')}; "
        f"the latest is {latest.version_number} ({latest.version_id}), "
        f'committed {iso(latest.created_at)} by {latest.created_by}: "{latest.change_note}".'
    )
    if latest.diff_from_prev:
        changes = latest.diff_from_prev["changes"]
        draft.say(
            f"What changed from {latest.diff_from_prev['from_version']} ({latest.bump} bump): "
            + ("; ".join(change_text(c) for c in changes[:10]) or "only the parent pin")
            + "."
        )
    if all_versions:
        for v in hist:
            draft.item(f"{v.version_number} {iso(v.created_at)} {v.created_by}: {v.change_note}")
            cite_version(kb, draft, v)
    draft.step(commands.show_version(recipe_id, latest.version_id))


def explain_model(kb: Knowledge, model_id: str, draft: Draft) -> None:
    m = kb.models[model_id]
    draft.cite("model", model_id)
    draft.focus["model_id"] = model_id
    draft.say(
        f'{model_id} "{m.name}" is {article(m.model_family)} {m.model_family} model '
        f"in {m.status}, owned by {m.owner}, "
        f"built from {m.recipe_version_id} of {m.recipe_id}."
    )
    if m.description:
        draft.say(m.description.strip())
    recipe = kb.recipes.get(m.recipe_id)
    if recipe is not None:
        draft.cite("recipe", recipe.id)
        if recipe.version_id and recipe.version_id != m.recipe_version_id:
            draft.say(
                f"Its recipe is now at {recipe.version} ({recipe.version_id}); "
                "the model is on an older version."
            )
    runs = [r for r in kb.runs if r.model_id == model_id]
    if runs:
        draft.say(
            f"{plural(len(runs), 'run')}; "
            f"the newest is {runs[0].id} ({runs[0].run_type}, {runs[0].status}, "
            f"{iso(runs[0].created_at)})."
        )
        draft.cite("run", runs[0].id)
    state = alert_state(kb, model_id)
    if state is not None:
        draft.cite_ref(kb.snapshot_ref(state.snapshot))
        problems = state.items()
        draft.say(
            f"Latest monitoring snapshot {state.snapshot.id} ({iso(state.snapshot.captured_at)}): "
            + ("; ".join(problems) if problems else "no alerts")
            + "."
        )
    draft.step(commands.show_model(model_id))
    draft.step(commands.list_runs(model_id=model_id))


def explain_run(kb: Knowledge, run_id: str, draft: Draft) -> None:
    run = kb.run(run_id)
    assert run is not None
    draft.cite("run", run_id)
    draft.focus["run_id"] = run_id
    who = f" for {run.model_id}" if run.model_id else ""
    draft.say(f"{run_id} is a {run.run_type} run of {run.recipe_version_id}{who}, {run.status}.")
    times = [f"created {iso(run.created_at)}"]
    if run.started_at:
        times.append(f"started {iso(run.started_at)}")
    if run.finished_at:
        times.append(f"finished {iso(run.finished_at)}")
    took = ""
    if run.started_at and run.finished_at:
        minutes = round((run.finished_at - run.started_at).total_seconds() / 60)
        took = f"; it took {minutes // 60} h {minutes % 60} min" if minutes >= 60 else ""
        took = took or f"; it took {minutes} min"
    draft.say(", ".join(times) + took + ".")
    draft.read.add("duration")
    if run.metrics_json:
        draft.say(
            "Metrics: "
            + ", ".join(f"{k} {num(v)}" for k, v in sorted(run.metrics_json.items()))
            + "."
        )
    if run.artifacts_json:
        draft.say("Artifacts: " + ", ".join(sorted(run.artifacts_json)) + ".")
    if run.recipe_id in kb.recipes:
        draft.cite("recipe", run.recipe_id)
    if run.model_id and run.model_id in kb.models:
        draft.cite("model", run.model_id)
    draft.step(commands.show_run(run_id))
