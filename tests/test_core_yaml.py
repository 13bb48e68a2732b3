"""Registry files: safe loading with file:line:column and field, refused ids, and the one
canonical form that a load and save leaves byte for byte."""

from __future__ import annotations

import pytest

from conftest import git, manifest
from modelyard.domain.records import (
    ManifestFile,
    Model,
    MonitoringSnapshot,
    Recipe,
    RegistrySettings,
    Run,
    SyntheticExample,
)
from modelyard.errors import RegistryFileError, ValidationFailed
from modelyard.ops import models, monitoring, recipes, runs, synthetic, versions
from modelyard.storage import files, layout, yamlio

RECIPE = "recipe_pricing_base"
RECIPE_FILE = f"registry/recipes/{RECIPE}/recipe.yaml"
MANIFEST_FILE = f"registry/recipes/{RECIPE}/manifest.yaml"


def edit(reg, rel, old, new):
    path = reg.path(rel)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def problem(call):
    with pytest.raises(RegistryFileError) as info:
        call()
    [found] = info.value.problems
    return found, str(info.value)


def line_of(reg, rel, needle):
    return next(i for i, ln in enumerate(reg.path(rel).read_text().splitlines(), 1) if needle in ln)


def test_duplicate_key(reg, base_recipe):
    rel = layout.recipe_file(RECIPE)
    edit(reg, rel, "level: baseline\n", "level: baseline\nlevel: industry\n")
    found, text = problem(lambda: recipes.get_recipe(reg, RECIPE))
    line = line_of(reg, rel, "level: industry")
    assert (found.path, found.line, found.column, found.field) == (RECIPE_FILE, line, 1, "level")
    assert text == f"{RECIPE_FILE}:{line}:1: level: duplicate key 'level'"


def test_alias_bomb(reg, base_recipe):
    rel = layout.manifest_file(RECIPE)
    bomb = "".join(
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else 'lol'}]\n" for i in range(9)
    )
    edit(reg, rel, "version: 1.0.0\n", "version: 1.0.0\n" + bomb)
    found, text = problem(lambda: recipes.get_recipe(reg, RECIPE))
    line = line_of(reg, rel, "l0: &l0")
    assert (found.line, found.column, found.field) == (line, 5, "l0")
    assert (
        text == f"{MANIFEST_FILE}:{line}:5: l0: anchors (&name) are not allowed in a registry file"
    )


def test_an_alias_alone_is_refused(reg, base_recipe):
    edit(reg, layout.recipe_file(RECIPE), "tags:\n- baseline\n", "tags: *shared\n")
    found, text = problem(lambda: recipes.get_recipe(reg, RECIPE))
    assert found.field == "tags"
    assert text.endswith("tags: aliases (*name) are not allowed in a registry file")


@pytest.mark.parametrize(
    "tag", ["!!python/object:os.system {}", "!!python/object/apply:os.system ['true']", "!custom x"]
)
def test_unsafe_and_custom_tags(reg, base_recipe, tag):
    rel = layout.recipe_file(RECIPE)
    edit(reg, rel, "description: null", f"description: {tag}")
    found, text = problem(lambda: recipes.get_recipe(reg, RECIPE))
    line = line_of(reg, rel, "description:")
    assert (found.line, found.column, found.field) == (line, 14, "description")
    assert "is not allowed in a registry file" in text
    assert text.startswith(f"{RECIPE_FILE}:{line}:14: description: tag ")


def test_unquoted_version_number(reg, base_recipe):
    rel = layout.manifest_file(RECIPE)
    edit(reg, rel, "version: 1.0.0", "version: 1.0")
    found, text = problem(lambda: recipes.get_recipe(reg, RECIPE))
    line = line_of(reg, rel, "version: 1.0")
    assert (found.line, found.column, found.field) == (line, 1, "version")
    assert text == (
        f"{MANIFEST_FILE}:{line}:1: version: Input should be a valid string (got 1.0); "
        "quote the value so YAML reads it as text"
    )


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "No"])
def test_yaml_1_1_booleans(reg, base_recipe, word):
    rel = layout.recipe_file(RECIPE)
    edit(reg, rel, "status: draft", f"status: {word}")
    found, text = problem(lambda: recipes.get_recipe(reg, RECIPE))
    line = line_of(reg, rel, f"status: {word}")
    assert (found.line, found.column, found.field) == (line, 9, "status")
    assert text == (
        f"{RECIPE_FILE}:{line}:9: status: {word!r} is read as a boolean by YAML 1.1; "
        f"write true/false, or quote it ('{word}') for text"
    )


