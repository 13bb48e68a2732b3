"""Identifiers: the one pattern that every file-naming id matches, and how new ids are made."""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import UTC, datetime

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,62}$")
ID_RULE = "3 to 63 characters: lowercase letters, digits and _, starting with a letter"

# Crockford's base32 alphabet, lowercased: sortable, no i/l/o/u to misread.
_B32 = "0123456789abcdefghjkmnpqrstvwxyz"
_TIME_ID = re.compile(r"^(run|snap)_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_[0-9a-z]{6,}$")


def check_id(value: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid id ({ID_RULE})")
    return value


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.fullmatch(value))


def slug(text: str, max_len: int = 40) -> str:
    """`Retail Pricing v1` -> `retail_pricing_v1`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return words[:max_len].rstrip("_") or "unnamed"


def id_from_name(prefix: str, name: str, taken: set[str] | frozenset[str]) -> str:
    """A new id `prefix_slug`, made unique against `taken` with `_2`, `_3`, ...

    Ids are compared case-insensitively by construction (they are lowercase).
    """
    base = f"{prefix}_{slug(name)}"
    if not ID_PATTERN.fullmatch(base):
        base = f"{prefix}_x_{slug(name)}"[:63]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"_{n}"
        candidate = base[: 63 - len(suffix)] + suffix
        n += 1
    return candidate


def time_id(prefix: str, when: datetime) -> str:
    """`run_20240115100000_k3m9qa7x`: sortable by creation time, the shard derivable from it."""
    when = when.astimezone(UTC)
    # os.urandom is what secrets.token_bytes returns; importing secrets (random, hmac,
    # hashlib) cost a listing about 8 ms of start-up for nothing it reads
    rand = "".join(_B32[b % 32] for b in os.urandom(8))
    return f"{prefix}_{when.year:04d}{when:%m%d%H%M%S}_{rand}"


def shard_of(time_based_id: str) -> str | None:
    """The month folder (`2024-01`) of a run id, or None when the id does not embed a time."""
    m = _TIME_ID.fullmatch(time_based_id)
    return f"{m.group(2)}-{m.group(3)}" if m else None


def version_id(recipe_id: str, version: str) -> str:
    """`recipe_pricing_base`, `1.2.0` -> `ver_pricing_base_v1.2.0` (never derived from a sha)."""
    stem = recipe_id.removeprefix("recipe_")
    return f"ver_{stem}_v{version}"
