"""The demo registry kept in this repository validates cleanly, and its editor schemas are
current."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from modelyard.ops.setup import schema_texts
from modelyard.storage.registry import Registry
from modelyard.validate import run

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_registry_validates_cleanly() -> None:
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if shallow == "true":
        pytest.fail(
            "a shallow clone lacks the version history that validation reads: "
            "run the tests in a full clone (git fetch --unshallow)"
        )
    report = run(Registry(ROOT / "registry"))
    # the story leaves one child a major version behind its parent, on purpose: the catalog
    # shows what catching up would change
    assert [(p.code, p.file) for p in report.problems] == [
        ("behind-parent", "registry/recipes/recipe_pricing_grocery/manifest.yaml")
    ]
    assert report.checked_files > 50


def test_the_demo_registrys_schemas_are_current() -> None:
    folder = ROOT / "registry" / ".schema"
    for name, text in schema_texts().items():
        assert (folder / name).read_text(encoding="utf-8") == text, (
            f"registry/.schema/{name} is out of date: "
            "run `modelyard schema export registry/.schema`"
        )
