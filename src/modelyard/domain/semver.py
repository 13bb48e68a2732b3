"""Versions: the semantic difference between two manifests and the bump it demands.

`diff_from_prev` has this JSON form (docs/registry.md):

    {"from_version": "1.1.0", "bump": "minor",
     "changes": [{"op": "add" | "remove" | "change" | "type_change",
                  "path": ["features", "promo_flag"], "path_text": "features.promo_flag",
                  "old": ..., "new": ..., "bump": "minor"}]}
"""

from __future__ import annotations

from typing import Any

from modelyard.domain import treediff
from modelyard.domain.records import SEMVER

BUMPS = ("patch", "minor", "major")
_RANK = {name: i for i, name in enumerate(BUMPS)}


def parse(version: str) -> tuple[int, int, int]:
    m = SEMVER.fullmatch(version)
    if not m:
        raise ValueError(f"{version!r} is not a version of the form MAJOR.MINOR.PATCH")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def bump(version: str, kind: str) -> str:
    major, minor, patch = parse(version)
    if kind == "major":
        return f"{major + 1}.0.0"
    if kind == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def bump_between(old: str, new: str) -> str | None:
    """Which part went up from `old` to `new` (None when `new` is not greater)."""
    a, b = parse(old), parse(new)
    if b <= a:
        return None
    if b[0] > a[0]:
        return "major"
    if b[1] > a[1]:
        return "minor"
    return "patch"


def larger(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if _RANK[a] >= _RANK[b] else b


def at_least(actual: str | None, required: str | None) -> bool:
    if required is None:
        return True
    return actual is not None and _RANK[actual] >= _RANK[required]


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _text(path: list[Any]) -> str:
    return ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path).replace(".[", "[")


def _touches(path: list[Any], breaking: list[tuple[str, ...]]) -> bool:
    """A change at `path` touches a breaking path when it lies inside it or encloses it
    (adding or removing a whole section that holds it)."""
    keys = tuple(str(p) for p in path)
    return any(keys[: len(b)] == b or b[: len(keys)] == keys for b in breaking if keys)


_OPS = {
    "dictionary_item_added": ("add", "minor"),
    "iterable_item_added": ("add", "minor"),
    "dictionary_item_removed": ("remove", "major"),
    "iterable_item_removed": ("remove", "major"),
    "values_changed": ("change", "patch"),
    "type_changes": ("type_change", "major"),
}


def manifest_diff(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    from_version: str | None = None,
    breaking_paths: tuple[str, ...] = ("target", "features"),
) -> dict[str, Any] | None:
    """The semantic difference between two resolved manifests (None when there is no previous
    one)."""
    if old is None:
        return None
    # deepdiff's answer; deepdiff itself is imported only where two lists differ
    found = treediff.changes(old, new)
    breaking = [tuple(p.split(".")) for p in breaking_paths if p]
    changes: list[dict[str, Any]] = []
    for report, (report_op, report_kind) in _OPS.items():
        for path, t1, t2 in found.get(report, []):
            op, kind = report_op, report_kind
            if op == "type_change" and _is_number(t1) and _is_number(t2):
                if t1 == t2:
                    continue  # 1 and 1.0 are the same number
                op, kind = "change", "patch"  # 1 -> 1.5 is a new value, not a new type
            if _touches(path, breaking):
                kind = "major"
            changes.append(
                {
                    "op": op,
                    "path": path,
                    "path_text": _text(path),
                    "old": t1,
                    "new": t2,
                    "bump": kind,
                }
            )
    changes.sort(key=lambda c: [str(p) for p in c["path"]])
    overall: str | None = None
    for change in changes:
        overall = larger(overall, change["bump"])
    return {"from_version": from_version, "bump": overall, "changes": changes}
