"""Version history from git: one pass for every recipe, stable ids across rebase and
squash, and clear messages for shallow clones and detached HEADs."""

from __future__ import annotations

import pytest

from conftest import git, manifest
from modelyard.errors import GitError
from modelyard.ops import models, recipes, runs, versions
from modelyard.ops.history import History
from modelyard.storage.git import Git
from modelyard.storage.registry import Registry

FAMILIES = ("pricing", "forecasting", "next_best_action")


def make_recipe(reg: Registry, family: str, recipe_id: str | None = None) -> str:
    m = manifest(family)
    m["parameters"] = {"step": 0}
    return recipes.create_recipe(
        reg,
        {
            "name": f"{family} base",
            "model_family": family,
            "id": recipe_id,
            "level": "baseline",
            "manifest": m,
        },
    ).id


@pytest.fixture
def base_recipe(reg: Registry) -> str:
    """A pricing baseline whose `parameters.step` each test moves on (patch versions)."""
    return make_recipe(reg, "pricing", "recipe_pricing_base")


def bump_note(reg: Registry, recipe_id: str, family: str, i: int, **extra) -> str:
    """A patch version of `recipe_id` with a distinct parameter value."""
    m = versions.get_version(
        reg, recipe_id, recipes.get_recipe(reg, recipe_id).version
    ).manifest_json
    m["parameters"]["step"] = i
    return versions.create_version(
        reg, recipe_id, {"manifest_json": m, "change_note": f"Step {i} of {family}", **extra}
    ).version_number


@pytest.fixture
def count_git(monkeypatch):
    """Counts git subprocesses started through Git.run (of the uncached reader: the cache's
    own process counts are tested in test_cache_*)."""
    monkeypatch.setenv("MODELYARD_CACHE", "0")
    calls: list[tuple[str, ...]] = []
    real = Git.run

    def counting(self, *args, **kwargs):
        calls.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Git, "run", counting)
    return calls


def test_thirty_versions_of_several_recipes_read_in_one_pass(reg, count_git):
    ids = {family: make_recipe(reg, family) for family in FAMILIES}
    model_id = models.register_model(
        reg,
        {"name": "m", "recipe_id": ids["pricing"], "recipe_version_id": "1.0.0", "owner": "team"},
    ).id
    expected = {family: ["1.0.0"] for family in FAMILIES}
    # 10 rounds x 3 recipes = 30 new versions, interleaved with other commits
    for i in range(1, 11):
        for family in FAMILIES:
            expected[family].append(bump_note(reg, ids[family], family, i))
        runs.create_run(
            reg,
            {
                "recipe_id": ids["pricing"],
                "recipe_version_id": "1.0.0",
                "run_type": "train",
                "model_id": model_id,
            },
        )
        (reg.worktree / "notes.txt").write_text(f"round {i}\n")
        git(reg.worktree, "add", "notes.txt")
        git(reg.worktree, "commit", "-qm", f"Notes {i}")

    count_git.clear()
    history = History(reg)
    listed = {family: versions.list_versions(reg, ids[family], history) for family in FAMILIES}
    # the number of git processes does not grow with recipes or versions
    assert len(count_git) <= 4, count_git
    commands = {
        next(a for a in args if not a.startswith("-") and "=" not in a) for args in count_git
    }
    assert commands <= {"rev-parse", "log", "cat-file"}

    for family in FAMILIES:
        got = listed[family]
        assert got.total == 11
        assert [v.version_number for v in got.versions] == expected[family]
        assert [v.version_number for v in got.versions][-1] == "1.0.10"
        assert [v.change_note for v in got.versions[1:]] == [
            f"Step {i} of {family}" for i in range(1, 11)
        ]
        assert [v.manifest_json.get("parameters", {}).get("step") for v in got.versions] == list(
            range(11)
        )
        for prev, cur in zip(got.versions, got.versions[1:], strict=False):
            assert cur.diff_from_prev["from_version"] == prev.version_number
            assert cur.created_at >= prev.created_at


def test_one_pass_does_not_depend_on_the_number_of_recipes(reg, count_git):
    counts = []
    for n in (1, 4):
        while len(recipes.list_recipes(reg).recipes) < n:
            make_recipe(reg, FAMILIES[len(recipes.list_recipes(reg).recipes) % 3])
        count_git.clear()
        history = History(reg)
        for r in recipes.list_recipes(reg).recipes:
            versions.list_versions(reg, r.id, history)
        counts.append(len(count_git))
    assert counts[0] == counts[1]


