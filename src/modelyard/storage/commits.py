"""A commit's author and committer, worked out as `git commit-tree` would, for commits
made in process (storage/objects.py); and git's configuration that a commit depends on,
read by one git process and kept until a configuration file or variable changes.

Where git's own rules go further than these (a date in one of git's other formats, a name
git would trim, no configured email, signing), the answer is None and `Git` makes the
commit with `git commit-tree` instead, so every commit is the one git would make.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from modelyard.storage import groupmemo
from modelyard.storage.identity import Person, identities

if TYPE_CHECKING:
    import pygit2

# configuration a commit depends on: who, whether to sign, whether line endings change
KEYS = ("user.name", "user.email", "core.autocrlf", "commit.gpgsign")
_ENV = (
    "HOME",
    "XDG_CONFIG_HOME",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
    "GIT_DIR",
)
# git's "crud": what it strips from the ends of a name or email
_CRUD = " .,:;<>\"\\'"


@dataclass(frozen=True)
class Config:
    values: dict[str, str]

    @property
    def user(self) -> tuple[str | None, str | None]:
        return self.values.get("user.name") or None, self.values.get("user.email") or None

    def flag(self, key: str) -> bool:
        return self.values.get(key, "").lower() in ("true", "yes", "on", "1")

    @property
    def converts_line_endings(self) -> bool:
        return self.values.get("core.autocrlf", "false").lower() not in ("false", "no", "off", "0")


_cache: dict[tuple[object, ...], Config] = {}
_cache_lock = threading.Lock()


def config_key(git_dir: Path) -> tuple[object, ...]:
    """What git's configuration for `git_dir` is read from: the files' stat and the variables
    that choose them (an `include.path` file is not followed: edit one, and touch the file
    that includes it)."""
    home = Path(os.environ.get("HOME", "~")).expanduser()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    files = [
        git_dir / "config",
        git_dir / "config.worktree",
        Path(os.environ.get("GIT_CONFIG_GLOBAL") or home / ".gitconfig"),
        xdg / "git" / "config",
        Path(os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"),
    ]
    env = tuple(os.environ.get(k) for k in _ENV)
    count = os.environ.get("GIT_CONFIG_COUNT", "")
    extra = tuple(
        (os.environ.get(f"GIT_CONFIG_KEY_{i}"), os.environ.get(f"GIT_CONFIG_VALUE_{i}"))
        for i in range(int(count) if count.isdigit() else 0)
    )
    return (str(git_dir), env, extra, *(_stat(f) for f in files))


def cached(git_dir: Path, read: object) -> Config:
    """The configuration of `git_dir`, from `read()` ({key: value}) when it may have changed
    (looked at once for a whole group of writes: storage/groupmemo.py)."""
    return groupmemo.remember(git_dir, "config", lambda: _cached(git_dir, read))


def _cached(git_dir: Path, read: object) -> Config:
    key = config_key(git_dir)
    with _cache_lock:
        found = _cache.get(key)
    if found is None:
        found = Config(read())  # type: ignore[operator]
        with _cache_lock:
            if len(_cache) > 64:
                _cache.clear()
            _cache[key] = found
    return found


def signatures(
    author: Person | None,
    user: tuple[str | None, str | None],
    date: datetime | None,
) -> tuple[pygit2.Signature, pygit2.Signature] | None:
    """(author, committer) as `git commit-tree` would take them from the environment and
    `user` (git's configured name and email); None where git's rules go further than these."""
    import pygit2

    env = {**os.environ, **identities(author, user)}
    if date is not None and not os.environ.get("GIT_AUTHOR_DATE"):
        env["GIT_AUTHOR_DATE"] = f"@{int(date.timestamp())} +0000"
    made = []
    for role in ("AUTHOR", "COMMITTER"):
        name = env.get(f"GIT_{role}_NAME") or user[0]
        email = env.get(f"GIT_{role}_EMAIL")
        if email is None:
            email = user[1]
        when = _when(env.get(f"GIT_{role}_DATE"))
        # libgit2 takes no empty email, which git does (`Ada <>`)
        if not name or not email or when is None or not _plain(name) or not _plain(email):
            return None
        try:
            made.append(pygit2.Signature(name, email, when[0], when[1]))
        except (ValueError, pygit2.GitError):
            return None
    return made[0], made[1]


def _plain(text: str) -> bool:
    """A name or email git keeps exactly as given."""
    return text == text.strip(_CRUD) and not any(c in text for c in "<>\n\0")


def _when(text: str | None) -> tuple[int, int] | None:
    """(epoch seconds, offset in minutes) of a GIT_*_DATE value in the forms modelyard and
    its tests use (`@epoch +zzzz`, `epoch +zzzz`, ISO 8601 with a zone); now, in the local
    zone, when unset; None for anything else (git reads it then)."""
    if not text:
        now = time.time()
        return int(now), time.localtime(now).tm_gmtoff // 60
    text = text.strip()
    bare = text[1:] if text.startswith("@") else text
    parts = bare.split()
    if parts and parts[0].isdigit() and len(parts) <= 2:
        if len(parts) == 1:
            return int(parts[0]), 0
        zone = parts[1]
        if len(zone) == 5 and zone[0] in "+-" and zone[1:].isdigit():
            minutes = int(zone[1:3]) * 60 + int(zone[3:])
            return int(parts[0]), minutes if zone[0] == "+" else -minutes
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    offset = parsed.utcoffset()
    if offset is None:
        return None
    return int(parsed.astimezone(UTC).timestamp()), int(offset.total_seconds()) // 60


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino
