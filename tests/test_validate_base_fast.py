"""What `validate --base` does to be fast keeps its answers: recipes' children and models'
recipes read for every value in one `git grep` (validate/tree.py `WHOLE`), on real git
repositories with new, quoted, look-alike, ignored and deleted files; git's comparison with
the base started before the command's imports (storage/early.py), with every kind of change."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from modelyard.errors import GitError
from modelyard.storage import git as gitmodule
from modelyard.storage.registry import Registry
from modelyard.validate import reporters, run
from modelyard.validate.tree import MODEL_FILES, RECIPE_FILES, RUN_FILES, Tree
from validate_fixtures import SRC, cli, copy, edit, git, template  # noqa: F401  (fixtures)

BASE = "recipe_pricing_base"
BASE_MF = "recipes/recipe_pricing_base/manifest.yaml"


def add_child(reg: Registry, new_id: str, parent_line: str) -> None:
    """A copy of the retail child under `new_id`, its parent written as `parent_line`."""
    shutil.copytree(reg.path("recipes/recipe_retail_pricing"), reg.path(f"recipes/{new_id}"))
    edit(reg, f"recipes/{new_id}/recipe.yaml", "id: recipe_retail_pricing", f"id: {new_id}")
    edit(reg, f"recipes/{new_id}/recipe.yaml", f"parent_id: {BASE}", parent_line)


def tangle(reg: Registry) -> None:
    """Children written every way: quoted and new, a look-alike parent id, an ignored folder,
    and a model file deleted from the working tree only."""
    add_child(reg, "recipe_lookalike", f"parent_id: {BASE}_old")
    git(reg.worktree, "add", "-A")
    git(reg.worktree, "commit", "-q", "-m", "a look-alike")
    add_child(reg, "recipe_quoted_new", f"parent_id: '{BASE}'")  # never committed
    add_child(reg, "recipe_ignored", f"parent_id: {BASE}")
    (reg.worktree / ".gitignore").write_text("registry/recipes/recipe_ignored/\n")
    reg.path("models/model_forecast/model.yaml").unlink()


def answers(tree: Tree) -> dict[str, dict[str, list[str]]]:
    return {
        "children": tree.users("parent_id", {BASE, f"{BASE}_old", "recipe_none"}, RECIPE_FILES),
        "models": tree.users(
            "recipe_id", {BASE, "recipe_demand_forecast", "recipe_pricing"}, MODEL_FILES
        ),
        "runs": tree.users("recipe_id", {"recipe_demand_forecast"}, RUN_FILES),
    }


def test_users_of_every_value_at_once(copy, monkeypatch) -> None:  # noqa: F811
    reg, ids = copy
    tangle(reg)
    expected = {
        "children": {
            BASE: [
                "recipes/recipe_quoted_new/recipe.yaml",
                "recipes/recipe_retail_pricing/recipe.yaml",
            ],
            f"{BASE}_old": ["recipes/recipe_lookalike/recipe.yaml"],
            "recipe_none": [],
        },
        "models": {
            BASE: ["models/model_pricing_prod/model.yaml"],
            "recipe_demand_forecast": [],  # its only model's file is deleted
            "recipe_pricing": [],  # a prefix of a real id is not that id
        },
        "runs": {"recipe_demand_forecast": [f"runs/{_shard(reg, ids['run_queued'])}/run.yaml"]},
    }
    # as `validate PATHS` asks (git grep reads new files itself) ...
    found = answers(Tree(reg))
    assert {k: {v: sorted(r) for v, r in d.items()} for k, d in found.items()} == expected
    # ... and as `validate --base` does (new files found beforehand, read here)
    tree = Tree(reg)
    tree.new_files = git(reg.worktree, "ls-files", "--others", "--exclude-standard", "registry")
    tree.new_files = [p.removeprefix("registry/") for p in tree.new_files.split("\n") if p]
    calls: list[tuple[str, ...]] = []
    grep = reg.git.grep_fixed

    def counted(patterns, *specs, untracked=True):  # type: ignore[no-untyped-def]
        calls.append(specs)
        return grep(patterns, *specs, untracked=untracked)

    monkeypatch.setattr(reg.git, "grep_fixed", counted)
    found = answers(tree)
    assert {k: {v: sorted(r) for v, r in d.items()} for k, d in found.items()} == expected
    # recipes and models in one grep, asked again from memory; runs by value
    assert answers(tree) == found
    assert len(calls) == 2
    # the same grep started in the background first, and read when asked
    started = Tree(reg)
    started.new_files = tree.new_files
    started.start_users()
    assert len(mine(reg)) == 1
    assert answers(started) == found
    assert mine(reg) == []


def mine(reg: Registry) -> list[tuple[str, ...]]:
    """The gits started in the background for this registry's working tree."""
    return [args for tree, args in gitmodule._STARTED if tree == str(reg.worktree)]


def test_a_grep_started_and_not_needed_is_stopped(copy) -> None:  # noqa: F811
    """A model's status change starts the grep of recipes and models (a model changed), but
    a status change that is no promotion never asks it: the check stops it."""
    reg, _ = copy
    edit(reg, "models/model_pricing_prod/model.yaml", "status: production", "status: retired")
    report = run(reg, base="HEAD")
    assert report.errors == [] and "registry/models/model_pricing_prod/model.yaml" in (
        report.changed_files
    )
    assert mine(reg) == []


