"""Questions about what manifests hold: which recipes (or models) use an algorithm, a
feature, a data source or a threshold, and one record's features, sources, algorithm or
thresholds, each value with the recipe that set it.

Matching is against the resolved manifests' own keys and values, so "which recipes use
lightgbm?" finds every recipe whose resolved `model.algorithm` (or any other value) is
`lightgbm`, inherited or not. A word that matches nothing is said to match nothing, never
dropped."""

from __future__ import annotations

import re
from typing import Any

from modelyard.chat import commands
from modelyard.chat.draft import MAX_LISTED, Draft, plural
from modelyard.chat.explain import value_text
from modelyard.chat.health import model_manifest, threshold
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.query import (
    FIELD_CUES,
    MONTH_WORDS,
    NEWEST,
    OLDEST,
    OP_WORDS,
    RANGE_WORDS,
    lemma,
)
from modelyard.chat.relations import (
    HAVING,
    MOST,
    NEGATIONS,
    PARTS,
    ranked_relation,
    relations_in,
)
from modelyard.chat.understand import (
    KEYWORDS,
    NEGATORS,
    STOPWORDS,
    SUBJECTS,
    VALUE_WORDS,
    Question,
    negated,
)

# a word naming a part of the manifest -> the top-level sections it means
SECTION_WORDS = {
    "feature": ("features",),
    "features": ("features",),
    "column": ("features",),
    "columns": ("features",),
    "inputs": ("features",),
    "source": ("data_sources",),
    "sources": ("data_sources",),
    "dataset": ("data_sources",),
    "datasets": ("data_sources",),
    "table": ("data_sources",),
    "tables": ("data_sources",),
    "algorithm": ("model",),
    "algorithms": ("model",),
    "framework": ("model",),
    "hyperparameters": ("model",),
    "hyperparameter": ("model",),
    "target": ("target",),
    "label": ("target",),
    "predict": ("target",),
    "predicts": ("target",),
    "training": ("training",),
    "split": ("training",),
    "schedule": ("training",),
    "horizon": ("forecasting",),
    "quantiles": ("forecasting",),
    "actions": ("next_best_action",),
    "bounds": ("pricing",),
    "acceptance": ("evaluation",),
    "recommend": ("next_best_action",),
    "recommends": ("next_best_action",),
    "offers": ("next_best_action",),
    "metrics": ("evaluation",),
    "evaluate": ("evaluation",),
    "evaluates": ("evaluation",),
    "price": ("pricing",),
    "objective": ("pricing",),
    "optimise": ("pricing",),
    "optimize": ("pricing",),
}
THRESHOLD_WORDS = {"threshold", "thresholds", "limit", "limits", "bound"}
# words that are about the question, not a condition on a manifest
GENERIC = (
    STOPWORDS
    | KEYWORDS
    | set(SUBJECTS)
    | set(SECTION_WORDS)
    | THRESHOLD_WORDS
    | {
        "use",
        "uses",
        "used",
        "using",
        "data",
        "set",
        "sets",
        "value",
        "values",
        "contain",
        "contains",
        "include",
        "includes",
        "built",
        "based",
        "read",
        "reads",
        "rely",
        "relies",
        "depend",
        "depends",
        "model's",
        "recipe's",
        "its",
        "same",
        "name",
        "named",
        "mention",
        "mentions",
        "average",
        "mean",
        "avg",
        "minimum",
        "maximum",
        "highest",
        "lowest",
        "team",
        "teams",
        "take",
        "takes",
        "took",
        "but",
        "per",
        "each",
    }
)
FILTER_WORDS = VALUE_WORDS
_NUMBER = re.compile(r"v?\d+(?:\.\d+)+")
# verbs of a status move, read by the history answers
STATUS_MOVES = {"moved", "move", "promoted", "demoted", "staged", "went", "go", "put", "entered"}
_TOKEN = re.compile(r"[a-z0-9]+(?:[._:/-][a-z0-9]+)*")


def _leaves(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every leaf of a manifest by dotted path (a list is one leaf)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_leaves(value, path + "."))
        else:
            out[path] = value
    return out


