"""Operations: lifecycles, delete, synthetic examples, lists, and the seed's error meanings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conftest import git, manifest
from modelyard.errors import Conflict, DirtyTree, InvalidValue, NotFound, ValidationFailed
from modelyard.ops import models, monitoring, recipes, runs, synthetic, versions

RECIPE = "recipe_pricing_base"


@pytest.fixture
def model_id(reg, base_recipe) -> str:
    return models.register_model(
        reg,
        {
            "name": "Pricing prod",
            "recipe_id": RECIPE,
            "recipe_version_id": "1.0.0",
            "owner": "team",
        },
    ).id


def new_run(reg, **extra):
    return runs.create_run(
        reg, {"recipe_id": RECIPE, "recipe_version_id": "1.0.0", "run_type": "train", **extra}
    )


def at(monkeypatch, when: str):
    """Make the registry's clock (and git's author date) read `when`."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", when)


# -- runs ------------------------------------------------------------------------------------


def test_run_queued_running_succeeded_sets_the_timestamps(reg, base_recipe, monkeypatch):
    at(monkeypatch, "2024-01-15T10:00:00Z")
    run = new_run(reg)
    assert (run.status, run.started_at, run.finished_at, run.logs_text) == (
        "queued",
        None,
        None,
        "",
    )
    assert run.created_at == datetime(2024, 1, 15, 10, tzinfo=UTC)
    at(monkeypatch, "2024-01-15T10:05:00Z")
    running = runs.update_run(reg, run.id, {"status": "running"})
    assert (
        running.started_at == datetime(2024, 1, 15, 10, 5, tzinfo=UTC)
        and running.finished_at is None
    )
    at(monkeypatch, "2024-01-15T11:00:00Z")
    done = runs.update_run(
        reg,
        run.id,
        {
            "status": "succeeded",
            "metrics_json": {"MAPE": 0.12},
            "artifacts_json": {"model": "s3://b/m.bin"},
            "logs_text": "ok\n",
        },
    )
    assert done.started_at == datetime(2024, 1, 15, 10, 5, tzinfo=UTC)
    assert done.finished_at == datetime(2024, 1, 15, 11, tzinfo=UTC)
    got = runs.get_run(reg, run.id)
    assert got.model_dump(mode="json") == done.model_dump(mode="json")
    assert got.model_dump(mode="json")["finished_at"] == "2024-01-15T11:00:00Z"
    assert got.logs_text == "ok\n" and got.metrics_json == {"MAPE": 0.12}
    assert run.id.startswith("run_20240115100000_")
    assert f"runs/2024-01/{run.id}/run.yaml" in git(reg.worktree, "ls-files")


@pytest.mark.parametrize("final", ["failed", "succeeded"])
def test_a_direct_jump_to_a_final_status_sets_both(reg, base_recipe, monkeypatch, final):
    run = new_run(reg)
    at(monkeypatch, "2030-02-01T00:00:00Z")
    done = runs.update_run(reg, run.id, {"status": final})
    assert done.started_at == done.finished_at == datetime(2030, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("final", "then"), [("succeeded", "running"), ("failed", "succeeded"), ("succeeded", "queued")]
)
def test_final_statuses_are_final(reg, base_recipe, final, then):
    run = new_run(reg)
    runs.update_run(reg, run.id, {"status": final})
    head = git(reg.worktree, "rev-parse", "HEAD")
    with pytest.raises(Conflict) as info:
        runs.update_run(reg, run.id, {"status": then})
    assert str(info.value) == f"run status {final!r} is final; it cannot change to {then!r}"
    assert info.value.http_status == 409
    assert git(reg.worktree, "rev-parse", "HEAD") == head


def test_a_run_cannot_go_back_to_queued(reg, base_recipe):
    run = new_run(reg)
    runs.update_run(reg, run.id, {"status": "running"})
    with pytest.raises(Conflict, match="cannot change from 'running' to 'queued'"):
        runs.update_run(reg, run.id, {"status": "queued"})


