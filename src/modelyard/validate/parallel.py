"""Runs and snapshots checked by several processes when there are many.

A large registry is mostly runs and monitoring snapshots, and reading each is the costly
part of validating it. What one such file shows by itself (its schema, id, shard,
timestamps) is checked in worker processes; what it refers to (recipes, versions, models)
is checked here, against the one shared view of recipes, models and history.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

from modelyard.storage import layout
from modelyard.storage.registry import Registry
from modelyard.validate import records
from modelyard.validate.context import Context
from modelyard.validate.report import Collector, Problem, Report

# below this many run and snapshot files, starting processes costs more than it saves
PARALLEL_MIN = 4000
CHUNK = 2000
ENV_WORKERS = "MODELYARD_VALIDATE_WORKERS"

Item = tuple[str, str, dict[str, str]]  # (registry-relative path, kind, ids from the path)


def worker_count(items: int, requested: int | None = None) -> int:
    """How many processes to use: `requested`, else $MODELYARD_VALIDATE_WORKERS, else one per
    core up to 4; 1 (no pool) when there are too few files to be worth it."""
    if requested is None:
        env = os.environ.get(ENV_WORKERS, "")
        requested = int(env) if env.isdigit() else min(os.cpu_count() or 1, 4)
    return requested if requested > 1 and items >= PARALLEL_MIN else 1


def split(rels: list[str]) -> tuple[list[str], list[Item]]:
    """(other files, run and snapshot files with their kinds)."""
    others: list[str] = []
    many: list[Item] = []
    for rel in rels:
        found = layout.kind_of(rel)
        if found is not None and found[0] in ("run", "snapshot"):
            many.append((rel, found[0], found[1]))
        else:
            others.append(rel)
    return others, many


def check_many(ctx: Context, items: list[Item], workers: int) -> None:
    """Every check of `items` (runs and snapshots, with valid ids in their paths)."""
    for item, problems, refs, _ in local_results(ctx, items, workers):
        report_item(ctx, item, problems, refs)


def report_item(
    ctx: Context, item: Item, problems: list[Problem], refs: records.RunRefs | None
) -> None:
    """Report what one file showed by itself, and check what it refers to."""
    rel, kind, ids = item
    ctx.out.report.problems.extend(problems)
    if kind == "run":
        records.check_run_duplicates(ctx, rel, ids["shard"], ids["run_id"])
        if refs is not None:
            records.check_run_refs(ctx, refs)
    else:
        records.check_snapshot_model(ctx, rel, ids["model_id"])


# a file, what it showed by itself, a run's references, and the git blob id (SHA-1) of the
# bytes that were checked (None when it was not read)
Result = tuple[Item, list[Problem], records.RunRefs | None, str | None]


def local_results(ctx: Context, items: list[Item], workers: int) -> Iterator[Result]:
    """What each of `items` shows by itself (its problems, and a run's references), file by
    file in the order given: from `workers` processes when more than one, else here."""
    if workers <= 1:
        yield from _local_items(ctx.reg, items)
        return
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    root = str(ctx.reg.root)
    import multiprocessing  # imported only when there are many files to check
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers start with modelyard already imported, in milliseconds; frozen, the
    # parent's objects are never visited by a worker's garbage collector, so their memory
    # pages stay shared instead of being copied into every worker
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for results in pool.map(_local, [root] * len(chunks), chunks):
                yield from results
    finally:
        gc.unfreeze()


def _local(root: str, items: list[Item]) -> list[Result]:
    return list(_local_items(Registry(Path(root)), items))


def _local_items(reg: Registry, items: list[Item]) -> Iterator[Result]:
    report = Report()
    ctx = Context(reg, Collector(report))
    ctx.tree.blobs = {}
    for item in items:
        rel, kind, ids = item
        refs = None
        if kind == "run":
            refs = records.check_run_local(ctx, rel, ids["shard"], ids["run_id"])
        else:
            records.check_snapshot_local(ctx, rel, ids["model_id"], ids["snapshot_id"])
        yield item, report.problems, refs, ctx.tree.blobs.pop(rel, None)
        report.problems = []
