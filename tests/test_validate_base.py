"""Rules against a base ref, on real git histories: a branch is made from the template's main,
changed and committed, then validated with `base="main"`."""

from __future__ import annotations

import shutil

import pytest

from conftest import manifest
from modelyard.errors import InvalidValue
from modelyard.ops import versions
from modelyard.storage.registry import Registry
from modelyard.validate import reporters, run
from validate_fixtures import copy, edit, git, template  # noqa: F401  (fixtures)

BASE_MF = "recipes/recipe_pricing_base/manifest.yaml"
RETAIL_MF = "recipes/recipe_retail_pricing/manifest.yaml"
PROD = "models/model_pricing_prod/model.yaml"


def branch(reg: Registry) -> None:
    git(reg.worktree, "switch", "-q", "-c", "change")


def commit(reg: Registry, message: str = "change") -> None:
    git(reg.worktree, "add", "-A")
    git(reg.worktree, "commit", "-q", "-m", message)


def codes(report) -> list[str]:
    return sorted(p.code for p in report.errors)


def only(report, code: str):
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, "\n".join(map(str, report.problems))
    return found[0]


def test_a_correct_change_passes_and_is_summarised(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    m = manifest("pricing")
    m["model"]["hyperparameters"]["learning_rate"] = 0.04
    versions.create_version(reg, "recipe_pricing_base", {"manifest_json": m, "change_note": "Tune"})
    report = run(reg, base="main")
    assert report.problems == []
    [change] = report.recipe_changes
    assert (change.recipe_id, change.old_version, change.new_version) == (
        "recipe_pricing_base",
        "1.0.1",
        "1.0.2",
    )
    assert (change.given_bump, change.required_bump) == ("patch", "patch")
    assert [(c["path_text"], c["old"], c["new"]) for c in change.changes] == [
        ("model.hyperparameters.learning_rate", 0.03, 0.04)
    ]
    # children and models of the changed recipe are re-checked, unrelated files are not
    assert "registry/recipes/recipe_pricing_base/manifest.yaml" in report.changed_files
    # the child's two files and the model are added to what changed (one or two files:
    # recipe.yaml changes too unless its updated_at falls in the same second)
    assert report.checked_files == len(report.changed_files) + 3
    summary = reporters.markdown(report)
    assert "| `recipe_pricing_base` | changed | 1.0.1 → 1.0.2 | patch | patch |" in summary
    assert "`model.hyperparameters.learning_rate`" in summary


def test_an_unbumped_change_is_caught(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    edit(reg, BASE_MF, "learning_rate: 0.03", "learning_rate: 0.04")
    commit(reg)
    problem = only(run(reg, base="main"), "version-not-bumped")
    assert (
        problem.file == f"registry/{BASE_MF}" and problem.line == 2 and problem.field == "version"
    )
    assert "change model.hyperparameters.learning_rate (patch)" in problem.message
    assert "set version to 1.0.2" in problem.message


def test_uncommitted_edits_are_compared_too(copy) -> None:  # noqa: F811
    reg, _ = copy
    edit(reg, BASE_MF, "learning_rate: 0.03", "learning_rate: 0.04")
    assert codes(run(reg, base="HEAD")) == ["version-not-bumped"]


def test_a_too_small_bump_is_caught(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    edit(reg, BASE_MF, "version: 1.0.1", "version: 1.1.0")
    edit(reg, BASE_MF, "  target:\n", "    promo_flag:\n      dtype: bool\n  target:\n")
    commit(reg)
    problem = only(run(reg, base="main"), "version-bump-too-small")
    assert "1.0.1 -> 1.1.0 is a minor bump" in problem.message
    assert "needs a major bump: set version to at least 2.0.0" in problem.message


def test_a_downgrade_is_caught(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    edit(reg, BASE_MF, "version: 1.0.1", "version: 1.0.0")
    edit(reg, BASE_MF, "num_leaves: 31", "num_leaves: 63")
    commit(reg)
    report = run(reg, base="main")
    problem = only(report, "version-not-greater")
    assert "1.0.0 is not greater than the base's 1.0.1" in problem.message


def test_a_moved_pin_needs_a_new_version(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    edit(reg, RETAIL_MF, "version: 1.0.1", "version: 1.0.0")
    commit(reg)
    problem = only(run(reg, base="main"), "version-not-bumped")
    assert problem.file == f"registry/{RETAIL_MF}"
    assert "parent pin 1.0.1 -> 1.0.0" in problem.message


@pytest.mark.parametrize(
    ("rel", "old", "new", "message"),
    [
        (
            PROD,
            "status: production",
            "status: draft",
            "model status cannot change from 'production' to 'draft' "
            "(allowed from 'production': staging, retired)",
        ),
        (
            "runs/{shard}/{run_done}/run.yaml",
            "status: succeeded",
            "status: running",
            "run status 'succeeded' is final; it cannot change to 'running'",
        ),
    ],
)
def test_a_forbidden_status_change_is_caught(copy, rel, old, new, message) -> None:  # noqa: F811
    reg, ids = copy
    rel = rel.format(shard=f"{ids['run_done'][4:8]}-{ids['run_done'][8:10]}", **ids)
    branch(reg)
    edit(reg, rel, old, new)
    commit(reg)
    problem = only(run(reg, base="main"), "status-transition")
    assert problem.message == message
    assert problem.file == f"registry/{rel}" and problem.field == "status"


def test_the_model_lifecycle_of_the_base_settings_applies(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    # loosening the lifecycle in the same change does not let the change through
    edit(
        reg,
        "modelyard.yaml",
        "model_transitions: null",
        "model_transitions:\n  production: [draft, staging, retired]",
    )
    edit(reg, PROD, "status: production", "status: draft")
    commit(reg)
    assert codes(run(reg, base="main")) == ["status-transition"]


def test_fields_that_never_change(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    edit(reg, PROD, "recipe_id: recipe_pricing_base", "recipe_id: recipe_retail_pricing")
    edit(reg, PROD, "ver_pricing_base_v1.0.0", "ver_retail_pricing_v1.0.0")
    edit(
        reg,
        "recipes/recipe_demand_forecast/recipe.yaml",
        "created_at: '2",
        "created_at: '1999-01-01T00:00:00Z'\n#'2",
    )
    commit(reg)
    report = run(reg, base="main")
    immutable = sorted((p.file, p.field) for p in report.problems if p.code == "immutable-field")
    assert immutable == [
        ("registry/models/model_pricing_prod/model.yaml", "recipe_id"),
        ("registry/recipes/recipe_demand_forecast/recipe.yaml", "created_at"),
    ]
    # the model's runs depend on it, so they are re-checked and now disagree with it
    assert "model-recipe-mismatch" in codes(report)


def test_deleting_a_used_recipe_is_caught(copy) -> None:  # noqa: F811
    reg, ids = copy
    branch(reg)
    shutil.rmtree(reg.path("recipes/recipe_demand_forecast"))
    commit(reg)
    report = run(reg, base="main")
    deleted = [p for p in report.problems if p.code == "deleted-in-use"]
    assert len(deleted) == 1
    assert deleted[0].file == "registry/recipes/recipe_demand_forecast/recipe.yaml"
    assert "models: model_forecast" in deleted[0].message
    assert f"runs: {ids['run_queued']}" in deleted[0].message
    assert "archive it instead" in deleted[0].message
    assert report.recipe_changes[0].status == "deleted"


def test_deleting_an_unused_recipe_passes(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    shutil.rmtree(reg.path("recipes/recipe_retail_pricing"))
    commit(reg)
    report = run(reg, base="main")
    assert report.errors == []


def test_unchanged_broken_files_are_not_rechecked(copy) -> None:  # noqa: F811
    reg, _ = copy
    edit(reg, "models/model_forecast/model.yaml", "owner: planning", "owner: no")
    commit(reg, "an old mistake on main")
    branch(reg)
    m = manifest("pricing")
    m["model"]["hyperparameters"]["learning_rate"] = 0.04
    versions.create_version(reg, "recipe_pricing_base", {"manifest_json": m, "change_note": "Tune"})
    assert run(reg, base="main").problems == []
    assert [p.code for p in run(reg).errors] == ["yaml"]


def test_a_version_changed_twice_in_one_change_is_flagged(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    edit(reg, BASE_MF, "version: 1.0.1", "version: 1.0.2")
    edit(reg, BASE_MF, "learning_rate: 0.03", "learning_rate: 0.04")
    commit(reg)
    edit(reg, BASE_MF, "learning_rate: 0.04", "learning_rate: 0.05")
    commit(reg)
    problem = only(run(reg, base="main"), "version-reused")
    assert problem.severity == "warning"


def test_an_unknown_base_is_a_usage_error(copy) -> None:  # noqa: F811
    reg, _ = copy
    with pytest.raises(InvalidValue, match="not a commit"):
        run(reg, base="origin/nope")


def test_a_base_file_that_was_broken_is_not_compared(copy) -> None:  # noqa: F811
    reg, _ = copy
    edit(reg, BASE_MF, "version: 1.0.1", "version: 1.0.1\nversion: 1.0.1")
    commit(reg, "a broken manifest on main")
    branch(reg)
    edit(reg, BASE_MF, "version: 1.0.1\nversion: 1.0.1", "version: 1.0.2")
    commit(reg, "repair it")
    report = run(reg, base="main")
    assert [(p.code, p.severity) for p in report.problems] == [("unresolved", "warning")]
    assert report.recipe_changes == []


def test_the_breaking_paths_of_the_base_settings_apply(copy) -> None:  # noqa: F811
    reg, _ = copy
    branch(reg)
    edit(reg, "modelyard.yaml", "breaking_paths:\n- target\n- features\n", "breaking_paths: []\n")
    edit(reg, BASE_MF, "version: 1.0.1", "version: 1.0.2")
    edit(reg, BASE_MF, "name: units_sold", "name: units")
    commit(reg)
    problem = only(run(reg, base="main"), "version-bump-too-small")
    assert "change target.name (major)" in problem.message
