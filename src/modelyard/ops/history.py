"""Every version of every recipe, resolved, from one pass over git history."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.records import Extends, ManifestFile, RecipeVersion
from modelyard.domain.resolve import resolve
from modelyard.domain.semver import manifest_diff
from modelyard.domain.timefmt import parse_iso
from modelyard.errors import FileProblem, NotFound, RegistryFileError
from modelyard.storage import files, layout
from modelyard.storage.history import VersionSource, version_sources
from modelyard.storage.registry import Registry

_VERSION_REF = re.compile(r"^(?:ver_(?P<stem>[a-z0-9_]+)_)?v?(?P<num>\d+\.\d+\.\d+)$")


@dataclass
class ResolvedVersion:
    source: VersionSource
    manifest: dict[str, Any]
    provenance: dict[str, str]


class History:
    """All committed versions, resolved lazily and memoised."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg

        def parse(blob: bytes, recipe_id: str) -> dict[str, Any] | None:
            path = reg.display(layout.manifest_file(recipe_id))
            try:
                return files.parse_text(blob, ManifestFile, path).model_dump(mode="json")
            except RegistryFileError:
                return None

        self.sources = version_sources(reg.git, reg.prefix, parse, reg.blob_cache) if reg.in_git else {}
        self._resolved: dict[tuple[str, str], ResolvedVersion] = {}

    def versions_of(self, recipe_id: str) -> list[VersionSource]:
        return self.sources.get(recipe_id, [])

    def find(self, recipe_id: str, version: str) -> VersionSource | None:
        return next((v for v in self.versions_of(recipe_id) if v.version == version), None)

    def resolved(self, recipe_id: str, version: str, _seen: frozenset[str] = frozenset()) -> ResolvedVersion:
        key = (recipe_id, version)
        if key in self._resolved:
            return self._resolved[key]
        source = self.find(recipe_id, version)
        if source is None:
            raise NotFound("Recipe version", make_version_id(recipe_id, version))
        layers = self.layers(recipe_id, source.file, _seen)
        manifest, provenance = resolve(layers)
        result = ResolvedVersion(source, manifest, provenance)
        self._resolved[key] = result
        return result

    def layers(
        self, recipe_id: str, file: dict[str, Any], _seen: frozenset[str] = frozenset()
    ) -> list[tuple[str, dict[str, Any]]]:
        """The (recipe, manifest) layers, root first, that resolve `file` of `recipe_id`."""
        if recipe_id in _seen:
            raise RegistryFileError([FileProblem(
                self.reg.display(layout.manifest_file(recipe_id)),
                f"the parent chain leads back to {recipe_id}; a lineage cannot have a cycle",
                field="extends.recipe")])
        extends = file.get("extends")
        own = (recipe_id, file.get("manifest") or {})
        if not extends:
            return [own]
        parent = self.resolved(extends["recipe"], extends["version"], _seen | {recipe_id})
        parent_layers = self.layers(parent.source.recipe_id, parent.source.file, _seen | {recipe_id})
        return [*parent_layers, own]

    def record(self, recipe_id: str, index: int) -> RecipeVersion:
        """The seed's Recipe Version response for the `index`-th version of a recipe.

        Resolving and diffing is the costly part of reading history, and its result depends
        only on commits, so it is kept in the cache under a digest of the commits of every
        layer it was made from (and the registry's breaking paths)."""
        key = self._key(recipe_id, index)
        cache = self.reg.blob_cache if key else None
        if cache is not None and key:
            try:
                found = cache.get_json("version-record", key)
            except sqlite3.Error:
                cache = None
            else:
                if found is not None:
                    return RecipeVersion.model_validate(found)
        made = self._record(recipe_id, index)
        if cache is not None and key:
            cache.put_json("version-record", key, made.model_dump(mode="json"))
        return made

    def _chain(self, recipe_id: str, version: str, seen: frozenset[str] = frozenset()) -> list[str] | None:
        """`recipe@commit` of every layer a version resolves from; None when it does not resolve."""
        source = self.find(recipe_id, version)
        if source is None or recipe_id in seen:
            return None
        extends = source.file.get("extends")
        if not extends:
            return [f"{recipe_id}@{source.commit}"]
        parent = self._chain(extends["recipe"], extends["version"], seen | {recipe_id})
        return None if parent is None else [f"{recipe_id}@{source.commit}", *parent]

    def _key(self, recipe_id: str, index: int) -> str | None:
        versions = self.versions_of(recipe_id)
        if not (0 <= index < len(versions)) or not self.reg.in_git:
            return None
        chains = [self._chain(recipe_id, v.version) for v in versions[max(0, index - 1) : index + 1]]
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
        raise NotFound("Recipe version", ref)


def version_number(recipe_id: str, ref: str) -> str | None:
    """`1.2.0` from any accepted spelling of a version of `recipe_id`; None when it names another recipe."""
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
