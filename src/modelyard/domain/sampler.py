"""Rows that satisfy a Table Schema, the same rows for the same seed.

A small constrained sampler of our own rather than a library: hypothesis searches for edge
cases (empty strings, huge numbers) where a sample should look like real data, and its
output for a seed is not a stable contract; Faker makes plausible names but knows nothing of
`minimum`, `enum`, `pattern` or `unique`. Here each value is drawn inside the field's
constraints, patterns are sampled from the regular expression's parsed form, and `unique`
and `primaryKey` are kept by redrawing. Only `random.Random.random()` is used, whose
sequence for a seed Python keeps stable, so a seed gives the same rows everywhere.
"""

from __future__ import annotations

import math
import random
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

try:  # the regular expression parser; public as sre_parse before Python 3.11
    import re._parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_parse

TRIES = 200
_WORDS = ["north", "river", "oak", "central", "harbour", "market", "park", "hill", "bridge", "mill"]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_WORD = _LETTERS + _LETTERS.upper() + _DIGITS + "_"
_SPACE = " "


class SampleError(ValueError):
    """A schema the sampler cannot satisfy: an unsupported type, empty bounds, a pattern it
    cannot meet within the length limits, too few distinct values for `unique`."""


def generate_rows(schema: dict[str, Any], count: int, seed: int) -> list[dict[str, Any]]:
    """`count` rows for the Table Schema's `fields`, deterministic for `seed`."""
    rng = _Rng(seed)
    fields = [f for f in schema.get("fields") or [] if isinstance(f, dict)]
    primary = schema.get("primaryKey") or []
    primary = [primary] if isinstance(primary, str) else list(primary)
    seen: dict[str, set[Any]] = {
        f["name"]: set() for f in fields if (f.get("constraints") or {}).get("unique")
    }
    keys: set[tuple[Any, ...]] = set()
    rows: list[dict[str, Any]] = []
    for i in range(count):
        for _ in range(TRIES):
            row = {f["name"]: _value(rng, f, i) for f in fields}
            if any(row[n] in seen[n] for n in seen):
                continue
            key = tuple(row.get(n) for n in primary)
            if primary and key in keys:
                continue
            break
        else:
            raise SampleError(
                f"could not make row {i} distinct from the others in {TRIES} tries "
                "(unique or primaryKey fields with too few possible values)"
            )
        for n in seen:
            seen[n].add(row[n])
        if primary:
            keys.add(key)
        rows.append(row)
    return rows


