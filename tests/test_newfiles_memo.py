"""`validate --base` looks for new files by listing the folders where records can be; the
derived index remembers what that found, with git's index and each listed folder's mtime,
and a remembered answer must be the one a new scan gives."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import git
from modelyard.storage import newfiles
from modelyard.storage.registry import Registry


def age(root: Path, seconds: int = 60) -> None:
    """Set every folder's mtime back, as if the tree had been still for a while (a folder
    changed within two seconds of a scan is never trusted)."""
    past = time.time() - seconds
    for folder, dirs, _ in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        os.utime(folder, (past, past))


def found(reg: Registry, scans: list[int]) -> list[str]:
    """new_files with the derived index (`scans` counts the scans it really made)."""
    return sorted(newfiles.new_files(reg.git, str(reg.root), reg.prefix, reg.blob_cache))


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    scans: list[int] = []
    real = newfiles._scan

    def scan(*args, **kwargs):  # type: ignore[no-untyped-def]
        scans.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(newfiles, "_scan", scan)
    return scans


def truth(reg: Registry) -> list[str]:
    return sorted(reg.git.untracked(reg.prefix))


def test_a_still_tree_is_scanned_once(reg: Registry, counted: list[int]) -> None:
    reg.path("notes.md").write_text("x\n")
    age(reg.root)
    first = found(reg, counted)
    second = found(reg, counted)
    assert first == second == truth(reg) == [reg.repo_path("notes.md")]
    assert len(counted) == 1


def test_every_change_that_could_show_a_new_file_scans_again(
    reg: Registry, base_recipe: str, counted: list[int]
) -> None:
    extra = reg.repo_path("recipes/recipe_pricing_base/extra.yaml")
    steps = [
        # a new file in a listed folder: that folder's mtime moves
        lambda: reg.path("recipes/recipe_pricing_base/extra.yaml").write_text("x\n"),
        # a new folder, and then a file deep inside it (an untracked folder's own mtime)
        lambda: reg.path("recipes/recipe_new/deep").mkdir(parents=True),
        lambda: reg.path("recipes/recipe_new/deep/x.txt").write_text("x\n"),
        # git starts tracking one: its index is rewritten, no folder changes
        lambda: git(reg.worktree, "add", extra),
        # and forgets it again
        lambda: git(reg.worktree, "rm", "-q", "--cached", extra),
    ]
    for step in steps:
        age(reg.root)
        found(reg, counted)  # every mtime moved: scanned, and remembered as still
        before = len(counted)
        assert found(reg, counted) == truth(reg)
        assert len(counted) == before  # nothing changed: remembered
        step()
        assert found(reg, counted) == truth(reg)
        assert len(counted) == before + 1
    assert truth(reg) == sorted([extra, reg.repo_path("recipes/recipe_new/deep/x.txt")])


def test_a_folder_changed_just_before_the_scan_is_not_trusted(
    reg: Registry, counted: list[int]
) -> None:
    reg.path("notes.md").write_text("x\n")  # the registry folder changed a moment ago
    found(reg, counted)
    found(reg, counted)
    assert len(counted) == 2


def test_without_the_index_every_call_scans(
    reg: Registry, counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELYARD_CACHE", "0")
    age(reg.root)
    plain = Registry(reg.root)
    assert found(plain, counted) == found(plain, counted) == truth(plain)
    assert len(counted) == 2


def test_who_uses_a_record_is_the_same_with_the_new_files_known(
    reg: Registry, base_recipe: str
) -> None:
    """`validate --base` knows the new files already, so it greps tracked files only and reads
    the new ones itself: the answer is git's own `grep --untracked`."""
    from modelyard.validate.tree import MODEL_FILES, RECIPE_FILES, Tree

    for rel, text in {
        "models/model_new/model.yaml": f"id: model_new\nrecipe_id: '{base_recipe}'\n",
        "models/model_odd/model.yaml": f"name: x\n  recipe_id: {base_recipe}\n",  # nested
        "recipes/recipe_kid/recipe.yaml": f'parent_id: "{base_recipe}"\n',
        "recipes/recipe_kid/notes.yaml": f"parent_id: {base_recipe}\n",  # not a recipe file
    }.items():
        reg.path(rel).parent.mkdir(parents=True, exist_ok=True)
        reg.path(rel).write_text(text)
    plain = Tree(reg)
    known = Tree(reg)
    known.new_files = [
        reg.rel_path(p) or p for p in newfiles.new_files(reg.git, str(reg.root), reg.prefix)
    ]
    for field, files in (("recipe_id", MODEL_FILES), ("parent_id", RECIPE_FILES)):
        assert known.users(field, {base_recipe}, files) == plain.users(field, {base_recipe}, files)
    models = known.users("recipe_id", {base_recipe}, MODEL_FILES)[base_recipe]
    assert "models/model_new/model.yaml" in models
    assert "models/model_odd/model.yaml" not in models
    assert known.users("parent_id", {base_recipe}, RECIPE_FILES)[base_recipe] == [
        "recipes/recipe_kid/recipe.yaml"
    ]
