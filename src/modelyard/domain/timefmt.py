"""UTC timestamps, written ISO 8601 with `Z`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC).replace(microsecond=0)
    except OverflowError:  # `0001-01-01T00:00:00+01:00` is before the first representable UTC
        raise ValueError("the time is out of range once converted to UTC") from None


def iso(value: datetime) -> str:
    """`2024-01-15T10:00:00Z`; the year always has four digits (`0791-...`), which strftime's
    `%Y` does not give on every platform, so that whatever is written reads back."""
    return to_utc(value).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


UtcDatetime = Annotated[datetime, AfterValidator(to_utc), PlainSerializer(iso, return_type=str)]
