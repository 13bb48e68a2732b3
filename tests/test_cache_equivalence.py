"""The cache under .git/modelyard/ never changes an answer: every listing equals the uncached one
after commits, working-tree edits, branch switches, rebases, deleting it, and with other
processes reading and writing at the same time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import git
from modelyard.errors import RegistryFileError
from modelyard.ops import models, recipes, runs, versions
from modelyard.ops.history import History
from modelyard.storage import worktree
from modelyard.storage.cache import FILE
from modelyard.storage.registry import Registry
from test_bench_generate import load_generator

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.bench


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    load_generator().generate(tmp_path / "tiny", "tiny", seed=11)
    return tmp_path / "tiny"


def answers(repo: Path, cached: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Every listing the cache serves, as JSON, from a freshly opened registry."""
    monkeypatch.setenv("MODELYARD_CACHE", "1" if cached else "0")
    reg = Registry.open(repo)
    out: dict[str, Any] = {}
    all_recipes = recipes.list_recipes(reg, limit=500)
    out["recipes"] = all_recipes.model_dump(mode="json")
    out["recipes_page"] = recipes.list_recipes(
        reg, limit=3, offset=2, status="approved"
    ).model_dump(mode="json")
    out["recipes_family"] = recipes.list_recipes(
        reg, model_family="pricing", level="client"
    ).model_dump(mode="json")
    out["models"] = models.list_models(reg, limit=500).model_dump(mode="json")
    out["models_prod"] = models.list_models(reg, status="production").model_dump(mode="json")
    out["runs"] = runs.list_runs(reg, limit=500).model_dump(mode="json")
    some_model = out["models"]["models"][0]["id"] if out["models"]["models"] else None
    out["runs_model"] = runs.list_runs(reg, model_id=some_model, status="succeeded").model_dump(
        mode="json"
    )
    out["runs_page"] = runs.list_runs(reg, limit=7, offset=5, run_type="train").model_dump(
        mode="json"
    )
    out["users"] = {r.id: recipes.users_of(reg, r.id) for r in all_recipes.recipes[:3]}
    history = History(reg)
    out["versions"] = {
        r.id: versions.list_versions(reg, r.id, history).model_dump(mode="json")
        for r in all_recipes.recipes
    }
    if cached:  # the answers above really came through the cache
        cache = reg.blob_cache
        assert cache is not None
        head = git(repo, "rev-parse", "HEAD")
        assert cache._meta("tree") == head and cache._meta("changes") == head
        kinds = dict(
            cache.db.execute("SELECT kind, count(*) FROM tree WHERE ok=1 GROUP BY kind").fetchall()
        )
        assert kinds["run"] > 0 and kinds["recipe"] > 0 and kinds["model"] > 0
    return out


