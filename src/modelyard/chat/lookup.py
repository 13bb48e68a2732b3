"""Questions about one field of one record, read against the record's own fields and its
manifest's keys rather than a list of phrasings: who owns a model, who created a record and
when, when and why a manifest value changed (from the versions' diffs and change notes),
and what a question about the future can and cannot be told.

`route` returns None for a question none of these read."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from modelyard.chat import commands
from modelyard.chat.draft import Draft
from modelyard.chat.explain import change_text, cite_version, value_text
from modelyard.chat.health import model_manifest
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.query import lemma
from modelyard.chat.understand import KEYWORDS, STOPWORDS, SUBJECTS, Question, fitting_recipes
from modelyard.domain.timefmt import iso, parse_iso
from modelyard.ops.model_history import status_history

OWNER_WORDS = {"owner", "owners", "owns", "owned", "own", "responsible"}
CREATE_WORDS = {"created", "create", "wrote", "write", "made", "authored", "started", "added"}
CHANGE_WORDS = {
    "change",
    "changed",
    "lowered",
    "lower",
    "raised",
    "raise",
    "increased",
    "increase",
    "decreased",
    "decrease",
    "reduced",
    "reduce",
    "added",
    "removed",
    "introduced",
    "bumped",
    "updated",
    "set",
    "came",
    "dropped",
}
# a question about what has not happened: "what will the MAPE be", "who will approve it"
_FUTURE = re.compile(
    r"\b(?:will|going to|gonna)\b|\bnext (?:week|month|quarter|year)\b|\btomorrow\b|"
    r"\bin the future\b"
)
_KEYWORDISH = {lemma(w) for w in KEYWORDS}  # "monitored" asks about health, not a key
_CHANGE_LEMMAS = {lemma(w) for w in CHANGE_WORDS}
_GENERIC_KEYS = STOPWORDS | set(SUBJECTS) | {"name", "kind", "dtype", "source", "data", "model"}


def route(
    kb: Knowledge,
    q: Question,
    raw: set[str],
    recipes: list[str],
    models: list[str],
) -> Draft | None:
    if _FUTURE.search(q.text.lower()) and not q.has("howto"):
        return _future(kb, q, recipes, models)
    if raw & {"who", "when"} and raw & CREATE_WORDS and not q.names_records and not models:
        one = _described(kb, q)
        if isinstance(one, Draft):
            return one
        if one is not None:
            recipes = [one]
    if raw & {"why", "when", "who"} and raw & CHANGE_WORDS and (recipes or models):
        recipe = recipes[0] if recipes else kb.models[models[0]].recipe_id
        if recipe in kb.recipes:
            d = Draft(kb, "explain")
            if value_history(kb, q, recipe, d):
                return d
    if raw & {"who", "when"} and raw & CREATE_WORDS and recipes and not models:
        return _created(kb, recipes[0])
    if raw & OWNER_WORDS and models and not q.recipes and len(models) == 1:
        m = kb.models[models[0]]
        d = Draft(kb, "explain")
        d.cite("model", m.id)
        d.focus["model_id"] = m.id
        d.say(f'{m.id} "{m.name}" is owned by {m.owner}.')
        d.step(commands.show_model(m.id))
        return d
    return None


def _described(kb: Knowledge, q: Question) -> str | Draft | None:
    """ "The forecasting baseline": a record named by the values of its fields alone (family,
    level, tags), when the question is about one; several that fit are asked back."""
    tags = {t.lower() for t in q.tags}
    if not (q.families or q.levels or tags):
        return None
    fits = fitting_recipes(kb, q, tags)
    if len(fits) == 1:
        return fits[0]
    if not fits:
        return None
    d = Draft(kb, "find", answered=False)
    d.say(f"Which recipe do you mean? The words fit {len(fits)}:")
    for ident in fits[:8]:
        d.item(f'{ident} "{kb.recipes[ident].name}"')
        d.cite("recipe", ident)
    d.say("Ask again with its id (or more of its name).")
    return d


def _created(kb: Knowledge, recipe_id: str) -> Draft:
    """Who created a recipe and when: the author and date of its first version's commit."""
    d = Draft(kb, "explain")
    d.cite("recipe", recipe_id)
    d.focus["recipe_id"] = recipe_id
    hist = kb.versions(recipe_id)
    if not hist:
        d.say(f"{recipe_id} has no committed version, so git does not say who created it.")
        return d
    first = hist[0]
    cite_version(kb, d, first)
    d.say(
        f"{first.created_by} created {recipe_id} on {iso(first.created_at)[:10]} "
        f'({first.version_id}: "{first.change_note}").'
    )
    authors = sorted({v.created_by for v in hist[1:]} - {first.created_by})
    if authors:
        d.say(f"Later versions were committed by {', '.join(authors)}.")
    d.step(commands.list_versions(recipe_id))
    return d


