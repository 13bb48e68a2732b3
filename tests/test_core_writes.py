"""Writing: one mutation, one commit; concurrent writers; the user's work left alone;
refusals and rollbacks that change nothing; authors and committers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import git, manifest
from modelyard.domain.records import ManifestFile, MonitoringSnapshot, Run
from modelyard.errors import DirtyTree, GitError, LockTimeout
from modelyard.ops import models, monitoring, recipes, runs, versions
from modelyard.storage import files, layout, plumbing
from modelyard.storage.registry import Registry

SRC = Path(__file__).resolve().parents[1] / "src"

WRITER = textwrap.dedent("""
    import sys
    from modelyard.ops import monitoring, runs
    from modelyard.storage.registry import Registry

    root, worker, model_id, recipe_id = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    reg = Registry(__import__("pathlib").Path(root))
    for i in range(25):
        if (worker + i) % 2:
            runs.create_run(reg, {"recipe_id": recipe_id, "recipe_version_id": "1.0.0", "run_type": "train",
                                  "model_id": model_id, "created_by": f"worker{worker} <w{worker}@example.com>"})
        else:
            monitoring.create_snapshot(reg, model_id, {"drift_metrics_json": {"psi": worker + i / 100},
                                                       "created_by": f"worker{worker} <w{worker}@example.com>"})
""")  # noqa: E501


@pytest.fixture
def model_id(reg: Registry, base_recipe: str) -> str:
    return models.register_model(
        reg,
        {
            "name": "Prod pricing",
            "recipe_id": base_recipe,
            "recipe_version_id": "1.0.0",
            "owner": "team",
        },
    ).id


def state(root: Path) -> dict[str, str]:
    """Everything a failed or refused mutation must leave as it was."""
    return {
        "head": git(root, "rev-parse", "HEAD"),
        "branch": git(root, "rev-parse", "refs/heads/main"),
        "status": git(root, "status", "--porcelain=v1", "--untracked-files=all"),
        "diff": git(root, "diff"),
        "cached": git(root, "diff", "--cached"),
        "files": "\n".join(
            f"{p.relative_to(root)}:{p.stat().st_mode:o}:{p.read_bytes().hex()}"
            for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts
        ),
    }


def test_four_processes_twenty_five_mutations_each(reg, base_recipe, model_id):
    root = reg.worktree
    before = int(git(root, "rev-list", "--count", "HEAD"))
    env = {**os.environ, "PYTHONPATH": str(SRC), "MODELYARD_LOCK_TIMEOUT": "120"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(reg.root), str(w), model_id, base_recipe],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for w in range(4)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()

    assert int(git(root, "rev-list", "--count", "HEAD")) == before + 100
    assert git(root, "status", "--porcelain") == ""
    authors = git(root, "log", f"-{100}", "--format=%an").splitlines()
    assert sorted(set(authors)) == ["worker0", "worker1", "worker2", "worker3"]
    assert all(authors.count(f"worker{w}") == 25 for w in range(4))
    # every commit touched exactly one new record
    stats = git(root, "log", "-100", "--format=tformat:@@", "--name-status").split("@@")[1:]
    assert all(
        len([ln for ln in s.splitlines() if ln]) == 1 and s.strip().startswith("A\t") for s in stats
    )
    all_runs = runs.list_runs(Registry(reg.root), limit=500)
    snaps = monitoring.list_snapshots(Registry(reg.root), model_id, limit=500)
    assert all_runs.total == 50 and snaps.total == 50
    # every file on disk parses
    for path in (reg.root / "runs").rglob("run.yaml"):
        files.parse_text(path.read_bytes(), Run, str(path))
    for path in (reg.root / "models" / model_id / "monitoring").glob("*.yaml"):
        files.parse_text(path.read_bytes(), MonitoringSnapshot, str(path))
    assert git(root, "fsck", "--no-progress") == ""


def test_a_mutation_leaves_unrelated_staged_and_unstaged_changes(reg, base_recipe, model_id):
    root = reg.worktree
    (root / "README.md").write_text("first\n")
    (root / "notes.txt").write_text("keep\n")
    git(root, "add", "README.md", "notes.txt")
    git(root, "commit", "-qm", "Docs")
    # the user's work in progress: staged, unstaged, both, untracked, and inside the registry
    (root / "README.md").write_text("staged\n")
    git(root, "add", "README.md")
    (root / "README.md").write_text("staged then edited\n")
    (root / "notes.txt").write_text("unstaged edit\n")
    (root / "scratch.py").write_text("print('untracked')\n")
    (root / "new_staged.txt").write_text("added\n")
    git(root, "add", "new_staged.txt")
    model_file = reg.path(layout.model_file(model_id))
    model_file.write_text(model_file.read_text() + "# a comment in progress\n")
    before = {
        "diff": git(root, "diff"),
        "cached": git(root, "diff", "--cached"),
        "bytes": {
            p: (root / p).read_bytes()
            for p in ("README.md", "notes.txt", "scratch.py", "new_staged.txt")
        },
        "model": model_file.read_bytes(),
    }
    head = git(root, "rev-parse", "HEAD")

    run = runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "eval"}
    )

    assert git(root, "rev-parse", "HEAD~1") == head
    assert git(root, "diff") == before["diff"]
    assert git(root, "diff", "--cached") == before["cached"]
    assert {p: (root / p).read_bytes() for p in before["bytes"]} == before["bytes"]
    assert model_file.read_bytes() == before["model"]
    assert git(root, "show", "--name-only", "--format=", "HEAD").splitlines() == [
        f"registry/{layout.run_file(run.id)}"
    ]
    assert "new_staged.txt" not in git(root, "ls-tree", "-r", "--name-only", "HEAD")


def test_a_mutation_over_uncommitted_edits_is_refused(reg, base_recipe):
    rel = layout.recipe_file(base_recipe)
    path = reg.path(rel)
    path.write_text(path.read_text().replace("name: Pricing Baseline", "name: My edit"))
    before = state(reg.worktree)
    with pytest.raises(DirtyTree) as info:
        recipes.update_recipe(reg, base_recipe, {"status": "approved"})
    assert str(info.value) == (
        f"registry/{rel} has uncommitted changes that this would overwrite\n"
        "Suggested action: commit or stash them first (`git stash`), then run the command again"
    )
    assert info.value.http_status == 409
    assert state(reg.worktree) == before
    # staged edits count too
    git(reg.worktree, "add", str(path))
    before = state(reg.worktree)
    with pytest.raises(DirtyTree):
        recipes.update_recipe(reg, base_recipe, {"status": "approved"})
    assert state(reg.worktree) == before


def test_a_new_run_is_committed_without_reading_gits_index(reg, base_recipe, model_id, monkeypatch):
    """A new run's or snapshot's file is named by an id made a moment ago: HEAD and the disk
    show that nothing is at it, so `git status` (which reads git's whole index) is not asked;
    the user's index still follows the commit."""
    from modelyard.storage.git import Git

    asked: list[list[str]] = []
    real = Git.dirty
    monkeypatch.setattr(Git, "dirty", lambda self, paths: asked.append(list(paths)) or [])
    run = runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
    )
    snap = monitoring.create_snapshot(reg, model_id, {"drift_metrics_json": {"psi": 0.1}})
    assert asked == []
    assert git(reg.worktree, "status", "--porcelain=v1", "--untracked-files=all") == ""
    assert git(reg.worktree, "show", "--name-only", "--format=", "HEAD").splitlines() == [
        f"registry/{layout.snapshot_file(model_id, snap.id)}"
    ]
    # an update of that run touches a file HEAD has: git is asked, and an edit refuses it
    runs.update_run(reg, run.id, {"status": "running"})
    assert len(asked) == 1
    monkeypatch.setattr(Git, "dirty", real)
    path = reg.path(layout.run_file(run.id))
    path.write_text(path.read_text() + "# mine\n")
    before = state(reg.worktree)
    with pytest.raises(DirtyTree):
        runs.update_run(reg, run.id, {"status": "succeeded"})
    assert state(reg.worktree) == before


