"""Is a model's reply grounded? Every id, command, date, version and number it states must
be in what the tools returned (or in the question); the first one that is not is the
problem, and the offline answer is given instead."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from modelyard.chat.knowledge import Knowledge
from modelyard.chat.understand import ID_RE, ids_mentioned

COMMAND = re.compile(r"modelyard\s[^\n`]*")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?")
VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+\.\d+(?![\w.]*\d)")
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:\.\d+)?(?![\w]|\.\d)")


def _numbers(value: Any, out: set[float]) -> None:
    """Every number in a parsed tool result, and every list's length (a count is grounded
    when a list that long was returned)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        out.add(float(value))
    elif isinstance(value, str):
        for token in NUMBER.findall(value):
            with contextlib.suppress(ValueError):
                out.add(float(token.replace(",", "")))
    elif isinstance(value, list):
        out.add(float(len(value)))
        for item in value:
            _numbers(item, out)
    elif isinstance(value, dict):
        out.add(float(len(value)))
        for key, item in value.items():
            _numbers(key, out)
            _numbers(item, out)


def problem(kb: Knowledge, text: str, returned: list[str], question: str) -> str | None:
    """Why `text` is not grounded in the tool results `returned`, or None when it is."""
    unknown = sorted({i for i in ids_mentioned(text) if not kb.known(i)})
    if unknown:
        # not repeated here: the response must not carry ids the registry does not hold
        return f"the reply named {len(unknown)} id(s) that are not in the registry"
    source = "\n".join(returned)
    # tool results are JSON: their strings, unescaped, are what the reply may quote
    plain = source + "\n" + "\n".join(_strings(returned)) + "\n" + question
    for ident in dict.fromkeys(ids_mentioned(text)):
        if ident not in plain.lower():
            return f"the reply names {ident}, which no tool returned"
    rest = ID_RE.sub(" ", text)
    for command in COMMAND.findall(rest):
        command = command.strip().rstrip(".,;:)")
        if " ".join(command.split()) not in " ".join(plain.split()):
            return "the reply gives a command that no tool returned"
    rest = COMMAND.sub(" ", rest)
    for date in DATE.findall(rest):
        if date.replace(" ", "T")[:10] not in plain:
            return f"the reply states the date {date}, which no tool returned"
    rest = DATE.sub(" ", rest)
    for version in VERSION.findall(rest):
        if version.lstrip("v") not in plain:
            return f"the reply states version {version}, which no tool returned"
    rest = VERSION.sub(" ", rest)
    known: set[float] = set()
    for result in returned:
        try:
            _numbers(json.loads(result), known)
        except ValueError:
            _numbers(result, known)
    _numbers(question, known)
    for token in NUMBER.findall(rest):
        try:
            value = float(token.replace(",", ""))
        except ValueError:
            continue
        if value not in known and -value not in known:
            return f"the reply states {token}, which no tool returned"
    return None


def _strings(returned: list[str]) -> list[str]:
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                out.append(str(key))
                walk(item)

    for result in returned:
        try:
            walk(json.loads(result))
        except ValueError:
            out.append(result)
    return out
