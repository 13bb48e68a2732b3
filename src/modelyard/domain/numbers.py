"""How a number from a record reads in text: exactly as stored."""

from __future__ import annotations

from typing import Any


def num(value: Any) -> str:
    """A number exactly as stored (no rounding that would state a value the data does not hold):
    `0.2`, `5` for 5.0, `true` for a boolean; anything else as `str` gives it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)
