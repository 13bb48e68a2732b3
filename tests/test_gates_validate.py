"""`validate --base` on pull requests: a promotion its gate refuses fails on the `status` line,
an overridden one is a warning, and a version only ever goes up."""

from __future__ import annotations

import pytest

from clihelp import Cli
from conftest import git
from gates_support import approve, model, on_day, run, set_gates
from modelyard.ops import models, versions
from modelyard.storage.registry import Registry
from modelyard.validate import run as validate

MODEL = "models/model_new/model.yaml"
MF = "recipes/recipe_pricing_base/manifest.yaml"


@pytest.fixture
def pr(reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """main: gates declared, model_new in draft with no runs; the `change` branch checked out."""
    on_day(monkeypatch, 1)
    reg = set_gates(reg)
    approve(reg)
    model(reg, "model_new")
    git(reg.worktree, "switch", "-q", "-c", "change")
    return reg


def promote_by_hand(reg: Registry) -> None:
    path = reg.path(MODEL)
    path.write_text(path.read_text().replace("status: draft", "status: production"))
    git(reg.worktree, "commit", "-qam", "Promote model_new")


def test_a_pr_promoting_without_evidence_fails_on_the_status_line(pr: Registry) -> None:
    promote_by_hand(pr)
    report = validate(pr, base="main")
    found = [p for p in report.errors if p.code == "gate"]
    assert sorted(p.message.split("is not met: ")[1].split(":")[0] for p in found) == [
        "evidence",
        "thresholds",
    ]
    line = pr.path(MODEL).read_text().splitlines().index("status: production") + 1
    assert {(p.file, p.line, p.field) for p in found} == {(f"registry/{MODEL}", line, "status")}
    assert any("no succeeded eval or backtest run of model_new" in p.message for p in found)
    out = Cli(pr.root)("validate", "--base", "main", "--format", "github", code=1).stdout
    assert f"::error file=registry/{MODEL},line={line}" in out and "evidence" in out


def test_a_pr_with_evidence_passes_and_an_override_is_a_warning(
    pr: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(monkeypatch, 2)
    run(pr, "model_new", {"MAPE": 0.12})
    promote_by_hand(pr)
    assert [p for p in validate(pr, base="main").problems if p.code.startswith("gate")] == []
    git(pr.worktree, "reset", "-q", "--hard", "main")
    models.update_model(
        pr, "model_new", {"status": "production", "override_gate": True, "reason": "pilot"}
    )
    report = validate(pr, base="main")
    assert report.errors == []
    assert [p.code for p in report.warnings] == ["gate-overridden", "gate-overridden"]


def test_a_version_may_only_go_up(reg: Registry, base_recipe: str) -> None:
    m = versions.list_versions(reg, base_recipe).versions[-1].manifest_json
    m["model"]["hyperparameters"]["learning_rate"] = 0.04
    versions.create_version(reg, base_recipe, {"manifest_json": m, "change_note": "Tune"})
    git(reg.worktree, "switch", "-q", "-c", "change")
    path = reg.path(MF)
    path.write_text(path.read_text().replace("version: 1.0.1", "version: 0.0.1"))
    git(reg.worktree, "commit", "-qam", "Go down")
    report = validate(reg, base="main")
    [problem] = report.errors
    assert problem.code == "version-not-greater" and problem.line == 2
    assert "a version only ever goes up: set version to 1.0.2" in problem.message
    # back to 1.0.0: greater than nothing the base has now, but a number used before
    git(reg.worktree, "reset", "-q", "--hard", "main")
    path.write_text(path.read_text().replace("version: 1.0.1", "version: 0.0.1"))
    git(reg.worktree, "commit", "-qam", "Go down (merged in the past)")
    git(reg.worktree, "switch", "-q", "-c", "again")
    path.write_text(
        path.read_text().replace("version: 0.0.1", "version: 1.0.0").replace("0.04", "0.05")
    )
    git(reg.worktree, "commit", "-qam", "Reuse 1.0.0")
    [problem] = validate(reg, base="change").errors
    assert problem.code == "version-reused"
    assert "highest so far is 1.0.1: set version to 1.0.2" in problem.message


def test_new_files_are_found_as_git_finds_them(reg: Registry, base_recipe: str) -> None:
    from modelyard.storage.newfiles import new_files

    model(reg, "model_new")
    run(reg, "model_new", {"MAPE": 0.1})
    (reg.root / ".gitignore").write_text("*.swp\n")
    git(reg.worktree, "add", "-A")
    git(reg.worktree, "commit", "-qm", "ignore swap files")
    made = [
        "notes.md",
        "recipes/recipe_pricing_base/extra.yaml",
        "recipes/recipe_new/recipe.yaml",
        "recipes/recipe_new/deep/x.txt",
        "models/model_new/monitoring/snap_20261101120000_abcdefgh.yaml",
        "models/model_other/model.yaml",
        "runs/2026-11/run_20261101120000_abcdefgh/run.yaml",
        "runs/2030-01/run_20300101120000_abcdefgh/run.yaml",
        "templates/model.html",
        "recipes/recipe_pricing_base/.manifest.yaml.swp",  # ignored
    ]
    for rel in made:
        reg.path(rel).parent.mkdir(parents=True, exist_ok=True)
        reg.path(rel).write_text("x\n")
    ours = sorted(new_files(reg.git, str(reg.root), reg.prefix))
    assert ours == sorted(reg.git.untracked(reg.prefix))
    assert len(ours) == len(made) - 1


def test_a_pr_adding_a_model_straight_in_production_is_judged_too(pr: Registry) -> None:
    text = pr.path(MODEL).read_text()
    new = pr.path("models/model_added/model.yaml")
    new.parent.mkdir()
    new.write_text(
        text.replace("model_new", "model_added").replace("status: draft", "status: production")
    )
    git(pr.worktree, "add", "-A")
    git(pr.worktree, "commit", "-qm", "Add a model in production")
    found = [p for p in validate(pr, base="main").errors if p.code == "gate"]
    assert {p.file for p in found} == {"registry/models/model_added/model.yaml"}
    assert any("model_added cannot go draft -> production" in p.message for p in found)