def _terms(path: str, value: Any) -> set[str]:
    """The words a leaf can be asked by: its path's keys and its value's tokens."""
    out = {p.lower() for p in path.split(".")}
    if isinstance(value, list):
        for item in value:
            out |= _terms("", item)
    if isinstance(value, str):
        low = value.lower()
        out.add(low)
        out |= set(_TOKEN.findall(low))
        out |= set(re.findall(r"[a-z0-9]+", low))
    return out


def condition_words(
    q: Question, vocab_tags: set[str], people: frozenset[str] = frozenset()
) -> list[str]:
    """Words of the question that are neither about its form nor an ordinary filter (nor
    the words of a person it names, in `people`)."""
    out = []
    # as the question's words spell them: "Tomás" is read as "tom" and "s"
    named = {part for p in people for part in re.findall(r"[a-z0-9_]+", p.lower())}
    owned = {part for o in q.owners for part in re.findall(r"[a-z0-9]+", o.lower())}
    related = bool(
        relations_in(q, "recipe") or relations_in(q, "model") or relations_in(q, "run")
    ) or bool(ranked_relation(q, "recipe") or ranked_relation(q, "model"))
    for w in q.words:
        if w.startswith("@") or w in GENERIC or w in FILTER_WORDS or w in vocab_tags or w in owned:
            continue
        if len(w) < 3 or w.isdigit() or _NUMBER.fullmatch(w):
            continue  # a number or a version ("1.0.1") is read as one
        if w in FIELD_CUES or w in STATUS_MOVES:
            continue  # "the pricing family", "who moved it": read as the field, the move
        if w in MONTH_WORDS or (q.range is not None and w in RANGE_WORDS):
            continue  # read as a date or a time range
        if related and w in NEGATIONS | HAVING | set(MOST) | set(PARTS):
            continue  # read as a relation ("without children")
        if q.bounds and (w in OP_WORDS or w in {b.metric.lower() for b in q.bounds}):
            continue  # read as a bound on a metric ("MAPE above 0.2")
        if w in NEWEST | OLDEST or w in named or (q.negated and w in NEGATORS):
            continue  # read as an order, or as the person
        out.append(w)
    return out


CHATTER = {
    "going",
    "happening",
    "look",
    "looks",
    "like",
    "know",
    "want",
    "need",
    "see",
    "thanks",
    "thank",
    "more",
    "info",
    "information",
    "status",
    "current",
    "currently",
    "right",
    "also",
    "just",
    "really",
    "much",
    "per",
    "been",
    "being",
    "will",
    "wrong",
    "well",
    "good",
    "okay",
    "everything",
    "something",
    "anything",
    "here",
    "again",
    "else",
    "other",
    "each",
    "every",
    "level",
    "version",
    "parent",
    "child",
    "children",
    "pinned",
    "predict",
    "remove",
    "removes",
    "removed",
    "override",
    "overrides",
    "change",
    "changed",
    "come",
    "came",
    "across",
    "among",
    "report",
    "reports",
    "reported",
    "track",
    "tracks",
    "take",
    "takes",
    "took",
    "ever",
    "ago",
    "add",
    "adds",
    "top",
    "behind",
    "ahead",
}


def unknown_words(
    kb: Knowledge, q: Question, known: set[str], records: list[tuple[str, str]]
) -> list[str]:
    """Words of a question about records (kind, id) that neither their manifests nor the
    registry's names hold ("how much does it cost?"): the answer must say it can't tell
    them, not answer around them."""
    terms: set[str] = set(known)
    for kind, ident in records:
        if kind == "model" and ident in kb.models:
            manifest = model_manifest(kb, ident)
        elif kind == "recipe" and ident in kb.recipes:
            manifest = kb.resolved(ident)[0]
        else:
            continue
        for path, value in _leaves(manifest).items():
            terms |= _terms(path, value)
            # the parts of its keys: "window" asks about `window_days`
            terms |= {p for k in path.lower().split(".") for p in k.split("_") if len(p) > 2}
    lemmas = {lemma(t) for t in terms | CHATTER}
    return [
        w
        for w in condition_words(q, set())
        if w not in terms and w not in CHATTER and lemma(w) not in lemmas
    ]


def matches(manifest: dict[str, Any], word: str, sections: set[str]) -> list[tuple[str, Any]]:
    """The leaves of `manifest` (within `sections`, when given) that `word` names."""
    found = []
    for path, value in _leaves(manifest).items():
        if sections and path.split(".")[0] not in sections:
            continue
        spaced = re.escape(word.replace("_", " "))
        if word in _terms(path, value) or re.search(rf"\b{spaced}\b", str(value).lower()):
            found.append((path, value))
    return found


