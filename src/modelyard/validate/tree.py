"""The working tree as validation sees it: every file read at most once, parsed with the
positions of its fields, and kept with its problems."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from modelyard.domain.ids import is_valid_id
from modelyard.domain.records import (
    ManifestFile,
    Model,
    MonitoringSnapshot,
    Recipe,
    RegistrySettings,
    Run,
    SyntheticExample,
)
from modelyard.errors import FileProblem
from modelyard.storage import layout, yamlio
from modelyard.storage.files import problems_from_validation
from modelyard.storage.registry import Registry

T = TypeVar("T", bound=BaseModel)

MODELS_OF_KIND: dict[str, type[BaseModel]] = {
    "settings": RegistrySettings,
    "recipe": Recipe,
    "manifest": ManifestFile,
    "synthetic": SyntheticExample,
    "model": Model,
    "snapshot": MonitoringSnapshot,
    "run": Run,
}

# the folders a registry is made of; anything else at the top is left alone
RECORD_FOLDERS = (layout.RECIPES, layout.MODELS, layout.RUNS)


@dataclass
class Parsed(Generic[T]):
    """One file: its record (None when it has problems), field positions and problems."""

    rel: str
    record: T | None
    loaded: yamlio.Loaded | None
    problems: list[FileProblem] = field(default_factory=list)

    def where(self, *path: str | int) -> tuple[int, int] | None:
        return self.loaded.where(tuple(path)) if self.loaded is not None else None

    def raw(self) -> dict[str, Any]:
        data = self.loaded.data if self.loaded is not None else None
        return data if isinstance(data, dict) else {}


class Tree:
    """Reads registry files on demand and remembers what it read."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        self._parsed: dict[str, Parsed[Any] | None] = {}
        self._run_index: dict[str, list[str]] | None = None

    def display(self, rel: str) -> str:
        return self.reg.display(rel)

    # -- reading -----------------------------------------------------------------------
    def parse(self, rel: str, model: type[T]) -> Parsed[T] | None:
        """The parsed file, or None when it does not exist."""
        if rel in self._parsed:
            return self._parsed[rel]
        try:
            data = self.reg.path(rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            self._parsed[rel] = None
            return None
        parsed = parse_bytes(data, model, rel, self.display(rel))
        self._parsed[rel] = parsed
        return parsed

    def parse_kind(self, rel: str, kind: str) -> Parsed[Any] | None:
        return self.parse(rel, MODELS_OF_KIND[kind])

    def recipe(self, recipe_id: str) -> Parsed[Recipe] | None:
        return self.parse(str(layout.recipe_file(recipe_id)), Recipe) if is_valid_id(recipe_id) else None

    def manifest(self, recipe_id: str) -> Parsed[ManifestFile] | None:
        return self.parse(str(layout.manifest_file(recipe_id)), ManifestFile) if is_valid_id(recipe_id) else None

    def model(self, model_id: str) -> Parsed[Model] | None:
        return self.parse(str(layout.model_file(model_id)), Model) if is_valid_id(model_id) else None

    def exists(self, rel: str) -> bool:
        return self.reg.path(rel).is_file()

    # -- listing -----------------------------------------------------------------------
    def recipe_ids(self) -> list[str]:
        return self.reg.ids_in(layout.RECIPES)

    def model_ids(self) -> list[str]:
        return self.reg.ids_in(layout.MODELS)

    def run_index(self) -> dict[str, list[str]]:
        """run id -> the shard folders holding a folder of that name (more than one is a mistake)."""
        if self._run_index is None:
            index: dict[str, list[str]] = {}
            for shard, run_id in self.reg.run_locations():
                index.setdefault(run_id, []).append(shard)
            self._run_index = index
        return self._run_index

    def run_rel(self, run_id: str) -> str | None:
        shards = self.run_index().get(run_id)
        return f"{layout.RUNS}/{shards[0]}/{run_id}/{layout.RUN_FILE}" if shards else None

    def all_files(self) -> list[str]:
        """Every file of the registry (registry-relative), skipping hidden files and folders."""
        out: list[str] = []
        root = str(self.reg.root)
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel_folder = os.path.relpath(folder, root)
            prefix = "" if rel_folder == "." else rel_folder.replace(os.sep, "/") + "/"
            out.extend(prefix + n for n in names if not n.startswith("."))
        return sorted(out)

    # -- who uses what ---------------------------------------------------------------
    def users(self, fields: tuple[str, ...], value: str, folders: tuple[str, ...]) -> list[str]:
        """Registry-relative files under `folders` whose top-level `fields` equal `value`.

        `git grep` scans the working tree (tracked and new files) in C, so finding the users of
        one recipe among 100,000 runs costs a fraction of a second, not a parse of every file.
        """
        if not self.reg.in_git:
            return []
        names = "|".join(re.escape(f) for f in fields)
        pattern = rf"^({names}):[[:space:]]*['\"]?{re.escape(value)}['\"]?[[:space:]]*$"
        specs = [self.reg.repo_path(f) for f in folders]
        proc = self.reg.git.run(
            "grep", "-l", "-E", "--untracked", "-e", pattern, "--", *specs, check=False
        )
        if proc.returncode not in (0, 1):
            return []
        prefix = f"{self.reg.prefix}/" if self.reg.prefix else ""
        found = []
        for line in proc.stdout.decode(errors="replace").splitlines():
            rel = line[len(prefix):] if prefix and line.startswith(prefix) else line
            if self.reg.path(rel).is_file():
                found.append(rel)
        return sorted(found)


def parse_bytes(data: bytes, model: type[T], rel: str, display: str) -> Parsed[T]:
    """Parse and validate one file's bytes, keeping every problem with its position."""
    try:
        loaded = yamlio.load(data)
    except yamlio.YamlError as exc:
        return Parsed(rel, None, None, [FileProblem(display, exc.message, exc.line, exc.column)])
    except UnicodeDecodeError:
        return Parsed(rel, None, None, [FileProblem(display, "not UTF-8 text", 1, 1)])
    if not isinstance(loaded.data, dict):
        return Parsed(rel, None, loaded, [FileProblem(display, "expected a mapping of fields at the top", 1, 1)])
    try:
        return Parsed(rel, model.model_validate(loaded.data), loaded)
    except ValidationError as exc:
        return Parsed(rel, None, loaded, problems_from_validation(exc, model, loaded, display))
