"""Starting a registry in a git repository (or a new one)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

from modelyard.domain.records import RegistrySettings
from modelyard.domain.schemas import all_schemas
from modelyard.errors import Conflict
from modelyard.storage import files, layout
from modelyard.storage.git import Git
from modelyard.storage.registry import Registry, find_worktree


def init_registry(
    folder: Path,
    name: str | None = None,
    subdir: str = "registry",
    extra: Callable[[Registry], Mapping[str, str]] | None = None,
    branch: str | None = None,
) -> Registry:
    """Make `folder/registry/` with its settings file and commit it; `git init` first when
    `folder` is not inside a git repository (its first branch named `branch`, when given).

    `extra` gives, for the registry, files by repository path (the team's CI workflow,
    README...) to write in the same commit; files that exist already are kept as they are.
    A registry that exists already gets only those files, or a Conflict when none is new."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if find_worktree(folder) is None:
        Git(folder).run("init", "-q", *([f"--initial-branch={branch}"] if branch else []))
    root = folder / subdir if subdir else folder
    reg = Registry(root)
    wanted = extra(reg) if extra else {}
    extra_files = {p: t for p, t in wanted.items() if not (reg.worktree / p).exists()}
    if (root / layout.SETTINGS).exists():
        if not extra_files:
            raise Conflict(
                f"{root / layout.SETTINGS} already exists; this folder already has a registry"
            )
        # a registry that is there already gets only the team's files it lacks
        with Registry(reg.worktree).mutate("Add modelyard's team files") as m:
            for path, text in extra_files.items():
                m.write(path, text)
        return reg
    settings = RegistrySettings(name=name or f"{folder.name} registry")
    # the team's files lie outside the registry folder: written from the repository's top
    writer, at = (Registry(reg.worktree), reg.repo_path) if extra_files else (reg, str)
    with writer.mutate(f"Start modelyard registry {settings.name!r}") as m:
        # no `remote:` line until one is wanted (storage/files.py, LATER_FIELDS)
        m.write(at(layout.SETTINGS), files.render(settings, "settings", layout.SETTINGS))
        for schema_name, schema_text in schema_texts().items():
            m.write(at(f"{files.SCHEMA_DIR}/{schema_name}"), schema_text)
        for path, extra_text in extra_files.items():
            m.write(path, extra_text)
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