def filter_by_manifest(kb: Knowledge, q: Question, words: list[str], draft: Draft) -> bool:
    """Recipes (or models) whose resolved manifest holds every word; False when no word names
    anything in any manifest (the caller then says what it could not apply)."""
    sections = {s for w in q.words if w in SECTION_WORDS for s in SECTION_WORDS[w]}
    want_models = "model" in q.subjects and "recipe" not in q.subjects
    if want_models:
        pool = {m.id: model_manifest(kb, m.id) for m in kb.models.values()}
    else:
        pool = {r.id: kb.resolved(r.id)[0] for r in kb.recipes.values()}
    pool = {k: v for k, v in pool.items() if _passes_filters(kb, q, k, want_models)}
    hits: dict[str, list[tuple[str, Any]]] = {}
    unknown = [w for w in words if not any(matches(m, w, sections) for m in pool.values())]
    known = [w for w in words if w not in unknown]
    # "lightgbm but not competitor_price": a word after a negation must not be held
    ruled_out = {
        w
        for i, w in enumerate(q.words)
        if w in known and (negated(q.words, i) or (i and q.words[i - 1] == "without"))
    }
    wanted = [w for w in known if w not in ruled_out]
    if not known:
        return False
    for ident, manifest in pool.items():
        found = [matches(manifest, w, sections) for w in wanted]
        if all(found) and not any(matches(manifest, w, sections) for w in ruled_out):
            hits[ident] = [leaf for group in found for leaf in group]
    kind = "model" if want_models else "recipe"
    if unknown:
        draft.say(
            f"I read this as {kind}s whose manifest holds {', '.join(known)}; "
            f"no manifest holds {', '.join(repr(w) for w in unknown)}, so I can't filter by "
            f"{'it' if len(unknown) == 1 else 'them'}."
        )
    held = " and ".join(wanted) or "anything"
    if ruled_out:
        held += f" but not {' or '.join(sorted(ruled_out))}"
    draft.say(
        f"{plural(len(hits), kind)} {'has' if len(hits) == 1 else 'have'} "
        f"{held} in {'its' if len(hits) == 1 else 'their'} resolved manifest"
        + (f" ({', '.join(sorted(sections))})" if sections else "")
        + (f", of {plural(len(pool), kind)}" if pool else "")
        + "."
    )
    for ident, leaves in list(hits.items())[:MAX_LISTED]:
        where = "; ".join(f"{p} = {value_text(v)}" for p, v in leaves[:4])
        if want_models:
            m = kb.models[ident]
            draft.item(f"{ident} ({m.status}, from {m.recipe_version_id}): {where}")
            draft.cite("model", ident)
        else:
            setter = _setter(kb, ident, leaves[0][0])
            draft.item(f"{ident}: {where}" + (f" (set by {setter})" if setter != ident else ""))
            draft.cite("recipe", ident)
    draft.step(commands.list_models() if want_models else commands.list_recipes())
    return True


def _passes_filters(kb: Knowledge, q: Question, ident: str, is_model: bool) -> bool:
    if is_model:
        m = kb.models[ident]
        return (not q.families or m.model_family in q.families) and (
            not q.model_statuses or m.status in q.model_statuses
        )
    r = kb.recipes[ident]
    return (
        (not q.families or r.model_family in q.families)
        and (not q.levels or r.level in q.levels)
        and (not q.recipe_statuses or r.status in q.recipe_statuses)
    )


def _setter(kb: Knowledge, recipe_id: str, path: str) -> str:
    provenance = kb.resolved(recipe_id)[1]
    return provenance.get(path, recipe_id)


