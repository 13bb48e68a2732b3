"""Understanding a question: the records, filters and time window it names, and what it asks.

Matching is against the registry's real ids, names, tags, owners and metric names, after
spelling correction against that vocabulary (difflib), with synonyms for families and
statuses ("prod", "NBA"). Everything is deterministic: same registry, same question,
same understanding.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from modelyard.chat.knowledge import Knowledge
from modelyard.chat.query import (
    DETERMINERS,
    FIELD_CUES,
    MetricCondition,
    TimeRange,
    cue_before,
    lemma,
    metric_conditions,
    refer,
)
from modelyard.chat.query import time_range as _time_range
from modelyard.chat.words import (
    DRAFT_WORDS,
    FAMILIES,
    KEYWORDS,
    LEVELS,
    MODEL_STATUSES,
    PHRASES,
    RECIPE_STATUSES,
    RUN_STATUSES,
    RUN_TYPES,
    STOPWORDS,
    SUBJECTS,
)
from modelyard.domain import records, requests
from modelyard.domain.enums import (
    ModelFamily,
    ModelStatus,
    RecipeLevel,
    RecipeStatus,
    RunStatus,
    RunType,
)

# Field names such as `model_id` look like ids but are not.
FIELD_NAMES = frozenset(
    name
    for module in (records, requests)
    for obj in vars(module).values()
    if isinstance(obj, type) and hasattr(obj, "model_fields")
    for name in obj.model_fields
) | {"model_family", "run_type", "recipe_version_id"}


def ids_mentioned(text: str) -> list[str]:
    """The id-like words of `text` (lowercased), field names left out."""
    return [i for i in ID_RE.findall(text.lower()) if i not in FIELD_NAMES]


ID_RE = re.compile(r"\b(?:recipe|model|run|snap|ver)_[a-z0-9_]*[a-z0-9](?:\.\d+\.\d+)?\b")
VERSION_RE = re.compile(r"(?<![\w.])v?(\d+\.\d+\.\d+)(?![\w.])")
WORD_RE = re.compile(r"[a-z0-9_]+(?:\.[0-9]+)*")


@dataclass
class Question:
    text: str
    words: list[str]
    recipes: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    families: set[str] = field(default_factory=set)
    model_statuses: set[str] = field(default_factory=set)
    recipe_statuses: set[str] = field(default_factory=set)
    levels: set[str] = field(default_factory=set)
    run_statuses: set[str] = field(default_factory=set)
    run_types: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    owners: set[str] = field(default_factory=set)
    metrics: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    since: datetime | None = None
    window: str | None = None
    # a range on when records came to be ("in November", "before 1 November")
    range: TimeRange | None = None
    # bounds on metrics ("MAPE above 0.2")
    bounds: list[MetricCondition] = field(default_factory=list)
    # values the question rules out ("not in production"), by filter
    negated: dict[str, set[str]] = field(default_factory=dict)
    draft: bool = False
    # records named by an earlier turn, for follow-ups such as "and its models?"
    context_recipes: list[str] = field(default_factory=list)
    context_models: list[str] = field(default_factory=list)

    def has(self, *words: str) -> bool:
        """Whether the question holds any of `words`, inflected or not ("monitored" is
        "monitoring", "meeting" is "meet"); words of a matched name never count."""
        if any(w in self.words for w in words):
            return True
        # a record kind's singular and plural stay apart: "models" asks about many
        said = {lemma(w) for w in self.words if not w.startswith("@") and w not in SUBJECTS}
        return any(lemma(w) in said for w in words if w not in SUBJECTS)

    @property
    def names_records(self) -> bool:
        return bool(self.recipes or self.models or self.runs)


def _normal(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"n't\b", " not", text)  # "aren't approved": a negation, read as one
    text = re.sub(r"\s+", " ", text)
    for phrase, token in PHRASES.items():
        text = re.sub(rf"(?<![\w]){re.escape(phrase)}(?![\w])", token, text)
    return text


def phrases_folded(text: str) -> str:
    """`text` lowercased with the phrases that are one token folded ("next best action")."""
    return _normal(text)


def _words_of(name: str) -> list[str]:
    return WORD_RE.findall(name.lower().replace("-", " "))


class Vocabulary:
    """The words worth correcting a typo towards, and the phrases that name records."""

    def __init__(self, kb: Knowledge, metrics: set[str]) -> None:
        self.phrases: list[tuple[tuple[str, ...], str, str]] = []  # (words, kind, id)
        words: set[str] = set(KEYWORDS) | set(FAMILIES) | set(MODEL_STATUSES) | set(RECIPE_STATUSES)
        words |= set(LEVELS) | set(RUN_STATUSES) | set(RUN_TYPES) | set(SUBJECTS) | DRAFT_WORDS
        words |= set(FIELD_CUES)  # "family" is a field, never a typo of "fail"
        for kind, group in (("recipe", kb.recipes.values()), ("model", kb.models.values())):
            for rec in group:
                stem = rec.id.split("_", 1)[1]
                for phrase in {rec.id, stem.replace("_", " "), " ".join(_words_of(rec.name))}:
                    ws = tuple(phrase.split())
                    if ws:
                        self.phrases.append((ws, kind, rec.id))
                words |= set(_words_of(rec.name)) | set(stem.split("_"))
        self.tags = {t.lower(): t for r in kb.recipes.values() for t in r.tags}
        self.owners = {m.owner.lower(): m.owner for m in kb.models.values()}
        for kind, names in (("owner", self.owners), ("tag", self.tags)):
            for low, original in names.items():
                ws = tuple(re.findall(r"[a-z0-9]+", low))
                if len(ws) > 1:
                    self.phrases.append((ws, kind, original))
        self.metrics = {m.lower(): m for m in metrics}
        words |= set(self.tags) | set(self.metrics)
        for owner in self.owners:
            words |= set(_words_of(owner))
        # what manifests hold (algorithms, features, sources) is never "corrected" away:
        # "random forest" is not "random forecast"
        self.names = {w for w in words if len(w) >= 3}  # without the manifests' words
        for rid in kb.recipes:
            words |= _manifest_words(kb.manifest_file(rid))
        self.words = sorted(w for w in words if len(w) >= 3)
        self._lemmas: dict[str, str] = {}
        for w in sorted(self.words, key=lambda w: (len(w), w), reverse=True):
            if len(w) >= 4:
                self._lemmas[lemma(w)] = w  # the shortest known form wins
        # longest phrases first, so "retail pricing prod" wins over "retail pricing"
        self.phrases.sort(key=lambda p: (-len(p[0]), p[2]))

    def correct(self, word: str) -> str:
        if len(word) < 4 or word in STOPWORDS or word.isdigit() or word in self.words:
            return word
        if lemma(word) in self._lemmas:
            # an inflection of a known word, not a typo: "warning" is "warn", not "learning"
            return self._lemmas[lemma(word)]
        match = difflib.get_close_matches(word, self.words, n=1, cutoff=0.8)
        return match[0] if match else word


def _manifest_words(data: object) -> set[str]:
    out: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            out |= set(re.findall(r"[a-z0-9]+", str(key).lower())) | _manifest_words(value)
            out.add(str(key).lower())  # "n_estimators" is a word, not a typo of "estimators"
    elif isinstance(data, list):
        for value in data:
            out |= _manifest_words(value)
    elif isinstance(data, str):
        out |= set(re.findall(r"[a-z0-9]+", data.lower()))
    return out


def understand(kb: Knowledge, text: str, vocab: Vocabulary, now: datetime) -> Question:
    norm = _normal(text)
    q = Question(text=text, words=[])
    for ident in ids_mentioned(norm):
        target = q.recipes if ident in kb.recipes else q.models if ident in kb.models else None
        if target is not None:
            if ident not in target:
                target.append(ident)
        elif ident.startswith("run_") and kb.has_run(ident):
            q.runs.append(ident)
        elif not ident.startswith(("ver_", "snap_")) and ident not in q.unknown_ids:
            q.unknown_ids.append(ident)
    for num in VERSION_RE.findall(norm):
        if num not in q.versions:
            q.versions.append(num)
    without_ids = ID_RE.sub(" ", norm)
    raw = WORD_RE.findall(without_ids.replace("-", " "))
    q.words = [vocab.correct(w) for w in raw]
    _match_phrases(q, vocab)
    _refer(kb, q)
    for i, w in enumerate(q.words):
        prev = q.words[i - 1] if i else ""
        cue = cue_before(q.words, i)
        if cue == "tags" and w in vocab.tags:
            q.tags.add(vocab.tags[w])  # "tagged baseline" is the tag, not the level
            continue
        if cue == "owner" and w in vocab.owners:
            q.owners.add(vocab.owners[w])
            continue
        w = _inflected(w)
        if _negated(q.words, i) and _negate(q, w):
            continue
        if w in FAMILIES:
            q.families.add(FAMILIES[w])
        if w in MODEL_STATUSES:
            q.model_statuses.add(MODEL_STATUSES[w])
        if w in RECIPE_STATUSES:
            q.recipe_statuses.add(RECIPE_STATUSES[w])
        if w in DRAFT_WORDS:
            q.draft = True
        if w in LEVELS:
            q.levels.add(LEVELS[w])
        if w in RUN_STATUSES:
            q.run_statuses.add(RUN_STATUSES[w])
        if w in RUN_TYPES:
            q.run_types.add(RUN_TYPES[w])
        if w in SUBJECTS and SUBJECTS[w] not in q.subjects:
            q.subjects.append(SUBJECTS[w])
        if w in vocab.tags and (
            prev in {"tagged", "tag", "tags", "label", "labelled"} or w not in _FILTER_WORDS
        ):
            q.tags.add(vocab.tags[w])
        if w in vocab.metrics and vocab.metrics[w] not in q.metrics:
            q.metrics.append(vocab.metrics[w])
        if w in vocab.owners:
            q.owners.add(vocab.owners[w])
    _complements(q)
    _metric_phrases(q, vocab)
    q.since, q.window = _window(" ".join(q.words), now)
    if q.since is None:
        q.range = _time_range(norm, now)
    q.bounds = metric_conditions(norm, vocab.metrics)
    return q


NEGATORS = {"not", "non", "except", "excluding", "besides", "neither", "nor"}
_FILLER = {"in", "at", "the", "a", "an", "yet", "be", "been", "being", "is", "are", "of"}
# every value a field can take, for "not in production": the other statuses
_ALL = {
    "families": {f.value for f in ModelFamily},
    "model_statuses": {s.value for s in ModelStatus},
    "recipe_statuses": {s.value for s in RecipeStatus},
    "levels": {lv.value for lv in RecipeLevel},
    "run_statuses": {s.value for s in RunStatus},
    "run_types": {t.value for t in RunType},
}


def negated(words: list[str], i: int) -> bool:
    """Whether the word at `i` is ruled out by a negation before it (see `_negated`)."""
    return _negated(words, i)


def _negated(words: list[str], i: int) -> bool:
    """Whether a negation comes just before position `i` ("not in production"), or before a
    list of values it belongs to ("not retired or in production")."""
    for j in range(i - 1, max(-1, i - 7), -1):
        if words[j] in NEGATORS:
            return True
        if words[j] not in _FILLER and words[j] not in {"or", "nor"} | VALUE_WORDS:
            return False
    return False


def _negate(q: Question, w: str) -> bool:
    """Record a negated value ("not approved") to be turned into the other values; False
    when `w` is no value of a field."""
    tables = (
        ("families", FAMILIES),
        ("model_statuses", MODEL_STATUSES),
        ("recipe_statuses", RECIPE_STATUSES),
        ("levels", LEVELS),
        ("run_statuses", RUN_STATUSES),
        ("run_types", RUN_TYPES),
    )
    hit = False
    for name, table in tables:
        if w in table:
            q.negated.setdefault(name, set()).add(table[w])
            hit = True
    if w in DRAFT_WORDS:
        kinds = [k for k in ("model", "recipe") if k in q.subjects] or ["model", "recipe"]
        for k in kinds:
            q.negated.setdefault(f"{k}_statuses", set()).add("draft")
        hit = True
    return hit


def _complements(q: Question) -> None:
    """ "Models not in production": the other values of the field, so the filter is applied
    and the answer names the values it kept."""
    for name, values in q.negated.items():
        getattr(q, name).update(_ALL[name] - values - getattr(q, name))


_NOT_NAMES = (
    STOPWORDS
    | KEYWORDS
    | set(FAMILIES)
    | set(MODEL_STATUSES)
    | set(RECIPE_STATUSES)
    | set(LEVELS)
    | set(RUN_STATUSES)
    | set(RUN_TYPES)
    | set(SUBJECTS)
    | set(FIELD_CUES)
    | DRAFT_WORDS
) - DETERMINERS


def _refer(kb: Knowledge, q: Question) -> None:
    """ "The northwind model": a name in words before the kind word is the one record of
    that kind it fits (several are left for the caller to ask back)."""
    if q.recipes or q.models:
        return
    kind, fits, first, last = refer(kb, q.words, _NOT_NAMES)
    if len(fits) != 1:
        return
    (q.models if kind == "model" else q.recipes).append(fits[0])
    q.words = [f"@{w}" if first <= i < last else w for i, w in enumerate(q.words)]


def _inflected(word: str) -> str:
    """A value word's vocabulary form when only its inflection differs ("evaluated" is
    "evaluate", "backtested" is "backtest"); any other word as it is."""
    if word in VALUE_WORDS or word in SUBJECTS or word in KEYWORDS or word in STOPWORDS:
        return word
    if word.startswith("@"):
        return word
    return _VALUE_LEMMAS.get(lemma(word), word)


_FILTER_WORDS = (
    set(FAMILIES) | set(MODEL_STATUSES) | set(RECIPE_STATUSES) | set(LEVELS) | DRAFT_WORDS
)


# every word that names a value of a field a question can filter on
VALUE_WORDS = (
    set(FAMILIES)
    | set(MODEL_STATUSES)
    | set(RECIPE_STATUSES)
    | set(LEVELS)
    | set(RUN_STATUSES)
    | set(RUN_TYPES)
    | DRAFT_WORDS
)
_VALUE_LEMMAS = {lemma(w): w for w in sorted(VALUE_WORDS, key=len, reverse=True)}


def _match_phrases(q: Question, vocab: Vocabulary) -> None:
    """Record names and ids written as words; the longest match takes the words it covers."""
    taken = [False] * len(q.words)
    for phrase, kind, ident in vocab.phrases:
        n = len(phrase)
        for i in range(len(q.words) - n + 1):
            if tuple(q.words[i : i + n]) == phrase and not any(taken[i : i + n]):
                if n == 1 and phrase[0] in _FILTER_WORDS | set(SUBJECTS) | set(RUN_TYPES):
                    continue  # a one-word name that is also a filter word is read as the filter
                if kind == "owner":
                    q.owners.add(ident)
                elif kind == "tag":
                    q.tags.add(ident)
                else:
                    target = q.recipes if kind == "recipe" else q.models
                    if ident not in target:
                        target.append(ident)
                for j in range(i, i + n):
                    taken[j] = True
    # the words of a matched name are not filters ("Retail Pricing Prod" is not "prod")
    q.words = [w if not t else f"@{w}" for w, t in zip(q.words, taken, strict=True)]


def _metric_phrases(q: Question, vocab: Vocabulary) -> None:
    text = " ".join(q.words)
    for low, metric in vocab.metrics.items():
        spaced = low.replace("_", " ")
        if spaced != low and spaced in text and metric not in q.metrics:
            q.metrics.append(metric)


def _window(text: str, now: datetime) -> tuple[datetime | None, str | None]:
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    m = re.search(
        r"\b(?:last|past|previous)\s+(\d{1,3})\s+(day|days|week|weeks|hour|hours)\b", text
    )
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = (
            timedelta(hours=n)
            if unit.startswith("hour")
            else timedelta(days=n * (7 if unit.startswith("week") else 1))
        )
        return now - delta, f"in the last {n} {unit}"
    if re.search(r"\btoday\b", text):
        return start_of_day, "today"
    if re.search(r"\byesterday\b", text):
        return start_of_day - timedelta(days=1), "since yesterday"
    if re.search(r"\b(?:this|past|last)\s+week\b|\brecent(?:ly)?\b", text):
        return now - timedelta(days=7), "in the last 7 days"
    if re.search(r"\b(?:this|past|last)\s+month\b", text):
        return now - timedelta(days=30), "in the last 30 days"
    return None, None


def fitting_recipes(kb: Knowledge, q: Question, tags: set[str]) -> list[str]:
    """The recipes of the question's families, levels and `tags` (lower case), each where
    given."""
    return [
        r.id
        for r in kb.recipes.values()
        if (not q.families or r.model_family in q.families)
        and (not q.levels or r.level in q.levels)
        and (not tags or tags & {t.lower() for t in r.tags})
    ]
