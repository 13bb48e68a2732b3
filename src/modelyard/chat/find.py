"""Finding records: recipes, models and runs by family, level, status, tag, owner and time;
models with alerts; the models, runs, versions and children of one record."""

from __future__ import annotations

from datetime import datetime

from modelyard.chat import commands
from modelyard.chat.draft import MAX_LISTED, Draft, plural
from modelyard.chat.health import alert_state
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.query import time_order
from modelyard.chat.relations import (
    author_named,
    by_author,
    changed_in,
    keep,
    keep_run,
    model_moved,
    moved_into,
    ranked_relation,
    recipe_changed,
    relations_in,
)
from modelyard.chat.relations import count as related_count
from modelyard.chat.understand import Question
from modelyard.domain.records import Model, RecipeOut, Run
from modelyard.domain.timefmt import iso


def _filters(parts: dict[str, set[str]]) -> str:
    shown = [f"{k} {' or '.join(sorted(v))}".strip() for k, v in parts.items() if v]
    return f" ({'; '.join(shown)})" if shown else ""


def _when(q: Question, verb: str = "created") -> dict[str, set[str]]:
    return {verb: {q.range.label}} if q.range is not None else {}


def _by_duration(q: Question) -> str | None:
    plain = {w.lstrip("@") for w in q.words}
    if plain & {"longest", "slowest"}:
        return "longest"
    if plain & {"shortest", "quickest", "fastest"}:
        return "shortest"
    return None


def _bounds(q: Question, where: str = "") -> dict[str, set[str]]:
    shown = " and ".join(b.describe() for b in q.bounds)
    return {"": {f"{shown} {where}".strip()}} if q.bounds else {}


def _latest_value(kb: Knowledge, model_id: str, metric: str) -> object:
    snaps = kb.snapshots(model_id)
    if not snaps:
        return None
    latest = snaps[0]
    return {**latest.performance_metrics_json, **latest.drift_metrics_json}.get(metric)


def _changed_at(kb: Knowledge, rec: RecipeOut | Model) -> datetime:
    if isinstance(rec, Model):
        return rec.updated_at
    versions = kb.versions(rec.id)
    return versions[-1].created_at if versions else rec.created_at


def _ordered(kb: Knowledge, q: Question, found: list) -> list:
    """Newest or oldest first when the question says so ("the newest recipe", "changed most
    recently": by its last change); otherwise as listed."""
    order = time_order(q.words)
    if order is None:
        return found
    changes = any(w.lstrip("@") in ("changed", "updated", "modified", "change") for w in q.words)

    def key(rec: RecipeOut | Model) -> datetime:
        return _changed_at(kb, rec) if changes else rec.created_at

    return sorted(found, key=key, reverse=order == "newest")


def _order_note(q: Question, kind: str, found: list) -> str:
    """ ", newest first." and, for "the newest recipe", which one that is."""
    order = time_order(q.words)
    if order is None:
        return "."
    note = f", {order} first."
    if found and kind in q.words and f"{kind}s" not in q.words:
        note += f" The {order} is {found[0].id}."
    return note


def _moved_label(q: Question) -> str:
    into = moved_into(q)
    return f"moved to {' or '.join(sorted(into))}" if into else "status changed"


def _related(q: Question, kind: str, rels: list) -> dict[str, set[str]]:
    return {"": {" and ".join(rel.describe(kind, q) for rel in rels)}} if rels else {}


def _in_range(kb: Knowledge, q: Question, rec: RecipeOut | Model) -> bool:
    """In the question's time range: made in it, or changed in it when it asks so."""
    if q.range is None:
        return True
    if not changed_in(q):
        return q.range.holds(rec.created_at)
    if isinstance(rec, Model):
        return model_moved(kb, rec, q.range, moved_into(q))
    return recipe_changed(kb, rec, q.range)


