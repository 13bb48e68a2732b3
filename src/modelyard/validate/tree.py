"""The working tree as validation sees it: every file read at most once, parsed with the
positions of its fields, and kept with its problems."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from modelyard.domain.ids import is_valid_id
from modelyard.domain.kinds import KINDS
from modelyard.domain.records import (
    ManifestFile,
    Model,
    Recipe,
)
from modelyard.errors import FileProblem, RegistryFileError, UnsafePath
from modelyard.storage import layout, safefs, yamlio
from modelyard.storage.files import read_record
from modelyard.storage.gitraw import blob_id
from modelyard.storage.registry import Registry

T = TypeVar("T", bound=BaseModel)

MODELS_OF_KIND: dict[str, type[BaseModel]] = {k.name: k.model for k in KINDS.values()}

# the folders a registry is made of; anything else at the top is left alone
RECORD_FOLDERS = (layout.RECIPES, layout.MODELS, layout.RUNS)

# where references to a record can be, as globs for `Tree.users`
RECIPE_FILES = f"{layout.RECIPES}/*/{layout.RECIPE_FILE}"
MODEL_FILES = f"{layout.MODELS}/*/{layout.MODEL_FILE}"
RUN_FILES = f"{layout.RUNS}/*/*/{layout.RUN_FILE}"
# few files each, read for every value at once (`Tree.users`)
WHOLE = (("parent_id", RECIPE_FILES), ("recipe_id", MODEL_FILES))


@dataclass
class Parsed(Generic[T]):
    """One file: its record (None when it has problems), field positions and problems."""

    rel: str
    record: T | None
    loaded: yamlio.Loaded | None
    problems: list[FileProblem] = field(default_factory=list)
    code: str | None = None  # the problems' check code, when not `yaml` or `schema`
    # a record taken from the derived index has no positions until one is asked for
    reread: Callable[[], yamlio.Loaded | None] | None = None

    def positions(self) -> yamlio.Loaded | None:
        """The fields' positions in the file (read from it now if they were not yet)."""
        if self.loaded is None and self.reread is not None:
            self.loaded, self.reread = self.reread(), None
        return self.loaded

    def where(self, *path: str | int) -> tuple[int, int] | None:
        loaded = self.positions()
        return loaded.where(tuple(path)) if loaded is not None else None


