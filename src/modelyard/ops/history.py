"""Recipe versions, resolved: every recipe's from one pass over git history, or one
recipe's (and its pinned parents') on demand."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.limits import MAX_LINEAGE_DEPTH
from modelyard.domain.lineage import too_deep_message
from modelyard.domain.records import Extends, ManifestFile, RecipeVersion
from modelyard.domain.resolve import resolve
from modelyard.domain.semver import manifest_diff
from modelyard.domain.timefmt import parse_iso
from modelyard.errors import FileProblem, LineageTooDeep, NotFound, RegistryFileError
from modelyard.storage import files, layout
from modelyard.storage.history import VersionReader, VersionSource
from modelyard.storage.registry import Registry

_VERSION_REF = re.compile(r"^(?:ver_(?P<stem>[a-z0-9_]+)_)?v?(?P<num>\d+\.\d+\.\d+)$")


@dataclass
class ResolvedVersion:
    source: VersionSource
    manifest: dict[str, Any]
    provenance: dict[str, str]


class History:
    """Committed versions, resolved lazily and memoised.

    `History(reg)` reads every recipe's versions in one pass, for callers that go through
    all of them (the catalog, the validator, the assistant). `History(reg, lazy=True)`
    reads a recipe's versions the first time they are asked for, and so a parent's only
    when a pin leads there: `versions list R`, a version lookup and a write's version check
    cost what that recipe's own history costs, not the registry's. Both give the same
    answers."""

    def __init__(self, reg: Registry, lazy: bool = False) -> None:
        self.reg = reg

        def parse(blob: bytes, recipe_id: str) -> dict[str, Any] | None:
            path = reg.display(layout.manifest_file(recipe_id))
            try:
                return files.parse_text(blob, ManifestFile, path).model_dump(mode="json")
            except RegistryFileError:
                return None

        self._reader = (
            VersionReader(reg.git, reg.prefix, parse, reg.blob_cache) if reg.in_git else None
        )
        self.sources: dict[str, list[VersionSource]] = {}
        self._lazy = lazy and self._reader is not None
        if self._reader is not None and not lazy:
            self.sources = self._reader.read()
        self._resolved: dict[tuple[str, str], ResolvedVersion] = {}

    def versions_of(self, recipe_id: str) -> list[VersionSource]:
        if self._lazy and recipe_id not in self.sources:
            assert self._reader is not None
            self.sources[recipe_id] = self._reader.read([recipe_id]).get(recipe_id, [])
        return self.sources.get(recipe_id, [])

    def find(self, recipe_id: str, version: str) -> VersionSource | None:
        return next((v for v in self.versions_of(recipe_id) if v.version == version), None)

    def resolved(self, recipe_id: str, version: str) -> ResolvedVersion:
        key = (recipe_id, version)
        if key in self._resolved:
            return self._resolved[key]
        source = self.find(recipe_id, version)
        if source is None:
            raise NotFound("Recipe version", make_version_id(recipe_id, version))
        layers = self.layers(recipe_id, source.file)
        manifest, provenance = resolve(layers)
        result = ResolvedVersion(source, manifest, provenance)
        self._resolved[key] = result
        return result

    def layers(
        self, recipe_id: str, file: dict[str, Any], below: tuple[str, ...] = ()
    ) -> list[tuple[str, dict[str, Any]]]:
        """The (recipe, manifest) layers, root first, that resolve `file` of `recipe_id`.

        `below` are the recipes already walked on the way here (child first), so that a
        walk begun in the working tree counts them towards cycles and the depth limit. The
        walk is a loop, never recursion, and stops after MAX_LINEAGE_DEPTH recipes."""
        walked = list(below)
        out: list[tuple[str, dict[str, Any]]] = []
        while True:
            check_step(self.reg, walked, recipe_id)
            out.append((recipe_id, file.get("manifest") or {}))
            extends = file.get("extends")
            if not extends:
                return out[::-1]
            source = self.find(extends["recipe"], extends["version"])
            if source is None:
                raise NotFound(
                    "Recipe version", make_version_id(extends["recipe"], extends["version"])
                )
            recipe_id, file = source.recipe_id, source.file

    def record(self, recipe_id: str, index: int) -> RecipeVersion:
        """The seed's Recipe Version response for the `index`-th version of a recipe.

        Resolving and diffing is the costly part of reading history, and its result depends
        only on commits, so it is kept in the cache under a digest of the commits of every
        layer it was made from (and the registry's breaking paths)."""
        key = self._key(recipe_id, index)
        cache = self.reg.blob_cache if key else None
        if cache is not None and key:
            found = cache.get_json("version-record", key)
            if found is not None:
                return RecipeVersion.model_validate(found)
        made = self._record(recipe_id, index)
        if cache is not None and key:
            cache.put_json("version-record", key, made.model_dump(mode="json"))
        return made

    def _chain(self, recipe_id: str, version: str) -> list[str] | None:
        """`recipe@commit` of every layer a version resolves from; None when it does not resolve."""
        out: list[str] = []
        seen: set[str] = set()
        while len(out) < MAX_LINEAGE_DEPTH:
            source = self.find(recipe_id, version)
            if source is None or recipe_id in seen:
                return None
            seen.add(recipe_id)
            out.append(f"{recipe_id}@{source.commit}")
            extends = source.file.get("extends")
            if not extends:
                return out
            recipe_id, version = extends["recipe"], extends["version"]
        return None  # too deep: computed (and reported) every time, like a broken lineage

    def _key(self, recipe_id: str, index: int) -> str | None:
        versions = self.versions_of(recipe_id)
        if not (0 <= index < len(versions)) or not self.reg.in_git:
            return None
        chains = [
            self._chain(recipe_id, v.version) for v in versions[max(0, index - 1) : index + 1]
        ]
        if any(c is None for c in chains):
            return None  # a broken lineage: computed (and reported) every time
        text = json.dumps([recipe_id, index, chains, list(self.reg.settings.breaking_paths)])
        return hashlib.sha1(text.encode()).hexdigest()

    def _record(self, recipe_id: str, index: int) -> RecipeVersion:
        versions = self.versions_of(recipe_id)
        source = versions[index]
        current = self.resolved(recipe_id, source.version)
        diff = None
        if index > 0:
            prev = versions[index - 1]
            diff = manifest_diff(
                self.resolved(recipe_id, prev.version).manifest,
                current.manifest,
                prev.version,
                tuple(self.reg.settings.breaking_paths),
            )
        extends = source.file.get("extends")
        return RecipeVersion(
            version_id=make_version_id(recipe_id, source.version),
            recipe_id=recipe_id,
            version_number=source.version,
            manifest_json=current.manifest,
            diff_from_prev=diff,
            created_by=source.author_name,
            created_at=parse_iso(source.author_date),
            change_note=source.message,
            commit=source.commit,
            extends=Extends(**extends) if extends else None,
            overrides=source.file.get("manifest") if extends else None,
            bump=diff["bump"] if diff else None,
        )

    def lookup(self, recipe_id: str, ref: str) -> int:
        """The index of a version given as `ver_<stem>_v1.2.0`, `v1.2.0` or `1.2.0`."""
        m = _VERSION_REF.fullmatch(ref or "")
        if m and (m.group("stem") is None or make_version_id(recipe_id, m.group("num")) == ref):
            for i, v in enumerate(self.versions_of(recipe_id)):
                if v.version == m.group("num"):
                    return i
        raise NotFound("Recipe version", ref, hint=self.versions_hint(recipe_id))

    def versions_hint(self, recipe_id: str) -> str:
        """`recipe_x has 1.0.0, 1.1.0`: the versions that exist, for a not-found's line."""
        numbers = [v.version for v in self.versions_of(recipe_id)]
        if not numbers:
            return f"{recipe_id} has no committed version yet"
        shown = numbers if len(numbers) <= 12 else ["...", *numbers[-12:]]
        return f"{recipe_id} has {', '.join(shown)}"


def check_step(reg: Registry, walked: list[str], recipe_id: str) -> None:
    """Add `recipe_id` to a walk up a parent chain (`walked`, child first), refusing a cycle
    and a chain longer than MAX_LINEAGE_DEPTH with the file of the recipe the walk began at."""
    if recipe_id in walked:
        raise RegistryFileError(
            [
                FileProblem(
                    reg.display(layout.manifest_file(recipe_id)),
                    f"the parent chain leads back to {recipe_id}; a lineage cannot have a cycle",
                    field="extends.recipe",
                )
            ]
        )
    walked.append(recipe_id)
    if len(walked) > MAX_LINEAGE_DEPTH:
        raise LineageTooDeep(
            [
                FileProblem(
                    reg.display(layout.manifest_file(walked[0])),
                    too_deep_message(walked),
                    field="extends",
                )
            ],
            list(walked),
        )


def version_number(recipe_id: str, ref: str) -> str | None:
    """`1.2.0` from any accepted spelling of a version of `recipe_id`; None when it names another
    recipe."""
    m = _VERSION_REF.fullmatch(ref or "")
    if not m:
        return None
    if m.group("stem") is not None and make_version_id(recipe_id, m.group("num")) != ref:
        return None
    return m.group("num")


def owner_of(ref: str) -> str | None:
    """The recipe id a `ver_<stem>_v1.2.0` id names (`recipe_<stem>`)."""
    m = _VERSION_REF.fullmatch(ref or "")
    if m and m.group("stem"):
        return f"recipe_{m.group('stem')}"
    return None
