"""A question read as a typed query over the record kinds (`domain/kinds.py`): which kind it
is about, which field each value word is a condition on, the time range on the kind's time
field, and which records a name written in words refers to.

The vocabularies come from the registry and the kinds table, never from a list of
questions: a value is a condition on a field because some record of that kind holds it
there (`level: baseline`, `tags: [baseline]`), and a cue word before it ("tagged",
"owned by", "level") says which field when several hold it. What is read is said back
(`Query.describe`), so an answer can start with "I read this as ...".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from modelyard.chat.knowledge import Knowledge
from modelyard.domain.kinds import KINDS
from modelyard.domain.records import Model, RecipeOut

# the field of each kind that says when a record came to be
TIME_FIELDS = {"recipe": "created_at", "model": "created_at", "run": "created_at"}
# the fields a value word can be a condition on, beyond the kinds' listing filters
EXTRA_FIELDS = {"recipe": ("tags",), "model": ("owner",), "run": ()}
# words that name a field: the value after them is a condition on that field only
FIELD_CUES = {
    "tagged": "tags",
    "tag": "tags",
    "tags": "tags",
    "label": "tags",
    "labelled": "tags",
    "labeled": "tags",
    "level": "level",
    "status": "status",
    "owner": "owner",
    "owned": "owner",
    "owns": "owner",
    "own": "owner",
    "family": "model_family",
    "type": "run_type",
}
DETERMINERS = {"the", "this", "that", "our", "your", "their", "my"}

MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
MONTH_WORDS = frozenset(MONTHS)
RANGE_WORDS = frozenset(
    {"before", "after", "since", "until", "till", "between", "during", "older", "earlier", "newer"}
    | {"later", "than"}
)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_DAY = rf"(?:(\d{{1,2}}){_ORD}\s+(?:of\s+)?({_MONTH})|({_MONTH})\.?\s+(\d{{1,2}}){_ORD})"
_YEAR = r"(?:,?\s+(\d{4}))?"
_RANGE_DAY = re.compile(
    rf"\b(before|after|since|until|till|from|older than|earlier than|newer than|later than)"
    rf"\s+{_DAY}\b{_YEAR}"
)
_AS_RANGE = {"older than": "before", "earlier than": "before", "newer than": "after"}
_AS_RANGE["later than"] = "after"
_BETWEEN = re.compile(rf"\bbetween\s+{_DAY}{_YEAR}\s+and\s+{_DAY}{_YEAR}")
_BETWEEN_DAYS = re.compile(rf"\bbetween\s+(\d{{1,2}})\s+and\s+(\d{{1,2}})\s+({_MONTH})\b{_YEAR}")
_IN_MONTH = re.compile(
    rf"\b(?:in|during|for|of|from)\s+({_MONTH})\b(?!\s+\d{{1,2}}\b)(?:\s+(\d{{4}}))?"
)
SINGULAR = {"recipe": "recipe", "model": "model"}


def lemma(word: str) -> str:
    """A word without its inflection, enough to match "monitored" to "monitoring" and
    "meeting" to "meet" (not a stemmer for prose; both sides are lemmatised alike)."""
    w = word.lower().lstrip("@")
    if len(w) <= 3:
        return w
    for suffix in ("ing", "ed", "es", "s"):
        if not w.endswith(suffix) or len(w) - len(suffix) < 3:
            continue
        if suffix == "s" and w.endswith(("ss", "us", "is")):
            break
        if suffix == "es" and not w.endswith(("sses", "shes", "ches", "xes")):
            continue
        stem = w[: -len(suffix)]
        if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "ls":
            stem = stem[:-1]  # running -> run, stopped -> stop
        return stem[:-1] if stem.endswith("e") and len(stem) > 3 else stem
    return w[:-1] if w.endswith("e") and len(w) > 3 else w


@dataclass(frozen=True)
class TimeRange:
    start: datetime | None  # inclusive
    end: datetime | None  # exclusive
    label: str

    def holds(self, moment: datetime) -> bool:
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end
        )


def _day(groups: tuple[str | None, ...], year: int) -> datetime | None:
    day_a, month_a, month_b, day_b = groups
    day = int(day_a or day_b or 0)
    month = MONTHS[(month_a or month_b or "").lower()]
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def time_range(text: str, now: datetime) -> TimeRange | None:
    """A range a question puts on when records came to be: "in November", "before 1
    November", "since Oct 20", "between 1 and 15 November". A month or day without a year is
    the latest one not after `now`. Days are whole UTC days."""
    low = text.lower()
    if m := _BETWEEN.search(low):
        year_b = int(m.group(10)) if m.group(10) else now.year
        year_a = int(m.group(5)) if m.group(5) else year_b
        first, last = _day(m.groups()[0:4], year_a), _day(m.groups()[5:9], year_b)
        if first and last and first <= last:
            end = last + timedelta(days=1)
            return TimeRange(first, end, f"between {first:%-d %B %Y} and {last:%-d %B %Y}")
    if m := _BETWEEN_DAYS.search(low):
        year = int(m.group(4)) if m.group(4) else now.year
        first = _day((m.group(1), m.group(3), None, None), year)
        last = _day((m.group(2), m.group(3), None, None), year)
        if first and last and first <= last:
            end = last + timedelta(days=1)
            return TimeRange(first, end, f"between {first:%-d %B %Y} and {last:%-d %B %Y}")
    if m := _RANGE_DAY.search(low):
        word = _AS_RANGE.get(m.group(1), m.group(1))
        year = int(m.group(6)) if m.group(6) else now.year
        day = _day(m.groups()[1:5], year)
        if day is not None:
            if not m.group(6) and day > now:
                day = day.replace(year=year - 1)
            if word == "before":
                return TimeRange(None, day, f"before {day:%-d %B %Y}")
            if word in ("until", "till"):
                return TimeRange(None, day + timedelta(days=1), f"until {day:%-d %B %Y}")
            if word == "after":
                after = day + timedelta(days=1)
                return TimeRange(after, None, f"after {day:%-d %B %Y}")
            return TimeRange(day, None, f"since {day:%-d %B %Y}")
    if m := _IN_MONTH.search(low):
        month = MONTHS[m.group(1)]
        year = int(m.group(2)) if m.group(2) else now.year
        if not m.group(2) and datetime(year, month, 1, tzinfo=UTC) > now:
            year -= 1
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return TimeRange(start, end, f"in {start:%B %Y}")
    return None


@dataclass
class Values:
    """kind -> field -> lowercased value -> the value as records hold it."""

    by_kind: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def fields_of(self, kind: str, word: str) -> list[str]:
        return [f for f, vals in self.by_kind.get(kind, {}).items() if word in vals]


def values(kb: Knowledge) -> Values:
    """Every value the registry's records hold in the fields a condition can be on."""
    out = Values()
    pools = {"recipe": kb.recipes.values(), "model": kb.models.values()}
    for kind, records in pools.items():
        fields = (*KINDS[kind].filters, *EXTRA_FIELDS[kind])
        table: dict[str, dict[str, str]] = {f: {} for f in fields if not f.endswith("_id")}
        for rec in records:
            for name in table:
                raw = getattr(rec, name, None)
                for v in raw if isinstance(raw, list) else [raw]:
                    if isinstance(v, str) and v:
                        table[name][v.lower()] = v
        out.by_kind[kind] = table
    return out


