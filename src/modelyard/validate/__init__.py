"""`modelyard validate`: every problem of a registry, or of a change to it, in one report.

from modelyard.validate import run
report = run(reg)                          # the whole tree
report = run(reg, paths=["recipes/x"])     # these files, and what depends on them
report = run(reg, base="origin/main")      # what changed since the base, and its dependants
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from modelyard.storage.registry import Registry
from modelyard.validate import base as base_rules
from modelyard.validate import parallel, templates
from modelyard.validate.context import Context
from modelyard.validate.files import check_file, expand, files_under, names_ok
from modelyard.validate.report import Collector, Problem, RecipeChange, Report

__all__ = ["Problem", "RecipeChange", "Report", "run"]


def run(
    reg: Registry,
    paths: Iterable[str | os.PathLike[str]] | None = None,
    base: str | None = None,
    workers: int | None = None,
) -> Report:
    """Check the registry and return every problem found.

    Without `paths` and `base` every file is checked. `paths` (files or folders, absolute or
    relative to the registry) and `base` (a git ref) narrow the in-depth checks to those files,
    the files changed since `base`, and what depends on them (children and models of a changed
    recipe, runs of a changed model); `base` adds the rules about changes (version bumps,
    fields that never change, status lifecycles, deletions). Thousands of runs and snapshots
    are read by `workers` processes (default: one per core, up to 4).
    """
    report = Report(base=base)
    ctx = Context(reg, Collector(report), lazy=paths is not None or base is not None)
    if paths is None and base is None:
        # every file: each file's own checks are kept in the derived index (validate/whole.py)
        from modelyard.validate import whole

        report.checked_files = whole.check_all(ctx, workers)
        return report
    try:
        report.checked_files = _check(ctx, report, paths, base, workers)
    finally:
        # a git started for a question the check did not ask after all (validate/base.py)
        reg.git.stop_started()
    return report


def _check(
    ctx: Context,
    report: Report,
    paths: Iterable[str | os.PathLike[str]] | None,
    base: str | None,
    workers: int | None,
) -> int:
    """The files given, those changed since `base`, and what depends on them; returns how
    many files were checked."""
    reg = ctx.reg
    scope: set[str] = set()
    paths = None if paths is None else list(paths)
    # judged before `expand`, which drops a link to a folder (`templates/` linked elsewhere)
    check_templates = paths is not None and templates.named_in(reg.root, paths)
    if paths is not None:
        scope |= files_under(ctx, paths)[0]
    if base is not None:
        changed = base_rules.compare(ctx, base)
        report.changed_files = [reg.display(rel) for rel in changed]
        scope |= set(changed)
        check_templates = check_templates or any(templates.is_template_path(r) for r in changed)
    scope = expand(ctx, scope)
    if check_templates:
        # few files, checked together: a link anywhere among them is found however it came
        templates.check_templates(ctx)
    checked = len(scope)
    scope = {rel for rel in scope if not templates.is_template_path(rel)}
    others, many = parallel.split(sorted(scope))
    pool = parallel.worker_count(len(many), workers)
    if pool > 1:
        others.sort()
        named = [(rel, kind, ids) for rel, kind, ids in many if names_ok(ctx, rel, kind, ids)]
        parallel.check_many(ctx, named, pool)
    else:
        others = sorted(scope)
    for rel in others:
        check_file(ctx, rel)
    return checked