def record_sections(
    kb: Knowledge, q: Question, recipe_id: str | None, model_id: str | None, draft: Draft
) -> bool:
    """One record's features, sources, algorithm, target or thresholds, as its resolved
    manifest holds them (a model's: its recipe version's). False when nothing is asked."""
    sections = [s for w in q.words if w in SECTION_WORDS for s in SECTION_WORDS[w]]
    asks_thresholds = q.has(*THRESHOLD_WORDS) or (
        q.has("level", "levels") and q.has("alert", "warn", "drift")
    )
    if not sections and not asks_thresholds:
        return False
    if model_id is not None:
        m = kb.models[model_id]
        manifest = model_manifest(kb, model_id)
        recipe_id = m.recipe_id
        label = f"{model_id} (built from {m.recipe_version_id})"
        draft.cite("model", model_id)
        draft.focus["model_id"] = model_id
    else:
        assert recipe_id is not None
        manifest = kb.resolved(recipe_id)[0]
        label = f"{recipe_id} (version {kb.recipes[recipe_id].version})"
    provenance = kb.resolved(recipe_id)[1] if recipe_id in kb.recipes else {}
    if recipe_id in kb.recipes:
        draft.cite("recipe", recipe_id)
        draft.focus.setdefault("recipe_id", recipe_id)
    if asks_thresholds:
        _thresholds(q, manifest, label, provenance, recipe_id or "", draft)
    for section in dict.fromkeys(sections):
        data = manifest.get(section)
        if data is None:
            draft.say(f"{label} has no {section} in its manifest.")
            continue
        if section == "model":
            algo = data.get("algorithm")
            draft.say(
                f"{label} uses {algo or 'no named algorithm'}"
                + (f" ({data['framework']})" if data.get("framework") else "")
                + (f", set by {provenance.get('model.algorithm')}" if provenance else "")
                + "."
            )
            for k, v in sorted((data.get("hyperparameters") or {}).items()):
                draft.item(f"{k} = {value_text(v)}")
            continue
        if isinstance(data, dict):
            draft.say(f"{label}: {plural(len(data), section.replace('_', ' ').rstrip('s'))}.")
            for key, value in data.items():
                setter = _first_setter(provenance, f"{section}.{key}")
                draft.item(f"{key}: {value_text(value)}" + (f" (from {setter})" if setter else ""))
        else:
            draft.say(f"{label}: {section} = {value_text(data)}.")
    if recipe_id in kb.recipes:
        draft.step(commands.show_recipe(recipe_id))
    return True


def _first_setter(provenance: dict[str, str], prefix: str) -> str | None:
    setters = sorted(
        {v for k, v in provenance.items() if k == prefix or k.startswith(prefix + ".")}
    )
    return ", ".join(setters) if setters else None


def _thresholds(
    q: Question,
    manifest: dict[str, Any],
    label: str,
    provenance: dict[str, str],
    recipe_id: str,
    draft: Draft,
) -> None:
    """The thresholds the question means: drift, freshness, monitoring performance or
    acceptance; all of them when it does not say."""
    mon = manifest.get("monitoring") or {}
    groups = {
        "drift": ("monitoring.drift", mon.get("drift") or {}),
        "freshness": ("monitoring.freshness", mon.get("freshness") or {}),
        "performance": ("monitoring.performance", mon.get("performance") or {}),
        "acceptance": (
            "evaluation.acceptance",
            (manifest.get("evaluation") or {}).get("acceptance") or {},
        ),
    }
    wanted = []
    if q.has("drift", "drifting", "psi"):
        wanted.append("drift")
    if q.has("freshness", "stale", "fresh", "age"):
        wanted.append("freshness")
    if q.has("monitoring", "performance", "alert", "alerts") and not wanted:
        wanted += ["performance", "drift", "freshness"]
    if q.has("acceptance", "accept", "pass", "passes", "meet", "promotion"):
        wanted.append("acceptance")
    wanted = wanted or list(groups)
    for name in wanted:
        path, bounds = groups[name]
        if not bounds:
            draft.say(f"{label} sets no {name} thresholds ({path}).")
            continue
        parts = []
        for metric, bound in sorted(bounds.items()):
            if name == "drift":
                parts.append(
                    f"{metric} warn at {value_text(bound.get('warn'))}, "
                    f"alert at {value_text(bound.get('alert'))}"
                )
            elif name == "freshness":
                parts.append(f"{metric} {value_text(bound)}")
            else:
                parts.append(threshold(bound).describe(metric))
        setter = _first_setter(provenance, path)
        draft.say(
            f"{name.capitalize()} thresholds of {label} ({path}): "
            + "; ".join(parts)
            + (f" (set by {setter})" if setter and setter != recipe_id else "")
            + "."
        )