def _key_names(change: dict[str, Any]) -> list[str]:
    """The keys a change is about: the last step of its path, and the keys of a mapping it
    added or removed (adding `monitoring.freshness` adds `max_age_hours`)."""
    names = [str(change["path"][-1])] if change.get("path") else []
    for side in ("new", "old"):
        if isinstance(change.get(side), dict):
            names += [str(k) for k in change[side]]
    return names


def _names_key(key: str, said: set[str]) -> bool:
    parts = [p for p in re.split(r"[_.]", key.lower()) if len(p) > 2 and p not in UNITS]
    if not parts or all(p in _GENERIC_KEYS or len(p) < 3 for p in parts):
        return False
    return key.lower() in said or all(lemma(p) in said for p in parts)


def value_history(kb: Knowledge, q: Question, recipe_id: str, draft: Draft) -> bool:
    """When, by whom and why a manifest value of a recipe (or of a recipe it inherits from)
    changed: every version whose diff touches a key the question names, with its change
    note. False when the question names no key any of those versions changed."""
    said = {lemma(w.lstrip("@")) for w in q.words} | {w.lstrip("@") for w in q.words}
    hits = []
    for rec in kb.lineage(recipe_id):
        for v in kb.versions(rec.id):
            for change in (v.diff_from_prev or {}).get("changes", []):
                if any(_names_key(k, said) for k in _key_names(change)):
                    hits.append((rec.id, v, change))
    if not hits:
        return False
    # the words this read: the change verb and the key's parts ("learning", "rate")
    parts = {lemma(p) for _, _, c in hits for k in _key_names(c) for p in re.split(r"[_.]", k)}
    for word in (w.lstrip("@") for w in q.words):
        if lemma(word) in parts | _CHANGE_LEMMAS:
            draft.read.add(word)
    draft.cite("recipe", recipe_id)
    draft.focus["recipe_id"] = recipe_id
    draft.say(f"From the version history of {recipe_id} and the recipes it inherits from:")
    for rid, v, change in hits:
        cite_version(kb, draft, v)
        draft.item(
            f"{rid} {v.version_number} ({iso(v.created_at)[:10]}, {v.created_by}): "
            f'{change_text(change)}; change note: "{v.change_note}"'
        )
    manifest = kb.resolved(recipe_id)[0]
    path = hits[-1][2]["path_text"]
    current = _get(manifest, path)
    if current is not None:
        draft.say(f"In {recipe_id} now: {path} = {value_text(current)}.")
    draft.step(commands.list_versions(recipe_id))
    return True


# parts of a key that say its unit, not what it is: `catchment_km` is the catchment
UNITS = {"km", "pct", "hours", "days", "gb", "min", "max", "ms"}


def _leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}{key}"
            out[path] = value
            out.update(_leaves(value, path + "."))
    return out


def leaf_values(
    kb: Knowledge, q: Question, recipe_id: str | None, model_id: str | None, draft: Draft
) -> bool:
    """ "The catchment radius of recipe_location_base": the manifest values whose key the
    question's own words name (every part of the key but its unit), with who set them.
    False when the words name no key of the record's resolved manifest."""
    if model_id is not None:
        manifest = model_manifest(kb, model_id)
        recipe_id = kb.models[model_id].recipe_id
    elif recipe_id is not None:
        manifest = kb.resolved(recipe_id)[0]
    else:
        return False
    content = {
        lemma(w): w
        for w in (x.lstrip("@") for x in q.words if not x.startswith("@"))
        if w not in STOPWORDS and w not in SUBJECTS and len(w) > 2 and lemma(w) not in _KEYWORDISH
    }
    if _record_field(kb, q, content, recipe_id if model_id is None else None, model_id, draft):
        return True
    metrics = {lemma(m) for m in q.metrics}  # a metric's values are health's, not a key's
    found = []
    for path, value in _leaves(manifest).items():
        parts = [p for p in path.split(".")[-1].lower().split("_") if p not in UNITS]
        named = parts and all(len(p) > 2 and lemma(p) in content for p in parts)
        if named and not {lemma(p) for p in parts} & metrics:
            found.append((path, value, [content[lemma(p)] for p in parts]))
    if not found:
        return False
    provenance = kb.resolved(recipe_id)[1] if recipe_id in kb.recipes else {}
    label = model_id or recipe_id
    for path, value, words in found[:6]:
        setter = provenance.get(path)
        draft.say(
            f"{label}: {path} = {value_text(value)}"
            + (f" (set by {setter})" if setter and setter != label else "")
            + "."
        )
        draft.read |= set(words)
    if recipe_id in kb.recipes:
        draft.cite("recipe", recipe_id)
        draft.focus["recipe_id"] = recipe_id
        draft.step(commands.show_recipe(recipe_id))
    if model_id is not None:
        draft.cite("model", model_id)
        draft.focus["model_id"] = model_id
    return True