def test_listing_recipes_reads_no_git(reg, base_recipe, count_git):
    count_git.clear()
    assert recipes.list_recipes(reg).total == 1
    recipes.get_recipe(reg, base_recipe)
    assert count_git == []


def versions_of(reg: Registry, recipe_id: str) -> list[tuple[str, str, str]]:
    return [
        (v.version_id, v.version_number, v.change_note)
        for v in versions.list_versions(reg, recipe_id).versions
    ]


def test_rebase_keeps_version_ids(reg, base_recipe):
    root = reg.worktree
    git(root, "switch", "-qc", "feature")
    bump_note(reg, base_recipe, "pricing", 1)
    bump_note(reg, base_recipe, "pricing", 2)
    before = versions_of(reg, base_recipe)
    shas_before = [v.commit for v in versions.list_versions(reg, base_recipe).versions]
    # main moves on meanwhile
    git(root, "switch", "-q", "main")
    (root / "README.md").write_text("hello\n")
    git(root, "add", "README.md")
    git(root, "commit", "-qm", "Add a readme")
    git(root, "switch", "-q", "feature")
    git(root, "rebase", "-q", "main")

    reg = Registry(reg.root)
    after = versions.list_versions(reg, base_recipe).versions
    assert versions_of(reg, base_recipe) == before
    assert [v.commit for v in after][1:] != shas_before[1:]  # new commits, same versions
    assert (
        versions.get_version(reg, base_recipe, "ver_pricing_base_v1.0.2").change_note
        == "Step 2 of pricing"
    )


def test_squash_merge_keeps_version_ids(reg, base_recipe):
    root = reg.worktree
    model_id = models.register_model(
        reg, {"name": "m", "recipe_id": base_recipe, "recipe_version_id": "1.0.0", "owner": "team"}
    ).id
    git(root, "switch", "-qc", "feature")
    bump_note(reg, base_recipe, "pricing", 1)
    on_branch = versions_of(reg, base_recipe)
    runs.create_run(
        reg,
        {
            "recipe_id": base_recipe,
            "recipe_version_id": "1.0.1",
            "run_type": "train",
            "model_id": model_id,
        },
    )
    git(root, "switch", "-q", "main")
    git(root, "merge", "-q", "--squash", "feature")
    git(root, "commit", "-qm", "Tune pricing (squashed)")

    reg = Registry(reg.root)
    assert [v[:2] for v in versions_of(reg, base_recipe)] == [v[:2] for v in on_branch]
    assert versions_of(reg, base_recipe)[-1][2] == "Tune pricing (squashed)"
    # what pinned the version on the branch still finds it on main
    [run] = runs.list_runs(reg, recipe_id=base_recipe).runs
    assert versions.get_version(reg, base_recipe, run.recipe_version_id).version_number == "1.0.1"


def test_squashing_two_versions_keeps_the_last_id(reg, base_recipe):
    root = reg.worktree
    git(root, "switch", "-qc", "feature")
    bump_note(reg, base_recipe, "pricing", 1)
    bump_note(reg, base_recipe, "pricing", 2)
    git(root, "switch", "-q", "main")
    git(root, "merge", "-q", "--squash", "feature")
    git(root, "commit", "-qm", "Two tuning steps")
    reg = Registry(reg.root)
    assert [v[0] for v in versions_of(reg, base_recipe)] == [
        "ver_pricing_base_v1.0.0",
        "ver_pricing_base_v1.0.2",
    ]
    last = versions.get_version(reg, base_recipe, "1.0.2")
    assert last.diff_from_prev["from_version"] == "1.0.0"
    assert last.manifest_json["parameters"] == {"step": 2}


def test_shallow_clone_reads_recipes_but_versions_need_history(reg, base_recipe, tmp_path):
    bump_note(reg, base_recipe, "pricing", 1)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{reg.worktree}", str(clone))
    shallow = Registry.open(clone)
    assert recipes.get_recipe(shallow, base_recipe).version == "1.0.1"
    manifest_now, _ = recipes.resolved_manifest(shallow, base_recipe)
    assert manifest_now["parameters"] == {"step": 1}
    with pytest.raises(GitError) as info:
        versions.list_versions(shallow, base_recipe)
    assert str(info.value) == (
        "this is a shallow clone, so the version history is incomplete\n"
        "Suggested action: fetch the whole history: `git fetch --unshallow` "
        "(in GitHub Actions: actions/checkout with `fetch-depth: 0`)"
    )
    # a new version must see every number used before, so it needs the history too
    m = versions.get_version(reg, base_recipe, "1.0.1").manifest_json
    m["parameters"]["step"] = 2
    head = git(clone, "rev-parse", "HEAD")
    with pytest.raises(GitError, match="this is a shallow clone"):
        versions.create_version(shallow, base_recipe, {"manifest_json": m, "change_note": "x"})
    assert git(clone, "rev-parse", "HEAD") == head and git(clone, "status", "--porcelain") == ""
    # other writes work in a shallow clone
    recipes.update_recipe(shallow, base_recipe, {"status": "approved"})
    git(clone, "fetch", "-q", "--unshallow")
    assert versions.list_versions(Registry.open(clone), base_recipe).total == 2