def test_run_creation_checks_its_references(reg, base_recipe, model_id):
    with pytest.raises(NotFound) as info:
        runs.create_run(
            reg, {"recipe_id": RECIPE, "recipe_version_id": "2.0.0", "run_type": "train"}
        )
    assert info.value.detail == "Recipe version not found"
    with pytest.raises(ValidationFailed) as info:
        runs.create_run(
            reg, {"recipe_id": RECIPE, "recipe_version_id": "ver_other_v1.0.0", "run_type": "train"}
        )
    assert (
        info.value.detail[0]["msg"]
        == "'ver_other_v1.0.0' is not a version of recipe_pricing_base; "
        "it names a version of recipe_other"
    )
    with pytest.raises(NotFound) as info:
        new_run(reg, model_id="model_missing")
    assert info.value.detail == "Model not found"
    with pytest.raises(ValidationFailed) as info:
        runs.create_run(
            reg, {"recipe_id": RECIPE, "recipe_version_id": "1.0.0", "run_type": "deploy"}
        )
    assert info.value.detail[0]["loc"] == ["body", "run_type"]
    assert info.value.detail[0]["type"] == "type_error.enum"
    models.update_model(reg, model_id, {"status": "retired"})
    with pytest.raises(Conflict, match="is retired; it takes no new runs"):
        new_run(reg, model_id=model_id)


def test_run_metrics_must_be_finite_numbers(reg, base_recipe):
    run = new_run(reg)
    with pytest.raises(ValidationFailed) as info:
        runs.update_run(reg, run.id, {"metrics_json": {"MAPE": "low"}})
    assert info.value.detail[0]["loc"] == ["body", "metrics_json", "MAPE"]
    with pytest.raises(ValidationFailed):
        runs.update_run(reg, run.id, {"metrics_json": {"MAPE": float("nan")}})


# -- models ----------------------------------------------------------------------------------


def test_model_lifecycle_with_rollback_and_retirement(reg, base_recipe, model_id):
    recipes.update_recipe(reg, RECIPE, {"status": "approved"})
    for status in ("staging", "production", "staging", "production", "retired"):
        assert models.update_model(reg, model_id, {"status": status}).status == status
    assert (
        git(reg.worktree, "log", "-1", "--format=%s")
        == f"Update {model_id}: status production -> retired"
    )
    for status in ("production", "draft", "staging"):
        with pytest.raises(Conflict) as info:
            models.update_model(reg, model_id, {"status": status})
        assert str(info.value) == f"model status 'retired' is final; it cannot change to {status!r}"


def test_models_move_forward_only(reg, base_recipe, model_id):
    models.update_model(reg, model_id, {"status": "staging"})
    with pytest.raises(Conflict) as info:
        models.update_model(reg, model_id, {"status": "draft"})
    assert str(info.value) == (
        "model status cannot change from 'staging' to 'draft' "
        "(allowed from 'staging': production, retired)"
    )


def test_production_needs_an_approved_recipe(reg, base_recipe, model_id):
    head = git(reg.worktree, "rev-parse", "HEAD")
    with pytest.raises(Conflict) as info:
        models.update_model(reg, model_id, {"status": "production"})
    assert str(info.value).startswith(
        f"model {model_id} cannot go to production: its recipe {RECIPE} is draft, not approved"
    )
    with pytest.raises(Conflict):
        models.register_model(
            reg,
            {
                "name": "Direct",
                "recipe_id": RECIPE,
                "recipe_version_id": "1.0.0",
                "owner": "team",
                "status": "production",
            },
        )
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    recipes.update_recipe(reg, RECIPE, {"status": "approved"})
    direct = models.register_model(
        reg,
        {
            "name": "Direct",
            "recipe_id": RECIPE,
            "recipe_version_id": "1.0.0",
            "owner": "team",
            "status": "production",
        },
    )
    assert direct.status == "production"


