"""Conditions on what a record is related to, read from a question about a kind of record:
"recipes with no children", "models without runs", "models with failed runs", "recipes
without a parent", and "changed in November" (a version or a status move in the range,
not the day the record was made).

`relations_in` reads them from the question's words; `keep` applies them to one record.
The finders apply every relation they are given and name it in their header, so a
condition is never dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelyard.chat.knowledge import Knowledge
from modelyard.chat.query import TimeRange, lemma
from modelyard.chat.understand import SUBJECTS, Question
from modelyard.domain.records import Model, RecipeOut, Run
from modelyard.domain.timefmt import parse_iso
from modelyard.ops import load
from modelyard.ops.model_history import status_history

NEGATIONS = {"no", "not", "without", "never", "none", "zero", "lacking", "missing", "empty"}
HAVING = {"with", "have", "has", "having"}
CHANGED = {"changed", "updated", "modified", "edited", "touched", "versioned"}
# a verb of moving a model -> the status it moves into (None: any)
MOVED = {
    "promoted": "production",
    "deployed": "production",
    "retired": "retired",
    "staged": "staging",
    "moved": None,
    "demoted": None,
}
# (kind asked about, related kind) -> how it reads
RELATED = {
    ("recipe", "child"): "children",
    ("recipe", "model"): "models",
    ("recipe", "run"): "runs",
    ("recipe", "parent"): "a parent",
    ("recipe", "version"): "versions",
    ("model", "run"): "runs",
    ("model", "snapshot"): "monitoring snapshots",
    ("run", "metrics"): "metrics",
    ("run", "artifacts"): "artifacts",
    ("run", "logs"): "logs",
}
# words for the parts of a run that a relation can be on (beyond the record kinds)
PARTS = {"metrics": "metrics", "metric": "metrics", "artifacts": "artifacts", "logs": "logs"}


@dataclass(frozen=True)
class Relation:
    related: str  # a SUBJECTS value: child, model, run, parent, snapshot
    wanted: bool  # with (True) or without (False)

    def describe(self, kind: str, q: Question) -> str:
        what = RELATED[(kind, self.related)]
        if self.related == "run" and (q.run_statuses or q.run_types):
            what = " ".join([*sorted(q.run_statuses), *sorted(q.run_types), "runs"])
        return f"{'with' if self.wanted else 'without'} {what}"


def relations_in(q: Question, kind: str) -> list[Relation]:
    """The relations a question about `kind` puts on it: a related kind's word after
    "with"/"have" or after "no"/"without" (within two words)."""
    out = []
    for i, w in enumerate(q.words):
        related = SUBJECTS.get(w) or PARTS.get(w.lstrip("@"))
        if related is None or related == kind or (kind, related) not in RELATED:
            continue
        # the nearest cue within four words decides: "not used by any model" is without
        for x in reversed(q.words[max(0, i - 4) : i]):
            word = x.lstrip("@")
            if word in NEGATIONS | HAVING:
                out.append(Relation(related, word in HAVING))
                break
    implied = (q.run_statuses or q.run_types) and kind in ("recipe", "model")
    if implied and all(r.related != "run" for r in out) and ranked_relation(q, kind) is None:
        out.append(Relation("run", True))  # "failed models": models with failed runs
    return out


MOST = {"most": True, "fewest": False, "least": False}


def ranked_relation(q: Question, kind: str) -> tuple[str, bool] | None:
    """ "Which model has the most runs?": the related kind to count and whether most first."""
    for i, w in enumerate(q.words):
        if w in MOST:
            for later in q.words[i + 1 : i + 4]:
                related = SUBJECTS.get(later)
                if related and related != kind and (kind, related) in RELATED:
                    return related, MOST[w]
    return None


def count(kb: Knowledge, q: Question, rec: RecipeOut | Model, related: str) -> int:
    """How many related records of that kind `rec` has (runs with the question's filters)."""
    if isinstance(rec, Model):
        if related == "snapshot":
            return len(kb.snapshots(rec.id))
        return sum(
            1 for r in kb.runs if r.model_id == rec.id and _run_fits(q, r.status, r.run_type)
        )
    if related == "child":
        return len(kb.children(rec.id))
    if related == "model":
        return len(kb.models_of(rec.id))
    if related == "parent":
        return int(rec.parent_id is not None)
    if related == "version":
        return len(kb.versions(rec.id))
    return sum(1 for r in kb.runs if r.recipe_id == rec.id and _run_fits(q, r.status, r.run_type))


def keep(kb: Knowledge, q: Question, rec: RecipeOut | Model, rel: Relation) -> bool:
    return (count(kb, q, rec, rel.related) > 0) == rel.wanted


def keep_run(kb: Knowledge, run: Run, rel: Relation) -> bool:
    """A run with (or without) metrics, artifacts or logs."""
    if rel.related == "metrics":
        has = bool(run.metrics_json)
    elif rel.related == "artifacts":
        has = bool(run.artifacts_json)
    else:
        has = bool((load.run_out(kb.reg, run).logs_text or "").strip())
    return has == rel.wanted


def _run_fits(q: Question, status: str, run_type: str) -> bool:
    return (not q.run_statuses or status in q.run_statuses) and (
        not q.run_types or run_type in q.run_types
    )


def author_named(kb: Knowledge, q: Question) -> str | None:
    """A person the question names, by full or first name, among the authors of the
    recipes' versions ("recipes by Priya Natarajan", "Mei's recipes")."""
    text = " " + " ".join(re.findall(r"[^\W\d_]+", q.text.lower())) + " "
    people = {v.created_by for rid in kb.recipes for v in kb.versions(rid)}
    hits = sorted(
        p
        for p in people
        if " " in p and (f" {p.lower()} " in text or f" {p.split()[0].lower()} " in text)
    )
    return hits[0] if len(hits) == 1 else None


def by_author(kb: Knowledge, recipe: RecipeOut, person: str) -> bool:
    """Whether `person` committed a version of the recipe."""
    return any(v.created_by == person for v in kb.versions(recipe.id))


def changed_in(q: Question) -> bool:
    """Whether a time range is on changes ("changed in November") rather than creation."""
    said = {lemma(w) for w in q.words}
    return q.range is not None and bool(said & {lemma(w) for w in CHANGED | set(MOVED)})


def moved_into(q: Question) -> set[str]:
    """The statuses the question's verbs move a model into ("promoted": production)."""
    by_lemma = {lemma(verb): status for verb, status in MOVED.items()}
    return {s for w in q.words if (s := by_lemma.get(lemma(w))) is not None}


def recipe_changed(kb: Knowledge, recipe: RecipeOut, span: TimeRange) -> bool:
    """A version of the recipe was committed in the range."""
    return any(span.holds(v.created_at) for v in kb.versions(recipe.id))


def model_moved(kb: Knowledge, model: Model, span: TimeRange, statuses: set[str]) -> bool:
    """The model's status changed (into one of `statuses`, when given) in the range; its
    registration is not a change."""
    changes = status_history(kb.reg, model.id).get(model.id, [])
    return any(
        span.holds(parse_iso(c.at)) and (not statuses or c.status in statuses)
        for c in changes
        if c.previous is not None
    )
