"""Bounds on what a registry file may hold, so that no file (from a careless script or a
hostile pull request) can make a read take unbounded time or memory. Each is refused as an
error naming the file; docs/registry.md lists them."""

from __future__ import annotations

# a record file (recipe, manifest, model, run, snapshot, synthetic example, settings, template)
MAX_FILE_BYTES = 4 * 1024 * 1024
# a run's logs.txt is shown up to this many bytes (its end: where the error usually is)
MAX_LOG_BYTES = 1024 * 1024
# metrics in one run, or in one of a snapshot's metric maps
MAX_METRICS = 10_000
# recipes in one lineage chain, the recipe itself included (baseline -> industry -> client is 3)
MAX_LINEAGE_DEPTH = 32
# mappings and lists nested in one file or request body
MAX_NESTING = 64


def too_deep(value: object, limit: int) -> tuple[str | int, ...] | None:
    """The path of the first mapping or list nested deeper than `limit` in `value` (which
    counts as 1 when it is one itself), or None. Iterative, so that a hostile value cannot
    exhaust Python's recursion limit while it is being checked."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            items: list[tuple[str | int, object]] = [(str(k), v) for k, v in node.items()]
        elif isinstance(node, list):
            items = list(enumerate(node))
        else:
            continue
        if len(path) >= limit:
            return path
        stack.extend((item, (*path, key)) for key, item in items if isinstance(item, dict | list))
    return None


def nesting_message(path: tuple[str | int, ...] = ()) -> str:
    """What a value nested too deeply is told, the same words for a file and a request body;
    `path` (where the limit is crossed) is shortened, as it is MAX_NESTING keys long."""
    shown = ".".join(str(p) for p in path[:4]) + (
        f". ... ({len(path)} keys)" if len(path) > 4 else ""
    )
    where = f" at {shown}" if shown else ""
    return (
        f"mappings and lists are nested more than {MAX_NESTING} levels deep{where}; at most "
        f"{MAX_NESTING} are allowed, counting the file's (or request body's) top level"
    )
