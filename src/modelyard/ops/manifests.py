"""Resolved manifests of the working tree, and checking a full manifest against its schema."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from modelyard.domain.lineage import too_deep_message
from modelyard.domain.manifest import Manifest, check_family_section
from modelyard.domain.records import ManifestFile
from modelyard.domain.resolve import resolve
from modelyard.errors import FieldError, LineageTooDeep, NotFound, ValidationFailed
from modelyard.ops.common import field_errors
from modelyard.ops.history import History, check_step
from modelyard.storage import layout
from modelyard.storage.registry import Registry


class Resolver:
    """Resolves recipes as they are in the working tree, reading git history only when a
    pin names a parent version other than the parent's current one.

    Without a `history`, one is made when first needed: recipe by recipe (`lazy`, the
    default: a write reads only the recipes it touches) or all in one pass. With `memo`, each
    manifest file is read once (for a reader of a working tree nobody changes meanwhile:
    `modelyard validate` resolves a parent once for each of its descendants)."""

    def __init__(
        self, reg: Registry, history: History | None = None, lazy: bool = True, memo: bool = False
    ) -> None:
        self.reg = reg
        self._history = history
        self._lazy = lazy
        self._memo: dict[str, ManifestFile | None] | None = {} if memo else None

    def _manifest(self, recipe_id: str) -> ManifestFile | None:
        """The working tree's manifest of a recipe, None when it has none (a broken file
        raises, every time)."""
        if self._memo is not None and recipe_id in self._memo:
            return self._memo[recipe_id]
        found = self.reg.read(layout.manifest_file(recipe_id), ManifestFile)
        if self._memo is not None:
            self._memo[recipe_id] = found
        return found

    @property
    def history(self) -> History:
        if self._history is None:
            self._history = History(self.reg, lazy=self._lazy)
        return self._history

    def layers(
        self, recipe_id: str, below: tuple[str, ...] = ()
    ) -> list[tuple[str, dict[str, Any]]]:
        """The (recipe, manifest) layers, root first, of `recipe_id`'s current version.

        A loop up the chain, not recursion: `below` (child first) are recipes walked already
        or about to be made, counted towards cycles and MAX_LINEAGE_DEPTH."""
        walked = list(below)
        out: list[tuple[str, dict[str, Any]]] = []
        while True:
            check_step(self.reg, walked, recipe_id)
            mf = self._manifest(recipe_id)
            if mf is None:
                raise NotFound("Recipe manifest", recipe_id)
            out.append((recipe_id, mf.manifest))
            if mf.extends is None:
                return out[::-1]
            parent_id, version = mf.extends.recipe, mf.extends.version
            parent_mf = self._manifest(parent_id)
            if parent_mf is None or parent_mf.version != version:
                # pinned to an older version: the rest of the chain is in git history
                return [*self._committed(parent_id, version, tuple(walked)), *out[::-1]]
            recipe_id = parent_id

    def parent_layers(
        self, parent_id: str, version: str, below: tuple[str, ...] = ()
    ) -> list[tuple[str, dict[str, Any]]]:
        """Layers of `parent_id` at `version`: from the working tree when that is its current
        version."""
        parent_mf = self._manifest(parent_id)
        if parent_mf is not None and parent_mf.version == version:
            return self.layers(parent_id, below)
        return self._committed(parent_id, version, below)

    def _committed(
        self, recipe_id: str, version: str, below: tuple[str, ...]
    ) -> list[tuple[str, dict[str, Any]]]:
        source = self.history.find(recipe_id, version)
        if source is None:
            raise NotFound("Recipe version", f"{recipe_id} {version}")
        return self.history.layers(recipe_id, source.file, below)

    def layers_for_child(
        self, child_id: str, parent_id: str, version: str | None, loc: tuple[str | int, ...]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The parent's layers (at `version`, or its current one) with the child counted in the
        chain: a child that would make it longer than MAX_LINEAGE_DEPTH is a 422 on `loc`."""
        try:
            if version is None:
                return self.layers(parent_id, below=(child_id,))
            return self.parent_layers(parent_id, version, below=(child_id,))
        except LineageTooDeep as exc:
            raise ValidationFailed(
                [FieldError(loc, too_deep_message(exc.chain, would=True), "value_error.lineage")]
            ) from None

    def current(self, recipe_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        """The resolved manifest of a recipe's current version and who set each value."""
        return resolve(self.layers(recipe_id))

    def at(self, recipe_id: str, version: str) -> dict[str, Any]:
        """The resolved manifest of `recipe_id` at `version` (working tree when current)."""
        return resolve(self.parent_layers(recipe_id, version))[0]


def normalized_manifest(
    full: dict[str, Any], family: str, loc: tuple[str | int, ...]
) -> dict[str, Any]:
    """A full manifest checked against its schema and stored as the schema reads it: a
    number sent as text (`"0.2"`) becomes a number, `365.0` for a whole number `365`;
    only the keys given, typed sections in the schema's order, free-form places as given."""
    return check_manifest(full, family, loc).model_dump(mode="json", exclude_unset=True)


def check_manifest(full: dict[str, Any], family: str, loc: tuple[str | int, ...]) -> Manifest:
    """A full manifest as the typed model, or the seed's 422 naming each bad field."""
    try:
        parsed = Manifest.model_validate(full)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, loc)) from None
    problems = check_family_section(parsed, family)
    if problems:
        raise ValidationFailed([FieldError(loc, p, "value_error.family_section") for p in problems])
    return parsed
