"""Questions the keyword router would answer with something else: each recognised here from
what it asks for, and answered exactly, or with what cannot be answered said first.

`route` runs before the general router (assistant.py) and returns None for a question it
does not recognise."""

from __future__ import annotations

import re
from datetime import datetime

from modelyard.chat import (
    explain,
    judge,
    lookup,
    manifest_facts,
    measures,
    relations,
    timeline,
)
from modelyard.chat.draft import Draft
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.understand import ID_RE, Question, fitting_recipes, phrases_folded
from modelyard.domain.records import Run

NEGATIONS = {"no", "not", "without", "never", "missing", "lack", "lacks", "lacking", "none"}
NEGATIONS.add("unmonitored")
FAIL_WORDS = {"fail", "failed", "failing", "failure", "failures", "crash", "crashed", "error"}
BETTER_WORDS = {"better", "worse", "outperform", "outperforms", "beat", "beats"}
AUTHOR_VERBS = {
    "change",
    "changed",
    "commit",
    "committed",
    "create",
    "created",
    "did",
    "made",
    "wrote",
    "authored",
    "edit",
    "edited",
    "done",
}
TREND = ("trend", "trends", "trending", "over", "history", "evolved", "changed")
COMPARE = {"compare", "versus", "vs", "difference", "differ", "diff", "against"}
# "what went wrong with the run", "what happened to it": a question about a failure
_WENT_WRONG = re.compile(r"\b(?:go|goes|went|gone|going)\s+wrong\b|\bwhat happened\b")
_TAG = re.compile(r"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>|<[^<>]{0,300}>", re.I | re.S)


def clean(text: str) -> str:
    """A question without markup: `<script>alert(1)</script>` asks nothing."""
    return _TAG.sub(" ", text)


