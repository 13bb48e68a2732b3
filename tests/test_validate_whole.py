"""`modelyard validate` of the whole registry keeps each committed run's and snapshot's own
checks in the derived index (validate/whole.py, storage/verdicts.py): the report must be the
same without it, when it is filled, and when it is reused, whatever changed in between."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelyard.storage.registry import Registry
from modelyard.validate import Report, parallel, run, tree, whole
from test_validate_corpus import CASES, Case, ids_of
from validate_fixtures import copy, edit, git, line_of, template  # noqa: F401  (fixtures)

# the mistakes in runs and snapshots, and those elsewhere that runs and snapshots refer to
AFFECTED = [
    c
    for c in CASES
    if "runs/" in c.file
    or "monitoring" in c.file
    or c.code in ("unknown-version", "bad-name", "unknown-model", "unknown-recipe")
]


def commit_all(reg: Registry, message: str = "test: as it is") -> None:
    repo = reg.git.worktree
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def parsed(
    reg: Registry, monkeypatch: pytest.MonkeyPatch, cached: bool, which: Callable[[str], bool]
) -> tuple[Report, list[str]]:
    """The whole registry's report, and the files for which `which` is true that validation
    parsed from disk for it, in order."""
    monkeypatch.setenv("MODELYARD_CACHE", "1" if cached else "0")
    read: list[str] = []
    real = tree.parse_bytes

    def counting(data: bytes, model: Any, rel: str, display: str) -> Any:
        if which(rel):
            read.append(rel)
        return real(data, model, rel, display)

    monkeypatch.setattr(tree, "parse_bytes", counting)
    report = run(Registry(reg.root), workers=1)
    monkeypatch.setattr(tree, "parse_bytes", real)
    return report, sorted(read)


def check(reg: Registry, monkeypatch: pytest.MonkeyPatch, cached: bool) -> tuple[Report, int]:
    """The whole registry's report, and how many run and snapshot files were parsed for it."""
    report, read = parsed(
        reg, monkeypatch, cached, lambda r: r.startswith("runs/") or "/monitoring/" in r
    )
    return report, len(read)


def kept_rows(reg: Registry) -> int:
    db = sqlite3.connect(reg.git.git_dir / "modelyard" / "cache.sqlite3")
    try:
        return int(db.execute("SELECT count(*) FROM verdicts").fetchone()[0])
    finally:
        db.close()


def same(a: Report, b: Report) -> None:
    assert a.sorted_problems() == b.sorted_problems()
    assert a.checked_files == b.checked_files