def test_a_file_already_at_a_new_runs_path_is_never_overwritten(reg, base_recipe):
    """Something on disk where a new record's file goes (a stray untracked file) is what git
    is asked about, and the write is refused."""
    run = runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
    )
    rel = f"{layout.RUNS}/{layout.run_file(run.id).parts[1]}/run_20240101000000_strayfil/run.yaml"
    stray = reg.path(rel)
    stray.parent.mkdir()
    stray.write_text("mine\n")
    before = state(reg.worktree)
    with pytest.raises(DirtyTree), reg.mutate("a run over a stray file") as m:
        m.write(rel, "id: run_20240101000000_strayfil\n")
    assert state(reg.worktree) == before
    assert stray.read_text() == "mine\n"


def test_a_failing_commit_leaves_everything_as_before(reg, base_recipe, model_id, monkeypatch):
    root = reg.worktree
    spare = recipes.create_recipe(
        reg,
        {
            "name": "Spare",
            "model_family": "forecasting",
            "level": "baseline",
            "manifest": manifest("forecasting"),
        },
    ).id
    for path in (reg.root / "recipes" / spare).iterdir():
        path.chmod(0o640)
    (root / "README.md").write_text("staged\n")
    git(root, "add", "README.md")
    (root / "wip.txt").write_text("mine\n")
    lock = Path(git(root, "rev-parse", "--absolute-git-dir")) / "refs" / "heads" / "main.lock"
    lock.write_text("")
    before = state(root)
    index_before = git(root, "ls-files", "--stage")

    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    attempts = [
        lambda: runs.create_run(
            reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
        ),  # a new file in new folders
        lambda: versions.create_version(
            reg, base_recipe, {"manifest_json": m, "change_note": "x"}
        ),  # two files
        lambda: models.update_model(reg, model_id, {"name": "Renamed"}),
        lambda: recipes.delete_recipe(reg, spare),  # deleted files and their folder come back
    ]
    monkeypatch.setattr(plumbing, "REF_LOCK_SECONDS", 0.1)
    for attempt in attempts:
        # a lock nobody releases: named, with what to do, and nothing committed
        with pytest.raises(LockTimeout, match=r"refs/heads/main stayed locked .*main\.lock"):
            attempt()
        assert state(root) == before
        assert git(root, "ls-files", "--stage") == index_before
    assert not (reg.root / "runs").exists()

    lock.unlink()
    runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
    )
    assert git(root, "rev-list", "--count", f"{before['head']}..HEAD") == "1"
    assert git(root, "diff", "--cached", "--name-only") == "README.md"