class Tree:
    """Reads registry files on demand and remembers what it read."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        self._parsed: dict[str, Parsed[Any] | None] = {}
        self._run_index: dict[str, list[str]] | None = None
        self._users: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._ids: dict[tuple[str, str], Parsed[Any] | None] = {}
        self._files: dict[str, bool] = {}  # whether a file `users` found is a regular file
        # when a dict: the git blob id (SHA-1) of every file read, by path, so that what was
        # checked can be kept under the content it was checked on (validate/whole.py)
        self.blobs: dict[str, str] | None = None
        # the files git does not track, when they are known already (`validate --base` looks
        # for them): `users` then greps tracked files only, and reads these itself
        self.new_files: list[str] | None = None
        # files known to hold HEAD's content, which parsed and validated when the derived
        # index read them: path -> (blob id, the reader's data); read from it, not from disk
        self.unchanged: dict[str, tuple[str, Any]] = {}
        # the listed entries that are symbolic links, once `all_files` has walked the tree
        self.links: set[str] | None = None

    def display(self, rel: str) -> str:
        return self.reg.display(rel)

    # -- reading -----------------------------------------------------------------------
    def parse(self, rel: str, model: type[T], keep: bool = True) -> Parsed[T] | None:
        """The parsed file, or None when it does not exist. `keep=False` for files that no
        other file refers to (runs, snapshots): a large registry's are not held in memory."""
        if rel in self._parsed:
            return self._parsed[rel]
        if rel in self.unchanged:
            parsed = self._from_index(rel, model)
            if parsed is not None:
                if keep:
                    self._parsed[rel] = parsed
                return parsed
        try:
            data = self.reg.read_bytes(rel)
        except UnsafePath as exc:  # a link, not a file, too large: never read
            return Parsed(rel, None, None, exc.problems, code=exc.reason)
        if data is None:
            if keep:
                self._parsed[rel] = None
            return None
        if self.blobs is not None:
            self.blobs[rel] = blob_id(data)
        parsed = parse_bytes(data, model, rel, self.display(rel))
        if keep:
            self._parsed[rel] = parsed
        return parsed

    def _from_index(self, rel: str, model: type[T]) -> Parsed[T] | None:
        blob, data = self.unchanged.pop(rel)
        try:
            record = model.model_validate(data)
        except ValidationError:  # validated as another model: read the file instead
            return None
        if self.blobs is not None:
            self.blobs[rel] = blob
        return Parsed(rel, record, None, reread=lambda: self._positions(rel))

    def _positions(self, rel: str) -> yamlio.Loaded | None:
        try:
            data = self.reg.read_bytes(rel)
            return yamlio.load(data) if data is not None else None
        except (UnsafePath, yamlio.YamlError, UnicodeDecodeError):
            return None

    def parse_kind(self, rel: str, kind: str) -> Parsed[Any] | None:
        return self.parse(rel, MODELS_OF_KIND[kind])

    def recipe(self, recipe_id: str) -> Parsed[Recipe] | None:
        return self._by_id("recipe", recipe_id, layout.recipe_file, Recipe)

    def manifest(self, recipe_id: str) -> Parsed[ManifestFile] | None:
        return self._by_id("manifest", recipe_id, layout.manifest_file, ManifestFile)

    def model(self, model_id: str) -> Parsed[Model] | None:
        return self._by_id("model", model_id, layout.model_file, Model)

    def _by_id(
        self, kind: str, record_id: str, where: Callable[[str], Any], model: type[T]
    ) -> Parsed[T] | None:
        # asked for by id once per run that names it: the path is built once, not each time
        key = (kind, record_id)
        if key in self._ids:
            return self._ids[key]
        found = self.parse(str(where(record_id)), model) if is_valid_id(record_id) else None
        self._ids[key] = found
        return found

    def exists(self, rel: str) -> bool:
        return safefs.is_file(self.reg.root, rel)

    # -- listing -----------------------------------------------------------------------
    def recipe_ids(self) -> list[str]:
        return self.reg.ids_in(layout.RECIPES)

    def model_ids(self) -> list[str]:
        return self.reg.ids_in(layout.MODELS)

    def run_index(self) -> dict[str, list[str]]:
        """run id -> the shard folders holding a folder of that name (more than one is a
        mistake)."""
        if self._run_index is None:
            index: dict[str, list[str]] = {}
            for shard, run_id in self.reg.run_locations():
                index.setdefault(run_id, []).append(shard)
            self._run_index = index
        return self._run_index

    def all_files(self) -> list[str]:
        """Every file of the registry (registry-relative, sorted), skipping hidden files and
        folders, and every symbolic link (to a file or a folder, never followed), which
        validation reports. One `scandir` per folder, each entry's type from the listing;
        the entries that are links are kept in `links`."""
        out: list[str] = []
        links: set[str] = set()
        stack = [("", str(self.reg.root))]
        while stack:
            prefix, folder = stack.pop()
            try:
                it = os.scandir(folder)
            except OSError:
                continue
            with it:
                for entry in it:
                    name = entry.name
                    if name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((f"{prefix}{name}/", f"{folder}/{name}"))
                    else:
                        out.append(prefix + name)
                        if entry.is_symlink():
                            links.add(prefix + name)
        out.sort()
        self.links = links
        return out

    # -- who uses what ---------------------------------------------------------------
    def users(self, field: str, values: Iterable[str], files: str) -> dict[str, list[str]]:
        """For each of `values`, the registry files matching the glob `files` (e.g.
        `models/*/model.yaml`) whose top-level `field` holds it.

        One `git grep` for all values scans the working tree (tracked and new files) in C, so
        finding the users of a few records among 100,000 runs takes a moment, not a parse of
        every file. A reference is found as the CLI writes it, `field: value`, quoted or not.
        Recipes' parents and models' recipes (`WHOLE`) are read for every value at once, in
        one `git grep` for both: a change to a recipe asks about its children level by level
        and then about their models, and each `git grep` reads git's whole index first.
        """
        asked = sorted(set(values))
        if (field, files) in WHOLE:
            if not asked:
                return {}
            if (field, files) not in self._users:
                self._grep_whole()
            every = self._users[(field, files)]
            return {v: [r for r in every.get(v, []) if self._is_file(r)] for v in asked}
        # the same question comes from several checks (what a change reaches, its impact)
        known = self._users.setdefault((field, files), {})
        wanted = [v for v in asked if v not in known]
        found: dict[str, list[str]] = {v: [] for v in wanted}
        if wanted and self.reg.in_git:
            patterns = [form for value in wanted for form in _forms(field, value)]
            for rel, value, _, _ in self._grep(patterns, [(field, files)]):
                if value in found and self._is_file(rel):
                    found[value].append(rel)
        known.update(found)
        return {v: list(known[v]) for v in asked}

    def start_users(self) -> None:
        """Start the one `git grep` of `WHOLE` in the background, for `users` to read when it
        is asked (after `new_files` is set, as `users` will be asked)."""
        if self.reg.in_git and not all(pair in self._users for pair in WHOLE):
            patterns, specs = self._whole_grep()
            self.reg.git.start_grep_fixed(patterns, *specs, untracked=self.new_files is None)

    def _whole_grep(self) -> tuple[list[str], list[str]]:
        return [f"{field}: " for field, _ in WHOLE], self._specs(list(WHOLE))

    def _specs(self, pairs: list[tuple[str, str]]) -> list[str]:
        return [f":(glob){self.reg.repo_path(files)}" for _, files in pairs]

    def _grep_whole(self) -> None:
        """Every value of each `WHOLE` field in its files (existence is checked on demand)."""
        every: dict[tuple[str, str], dict[str, list[str]]] = {pair: {} for pair in WHOLE}
        if self.reg.in_git:
            patterns, _ = self._whole_grep()
            for rel, value, line, pair in self._grep(patterns, list(WHOLE)):
                # as a search for this value would find it
                if any(form in line for form in _forms(pair[0], value)):
                    every[pair].setdefault(value, []).append(rel)
        self._users.update(every)

    def _is_file(self, rel: str) -> bool:
        known = self._files.get(rel)
        if known is None:
            known = self._files[rel] = safefs.is_file(self.reg.root, rel)
        return known

    def _grep(
        self, patterns: list[str], pairs: list[tuple[str, str]]
    ) -> list[tuple[str, str, str, tuple[str, str]]]:
        """For each line holding one of `patterns` in the files of one of `pairs` (field, glob)
        whose top-level key is that pair's field: (file, value, line, pair)."""
        specs = self._specs(pairs)
        if self.new_files is None:
            lines = self.reg.git.grep_fixed(patterns, *specs)
        else:
            lines = self.reg.git.grep_fixed(patterns, *specs, untracked=False)
            lines += self._grep_new(patterns, [files for _, files in pairs])
        out = []
        for path, text in lines:
            key, _, rest = text.partition(":")
            rel = self.reg.rel_path(path) or path
            for pair in pairs:
                # the field as a top-level key (not a substring elsewhere, or a nested field)
                if key == pair[0] and _matches(rel, pair[1]):
                    out.append((rel, rest.strip().strip("'\""), text, pair))
        return out

    def _grep_new(self, patterns: list[str], globs: list[str]) -> list[tuple[str, str]]:
        """What `git grep --untracked` finds in the new files: their lines holding a pattern."""
        out = []
        for rel in self.new_files or ():
            if not any(_matches(rel, glob) for glob in globs):
                continue
            try:
                data = safefs.read_file(self.reg.root, rel, self.display(rel))
            except RegistryFileError:
                continue  # a link or a file too large: git grep reads neither as a record
            if data is None:
                continue
            for line in data.decode("utf-8", "replace").split("\n"):
                if any(p in line for p in patterns):
                    out.append((self.reg.repo_path(rel), line))
        return out


def _forms(field: str, value: str) -> tuple[str, str, str]:
    """How a reference is written: `field: value`, quoted or not."""
    return f"{field}: {value}", f"{field}: '{value}'", f'{field}: "{value}"'


def _matches(rel: str, glob: str) -> bool:
    """Whether registry path `rel` matches `glob`, whose only wildcard is `*` (which never
    crosses a `/`), as git's `:(glob)` pathspec does."""
    return _glob_re(glob).fullmatch(rel) is not None


@cache
def _glob_re(glob: str) -> re.Pattern[str]:
    return re.compile("[^/]*".join(re.escape(part) for part in glob.split("*")))


def parse_bytes(data: bytes, model: type[T], rel: str, display: str) -> Parsed[T]:
    """Parse and validate one file's bytes, keeping every problem with its position."""
    outcome = read_record(data, model, display)
    return Parsed(rel, outcome.record, outcome.loaded, outcome.problems)