def test_a_boolean_in_a_list_names_its_item(reg, base_recipe):
    rel = layout.recipe_file(RECIPE)
    edit(reg, rel, "- baseline\n", "- baseline\n- on\n")
    found, _ = problem(lambda: recipes.list_recipes(reg))
    assert (found.line, found.column, found.field) == (line_of(reg, rel, "- on"), 3, "tags.1")


def test_unknown_field_suggests_the_right_one(reg, base_recipe):
    rel = layout.recipe_file(RECIPE)
    edit(reg, rel, "status: draft", "stauts: draft")
    found, text = problem(lambda: recipes.get_recipe(reg, RECIPE))
    line = line_of(reg, rel, "stauts")
    assert (found.line, found.column, found.field) == (line, 1, "stauts")
    assert text == f"{RECIPE_FILE}:{line}:1: stauts: unknown field 'stauts'; did you mean 'status'?"


def test_a_nested_schema_error_points_at_its_line(reg, base_recipe):
    model = models.register_model(
        reg, {"name": "m", "recipe_id": RECIPE, "recipe_version_id": "1.0.0", "owner": "team"}
    )
    run = runs.create_run(
        reg,
        {
            "recipe_id": RECIPE,
            "recipe_version_id": "1.0.0",
            "run_type": "train",
            "model_id": model.id,
        },
    )
    runs.update_run(reg, run.id, {"metrics_json": {"MAPE": 0.1}})
    edit(reg, layout.run_file(run.id), "MAPE: 0.1", "MAPE: high")
    found, text = problem(lambda: runs.get_run(reg, run.id))
    assert found.field == "metrics_json.MAPE"
    assert found.line == line_of(reg, layout.run_file(run.id), "MAPE: high")
    assert "(got 'high')" in text


def test_a_file_of_the_wrong_shape(reg, base_recipe):
    reg.path(layout.recipe_file(RECIPE)).write_text("- just\n- a list\n")
    _, text = problem(lambda: recipes.get_recipe(reg, RECIPE))
    assert text == f"{RECIPE_FILE}:1:1: expected a mapping of fields at the top"


def test_exponent_floats_are_numbers_and_text_that_looks_like_one_is_quoted():
    loaded = yamlio.load("lr: 1e-5\nbig: 2.5E3\nname: e5\n").data
    assert loaded == {"lr": 1e-05, "big": 2500.0, "name": "e5"}
    text = yamlio.dump({"lr": 1e-05, "code": "1e5", "octal": "0o17"})
    assert text == "lr: 1.0e-05\ncode: '1e5'\noctal: '0o17'\n"
    assert yamlio.load(text).data == {"lr": 1e-05, "code": "1e5", "octal": "0o17"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "../x"),
        ("id", "Recipe-1"),
        ("parent_id", "../x"),
        ("id", "recipes/../../etc"),
        ("id", "ab"),
    ],
)
def test_bad_ids_in_a_body_are_refused_and_nothing_is_written(reg, base_recipe, field, value):
    head = git(reg.worktree, "rev-parse", "HEAD")
    body = {
        "name": "x",
        "model_family": "pricing",
        "level": "industry",
        "manifest": manifest(),
        field: value,
    }
    with pytest.raises(ValidationFailed) as info:
        recipes.create_recipe(reg, body)
    assert info.value.detail == [
        {
            "loc": ["body", field],
            "msg": f"{value!r} is not a valid id "
            "(3 to 63 characters: lowercase letters, digits and _, "
            "starting with a letter)",
            "type": "value_error",
        }
    ]
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    assert git(reg.worktree, "status", "--porcelain", "--untracked-files=all") == ""


