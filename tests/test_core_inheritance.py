"""Inheritance: resolution, provenance, stored differences, clone, re-pinning, lineage."""

from __future__ import annotations

import copy

import pytest

from conftest import git, manifest
from modelyard.domain.resolve import merge, overrides_between, resolve
from modelyard.errors import Conflict, DirtyTree, NotFound, RegistryFileError, ValidationFailed
from modelyard.ops import recipes, versions
from modelyard.storage import layout, yamlio

BASE = "recipe_pricing_base"


def child(reg, name, parent, level, full=None, **extra):
    body = {"name": name, "model_family": "pricing", "level": level, "parent_id": parent, **extra}
    if full is not None:
        body["manifest"] = full
    return recipes.create_recipe(reg, body).id


def stored(reg, recipe_id):
    """The manifest file of a recipe as it is on disk."""
    return yamlio.load(reg.path(layout.manifest_file(recipe_id)).read_bytes()).data


def test_merge_rules():
    base = {"a": {"x": 1, "y": [1, 2], "z": {"deep": True}}, "b": "keep", "c": 3}
    over = {"a": {"x": 2, "y": [9], "z": None}, "c": None, "d": {"new": 1}}
    assert merge(base, over) == {"a": {"x": 2, "y": [9]}, "b": "keep", "d": {"new": 1}}
    assert base["a"]["z"] == {"deep": True}  # inputs untouched
    # a mapping replacing a scalar, and a scalar replacing a mapping
    assert merge({"a": 1, "b": {"x": 1}}, {"a": {"x": 1}, "b": 2}) == {"a": {"x": 1}, "b": 2}
    # nulls inside a newly added mapping are dropped, not stored
    assert merge({}, {"a": {"x": None, "y": 1}}) == {"a": {"y": 1}}


def test_overrides_between_is_the_smallest_difference():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": "keep", "c": 3, "flag": True}
    full = {"a": {"x": 1, "y": [1, 2, 3]}, "b": "keep", "d": 4, "flag": 1}
    over = overrides_between(base, full)
    assert over == {"a": {"y": [1, 2, 3]}, "c": None, "d": 4, "flag": 1}
    assert merge(base, over) == full
    assert overrides_between(base, copy.deepcopy(base)) == {}
    # 1 and 1.0 are the same value; True and 1 are not
    assert overrides_between({"n": 1}, {"n": 1.0}) == {}


def test_three_levels_resolve_with_provenance(reg, base_recipe):
    ind_full = manifest()
    ind_full["model"]["hyperparameters"]["learning_rate"] = 0.03
    ind_full["features"]["promo_flag"] = {"dtype": "bool", "source": "transactions"}
    ind_full["evaluation"]["metrics"] = ["MAPE"]
    industry = child(reg, "Grocery Pricing", BASE, "industry", ind_full)

    cli_full = copy.deepcopy(ind_full)
    cli_full["pricing"]["price_bounds"]["max_ratio"] = 1.1
    del cli_full["monitoring"]
    client = child(reg, "Acme Pricing", industry, "client", cli_full)

    resolved, prov = recipes.resolved_manifest(reg, client)
    expected = copy.deepcopy(cli_full)
    assert resolved == expected

    assert prov["model.algorithm"] == BASE  # a sibling of an overridden value keeps its setter
    assert prov["model.hyperparameters.num_leaves"] == BASE
    assert prov["model.hyperparameters.learning_rate"] == industry
    assert prov["features.base_price.dtype"] == BASE
    assert prov["features.promo_flag.dtype"] == industry
    assert prov["evaluation.metrics"] == industry  # a list is one value
    assert prov["evaluation.acceptance.MAPE.max"] == BASE
    assert prov["pricing.price_bounds.max_ratio"] == client
    assert prov["pricing.price_bounds.min_ratio"] == BASE
    assert not any(p.startswith("monitoring") for p in prov)  # removed by the client
    # provenance names exactly the leaves of the resolved manifest
    from modelyard.domain.resolve import leaf_paths

    assert set(prov) == {".".join(p) for p in leaf_paths(resolved)}


def test_provenance_of_a_replaced_subtree_and_an_empty_mapping():
    base = {"a": 1, "m": {"x": 1, "y": 2}, "h": {}}
    mid = {"a": {"nested": True}, "m": {"x": 5}}
    top = {"m": 7, "h": {"lr": 0.1}}
    resolved, prov = resolve([("base", base), ("mid", mid), ("top", top)])
    assert resolved == {"a": {"nested": True}, "m": 7, "h": {"lr": 0.1}}
    assert prov == {"a.nested": "mid", "m": "top", "h.lr": "top"}
    resolved, prov = resolve([("base", base), ("mid", {"h": {}})])
    assert prov["h"] == "base"  # an empty mapping merged onto one changes nothing
    resolved, prov = resolve([("base", base), ("mid", {"a": {}})])
    assert resolved["a"] == {} and prov["a"] == "mid"