def cue_before(words: list[str], i: int) -> str | None:
    """The field a cue word just before position `i` names ("tagged baseline", "owned by
    pricing-science", "at level industry")."""
    for j in (i - 1, i - 2):
        if j < 0:
            break
        w = words[j].lstrip("@")
        if w in FIELD_CUES:
            return FIELD_CUES[w]
        if w not in ("by", "as", "at", "with", "a", "an", "the"):
            break
    return None


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def refer(kb: Knowledge, words: list[str], skip: set[str]) -> tuple[str, list[str], int, int]:
    """Records a name in words refers to: "the northwind model" is the one model whose id or
    name holds "northwind". Returns (kind, candidates, first, last) over `words`; no kind
    when no such phrase. Words in `skip` (filters, keywords) are not part of a name."""
    for i, w in enumerate(words):
        kind = SINGULAR.get(w)
        if kind is None:
            continue
        j = i - 1
        name: list[str] = []
        while j >= 0 and not words[j].startswith("@") and words[j] not in DETERMINERS:
            word = words[j].removesuffix("'s")
            if word in skip or len(word) < 3:
                break
            name.insert(0, word)
            j -= 1
        if not name or j < 0 or words[j] not in DETERMINERS:
            continue
        pool: list[Model | RecipeOut] = [
            *(kb.models.values() if kind == "model" else kb.recipes.values())
        ]
        # its id or name first ("the grocery recipe" is Grocery Pricing), then its tags
        fits = [r.id for r in pool if all(n in _tokens(f"{r.id} {r.name}") for n in name)]
        fits = fits or [
            r.id
            for r in pool
            if all(n in _tokens(f"{r.id} {r.name}") | _record_words(kb, r.id, kind) for n in name)
        ]
        if fits:
            return kind, sorted(fits), j + 1, i
    return _unkinded(kb, words, skip)