def test_detached_head_reads_but_refuses_to_write(reg, base_recipe):
    root = reg.worktree
    git(root, "switch", "-q", "--detach")
    head = git(root, "rev-parse", "HEAD")
    assert recipes.get_recipe(reg, base_recipe).version == "1.0.0"
    assert versions.list_versions(reg, base_recipe).total == 1
    with pytest.raises(GitError) as info:
        recipes.update_recipe(reg, base_recipe, {"status": "approved"})
    assert str(info.value) == (
        "HEAD is detached, so there is no branch to commit to\n"
        "Suggested action: check out a branch first, e.g. `git switch -c my-change`"
    )
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == ""
    assert recipes.get_recipe(reg, base_recipe).status == "draft"


def test_versions_made_on_merged_branches(reg, base_recipe):
    root = reg.worktree
    other = make_recipe(reg, "forecasting", "recipe_forecast_base")
    git(root, "switch", "-qc", "feature")
    bump_note(reg, base_recipe, "pricing", 1)
    git(root, "switch", "-q", "main")
    bump_note(reg, other, "forecasting", 1)
    git(root, "merge", "-q", "--no-ff", "-m", "Merge feature", "feature")
    reg = Registry(reg.root)
    assert [v[1] for v in versions_of(reg, base_recipe)] == ["1.0.0", "1.0.1"]
    assert [v[1] for v in versions_of(reg, other)] == ["1.0.0", "1.0.1"]


def test_a_version_made_while_resolving_a_merge_conflict(reg, base_recipe):
    root = reg.worktree
    git(root, "switch", "-qc", "feature")
    bump_note(reg, base_recipe, "pricing", 1)
    git(root, "switch", "-q", "main")
    bump_note(reg, base_recipe, "pricing", 2)
    proc = __import__("subprocess").run(
        ["git", "merge", "-q", "feature"], cwd=root, capture_output=True
    )
    assert proc.returncode != 0  # both sides made 1.0.1
    # resolve by hand into a new version that takes both
    rel = reg.path("recipes/recipe_pricing_base/manifest.yaml")
    text = git(root, "show", "feature:registry/recipes/recipe_pricing_base/manifest.yaml")
    rel.write_text(
        text.replace("version: 1.0.1", "version: 1.1.0").replace("step: 1", "step: 3") + "\n"
    )
    git(root, "add", str(rel))
    git(root, "commit", "-qm", "Merge feature: take both steps as 1.1.0")
    reg = Registry(reg.root)
    listed = versions_of(reg, base_recipe)
    assert [v[1] for v in listed] == ["1.0.0", "1.0.1", "1.1.0"]
    assert listed[-1][2] == "Merge feature: take both steps as 1.1.0"
    assert versions.get_version(reg, base_recipe, "1.1.0").manifest_json["parameters"] == {
        "step": 3
    }


def test_a_stray_folder_with_a_bad_name_does_not_break_history(reg, base_recipe):
    stray = reg.root / "recipes" / "Bad-Name"
    stray.mkdir()
    (stray / "manifest.yaml").write_bytes(
        reg.path(f"recipes/{base_recipe}/manifest.yaml").read_bytes()
    )
    git(reg.worktree, "add", str(stray))
    git(reg.worktree, "commit", "-qm", "A folder made by hand")
    assert versions.list_versions(reg, base_recipe).total == 1
    assert [r.id for r in recipes.list_recipes(reg).recipes] == [base_recipe]