def test_register_checks_the_version_belongs_to_the_recipe(reg, base_recipe):
    other = recipes.create_recipe(
        reg,
        {
            "name": "Other",
            "model_family": "forecasting",
            "level": "baseline",
            "manifest": manifest("forecasting"),
        },
    ).id
    with pytest.raises(ValidationFailed) as info:
        models.register_model(
            reg,
            {
                "name": "m",
                "recipe_id": RECIPE,
                "owner": "t",
                "recipe_version_id": "ver_other_v1.0.0",
            },
        )
    assert info.value.detail[0]["loc"] == ["body", "recipe_version_id"]
    m = models.register_model(
        reg,
        {"name": "Sales forecast", "recipe_id": other, "owner": "t", "recipe_version_id": "v1.0.0"},
    )
    assert (m.id, m.model_family, m.recipe_version_id, m.status) == (
        "model_sales_forecast",
        "forecasting",
        "ver_other_v1.0.0",
        "draft",
    )
    recipes.update_recipe(reg, other, {"status": "archived"})
    with pytest.raises(Conflict, match="is archived; models cannot be registered from it"):
        models.register_model(
            reg, {"name": "x", "recipe_id": other, "owner": "t", "recipe_version_id": "1.0.0"}
        )


# -- recipes ---------------------------------------------------------------------------------


def test_recipe_lifecycle(reg, base_recipe):
    for status in ("approved", "draft", "approved", "archived", "draft", "archived"):
        assert recipes.update_recipe(reg, RECIPE, {"status": status}).status == status
    with pytest.raises(Conflict) as info:
        recipes.update_recipe(reg, RECIPE, {"status": "approved"})
    assert str(info.value) == (
        "recipe status cannot change from 'archived' to 'approved' (allowed from 'archived': draft)"
    )
    with pytest.raises(ValidationFailed) as info:
        recipes.update_recipe(reg, RECIPE, {"status": "gone"})
    assert info.value.detail[0]["loc"] == ["body", "status"]


def test_an_update_that_changes_nothing_makes_no_commit(reg, base_recipe):
    head = git(reg.worktree, "rev-parse", "HEAD")
    same = recipes.update_recipe(reg, RECIPE, {"name": "Pricing Baseline", "tags": ["baseline"]})
    assert same.name == "Pricing Baseline"
    assert git(reg.worktree, "rev-parse", "HEAD") == head


def test_deleting_a_used_recipe_is_refused_naming_the_users(reg, base_recipe, model_id):
    kid = recipes.clone_recipe(reg, RECIPE, "Child").id
    run = new_run(reg)
    head = git(reg.worktree, "rev-parse", "HEAD")
    with pytest.raises(Conflict) as info:
        recipes.delete_recipe(reg, RECIPE)
    assert str(info.value) == (
        f"recipe {RECIPE} is still used (models: {model_id}; runs: {run.id}; recipes: {kid})\n"
        f"Suggested action: archive it instead: modelyard recipes update {RECIPE} --status archived"
    )
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    assert recipes.get_recipe(reg, RECIPE).id == RECIPE


def test_deleting_an_unused_recipe_removes_its_folder_in_one_commit(reg, base_recipe):
    synthetic.create_synthetic(reg, RECIPE, {"sample_rows_json": [{"price": 1.0}]})
    head = git(reg.worktree, "rev-parse", "HEAD")
    assert recipes.delete_recipe(reg, RECIPE) == {"deleted": True, "id": RECIPE}
    assert git(reg.worktree, "rev-list", "--count", f"{head}..HEAD") == "1"
    assert sorted(git(reg.worktree, "show", "--name-status", "--format=", "HEAD").splitlines()) == [
        f"D\tregistry/recipes/{RECIPE}/{name}"
        for name in ("manifest.yaml", "recipe.yaml", "synthetic-example.yaml")
    ]
    assert not (reg.root / "recipes" / RECIPE).exists()
    with pytest.raises(NotFound):
        recipes.get_recipe(reg, RECIPE)
    with pytest.raises(NotFound) as info:
        recipes.delete_recipe(reg, RECIPE)
    assert info.value.detail == "Recipe not found"


# -- synthetic examples ----------------------------------------------------------------------


