"""Reviews that show impact: descendants of a changed recipe on a three-level lineage, models
a changed gate would refuse, the GitHub annotation cap, and SARIF checked against its schema.

tests/data/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 JSON schema, unmodified (no
package on PyPI ships it, and tests run offline)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from clihelp import Cli
from conftest import git, manifest
from gates_support import approve, model, on_day, set_gates
from modelyard.ops import models, recipes, versions
from modelyard.storage.registry import Registry
from modelyard.validate import reporters
from modelyard.validate import run as validate

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def child(reg: Registry, rid: str, parent: str, level: str, overrides: dict) -> None:
    """A child whose full manifest is its parent's with `overrides` (the API stores only the
    difference)."""
    from modelyard.domain.resolve import merge

    full = merge(recipes.resolved_manifest(reg, parent)[0], overrides)
    recipes.create_recipe(
        reg,
        {
            "name": rid.replace("_", " "),
            "model_family": "pricing",
            "level": level,
            "parent_id": parent,
            "id": rid,
            "manifest": full,
        },
    )


@pytest.fixture
def lineage(reg: Registry, base_recipe: str) -> Registry:
    """recipe_pricing_base 1.0.0 -> recipe_retail (industry, overrides num_leaves) ->
    recipe_acme (client, overrides the price bounds); each pinned to its parent's 1.0.0."""
    child(
        reg,
        "recipe_retail",
        base_recipe,
        "industry",
        {"model": {"hyperparameters": {"num_leaves": 63}}},
    )
    child(
        reg,
        "recipe_acme",
        "recipe_retail",
        "client",
        {"pricing": {"price_bounds": {"min_ratio": 0.9}}},
    )
    git(reg.worktree, "switch", "-q", "-c", "change")
    return reg


def test_a_parent_change_lists_every_descendant_it_reaches(lineage: Registry) -> None:
    m = manifest("pricing")
    m["model"]["hyperparameters"]["learning_rate"] = 0.04  # changed value: patch
    m["model"]["hyperparameters"]["num_leaves"] = 15  # the industry recipe overrides it
    m["training"] = {"window_days": 365}  # added key: minor
    note = {"change_note": "Tune", "manifest_json": m}
    versions.create_version(lineage, "recipe_pricing_base", note)
    report = validate(lineage, base="main")
    assert report.errors == []
    found = {d.recipe_id: d for d in report.descendant_impacts}
    assert sorted(found) == ["recipe_acme", "recipe_retail"]
    retail, acme = found["recipe_retail"], found["recipe_acme"]
    assert retail.path == ["recipe_pricing_base", "recipe_retail"]
    assert acme.path == ["recipe_pricing_base", "recipe_retail", "recipe_acme"]
    for d in (retail, acme):
        # num_leaves stays the industry recipe's: it is no change for either
        assert [c["path_text"] for c in d.changes] == [
            "model.hyperparameters.learning_rate",
            "training",
        ]
        assert (d.required_bump, d.next_version) == ("minor", "1.1.0")
    assert (retail.pinned, acme.pinned) == ("recipe_pricing_base@1.0.0", "recipe_retail@1.0.0")
    text = reporters.text(report)
    assert "Descendants that change once they follow" in text
    assert "recipe_acme (via recipe_pricing_base -> recipe_retail -> recipe_acme" in text
    summary = reporters.markdown(report)
    via = r"recipe\_pricing\_base → recipe\_retail → recipe\_acme"
    assert f"| `recipe_acme` | {via} |" in summary
    assert json.loads(reporters.as_json(report))["descendant_impacts"][0]["next_version"]


def test_a_gate_change_lists_the_models_it_would_refuse(
    reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(monkeypatch, 1)
    approve(reg)
    model(reg, "model_live")
    models.update_model(reg, "model_live", {"status": "production"})
    model(reg, "model_idle")
    git(reg.worktree, "switch", "-q", "-c", "change")
    reg = set_gates(reg)
    report = validate(reg, base="main")
    [impact] = report.gate_impacts
    assert (impact.model_id, impact.status, impact.passed_before) == (
        "model_live",
        "production",
        True,
    )
    [warning] = [p for p in report.warnings if p.code == "gate-impact"]
    assert warning.file == "registry/models/model_live/model.yaml" and warning.field == "status"
    assert "evidence: no succeeded eval or backtest run" in warning.message


def test_github_annotations_are_capped_most_important_first(
    reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(monkeypatch, 1)
    reg = set_gates(reg)
    approve(reg)
    for i in range(12):
        model(reg, f"model_{i:02d}")
    git(reg.worktree, "switch", "-q", "-c", "change")
    for i in range(12):
        path = reg.path(f"models/model_{i:02d}/model.yaml")
        text = path.read_text()
        if i == 11:  # the last file in order: its gate errors must still come first
            path.write_text(text.replace("status: draft", "status: production"))
        else:
            path.write_text(text + "stauts: draft\n")
    git(reg.worktree, "commit", "-qam", "Many problems")
    out = Cli(reg.root)("validate", "--base", "main", "--format", "github", code=1).stdout
    lines = out.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 10
    assert all("modelyard validate%3A gate" in line for line in errors[:2])
    assert "modelyard validate%3A schema" in errors[2]
    unannotated = [line for line in lines if line.startswith("error: ")]
    assert len(unannotated) == 3  # 2 gate + 11 schema errors, 10 annotated
    assert lines[-1].startswith("::notice title=modelyard validate::failed: 13 errors")
    assert "3 more not annotated (GitHub shows at most 10 of each kind per step)" in lines[-1]


def test_sarif_matches_the_sarif_2_1_0_schema(lineage: Registry) -> None:
    path = lineage.path("recipes/recipe_pricing_base/manifest.yaml")
    path.write_text(path.read_text().replace("learning_rate: 0.05", "learning_rate: 0.06"))
    mpath = lineage.path("recipes/recipe_retail/recipe.yaml")
    mpath.write_text(mpath.read_text() + "colour: blue\n")
    git(lineage.worktree, "commit", "-qam", "Unbumped change and a typo")
    out = Cli(lineage.root)("validate", "--base", "main", "--format", "sarif", code=1).stdout
    doc = json.loads(out)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"version-not-bumped", "schema"}
    bumped = next(r for r in results if r["ruleId"] == "version-not-bumped")
    location = bumped["locations"][0]["physicalLocation"]
    assert (
        location["artifactLocation"]["uri"] == "registry/recipes/recipe_pricing_base/manifest.yaml"
    )
    assert location["region"]["startLine"] == 2 and bumped["level"] == "error"
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert rules[bumped["ruleIndex"]]["id"] == "version-not-bumped"
    with pytest.raises(jsonschema.ValidationError):  # the schema does check
        jsonschema.Draft4Validator(schema).validate({**doc, "version": "2.0"})
