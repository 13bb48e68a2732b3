"""The cheap content check that writes use instead of reading the whole index."""

from __future__ import annotations

import pytest

from conftest import git
from modelyard.errors import NotFound
from modelyard.ops import runs


def test_worktree_differs_compares_disk_with_head(reg, base_recipe):
    g = reg.git
    manifest_path = "registry/recipes/recipe_pricing_base/manifest.yaml"
    recipe_path = "registry/recipes/recipe_pricing_base/recipe.yaml"
    assert g.worktree_differs([manifest_path, recipe_path]) == []
    (reg.worktree / manifest_path).write_text("version: 9.9.9\n")
    (reg.worktree / "registry" / "new file é.yaml").write_text("x: 1\n")
    (reg.worktree / recipe_path).unlink()
    assert g.worktree_differs(
        [manifest_path, recipe_path, "registry/new file é.yaml", "registry/absent.yaml"]
    ) == [manifest_path, recipe_path, "registry/new file é.yaml"]
    git(reg.worktree, "checkout", "--", manifest_path, recipe_path)
    assert g.worktree_differs([manifest_path, recipe_path]) == []


def test_a_run_of_an_uncommitted_current_version_is_refused(reg, base_recipe):
    path = reg.root / "recipes" / "recipe_pricing_base" / "manifest.yaml"
    text = path.read_text().replace("version: 1.0.0", "version: 1.0.1")
    path.write_text(text)
    with pytest.raises(NotFound) as caught:
        runs.create_run(
            reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.1", "run_type": "train"}
        )
    # the versions named are the committed ones: 1.0.1 is only in the working tree
    assert str(caught.value) == (
        "Recipe version not found: ver_pricing_base_v1.0.1; recipe_pricing_base has 1.0.0"
    )


def test_a_nul_byte_in_text_that_reaches_git_is_a_validation_error(reg, base_recipe):
    from modelyard.errors import ValidationFailed
    from modelyard.ops import versions

    head = git(reg.worktree, "rev-parse", "HEAD")
    with pytest.raises(ValidationFailed) as caught:
        versions.create_version(reg, base_recipe, {"manifest_json": {}, "change_note": "a\x00b"})
    assert [e.as_json() for e in caught.value.errors if e.loc == ("body", "change_note")] == [
        {
            "loc": ["body", "change_note"],
            "msg": "text must not contain a NUL character (\\x00)",
            "type": "value_error",
        }
    ]
    with pytest.raises(ValidationFailed):
        runs.create_run(
            reg,
            {
                "recipe_id": base_recipe,
                "recipe_version_id": "1.0.0",
                "run_type": "train",
                "created_by": "bot\x00",
            },
        )
    assert git(reg.worktree, "rev-parse", "HEAD") == head
