"""Runs and snapshots checked by several processes when there are many.

A large registry is mostly runs and monitoring snapshots, and reading each is the costly
part of validating it. What one such file shows by itself (its schema, id, shard,
timestamps) is checked in worker processes; what it refers to (recipes, versions, models)
is checked here, against the one shared view of recipes, models and history.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
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
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    root = str(ctx.reg.root)
    # fork: workers start with modelyard already imported, in milliseconds
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for problems, refs in pool.map(_local, [root] * len(chunks), chunks):
            ctx.out.report.problems.extend(problems)
            for ref in refs:
                records.check_run_refs(ctx, ref)
    for rel, kind, ids in items:
        if kind == "run":
            records.check_run_duplicates(ctx, rel, ids["shard"], ids["run_id"])
        else:
            records.check_snapshot_model(ctx, rel, ids["model_id"])


def _local(root: str, items: list[Item]) -> tuple[list[Problem], list[records.RunRefs]]:
    report = Report()
    ctx = Context(Registry(Path(root)), Collector(report))
    refs = []
    for rel, kind, ids in items:
        if kind == "run":
            found = records.check_run_local(ctx, rel, ids["shard"], ids["run_id"])
            if found is not None:
                refs.append(found)
        else:
            records.check_snapshot_local(ctx, rel, ids["model_id"], ids["snapshot_id"])
    return report.problems, refs