def test_bad_ids_elsewhere_are_refused(reg, base_recipe):
    head = git(reg.worktree, "rev-parse", "HEAD")
    with pytest.raises(ValidationFailed) as info:
        models.register_model(
            reg, {"name": "m", "recipe_id": "../x", "recipe_version_id": "1.0.0", "owner": "t"}
        )
    assert info.value.detail[0]["loc"] == ["body", "recipe_id"]
    with pytest.raises(ValidationFailed):
        runs.create_run(
            reg,
            {
                "recipe_id": RECIPE,
                "recipe_version_id": "1.0.0",
                "run_type": "train",
                "model_id": "Model-1",
            },
        )
    with pytest.raises(ValidationFailed) as info:
        synthetic.create_synthetic(reg, RECIPE, {"recipe_id": "../x"})
    assert info.value.detail[0]["loc"] == ["body", "recipe_id"]
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    assert git(reg.worktree, "status", "--porcelain", "--untracked-files=all") == ""


TRICKY = [
    "no",
    "on",
    "off",
    "yes",
    "~",
    "null",
    "true",
    "1.0",
    "2024-01-01",
    "012",
    "0x1F",
    "1_000",
    "1e5",
    "-",
    ": colon",
    "# not a comment",
    " leading space",
    "Café ☕",
    "",
    "@handle",
    "%percent",
]


def test_canonical_form_round_trips_every_record_kind(reg, base_recipe):
    # records holding the strings that YAML would most like to re-type
    recipes.update_recipe(
        reg,
        RECIPE,
        {"description": "Line one.\nLine two: with a colon.\n", "tags": [t for t in TRICKY if t]},
    )
    m = manifest()
    m["description"] = "Prices\n\n  indented\nend"
    m["parameters"] = {t or "empty": t for t in TRICKY}
    m["model"]["hyperparameters"]["learning_rate"] = 1e-05
    versions.create_version(reg, RECIPE, {"manifest_json": m, "change_note": "Tricky values"})
    kid = recipes.clone_recipe(reg, RECIPE, "Child").id
    model = models.register_model(
        reg,
        {
            "name": "no",
            "recipe_id": RECIPE,
            "recipe_version_id": "1.1.0",
            "owner": "on",
            "description": "2024-01-01",
        },
    )
    run = runs.create_run(
        reg, {"recipe_id": RECIPE, "recipe_version_id": "1.1.0", "run_type": "train"}
    )
    runs.update_run(
        reg,
        run.id,
        {
            "status": "succeeded",
            "metrics_json": {"MAPE": 0.125, "n": 3},
            "artifacts_json": {"uri": "s3://b/k", "flags": TRICKY},
            "logs_text": "a\nb\n",
        },
    )
    monitoring.create_snapshot(
        reg,
        model.id,
        {"drift_metrics_json": {"psi": 0.3}, "alerts_json": {"psi": "~", "note": "yes"}},
    )
    synthetic.create_synthetic(
        reg,
        RECIPE,
        {
            "dataset_schema_json": {"columns": {"price": "float", "on": "bool"}},
            "sample_rows_json": [{"price": 1.0, "on": True}],
            "example_run_json": {"MAPE": 0.1},
        },
    )

    kinds = {
        "recipe": Recipe,
        "manifest": ManifestFile,
        "model": Model,
        "run": Run,
        "snapshot": MonitoringSnapshot,
        "synthetic-example": SyntheticExample,
        "settings": RegistrySettings,
    }
    seen = set()
    for path in sorted(reg.root.rglob("*.yaml")):
        rel = path.relative_to(reg.root).as_posix()
        kind = layout.kind_of(rel)[0]
        kind = {"synthetic": "synthetic-example"}.get(kind, kind)
        record = files.parse_text(path.read_bytes(), kinds[kind], rel)
        exclude = {"extends"} if kind == "manifest" and record.extends is None else None
        assert files.render(record, kind, rel, exclude=exclude) == path.read_text(
            encoding="utf-8"
        ), rel
        seen.add(kind)
        if kind == "manifest" and record.extends is None:
            assert record.manifest["parameters"] == m["parameters"]
            assert record.manifest["description"] == m["description"]
            assert record.manifest["model"]["hyperparameters"]["learning_rate"] == 1e-05
    assert seen == set(kinds)
    assert (reg.root / "recipes" / kid / "manifest.yaml").exists()

    text = reg.path(layout.recipe_file(RECIPE)).read_text()
    for word in ("no", "on", "off", "yes", "~", "null", "true", "1.0", "2024-01-01", "1e5"):
        assert f"- '{word}'\n" in text
    assert "description: |\n  Line one.\n  Line two: with a colon.\n" in text
    manifest_text = reg.path(layout.manifest_file(RECIPE)).read_text()
    assert "  description: |-\n    Prices\n\n      indented\n    end\n" in manifest_text
    assert "'no': 'no'" in manifest_text
    assert "\r" not in manifest_text and "Café ☕" in manifest_text
    assert reg.path(layout.model_file(model.id)).read_text().count("'2024-01-01'") == 1


