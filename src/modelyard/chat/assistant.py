"""The chat assistant's one entry point: `answer(reg, request) -> ChatResponse`.

The offline answer is always built first, from the registry through ops; a configured
model backend (see `backend.py`) may then rewrite its text, never its references.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from modelyard.chat import (
    backend,
    commands,
    compare,
    explain,
    find,
    health,
    howto,
    intents,
    lookup,
    manifest_facts,
    query,
    relations,
)
from modelyard.chat.draft import Draft
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.response import ChatResponse
from modelyard.chat.search import Index
from modelyard.chat.understand import (
    KEYWORDS,
    RUN_TYPES,
    STOPWORDS,
    Question,
    Vocabulary,
    understand,
)
from modelyard.domain.requests import ChatRequest
from modelyard.errors import NotFound
from modelyard.ops.common import parse_body
from modelyard.storage.mutation import clock
from modelyard.storage.registry import Registry

CAPABILITIES = [
    "find recipes, models and runs by family, level, status, tag, owner and time "
    '("production pricing models", "failed runs this week", "recipes tagged retail")',
    "list models with drift or other alerts in their latest monitoring snapshot",
    "explain a recipe: what it builds, its lineage, its versions and what changed, "
    "what a child overrides",
    "compare two versions of a recipe, two runs, or a model against its recipe's "
    "acceptance thresholds",
    "report a model's health: latest snapshot, thresholds, alerts, the trend of a metric",
    "give the exact commands to clone, version, approve, register, train, promote and monitor",
    'summarise the registry ("overview of the registry")',
]
PRONOUNS = ("it", "its", "it's", "this", "that", "they", "them", "their")
MAX_TURNS = 10
TURN_CHARS = 2000  # an answer kept in the context; the context travels with every request
COMPARE_WORDS = ("compare", "versus", "vs", "difference", "differ", "diff", "between")
ACCEPT_WORDS = (
    "threshold",
    "thresholds",
    "acceptance",
    "meet",
    "meets",
    "pass",
    "passes",
    "accept",
    "criteria",
)
HEALTH_WORDS = (
    "health",
    "healthy",
    "monitoring",
    "drift",
    "drifting",
    "alert",
    "alerts",
    "alerting",
    "snapshot",
    "snapshots",
    "doing",
    "performing",
    "freshness",
    "stale",
)
TREND_WORDS = ("trend", "trends", "trending", "over", "history", "evolved", "evolution")
EXPLAIN_WORDS = (
    "explain",
    "describe",
    "about",
    "tell",
    "what",
    "details",
    "detail",
    "summarise",
    "summarize",
    "build",
    "builds",
    "lineage",
    "parent",
    "overrides",
    "override",
    "inherit",
    "inherits",
)


# the words the routes read a question's form by: never "something nothing records"
ROUTE_WORDS = frozenset(
    {*COMPARE_WORDS, *ACCEPT_WORDS, *HEALTH_WORDS, *TREND_WORDS, *EXPLAIN_WORDS}
    | intents.BETTER_WORDS
    | intents.AUTHOR_VERBS
    | intents.FAIL_WORDS
    | intents.NEGATIONS
    | lookup.OWNER_WORDS
    | lookup.CREATE_WORDS
    | lookup.CHANGE_WORDS
    | relations.NEGATIONS
    | relations.HAVING
    | relations.CHANGED
    | set(relations.MOVED)
)


def answer(reg: Registry, request: ChatRequest | dict[str, Any]) -> ChatResponse:
    """Answer one chat message about `reg`, grounded in its records (see docs/chat.md)."""
    req = parse_body(ChatRequest, request)
    kb = Knowledge(reg)
    if req.recipe_id and req.recipe_id not in kb.recipes:
        # like every endpoint that takes a recipe id: an unknown one is a 404, not an answer
        raise NotFound("Recipe", req.recipe_id)
    offline = _offline(kb, req)
    return backend.maybe_rewrite(kb, req, offline)


def _offline(kb: Knowledge, req: ChatRequest) -> ChatResponse:
    vocab = Vocabulary(kb, kb.metric_names())
    now = clock()
    message = intents.clean(req.message)
    if not re.search(r"[^\W_]", message):
        draft = _decline(kb, understand(kb, "", vocab, now), "", [])
    else:
        q = understand(kb, message, vocab, now)
        focus = _focus(kb, req)
        if _self_contained(q):
            # "which runs were created in november?" after a model: about all runs
            focus = {"recipe_id": req.recipe_id} if req.recipe_id else {}
        elif not q.names_records:
            _from_turns(kb, req, vocab, now, q)
        draft = _route(kb, q, focus, req)
        if draft.answered and (q.names_records or focus) and draft.intent != "howto":
            named = [("model", m) for m in q.models or [focus.get("model_id", "")]]
            named += [("recipe", r) for r in q.recipes or [focus.get("recipe_id", "")]]
            unknown = [
                w
                for w in manifest_facts.unknown_words(kb, q, vocab.names | ROUTE_WORDS, named)
                if w not in draft.read
            ]
            if unknown and not draft.text.startswith("I read this as"):
                listed = ", ".join(repr(w) for w in unknown)
                draft.lines.insert(
                    0,
                    f"I can't tell you about {listed}: nothing in this registry records "
                    f"{'it' if len(unknown) == 1 else 'them'}. What it does hold:",
                )
    focus = _focus(kb, req)
    new_focus = {k: v for k, v in {**focus, **draft.focus}.items() if v}
    turns = [
        *_turns(req.context)[-(MAX_TURNS - 2) :],
        {"role": "user", "content": req.message},
        {"role": "assistant", "content": draft.text[:TURN_CHARS]},
    ]
    return ChatResponse(
        reply=draft.text,
        intent=draft.intent if draft.answered else "decline",
        answered=draft.answered,
        references=draft.references,
        next_steps=draft.next_steps,
        context={"focus": new_focus, "turns": turns},
    )


def _self_contained(q: Question) -> bool:
    """A question about many records of a kind that points back at nothing ("which runs
    failed?"): the conversation's record does not narrow it; "and its runs?" does."""
    many = any(w in q.words for w in ("recipes", "models", "runs"))
    back = q.has(*PRONOUNS, "other") or (q.words[:1] == ["and"]) or "about" in q.words[:3]
    return many and not back and not q.names_records


def _focus(kb: Knowledge, req: ChatRequest) -> dict[str, str]:
    """What earlier turns were about: the request's recipe_id wins over the context's focus."""
    ctx = req.context or {}
    raw: dict[str, Any] = ctx["focus"] if isinstance(ctx.get("focus"), dict) else ctx
    focus: dict[str, str] = {}
    for key, known in (("recipe_id", kb.recipes), ("model_id", kb.models)):
        value = raw.get(key)
        if isinstance(value, str) and value in known:
            focus[key] = value
    run_id = raw.get("run_id")
    if isinstance(run_id, str) and run_id.startswith("run_") and kb.has_run(run_id):
        focus["run_id"] = run_id
    if req.recipe_id:
        focus["recipe_id"] = req.recipe_id
        if focus.get("model_id") and kb.models[focus["model_id"]].recipe_id != req.recipe_id:
            del focus["model_id"]
    return focus


def _turns(ctx: dict[str, Any]) -> list[dict[str, str]]:
    raw = ctx.get("turns") or ctx.get("history") or ctx.get("messages") or []
    out = []
    for turn in raw if isinstance(raw, list) else []:
        if isinstance(turn, str):
            out.append({"role": "user", "content": turn})
        elif isinstance(turn, dict):
            content = turn.get("content") or turn.get("message") or ""
            if isinstance(content, str) and content:
                out.append({"role": str(turn.get("role") or "user"), "content": content[:4000]})
    return out


def _from_turns(kb: Knowledge, req: ChatRequest, vocab: Vocabulary, now: Any, q: Question) -> None:
    """`and its models?`: no record named, so take the records of the latest earlier user turn
    that named one (only when the context carries no focus)."""
    ctx = req.context or {}
    if isinstance(ctx.get("focus"), dict) and ctx["focus"]:
        return
    for turn in reversed(_turns(ctx)):
        if turn["role"] != "user":
            continue
        earlier = understand(kb, turn["content"], vocab, now)
        if earlier.names_records:
            q.context_recipes, q.context_models = earlier.recipes, earlier.models
            return


def _route(kb: Knowledge, q: Question, focus: dict[str, str], req: ChatRequest) -> Draft:
    recipes = list(q.recipes or q.context_recipes)
    models = list(q.models or q.context_models)
    explicit = q.names_records
    one_record = q.has(
        *TREND_WORDS, *ACCEPT_WORDS, *EXPLAIN_WORDS, "health", "healthy", "doing", "performing"
    )
    plural = q.has("recipes", "models", "runs")  # a question about many is not about one
    if (
        not explicit
        and not q.context_recipes
        and not q.context_models
        and one_record
        and not plural
    ):
        # "the freshmart production model": no exact name, so the best-ranked record, if clear
        setter = lookup.key_setter(kb, q)
        hit = ("recipe", setter) if setter else _best_match(kb, q)
        if hit is not None:
            if hit[0] == "recipe":
                q.recipes = recipes = [hit[1]]
            else:
                q.models = models = [hit[1]]
            explicit = True
            q.tags.clear()
    if not recipes and not models and not q.runs:
        if focus.get("model_id") and not (q.has("recipe", "recipes") and focus.get("recipe_id")):
            models = [focus["model_id"]]
        if focus.get("recipe_id"):
            recipes = [focus["recipe_id"]]
    if q.unknown_ids and not explicit:
        return _decline(kb, q, "", q.unknown_ids)

    listing_runs = "run" in q.subjects and q.words and q.words[0] in RUN_TYPES
    if q.has("howto") or (
        q.words
        and q.words[0] in howto.WORKFLOWS
        and q.words[0] not in ("production", "prod")
        and not listing_runs
    ):
        if not explicit and not recipes and not models:
            # "how do I retrain the northwind model?": the one record the words fit
            asked = intents.which_one(kb, q, about_one=True)
            if asked is not None:
                return asked
            recipes, models = list(q.recipes), list(q.models)
        d = Draft(kb, "howto")
        howto.howto(kb, q, recipes, models, d)
        return d
    last = next((t["content"] for t in reversed(_turns(req.context)) if t["role"] != "user"), "")
    found = intents.route(kb, q, focus, clock(), last)
    if found is not None:
        return found
    if q.context_models and not q.models:  # "the other one", "that one": resolved there
        models = list(q.context_models)
    if q.has(*COMPARE_WORDS) or len(q.runs) >= 2 or len(q.versions) >= 2:
        d = Draft(kb, "compare")
        if len(q.runs) >= 2:
            compare.compare_runs(kb, [r for i in q.runs if (r := kb.run(i))], d)
            return d
        if models and q.has(*ACCEPT_WORDS):
            health.acceptance(kb, models[0], d)
            return d
        if recipes and (q.versions or q.has("version", "versions")):
            compare.compare_versions(kb, recipes[0], q.versions, d)
            return d
        target = models[0] if models else None
        if target or recipes:
            runs = [
                r
                for r in kb.runs
                if (r.model_id == target if target else r.recipe_id == recipes[0])
                and r.metrics_json
            ]
            if q.has("run", "runs") and len(runs) >= 2:
                compare.compare_runs(kb, runs[:2], d)
                return d
            if recipes and not target:
                compare.compare_versions(kb, recipes[0], q.versions, d)
                return d
    if models and q.has(*ACCEPT_WORDS) and not q.has("drift"):
        d = Draft(kb, "compare")
        health.acceptance(kb, models[0], d)
        return d
    if (q.has("alert", "alerts", "alerting") or q.has("drift", "drifting")) and not (
        explicit and models
    ):
        d = Draft(kb, "find")
        find.models_with_alerts(kb, q, d, drift_only=q.has("drift", "drifting"))
        return d
    if models and q.has(*TREND_WORDS) and (q.metrics or q.has("trend", "trends", "trending")):
        d = Draft(kb, "health")
        health.trend(kb, models[0], q.metrics[0] if q.metrics else None, d)
        return d
    if models and q.has(*HEALTH_WORDS):
        d = Draft(kb, "health")
        health.model_health(kb, models[0], d)
        return d
    if (
        not explicit
        and q.has("summary", "overview", "registry", "everything", "stats", "statistics")
        and not _has_filters(q)
    ):
        d = Draft(kb, "find")
        find.overview(kb, d)
        return d
    follow = _follow_up(kb, q, recipes, models, explicit)
    if follow is not None:
        return follow
    if q.runs:
        d = Draft(kb, "explain")
        explain.explain_run(kb, q.runs[0], d)
        return d
    if explicit and q.models:
        d = Draft(kb, "explain")
        explain.explain_model(kb, q.models[0], d)
        return d
    if explicit and q.recipes:
        d = Draft(kb, "explain")
        explain.explain_recipe(kb, q.recipes[0], q, d)
        return d
    if _has_filters(q) or q.subjects:
        return _find(kb, q)
    if (q.has(*EXPLAIN_WORDS) or q.has(*PRONOUNS)) and (recipes or models):
        # "tell me more", "what does it build?": about the conversation's record
        d = Draft(kb, "explain")
        if models:
            explain.explain_model(kb, models[0], d)
        else:
            explain.explain_recipe(kb, recipes[0], q, d)
        return d
    return _decline(kb, q, "", [])


def _follow_up(
    kb: Knowledge, q: Question, recipes: list[str], models: list[str], explicit: bool
) -> Draft | None:
    """Questions about the records around one record: its models, runs, versions, children."""
    subject = next((s for s in q.subjects if s not in ("recipe",) or not recipes), None)
    if subject is None and (q.run_types or q.run_statuses) and (models or recipes):
        subject = "run"  # "has the challenger been evaluated?": its eval runs
    if subject is None:
        return None
    if q.recipes and subject == "model" and not q.models:
        models = []
    d = Draft(kb, "find")
    if subject == "model" and recipes and not models:
        find.find_models(kb, q, d, recipe_id=recipes[0])
    elif subject == "run" and (models or recipes):
        if models:
            find.find_runs(kb, q, d, model_id=models[0])
        else:
            find.find_runs(kb, q, d, recipe_id=recipes[0])
    elif (subject == "version" and recipes and not explicit) or (
        subject == "version" and q.recipes
    ):
        d.intent = "explain"
        explain.versions(kb, recipes[0], d, all_versions=q.has("versions", "history"))
        d.cite("recipe", recipes[0])
    elif subject == "child" and recipes:
        find.children(kb, recipes[0], d, descendants=q.has("descend", "descendant", "descendants"))
    elif subject in ("lineage", "parent") and recipes:
        d.intent = "explain"
        explain.lineage(kb, recipes[0], d)
        explain.overrides(kb, recipes[0], d)
    elif subject == "snapshot" and models:
        d.intent = "health"
        health.model_health(kb, models[0], d)
    elif subject == "recipe" and models and not explicit:
        d.intent = "explain"
        explain.explain_recipe(kb, kb.models[models[0]].recipe_id, q, d)
    else:
        return None
    return d


def _has_filters(q: Question) -> bool:
    return bool(
        q.families
        or q.model_statuses
        or q.recipe_statuses
        or q.levels
        or q.run_statuses
        or q.run_types
        or q.tags
        or q.owners
        or q.draft
    )


def _find(kb: Knowledge, q: Question) -> Draft:
    d = Draft(kb, "find")
    subject = next((s for s in q.subjects if s in ("recipe", "model", "run")), None)
    if subject is None:
        if q.run_statuses or q.run_types or q.since:
            subject = "run"
        elif q.model_statuses or q.owners:
            subject = "model"
        else:
            subject = "recipe"
    if find.most_related(kb, q, subject, d):
        return d
    person = relations.author_named(kb, q) if subject == "recipe" else None
    unapplied = manifest_facts.condition_words(
        q,
        {t.lower() for r in kb.recipes.values() for t in r.tags},
        frozenset([person] if person else []),
    )
    if unapplied:
        # a condition it cannot apply is said first: a list ignoring it would look like an answer
        cant = ", ".join(repr(w) for w in unapplied)
        related = relations.relations_in(q, subject)
        ordered = query.time_order(q.words) is not None or q.has(
            "longest", "shortest", "slowest", "quickest", "fastest"
        )
        bounded = bool(q.bounds) or ordered or bool(related) or q.range is not None or person
        if not _has_filters(q) and not q.since and not bounded:
            d.answered = False
            d.say(
                f"I read this as a question about {subject}s, but I can't filter by {cant}: "
                f"nothing I know about {subject}s matches it, so a list of every {subject} "
                "would not answer it."
            )
            d.step(
                {"run": commands.list_runs, "model": commands.list_models}.get(
                    subject, commands.list_recipes
                )()
            )
            return d
        d.say(f"I read this as a list of {subject}s; I can't filter by {cant}, so it is left out:")
    if subject == "run":
        find.find_runs(kb, q, d)
    elif subject == "model":
        find.find_models(kb, q, d)
    else:
        find.find_recipes(kb, q, d)
    return d


def _content_words(q: Question) -> list[str]:
    skip = STOPWORDS | KEYWORDS | {"recipe", "recipes", "model", "models"}
    return [w.lstrip("@") for w in q.words if w.lstrip("@") not in skip and len(w.lstrip("@")) > 2]


def _best_match(kb: Knowledge, q: Question) -> tuple[str, str] | None:
    query = _content_words(q)
    if not query:
        return None
    kind = "model" if q.has("model") else "recipe" if q.has("recipe") else None
    hits = Index(kb).rank(query, kind)
    if not hits:
        return None
    if len(hits) > 1 and hits[1][2] >= hits[0][2] * 0.95:
        return None  # a tie is not an answer: the question does not say which
    return hits[0][0], hits[0][1]


def _decline(kb: Knowledge, q: Question, reason: str, unknown: list[str]) -> Draft:
    d = Draft(kb, "decline", answered=False)
    for ident in unknown:
        kind = ident.split("_", 1)[0]
        pool = {"recipe": list(kb.recipes), "model": list(kb.models)}.get(kind, [])
        close = difflib.get_close_matches(ident, pool, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        d.say(f"There is no {kind} {ident} in this registry.{hint}")
    if reason and not unknown:
        d.say(reason)
    if not d.lines:
        d.say(
            "I can't answer that from this registry: I only know its recipes, versions, models, "
            "runs and monitoring snapshots."
        )
    d.say("I can:")
    for line in CAPABILITIES:
        d.item(line)
    return d