def find_recipes(kb: Knowledge, q: Question, draft: Draft) -> None:
    statuses = set(q.recipe_statuses) | ({"draft"} if q.draft else set())
    rels = relations_in(q, "recipe")
    person = author_named(kb, q)
    found = [
        r
        for r in kb.recipes.values()
        if (not q.families or r.model_family in q.families)
        and (not q.levels or r.level in q.levels)
        and (not statuses or r.status in statuses)
        and (not q.tags or q.tags & set(r.tags))
        and _in_range(kb, q, r)
        and all(keep(kb, q, r, rel) for rel in rels)
        and (person is None or by_author(kb, r, person))
    ]
    found = _ordered(kb, q, found)
    desc = _filters(
        {
            "family": q.families,
            "level": q.levels,
            "status": statuses,
            "tag": q.tags,
            **_when(q, "changed" if changed_in(q) else "created"),
            **_related(q, "recipe", rels),
            **({"": {f"with a version by {person}"}} if person else {}),
        }
    )
    draft.say(
        f"{plural(len(found), 'recipe')} match{'es' if len(found) == 1 else ''}{desc}"
        + _order_note(q, "recipe", found)
    )
    for r in found[:MAX_LISTED]:
        parent = f", child of {r.parent_id}" if r.parent_id else ""
        tags = f", tags {', '.join(r.tags)}" if r.tags else ""
        draft.item(
            f'{r.id} "{r.name}": {r.model_family}, {r.level}, {r.status}, '
            f"version {r.version}{parent}{tags}"
        )
        draft.cite("recipe", r.id)
    _more(draft, len(found))
    filters = {}
    if len(q.families) == 1:
        filters["model_family"] = next(iter(q.families))
    if len(q.levels) == 1:
        filters["level"] = next(iter(q.levels))
    if len(statuses) == 1:
        filters["status"] = next(iter(statuses))
    draft.step(commands.list_recipes(**filters))
    if len(found) == 1:
        draft.focus["recipe_id"] = found[0].id
        draft.step(commands.show_recipe(found[0].id))


def find_models(kb: Knowledge, q: Question, draft: Draft, recipe_id: str | None = None) -> None:
    statuses = set(q.model_statuses) | ({"draft"} if q.draft else set())
    rels = relations_in(q, "model")
    found = [
        m
        for m in kb.models.values()
        if (not q.families or m.model_family in q.families)
        and (not statuses or m.status in statuses)
        and (not q.owners or m.owner in q.owners)
        and (recipe_id is None or m.recipe_id == recipe_id)
        and (
            not q.tags
            or q.tags & set(kb.recipes[m.recipe_id].tags if m.recipe_id in kb.recipes else ())
        )
        and _in_range(kb, q, m)
        and all(keep(kb, q, m, rel) for rel in rels)
        and all(b.holds(_latest_value(kb, m.id, b.metric)) for b in q.bounds)
    ]
    found = _ordered(kb, q, found)
    desc = _filters(
        {
            "family": q.families,
            "status": statuses,
            "owner": q.owners,
            "recipe tag": q.tags,
            **_when(q, _moved_label(q) if changed_in(q) else "registered"),
            **_related(q, "model", rels),
            **_bounds(q, "in its latest snapshot"),
        }
    )
    of = f" built from {recipe_id}" if recipe_id else ""
    draft.say(
        f"{plural(len(found), 'model')}{of} match{'es' if len(found) == 1 else ''}{desc}"
        + _order_note(q, "model", found)
    )
    if recipe_id:
        draft.cite("recipe", recipe_id)
    for m in found[:MAX_LISTED]:
        draft.item(
            f'{m.id} "{m.name}": {m.model_family}, {m.status}, '
            f"from {m.recipe_version_id}, owner {m.owner}"
        )
        draft.cite("model", m.id)
    _more(draft, len(found))
    filters = {}
    if len(q.families) == 1:
        filters["model_family"] = next(iter(q.families))
    if len(statuses) == 1:
        filters["status"] = next(iter(statuses))
    if len(q.owners) == 1:
        filters["owner"] = next(iter(q.owners))
    if recipe_id:
        filters["recipe_id"] = recipe_id
    draft.step(commands.list_models(**filters))
    if len(found) == 1:
        draft.focus["model_id"] = found[0].id
        draft.step(commands.show_model(found[0].id))