def test_a_child_from_a_full_manifest_stores_only_its_differences(reg, base_recipe):
    full = manifest()
    full["model"]["hyperparameters"]["learning_rate"] = 0.03
    del full["monitoring"]
    full["evaluation"]["metrics"] = ["MAPE"]
    kid = child(reg, "Grocery Pricing", BASE, "industry", full)
    on_disk = stored(reg, kid)
    assert on_disk == {
        "version": "1.0.0",
        "extends": {"recipe": BASE, "version": "1.0.0"},
        "manifest": {
            "model": {"hyperparameters": {"learning_rate": 0.03}},
            "evaluation": {"metrics": ["MAPE"]},
            "monitoring": None,
        },
    }
    [v] = versions.list_versions(reg, kid).versions
    assert v.manifest_json == full  # full manifests out
    assert v.overrides == on_disk["manifest"]
    assert v.extends.recipe == BASE


def test_clone_is_a_pinned_child_with_no_overrides(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    versions.create_version(reg, BASE, {"manifest_json": m, "change_note": "Tune"})
    head = git(reg.root, "rev-parse", "HEAD")
    clone = recipes.clone_recipe(reg, BASE, "Pricing Copy")
    assert clone.id == "recipe_pricing_copy"
    assert (clone.status, clone.level, clone.parent_id, clone.version) == (
        "draft",
        "baseline",
        BASE,
        "1.0.0",
    )
    assert clone.tags == ["baseline"]
    assert stored(reg, clone.id) == {
        "version": "1.0.0",
        "extends": {"recipe": BASE, "version": "1.0.1"},
        "manifest": {},
    }
    assert (
        recipes.resolved_manifest(reg, clone.id)[0] == recipes.resolved_manifest(reg, BASE)[0] == m
    )
    assert git(reg.root, "rev-list", "--count", f"{head}..HEAD") == "1"
    # the same name again gets a new, collision-safe id
    assert recipes.clone_recipe(reg, BASE, "Pricing Copy").id == "recipe_pricing_copy_2"
    with pytest.raises(ValidationFailed) as info:
        recipes.clone_recipe(reg, BASE, "")
    assert info.value.detail == [
        {"loc": ["query", "name"], "msg": "field required", "type": "value_error.missing"}
    ]
    with pytest.raises(NotFound):
        recipes.clone_recipe(reg, "recipe_nope", "x")


def test_a_child_keeps_its_pin_when_the_parent_moves_on(reg, base_recipe):
    kid = recipes.clone_recipe(reg, BASE, "Follower").id
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    versions.create_version(reg, BASE, {"manifest_json": m, "change_note": "Tune"})
    assert recipes.resolved_manifest(reg, kid)[0] == manifest()  # still on 1.0.0


def test_a_child_re_pinned_to_a_newer_parent_version(reg, base_recipe):
    full = manifest()
    full["evaluation"]["metrics"] = ["MAPE"]
    kid = child(reg, "Grocery", BASE, "industry", full)

    parent_new = manifest()
    parent_new["model"]["hyperparameters"]["learning_rate"] = 0.03
    versions.create_version(reg, BASE, {"manifest_json": parent_new, "change_note": "Tune"})

    taken = copy.deepcopy(parent_new)
    taken["evaluation"]["metrics"] = ["MAPE"]
    v = versions.create_version(
        reg,
        kid,
        {
            "manifest_json": taken,
            "change_note": "Take the parent's 1.0.1",
            "parent_version": "1.0.1",
        },
    )
    assert v.version_number == "1.0.1"  # the learning rate changed: a patch
    assert v.extends.version == "1.0.1"
    assert stored(reg, kid)["extends"] == {"recipe": BASE, "version": "1.0.1"}
    assert stored(reg, kid)["manifest"] == {"evaluation": {"metrics": ["MAPE"]}}
    assert recipes.resolved_manifest(reg, kid)[0] == taken
    # the older version of the child still resolves against the parent's 1.0.0
    old = versions.get_version(reg, kid, "1.0.0")
    assert old.manifest_json == full and old.extends.version == "1.0.0"

    with pytest.raises(NotFound):
        versions.create_version(
            reg, kid, {"manifest_json": taken, "change_note": "x", "parent_version": "9.0.0"}
        )
    with pytest.raises(ValidationFailed) as info:
        versions.create_version(
            reg, BASE, {"manifest_json": taken, "change_note": "x", "parent_version": "1.0.0"}
        )
    assert info.value.detail[0]["msg"] == f"{BASE} has no parent to pin"


def test_a_child_that_keeps_the_parent_value_after_re_pinning_overrides_it(reg, base_recipe):
    kid = recipes.clone_recipe(reg, BASE, "Steady").id
    parent_new = manifest()
    parent_new["model"]["hyperparameters"]["learning_rate"] = 0.03
    versions.create_version(reg, BASE, {"manifest_json": parent_new, "change_note": "Tune"})
    v = versions.create_version(
        reg,
        kid,
        {
            "manifest_json": manifest(),
            "change_note": "Re-pin, keep 0.05",
            "parent_version": "1.0.1",
        },
    )
    assert v.diff_from_prev["changes"] == []
    assert v.version_number == "1.0.1"
    assert stored(reg, kid)["manifest"] == {"model": {"hyperparameters": {"learning_rate": 0.05}}}
    _, prov = recipes.resolved_manifest(reg, kid)
    assert prov["model.hyperparameters.learning_rate"] == kid


def test_lineage_rules(reg, base_recipe):
    head = git(reg.root, "rev-parse", "HEAD")
    with pytest.raises(ValidationFailed) as info:
        recipes.create_recipe(
            reg,
            {"name": "x", "model_family": "forecasting", "level": "industry", "parent_id": BASE},
        )
    assert info.value.detail[0]["loc"] == ["body", "model_family"]
    assert "share its parent's model_family (pricing)" in info.value.detail[0]["msg"]

    industry = child(reg, "Industry", BASE, "industry")
    with pytest.raises(ValidationFailed) as info:
        child(reg, "Up", industry, "baseline")
    assert info.value.detail[0]["loc"] == ["body", "level"]
    assert "cannot be above its parent's (industry)" in info.value.detail[0]["msg"]

    recipes.update_recipe(reg, industry, {"status": "archived"})
    head = git(reg.root, "rev-parse", "HEAD")
    with pytest.raises(
        Conflict, match=f"recipe {industry} is archived; it cannot get new children"
    ):
        child(reg, "Late", industry, "client")
    with pytest.raises(NotFound) as info:
        child(reg, "Orphan", "recipe_missing", "client")
    assert info.value.detail == "Recipe not found"
    assert git(reg.root, "rev-parse", "HEAD") == head
    assert git(reg.root, "status", "--porcelain") == ""


def test_a_child_manifest_must_resolve_to_a_valid_one(reg, base_recipe):
    bad = manifest()
    del bad["pricing"]
    with pytest.raises(ValidationFailed) as info:
        child(reg, "No pricing", BASE, "industry", bad)
    assert info.value.detail[0]["msg"] == "a pricing recipe needs a `pricing` section"


def test_a_child_cannot_pin_an_uncommitted_parent_version(reg, base_recipe):
    rel = layout.manifest_file(BASE)
    path = reg.path(rel)
    path.write_text(
        path.read_text()
        .replace("version: 1.0.0", "version: 1.1.0")
        .replace("learning_rate: 0.05", "learning_rate: 0.01")
    )
    head = git(reg.root, "rev-parse", "HEAD")
    with pytest.raises(DirtyTree) as info:
        recipes.clone_recipe(reg, BASE, "Too early")
    assert str(info.value).startswith(
        f"registry/{rel} has uncommitted changes, "
        f"so {BASE} 1.1.0 as it stands is no committed version"
    )
    assert git(reg.root, "rev-parse", "HEAD") == head
    assert not (reg.root / "recipes" / "recipe_too_early").exists()


def test_a_child_cannot_be_re_pinned_to_an_uncommitted_parent_version(reg, base_recipe):
    kid = recipes.clone_recipe(reg, BASE, "Follower").id
    path = reg.path(layout.manifest_file(BASE))
    path.write_text(path.read_text().replace("version: 1.0.0", "version: 1.1.0"))
    with pytest.raises(DirtyTree):
        versions.create_version(
            reg, kid, {"manifest_json": manifest(), "change_note": "x", "parent_version": "1.1.0"}
        )
    assert stored(reg, kid)["extends"]["version"] == "1.0.0"


def test_clone_query_errors_name_the_query(reg, base_recipe):
    industry = recipes.clone_recipe(reg, BASE, "Industry", level="industry").id
    with pytest.raises(ValidationFailed) as info:
        recipes.clone_recipe(reg, BASE, "x" * 201)
    assert info.value.detail[0]["loc"] == ["query", "name"]
    assert info.value.detail[0]["type"] == "value_error.any_str.max_length"
    with pytest.raises(ValidationFailed) as info:
        recipes.clone_recipe(reg, industry, "Up", level="baseline")
    assert info.value.detail[0]["loc"] == ["query", "level"]


def test_a_hand_made_lineage_cycle_is_a_file_error(reg, base_recipe):
    kid = recipes.clone_recipe(reg, BASE, "Child").id
    path = reg.path(layout.manifest_file(BASE))
    text = path.read_text().replace(
        "version: 1.0.0\n", f"version: 1.0.1\nextends:\n  recipe: {kid}\n  version: 1.0.0\n"
    )
    path.write_text(text)
    # the child still resolves against the parent's 1.0.0; the parent now leads back to itself
    assert recipes.resolved_manifest(reg, kid)[0] == manifest()
    with pytest.raises(RegistryFileError) as info:
        recipes.resolved_manifest(reg, BASE)
    assert info.value.problems[0].field == "extends.recipe"
    assert str(info.value) == (
        f"registry/recipes/{BASE}/manifest.yaml: extends.recipe: the parent chain leads "
        f"back to {BASE}; a lineage cannot have a cycle"
    )
    git(reg.root, "commit", "-qam", "A cycle, committed")
    with pytest.raises(RegistryFileError, match="a lineage cannot have a cycle"):
        versions.list_versions(reg, BASE)
