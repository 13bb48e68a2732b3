"""Who a commit is by: parsing `Ada <ada@example.com>`, making a name fit for git, and the
environment that authors a commit so (with a fallback where git has no identity)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

FALLBACK_NAME = "modelyard"
FALLBACK_EMAIL = "modelyard@localhost"
_IDENT = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>\s*$")


@dataclass(frozen=True)
class Person:
    name: str
    email: str


def parse_person(text: str, default_email: str = "") -> Person:
    """`Ada <ada@example.com>`, `ada@example.com` or `Ada`."""
    m = _IDENT.match(text)
    if m:
        return Person(m.group("name") or m.group("email"), m.group("email"))
    text = text.strip()
    if "@" in text and " " not in text:
        return Person(text, text)
    return Person(text, default_email)


# what git strips from the ends of an identity's name ("crud"), and what it cannot hold at all
_CRUD = " .,:;<>\"\\'"
_UNHOLDABLE = re.compile(r"[\x00-\x1f\x7f<>]")


def committable(person: Person) -> Person | None:
    """`person` as git will take it as a commit's author: control characters and angle
    brackets (which no identity may hold) become spaces; None when nothing of the name is
    left once git strips what it strips (`.`, `,`, `'`, `<`), so the commit is authored by
    git's own user instead of failing. The record keeps the text as it was given."""
    name = " ".join(_UNHOLDABLE.sub(" ", person.name).split())
    email = _UNHOLDABLE.sub("", person.email).strip()
    if not name.strip(_CRUD):
        return None
    return Person(name, email)


def identities(author: Person | None, user: tuple[str | None, str | None]) -> dict[str, str]:
    """The environment that makes git commit with `author` (None: git's own user), and with
    modelyard's fallback identity where git has none configured."""
    env: dict[str, str] = {}
    cfg_name = os.environ.get("GIT_COMMITTER_NAME") or user[0]
    cfg_email = os.environ.get("GIT_COMMITTER_EMAIL") or user[1]
    if not cfg_name or cfg_email is None:
        env["GIT_COMMITTER_NAME"] = cfg_name or FALLBACK_NAME
        env["GIT_COMMITTER_EMAIL"] = cfg_email or FALLBACK_EMAIL
    if author is not None:
        env["GIT_AUTHOR_NAME"] = author.name
        env["GIT_AUTHOR_EMAIL"] = author.email
    elif not (os.environ.get("GIT_AUTHOR_NAME") or cfg_name):
        env["GIT_AUTHOR_NAME"] = FALLBACK_NAME
        env["GIT_AUTHOR_EMAIL"] = FALLBACK_EMAIL
    elif cfg_email is None and not os.environ.get("GIT_AUTHOR_EMAIL"):
        env["GIT_AUTHOR_EMAIL"] = FALLBACK_EMAIL
    return env