# a record's own fields a question can name, beyond the ones other answers give
RECORD_FIELDS = {"description", "name", "tags", "level", "model_family", "family"}


def _record_field(
    kb: Knowledge,
    q: Question,
    content: dict[str, str],
    recipe_id: str | None,
    model_id: str | None,
    draft: Draft,
) -> bool:
    """ "The description of recipe_pricing_grocery": a field of the record itself (its
    recipe.yaml or model.yaml), which wins over a manifest key of the same name."""
    rec = kb.models[model_id] if model_id else kb.recipes[recipe_id] if recipe_id else None
    if rec is None:
        return False
    asked = [f for f in RECORD_FIELDS if lemma(f) in content and f != "family"]
    if "family" in content:
        asked.append("model_family")
    asked = [f for f in asked if hasattr(rec, f)]
    if not asked:
        return False
    kind = "model" if model_id else "recipe"
    for name in asked:
        value = getattr(rec, name)
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        draft.say(f"{rec.id} {name}: {shown}.")
        draft.read |= {w for w in content.values() if lemma(w) in (lemma(name), "family")}
    draft.cite(kind, rec.id)
    draft.focus[f"{kind}_id"] = rec.id
    return True


# manifest sections whose keys are names a question can use alone
NAMED = ("features", "data_sources")


def key_setter(kb: Knowledge, q: Question) -> str | None:
    """ "The population_5km feature": a question naming a feature or a data source, and no
    record, is about the one recipe that sets it (the recipes that inherit it name the same
    setter); None when several recipes set it."""
    said = {w.lstrip("@") for w in q.words} - STOPWORDS - KEYWORDS - set(SUBJECTS)
    if not said:
        return None
    setters: set[str] = set()
    for rid in kb.recipes:
        manifest, provenance = kb.resolved(rid)
        for path in _leaves(manifest):
            parts = path.split(".")
            if len(parts) == 2 and parts[0] in NAMED and parts[1].lower() in said:
                setters.add(provenance.get(path, rid))
    return next(iter(setters)) if len(setters) == 1 else None


def status_on(kb: Knowledge, model_id: str, moment: datetime, label: str) -> Draft:
    """One model's status at the end of a day, from the git history of its model.yaml."""
    d = Draft(kb, "explain")
    d.cite("model", model_id)
    d.focus["model_id"] = model_id
    changes = status_history(kb.reg, model_id).get(model_id, [])
    before = [c for c in changes if parse_iso(c.at) <= moment]
    if not before:
        first = f" (registered {changes[0].at})" if changes else ""
        d.say(f"{model_id} did not exist yet on {label}{first}.")
        return d
    c = before[-1]
    d.say(
        f"On {label} (end of day, UTC) {model_id} was in {c.status}: since {c.at}, "
        f'by {c.author} (commit {c.commit[:12]}: "{c.message}").'
    )
    if kb.models[model_id].status != c.status:
        d.say(f"It is {kb.models[model_id].status} now.")
    d.step(commands.show_model(model_id))
    return d


def _get(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _future(kb: Knowledge, q: Question, recipes: list[str], models: list[str]) -> Draft:
    """The registry records what happened; what will happen is not in it. What it does
    record is given: a model's latest values (so the trend can be seen), a recipe's status."""
    d = Draft(kb, "health")
    d.say(
        "I can't tell what will happen: the registry records what was done (commits, runs, "
        "monitoring snapshots), not plans or forecasts."
    )
    if recipes and not models:
        r = kb.recipes[recipes[0]]
        d.cite("recipe", r.id)
        d.focus["recipe_id"] = r.id
        d.say(f"What it records: {r.id} is {r.status}, at version {r.version}.")
        d.step(commands.show_recipe(r.id))
    if models:
        model_id = models[0]
        d.cite("model", model_id)
        d.focus["model_id"] = model_id
        snaps = kb.snapshots(model_id)[:3]
        metric = q.metrics[0] if q.metrics else None
        for s in snaps:
            values = {**s.performance_metrics_json, **s.drift_metrics_json}
            shown = (
                f"{metric} {values[metric]}"
                if metric and metric in values
                else ", ".join(f"{k} {v}" for k, v in sorted(values.items()))
            )
            d.item(f"{s.id} ({iso(s.captured_at)[:10]}): {shown}")
            d.cite_ref(kb.snapshot_ref(s))
        if snaps:
            d.say(f'For the whole trend, ask "how has {metric or "MAPE"} changed for {model_id}?"')
        d.step(commands.list_snapshots(model_id))
    return d