def route(
    kb: Knowledge, q: Question, focus: dict[str, str], now: datetime, last_reply: str
) -> Draft | None:
    words = set(q.words)
    # the words as written, but with phrases folded: "next best action" is a family, not "best"
    raw = set(re.findall(r"[a-z_']+", phrases_folded(q.text)))
    models = list(q.models or q.context_models)
    recipes = list(q.recipes or q.context_recipes)
    if not models and not recipes and not q.runs:
        if focus.get("model_id"):
            models = [focus["model_id"]]
        if focus.get("recipe_id"):
            recipes = [focus["recipe_id"]]
    if "other" in raw and focus.get("model_id"):
        other = _other(kb, last_reply, focus["model_id"])
        if other:
            models = [other]
            q.context_models = [other]
    if raw & {"that", "this"} and "one" in raw and not q.names_records and not focus:
        named = [i for i in dict.fromkeys(ID_RE.findall(last_reply)) if i in kb.models]
        if len(named) == 1:
            models = q.context_models = named
        elif named:
            return _ask(kb, "model", named)
    draft = _by_kind(kb, q) or which_one(kb, q)
    if draft is not None:
        return draft
    recipes, models = list(q.recipes) or recipes, list(q.models) or models
    looked = lookup.route(kb, q, raw, recipes, models)
    if looked is not None:
        return looked

    try:
        when = timeline.date_in(q.text, now)
    except timeline.NoSuchDate as exc:
        d = Draft(kb, "decline", answered=False)
        d.say(f"There is no {exc} in the calendar, so I can't say what was true on it.")
        return d
    if (
        raw & {"is", "are"}
        and q.model_statuses
        and not models
        and not when
        and not raw & BETTER_WORDS
        and not words & COMPARE
    ):
        found = which_one(kb, q, about_one=True)
        if found is not None:
            return found
        models = list(q.models)
    if when and len(q.models) == 1 and not q.recipes and raw & {"was", "status", "state"}:
        return lookup.status_on(kb, q.models[0], when[0], when[1])
    as_of = q.range is None or q.model_statuses  # "runs created before 1 November": a range
    if (
        when
        and as_of
        and not q.names_records
        and (q.model_statuses or raw & {"was", "were", "had"})
    ):
        d = Draft(kb, "find")
        timeline.as_of(kb, q, when[0], when[1], d)
        return d
    moved = raw & set(timeline.STATUS_VERBS) or (
        q.model_statuses and raw & {"go", "went", "moved", "move", "put", "entered", "reached"}
    )
    if raw & {"who", "when"} and moved and models:
        d = Draft(kb, "explain")
        timeline.who_moved(kb, q, models[0], d)
        return d
    person = _author(kb, q.text) if raw & AUTHOR_VERBS and not q.names_records else None
    if person:
        d = Draft(kb, "explain")
        timeline.by_author(kb, q, person, when[0] if when else None, d)
        return d
    if raw & {"approved", "archived"} and raw & {"who", "when"} and recipes and not q.models:
        d = Draft(kb, "explain")
        timeline.recipe_status(kb, recipes[0], "archived" if "archived" in raw else "approved", d)
        return d
    if raw & {"build", "builds", "built", "based", "pinned", "pin", "extends"} and "version" in raw:
        child = next(
            (r for r in [*q.recipes, *_recipes_by_words(kb, q)] if kb.recipes[r].parent_id), None
        )
        if child is not None:
            d = Draft(kb, "explain")
            explain.lineage(kb, child, d)
            return d
    if (
        raw & {"is", "are"}
        and q.model_statuses
        and len(models) == 1
        and not raw & BETTER_WORDS
        and not words & COMPARE
    ):
        return _is_status(kb, "model", models[0], q.model_statuses)
    asked_status = q.recipe_statuses | ({"draft"} if q.draft else set())
    if raw & {"is", "are"} and asked_status and len(q.recipes) == 1 and not q.models:
        return _is_status(kb, "recipe", q.recipes[0], asked_status)
    if raw & {"owner", "owns", "owned", "own"} and q.recipes and not q.models:
        return _recipe_owner(kb, q.recipes[0])
    if words & {"average", "mean", "avg", "minimum", "maximum", "highest", "lowest"} and models:
        return measures.aggregate(kb, q, models[0])
    if q.metrics and not models and words & {"lowest", "highest", "best", "worst", "top"}:
        return measures.rank(kb, q.metrics[0], measures.lowest_first(kb, q.metrics[0], words))
    thresholds = q.has("threshold", "thresholds", "limit", "limits", "bound", "bounds")
    if q.metrics and models and not words & COMPARE and not q.has(*TREND) and not thresholds:
        return measures.metric_now(kb, q.metrics[0], models[0])
    if len(q.recipes) < 2 and words & COMPARE and ("recipe" in q.subjects):
        named = _recipes_by_words(kb, q)
        if len(named) == 2:
            d = Draft(kb, "compare")
            judge.compare_recipes(kb, named[0], named[1], d)
            return d
    about_runs = bool(q.runs or q.run_types or "run" in q.subjects)
    if (
        ("why" in raw and raw & FAIL_WORDS)
        or (raw & FAIL_WORDS and raw & {"reason", "logs", "log"})
        or (about_runs and _WENT_WRONG.search(q.text.lower()))
    ):
        d = Draft(kb, "explain")
        d.read |= {"went", "gone", "wrong", "happened"}
        timeline.failure(kb, _runs_asked(kb, q, focus), d)
        return d
    if words & {"stale", "freshness", "outdated"} and not q.has("threshold", "thresholds", "limit"):
        d = Draft(kb, "health")
        judge.staleness(kb, models or None, d)
        return d
    monitored = q.has("snapshot", "snapshots", "monitoring", "unmonitored")
    if monitored and raw & NEGATIONS and not q.names_records:
        d = Draft(kb, "find")
        judge.monitoring_coverage(kb, without=True, draft=d)
        return d
    if (
        q.has("snapshot", "snapshots", "monitored")
        and "model" in q.subjects
        and raw & {"have", "has", "with"}
        and not q.names_records
    ):
        d = Draft(kb, "find")
        judge.monitoring_coverage(kb, without=False, draft=d)
        return d
    if recipes and len(q.versions) == 1 and not words & COMPARE:
        d = Draft(kb, "explain")
        timeline.version_of(kb, recipes[0], q.versions[0], d)
        return d
    if len(q.recipes) >= 2 and (words & COMPARE or "and" in raw):
        d = Draft(kb, "compare")
        judge.compare_recipes(kb, q.recipes[0], q.recipes[1], d)
        return d
    if raw & BETTER_WORDS or (len(q.models) >= 2 and words & COMPARE):
        pair = _pair(kb, q, models)
        if pair is not None:
            d = Draft(kb, "compare")
            judge.compare_models(kb, pair[0], pair[1], d)
            return d
    if "best" in raw and not q.names_records and not q.metrics:
        return _best(kb, q)
    explicit = bool(q.recipes or q.models) or bool(raw & {"it", "its", "it's", "this", "that"})
    judging = q.has("meet", "meets", "met", "pass", "passes", "passing", "fails", "within")
    runs_of_model = bool(q.run_types and models)  # "has it been evaluated?": its eval runs
    if (recipes or models) and explicit and not q.runs and not judging and not runs_of_model:
        d = Draft(kb, "explain")
        model = models[0] if models and (q.models or not q.recipes) else None
        if manifest_facts.record_sections(kb, q, recipes[0] if recipes else None, model, d):
            return d
        if lookup.leaf_values(kb, q, recipes[0] if recipes else None, model, d):
            return d
    sections = words & set(manifest_facts.SECTION_WORDS)
    if not q.names_records and ("recipe" in q.subjects or "model" in q.subjects or sections):
        person = relations.author_named(kb, q)
        cond = manifest_facts.condition_words(
            q, {t.lower() for t in _tags(kb)}, frozenset([person] if person else [])
        )
        if cond:
            d = Draft(kb, "find")
            if manifest_facts.filter_by_manifest(kb, q, cond, d):
                return d
    return None