def test_each_mutation_is_one_commit_of_its_own_paths(reg, base_recipe, model_id):
    root = reg.worktree

    def touched() -> list[str]:
        return sorted(git(root, "show", "--name-only", "--format=", "HEAD").splitlines())

    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    versions.create_version(reg, base_recipe, {"manifest_json": m, "change_note": "Tune"})
    # the manifest, and recipe.yaml when its updated_at moved on
    assert f"registry/recipes/{base_recipe}/manifest.yaml" in touched()
    assert set(touched()) <= {
        f"registry/recipes/{base_recipe}/{name}" for name in ("manifest.yaml", "recipe.yaml")
    }

    run = runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.1", "run_type": "train"}
    )
    runs.update_run(
        reg, run.id, {"status": "succeeded", "metrics_json": {"MAPE": 0.1}, "logs_text": "done\n"}
    )
    assert touched() == [
        f"registry/{layout.logs_file(run.id)}",
        f"registry/{layout.run_file(run.id)}",
    ]
    count = git(root, "rev-list", "--count", "HEAD")
    runs.update_run(reg, run.id, {"metrics_json": {"MAPE": 0.1}})  # nothing changes: no commit
    assert git(root, "rev-list", "--count", "HEAD") == count

    snap = monitoring.create_snapshot(reg, model_id, {"drift_metrics_json": {"psi": 0.1}})
    assert touched() == [f"registry/{layout.snapshot_file(model_id, snap.id)}"]
    assert git(root, "log", "-1", "--format=%s") == f"Monitoring snapshot {snap.id} of {model_id}"
    assert git(root, "status", "--porcelain") == ""


def test_authors_come_from_the_request(reg, base_recipe):
    root = reg.worktree
    models.register_model(
        reg,
        {
            "name": "m",
            "recipe_id": base_recipe,
            "recipe_version_id": "1.0.0",
            "owner": "Grace Hopper <grace@example.com>",
        },
    )
    assert git(root, "log", "-1", "--format=%an|%ae|%cn|%ce") == (
        "Grace Hopper|grace@example.com|Test User|test@example.com"
    )
    runs.create_run(
        reg,
        {
            "recipe_id": base_recipe,
            "recipe_version_id": "1.0.0",
            "run_type": "eval",
            "created_by": "pricing-team",
        },
    )
    assert git(root, "log", "-1", "--format=%an|%cn") == "pricing-team|Test User"
    # no author in the request: git's configured user
    recipes.update_recipe(reg, base_recipe, {"status": "approved"})
    assert git(root, "log", "-1", "--format=%an|%ae") == "Test User|test@example.com"
    # the configured user's own name gets their email
    recipes.update_recipe(reg, base_recipe, {"status": "draft", "updated_by": "Test User"})
    assert git(root, "log", "-1", "--format=%an|%ae") == "Test User|test@example.com"


def test_committer_falls_back_when_git_has_no_identity(reg, base_recipe, monkeypatch):
    gitconfig = Path(os.environ["GIT_CONFIG_GLOBAL"])
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("EMAIL", "")  # no guessing from the environment either
    models.register_model(
        reg,
        {
            "name": "m",
            "recipe_id": base_recipe,
            "recipe_version_id": "1.0.0",
            "owner": "Grace Hopper <grace@example.com>",
        },
    )
    assert git(reg.worktree, "log", "-1", "--format=%an|%ae|%cn|%ce") == (
        "Grace Hopper|grace@example.com|modelyard|modelyard@localhost"
    )
    recipes.update_recipe(reg, base_recipe, {"status": "approved"})
    assert git(reg.worktree, "log", "-1", "--format=%an|%ae|%cn|%ce") == (
        "modelyard|modelyard@localhost|modelyard|modelyard@localhost"
    )


