"""Checking a Table Schema and rows against it, with the `frictionless` library.

frictionless is the Frictionless Data project's own implementation of the Table Schema
specification, so a schema it accepts is one every Table Schema tool reads the same way.
It costs about half a second to import, so it is imported here, on first use: only commands
that check synthetic examples pay for it, never `modelyard --help` or a listing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_CONSTRAINT = re.compile(r'constraint "(?P<name>\w+)"')
_POSITION = re.compile(r"row at position (\d+)")
_TYPE = re.compile(r'type is "(\w+)')


@dataclass(frozen=True)
class Violation:
    """One cell (or row) that breaks the schema: `row` counts from 0 in `sample_rows_json`."""

    row: int
    field: str | None
    value: Any
    constraint: str
    message: str

    def text(self) -> str:
        where = f"row {self.row}" + (f", field {self.field!r}" if self.field else "")
        return f"{where}: {self.message}"


class SchemaUnusable(ValueError):
    """frictionless could not apply a schema it accepted (a constraint of the wrong kind)."""


def schema_problems(schema: dict[str, Any]) -> list[str]:
    """What makes `schema` not a valid Table Schema (empty when it is one)."""
    from frictionless import Schema

    problems = _shape_problems(schema)
    if problems:
        return problems
    try:
        report = Schema.validate_descriptor(schema)
    except Exception as exc:  # the library's own failure on odd input is still bad input
        return [f"cannot be read as a Table Schema ({type(exc).__name__}: {exc})"]
    problems = [str(e.note or e.message) for e in report.errors]
    if problems:
        return problems
    names = [f.get("name") for f in schema.get("fields") or [] if isinstance(f, dict)]
    keys = schema.get("primaryKey") or []
    for key in [keys] if isinstance(keys, str) else keys:
        if key not in names:
            problems.append(f"primaryKey names {key!r}, which is not a field")
    return problems


def _shape_problems(schema: dict[str, Any]) -> list[str]:
    """What the specification requires but frictionless trips over instead of reporting:
    each field a mapping with a text name, and constraints of the kind their field needs."""
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return ["`fields` must be a list of fields"]
    problems = []
    for i, field in enumerate(fields):
        if not isinstance(field, dict) or not isinstance(field.get("name"), str):
            problems.append(f"fields[{i}] must be a mapping with a text `name`")
            continue
        c = field.get("constraints")
        if not isinstance(c, dict):
            continue
        name, kind = field["name"], field.get("type", "string")
        for bound in ("minimum", "maximum"):
            value = c.get(bound)
            if value is None:
                continue
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if kind in ("number", "integer", "year") and not numeric:
                problems.append(f"field {name!r}: {bound} must be a number (got {value!r})")
            if kind in ("date", "datetime", "time") and not isinstance(value, str):
                problems.append(f"field {name!r}: {bound} must be text (got {value!r})")
        for length in ("minLength", "maxLength"):
            value = c.get(length)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                problems.append(f"field {name!r}: {length} must be a whole number")
        pattern = c.get("pattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                problems.append(f"field {name!r}: pattern {pattern!r} is not valid ({exc})")
    return problems


def row_violations(schema: dict[str, Any], rows: list[dict[str, Any]]) -> list[Violation]:
    """Every cell of `rows` that breaks the schema's types or constraints, every repeated
    unique value and primary key, and every column the schema has no field for."""
    from frictionless import Resource, Schema

    names = [f["name"] for f in schema.get("fields") or []]
    out: list[Violation] = []
    for i, row in enumerate(rows):
        for key in row:
            if key not in names:
                out.append(
                    Violation(
                        i,
                        key,
                        row[key],
                        "field",
                        f"{row[key]!r} is in a column the schema has no field for",
                    )
                )
    if not rows:
        return out
    # every row gets every field (a missing one as empty), so frictionless reads one header
    table = [names, *[[_cell(row.get(n)) for n in names] for row in rows]]
    try:
        resource = Resource(data=table, schema=Schema.from_descriptor(schema))
        report = resource.validate()
    except Exception as exc:  # see SchemaUnusable
        raise SchemaUnusable(
            f"the schema cannot be applied ({type(exc).__name__}: {exc})"
        ) from None
    constraints = {f["name"]: f.get("constraints") or {} for f in schema.get("fields") or []}
    keys = schema.get("primaryKey") or []
    keys = [keys] if isinstance(keys, str) else list(keys)
    found: list[Violation] = []
    for task in report.tasks:
        for error in task.errors:
            number = getattr(error, "row_number", None)
            if number is None:
                continue
            row = number - 2  # frictionless counts the header as row 1
            field = getattr(error, "field_name", None)
            value = rows[row].get(field) if field and 0 <= row < len(rows) else None
            kind = _constraint(error)
            found.append(
                Violation(
                    row, field, value, kind, _message(kind, error, value, constraints.get(field))
                )
            )
    # a key cell of the wrong type also reads as an empty primary key: report it once
    bad_keys = {v.row for v in found if v.field in keys and v.constraint in ("type", "required")}
    out += [v for v in found if not (v.constraint == "primaryKey" and v.row in bad_keys)]
    return sorted(out, key=lambda v: (v.row, names.index(v.field) if v.field in names else -1))


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _constraint(error: Any) -> str:
    kind = str(error.type)
    if kind == "constraint-error":
        found = _CONSTRAINT.search(str(error.note))
        return found.group("name") if found else "constraint"
    return {
        "type-error": "type",
        "unique-error": "unique",
        "primary-key": "primaryKey",
    }.get(kind, kind)


def _message(kind: str, error: Any, value: Any, constraints: dict[str, Any] | None) -> str:
    shown = "(empty)" if value is None or value == "" else repr(value)
    if kind == "type":
        typed = _TYPE.search(str(error.note))
        return f"{shown} is not a valid {typed.group(1) if typed else 'value of its type'}"
    same = _POSITION.search(str(error.note))
    earlier = f"row {int(same.group(1)) - 2}" if same else "an earlier row"
    if kind == "unique":
        return f"{shown} breaks unique: {earlier} has it too"
    if kind == "primaryKey":
        return f"breaks primaryKey: {earlier} has the same key"
    if kind in (constraints or {}):
        return f"{shown} breaks {kind}: {(constraints or {})[kind]!r}"
    return f"{error.title}: {error.note}"
