"""Checking every file of a registry, reading again only what changed since the last check.

A large registry is mostly runs and monitoring snapshots, and what one of those files shows by
itself (its YAML, its schema, its id against its path, its timestamps) depends only on its path
and its content. That outcome is kept in the derived index under the file's git blob id
(storage/verdicts.py, keyed also by a digest of the code that checks), so a file whose content
is HEAD's and was checked before is not read, parsed or validated again. What such a file
refers to (its recipe, recipe version and model; another run with its id) is checked every
time, against the working tree as it is: one check for each distinct (recipe, version, model)
that runs name, not one per run.

Everything else (settings, recipes, manifests, models, files in the wrong place) is checked
as it always was; the answer is the same with and without the stored outcomes
(tests/test_validate_whole.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from modelyard.domain.ids import is_valid_id
from modelyard.errors import GitError
from modelyard.storage import layout
from modelyard.storage.verdicts import Known, Verdicts
from modelyard.validate import parallel, records, templates, tree
from modelyard.validate.context import Context
from modelyard.validate.files import check_file, names_ok
from modelyard.validate.report import Collector, Problem, Report

KEPT = ("run", "snapshot")  # the kinds whose own checks are kept
UNCHANGED = ("recipe", "manifest", "model", "synthetic")  # read from the index when unchanged
_STORE_BATCH = 5000


def code_key() -> str:
    """A digest of everything a file's own checks depend on: validation, the records and
    their readers, and the versions of pydantic and PyYAML (libyaml or not)."""
    import pydantic_core
    import yaml

    src = Path(__file__).resolve().parent.parent
    digest = hashlib.sha1(
        f"{pydantic_core.__version__} {yaml.__version__} {yaml.__with_libyaml__}".encode()
    )
    folders = ("validate", "domain")
    paths = sorted(p for f in folders for p in (src / f).glob("*.py"))
    paths += [src / "errors.py"]
    paths += [src / "storage" / n for n in ("yamlio.py", "files.py", "layout.py", "safefs.py")]
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def check_all(ctx: Context, workers: int | None) -> int:
    """Every check of every file; returns how many files there are."""
    reg = ctx.reg
    store = Verdicts.of(reg.blob_cache, code_key()) if reg.in_git else None
    if store is not None:
        store.start()  # git stats the files while the tree is listed
    files = ctx.tree.all_files()
    count = len(files)
    templates.check_templates(ctx)
    pending = {rel for rel in files if not templates.is_template_path(rel)}
    del files
    blobs: dict[str, str] = {}  # HEAD's files to check now, whose outcome is worth keeping
    if store is not None:
        try:
            store.dirty()
        except GitError:  # git cannot say what changed (a broken index): check every file
            store = None
    if store is not None:
        _take_unchanged(ctx, store)
        reuse = _Reuse(ctx)
        for page in store.known(KEPT):
            reuse.take(page, pending, blobs)
    others: list[str] = []
    many: list[parallel.Item] = []
    for rel in sorted(pending):
        kind = layout.kind_of(rel)
        if kind is not None and kind[0] in KEPT:
            many.append((rel, kind[0], kind[1]))
        else:
            others.append(rel)
    del pending
    pool = parallel.worker_count(len(many), workers)
    if pool == 1:
        # as check_file does it: a link is reported and never read
        links = ctx.tree.links or set()
        linked = {rel for rel, _, _ in many if rel in links}
        for rel in sorted(linked):
            check_file(ctx, rel, walked=True)
        many = [item for item in many if item[0] not in linked]
    named = [(rel, kind, ids) for rel, kind, ids in many if names_ok(ctx, rel, kind, ids)]
    del many
    rows = _record(ctx, parallel.local_results(ctx, named, pool), blobs)
    if store is None:
        for _ in rows:
            pass
    else:
        stored = False
        for batch in _batches(rows, _STORE_BATCH):
            store.store(batch)
            stored = True
        if stored:
            store.prune()
    for rel in others:
        check_file(ctx, rel, walked=True)
    return count


def _take_unchanged(ctx: Context, store: Verdicts) -> None:
    """Recipes, manifests, models and synthetic examples that hold HEAD's content are read
    from the derived index (parsed once per blob, ever) rather than parsed again; their
    checks all run."""
    for kind in UNCHANGED:
        ctx.tree.unchanged.update(store.unchanged(kind, tree.MODELS_OF_KIND[kind]))


# -- files checked now ------------------------------------------------------------------------
def _record(
    ctx: Context,
    fresh: Iterable[parallel.Result],
    blobs: dict[str, str],
) -> Iterator[tuple[str, str, str, str | None]]:
    """Report what `fresh` found, check what it refers to, and yield the rows worth keeping:
    those of files whose content is HEAD's."""
    for item, problems, refs, read in fresh:
        parallel.report_item(ctx, item, problems, refs)
        rel = item[0]
        blob = blobs.get(rel)
        shown = ctx.display(rel)
        # kept only when the bytes checked are HEAD's: a file edited after git looked at it
        # is reported as it is, and never remembered under HEAD's content (a repository of
        # SHA-256 objects keeps nothing: the files are hashed with SHA-1)
        if blob is not None and read == blob and all(p.file == shown for p in problems):
            extra = (
                json.dumps([refs.recipe_id, refs.recipe_version_id, refs.model_id])
                if refs is not None
                else None
            )
            yield rel, blob, _dump(problems), extra