@pytest.mark.parametrize("case", AFFECTED, ids=[c.name for c in AFFECTED])
def test_a_committed_mistake_is_reported_alike_cold_warm_and_without_the_index(
    copy,  # noqa: F811
    case: Case,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg, raw = copy
    case.action(reg, ids_of(reg, raw))
    commit_all(reg)
    plain, _ = check(reg, monkeypatch, cached=False)
    cold, _ = check(reg, monkeypatch, cached=True)
    warm, read = check(reg, monkeypatch, cached=True)
    same(cold, plain)
    same(warm, plain)
    assert any(p.code == case.code for p in warm.problems)
    assert kept_rows(reg) > 0
    # only a file whose references are broken is read again, for the lines it shows
    referring = {
        p.file
        for p in warm.problems
        if p.code in ("unknown-recipe", "unknown-version", "unknown-model", "model-recipe-mismatch")
        and "/runs/" in p.file
    }
    assert read == len(referring)


def test_a_reused_file_still_sees_what_it_refers_to_change(
    copy,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run's own checks are kept; whether its model and recipe version exist is asked every
    time, of the working tree as it is now."""
    reg, _ = copy
    first, _ = check(reg, monkeypatch, cached=True)
    assert first.ok()
    model = reg.path("models/model_forecast/model.yaml")
    model.unlink()
    plain, _ = check(reg, monkeypatch, cached=False)
    warm, read = check(reg, monkeypatch, cached=True)
    same(warm, plain)
    assert {p.code for p in warm.errors} >= {"unknown-model"}
    assert read == 1  # the one run of that model, for the line of its model_id
    git(reg.git.worktree, "checkout", "--", ".")
    again, read = check(reg, monkeypatch, cached=True)
    same(again, first)
    assert read == 0


def test_edited_staged_new_and_deleted_files_are_read_from_disk(
    copy,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg, raw = copy
    ids = ids_of(reg, raw)
    check(reg, monkeypatch, cached=True)  # fills the index
    done = f"runs/{ids['shard']}/{ids['run_done']}/run.yaml"
    queued = f"runs/{ids['shard']}/{ids['run_queued']}/run.yaml"
    snap = f"models/model_pricing_prod/monitoring/{ids['snapshot']}.yaml"
    edit(reg, done, "status: succeeded", "status: finished")  # edited
    edit(reg, snap, f"id: {ids['snapshot']}", "id: snap_elsewhere")
    git(reg.git.worktree, "add", reg.repo_path(snap))  # staged
    new = reg.path(f"runs/{ids['shard']}/run_20240101000000_newrun01/run.yaml")
    new.parent.mkdir()
    new.write_text(reg.path(queued).read_text())  # new, and in the wrong place
    reg.path(queued).unlink()  # deleted
    plain, _ = check(reg, monkeypatch, cached=False)
    warm, read = check(reg, monkeypatch, cached=True)
    same(warm, plain)
    assert {p.code for p in warm.errors} >= {"schema", "id-mismatch", "wrong-shard"}
    assert read == 3  # the edited run, the staged snapshot and the new run


def parsed_elsewhere(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> tuple[Report, list[str]]:
    """The whole registry's report through the index, and the recipe, manifest, model and
    synthetic example files validation parsed from disk for it."""
    return parsed(
        reg,
        monkeypatch,
        True,
        lambda r: r.startswith(("recipes/", "models/")) and "/monitoring/" not in r,
    )


def test_unchanged_recipes_and_models_are_taken_from_the_index(
    copy,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Recipes, manifests and models that hold HEAD's content are not parsed again; every
    check of them still runs, and a problem in one still shows its line."""
    reg, _ = copy
    first, read = parsed_elsewhere(reg, monkeypatch)
    assert first.ok()
    again, read = parsed_elsewhere(reg, monkeypatch)
    same(again, first)
    assert read == []
    # committed: a model naming a recipe that does not exist (read from the index, its line
    # read from the file); uncommitted: another model edited (read from disk)
    edit(
        reg,
        "models/model_forecast/model.yaml",
        "recipe_id: recipe_demand_forecast",
        "recipe_id: recipe_gone",
    )
    commit_all(reg, "a model that names a missing recipe")
    edit(reg, "models/model_pricing_prod/model.yaml", "owner: pricing-team", "owner: 7")
    plain, _ = check(reg, monkeypatch, cached=False)
    warm, read = parsed_elsewhere(reg, monkeypatch)
    same(warm, plain)
    assert read == ["models/model_pricing_prod/model.yaml"]
    gone = [p for p in warm.errors if p.code == "unknown-recipe" and "model_forecast" in p.file]
    assert len(gone) == 1
    assert gone[0].line == line_of(reg, "models/model_forecast/model.yaml", "recipe_id:")


def test_a_file_made_like_another_is_its_own_row(
    copy,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outcomes are kept by path and content: the same bytes elsewhere (a copy of a run under
    another id) are checked for what that place says about them."""
    reg, raw = copy
    ids = ids_of(reg, raw)
    check(reg, monkeypatch, cached=True)
    src = reg.path(f"runs/{ids['shard']}/{ids['run_done']}")
    dst = src.parent / "run_20240101000000_copied01"
    dst.mkdir()
    (dst / "run.yaml").write_bytes((src / "run.yaml").read_bytes())
    commit_all(reg, "a copy")
    plain, _ = check(reg, monkeypatch, cached=False)
    warm, _ = check(reg, monkeypatch, cached=True)
    again, read = check(reg, monkeypatch, cached=True)
    same(warm, plain)
    same(again, plain)
    assert read == 0
    assert any(p.code == "id-mismatch" and "copied01" in p.file for p in again.errors)


def test_other_checking_code_drops_what_was_kept(
    copy,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg, _ = copy
    check(reg, monkeypatch, cached=True)
    assert kept_rows(reg) > 0
    _, read = check(reg, monkeypatch, cached=True)
    assert read == 0
    monkeypatch.setattr(whole, "code_key", lambda: "another-check")
    _, read = check(reg, monkeypatch, cached=True)
    assert read > 0  # every run and snapshot read again, by the new code


def test_workers_fill_and_reuse_the_index_alike(
    copy,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = next(c for c in AFFECTED if c.code == "run-timestamps")
    reg, raw = copy
    case.action(reg, ids_of(reg, raw))
    commit_all(reg)
    monkeypatch.setenv("MODELYARD_CACHE", "0")
    plain = run(Registry(reg.root), workers=1)
    monkeypatch.setenv("MODELYARD_CACHE", "1")
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    monkeypatch.setattr(parallel, "CHUNK", 1)
    pooled = run(Registry(reg.root), workers=2)
    warm = run(Registry(reg.root), workers=2)
    same(pooled, plain)
    same(warm, plain)


def test_the_file_list_is_the_directory_walk(
    copy,  # noqa: F811
) -> None:
    """One scandir per folder lists what os.walk does: hidden names skipped, links listed and
    never followed."""
    import os

    reg, _ = copy
    root = reg.root
    (root / "runs" / ".hidden").mkdir()
    (root / "runs" / ".hidden" / "x.yaml").write_text("a: 1\n")
    (root / "linked").symlink_to(root / "models", target_is_directory=True)
    (root / "notes.txt").symlink_to(Path("/etc/hostname"))
    expected = []
    for folder, dirs, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        expected += [prefix + n for n in names if not n.startswith(".")]
        expected += [
            prefix + d
            for d in dirs
            if not d.startswith(".") and os.path.islink(os.path.join(folder, d))
        ]
        dirs[:] = [d for d in dirs if not d.startswith(".")]
    assert tree.Tree(reg).all_files() == sorted(expected)


def test_a_file_edited_after_git_looked_is_never_kept_as_heads(
    copy,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bytes checked are hashed: an edit git's status did not see (made a moment after it
    looked) is reported as it is, and not remembered under HEAD's content."""
    from modelyard.storage import verdicts

    reg, raw = copy
    ids = ids_of(reg, raw)
    done = f"runs/{ids['shard']}/{ids['run_done']}/run.yaml"
    original = reg.path(done).read_bytes()
    edit(reg, done, "status: succeeded", "status: finished")
    monkeypatch.setattr(verdicts.Verdicts, "dirty", lambda self: set())
    plain, _ = check(reg, monkeypatch, cached=False)
    raced, read = check(reg, monkeypatch, cached=True)
    same(raced, plain)
    assert any(p.code == "schema" for p in raced.errors)
    monkeypatch.undo()
    reg.path(done).write_bytes(original)
    again, read = check(reg, monkeypatch, cached=True)
    assert again.ok(), again.errors
    assert read == 1  # that run was not kept, so it is read now


def test_an_index_restored_into_a_fresh_clone_is_reused(
    copy,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """What the CI workflow's cache step does: a fresh clone (new inodes, new times, its own
    git index) given another clone's `.git/modelyard/` checks nothing again that it kept, and
    reports the same; a change made after the index was kept is still read and reported."""
    import shutil

    from modelyard.ops import scaffold
    from modelyard.storage.cache import cache_file
    from modelyard.storage.yamlio import load

    reg, _ = copy
    first, read = check(reg, monkeypatch, cached=True)
    assert first.ok() and read > 0
    kept = cache_file(reg.git).parent
    # the path the workflow keeps is where the index lives, beside the checkout's .git
    steps = [
        s
        for job in load(scaffold.render("ci", scaffold.Options("r", "registry", "main", False)))
        .data["jobs"]
        .values()
        for s in job["steps"]
        if s.get("uses", "").startswith("actions/cache@")
    ]
    assert len(steps) == 2
    assert {s["with"]["path"] for s in steps} == {kept.relative_to(reg.git.worktree).as_posix()}

    clone = tmp_path / "ci-checkout"
    git(tmp_path, "clone", "-q", str(reg.git.worktree), str(clone))
    shutil.copytree(kept, clone / ".git" / "modelyard")
    restored = Registry(clone / "registry")
    plain, _ = check(restored, monkeypatch, cached=False)
    again, read = check(restored, monkeypatch, cached=True)
    same(again, plain)
    assert again.ok() and read == 0
    # a commit after the index was kept: its model is gone, its run is read for the line
    reg.path("models/model_forecast/model.yaml").unlink()
    commit_all(reg, "the forecast model removed after the index was kept")
    git(clone, "pull", "-q", "--ff-only")
    plain, _ = check(restored, monkeypatch, cached=False)
    again, read = check(restored, monkeypatch, cached=True)
    same(again, plain)
    assert {p.code for p in again.errors} >= {"unknown-model"}
    assert read == 1