def test_simple_reads_import_no_heavy_library(reg, base_recipe):
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys\n"
        "from modelyard.ops import models, recipes, runs\n"
        "from modelyard.storage.registry import Registry\n"
        f"reg = Registry.open({str(reg.root)!r})\n"
        "recipes.list_recipes(reg); recipes.get_recipe(reg, 'recipe_pricing_base')\n"
        "recipes.resolved_manifest(reg, 'recipe_pricing_base'); "
        "models.list_models(reg); runs.list_runs(reg)\n"
        "print(sorted(m for m in ('deepdiff', 'jinja2', 'fastapi', 'git', 'filelock') "
        "if m in sys.modules))\n"
    )
    src = Path(__file__).resolve().parents[1] / "src"
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_a_registry_in_a_folder_with_a_non_ascii_name(tmp_path):
    from modelyard.ops import setup

    reg = setup.init_registry(tmp_path / "repo", subdir="modèles ML")
    rid = make_recipe(reg, "pricing", "recipe_pricing_base")
    bump_note(reg, rid, "pricing", 1)
    assert [v.version_number for v in versions.list_versions(reg, rid).versions] == [
        "1.0.0",
        "1.0.1",
    ]


def lineage_and_a_stranger(reg: Registry, base_recipe: str) -> tuple[str, str]:
    """A child pinned to an older version of `base_recipe`, and an unrelated recipe with
    versions of its own; returns (child, stranger)."""
    child = recipes.create_recipe(
        reg,
        {
            "name": "retail",
            "model_family": "pricing",
            "level": "industry",
            "parent_id": base_recipe,
        },
    ).id
    bump_note(reg, base_recipe, "pricing", 1)  # the child stays pinned to 1.0.0
    stranger = make_recipe(reg, "forecasting", "recipe_forecast_base")
    for i in range(1, 4):
        bump_note(reg, stranger, "forecasting", i)
    return child, stranger


@pytest.mark.parametrize("cache", ["1", "0"])
def test_one_recipes_versions_read_only_its_lineages_history(reg, base_recipe, monkeypatch, cache):
    from modelyard.storage.history import VersionReader

    monkeypatch.setenv("MODELYARD_CACHE", cache)
    child, _stranger = lineage_and_a_stranger(reg, base_recipe)
    asked: list[list[str] | None] = []
    blobs: list[str] = []
    real_read, real_cat = VersionReader.read, Git.cat_blobs

    def read(self, recipe_ids=None):
        asked.append(None if recipe_ids is None else list(recipe_ids))
        return real_read(self, recipe_ids)

    def cat_blobs(self, shas):
        shas = list(shas)
        blobs.extend(shas)
        return real_cat(self, shas)

    monkeypatch.setattr(VersionReader, "read", read)
    monkeypatch.setattr(Git, "cat_blobs", cat_blobs)
    reg = Registry(reg.root)
    listed = versions.list_versions(reg, child).versions
    assert [v.version_number for v in listed] == ["1.0.0"]
    assert listed[0].manifest_json["parameters"] == {"step": 0}  # the parent's 1.0.0
    versions.get_version(reg, child, "1.0.0")
    assert asked and all(ids is not None for ids in asked)  # never the whole registry
    assert {i for ids in asked for i in ids or []} == {child, base_recipe}
    # the child's one manifest and the parent's two, never the stranger's four
    assert len(set(blobs)) <= 3, blobs


@pytest.mark.parametrize("cache", ["1", "0"])
def test_one_recipe_at_a_time_answers_as_the_whole_pass(reg, base_recipe, monkeypatch, cache):
    monkeypatch.setenv("MODELYARD_CACHE", cache)
    root = reg.worktree
    child, stranger = lineage_and_a_stranger(reg, base_recipe)
    git(root, "switch", "-qc", "feature")
    bump_note(reg, base_recipe, "pricing", 2)
    git(root, "switch", "-q", "main")
    bump_note(reg, stranger, "forecasting", 4)
    git(root, "merge", "-q", "--no-ff", "-m", "Merge feature", "feature")
    # deleted and made again: a new history under the same id
    git(root, "rm", "-rq", str(reg.path(f"recipes/{stranger}")))
    git(root, "commit", "-qm", "Remove the forecast")
    make_recipe(reg, "forecasting", stranger)
    reg = Registry(reg.root)
    whole = History(reg)
    assert len(whole.versions_of(base_recipe)) == 3 and len(whole.versions_of(stranger)) == 1
    for recipe_id in (base_recipe, child, stranger, "recipe_never_made"):
        one = History(reg, lazy=True)
        count = len(whole.versions_of(recipe_id))
        assert len(one.versions_of(recipe_id)) == count
        assert [one.record(recipe_id, i) for i in range(count)] == [
            whole.record(recipe_id, i) for i in range(count)
        ]
