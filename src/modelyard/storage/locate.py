"""Finding the registry and its git working tree, with nothing but the standard library: a
command can know where to start git before its slow imports (storage/early.py)."""

from __future__ import annotations

import os
from pathlib import Path

from modelyard.errors import RegistryNotFound
from modelyard.storage import layout

ENV_REGISTRY = "MODELYARD_REGISTRY"


def find_worktree(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds `.git`."""
    if not start.is_absolute():
        for folder in (start, *start.parents):
            if (folder / ".git").exists():
                return folder
        return None
    # plain strings: a server opens a registry per request, and pathlib's parsing of each
    # parent cost more than the `stat` calls themselves
    text = str(start)
    while True:
        if os.path.exists(os.path.join(text, ".git")):
            return Path(text)
        parent = os.path.dirname(text)
        if parent == text:
            return None
        text = parent


def discover(explicit: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> Path:
    """The registry folder: `--registry`, then $MODELYARD_REGISTRY, then upward from cwd.

    A path may name the registry folder itself or a folder with `registry/` in it.
    """
    given = explicit or os.environ.get(ENV_REGISTRY)
    if given:
        path = Path(given).expanduser().resolve()
        for candidate in (path, path / "registry"):
            if (candidate / layout.SETTINGS).is_file():
                return candidate
        raise RegistryNotFound(
            f"no registry at {path} (no {layout.SETTINGS} there or in {path / 'registry'})",
            action="point --registry at a folder made by `modelyard init`",
        )
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for candidate in (folder, folder / "registry"):
            if (candidate / layout.SETTINGS).is_file():
                return candidate
    raise RegistryNotFound(
        f"no registry found in {here} or any folder above it",
        action="run `modelyard init` to start one, "
        "or pass --registry PATH (or set MODELYARD_REGISTRY)",
    )