def test_synthetic_example_get_and_create(reg, base_recipe, monkeypatch):
    with pytest.raises(NotFound) as info:
        synthetic.get_synthetic(reg, RECIPE)
    assert info.value.detail == "Synthetic example not found" and info.value.http_status == 404
    with pytest.raises(NotFound) as info:
        synthetic.get_synthetic(reg, "recipe_missing")
    assert info.value.detail == "Recipe not found"
    at(monkeypatch, "2024-03-01T09:00:00Z")
    body = {
        "dataset_schema_json": {"columns": {"price": "float", "units": "int"}},
        "sample_rows_json": [{"price": 9.99, "units": 3}],
        "example_run_json": {"MAPE": 0.1},
    }
    made = synthetic.create_synthetic(reg, RECIPE, body)
    assert synthetic.get_synthetic(reg, RECIPE) == made
    assert git(reg.worktree, "log", "-1", "--format=%s") == f"Add synthetic example of {RECIPE}"
    at(monkeypatch, "2024-03-02T09:00:00Z")
    again = synthetic.create_synthetic(
        reg, RECIPE, {**body, "sample_rows_json": [{"price": 5.0, "units": 1}]}
    )
    assert again.created_at == made.created_at and again.updated_at > made.updated_at
    assert git(reg.worktree, "log", "-1", "--format=%s") == f"Replace synthetic example of {RECIPE}"
    with pytest.raises(ValidationFailed) as info:
        synthetic.create_synthetic(reg, RECIPE, {**body, "sample_rows_json": [{"cost": 1}]})
    assert info.value.detail[0]["loc"] == ["body", "sample_rows_json", 0]
    assert info.value.detail[0]["msg"] == "column 'cost' is not in dataset_schema_json.columns"


# -- lists -----------------------------------------------------------------------------------


def test_recipe_filters_paging_and_total(reg, base_recipe):
    for i in range(3):
        recipes.clone_recipe(reg, RECIPE, f"Industry {i}", level="industry")
    recipes.create_recipe(
        reg,
        {
            "name": "Forecast",
            "model_family": "forecasting",
            "level": "baseline",
            "manifest": manifest("forecasting"),
        },
    )
    recipes.update_recipe(reg, RECIPE, {"status": "approved"})
    everything = recipes.list_recipes(reg)
    assert everything.total == 5
    assert [r.id for r in everything.recipes] == sorted(r.id for r in everything.recipes)
    page = recipes.list_recipes(reg, model_family="pricing", limit=2, offset=1)
    assert page.total == 4 and len(page.recipes) == 2
    assert [r.id for r in page.recipes] == [
        r.id for r in recipes.list_recipes(reg, model_family="pricing").recipes
    ][1:3]
    assert recipes.list_recipes(reg, level="industry").total == 3
    assert [r.id for r in recipes.list_recipes(reg, status="approved").recipes] == [RECIPE]
    assert (
        recipes.list_recipes(reg, model_family="pricing", level="baseline", status="draft").total
        == 0
    )
    beyond = recipes.list_recipes(reg, offset=10)
    assert (beyond.total, beyond.recipes) == (5, [])
    first = everything.recipes[0].model_dump(mode="json")
    assert {
        "id",
        "name",
        "model_family",
        "level",
        "status",
        "parent_id",
        "tags",
        "created_at",
        "updated_at",
        "version",
        "version_id",
    } <= set(first)


@pytest.mark.parametrize(
    ("limit", "offset", "loc", "msg"),
    [
        (0, 0, "limit", "limit must be between 1 and 500 (got 0)"),
        (501, 0, "limit", "limit must be between 1 and 500 (got 501)"),
        (10, -1, "offset", "offset must be 0 or more (got -1)"),
    ],
)
def test_bad_paging_is_refused(reg, base_recipe, limit, offset, loc, msg):
    for call in (
        lambda: recipes.list_recipes(reg, limit=limit, offset=offset),
        lambda: models.list_models(reg, limit=limit, offset=offset),
        lambda: runs.list_runs(reg, limit=limit, offset=offset),
    ):
        with pytest.raises(ValidationFailed) as info:
            call()
        assert [(e["loc"], e["msg"]) for e in info.value.detail] == [(["query", loc], msg)]
    assert recipes.list_recipes(reg, limit=500).total == 1