def same(repo: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Asserts the cached answers equal the uncached ones (twice: filling, then filled)."""
    plain = answers(repo, False, monkeypatch)
    assert answers(repo, True, monkeypatch) == plain
    assert answers(repo, True, monkeypatch) == plain
    return plain


def a_run_file(repo: Path, containing: str) -> Path:
    """The first committed run file whose text has `containing`."""
    return next(
        p
        for p in sorted((repo / "registry" / "runs").glob("*/*/run.yaml"))
        if containing in p.read_text()
    )


def test_equal_from_cold_and_warm_and_after_deleting_it(repo, monkeypatch):
    before = same(repo, monkeypatch)
    cache_file = repo / ".git" / "modelyard" / FILE
    assert cache_file.is_file()
    cache_file.unlink()
    for extra in ("-wal", "-shm"):
        Path(str(cache_file) + extra).unlink(missing_ok=True)
    assert same(repo, monkeypatch) == before
    assert len(before["runs"]["runs"]) == 60 and before["runs"]["total"] == 60


def test_equal_after_commits_through_ops_and_plain_git(repo, monkeypatch):
    first = same(repo, monkeypatch)
    reg = Registry.open(repo)
    rec = first["recipes"]["recipes"][0]
    made = runs.create_run(
        reg, {"recipe_id": rec["id"], "recipe_version_id": rec["version"], "run_type": "eval"}
    )
    runs.update_run(
        reg, made.id, {"status": "succeeded", "metrics_json": {"MAPE": 0.1}, "logs_text": "ok\n"}
    )
    manifest = versions.get_version(reg, rec["id"], rec["version"]).manifest_json
    manifest["model"]["hyperparameters"]["learning_rate"] = 0.123
    versions.create_version(reg, rec["id"], {"manifest_json": manifest, "change_note": "tune"})
    # a commit made by hand, outside modelyard
    run_file = a_run_file(repo, "run_type: train")
    run_file.write_text(run_file.read_text().replace("run_type: train", "run_type: eval"))
    git(repo, "commit", "-qam", "by hand")
    after = same(repo, monkeypatch)
    assert after["runs"]["total"] == first["runs"]["total"] + 1
    assert (
        after["runs"]["runs"][0]["id"] == made.id
        and after["runs"]["runs"][0]["logs_text"] == "ok\n"
    )
    assert after["versions"] != first["versions"]


@pytest.mark.parametrize("checker", ["stat", "git status"])
def test_equal_with_working_tree_edits(repo, monkeypatch, checker):
    # a kind with more files than STAT_LIMIT is checked by `git status`; make every kind so
    monkeypatch.setattr(worktree, "STAT_LIMIT", 0 if checker == "git status" else 20_000)
    first = same(repo, monkeypatch)
    reg_dir = repo / "registry"
    # modify a committed run, stage another edit, delete one, add untracked ones
    edited = a_run_file(repo, "status: running")
    edited.write_text(edited.read_text().replace("status: running", "status: failed"))
    files = sorted(reg_dir.glob("runs/*/*/run.yaml"))
    staged = files[0]
    staged.write_text(staged.read_text().replace("run_type: ", "run_type: eval\n#", 1))
    git(repo, "add", str(staged))
    files[1].unlink()
    new_dir = files[2].parent.parent / "run_20240101000000_untracked"
    new_dir.mkdir()
    (new_dir / "run.yaml").write_text(
        files[2].read_text().replace(files[2].parent.name, new_dir.name)
    )
    new_shard = reg_dir / "runs" / "2031-01" / "run_20310101000000_newshard0"
    new_shard.mkdir(parents=True)
    (new_shard / "run.yaml").write_text(
        files[3].read_text().replace(files[3].parent.name, new_shard.name)
    )
    # an untracked recipe and a model edited in place
    rec = first["recipes"]["recipes"][0]["id"]
    src = reg_dir / "recipes" / rec
    dst = reg_dir / "recipes" / "recipe_untracked_copy"
    dst.mkdir()
    for name in ("recipe.yaml", "manifest.yaml"):
        (dst / name).write_text((src / name).read_text().replace(rec, "recipe_untracked_copy"))
    model_file = sorted(reg_dir.glob("models/*/model.yaml"))[0]
    model_file.write_text(model_file.read_text().replace("owner: ", "owner: Someone Else #"))
    after = same(repo, monkeypatch)
    ids = [r["id"] for r in after["runs"]["runs"]]
    assert new_dir.name in ids and new_shard.name in ids and files[1].parent.name not in ids
    assert after["runs"]["total"] == first["runs"]["total"] + 1
    assert "recipe_untracked_copy" in [r["id"] for r in after["recipes"]["recipes"]]
    assert "Someone Else" in str(after["models"])
    # right after a listing, a new run in a folder it has just listed is still seen
    newer = new_dir.parent / "run_20240101000001_justnow00"
    newer.mkdir()
    (newer / "run.yaml").write_text(files[4].read_text().replace(files[4].parent.name, newer.name))
    assert newer.name in [r["id"] for r in same(repo, monkeypatch)["runs"]["runs"]]


def test_an_edit_that_keeps_size_and_mtime_is_seen(repo, monkeypatch):
    # trust stats at once (not after two seconds), so that the next listing relies on them
    monkeypatch.setattr(worktree, "RACY_NS", 0)
    old = time.time() - 3600
    for path in (repo / "registry").rglob("*.yaml"):
        os.utime(path, (old, old))
    same(repo, monkeypatch)  # records the files' stats: all are old enough to be trusted
    model_file = sorted((repo / "registry").glob("models/*/model.yaml"))[0]
    text = model_file.read_text()
    status = next(
        s for s in ("draft", "staging", "production", "retired") if f"status: {s}" in text
    )
    other = next(
        s
        for s in ("draft", "staging", "production", "retired")
        if len(s) == len(status) and s != status
    )
    model_file.write_text(text.replace(f"status: {status}", f"status: {other}"))
    os.utime(model_file, (old, old))  # a tool that keeps mtimes; size is the same too
    after = same(repo, monkeypatch)
    assert other in [
        m["status"] for m in after["models"]["models"] if m["id"] == model_file.parent.name
    ]


@pytest.mark.parametrize("damage", ["typo", "id elsewhere"])
def test_a_broken_file_is_the_same_error_either_way(repo, monkeypatch, damage):
    same(repo, monkeypatch)
    broken = a_run_file(repo, "status:")
    if damage == "typo":
        broken.write_text(broken.read_text().replace("status:", "stauts:"))
        word = "stauts"
    else:  # valid on its own, but its id is not its folder's name
        broken.write_text(
            broken.read_text().replace(
                f"id: {broken.parent.name}", "id: run_20200101000000_elsewhere"
            )
        )
        word = "run_20200101000000_elsewhere"
    errors = []
    for cached in ("0", "1", "1"):
        monkeypatch.setenv("MODELYARD_CACHE", cached)
        with pytest.raises(RegistryFileError) as exc:
            runs.list_runs(Registry.open(repo), limit=500)
        errors.append(str(exc.value))
    assert errors[0] == errors[1] == errors[2] and word in errors[0]
    # committed broken: the cache keeps it and still reads it the ordinary way
    git(repo, "commit", "-qam", "broken")
    for cached in ("1", "1", "0"):
        monkeypatch.setenv("MODELYARD_CACHE", cached)
        with pytest.raises(RegistryFileError) as exc:
            runs.list_runs(Registry.open(repo), limit=500)
        assert str(exc.value) == errors[0]


def test_equal_across_branch_switches_rebases_and_gc(repo, monkeypatch):
    base = same(repo, monkeypatch)
    git(repo, "switch", "-qc", "side")
    reg = Registry.open(repo)
    rec = base["recipes"]["recipes"][1]
    for kind in ("train", "eval"):
        runs.create_run(
            reg, {"recipe_id": rec["id"], "recipe_version_id": rec["version"], "run_type": kind}
        )
    side = same(repo, monkeypatch)
    git(repo, "switch", "-q", "main")
    assert same(repo, monkeypatch) == base
    # main moves on; side is rebased onto it, and the commits the cache saw are pruned
    run_file = a_run_file(repo, "run_type: train")
    run_file.write_text(run_file.read_text().replace("run_type: train", "run_type: backtest"))
    git(repo, "commit", "-qam", "main moves on")
    git(repo, "switch", "-q", "side")
    assert same(repo, monkeypatch) == side
    git(repo, "rebase", "-q", "main")
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    rebased = same(repo, monkeypatch)
    assert rebased["runs"]["total"] == side["runs"]["total"]
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    assert same(repo, monkeypatch)["runs"]["total"] == side["runs"]["total"] - 1


@pytest.mark.parametrize("damage", ["garbage", "folder"])
def test_a_cache_file_that_cannot_be_used_is_no_cache(repo, monkeypatch, damage):
    plain = same(repo, monkeypatch)
    path = repo / ".git" / "modelyard" / FILE
    for f in path.parent.glob(FILE + "*"):
        f.unlink()
    if damage == "garbage":
        path.write_bytes(b"not a database" * 100)
    else:
        path.mkdir()
    monkeypatch.setenv("MODELYARD_CACHE", "1")
    reg = Registry.open(repo)
    # a file that is not a database is replaced; a folder in its way means no cache at all
    assert (reg.blob_cache is None) == (damage == "folder")
    assert answers(repo, False, monkeypatch) == plain
    monkeypatch.setenv("MODELYARD_CACHE", "1")
    assert runs.list_runs(Registry.open(repo), limit=500).model_dump(mode="json") == plain["runs"]


READER = """
import json, sys
from modelyard.ops import runs, recipes
from modelyard.storage import worktree
from modelyard.storage.registry import Registry
seen = []
for _ in range(int(sys.argv[2])):
    reg = Registry.open(sys.argv[1])
    page = runs.list_runs(reg, limit=500)
    ids = [r.id for r in page.runs]
    assert page.total == len(ids) == len(set(ids)), (page.total, len(ids))
    recipes.list_recipes(reg)
    seen.append(page.total)
print(json.dumps(seen))
"""

WRITER = """
import sys
from modelyard.ops import runs, recipes
from modelyard.storage import worktree
from modelyard.storage.registry import Registry
reg = Registry.open(sys.argv[1])
rec = recipes.list_recipes(reg).recipes[0]
for i in range(int(sys.argv[2])):
    runs.create_run(reg, {"recipe_id": rec.id, "recipe_version_id": rec.version, \
"run_type": "train"})
"""


def test_concurrent_readers_and_writers(repo, monkeypatch):
    first = same(repo, monkeypatch)
    (repo / ".git" / "modelyard" / FILE).unlink()  # all of them start on an empty cache
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MODELYARD_CACHE": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(repo), "6"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    ]
    procs += [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(repo), "4"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    deadline = time.monotonic() + 120
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
        assert p.returncode == 0, err.decode()
        outs.append(out.decode())
    for out in outs[1:]:
        totals = json.loads(out)
        # every reader saw a whole registry: never fewer runs than at the start, never more than
        # at the end
        assert all(first["runs"]["total"] <= t <= first["runs"]["total"] + 6 for t in totals)
        assert totals == sorted(totals)
    after = same(repo, monkeypatch)
    assert after["runs"]["total"] == first["runs"]["total"] + 6
    assert git(repo, "status", "--porcelain") == ""
    assert len(after["runs"]["runs"]) == after["runs"]["total"]


def test_recipe_versions_equal_with_manifests_edited_broken_and_committed(repo, monkeypatch):
    # a recipes listing takes the current version of files equal to HEAD's from the index's
    # filter column, and reads the others: every way a manifest can differ gives the same page
    before = same(repo, monkeypatch)
    listed = [r["id"] for r in before["recipes"]["recipes"]]
    assert len(listed) > 5  # enough for the listing to ask the index, not the files
    reg_dir = repo / "registry" / "recipes"
    edited, staged, broken = (reg_dir / rid / "manifest.yaml" for rid in listed[:3])
    version = before["recipes"]["recipes"][0]["version"]
    edited.write_text(edited.read_text().replace(f"version: {version}", "version: 9.9.9", 1))
    staged.write_text(staged.read_text().replace("version: ", "version: 7.0.0\n#", 1))
    git(repo, "add", str(staged))
    after = same(repo, monkeypatch)
    got = {r["id"]: r["version"] for r in after["recipes"]["recipes"]}
    assert got[listed[0]] == "9.9.9" and got[listed[1]] == "7.0.0"
    git(repo, "commit", "-qam", "versions by hand")
    assert same(repo, monkeypatch)["recipes"] == after["recipes"]
    broken.write_text(broken.read_text().replace("version: ", "version: not-a-version #", 1))
    errors = []
    for cached in ("0", "1", "1"):
        monkeypatch.setenv("MODELYARD_CACHE", cached)
        with pytest.raises(RegistryFileError) as exc:
            recipes.list_recipes(Registry.open(repo), limit=500)
        errors.append(str(exc.value))
    assert errors[0] == errors[1] == errors[2] and "manifest.yaml" in errors[0]
