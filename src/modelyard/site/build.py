"""`build_site`: the registry rendered into `out/`, incrementally and in parallel.

The output folder holds `model-development/` (the pages), `api/ml-development/` (the JSON
mirrors), a root `index.html` pointing at the pages, and `.modelyard-site.json`, the build
state: for every file written, the key of its inputs, and the files of each job. A rebuild
renders only files whose key changed, writes only bytes that differ, and removes files of
records that are gone. When only runs and snapshots changed since the last build, it does
not read the registry again but patches that build's memo (site/delta.py) and runs only
the jobs that show what changed; every other job keeps its files and keys.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import TemplateError

from modelyard.errors import GitError, InvalidValue
from modelyard.site import delta, rows
from modelyard.site.data import Catalog, load_catalog
from modelyard.site.outputs import PAGES, Job, Site
from modelyard.site.render import make_env, template_problem, template_sources
from modelyard.site.shards import RUN_PAGES_UP_TO, directions
from modelyard.storage import cache_fill, since
from modelyard.storage.registry import Registry

STATE_FILE = ".modelyard-site.json"
STATE_VERSION = 2
PARALLEL_FROM = 400  # jobs; below this, starting workers costs more than it saves
CHUNK = 200
ENV_WORKERS = "MODELYARD_SITE_WORKERS"

# (done, total, phase): called as each phase starts (done 0) and as it goes; "reading"
# has no total until the registry is read, then "read" reports what it holds
Progress = Callable[..., None]


@dataclass
class BuildReport:
    """What a build did. `written` and `removed` list output paths relative to `out`."""

    out: Path
    files: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    problems: list[str] = field(default_factory=list)
    # the registry was not read again: the last build's catalog, patched with what changed
    changes_only: bool = False
    rendered: int = 0  # jobs whose outputs were computed (the others kept theirs)

    @property
    def unchanged(self) -> int:
        return self.files - len(self.written)

    def summary(self) -> str:
        return (
            f"{self.files} files in {self.out}: "
            f"{len(self.written)} written, {self.unchanged} unchanged, "
            f"{len(self.removed)} removed ({self.seconds:.1f} s, {self.workers} "
            f"worker{'s' if self.workers != 1 else ''})"
        )


# Shared with forked workers: set before the pool starts, read-only afterwards. One build
# at a time per process (a server may ask from several threads).
_BUILD_LOCK = threading.Lock()
_SITE: Site | None = None
_OLD: dict[str, str] = {}
_OUT: Path = Path()


def _write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.read_bytes() == data:
            return False
    except (FileNotFoundError, NotADirectoryError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


Done = list[tuple[str, list[tuple[str, str, bool]]]]


def job_name(job: Job) -> str:
    return f"{job[0]}:{job[1]}"


def _run_jobs(jobs: list[Job]) -> Done:
    """For every job, its name and the (path, key, written) of each of its outputs."""
    assert _SITE is not None
    done = []
    for job in jobs:
        outputs = []
        for rel, key, render in _SITE.outputs(job):
            target = _OUT / rel
            if _OLD.get(rel) == key and target.is_file():
                outputs.append((rel, key, False))
                continue
            outputs.append((rel, key, _write_if_changed(target, render())))
        done.append((job_name(job), outputs))
    return done


def _workers(count: int) -> int:
    given = os.environ.get(ENV_WORKERS, "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    if count < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _check_out(reg: Registry, out: Path) -> Path:
    out = out.resolve()
    if out == reg.root or out in reg.root.parents:
        raise InvalidValue(
            f"the catalog cannot be written to {out}: the registry {reg.root} is inside it; "
            "choose a folder of its own, e.g. --out site"
        )
    if reg.root in out.parents:
        raise InvalidValue(
            f"the catalog cannot be written to {out}: it is inside the registry {reg.root}; "
            "choose a folder outside it, e.g. --out site"
        )
    if out.exists() and not out.is_dir():
        raise InvalidValue(f"--out {out} is a file, not a folder")
    return out


@dataclass
class State:
    """What the last build left in `.modelyard-site.json`: every file's key, the files of
    each job, the flags it was built with and the token of its catalog memo (site/delta.py)."""

    files: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, list[str]] = field(default_factory=dict)
    flags: dict[str, object] = field(default_factory=dict)
    memo: str = ""

    def dump(self) -> bytes:
        state = {
            "version": STATE_VERSION,
            "memo": self.memo,
            "flags": self.flags,
            "files": dict(sorted(self.files.items())),
            "jobs": dict(sorted(self.jobs.items())),
        }
        return (json.dumps(state, indent=0) + "\n").encode()


def _load_state(out: Path) -> State:
    try:
        state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return State()
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        return State()
    files, jobs, flags = state.get("files"), state.get("jobs"), state.get("flags")
    return State(
        files={k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(files, dict)
        else {},
        jobs={k: v for k, v in jobs.items() if isinstance(v, list)}
        if isinstance(jobs, dict)
        else {},
        flags=flags if isinstance(flags, dict) else {},
        memo=state["memo"] if isinstance(state.get("memo"), str) else "",
    )


def _remove(out: Path, rel: str) -> None:
    path = out / rel
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != out and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def build_site(
    reg: Registry,
    out: Path,
    *,
    base_url: str = "",
    incremental: bool = True,
    progress: Progress | None = None,
    run_pages: bool | None = None,
) -> BuildReport:
    """Render the registry into `out`. With `incremental` (the default) only outputs whose
    inputs changed are rendered; without it every output is rendered again (files whose
    bytes come out the same are still left untouched). Files of deleted records are removed.
    `run_pages`: a page and a JSON mirror for every run; None (the default) gives them to a
    registry of at most RUN_PAGES_UP_TO runs and snapshots together."""
    collecting = gc.isenabled()
    with _BUILD_LOCK:
        try:
            return _build(reg, Path(out), base_url, incremental, progress, run_pages)
        finally:
            gc.unfreeze()
            if collecting:
                gc.enable()
            else:
                gc.disable()


def _reading_done() -> None:
    """Loading a memo makes a few million objects and frees almost none, so the collector is
    off while it runs (it would only walk them again and again: a memo of 100,000 runs loads
    in a third of the time). Then what was read is frozen out of the collector's sight and
    it runs again for the rendering, whose garbage it does collect."""
    gc.freeze()
    gc.enable()


def _look(reg: Registry) -> since.Look | None:
    try:
        return since.Look(reg)
    except (GitError, OSError):
        return None


def wants_run_pages(cat: Catalog) -> bool:
    """Whether runs get pages of their own by default: only while they stay few."""
    records = len(cat.runs) + cat.snapshots.count()
    return records <= RUN_PAGES_UP_TO


def _build(
    reg: Registry,
    out: Path,
    base_url: str,
    incremental: bool,
    progress: Progress | None,
    run_pages: bool | None,
) -> BuildReport:
    global _SITE, _OLD, _OUT
    started = time.perf_counter()
    out = _check_out(reg, out)
    base_url = base_url.rstrip("/")
    if progress:
        progress(0, 0, "reading")
    old = _load_state(out)
    gc.disable()  # until _reading_done()
    stamped = reg.in_git and not reg.committed  # a memo is of the working tree
    # git looks at the working tree in the background while the memo loads
    look = _look(reg) if stamped else None
    memo = delta.load_memo(reg, out) if incremental and look and old.memo else None
    if memo is not None and memo.token != old.memo:
        memo = None  # of another build than the one these files are from
    mark: since.Mark | None = None
    patched = None
    try:
        patched = delta.patch(reg, memo, look) if look and memo else None
        if look is not None and patched is None:
            # stamps before reading: whatever changes while the registry is read shows next time
            mark = look.full()
    except (GitError, OSError):
        if look is not None:
            look.close()
        look = mark = patched = None  # no memo this time: the next build reads it all again
    delta.drop_memo(reg, out)  # outputs are about to change: a failed build leaves no memo
    if patched is not None:
        cat, changes, mark = patched
    else:
        # a full read makes garbage as it goes (YAML trees, parsed rows): collect it, or the
        # peak grows by hundreds of megabytes; but what was read so far is frozen out of the
        # collector's sight as it goes, or each full collection walks every record again
        gc.enable()
        # a first read fills storage's derived index: its parsing goes to the build's workers
        with cache_fill.parallel(_workers(PARALLEL_FROM)):
            no_logs = delta.no_logs(mark) if mark else None
            cat, changes = load_catalog(reg, no_logs, settle=gc.freeze), None
    if look is not None:
        look.close()
    if progress:
        snapshots = cat.snapshots.count()
        progress(
            0,
            0,
            f"read {len(cat.recipes)} recipes, {len(cat.models)} models, "
            f"{len(cat.runs)} runs, {snapshots} snapshots"
            + (" (changes only)" if changes is not None else ""),
        )
    # the digest reads every registry template and asset: a link among them stops the build here
    sources = template_sources(reg.root, reg.display)
    pages = wants_run_pages(cat) if run_pages is None else run_pages
    ix = rows.make_indexes(cat, run_pages=pages)
    ix.directions = directions(cat)
    site = Site(cat, ix, make_env(sources), sources.digest(), base_url, run_pages=pages)
    _reading_done()
    flags: dict[str, object] = {"digest": site.digest, "base_url": base_url, "run_pages": pages}
    report = BuildReport(out=out, problems=list(cat.problems), changes_only=changes is not None)
    state = State(flags=flags)

    # assets and the root redirect: small, always compared byte for byte
    statics: dict[str, bytes] = {f"{PAGES}/{rel}": data for rel, data in sources.assets().items()}
    try:
        statics["index.html"] = (
            site.env.get_template("root.html").render(site_name=cat.settings.name).encode()
        )
    except TemplateError as exc:
        raise template_problem(exc, "root.html") from None
    statics[".nojekyll"] = b""
    for rel, data in statics.items():
        state.files[rel] = "static"
        if _write_if_changed(out / rel, data):
            report.written.append(rel)

    jobs = site.jobs()
    if changes is not None and incremental and old.flags == flags:
        jobs = _carry_over(jobs, delta.considered(changes, ix, pages, jobs), old, state, out)
    _SITE, _OLD, _OUT = site, (old.files if incremental else {}), out
    # no more workers than chunks of jobs: a rebuild of a few pages forks none
    report.workers = min(_workers(len(jobs)), max(1, -(-len(jobs) // CHUNK)))
    report.rendered = len(jobs)
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    done_jobs = 0
    if progress:
        progress(0, len(jobs), "rendering")
    try:
        if report.workers > 1:
            with ProcessPoolExecutor(
                report.workers, mp_context=multiprocessing.get_context("fork")
            ) as pool:
                for chunk, results in zip(chunks, pool.map(_run_jobs, chunks), strict=True):
                    _collect(results, state, report)
                    done_jobs += len(chunk)
                    if progress:
                        progress(done_jobs, len(jobs), "rendering")
        else:
            for chunk in chunks:
                _collect(_run_jobs(chunk), state, report)
                done_jobs += len(chunk)
                if progress:
                    progress(done_jobs, len(jobs), "rendering")
    finally:
        _SITE, _OLD = None, {}

    for rel in sorted(set(old.files) - set(state.files)):
        _remove(out, rel)
        report.removed.append(rel)
    if mark is not None:
        # the memo's token is the state's own digest: a build that ends with the same files
        # (full or incremental) writes the same state, byte for byte
        state.memo = hashlib.sha256(state.dump()).hexdigest()[:16]
        memo_of = delta.Memo(
            state.memo, delta.code_key(), str(reg.root), cat.head, mark, cat, ix.directions
        )
        if patched is not None and memo is not None:  # keep the parts nothing changed in
            memo_of.files, memo_of.dirty = memo.files, memo.dirty
            memo_of.snapshots_changed = memo.snapshots_changed
        delta.save_memo(reg, out, memo_of)
    _write_if_changed(out / STATE_FILE, state.dump())
    report.files = len(state.files)
    report.written.sort()
    report.seconds = time.perf_counter() - started
    return report


def _carry_over(
    jobs: list[Job], considered: set[Job], old: State, state: State, out: Path
) -> list[Job]:
    """The jobs to run: those `considered`, and any whose last outputs are not all there.
    The others keep their files and keys from the last build."""
    todo = []
    top = f"{out}{os.sep}"  # plain strings: 15,000 pathlib joins cost more than the stats
    for job in jobs:
        name = job_name(job)
        rels = old.jobs.get(name)
        if (
            job in considered
            or rels is None
            or not all(rel in old.files and os.path.isfile(top + rel) for rel in rels)
        ):
            todo.append(job)
            continue
        state.jobs[name] = rels
        for rel in rels:
            state.files[rel] = old.files[rel]
    return todo


def _collect(results: Done, state: State, report: BuildReport) -> None:
    for name, outputs in results:
        state.jobs[name] = [rel for rel, _, _ in outputs]
        for rel, key, written in outputs:
            state.files[rel] = key
            if written:
                report.written.append(rel)