@pytest.mark.parametrize(
    ("call", "name", "value"),
    [
        (lambda reg: recipes.list_recipes(reg, model_family="weather"), "model_family", "weather"),
        (lambda reg: recipes.list_recipes(reg, level="global"), "level", "global"),
        (lambda reg: recipes.list_recipes(reg, status="live"), "status", "live"),
        (lambda reg: models.list_models(reg, model_family="weather"), "model_family", "weather"),
        (lambda reg: models.list_models(reg, status="live"), "status", "live"),
        (lambda reg: runs.list_runs(reg, status="done"), "status", "done"),
    ],
)
def test_bad_filter_values_are_invalid_values(reg, call, name, value):
    with pytest.raises(InvalidValue) as info:
        call(reg)
    assert info.value.http_status == 400
    assert info.value.detail.startswith(f"Invalid {name} value: {value!r} (allowed: ")


def test_model_family_message_lists_the_allowed_values(reg):
    with pytest.raises(InvalidValue) as info:
        recipes.list_recipes(reg, model_family="weather")
    assert info.value.detail == (
        "Invalid model_family value: 'weather' "
        "(allowed: pricing, next_best_action, location_scoring, forecasting)"
    )


def test_run_and_model_filters(reg, base_recipe, model_id, monkeypatch):
    other = recipes.create_recipe(
        reg,
        {
            "name": "Forecast",
            "model_family": "forecasting",
            "level": "baseline",
            "manifest": manifest("forecasting"),
        },
    ).id
    made = []
    for day, extra in enumerate(
        [{"model_id": model_id}, {}, {"model_id": model_id, "run_type": "eval"}], 1
    ):
        at(monkeypatch, f"2024-01-0{day}T00:00:00Z")
        made.append(new_run(reg, **extra).id)
    at(monkeypatch, "2024-02-01T00:00:00Z")
    made.append(
        runs.create_run(
            reg, {"recipe_id": other, "recipe_version_id": "1.0.0", "run_type": "train"}
        ).id
    )
    runs.update_run(reg, made[0], {"status": "succeeded"})
    listed = runs.list_runs(reg)
    assert [r.id for r in listed.runs] == list(reversed(made))  # newest first, across month shards
    assert [r.id for r in runs.list_runs(reg, model_id=model_id).runs] == [made[2], made[0]]
    assert runs.list_runs(reg, recipe_id=other).total == 1
    assert [r.id for r in runs.list_runs(reg, status="succeeded").runs] == [made[0]]
    assert runs.list_runs(reg, recipe_id=RECIPE, status="queued", limit=1).total == 2
    assert runs.list_runs(reg, model_id="model_nothing").total == 0
    models.register_model(
        reg, {"name": "F", "recipe_id": other, "recipe_version_id": "1.0.0", "owner": "o"}
    )
    assert [m.model_family for m in models.list_models(reg, model_family="forecasting").models] == [
        "forecasting"
    ]
    assert models.list_models(reg, status="draft").total == 2
    assert models.list_models(reg, limit=1, offset=1).total == 2


def test_snapshots_newest_first(reg, base_recipe, model_id):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    order = [3, 0, 2, 1]
    for day in order:
        monitoring.create_snapshot(
            reg,
            model_id,
            {
                "captured_at": (start + timedelta(days=7 * day)).isoformat(),
                "drift_metrics_json": {"psi": day / 10},
            },
        )
    listed = monitoring.list_snapshots(reg, model_id)
    assert listed.total == 4
    assert [s.drift_metrics_json["psi"] for s in listed.snapshots] == [0.3, 0.2, 0.1, 0.0]
    page = monitoring.list_snapshots(reg, model_id, limit=2, offset=1)
    assert page.total == 4 and [s.drift_metrics_json["psi"] for s in page.snapshots] == [0.2, 0.1]
    with pytest.raises(NotFound) as info:
        monitoring.list_snapshots(reg, "model_missing")
    assert info.value.detail == "Model not found"
    with pytest.raises(ValidationFailed) as info:
        monitoring.create_snapshot(reg, model_id, {"model_id": "model_other"})
    assert info.value.detail[0]["loc"] == ["body", "model_id"]