def _dump(problems: list[Problem]) -> str:
    if not problems:
        return ""
    return json.dumps(
        [[p.severity, p.code, p.message, p.line, p.column, p.field] for p in problems],
        separators=(",", ":"),
    )


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- files checked before -------------------------------------------------------------------
class _Reuse:
    """What stored outcomes say, and the checks of what those files refer to, made once for
    each distinct reference (a model's runs all name the same recipe, version and model)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.refs_ok: dict[str, bool] = {}  # by the stored references, as text
        self.models: dict[str, bool] = {}  # whether a model exists, by id
        self.duplicated: set[str] | None = None  # run ids in more than one shard folder
        self.scratch: Context | None = None

    def take(self, page: list[Known], pending: set[str], blobs: dict[str, str]) -> None:
        """Use what is stored for the files of `page` still `pending` (taking them out of it);
        a file checked never before goes into `blobs` instead, to be checked now."""
        for rel, blob, kind, a, b, found, extra in page:
            if rel not in pending:  # hidden, or not on disk (outside a sparse checkout)
                continue
            if found is None:
                blobs[rel] = blob
                continue
            pending.discard(rel)
            if kind == "run":
                self._run(rel, a, b, found, extra)
            else:
                self._snapshot(rel, a, b, found)

    def _report(self, rel: str, found: str) -> None:
        shown = self.ctx.display(rel)
        self.ctx.out.report.problems.extend(
            Problem(sev, code, shown, message, line, column, field)
            for sev, code, message, line, column, field in json.loads(found)
        )

    def _snapshot(self, rel: str, model_id: str, snapshot_id: str, found: str) -> None:
        ctx = self.ctx
        ids = {"model_id": model_id, "snapshot_id": snapshot_id}
        if not (is_valid_id(model_id) and is_valid_id(snapshot_id)) and not names_ok(
            ctx, rel, "snapshot", ids
        ):
            return
        if found:
            self._report(rel, found)
        exists = self.models.get(model_id)
        if exists is None:
            exists = self.models[model_id] = ctx.tree.model(model_id) is not None
        if not exists:
            records.check_snapshot_model(ctx, rel, model_id)

    def _run(self, rel: str, shard: str, run_id: str, found: str, extra: str | None) -> None:
        # a run's id is valid, or HEAD's listing would not call it a run (cache_rows.classify)
        ctx = self.ctx
        if found:
            self._report(rel, found)
        if self.duplicated is None:
            index = ctx.tree.run_index()
            self.duplicated = {rid for rid, shards in index.items() if len(shards) > 1}
        if run_id in self.duplicated:
            records.check_run_duplicates(ctx, rel, shard, run_id)
        if extra is None:
            return
        ok = self.refs_ok.get(extra)
        if ok is None:
            recipe_id, version_id, model_id = json.loads(extra)
            probe = records.RunRefs(
                rel, recipe_id, version_id, model_id, dict.fromkeys(records.REF_FIELDS)
            )
            ok = self.refs_ok[extra] = not _finds_problems(ctx, records.check_run_refs, probe)
        if not ok:
            # rare: a run that refers to something missing, read again for the lines to show
            if self.scratch is None:
                self.scratch = Context(ctx.reg, Collector(Report()))
            refs = records.check_run_local(self.scratch, rel, shard, run_id)
            if refs is not None:
                records.check_run_refs(ctx, refs)


def _finds_problems(ctx: Context, check: Any, *args: Any) -> bool:
    """Whether `check(ctx, *args)` reports anything, without reporting it."""
    saved = ctx.out
    ctx.out = Collector(Report())
    try:
        check(ctx, *args)
        return bool(ctx.out.report.problems)
    finally:
        ctx.out = saved
