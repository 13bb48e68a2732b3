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
import hashlib
import pickle
from collections import defaultdict
from collections.abc import Iterator
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
from modelyard.storage import layout, stamps
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


@dataclass
class Stamps:
    records: dict[str, str]
    runs: dict[tuple[str, str], str]
    snapshots: dict[tuple[str, str], str]

    @classmethod
    def take(cls, reg: Registry, old: Stamps | None = None) -> Stamps:
        """The stamps of now; those racy in `old` are taken with their content, to compare."""
        records = stamps.record_stamps(reg, old.records if old else None)
        runs = stamps.run_stamps(reg, old.runs if old else None)
        model_ids = reg.ids_in(layout.MODELS)
        snaps = stamps.snapshot_stamps(reg, model_ids, old.snapshots if old else None)
        return cls(records, runs, snaps)

    def no_logs(self, run_id: str) -> bool:
        """Whether the folder a run's logs are read from had no logs file when stamped."""
        found = self.runs.get((layout.run_shard(run_id), run_id))
        return found is not None and found.split("|")[2] == "-"


@dataclass
class Memo:
    token: str
    code: str
    root: str
    head: str | None
    stamps: Stamps
    catalog: Catalog
    directions: dict[str, str]
    # the runs, pickled by folder (shard) apart from the catalog: a rebuild unpickles them all
    # but pickles again only the shards it changed; the rest of the catalog (recipes,
    # versions, models, snapshots aside) is kept pickled as it came when only runs and
    # snapshots changed
    packed: dict[str, bytes] = field(default_factory=dict)
    packed_catalog: bytes = b""
    dirty: set[str] | None = None  # shards changed since `packed` was read; None: all

    def shard_of(self) -> dict[str, str]:
        return {run_id: shard for shard, run_id in self.stamps.runs}

    def parts(self) -> Iterator[Any]:
        """The memo as it is stored: a head (everything but the runs, the rest of the
        catalog pickled apart), then each shard's runs pickled, one at a time, so that
        saving never holds every run pickled at once."""
        shard_of = self.shard_of()
        by_shard: dict[str, list[RunOut]] = defaultdict(list)
        for run in self.catalog.runs:
            by_shard[shard_of[run.id]].append(run)
        kept = self.dirty is not None  # patched: recipes and models are as they were read
        packed_catalog = self.packed_catalog
        if not (kept and packed_catalog):
            rest = copy.copy(self.catalog)
            rest.runs, rest.snapshots = [], Snapshots({})
            packed_catalog = pickle.dumps(rest, protocol=pickle.HIGHEST_PROTOCOL)
        yield {
            **{k: v for k, v in self.__dict__.items() if k not in ("catalog", "packed")},
            "snapshots": self.catalog.snapshots,
            "packed_catalog": packed_catalog,
            "dirty": None,
        }
        del packed_catalog
        for shard, runs in by_shard.items():
            if kept and self.dirty is not None and shard not in self.dirty and shard in self.packed:
                yield shard, self.packed[shard]
            else:
                yield shard, pickle.dumps(runs, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_parts(cls, parts: list[Any]) -> Memo:
        """The memo `parts` gave; raises (ValueError, pickle's errors) on anything else."""
        head, shards = parts[0], parts[1:]
        if not isinstance(head, dict) or not all(
            isinstance(p, tuple) and len(p) == 2 for p in shards
        ):
            raise ValueError("not a catalog memo")
        snapshots = head.pop("snapshots")
        memo = cls.__new__(cls)
        memo.__dict__.update(head)
        memo.packed = dict(shards)
        memo.catalog = pickle.loads(memo.packed_catalog)
        memo.catalog.snapshots = snapshots
        runs: list[RunOut] = []
        for shard in sorted(memo.packed, reverse=True):  # newest first, as a listing gives them
            runs.extend(pickle.loads(memo.packed[shard]))
        memo.catalog.runs = runs
        memo.dirty = set()
        return memo


@dataclass
class Changes:
    """What a patched catalog holds differently from the memo's."""

    old_runs: list[RunOut] = field(default_factory=list)
    new_runs: list[RunOut] = field(default_factory=list)
    snapshot_models: set[str] = field(default_factory=set)
    old_directions: dict[str, str] = field(default_factory=dict)


def load_memo(reg: Registry, out: Path) -> Memo | None:
    parts = stamps.load_memo_parts(reg, memo_name(out))
    if not parts:
        return None
    try:
        found = Memo.from_parts(parts)
    except Exception:  # derived data: anything wrong with it only costs a full read
        return None
    if found.code != code_key() or found.root != str(reg.root):
        return None
    return found


def save_memo(reg: Registry, out: Path, memo: Memo) -> None:
    shard_of = memo.shard_of()
    if all(run.id in shard_of for run in memo.catalog.runs):  # else the next build reads it all
        stamps.save_memo_parts(reg, memo_name(out), memo.parts())


def drop_memo(reg: Registry, out: Path) -> None:
    stamps.drop_memo(reg, memo_name(out))


def patch(reg: Registry, memo: Memo, now: Stamps) -> tuple[Catalog, Changes] | None:
    """The memo's catalog brought up to the registry as it is, when only runs and snapshots
    changed; None when anything else did (the caller reads the whole registry)."""
    if stamps.changed(memo.stamps.records, now.records):
        return None
    head = reg.git.head() if reg.in_git else None
    if head != memo.head:
        if head is None or memo.head is None:
            return None
        paths = stamps.committed_changes(reg, memo.head, head)
        if paths is None:
            return None
        for rel in paths:
            kind = layout.kind_of(rel)
            if kind is None or kind[0] not in _CHANGES_ALLOWED:
                return None
    shard_of: dict[str, str] = {}
    for shard, run_id in now.runs:
        if shard_of.setdefault(run_id, shard) != shard:
            return None  # one id in two folders: let the full read say what it makes of it
    changed = stamps.changed(memo.stamps.runs, now.runs)
    memo.dirty = {shard for shard, _ in changed}
    cat = memo.catalog
    changes = Changes(old_directions=memo.directions)
    if changed:
        ids = {run_id for _, run_id in changed}
        changes.old_runs = [r for r in cat.runs if r.id in ids]
        runs = [r for r in cat.runs if r.id not in ids]
        for shard, run_id in sorted(changed):
            if (shard, run_id) not in now.runs:
                continue
            rel = f"{layout.RUNS}/{shard}/{run_id}/{layout.RUN_FILE}"
            found = load.listed(reg, rel, Run, id=run_id)
            if found is not None:
                fresh = run_out(reg, found)
                changes.new_runs.append(fresh)
                runs.append(fresh)
        # newest first, as a listing gives them: by folder, then id, both descending
        runs.sort(key=lambda r: (shard_of.get(r.id, ""), r.id), reverse=True)
        cat.runs = runs
    for model_id in {m for m, _ in stamps.changed(memo.stamps.snapshots, now.snapshots)}:
        changes.snapshot_models.add(model_id)
        if model_id in cat.snapshots:
            snaps = [compact(s) for s in load.snapshots(reg, model_id)]
            cat.snapshots.replace(model_id, sorted_snapshots(snaps))
    cat.built_at, cat.head = build_time(reg)
    return cat, changes


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
