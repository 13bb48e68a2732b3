"""Inheritance: resolving a child's overrides on top of its parent, with provenance.

Rules (docs/registry.md, "Inheritance"): mappings merge key by key, lists and scalars replace,
`null` removes a key.
"""

from __future__ import annotations

import copy
from typing import Any

Path = tuple[str, ...]


def prune_nulls(data: Any) -> Any:
    """A full manifest never holds `null`: a key set to null is the same as an absent key."""
    if isinstance(data, dict):
        return {k: prune_nulls(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [prune_nulls(v) for v in data]
    return data


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` deep-merged with `overrides` (neither is modified)."""
    out = copy.deepcopy(base)
    _merge_into(out, overrides)
    return out


def _merge_into(target: dict[str, Any], overrides: dict[str, Any]) -> None:
    for key, value in overrides.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = prune_nulls(copy.deepcopy(value))


def set_value(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """`data` with the value at a dotted path set (None removes it), by the merge rules."""
    patch: Any = value
    for key in reversed(dotted.split(".")):
        patch = {key: patch}
    return merge(data, patch)


def resolve(layers: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Resolve `[(root_id, manifest), (child_id, overrides), ...]` (root first).

    Returns the resolved manifest and its provenance: for every leaf (a scalar or a
    list), the dotted path and the id of the recipe that set it.
    """
    resolved: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    for recipe_id, layer in layers:
        _mark(layer, resolved, (), recipe_id, provenance)
        resolved = merge(resolved, layer)
    # drop provenance of leaves that a later layer removed
    live = {".".join(p) for p in leaf_paths(resolved)}
    return resolved, {path: who for path, who in sorted(provenance.items()) if path in live}


def _mark(
    layer: dict[str, Any], before: Any, prefix: Path, recipe_id: str, provenance: dict[str, str]
) -> None:
    """Record who sets what as `layer` is merged onto `before` (the manifest so far)."""
    for key, value in layer.items():
        path = (*prefix, str(key))
        dotted = ".".join(path)
        old = before.get(key) if isinstance(before, dict) else None
        if isinstance(value, dict) and isinstance(old, dict):
            # mappings merge: what the layer leaves out keeps its setter
            _mark(value, old, path, recipe_id, provenance)
            continue
        # replaced or removed: forget who set what at and beneath this path
        for gone in [p for p in provenance if p == dotted or p.startswith(dotted + ".")]:
            del provenance[gone]
        if value is None:
            continue
        if isinstance(value, dict):
            leaves = leaf_paths(prune_nulls(value), path) or [path]  # an empty mapping is a leaf
            provenance.update({".".join(p): recipe_id for p in leaves})
        else:
            provenance[dotted] = recipe_id


def leaf_paths(data: dict[str, Any], prefix: Path = ()) -> list[Path]:
    out: list[Path] = []
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and value:
            out.extend(leaf_paths(value, path))
        else:
            out.append(path)
    return out


def overrides_between(base: dict[str, Any], full: dict[str, Any]) -> dict[str, Any]:
    """The smallest overrides `o` such that `merge(base, o) == full`."""
    out: dict[str, Any] = {}
    for key, value in full.items():
        if value is None:
            continue
        if key not in base:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(base[key], dict):
            sub = overrides_between(base[key], value)
            if sub:
                out[key] = sub
        elif not same_value(base[key], value):
            out[key] = copy.deepcopy(value)
    for key in base:
        if full.get(key) is None:
            out[key] = None
    return out


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same kind: `1` and `True` differ, `1` and `1.0` do not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