class _Rng:
    """Draws built on `random()` alone (its sequence for a seed is what Python keeps stable)."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def unit(self) -> float:
        return self._r.random()

    def below(self, n: int) -> int:
        return min(int(self.unit() * n), n - 1)

    def pick(self, items: list[Any] | str) -> Any:
        return items[self.below(len(items))]


def _value(rng: _Rng, field: dict[str, Any], index: int) -> Any:
    kind = field.get("type", "string")
    c = field.get("constraints") or {}
    name = field.get("name", "")
    if "enum" in c:
        if not c["enum"]:
            raise SampleError(f"field {name!r}: enum is empty")
        return rng.pick(list(c["enum"]))
    if kind == "integer":
        low, high = int(_bound(c, "minimum", 0)), int(_bound(c, "maximum", 1000))
        _ordered(name, low, high)
        return low + rng.below(high - low + 1)
    if kind == "number":
        lo, hi = float(_bound(c, "minimum", 0.0)), float(_bound(c, "maximum", 100.0))
        _ordered(name, lo, hi)
        return _round(lo + rng.unit() * (hi - lo), lo, hi)
    if kind == "boolean":
        return rng.unit() < 0.5
    if kind in ("date", "datetime"):
        return _moment(rng, kind, c, name)
    if kind == "year":
        first, last = int(_bound(c, "minimum", 2000)), int(_bound(c, "maximum", 2026))
        _ordered(name, first, last)
        return first + rng.below(last - first + 1)
    if kind == "string":
        return _text(rng, name, c, index)
    raise SampleError(
        f"field {name!r}: cannot generate values of type {kind!r} "
        "(supported: string, number, integer, boolean, date, datetime, year)"
    )


def _bound(c: dict[str, Any], key: str, default: Any) -> Any:
    value = c.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    return float(value) if isinstance(value, str) and _is_number(value) else value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _ordered(name: str, low: Any, high: Any) -> None:
    if low > high:
        raise SampleError(f"field {name!r}: minimum {low} is above maximum {high}")


def _round(value: float, low: float, high: float) -> float:
    """Two decimals for small ranges, whole numbers for large ones, kept inside the bounds."""
    digits = 2 if high - low < 10_000 else 0
    out = round(value, digits)
    if out < low:
        out = math.ceil(low * 10**digits) / 10**digits
    if out > high:
        out = math.floor(high * 10**digits) / 10**digits
    return float(out)


def _moment(rng: _Rng, kind: str, c: dict[str, Any], name: str) -> str:
    low = _parse_moment(c.get("minimum"), kind) or datetime(2025, 1, 1, tzinfo=UTC)
    high = _parse_moment(c.get("maximum"), kind) or datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    _ordered(name, low, high)
    if kind == "date":
        days = (high.date() - low.date()).days
        return (low.date() + timedelta(days=rng.below(days + 1))).isoformat()
    seconds = int((high - low).total_seconds())
    moment = low + timedelta(seconds=rng.below(seconds + 1))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_moment(value: Any, kind: str) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        if kind == "date":
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(rng: _Rng, name: str, c: dict[str, Any], index: int) -> str:
    low = int(c.get("minLength", 1) or 0)
    high = int(c.get("maxLength", max(low, 24)))
    _ordered(name, low, high)
    pattern = c.get("pattern")
    for _ in range(TRIES):
        if isinstance(pattern, str):
            out = _from_pattern(rng, pattern)
            if not re.fullmatch(pattern, out):  # a construct the sampler reads loosely
                continue
        else:
            out = _plain(rng, name, index)
            if len(out) < low:
                out = out + "".join(rng.pick(_LETTERS) for _ in range(low - len(out)))
            out = out[:high]
        if low <= len(out) <= high:
            return out
    raise SampleError(
        f"field {name!r}: no value of {low} to {high} characters matching {pattern!r} "
        f"was found in {TRIES} tries"
    )


def _plain(rng: _Rng, name: str, index: int) -> str:
    lowered = name.lower()
    if lowered.endswith("_id") or lowered in ("id", "sku", "code"):
        return f"{name[:3].upper()}-{1000 + rng.below(9000)}"
    if "postcode" in lowered or "zip" in lowered:
        return f"{rng.pick('ABDEGHLMNS')}{rng.below(20) + 1} {rng.below(9) + 1}{rng.pick('ABDEH')}"
    return f"{rng.pick(_WORDS)} {rng.pick(_WORDS)}"


# ---- sampling from a regular expression ---------------------------------------------------

_MAX_OPEN = 6  # how far past its minimum an open repeat (`*`, `+`, `{2,}`) may go


def _from_pattern(rng: _Rng, pattern: str) -> str:
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        raise SampleError(f"pattern {pattern!r} is not a regular expression: {exc}") from None
    return _emit(rng, list(parsed))


def _emit(rng: _Rng, items: list[Any]) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(rng.pick([ch for ch in _WORD if ord(ch) != arg]))
        elif name == "ANY":
            out.append(rng.pick(_LETTERS))
        elif name == "IN":
            out.append(_from_set(rng, arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            top = low + _MAX_OPEN if high == sre_parse.MAXREPEAT else high
            times = low + rng.below(top - low + 1)
            out.extend(_emit(rng, list(sub)) for _ in range(times))
        elif name == "SUBPATTERN":
            out.append(_emit(rng, list(arg[-1])))
        elif name == "ATOMIC_GROUP":
            out.append(_emit(rng, list(arg)))
        elif name == "BRANCH":
            out.append(_emit(rng, list(rng.pick(arg[1]))))
        elif name == "CATEGORY":
            out.append(_from_category(rng, str(arg)))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # anchors and lookarounds: checked by the full match afterwards
        else:
            raise SampleError(f"the pattern uses {name.lower()}, which the sampler cannot produce")
    return "".join(out)


def _from_set(rng: _Rng, items: list[Any]) -> str:
    if items and str(items[0][0]) == "NEGATE":
        banned = {chr(a) for op, a in items[1:] if str(op) == "LITERAL"}
        return rng.pick([ch for ch in _WORD if ch not in banned])
    choices: list[str] = []
    for op, arg in items:
        kind = str(op)
        if kind == "LITERAL":
            choices.append(chr(arg))
        elif kind == "RANGE":
            choices.extend(chr(x) for x in range(arg[0], arg[1] + 1))
        elif kind == "CATEGORY":
            choices.extend(_category_chars(str(arg)))
    if not choices:
        raise SampleError("the pattern has a character set the sampler cannot produce")
    return str(rng.pick(choices))


def _category_chars(category: str) -> str:
    if "NOT" in category:
        return _LETTERS if "DIGIT" in category else _DIGITS
    if "DIGIT" in category:
        return _DIGITS
    if "WORD" in category:
        return _WORD
    if "SPACE" in category:
        return _SPACE
    return _LETTERS


def _from_category(rng: _Rng, category: str) -> str:
    return str(rng.pick(_category_chars(category)))