def test_lock_timeout_is_clear(reg, base_recipe, monkeypatch):
    from filelock import FileLock

    monkeypatch.setenv("MODELYARD_LOCK_TIMEOUT", "0.2")
    held = FileLock(
        str(Path(git(reg.worktree, "rev-parse", "--absolute-git-dir")) / "modelyard.lock")
    )
    held.acquire()
    try:
        before = state(reg.worktree)
        with pytest.raises(LockTimeout) as info:
            recipes.update_recipe(reg, base_recipe, {"status": "approved"})
        assert info.value.http_status == 503
        assert "another modelyard process has held the registry's write lock for over 0.2 s" in str(
            info.value
        )
        assert state(reg.worktree) == before
    finally:
        held.release()


def test_a_registry_outside_git_refuses_to_write(tmp_path, base_recipe, reg):
    plain = tmp_path / "plain" / "registry"
    plain.mkdir(parents=True)
    (plain / "modelyard.yaml").write_bytes(reg.path("modelyard.yaml").read_bytes())
    outside = Registry(plain)
    with pytest.raises(GitError, match="is not inside a git repository"):
        recipes.create_recipe(
            outside,
            {"name": "x", "model_family": "pricing", "level": "baseline", "manifest": manifest()},
        )
    assert list(plain.iterdir()) == [plain / "modelyard.yaml"]


def test_a_write_between_readers_sees_the_committed_file(reg, base_recipe):
    # the manifest on disk after a version is exactly what was committed
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    versions.create_version(reg, base_recipe, {"manifest_json": m, "change_note": "Tune"})
    rel = f"registry/{layout.manifest_file(base_recipe)}"
    assert (
        git(reg.worktree, "show", f"HEAD:{rel}") + "\n"
        == reg.path(layout.manifest_file(base_recipe)).read_text()
    )
    assert reg.read(layout.manifest_file(base_recipe), ManifestFile).version == "1.0.1"


def test_a_mutation_that_changes_nothing_makes_no_commit(reg, base_recipe):
    rel = layout.recipe_file(base_recipe)
    head = git(reg.worktree, "rev-parse", "HEAD")
    with reg.mutate("Rewrite the same bytes") as m:
        m.write(rel, reg.path(rel).read_text())
        m.delete("recipes/nothing_here/recipe.yaml")
    assert m.sha is None
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    assert git(reg.worktree, "status", "--porcelain") == ""


def test_written_files_get_the_usual_mode(reg, base_recipe):
    umask = os.umask(0o022)
    os.umask(umask)
    for path in (reg.root / "recipes" / base_recipe).iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path
    # an existing file keeps the mode its owner gave it
    rel = layout.recipe_file(base_recipe)
    reg.path(rel).chmod(0o640)
    git(reg.worktree, "commit", "-qam", "no-op", "--allow-empty")
    recipes.update_recipe(reg, base_recipe, {"status": "approved"})
    assert reg.path(rel).stat().st_mode & 0o777 == 0o640


def test_a_staged_rename_between_two_records_names_both(reg, base_recipe):
    recipes.create_recipe(
        reg,
        {
            "name": "Other",
            "model_family": "pricing",
            "level": "baseline",
            "id": "recipe_other",
            "manifest": manifest(),
        },
    )
    root = reg.worktree
    old, new = (
        f"registry/recipes/{base_recipe}/recipe.yaml",
        "registry/recipes/recipe_other/notes.yaml",
    )
    git(root, "mv", old, new)
    assert sorted(reg.git.dirty([old, new])) == sorted([old, new])


@pytest.mark.parametrize("who", ["  ", "<>", " <> "])
def test_a_blank_author_falls_back_to_git_s_user(reg, base_recipe, who):
    runs.create_run(
        reg,
        {
            "recipe_id": base_recipe,
            "recipe_version_id": "1.0.0",
            "run_type": "train",
            "created_by": who,
        },
    )
    assert git(reg.worktree, "log", "-1", "--format=%an|%ae") == "Test User|test@example.com"


def test_a_briefly_locked_index_is_still_brought_in_step(reg, base_recipe):
    import threading

    lock = Path(git(reg.worktree, "rev-parse", "--absolute-git-dir")) / "index.lock"
    lock.write_text("")  # an editor refreshing the index in the background
    timer = threading.Timer(0.3, lock.unlink)
    timer.start()
    try:
        recipes.update_recipe(reg, base_recipe, {"status": "approved"})
    finally:
        timer.join()
    # the user's index holds the committed file: nothing staged would undo the commit
    assert git(reg.worktree, "diff", "--cached", "--name-only") == ""
    assert git(reg.worktree, "status", "--porcelain") == ""
