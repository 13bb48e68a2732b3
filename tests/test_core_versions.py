"""Versions: bump classification, explicit versions, and the diff_from_prev form."""

from __future__ import annotations

import json

import pytest

from conftest import git, manifest
from modelyard.domain.semver import manifest_diff
from modelyard.errors import Conflict, NotFound, ValidationFailed
from modelyard.ops import recipes, versions
from modelyard.storage import files, layout, yamlio
from modelyard.storage.registry import Registry


def new_version(reg, recipe_id, m, note="change", **extra):
    return versions.create_version(
        reg, recipe_id, {"manifest_json": m, "change_note": note, **extra}
    )


def test_first_version_is_1_0_0_with_no_diff(reg, base_recipe):
    listed = versions.list_versions(reg, base_recipe)
    assert listed.total == 1
    only = listed.versions[0]
    assert only.version_number == "1.0.0"
    assert only.version_id == "ver_pricing_base_v1.0.0"
    assert only.diff_from_prev is None
    assert only.manifest_json == manifest("pricing")
    assert only.commit == git(reg.root, "rev-parse", "HEAD")


def test_changed_value_is_a_patch(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    v = new_version(reg, base_recipe, m, "Lower the learning rate")
    assert v.version_number == "1.0.1"
    assert v.diff_from_prev == {
        "from_version": "1.0.0",
        "bump": "patch",
        "changes": [
            {
                "op": "change",
                "path": ["model", "hyperparameters", "learning_rate"],
                "path_text": "model.hyperparameters.learning_rate",
                "old": 0.05,
                "new": 0.03,
                "bump": "patch",
            }
        ],
    }
    # the same diff comes back from history, and it is plain JSON
    listed = versions.list_versions(reg, base_recipe).versions
    assert listed[1].diff_from_prev == v.diff_from_prev
    json.dumps(listed[1].model_dump(mode="json"))


def test_int_to_float_value_change_is_a_patch(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["num_leaves"] = 31.5
    v = new_version(reg, base_recipe, m)
    assert v.version_number == "1.0.1"
    [change] = v.diff_from_prev["changes"]
    assert (change["op"], change["old"], change["new"], change["bump"]) == (
        "change",
        31,
        31.5,
        "patch",
    )


def test_added_key_is_a_minor(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["max_depth"] = 8
    v = new_version(reg, base_recipe, m)
    assert v.version_number == "1.1.0"
    [change] = v.diff_from_prev["changes"]
    assert change["op"] == "add" and change["path_text"] == "model.hyperparameters.max_depth"
    assert change["new"] == 8 and change["old"] is None


def test_added_list_item_is_a_minor(reg, base_recipe):
    m = manifest()
    m["evaluation"]["metrics"].append("RMSE")
    assert new_version(reg, base_recipe, m).version_number == "1.1.0"


def test_removed_key_is_a_major(reg, base_recipe):
    m = manifest()
    del m["monitoring"]["drift"]
    v = new_version(reg, base_recipe, m)
    assert v.version_number == "2.0.0"
    assert v.diff_from_prev["changes"][0]["op"] == "remove"


def test_changed_type_is_a_major(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["num_leaves"] = "auto"
    v = new_version(reg, base_recipe, m)
    assert v.version_number == "2.0.0"
    [change] = v.diff_from_prev["changes"]
    assert change["op"] == "type_change" and change["old"] == 31 and change["new"] == "auto"


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["target"].update(name="revenue"),
        lambda m: m["features"]["base_price"].update(transform="log1p"),
    ],
)
def test_breaking_paths_are_major_even_for_a_value_change(reg, base_recipe, edit):
    m = manifest()
    edit(m)
    v = new_version(reg, base_recipe, m)
    assert v.version_number == "2.0.0"
    assert {c["bump"] for c in v.diff_from_prev["changes"]} == {"major"}


def test_the_biggest_change_wins(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03  # patch
    m["model"]["hyperparameters"]["max_depth"] = 8  # minor
    v = new_version(reg, base_recipe, m)
    assert v.version_number == "1.1.0"
    assert [c["bump"] for c in v.diff_from_prev["changes"]] == ["patch", "minor"]


def _set_settings(reg: Registry, **changes) -> None:
    updated = reg.settings.model_copy(update=changes)
    with reg.mutate("Tighten the versioning policy") as m:
        m.write(layout.SETTINGS, files.render(updated, "settings", layout.SETTINGS))


def test_registry_configured_breaking_paths(reg, base_recipe):
    _set_settings(reg, breaking_paths=["pricing"])
    reg = Registry(reg.root)  # settings are read once per opening
    m = manifest()
    m["pricing"]["objective"] = "margin"
    assert new_version(reg, base_recipe, m).version_number == "2.0.0"
    m["target"]["name"] = "revenue"  # no longer declared breaking: a value change
    assert new_version(reg, base_recipe, m).version_number == "2.0.1"


def test_a_breaking_path_may_name_a_nested_section(reg, base_recipe):
    _set_settings(reg, breaking_paths=["pricing.price_bounds"])
    reg = Registry(reg.root)
    m = manifest()
    m["pricing"]["objective"] = "margin"
    assert new_version(reg, base_recipe, m).version_number == "1.0.1"
    m["pricing"]["price_bounds"]["max_ratio"] = 1.3
    assert new_version(reg, base_recipe, m).version_number == "2.0.0"


def test_dotted_breaking_path_does_not_match_a_sibling_prefix():
    old = {"pricing": {"price": 1, "price_bounds": {"min_ratio": 1}}}
    new = {"pricing": {"price": 2, "price_bounds": {"min_ratio": 1}}}
    assert manifest_diff(old, new, "1.0.0", ("pricing.price_bounds",))["bump"] == "patch"
    assert manifest_diff(old, new, "1.0.0", ("pricing.price",))["bump"] == "major"


def test_explicit_version_must_be_greater(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    head = git(reg.root, "rev-parse", "HEAD")
    for given in ("1.0.0", "0.9.9"):
        with pytest.raises(ValidationFailed) as info:
            new_version(reg, base_recipe, m, version=given)
        [err] = info.value.detail
        assert err["loc"] == ["body", "version"]
        assert err["msg"] == f"version {given} is not greater than the current 1.0.0"
    assert git(reg.root, "rev-parse", "HEAD") == head


def test_explicit_version_must_be_at_least_the_required_bump(reg, base_recipe):
    m = manifest()
    del m["monitoring"]["drift"]  # needs a major
    with pytest.raises(ValidationFailed) as info:
        new_version(reg, base_recipe, m, version="1.1.0")
    assert info.value.detail[0]["msg"] == (
        "version 1.1.0 is a minor bump, but the change needs a major bump (at least 2.0.0)"
    )
    assert new_version(reg, base_recipe, m, version="3.0.0").version_number == "3.0.0"


def test_explicit_version_may_be_bigger_than_needed(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    v = new_version(reg, base_recipe, m, version="1.2.0")
    assert v.version_number == "1.2.0"
    assert versions.get_version(reg, base_recipe, "v1.2.0").version_id == "ver_pricing_base_v1.2.0"


def test_explicit_version_cannot_reuse_an_earlier_one(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    new_version(reg, base_recipe, m, version="2.0.0")
    # go back to 1.x by hand (a revert), then try to version 2.0.0 again
    mf_rel = layout.manifest_file(base_recipe)
    text = reg.path(mf_rel).read_text().replace("version: 2.0.0", "version: 1.5.0")
    reg.path(mf_rel).write_text(text)
    git(reg.root, "commit", "-qam", "Go back to the 1.x line")
    m["model"]["hyperparameters"]["learning_rate"] = 0.02
    with pytest.raises(Conflict, match=r"version 2\.0\.0 of recipe_pricing_base already exists"):
        new_version(reg, base_recipe, m, version="2.0.0")


def test_nothing_to_version(reg, base_recipe):
    head = git(reg.root, "rev-parse", "HEAD")
    with pytest.raises(Conflict, match=r"the manifest is the same as version 1\.0\.0"):
        new_version(reg, base_recipe, manifest())
    assert git(reg.root, "rev-parse", "HEAD") == head


def test_version_commit_has_the_note_and_the_author(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    v = new_version(
        reg,
        base_recipe,
        m,
        "Lower the learning rate\n\nOverfits otherwise.",
        created_by="Ada Lovelace <ada@example.com>",
    )
    assert git(reg.root, "log", "-1", "--format=%an|%ae|%B") == (
        "Ada Lovelace|ada@example.com|Lower the learning rate\n\nOverfits otherwise."
    )
    assert git(reg.root, "log", "-1", "--format=%cn") == "Test User"
    listed = versions.get_version(reg, base_recipe, v.version_id)
    assert listed.created_by == "Ada Lovelace"
    assert listed.change_note == "Lower the learning rate\n\nOverfits otherwise."
    assert listed.commit == git(reg.root, "rev-parse", "HEAD") == v.commit
    assert listed.created_at == v.created_at


def test_get_version_spellings_and_not_found(reg, base_recipe):
    for ref in ("ver_pricing_base_v1.0.0", "v1.0.0", "1.0.0"):
        assert versions.get_version(reg, base_recipe, ref).version_number == "1.0.0"
    for ref in ("1.0.1", "ver_other_v1.0.0", "latest"):
        with pytest.raises(NotFound) as info:
            versions.get_version(reg, base_recipe, ref)
        assert info.value.detail == "Recipe version not found"
    with pytest.raises(NotFound) as info:
        versions.list_versions(reg, "recipe_nope")
    assert info.value.detail == "Recipe not found"


def test_version_body_checks(reg, base_recipe):
    with pytest.raises(ValidationFailed) as info:
        versions.create_version(reg, base_recipe, {"manifest_json": manifest()})
    assert info.value.detail == [
        {"loc": ["body", "change_note"], "msg": "field required", "type": "value_error.missing"}
    ]
    with pytest.raises(ValidationFailed) as info:
        versions.create_version(
            reg,
            base_recipe,
            {"recipe_id": "recipe_other", "manifest_json": manifest(), "change_note": "x"},
        )
    assert info.value.detail[0]["loc"] == ["body", "recipe_id"]
    bad = manifest()
    bad["target"]["kind"] = "guesswork"
    with pytest.raises(ValidationFailed) as info:
        versions.create_version(reg, base_recipe, {"manifest_json": bad, "change_note": "x"})
    assert info.value.detail[0]["loc"] == ["body", "manifest_json", "target", "kind"]


def test_a_recipe_made_again_after_deletion_starts_a_new_history(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    new_version(reg, base_recipe, m)
    recipes.delete_recipe(reg, base_recipe)
    recipes.create_recipe(
        reg,
        {
            "name": "Again",
            "model_family": "pricing",
            "level": "baseline",
            "id": base_recipe,
            "manifest": manifest(),
        },
    )
    assert [v.version_number for v in versions.list_versions(reg, base_recipe).versions] == [
        "1.0.0"
    ]


def test_a_version_and_its_commit_share_one_instant(reg, base_recipe, monkeypatch):
    from datetime import UTC, datetime

    import modelyard.storage.mutation as mutation_module

    fixed = datetime(2020, 5, 17, 8, 30, 0, tzinfo=UTC)
    monkeypatch.setattr(mutation_module, "clock", lambda: fixed)
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    made = new_version(reg, base_recipe, m)
    assert made.created_at == fixed
    assert git(reg.root, "log", "-1", "--format=%aI") == "2020-05-17T08:30:00Z".replace(
        "Z", "+00:00"
    )
    assert versions.get_version(reg, base_recipe, "1.0.1").created_at == fixed
    assert recipes.get_recipe(reg, base_recipe).updated_at == fixed


def test_a_reverted_version_number_is_not_handed_out_again(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    new_version(reg, base_recipe, m, "Tune")
    git(reg.root, "revert", "--no-edit", "HEAD")
    assert recipes.get_recipe(reg, base_recipe).version == "1.0.0"
    m["model"]["hyperparameters"]["learning_rate"] = 0.04
    assert new_version(reg, base_recipe, m, "Tune again").version_number == "1.0.2"
    listed = versions.list_versions(reg, base_recipe).versions
    assert [v.version_number for v in listed] == ["1.0.0", "1.0.1", "1.0.2"]
    assert (
        versions.get_version(reg, base_recipe, "1.0.1").manifest_json["model"]["hyperparameters"][
            "learning_rate"
        ]
        == 0.03
    )


@pytest.mark.parametrize(
    ("created_by", "env_author", "expected"),
    [
        (None, None, "Test User"),
        (None, "CI Bot", "CI Bot"),
        ("Ada <ada@example.com>", "CI Bot", "Ada"),
    ],
)
def test_the_created_by_of_a_new_version_is_its_commit_author(
    reg, base_recipe, monkeypatch, created_by, env_author, expected
):
    if env_author:
        monkeypatch.setenv("GIT_AUTHOR_NAME", env_author)
    m = manifest()
    m["model"]["hyperparameters"]["learning_rate"] = 0.03
    made = versions.create_version(
        reg, base_recipe, {"manifest_json": m, "change_note": "Tune", "created_by": created_by}
    )
    assert made.created_by == expected == git(reg.root, "log", "-1", "--format=%an")
    assert versions.get_version(reg, base_recipe, "1.0.1").created_by == expected


def test_the_same_number_written_as_int_or_float_is_no_change():
    old = {"evaluation": {"acceptance": {"MAPE": {"max": 1}}}, "n": 2}
    new = {"evaluation": {"acceptance": {"MAPE": {"max": 1.0}}}, "n": 2.5}
    diff = manifest_diff(old, new, "1.0.0")
    assert [c["path_text"] for c in diff["changes"]] == ["n"]
    assert diff["bump"] == "patch"


def test_a_manifest_is_stored_as_its_schema_reads_it(reg, base_recipe):
    m = manifest()
    m["training"] = {"window_days": 365.0, "test_size": "0.2"}  # a whole float, a number as text
    m["evaluation"]["acceptance"]["MAPE"] = {"max": 1}
    m["model"]["hyperparameters"]["seed"] = "42"  # free-form: kept as given
    v = new_version(reg, base_recipe, m)
    stored = yamlio.load(reg.path(layout.manifest_file(base_recipe)).read_bytes()).data["manifest"]
    assert stored["training"] == {"window_days": 365, "test_size": 0.2}
    assert stored["evaluation"]["acceptance"]["MAPE"] == {"max": 1.0}
    assert stored["model"]["hyperparameters"]["seed"] == "42"
    assert v.manifest_json == stored
    assert "split" not in stored["training"]  # defaults are not written out
    # sending the stored manifest back is no change at all
    with pytest.raises(Conflict, match="there is nothing to version"):
        new_version(
            reg, base_recipe, {**stored, "training": {"window_days": 365, "test_size": "0.2"}}
        )