def _unkinded(kb: Knowledge, words: list[str], skip: set[str]) -> tuple[str, list[str], int, int]:
    """ "The challenger": words after a determiner that only one record's id or name holds,
    of any kind (the words of several records name none of them)."""
    for i, w in enumerate(words):
        if w not in DETERMINERS:
            continue
        name: list[str] = []
        for word in words[i + 1 : i + 4]:
            if word.startswith("@") or word in skip or len(word) < 3:
                break
            name.append(word)
        # the longest run of words that fits any record decides: one record, or none
        for n in range(len(name), 0, -1):
            fits = [
                (kind, r.id)
                for kind, pool in (("model", kb.models.values()), ("recipe", kb.recipes.values()))
                for r in pool
                if all(part in _tokens(f"{r.id} {r.name}") for part in name[:n])
            ]
            if len(fits) == 1:
                return fits[0][0], [fits[0][1]], i + 1, i + 1 + n
            if fits:
                break
    return "", [], 0, 0


def _record_words(kb: Knowledge, ident: str, kind: str) -> set[str]:
    if kind == "model":
        recipe = kb.recipes.get(kb.models[ident].recipe_id)
        return _tokens(" ".join(recipe.tags)) if recipe else set()
    return _tokens(" ".join(kb.recipes[ident].tags))


@dataclass(frozen=True)
class MetricCondition:
    """ "MAPE above 0.2": a bound on a metric a record reports."""

    metric: str
    op: str  # ">", ">=", "<", "<="
    value: float

    def holds(self, measured: object) -> bool:
        if not isinstance(measured, int | float) or isinstance(measured, bool):
            return False
        return {
            ">": measured > self.value,
            ">=": measured >= self.value,
            "<": measured < self.value,
            "<=": measured <= self.value,
        }[self.op]

    def describe(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


_OPS = {
    "above": ">",
    "over": ">",
    "greater than": ">",
    "more than": ">",
    "higher than": ">",
    "exceeds": ">",
    "exceeding": ">",
    ">": ">",
    ">=": ">=",
    "at least": ">=",
    "below": "<",
    "under": "<",
    "less than": "<",
    "lower than": "<",
    "<": "<",
    "<=": "<=",
    "at most": "<=",
}
_OP_RE = "|".join(re.escape(o) for o in sorted(_OPS, key=len, reverse=True))
OP_WORDS = frozenset(w for o in _OPS for w in o.split() if w.isalpha())


def metric_conditions(text: str, metrics: dict[str, str]) -> list[MetricCondition]:
    """Bounds on metrics the registry records ("MAPE above 0.2", "revenue_lift >= 0.04"):
    `metrics` maps a lowercased metric name to the name as records hold it."""
    out = []
    low = text.lower()
    for name, metric in metrics.items():
        for spelled in {name, name.replace("_", " ")}:
            pattern = rf"\b{re.escape(spelled)}\s+(?:is\s+|of\s+)?({_OP_RE})\s*(-?\d+(?:\.\d+)?)"
            for m in re.finditer(pattern, low):
                cond = MetricCondition(metric, _OPS[m.group(1)], float(m.group(2)))
                if cond not in out:
                    out.append(cond)
    return out


NEWEST = {"newest", "latest", "recent", "recently", "last", "youngest"}
OLDEST = {"oldest", "earliest", "first"}


def time_order(words: list[str]) -> str | None:
    """ "The newest recipe", "the first model registered": "newest" or "oldest" first."""
    plain = {w.lstrip("@") for w in words}
    if plain & NEWEST:
        return "newest"
    if plain & OLDEST:
        return "oldest"
    return None