def _shard(reg: Registry, run_id: str) -> str:
    [path] = [p for p in reg.path("runs").glob(f"*/{run_id}")]
    return f"{path.parent.name}/{run_id}"


def test_a_review_finds_a_new_quoted_child_and_its_impact(copy) -> None:  # noqa: F811
    reg, _ = copy
    tangle(reg)
    edit(reg, BASE_MF, "version: 1.0.1", "version: 1.1.0")
    edit(reg, BASE_MF, "learning_rate: 0.03", "learning_rate: 0.03\n      depth: 4")
    report = run(reg, base="HEAD")
    impacted = sorted(i.recipe_id for i in report.descendant_impacts)
    assert impacted == ["recipe_quoted_new", "recipe_retail_pricing"]
    assert "registry/recipes/recipe_quoted_new/recipe.yaml" in report.changed_files
    assert not any("recipe_ignored" in f for f in report.changed_files)
    assert not any("recipe_lookalike" in p.file for p in report.problems)


# -- git's comparison started before the imports (storage/early.py) -------------------------
PROD = "models/model_pricing_prod/model.yaml"
FORECAST_MF = "recipes/recipe_demand_forecast/manifest.yaml"


def every_kind_of_change(reg: Registry) -> None:
    """On a branch of main: a committed manifest edit, then a staged one, an edit left in the
    working tree, a new file git does not track, and a deleted file still in use."""
    git(reg.worktree, "switch", "-q", "-c", "change")
    edit(reg, BASE_MF, "learning_rate: 0.03", "learning_rate: 0.05")  # committed, not bumped
    git(reg.worktree, "commit", "-q", "-am", "committed")
    edit(reg, FORECAST_MF, "version: 1.0.0", "version: 0.9.0")  # staged: goes down
    git(reg.worktree, "add", FORECAST_MF.join(["registry/", ""]))
    edit(reg, PROD, "owner: pricing-team", "owner: someone-else")  # in the working tree only
    shutil.copytree(reg.path("models/model_forecast"), reg.path("models/model_new"))  # new
    edit(reg, "models/model_new/model.yaml", "id: model_forecast", "id: model_new")
    edit(reg, "models/model_new/model.yaml", "status: draft", "status: production")
    shutil.rmtree(reg.path("recipes/recipe_retail_pricing"))  # deleted, not staged


def test_the_command_answers_as_the_library_does(copy) -> None:  # noqa: F811
    """`modelyard validate --base` (which starts git before its imports) reports exactly what
    `validate.run` (which does not) reports, for every kind of change at once."""
    reg, _ = copy
    every_kind_of_change(reg)
    expected = json.loads(reporters.as_json(run(reg, base="main")))
    # each kind of change is seen: committed, staged, new and deleted (the working-tree edit
    # of an owner is no error, but the file is among those changed)
    codes = sorted(p["code"] for p in expected["problems"])
    assert codes == ["production-unapproved", "version-not-bumped", "version-not-greater"]
    changed = expected["changed_files"]
    assert f"registry/{PROD}" in changed and "registry/models/model_new/model.yaml" in changed
    statuses = {c["recipe_id"]: c["status"] for c in expected["recipe_changes"]}
    assert statuses["recipe_retail_pricing"] == "deleted"
    done = cli(reg.worktree, "validate", "--format", "json", "--base", "main")
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout) == expected
    # the same through --upstream: the merge base of HEAD and its upstream (main)
    git(reg.worktree, "branch", "-q", "--set-upstream-to=main")
    done = cli(reg.worktree, "validate", "--format", "json", "--upstream")
    got = json.loads(done.stdout)
    assert got.pop("base") == git(reg.worktree, "rev-parse", "main")
    assert got == {k: v for k, v in expected.items() if k != "base"}


def test_a_started_comparison_is_the_one_git_gives(copy) -> None:  # noqa: F811
    reg, _ = copy
    every_kind_of_change(reg)
    plain = reg.git.changed_since("main", "registry")
    reg.git.start_changed_since("main", "registry")
    assert reg.git.changed_since("main", "registry") == plain
    assert {c.path for c in plain} >= {f"registry/{PROD}", f"registry/{FORECAST_MF}"}
    # a base git cannot read: what git says, as without the early start
    reg.git.start_changed_since("no-such-ref", "registry")
    with pytest.raises(GitError, match="git diff failed"):
        reg.git.changed_since("no-such-ref", "registry")


def test_starting_it_needs_no_slow_import(copy) -> None:  # noqa: F811
    reg, _ = copy
    code = (
        "import sys\n"
        "from modelyard.storage.early import start_review\n"
        f"start_review({str(reg.root)!r}, 'HEAD')\n"
        "from modelyard.storage import git\n"
        "print(len(git._STARTED), sorted(m for m in ('pydantic', 'yaml', 'jinja2', 'deepdiff')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "1 []", done.stderr
