"""What `validate --base` does to be fast keeps its answers: recipes' children and models'
recipes read for every value in one `git grep` (validate/tree.py `WHOLE`), on real git
repositories with new, quoted, look-alike, ignored and deleted files."""

from __future__ import annotations

import shutil

from modelyard.storage.registry import Registry
from modelyard.validate import run
from modelyard.validate.tree import MODEL_FILES, RECIPE_FILES, RUN_FILES, Tree
from validate_fixtures import copy, edit, git, template  # noqa: F401  (fixtures)

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
