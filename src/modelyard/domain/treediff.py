"""What differs between two YAML documents, in deepdiff's terms, without importing deepdiff
for the common case.

deepdiff (with numpy, which it loads when installed) costs about 0.3 s to import, more than
the rest of a one-recipe review. Manifests are dicts of dicts and scalars, and deepdiff's
answer for those is simple: a key added or removed, a value changed, a type changed, and one
rule of its own (a dict whose two sides share under a third of their keys is reported as one
changed value, `threshold_to_diff_deeper`). That part is walked here; where two lists differ,
and for any value that is not a dict, list, string, number, bool or null, deepdiff itself
answers, so the result is deepdiff's (tests/test_treediff.py compares the two).
"""

from __future__ import annotations

from typing import Any

# deepdiff's report names for what this module finds
ADDED = "dictionary_item_added"
REMOVED = "dictionary_item_removed"
CHANGED = "values_changed"
TYPE = "type_changes"
ITEM_ADDED = "iterable_item_added"
ITEM_REMOVED = "iterable_item_removed"

_SCALARS = (str, int, float, bool, type(None))
_DEEPER = 0.33  # deepdiff's default threshold_to_diff_deeper

Change = tuple[list[Any], Any, Any]  # path, old value, new value (None where there is none)


class _Unknown(Exception):
    """A value this walker does not handle: deepdiff compares the whole documents."""


def changes(old: Any, new: Any) -> dict[str, list[Change]]:
    """Every difference from `old` to `new`, by deepdiff report name (`view="tree"`,
    `ignore_order=False`): each a path (keys and list indexes), the old and the new value."""
    out: dict[str, list[Change]] = {}
    try:
        _walk(old, new, [], out)
    except _Unknown:
        out = {}
        _deep(old, new, [], out)
    return out


def _walk(a: Any, b: Any, path: list[Any], out: dict[str, list[Change]]) -> None:
    if a is b:
        return
    kind = type(a)
    if kind is not dict and kind is not list and kind not in _SCALARS:
        raise _Unknown
    if type(b) is not kind:
        if type(b) is not dict and type(b) is not list and type(b) not in _SCALARS:
            raise _Unknown
        out.setdefault(TYPE, []).append((path, a, b))
        return
    if kind is dict:
        _walk_dict(a, b, path, out)
    elif kind is list:
        if not _same(a, b):
            _deep(a, b, path, out)
    elif a != b:
        out.setdefault(CHANGED, []).append((path, a, b))


def _walk_dict(
    a: dict[Any, Any], b: dict[Any, Any], path: list[Any], out: dict[str, list[Change]]
) -> None:
    common = [k for k in b if k in a]
    union = len(a) + len(b) - len(common)
    if union > 1 and len(common) / union < _DEEPER:
        out.setdefault(CHANGED, []).append((path, a, b))
        return
    for key in b:
        if key not in a:
            out.setdefault(ADDED, []).append(([*path, key], None, b[key]))
    for key in a:
        if key not in b:
            out.setdefault(REMOVED, []).append(([*path, key], a[key], None))
    for key in common:
        _walk(a[key], b[key], [*path, key], out)


def _same(a: Any, b: Any) -> bool:
    """Equal all the way down with the same types (so that deepdiff finds nothing): 1 and 1.0,
    or True and 1, are not the same here, though Python's == says they are."""
    if a is b:
        return True
    kind = type(a)
    if type(b) is not kind:
        return False
    if kind is dict:
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if kind is list:
        return len(a) == len(b) and all(map(_same, a, b))
    if kind in _SCALARS:
        return bool(a == b)
    raise _Unknown


def _deep(a: Any, b: Any, path: list[Any], out: dict[str, list[Change]]) -> None:
    """deepdiff's own answer for `a` and `b`, its paths under `path`."""
    from deepdiff import DeepDiff

    tree = DeepDiff(a, b, view="tree", ignore_order=False)
    for report in (ADDED, REMOVED, CHANGED, TYPE, ITEM_ADDED, ITEM_REMOVED):
        for level in tree.get(report, []):
            where = [*path, *level.path(output_format="list")]
            old = None if report in (ADDED, ITEM_ADDED) else level.t1
            new = None if report in (REMOVED, ITEM_REMOVED) else level.t2
            out.setdefault(report, []).append((where, old, new))
