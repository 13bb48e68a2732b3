"""A rebuild that reads only what changed since the last build, and renders only the pages
that show it.

Each build keeps a memo of the catalog it read (`storage/stamps.py` stores it under
`.git/modelyard/memo/`, one per output folder) with the stat stamps of every registry file
and folder it came from, and the commit it was read at. The next build compares stamps:

- when the settings, a recipe or a model changed (on disk or in a commit since), or HEAD
  is no descendant of the memo's commit, the whole registry is read again, as the first
  build did, and every page is considered;
- when only runs and monitoring snapshots changed (what a day of training and monitoring
  adds), the memo is patched with just those records, read from disk, and the build
  considers only the pages that show them: the run's month of data files, its recipe's and
  model's pages, the run's own page and those of its recipe's runs (where runs have pages:
  they rank a run among its recipe's), a snapshot's model and that model's recipe (its
  alert badge), and the few pages every change shows (landing page, lists, runs explorer).
  Every other page keeps the file and the key it had.

A considered page is still compared by the key of its context (`outputs.py`), so a page
that comes out the same is not written; the byte-for-byte test of an incremental rebuild
against a full build (`tests/test_site_incremental.py`) holds both paths to one answer.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import pickle
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelyard import __version__
from modelyard.domain.records import Run, RunOut
from modelyard.ops import load
from modelyard.site.data import (
    Catalog,
    Snapshots,
    build_time,
    compact,
    run_out,
    sorted_snapshots,
)
from modelyard.site.outputs import Job
from modelyard.site.rows import Indexes
from modelyard.site.shards import month_of
from modelyard.storage import layout, since, stamps
from modelyard.storage.registry import Registry

# a change to any of these changes what a memo holds or means: such a memo is not used
_CODE_FILES = ("data.py", "delta.py", "rows.py", "shards.py")
_CODE_FOLDERS = ("domain", "ops", "storage")  # what reads the records the memo holds
_CHANGES_ALLOWED = ("run", "logs", "snapshot")


def code_key() -> str:
    """A digest of modelyard's version and of the code that reads what a memo holds."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for name in _CODE_FILES:
        digest.update((here / name).read_bytes())
    for folder in _CODE_FOLDERS:
        for path in sorted((here.parent / folder).glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def memo_name(out: Path) -> str:
    return "site-" + hashlib.sha256(str(out).encode()).hexdigest()[:16]


def no_logs(mark: since.Mark) -> Callable[[str], bool]:
    """Whether a run's folder had no logs file when `mark` was taken."""
    folders = {run_id for _, run_id in mark.runs}
    return lambda run_id: run_id in folders and run_id not in mark.logs


@dataclass
class Memo:
    token: str
    code: str
    root: str
    head: str | None
    mark: since.Mark
    catalog: Catalog
    directions: dict[str, str]
    # the memo is stored in parts, each a file (`stamps.write_memo_part`): the catalog without
    # its runs and snapshots, the snapshots, and each shard's runs; a save after a rebuild
    # writes only the parts it changed, the others keep their files
    files: dict[str, str] = field(default_factory=dict)  # part -> its file, as loaded
    dirty: set[str] | None = None  # shards changed since it was loaded; None: all
    snapshots_changed: bool = True

    def shard_of(self) -> dict[str, str]:
        return {run_id: shard for shard, run_id in self.mark.runs}

    def save(self, reg: Registry, name: str) -> bool:
        """Write the parts that changed, then the head that lists them all (atomically: a
        reader sees the old memo or the new one), then drop the parts nothing lists."""
        shard_of = self.shard_of()
        by_shard: dict[str, list[RunOut]] = defaultdict(list)
        for run in self.catalog.runs:
            by_shard[shard_of[run.id]].append(run)
        kept = self.dirty is not None  # patched: recipes and models are as they were read
        files: dict[str, str] = {}

        def part(key: str, unchanged: bool, value: Callable[[], Any]) -> bool:
            if unchanged and key in self.files:
                files[key] = self.files[key]
                return True
            data = pickle.dumps(value(), protocol=pickle.HIGHEST_PROTOCOL)
            found = stamps.write_memo_part(reg, name, key, data)
            if found is not None:
                files[key] = found
            return found is not None

        def rest() -> Catalog:
            out = copy.copy(self.catalog)
            out.runs, out.snapshots = [], Snapshots({})
            return out

        ok = part(_CATALOG, kept, rest)
        ok = ok and part(
            _SNAPSHOTS, kept and not self.snapshots_changed, lambda: self.catalog.snapshots
        )
        for shard, runs in by_shard.items():
            unchanged = kept and self.dirty is not None and shard not in self.dirty
            ok = ok and part(f"{_RUNS}{shard}", unchanged, functools.partial(list, runs))
        if not ok:
            return False
        head = {
            "kind": _HEAD,
            **{
                k: getattr(self, k) for k in ("token", "code", "root", "head", "mark", "directions")
            },
            "files": files,
        }
        stamps.save_memo(reg, name, head)
        stamps.prune_memo_parts(reg, name, files.values())
        return True

    @classmethod
    def load(cls, reg: Registry, name: str) -> Memo | None:
        """The memo saved under `name`; None when there is none or a part is missing. Raises
        (ValueError, pickle's errors) on anything that is not one."""
        head = stamps.load_memo(reg, name)
        if not isinstance(head, dict) or head.get("kind") != _HEAD:
            return None
        if head["code"] != code_key() or head["root"] != str(reg.root):
            return None
        files: dict[str, str] = head["files"]

        def part(key: str) -> Any:
            data = stamps.read_memo_part(reg, files[key])
            if data is None:
                raise ValueError(f"a part of the memo is missing: {key}")
            return pickle.loads(data)

        catalog = part(_CATALOG)
        catalog.snapshots = part(_SNAPSHOTS)
        runs: list[RunOut] = []
        shards = sorted((k for k in files if k.startswith(_RUNS)), reverse=True)
        for key in shards:  # newest first, as a listing gives them
            runs.extend(part(key))
        catalog.runs = runs
        memo = cls(
            **{k: head[k] for k in ("token", "code", "root", "head", "mark", "directions")},
            catalog=catalog,
            files=files,
            dirty=set(),
            snapshots_changed=False,
        )
        return memo


_HEAD = "modelyard catalog memo 3"
_CATALOG = "catalog"
_SNAPSHOTS = "snapshots"
_RUNS = "runs-"


@dataclass
class Changes:
    """What a patched catalog holds differently from the memo's."""

    old_runs: list[RunOut] = field(default_factory=list)
    new_runs: list[RunOut] = field(default_factory=list)
    snapshot_models: set[str] = field(default_factory=set)
    old_directions: dict[str, str] = field(default_factory=dict)


def load_memo(reg: Registry, out: Path) -> Memo | None:
    try:
        return Memo.load(reg, memo_name(out))
    except Exception:  # derived data: anything wrong with it only costs a full read
        return None


def save_memo(reg: Registry, out: Path, memo: Memo) -> None:
    shard_of = memo.shard_of()
    if all(run.id in shard_of for run in memo.catalog.runs):  # else the next build reads it all
        memo.save(reg, memo_name(out))


def drop_memo(reg: Registry, out: Path) -> None:
    stamps.drop_memo(reg, memo_name(out))


def patch(
    reg: Registry, memo: Memo, look: since.Look
) -> tuple[Catalog, Changes, since.Mark] | None:
    """The memo's catalog brought up to the registry as it is, when only runs and snapshots
    changed; None when anything else did (the caller reads the whole registry). With it,
    the mark of what it was read at."""
    found = look.since(memo.mark)
    if found.whole:
        return None
    runs_changed = set(found.runs)
    models_changed: set[str] = set()
    for rel in found.paths:
        kind = layout.kind_of(rel)
        if kind is None or kind[0] not in _CHANGES_ALLOWED:
            return None
        if kind[0] == "snapshot":
            models_changed.add(kind[1]["model_id"])
        else:
            runs_changed.add((kind[1]["shard"], kind[1]["run_id"]))
    for folder in found.folders:
        parts = folder.split("/")
        if len(parts) != 3 or parts[0] != layout.MODELS or parts[2] != layout.MONITORING:
            return None  # a recipe's or a model's own folder: read everything
        models_changed.add(parts[1])
    shard_of: dict[str, str] = {}
    for shard, run_id in look.runs:
        if shard_of.setdefault(run_id, shard) != shard:
            return None  # one id in two folders: let the full read say what it makes of it
    # stamped before anything is read: whatever changes while it is read shows next time
    mark = look.patched(memo.mark, found)
    memo.dirty = {shard for shard, _ in runs_changed}
    memo.snapshots_changed = bool(models_changed)
    cat = memo.catalog
    changes = Changes(old_directions=memo.directions)
    if runs_changed:
        ids = {run_id for _, run_id in runs_changed}
        changes.old_runs = [r for r in cat.runs if r.id in ids]
        runs = [r for r in cat.runs if r.id not in ids]
        for shard, run_id in sorted(runs_changed):
            if (shard, run_id) not in look.runs:
                continue
            rel = f"{layout.RUNS}/{shard}/{run_id}/{layout.RUN_FILE}"
            record = load.listed(reg, rel, Run, id=run_id)
            if record is not None:
                fresh = run_out(reg, record)
                changes.new_runs.append(fresh)
                runs.append(fresh)
        # newest first, as a listing gives them: by folder, then id, both descending
        runs.sort(key=lambda r: (shard_of.get(r.id, ""), r.id), reverse=True)
        cat.runs = runs
    for model_id in models_changed:
        changes.snapshot_models.add(model_id)
        if model_id in cat.snapshots:
            snaps = [compact(s) for s in load.snapshots(reg, model_id)]
            cat.snapshots.replace(model_id, sorted_snapshots(snaps))
    cat.built_at, cat.head = build_time(reg)
    return cat, changes, mark


def considered(changes: Changes, ix: Indexes, run_pages: bool, jobs: list[Job]) -> set[Job]:
    """The jobs whose output may differ after `changes`; every other job's output is as the
    last build left it."""
    out: set[Job] = {("index", ""), ("chat", ""), ("lists", ""), ("explorer", "")}
    if run_pages:
        out.add(("search", ""))  # runs are searchable only while they have pages
    if run_pages and changes.old_directions != ix.directions:
        out.update(job for job in jobs if job[0] == "run")  # a rank turned around
    for run in (*changes.old_runs, *changes.new_runs):
        out.add(("month", month_of(run)))
        out.add(("recipe", run.recipe_id))
        if run.model_id:
            out.add(("model", run.model_id))
        if run_pages:
            out.add(("run", run.id))
            out.update(("run", r.id) for r in ix.runs_by_recipe.get(run.recipe_id, []))
    for model_id in changes.snapshot_models:
        out.add(("model", model_id))
        model = ix.models.get(model_id)
        if model is not None:
            out.add(("recipe", model.recipe_id))
    return out