# -- the seed's error meanings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "detail"),
    [
        (lambda reg: recipes.get_recipe(reg, "recipe_missing"), "Recipe not found"),
        (lambda reg: recipes.get_recipe(reg, "../etc"), "Recipe not found"),
        (lambda reg: models.get_model(reg, "model_missing"), "Model not found"),
        (lambda reg: runs.get_run(reg, "run_missing"), "Run not found"),
        (lambda reg: runs.update_run(reg, "run_missing", {"status": "running"}), "Run not found"),
        (lambda reg: versions.list_versions(reg, "recipe_missing"), "Recipe not found"),
        (lambda reg: versions.get_version(reg, RECIPE, "9.9.9"), "Recipe version not found"),
        (lambda reg: synthetic.get_synthetic(reg, RECIPE), "Synthetic example not found"),
        (lambda reg: synthetic.create_synthetic(reg, "recipe_missing", {}), "Recipe not found"),
        (lambda reg: monitoring.create_snapshot(reg, "model_missing", {}), "Model not found"),
    ],
)
def test_not_found_details(reg, base_recipe, call, detail):
    with pytest.raises(NotFound) as info:
        call(reg)
    assert info.value.detail == detail
    assert info.value.http_status == 404


def test_validation_errors_have_the_seed_shape(reg):
    with pytest.raises(ValidationFailed) as info:
        recipes.create_recipe(
            reg, {"model_family": "pricing", "level": "baseline", "manifest": manifest()}
        )
    assert info.value.detail == [
        {"loc": ["body", "name"], "msg": "field required", "type": "value_error.missing"}
    ]
    assert info.value.http_status == 422
    with pytest.raises(ValidationFailed) as info:
        recipes.create_recipe(
            reg,
            {
                "name": "x",
                "model_family": "pricing",
                "level": "baseline",
                "stauts": "draft",
                "manifest": manifest(),
            },
        )
    assert info.value.detail == [
        {
            "loc": ["body", "stauts"],
            "msg": "extra fields not permitted",
            "type": "value_error.extra",
        }
    ]
    with pytest.raises(ValidationFailed) as info:
        recipes.create_recipe(reg, "not a mapping")
    assert info.value.detail == [
        {"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}
    ]
    with pytest.raises(ValidationFailed) as info:
        recipes.create_recipe(reg, {"name": "x", "model_family": "pricing", "level": "baseline"})
    assert info.value.detail[0]["loc"] == ["body", "manifest"]


def test_delete_refuses_untracked_files_and_keeps_ignored_ones(reg, base_recipe):
    folder = reg.root / "recipes" / RECIPE
    (folder / "notes.md").write_text("mine\n")
    head = git(reg.worktree, "rev-parse", "HEAD")
    with pytest.raises(
        DirtyTree, match=f"registry/recipes/{RECIPE}/notes.md has uncommitted changes"
    ):
        recipes.delete_recipe(reg, RECIPE)
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.yaml", "notes.md", "recipe.yaml"]
    (folder / "notes.md").unlink()
    (reg.worktree / ".gitignore").write_text("*.bak\n")
    git(reg.worktree, "add", ".gitignore")
    git(reg.worktree, "commit", "-qm", "Ignore backups")
    (folder / "old.bak").write_text("kept\n")
    recipes.delete_recipe(reg, RECIPE)
    assert [p.name for p in folder.iterdir()] == ["old.bak"]
    assert recipes.list_recipes(reg).total == 0


def test_repeated_tags_are_a_422_before_anything_is_built(reg, base_recipe):
    head = git(reg.worktree, "rev-parse", "HEAD")
    with pytest.raises(ValidationFailed) as info:
        recipes.update_recipe(reg, RECIPE, {"tags": ["a", "a"]})
    assert info.value.detail == [
        {"loc": ["body", "tags"], "msg": "tag 'a' is listed twice", "type": "value_error"}
    ]
    with pytest.raises(ValidationFailed):
        recipes.create_recipe(
            reg,
            {
                "name": "x",
                "model_family": "pricing",
                "level": "baseline",
                "tags": ["a", "a"],
                "manifest": manifest(),
            },
        )
    assert git(reg.worktree, "rev-parse", "HEAD") == head


def test_chosen_ids_carry_the_seed_prefix(reg, base_recipe):
    # version ids drop recipe_, so a bare pricing_base would share ver_pricing_base_v1.0.0
    with pytest.raises(ValidationFailed) as info:
        recipes.create_recipe(
            reg,
            {
                "name": "x",
                "model_family": "pricing",
                "level": "baseline",
                "id": "pricing_base",
                "manifest": manifest(),
            },
        )
    assert info.value.detail == [
        {
            "loc": ["body", "id"],
            "type": "value_error",
            "msg": "'pricing_base' must start with 'recipe_', e.g. recipe_retail_pricing",
        }
    ]
    with pytest.raises(ValidationFailed) as info:
        models.register_model(
            reg,
            {
                "name": "m",
                "recipe_id": RECIPE,
                "recipe_version_id": "1.0.0",
                "owner": "t",
                "id": "prod_pricing",
            },
        )
    assert info.value.detail[0]["loc"] == ["body", "id"]
    assert (
        recipes.create_recipe(
            reg,
            {
                "name": "x",
                "model_family": "pricing",
                "level": "baseline",
                "id": "recipe_pricing_two",
                "manifest": manifest(),
            },
        ).id
        == "recipe_pricing_two"
    )


def test_a_registry_may_tighten_the_model_lifecycle(reg, base_recipe):
    from modelyard.storage import files, layout
    from modelyard.storage.registry import Registry

    strict = type(reg.settings).model_validate(
        {
            **reg.settings.model_dump(),
            "model_transitions": {
                "draft": ["staging"],
                "staging": ["production", "retired"],
                "production": ["retired"],
                "retired": [],
            },
        }
    )
    with reg.mutate("No shortcuts to production") as m:
        m.write(layout.SETTINGS, files.render(strict, "settings", layout.SETTINGS))
    reg = Registry(reg.root)
    recipes.update_recipe(reg, RECIPE, {"status": "approved"})
    model = models.register_model(
        reg, {"name": "m", "recipe_id": RECIPE, "recipe_version_id": "1.0.0", "owner": "t"}
    )
    with pytest.raises(Conflict) as info:
        models.update_model(reg, model.id, {"status": "production"})
    assert str(info.value) == (
        "model status cannot change from 'draft' to 'production' (allowed from 'draft': staging)"
    )
    with pytest.raises(Conflict):
        models.register_model(
            reg,
            {
                "name": "n",
                "recipe_id": RECIPE,
                "recipe_version_id": "1.0.0",
                "owner": "t",
                "status": "production",
            },
        )
    models.update_model(reg, model.id, {"status": "staging"})
    models.update_model(reg, model.id, {"status": "production"})
    with pytest.raises(Conflict, match="allowed from 'production': retired"):
        models.update_model(reg, model.id, {"status": "staging"})
    # the settings file round-trips with the table in it
    text = reg.path(layout.SETTINGS).read_text()
    assert files.render(reg.settings, "settings", layout.SETTINGS) == text


def test_free_form_data_refuses_inf_and_nan(reg, base_recipe):
    m = manifest()
    m["model"]["hyperparameters"]["max_depth"] = float("inf")
    with pytest.raises(ValidationFailed) as info:
        versions.create_version(reg, RECIPE, {"manifest_json": m, "change_note": "x"})
    assert info.value.detail == [
        {
            "loc": ["body", "manifest_json"],
            "type": "value_error",
            "msg": "model.hyperparameters.max_depth is inf, not a finite number "
            "(JSON and YAML files could not keep it)",
        }
    ]
    run = new_run(reg)
    with pytest.raises(ValidationFailed) as info:
        runs.update_run(reg, run.id, {"artifacts_json": {"scores": [1.0, float("nan")]}})
    assert info.value.detail[0]["msg"].startswith("scores.1 is nan")
    # in a file, the same value is a file error, not silently written back as null
    from modelyard.errors import RegistryFileError
    from modelyard.storage import layout

    path = reg.path(layout.manifest_file(RECIPE))
    path.write_text(path.read_text().replace("num_leaves: 31", "num_leaves: .inf"))
    with pytest.raises(
        RegistryFileError, match=r"manifest: model\.hyperparameters\.num_leaves is inf"
    ):
        recipes.get_recipe(reg, RECIPE)
