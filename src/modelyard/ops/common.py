"""What every operation shares: request parsing with seed-style errors, enums from
query strings, paging, and the registry's clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from modelyard.domain.enums import allowed
from modelyard.errors import FieldError, InvalidValue, ValidationFailed

B = TypeVar("B", bound=BaseModel)
E = TypeVar("E", bound=StrEnum)

DEFAULT_LIMIT = 100
MAX_LIMIT = 500

# pydantic v2 error types in the seed's (pydantic v1) spelling
_V1_TYPES = {
    "missing": "value_error.missing",
    "extra_forbidden": "value_error.extra",
    "enum": "type_error.enum",
    "literal_error": "type_error.enum",
    "string_type": "type_error.str",
    "dict_type": "type_error.dict",
    "list_type": "type_error.list",
    "int_type": "type_error.integer",
    "int_parsing": "type_error.integer",
    "float_type": "type_error.float",
    "float_parsing": "type_error.float",
    "bool_type": "type_error.bool",
    "bool_parsing": "type_error.bool",
    "string_too_short": "value_error.any_str.min_length",
    "string_too_long": "value_error.any_str.max_length",
    "model_type": "type_error.dict",
    "model_attributes_type": "type_error.dict",
    "finite_number": "value_error.number.not_finite",
    "json_invalid": "value_error.jsondecode",
    "value_error": "value_error",
}


def seed_error_type(v2_type: str) -> str:
    return _V1_TYPES.get(v2_type, f"value_error.{v2_type}")


def field_errors(
    exc: ValidationError, prefix: tuple[str | int, ...] = ("body",)
) -> list[FieldError]:
    """pydantic's errors as the seed's 422 `detail` entries."""
    return seed_field_errors(exc.errors(), prefix)


def seed_field_errors(
    errors: Iterable[Mapping[str, Any]], prefix: tuple[str | int, ...] = ()
) -> list[FieldError]:
    """pydantic v2 error dicts (from a ValidationError or FastAPI's request validation)
    as the seed's 422 `detail` entries."""
    out = []
    for err in errors:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = "field required" if err["type"] == "missing" else err["msg"]
        # a validator's own ValueError: its text is the message, without pydantic's prefix
        msg = msg.removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "extra fields not permitted"
        out.append(FieldError((*prefix, *loc), msg, seed_error_type(err["type"])))
    return out


def parse_body(model: type[B], data: Any) -> B:
    """A request body (a dict, or an already parsed model) as `model`, or ValidationFailed."""
    if isinstance(data, model):
        return data
    if isinstance(data, BaseModel):
        data = data.model_dump(exclude_unset=True)
    if not isinstance(data, dict):
        raise ValidationFailed(
            [FieldError(("body",), "value is not a valid dict", "type_error.dict")]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def parse_enum(enum: type[E], value: str | None, name: str) -> E | None:
    """A query parameter's enum value; the seed's 400 `Invalid <name> value` otherwise."""
    if value is None or value == "":
        return None
    try:
        return enum(value)
    except ValueError:
        raise InvalidValue(f"Invalid {name} value: {value!r} (allowed: {allowed(enum)})") from None


def check_page(limit: int | None, offset: int | None) -> tuple[int, int]:
    limit = DEFAULT_LIMIT if limit is None else limit
    offset = 0 if offset is None else offset
    errors = []
    if limit < 1 or limit > MAX_LIMIT:
        errors.append(
            FieldError(
                ("query", "limit"),
                f"limit must be between 1 and {MAX_LIMIT} (got {limit})",
                "value_error.number.not_le" if limit > MAX_LIMIT else "value_error.number.not_ge",
            )
        )
    if offset < 0:
        errors.append(
            FieldError(
                ("query", "offset"),
                f"offset must be 0 or more (got {offset})",
                "value_error.number.not_ge",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return limit, offset


def same_id(body_value: str | None, path_value: str, name: str) -> None:
    """A body field that repeats a path parameter must match it (docs/api.md)."""
    if body_value is not None and body_value != path_value:
        raise ValidationFailed(
            [
                FieldError(
                    ("body", name),
                    f"{name} {body_value!r} does not match the path's {path_value!r}",
                    "value_error.mismatch",
                )
            ]
        )


def describe_update(ident: str, before: Any, changes: dict[str, Any]) -> str:
    """A commit message for an update: `Update model_x: status staging -> production`."""
    parts = []
    for key, value in changes.items():
        if key == "status":
            parts.append(f"status {getattr(before, key)} -> {value}")
        else:
            parts.append(f"{key} changed")
    return f"Update {ident}: {', '.join(parts)}"