def _tags(kb: Knowledge) -> set[str]:
    return {t for r in kb.recipes.values() for t in r.tags}


def _other(kb: Knowledge, last_reply: str, current: str) -> str | None:
    named = [i for i in dict.fromkeys(ID_RE.findall(last_reply)) if i in kb.models]
    others = [i for i in named if i != current]
    return others[0] if len(others) == 1 else None


def _by_kind(kb: Knowledge, q: Question) -> Draft | None:
    """A name in words resolves to the kind of record asked about: "the retail pricing
    recipe" is a recipe even when the words also name a model; several candidates are asked
    back."""
    said = q.text.lower()
    asks_recipe = q.has("recipe", "recipes") and not q.has("model", "models")
    asks_model = q.has("model", "models") and not q.has("recipe", "recipes")
    by_words = [m for m in q.models if m not in said]
    if asks_recipe and by_words and not q.recipes:
        words = [w[1:] for w in q.words if w.startswith("@")]
        candidates = [
            r.id
            for r in kb.recipes.values()
            if all(w in f"{r.id} {r.name}".lower().replace("_", " ").split() for w in words)
        ]
        if len(candidates) > 1:
            return _ask(kb, "recipe", candidates)
        q.recipes = candidates or [kb.models[by_words[0]].recipe_id]
        q.models = [m for m in q.models if m not in by_words]
    recipe_words = [r for r in q.recipes if r not in said]
    if asks_model and recipe_words and not q.models and "which" not in q.words:
        built = [m.id for m in kb.models_of(recipe_words[0])]
        if len(built) > 1:
            return _ask(kb, "model", built)
        if built:
            q.models, q.recipes = built, []
    return None


ABOUT_ONE = {"doing", "performing", "health", "healthy", "tell", "explain", "describe", "about"}


def which_one(kb: Knowledge, q: Question, about_one: bool = False) -> Draft | None:
    """'The freshmart model' when two models fit: ask which, with the candidates; one that
    fits is taken (`about_one`: the question is about one record whatever its words)."""
    if q.names_records or q.context_models or q.context_recipes:
        return None
    if not about_one and not q.has(*ABOUT_ONE):
        return None
    tags = {t.lower() for t in q.tags}
    if about_one and not tags:
        return None  # "a new pricing model" names no record
    if q.has("model") and not q.has("models", "recipe", "recipes") and (tags or q.families):
        fits = [
            m.id
            for m in kb.models.values()
            if (not q.families or m.model_family in q.families)
            and (about_one or not q.model_statuses or m.status in q.model_statuses)
            and (
                not tags
                or (
                    m.recipe_id in kb.recipes
                    and tags & {t.lower() for t in kb.recipes[m.recipe_id].tags}
                )
            )
        ]
        if len(fits) > 1:
            return _ask(kb, "model", fits)
        if len(fits) == 1:
            q.models = fits
    if q.has("recipe") and not q.has("recipes", "model", "models") and (tags or q.families):
        fits = fitting_recipes(kb, q, tags)
        if len(fits) > 1:
            return _ask(kb, "recipe", fits)
        if len(fits) == 1:
            q.recipes = fits
    return None


def _ask(kb: Knowledge, kind: str, candidates: list[str]) -> Draft:
    d = Draft(kb, "find", answered=False)
    d.say(f"Which {kind} do you mean? The words fit {len(candidates)}:")
    for ident in candidates[:8]:
        rec = kb.recipes[ident] if kind == "recipe" else kb.models[ident]
        d.item(f'{ident} "{rec.name}"')
        d.cite(kind, ident)
    d.say("Ask again with its id (or more of its name).")
    return d


def _runs_asked(kb: Knowledge, q: Question, focus: dict[str, str]) -> list[Run]:
    if q.runs:
        return [r for i in q.runs if (r := kb.run(i))]
    pool = kb.runs
    tags = {t.lower() for t in q.tags}
    picked = [
        r
        for r in pool
        if (not q.models or r.model_id in q.models)
        and (not q.recipes or r.recipe_id in q.recipes)
        and (not q.run_types or r.run_type in q.run_types)
        and (
            not q.families
            or (kb.recipes.get(r.recipe_id) and kb.recipes[r.recipe_id].model_family in q.families)
        )
        and (
            not tags or tags & {t.lower() for t in kb.recipes[r.recipe_id].tags}
            if r.recipe_id in kb.recipes
            else not tags
        )
    ]
    if not (q.models or q.recipes or q.run_types or q.families or tags) and focus.get("run_id"):
        run = kb.run(focus["run_id"])
        return [run] if run else picked
    return picked


