from conftest import manifest
from modelyard.ops import models, recipes, runs, versions


def test_a_version_then_a_model_then_a_run(reg, base_recipe):
    m2 = manifest()
    m2["model"]["hyperparameters"]["learning_rate"] = 0.03
    v = versions.create_version(
        reg, base_recipe, {"manifest_json": m2, "change_note": "Lower the learning rate"}
    )
    assert v.version_number == "1.0.1"
    assert v.diff_from_prev["bump"] == "patch"
    recipes.update_recipe(reg, base_recipe, {"status": "approved"})
    model = models.register_model(
        reg,
        {
            "name": "Prod",
            "recipe_id": base_recipe,
            "recipe_version_id": v.version_id,
            "owner": "team",
        },
    )
    run = runs.create_run(
        reg,
        {
            "recipe_id": base_recipe,
            "recipe_version_id": "1.0.1",
            "run_type": "train",
            "model_id": model.id,
        },
    )
    assert run.status == "queued"
    assert runs.list_runs(reg, model_id=model.id).total == 1
