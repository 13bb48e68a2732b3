"""Starting a registry in a git repository (or a new one)."""

from __future__ import annotations

import json
from pathlib import Path

from modelyard.domain.records import RegistrySettings
from modelyard.domain.schemas import all_schemas
from modelyard.errors import Conflict
from modelyard.storage import files, layout
from modelyard.storage.git import Git
from modelyard.storage.registry import Registry, find_worktree


def init_registry(folder: Path, name: str | None = None, subdir: str = "registry") -> Registry:
    """Make `folder/registry/` with its settings file and commit it; `git init` first when
    `folder` is not inside a git repository."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if find_worktree(folder) is None:
        Git(folder).run("init", "-q")
    root = folder / subdir if subdir else folder
    if (root / layout.SETTINGS).exists():
        raise Conflict(
            f"{root / layout.SETTINGS} already exists; this folder already has a registry"
        )
    reg = Registry(root)
    settings = RegistrySettings(name=name or f"{folder.name} registry")
    with reg.mutate(f"Start modelyard registry {settings.name!r}") as m:
        m.write(layout.SETTINGS, files.render(settings, "settings", layout.SETTINGS))
        for name, text in schema_texts().items():
            m.write(f"{files.SCHEMA_DIR}/{name}", text)
    return reg


def schema_texts() -> dict[str, str]:
    """`<kind>.json` -> its JSON Schema's text, as kept in `registry/.schema/` for editors."""
    return {
        f"{kind}.json": json.dumps(schema, indent=2) + "\n"
        for kind, schema in all_schemas().items()
    }


def export_schemas(folder: Path) -> list[Path]:
    """Write every kind's JSON Schema into `folder` (made if missing); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_texts().items():
        target = folder / name
        files.atomic_write(target, text.encode("utf-8"))
        written.append(target)
    return written
