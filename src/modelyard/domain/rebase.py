"""Rebasing a child recipe onto a new version of its parent: a three-way merge.

The three sides are resolved manifests: `base`, the parent at the child's old pin;
`theirs`, the parent at the new version; `ours`, the child as it resolves now (the old
parent with the child's overrides). At every path (docs/manifest.md, "Rebasing a child"):

- ours equals base: the child did not change it, so the parent's new value is taken;
- theirs equals base: the parent did not change it, so the child's value is kept;
- ours equals theirs: both made the same change;
- otherwise both changed it differently: mappings are merged key by key, lists by the
  registry's declared mode for that path, anything else is a conflict that only an
  explicit resolution settles.

`None` stands for "absent": a resolved manifest never holds null.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from modelyard.domain.resolve import same_value

REPLACE = "replace"
APPEND = "append"


@dataclass(frozen=True)
class ListMode:
    """How a list at one path merges: `replace` (whole, the default), `append` (items either
    side added are kept, items either side removed are dropped) or by key (`key` names the
    field that identifies an item of a list of mappings)."""

    kind: str = REPLACE
    key: str | None = None


@dataclass
class Change:
    """One path where the sides differ. `case` is `child` (only the child changed it: kept),
    `parent` (only the parent changed it: followed), `same` (both changed it the same way),
    `merged` (a list merged by its mode) or `conflict`."""

    path: str
    case: str
    base: Any
    ours: Any
    theirs: Any
    result: Any = None
    resolved_by: str | None = None  # for a conflict: `ours`, `theirs` or `value`

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "case": self.case,
            "base": self.base,
            "ours": self.ours,
            "theirs": self.theirs,
            "result": self.result,
            "resolved_by": self.resolved_by,
        }


@dataclass
class Merge:
    manifest: dict[str, Any]
    changes: list[Change] = field(default_factory=list)

    @property
    def conflicts(self) -> list[Change]:
        return [c for c in self.changes if c.case == "conflict"]

    @property
    def unresolved(self) -> list[Change]:
        return [c for c in self.conflicts if c.resolved_by is None]


@dataclass(frozen=True)
class Resolution:
    """How a conflict at `path` (or beneath it) is settled: `ours`, `theirs`, or `value`
    with the value to use."""

    side: str
    value: Any = None


def three_way(
    base: dict[str, Any],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    list_modes: dict[str, ListMode] | None = None,
    resolutions: dict[str, Resolution] | None = None,
) -> Merge:
    """The merged manifest and every path where the sides differ, conflicts included.

    A conflict with a resolution at its path or an enclosing one takes that side (or
    value); one without keeps the child's value in `manifest` and stays unresolved, so a
    caller must refuse to write while `unresolved` is not empty."""
    merger = _Merger(list_modes or {}, resolutions or {})
    merged = merger.node((), base, ours, theirs)
    return Merge(merged if isinstance(merged, dict) else {}, merger.changes)


class _Merger:
    def __init__(self, list_modes: dict[str, ListMode], resolutions: dict[str, Resolution]):
        self.list_modes = list_modes
        self.resolutions = resolutions
        self.changes: list[Change] = []

    def node(self, path: tuple[str, ...], base: Any, ours: Any, theirs: Any) -> Any:
        dotted = ".".join(path)
        if isinstance(base, dict) and isinstance(ours, dict) and isinstance(theirs, dict):
            # key by key, so that every change is reported at the value it touches
            return self._mapping(path, base, ours, theirs)
        if _same(ours, theirs):
            if path and not _same(ours, base):
                self.changes.append(Change(dotted, "same", base, ours, theirs, _copy(ours)))
            return _copy(ours)
        if _same(ours, base):
            self.changes.append(Change(dotted, "parent", base, ours, theirs, _copy(theirs)))
            return _copy(theirs)
        if _same(theirs, base):
            self.changes.append(Change(dotted, "child", base, ours, theirs, _copy(ours)))
            return _copy(ours)
        present = [v for v in (base, ours, theirs) if v is not None]
        if all(isinstance(v, dict) for v in present):
            return self._mapping(path, base, ours, theirs)
        mode = self.list_modes.get(dotted)
        if mode is not None and mode.kind != REPLACE and all(isinstance(v, list) for v in present):
            merged = (
                _append(base or [], ours or [], theirs or [])
                if mode.kind == APPEND
                else self._by_key(path, mode.key or "", base or [], ours or [], theirs or [])
            )
            if merged is not None:
                self.changes.append(Change(dotted, "merged", base, ours, theirs, merged))
                return merged
        return self._conflict(path, base, ours, theirs)

    def _mapping(
        self, path: tuple[str, ...], base: Any, ours: Any, theirs: Any
    ) -> dict[str, Any] | None:
        b, o, t = base or {}, ours or {}, theirs or {}
        out: dict[str, Any] = {}
        # the parent's order, then what only the child (or only the old parent) has
        keys = [*t, *(k for k in o if k not in t), *(k for k in b if k not in t and k not in o)]
        for key in keys:
            value = self.node((*path, str(key)), b.get(key), o.get(key), t.get(key))
            if value is not None:
                out[key] = value
        # a mapping one side removed stays removed once nothing is left in it
        if not out and (ours is None or theirs is None):
            return None
        return out

    def _by_key(
        self, path: tuple[str, ...], key: str, base: list[Any], ours: list[Any], theirs: list[Any]
    ) -> list[Any] | None:
        """Lists of mappings merged item by item, items matched by their `key` field; None
        (so a conflict on the whole list) when an item lacks the key or a key repeats."""
        sides = [_keyed(items, key) for items in (base, ours, theirs)]
        if any(s is None for s in sides):
            return None
        b, o, t = (s for s in sides if s is not None)
        out = []
        for ident in [*t, *(k for k in o if k not in t)]:
            value = self.node((*path, ident), b.get(ident), o.get(ident), t.get(ident))
            if value is not None:
                out.append(value)
        return out

    def _conflict(self, path: tuple[str, ...], base: Any, ours: Any, theirs: Any) -> Any:
        dotted = ".".join(path)
        change = Change(dotted, "conflict", base, ours, theirs, _copy(ours))
        resolution = self._resolution(path)
        if resolution is not None:
            change.resolved_by = resolution.side
            if resolution.side == "theirs":
                change.result = _copy(theirs)
            elif resolution.side == "value":
                change.result = _copy(resolution.value)
        self.changes.append(change)
        return change.result

    def _resolution(self, path: tuple[str, ...]) -> Resolution | None:
        # the most specific resolution wins: `--ours model --theirs model.algorithm`
        for n in range(len(path), 0, -1):
            found = self.resolutions.get(".".join(path[:n]))
            if found is not None:
                return found
        return None


def _keyed(items: list[Any], key: str) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or key not in item or str(item[key]) in out:
            return None
        out[str(item[key])] = item
    return out


def _append(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    """The parent's new list, then what the child added; without what either side removed."""

    def has(items: list[Any], x: Any) -> bool:
        return any(_same(x, y) for y in items)

    removed_by_child = [x for x in base if not has(ours, x)]
    out = [x for x in theirs if not has(removed_by_child, x)]
    out += [x for x in ours if not has(base, x) and not has(out, x)]
    return _copy(out)


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return same_value(a, b)


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)