def test_canonical_text_is_independent_of_how_the_file_was_written(reg, base_recipe):
    rel = str(layout.recipe_file(RECIPE))
    canonical = reg.path(rel).read_text()
    record = files.parse_text(canonical, Recipe, rel)
    dumped = record.model_dump(mode="json")
    # the same record by hand: flow style, other quoting, other key order, comments
    messy = (
        "# edited by hand\n"
        f'{{updated_at: "{dumped["updated_at"]}", tags: ["baseline"],\n'
        f" created_at: '{dumped['created_at']}', status: \"draft\",\n"
        f" level: baseline, model_family: pricing, name: 'Pricing Baseline', id: {RECIPE}}}\n"
    )
    again = files.parse_text(messy, Recipe, rel)
    assert again == record
    assert files.render(again, "recipe", rel) == canonical


def test_an_id_must_equal_its_folder_name(reg, base_recipe):
    # a recipe folder copied by hand, its id left as it was
    src = reg.root / "recipes" / RECIPE
    dst = reg.root / "recipes" / "recipe_copy"
    dst.mkdir()
    for path in src.iterdir():
        (dst / path.name).write_bytes(path.read_bytes())
    found, text = problem(lambda: recipes.get_recipe(reg, "recipe_copy"))
    line = line_of(reg, layout.recipe_file("recipe_copy"), "id: ")
    assert (found.field, found.line, found.column) == ("id", line, 1)
    assert text == (
        f"registry/recipes/recipe_copy/recipe.yaml:{line}:1: id: is {RECIPE!r}, "
        "but the file's place says 'recipe_copy' (they must be the same)"
    )
    with pytest.raises(RegistryFileError):
        recipes.list_recipes(reg)
    with pytest.raises(RegistryFileError):
        recipes.update_recipe(reg, "recipe_copy", {"status": "approved"})
    assert git(reg.worktree, "status", "--porcelain") == "?? registry/recipes/recipe_copy/"


def test_a_snapshot_must_sit_under_its_model(reg, base_recipe):
    model = models.register_model(
        reg, {"name": "m", "recipe_id": RECIPE, "recipe_version_id": "1.0.0", "owner": "t"}
    )
    other = models.register_model(
        reg, {"name": "n", "recipe_id": RECIPE, "recipe_version_id": "1.0.0", "owner": "t"}
    )
    snap = monitoring.create_snapshot(reg, model.id, {})
    target = reg.root / "models" / other.id / "monitoring"
    target.mkdir()
    (target / f"{snap.id}.yaml").write_bytes(
        reg.path(layout.snapshot_file(model.id, snap.id)).read_bytes()
    )
    found, _ = problem(lambda: monitoring.list_snapshots(reg, other.id))
    assert found.field == "model_id"


def test_a_misspelt_enum_value_gets_a_suggestion(reg, base_recipe):
    from modelyard.errors import RegistryFileError
    from modelyard.ops import recipes

    path = reg.root / "recipes" / base_recipe / "recipe.yaml"
    path.write_text(path.read_text().replace("status: draft", "status: aproved"))
    with pytest.raises(RegistryFileError) as caught:
        recipes.get_recipe(reg, base_recipe)
    [problem] = caught.value.problems
    assert problem.field == "status"
    assert problem.message == (
        "Input should be 'draft', 'approved' or 'archived' (got 'aproved'); "
        "did you mean 'approved'?"
    )
    assert (problem.line, problem.column) == (6, 1)