def find_runs(
    kb: Knowledge,
    q: Question,
    draft: Draft,
    recipe_id: str | None = None,
    model_id: str | None = None,
) -> None:
    run_rels = relations_in(q, "run")
    found = [
        r
        for r in (kb.runs_since(q.since) if q.since else kb.runs)
        if (not q.run_statuses or r.status in q.run_statuses)
        and (not q.run_types or r.run_type in q.run_types)
        and (q.since is None or r.created_at >= q.since)
        and (q.range is None or q.range.holds(r.created_at))
        and all(b.holds(r.metrics_json.get(b.metric)) for b in q.bounds)
        and all(keep_run(kb, r, rel) for rel in run_rels)
        and (recipe_id is None or r.recipe_id == recipe_id)
        and (model_id is None or r.model_id == model_id)
        and (
            not q.families
            or kb.recipes.get(r.recipe_id) is None
            or kb.recipes[r.recipe_id].model_family in q.families
        )
    ]
    if time_order(q.words) == "oldest":
        found.reverse()
    by_length = _by_duration(q)
    if by_length is not None:
        # "which runs took longest?": the runs with a start and an end, by how long they took
        found = sorted(
            (r for r in found if r.started_at and r.finished_at),
            key=lambda r: (r.finished_at - r.started_at, r.id),  # type: ignore[operator]
            reverse=by_length == "longest",
        )
    desc = _filters(
        {
            "status": q.run_statuses,
            "type": q.run_types,
            "family": q.families,
            **_when(q),
            **_bounds(q),
            **_related(q, "run", run_rels),
        }
    )
    of = f" of {model_id}" if model_id else f" of {recipe_id}" if recipe_id else ""
    when = f" {q.window} (since {iso(q.since)})" if q.since and q.window else ""
    draft.say(
        f"{plural(len(found), 'run')}{of}{when} match{'es' if len(found) == 1 else ''}{desc}, "
        f"{_by_duration(q) or time_order(q.words) or 'newest'} first."
    )
    for target, kind in ((recipe_id, "recipe"), (model_id, "model")):
        if target:
            draft.cite(kind, target)
    for r in found[:MAX_LISTED]:
        metrics = ", ".join(f"{k} {v}" for k, v in sorted(r.metrics_json.items()))
        if by_length is not None and r.started_at and r.finished_at:
            minutes = round((r.finished_at - r.started_at).total_seconds() / 60)
            metrics = f"took {minutes} min" + (f"; {metrics}" if metrics else "")
        who = f" for {r.model_id}" if r.model_id else ""
        draft.item(
            f"{r.id}: {r.run_type} of {r.recipe_version_id}{who}, {r.status}, "
            f"created {iso(r.created_at)}" + (f"; {metrics}" if metrics else "")
        )
        draft.cite("run", r.id)
    _more(draft, len(found))
    filters = {}
    if model_id:
        filters["model_id"] = model_id
    if recipe_id:
        filters["recipe_id"] = recipe_id
    if len(q.run_statuses) == 1:
        filters["status"] = next(iter(q.run_statuses))
    if len(q.run_types) == 1:
        filters["run_type"] = next(iter(q.run_types))
    draft.step(commands.list_runs(**filters))
    if found:
        draft.step(commands.show_run(found[0].id))
        if len(found) == 1:
            draft.focus["run_id"] = found[0].id


def models_with_alerts(kb: Knowledge, q: Question, draft: Draft, drift_only: bool) -> None:
    """Models whose latest snapshot records alerts or crosses a threshold of their recipe."""
    what = "drift alerts" if drift_only else "alerts"
    hits = []
    for m in kb.models.values():
        if q.families and m.model_family not in q.families:
            continue
        if q.model_statuses and m.status not in q.model_statuses:
            continue
        state = alert_state(kb, m.id)
        if state is None:
            continue
        items = state.drift_items() if drift_only else state.items()
        if items:
            hits.append((m, state, items))
    checked = sum(1 for m in kb.models.values() if kb.snapshots(m.id))
    draft.say(
        f"{plural(len(hits), 'model')} {'has' if len(hits) == 1 else 'have'} {what} "
        f"in their latest monitoring snapshot ({plural(checked, 'model')} with snapshots checked)."
    )
    for m, state, items in hits:
        draft.item(
            f"{m.id} ({m.status}), snapshot {state.snapshot.id} "
            f"at {iso(state.snapshot.captured_at)}: " + "; ".join(items)
        )
        draft.cite("model", m.id)
        draft.cite_ref(kb.snapshot_ref(state.snapshot))
        draft.step(commands.list_snapshots(m.id))
    if len(hits) == 1:
        draft.focus["model_id"] = hits[0][0].id


def children(kb: Knowledge, recipe_id: str, draft: Draft, descendants: bool = False) -> None:
    """A recipe's children; with `descendants`, their children too, down the lineage."""
    kids = kb.children(recipe_id)
    draft.cite("recipe", recipe_id)
    draft.say(f"{recipe_id} has {plural(len(kids), 'child recipe')}.")
    for r in kids:
        draft.item(f'{r.id} "{r.name}": {r.level}, {r.status}, version {r.version}')
        draft.cite("recipe", r.id)
    if not descendants:
        return
    below, seen = [(k, 2) for k in kids], {recipe_id, *(k.id for k in kids)}
    lines = []
    while below:
        parent, depth = below.pop(0)
        for r in kb.children(parent.id):
            if r.id not in seen:  # a lineage is a tree, but a hostile registry may loop
                seen.add(r.id)
                lines.append(f'{r.id} "{r.name}": {r.level}, child of {parent.id}')
                draft.cite("recipe", r.id)
                below.append((r, depth + 1))
    if lines:
        draft.say(f"Further down its lineage, {plural(len(lines), 'descendant')}:")
        for line in lines:
            draft.item(line)


def _more(draft: Draft, total: int) -> None:
    if total > MAX_LISTED:
        draft.say(f"(showing the first {MAX_LISTED} of {total})")