def _pair(kb: Knowledge, q: Question, models: list[str]) -> tuple[str, str] | None:
    if len(q.models) >= 2:
        return q.models[0], q.models[1]
    pair = judge.challenger_pair(kb, models, q.families | _families_of_tags(kb, q))
    return pair


def _families_of_tags(kb: Knowledge, q: Question) -> set[str]:
    tags = {t.lower() for t in q.tags}
    return {r.model_family for r in kb.recipes.values() if tags & {t.lower() for t in r.tags}}


def _best(kb: Knowledge, q: Question) -> Draft:
    """ "The best model": there is no one measure across families, so say so, and rank within
    a family by its recipes' acceptance metrics where the question narrows to one."""
    d = Draft(kb, "compare", answered=False)
    families = sorted(q.families) or sorted({m.model_family for m in kb.models.values()})
    d.say(
        "Best by which measure? Models of different families are measured differently "
        "(MAPE, ndcg_at_3, R2 ...), so I can't rank them all on one scale. The newest measured "
        "run of each model, by family:"
    )
    for family in families:
        for m in sorted(kb.models.values(), key=lambda m: m.id):
            if m.model_family != family:
                continue
            run = judge._newest_measured(kb, m.id)
            shown = (
                ", ".join(f"{k} {v}" for k, v in sorted(run.metrics_json.items()))
                if run
                else "none"
            )
            d.item(f"{family}: {m.id} ({m.status}): {shown}")
            d.cite("model", m.id)
    d.say('Ask "is MODEL better than MODEL?" to compare two on the metrics they share.')
    return d


def _recipe_owner(kb: Knowledge, recipe_id: str) -> Draft:
    """Recipes have no owner field: say so, and what the registry does record."""
    d = Draft(kb, "explain")
    d.cite("recipe", recipe_id)
    hist = kb.versions(recipe_id)
    authors = sorted({v.created_by for v in hist})
    built = kb.models_of(recipe_id)
    d.say(
        f"Recipes have no owner in this registry, so I can't name {recipe_id}'s owner. "
        + (f"Its versions were committed by {', '.join(authors)}." if authors else "")
    )
    if built:
        d.say(
            "Models built from it, with their owners: "
            + ", ".join(f"{m.id} ({m.owner})" for m in built)
            + "."
        )
        for m in built:
            d.cite("model", m.id)
    return d


def _recipes_by_words(kb: Knowledge, q: Question) -> list[str]:
    """Recipes a question names by single words of their id ("the grocery and freshmart
    recipes"), one recipe per word."""
    out: list[str] = []
    for w in q.words:
        word = w.lstrip("@")
        fits = [r.id for r in kb.recipes.values() if word in r.id.split("_")[1:]]
        if len(fits) == 1 and fits[0] not in out and len(word) > 3:
            out.append(fits[0])
    return out


def _author(kb: Knowledge, text: str) -> str | None:
    """A person the question names (first name or full name) among the registry's authors."""
    low = f" {text.lower()} "
    # the commits as git has them, one pass, no manifest resolved
    people = {v.author_name for sources in timeline.all_versions(kb).values() for v in sources}
    people |= {c.author for changes in status_history_all(kb).values() for c in changes}
    hits = [
        p
        for p in sorted(people)
        if p
        and " " in p
        and (f" {p.lower()} " in low or f" {p.split()[0].lower()} " in low.replace("'s ", " "))
    ]
    return hits[0] if len(hits) == 1 else None


def status_history_all(kb: Knowledge) -> dict[str, list[timeline.StatusChange]]:
    return timeline.status_history(kb.reg)


def _is_status(kb: Knowledge, kind: str, record_id: str, statuses: set[str]) -> Draft:
    """ "Is recipe_nba_telco approved?", "is model_x in production?": yes or no, with the
    status the recipe or model has."""
    d = Draft(kb, "find")
    record = kb.recipes[record_id] if kind == "recipe" else kb.models[record_id]
    d.cite(kind, record_id)
    d.focus[f"{kind}_id"] = record_id
    yes = record.status in statuses
    state = record.status if kind == "recipe" else f"in {record.status}"
    d.say(
        f'{"Yes" if yes else "No"}: {record_id} "{record.name}" is {state}'
        + ("" if yes else f", not {' or '.join(sorted(statuses))}")
        + "."
    )
    return d