def most_related(kb: Knowledge, q: Question, kind: str, draft: Draft) -> bool:
    """ "Which model has the most runs?": records of `kind` ranked by how many related
    records they have; False when the question ranks by no relation."""
    if kind == "run":
        return _most_by_field(kb, q, kind, draft)
    if kind not in ("recipe", "model"):
        return False
    asked = ranked_relation(q, kind)
    if asked is None:
        return _most_by_field(kb, q, kind, draft)
    related, most = asked
    pool: list[RecipeOut | Model] = [
        *(kb.models.values() if kind == "model" else kb.recipes.values())
    ]
    rows = sorted(
        ((related_count(kb, q, rec, related), rec.id) for rec in pool),
        key=lambda row: (-row[0] if most else row[0], row[1]),
    )
    what = {"child": "children", "snapshot": "monitoring snapshots"}.get(related, f"{related}s")
    if related == "run" and (q.run_statuses or q.run_types):
        what = " ".join([*sorted(q.run_statuses), *sorted(q.run_types), "runs"])
    top = rows[0][0] if rows else 0
    leaders = [ident for n, ident in rows if n == top]
    draft.say(
        f"{', '.join(leaders)} {'has' if len(leaders) == 1 else 'have'} the "
        f"{'most' if most else 'fewest'} {what} ({top}). All {kind}s by {what}:"
    )
    for n, ident in rows:
        draft.item(f"{ident}: {n}")
        draft.cite(kind, ident)
    return True


# a field records are counted by, from the question's words ("who owns the most models?")
GROUP_FIELDS = {
    "model": {"owner": "owner", "owns": "owner", "who": "owner", "family": "model_family",
              "status": "status", "recipe": "recipe_id"},
    "recipe": {"family": "model_family", "level": "level", "status": "status", "tag": "tags",
               "parent": "parent_id"},
    "run": {"status": "status", "type": "run_type", "model": "model_id", "recipe": "recipe_id"},
}  # fmt: skip


def _most_by_field(kb: Knowledge, q: Question, kind: str, draft: Draft) -> bool:
    """Which value of a field the most (or fewest) records of `kind` have."""
    plain = [w.lstrip("@") for w in q.words]
    most = next((w for w in plain if w in ("most", "fewest", "least")), None)
    # "how many runs per status?", "models by family": each value counted
    per = next((plain[i + 1] for i, w in enumerate(plain[:-1]) if w in ("per", "by", "each")), "")
    fields = GROUP_FIELDS[kind]
    field = fields.get(per) or next((fields[w] for w in plain if w in fields), None)
    if field is None or (most is None and per not in fields):
        return False
    pool: list[RecipeOut | Model | Run] = [
        *(
            kb.models.values()
            if kind == "model"
            else kb.recipes.values()
            if kind == "recipe"
            else kb.runs
        )
    ]
    counts: dict[str, int] = {}
    for rec in pool:
        value = getattr(rec, field)
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                counts[str(v)] = counts.get(str(v), 0) + 1
    rows = sorted(
        counts.items(), key=lambda kv: (kv[1] if most in ("fewest", "least") else -kv[1], kv[0])
    )
    if not rows:
        return False
    top = rows[0][1]
    leaders = [v for v, n in rows if n == top]
    if most is None:
        draft.say(f"{plural(len(pool), kind)} by {field}:")
    else:
        draft.say(
            f"{' and '.join(leaders)} {'has' if len(leaders) == 1 else 'have'} the "
            f"{'most' if most == 'most' else 'fewest'} {kind}s ({top}), counted by {field}:"
        )
    for value, n in rows:
        draft.item(f"{value}: {plural(n, kind)}")
    return True


def overview(kb: Knowledge, draft: Draft) -> None:
    """What the registry holds, counted from its records."""

    def counts(values: list[str]) -> str:
        return ", ".join(f"{values.count(v)} {v}" for v in sorted(set(values))) or "none"

    recs = list(kb.recipes.values())
    models = list(kb.models.values())
    draft.say(
        f"This registry holds {plural(len(recs), 'recipe')}, {plural(len(models), 'model')} and "
        f"{plural(len(kb.runs), 'run')}."
    )
    draft.item(f"recipes by family: {counts([r.model_family for r in recs])}")
    draft.item(f"recipes by level: {counts([r.level for r in recs])}")
    draft.item(f"recipes by status: {counts([r.status for r in recs])}")
    draft.item(f"models by status: {counts([m.status for m in models])}")
    draft.item(f"runs by status: {counts([r.status for r in kb.runs])}")
    alerting = [m.id for m in models if (st := alert_state(kb, m.id)) is not None and st.items()]
    draft.item(f"models with alerts in their latest snapshot: {', '.join(alerting) or 'none'}")
    for ident in alerting:
        draft.cite("model", ident)
    draft.step(commands.list_recipes())
    draft.step(commands.list_models())
