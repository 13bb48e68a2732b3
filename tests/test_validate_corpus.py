"""The corpus of broken registries: each case makes one mistake in a copy of a valid registry,
and validation must report it with the expected rule, file, line and message."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from modelyard.storage.registry import Registry
from modelyard.validate import run
from validate_fixtures import copy, edit, line_of, template  # noqa: F401  (fixtures)

FORECAST = "recipes/recipe_demand_forecast/recipe.yaml"
FORECAST_MF = "recipes/recipe_demand_forecast/manifest.yaml"
BASE = "recipes/recipe_pricing_base/recipe.yaml"
BASE_MF = "recipes/recipe_pricing_base/manifest.yaml"
RETAIL = "recipes/recipe_retail_pricing/recipe.yaml"
RETAIL_MF = "recipes/recipe_retail_pricing/manifest.yaml"
SYNTH = "recipes/recipe_pricing_base/synthetic-example.yaml"
MODEL = "models/model_forecast/model.yaml"
PROD = "models/model_pricing_prod/model.yaml"
DONE = "runs/{shard}/{run_done}/run.yaml"
QUEUED = "runs/{shard}/{run_queued}/run.yaml"
SNAP = "models/model_pricing_prod/monitoring/{snapshot}.yaml"

Action = Callable[[Registry, dict[str, str]], None]


@dataclass
class Case:
    name: str
    action: Action
    code: str
    file: str
    line: int | str | None  # a number, or text that marks the line in the broken file
    message: str
    severity: str = "error"
    also: set[str] = field(default_factory=set)  # other codes this mistake rightly brings


def sub(rel: str, old: str, new: str) -> Action:
    def act(reg: Registry, ids: dict[str, str]) -> None:
        edit(reg, rel.format(**ids), old.format(**ids), new.format(**ids))

    return act


def write(rel: str, text: str) -> Action:
    def act(reg: Registry, ids: dict[str, str]) -> None:
        reg.path(rel.format(**ids)).write_text(text)

    return act


def move(src: str, dst: str, keep: bool = False) -> Action:
    def act(reg: Registry, ids: dict[str, str]) -> None:
        target = reg.path(dst.format(**ids))
        target.parent.mkdir(parents=True, exist_ok=True)
        if keep:
            shutil.copytree(reg.path(src.format(**ids)), target)
        else:
            reg.path(src.format(**ids)).rename(target)

    return act


def remove(rel: str) -> Action:
    def act(reg: Registry, ids: dict[str, str]) -> None:
        reg.path(rel.format(**ids)).unlink()

    return act


CASES = [
    # -- reading the file --------------------------------------------------------------
    Case(
        "yaml syntax",
        sub(FORECAST, "name: Demand Forecast", "name: [Demand Forecast"),
        "yaml",
        FORECAST,
        "model_family",
        "not valid YAML",
    ),
    Case(
        "duplicate key",
        sub(FORECAST, "level: baseline\n", "level: baseline\nlevel: client\n"),
        "yaml",
        FORECAST,
        "level: client",
        "duplicate key 'level'",
    ),
    Case(
        "YAML 1.1 boolean",
        sub(MODEL, "owner: planning", "owner: no"),
        "yaml",
        MODEL,
        "owner: no",
        "read as a boolean by YAML 1.1",
    ),
    Case(
        "anchor",
        sub(FORECAST, "tags: []", "tags: &t []"),
        "yaml",
        FORECAST,
        "tags:",
        "anchors (&name)",
    ),
    Case(
        "custom tag",
        sub(FORECAST, "description: null", "description: !!python/name:os.system ''"),
        "yaml",
        FORECAST,
        "description:",
        "is not allowed in a registry file",
    ),
    Case(
        "not a mapping",
        write(MODEL, "- id: model_forecast\n"),
        "schema",
        MODEL,
        1,
        "expected a mapping",
    ),
    # -- the schema --------------------------------------------------------------------
    Case(
        "misspelt key",
        sub(FORECAST, "status: draft", "stauts: draft"),
        "schema",
        FORECAST,
        "stauts",
        "unknown field 'stauts'; did you mean 'status'?",
    ),
    Case(
        "missing field",
        sub(MODEL, "owner: planning\n", ""),
        "schema",
        MODEL,
        "id: model_forecast",
        "required field is missing",
    ),
    Case(
        "bad enum value",
        sub(MODEL, "status: draft", "status: staged"),
        "schema",
        MODEL,
        "status: staged",
        "'draft', 'staging', 'production' or 'retired'",
    ),
    Case(
        "bad timestamp",
        sub(FORECAST, "created_at: '2", "created_at: 'yesterday 2"),
        "schema",
        FORECAST,
        "created_at",
        "Input should be a valid datetime",
    ),
    Case(
        "number for text",
        sub(MODEL, "name: Forecast", "name: 2024"),
        "schema",
        MODEL,
        "name: 2024",
        "quote the value",
    ),
    Case(
        "bad id",
        sub(FORECAST, "id: recipe_demand_forecast", "id: Recipe-Demand"),
        "schema",
        FORECAST,
        "id: Recipe-Demand",
        "is not a valid id",
    ),
    Case(
        "non-finite metric",
        sub(DONE, "MAPE: 0.12", "MAPE: .nan"),
        "schema",
        DONE,
        "metrics_json",
        "not a finite number",
    ),
    Case(
        "settings typo",
        sub("modelyard.yaml", "catalog_url: null", "catalog_ur: null"),
        "schema",
        "modelyard.yaml",
        "catalog_ur",
        "did you mean 'catalog_url'?",
    ),
    # -- ids and names -----------------------------------------------------------------
    Case(
        "id differs from folder",
        sub(MODEL, "id: model_forecast", "id: model_forecast_2"),
        "id-mismatch",
        MODEL,
        "id: model_forecast_2",
        "does not match its folder",
    ),
    Case(
        "folder name not an id",
        move("models/model_forecast", "models/Model-Forecast"),
        "bad-name",
        "models/Model-Forecast/model.yaml",
        None,
        "is not a valid id",
        also={"unknown-model"},
    ),
    Case(
        "ids differing by case",
        move("recipes/recipe_demand_forecast", "recipes/Recipe_Demand_Forecast", keep=True),
        "bad-name",
        "recipes/Recipe_Demand_Forecast/recipe.yaml",
        None,
        "differs only in case",
    ),
    Case(
        "run id in two shards",
        move("runs/{shard}/{run_queued}", "runs/2019-01/{run_queued}", keep=True),
        "duplicate-id",
        QUEUED,
        None,
        "also exists in runs/2019-01/",
        also={"wrong-shard"},
    ),
    Case(
        "run in the wrong shard",
        move("runs/{shard}/{run_queued}", "runs/2019-01/{run_queued}"),
        "wrong-shard",
        "runs/2019-01/{run_queued}/run.yaml",
        None,
        "belongs in runs/{shard}/",
    ),
    Case(
        "snapshot id differs from file",
        sub(SNAP, "id: {snapshot}", "id: snap_other_name"),
        "id-mismatch",
        SNAP,
        "id: snap_other_name",
        "does not match its file name",
    ),
    Case(
        "snapshot in another model's folder",
        sub(SNAP, "model_id: model_pricing_prod", "model_id: model_forecast"),
        "id-mismatch",
        SNAP,
        "model_id:",
        "does not match its folder",
    ),
    Case(
        "synthetic example of another recipe",
        sub(SYNTH, "recipe_id: recipe_pricing_base", "recipe_id: recipe_retail_pricing"),
        "id-mismatch",
        SYNTH,
        "recipe_id:",
        "does not match its folder",
    ),
    Case(
        "missing manifest",
        remove(FORECAST_MF),
        "missing-file",
        FORECAST,
        None,
        "has no manifest.yaml",
    ),
    Case(
        "stray file",
        write("recipes/recipe_demand_forecast/recipe.yml", "id: x\n"),
        "unknown-file",
        "recipes/recipe_demand_forecast/recipe.yml",
        None,
        "did you mean 'recipe.yaml'?",
        severity="warning",
    ),
    # -- manifests ---------------------------------------------------------------------
    Case(
        "bad dtype in manifest",
        sub(FORECAST_MF, "lag_7:\n      dtype: float", "lag_7:\n      dtype: flot"),
        "manifest-schema",
        FORECAST_MF,
        "dtype: flot",
        "Input should be 'float'",
    ),
    Case(
        "misspelt manifest key",
        sub(FORECAST_MF, "horizon: 28", "horizn: 28"),
        "manifest-schema",
        FORECAST_MF,
        "horizn",
        "did you mean 'horizon'?",
    ),
    Case(
        "bad child override",
        sub(RETAIL_MF, "objective: margin", "objective: marginal"),
        "manifest-schema",
        RETAIL_MF,
        "objective: marginal",
        "'revenue', 'margin', 'profit' or 'volume'",
    ),
    Case(
        "drift warn above alert",
        sub(BASE_MF, "warn: 0.1", "warn: 0.5"),
        "manifest-schema",
        BASE_MF,
        "PSI:",
        "`warn` is greater than `alert`",
    ),
    Case(
        "family section missing",
        sub(FORECAST_MF, "  forecasting:\n    horizon: 28\n    frequency: D\n", ""),
        "family-section",
        FORECAST_MF,
        "manifest:",
        "needs a `forecasting` section",
    ),
    Case(
        "other family's section",
        sub(
            FORECAST_MF,
            "    frequency: D\n",
            "    frequency: D\n  next_best_action:\n    actions: {{}}\n",
        ),
        "family-section",
        FORECAST_MF,
        "next_best_action",
        "`next_best_action` section is not allowed",
    ),
    # -- lineage -----------------------------------------------------------------------
    Case(
        "parent without extends",
        sub(BASE, "parent_id: null", "parent_id: recipe_demand_forecast"),
        "extends-mismatch",
        BASE_MF,
        "version:",
        "has no `extends`",
        also={"lineage-family"},
    ),
    Case(
        "extends without parent",
        sub(RETAIL, "parent_id: recipe_pricing_base", "parent_id: null"),
        "extends-mismatch",
        RETAIL_MF,
        "extends:",
        "recipe.yaml has no parent_id",
    ),
    Case(
        "unknown parent",
        sub(RETAIL, "parent_id: recipe_pricing_base", "parent_id: recipe_pricing_bse"),
        "unknown-parent",
        RETAIL,
        "parent_id:",
        "did you mean 'recipe_pricing_base'?",
        also={"extends-mismatch"},
    ),
    Case(
        "unknown parent version",
        sub(RETAIL_MF, "version: 1.0.1", "version: 1.5.0"),
        "unknown-parent-version",
        RETAIL_MF,
        "version: 1.5.0",
        "has no version 1.5.0 (its versions: 1.0.0, 1.0.1)",
    ),
    Case(
        "family differs from parent",
        sub(RETAIL, "model_family: pricing", "model_family: forecasting"),
        "lineage-family",
        RETAIL,
        "model_family:",
        "share its parent's model_family (pricing)",
        also={"family-section"},
    ),
    Case(
        "level above parent",
        sub(BASE, "level: baseline", "level: client"),
        "lineage-level",
        RETAIL,
        "level: industry",
        "cannot be above its parent's (client)",
    ),
    Case(
        "cycle",
        sub(BASE, "parent_id: null", "parent_id: recipe_retail_pricing"),
        "lineage-cycle",
        BASE,
        "parent_id:",
        "recipe_pricing_base -> recipe_retail_pricing -> recipe_pricing_base",
        also={"extends-mismatch", "lineage-level"},
    ),
    # -- references ----------------------------------------------------------------------
    Case(
        "model of an unknown recipe",
        sub(MODEL, "recipe_id: recipe_demand_forecast", "recipe_id: recipe_demand_forecst"),
        "unknown-recipe",
        MODEL,
        "recipe_id:",
        "did you mean 'recipe_demand_forecast'?",
        also={"model-recipe-mismatch"},
    ),
    Case(
        "model of an unknown version",
        sub(MODEL, "ver_demand_forecast_v1.0.0", "ver_demand_forecast_v2.0.0"),
        "unknown-version",
        MODEL,
        "recipe_version_id:",
        "has no version 2.0.0 (its versions: 1.0.0)",
    ),
    Case(
        "model of another recipe's version",
        sub(MODEL, "ver_demand_forecast_v1.0.0", "ver_pricing_base_v1.0.0"),
        "unknown-version",
        MODEL,
        "recipe_version_id:",
        "names a version of recipe_pricing_base",
    ),
    Case(
        "model family differs from recipe",
        sub(MODEL, "model_family: forecasting", "model_family: pricing"),
        "family-mismatch",
        MODEL,
        "model_family:",
        "its recipe recipe_demand_forecast is forecasting",
    ),
    Case(
        "run of an unknown model",
        sub(QUEUED, "model_id: model_forecast", "model_id: model_forcast"),
        "unknown-model",
        QUEUED,
        "model_id:",
        "did you mean 'model_forecast'?",
    ),
    Case(
        "run of an unknown recipe",
        sub(QUEUED, "recipe_id: recipe_demand_forecast", "recipe_id: recipe_nope"),
        "unknown-recipe",
        QUEUED,
        "recipe_id:",
        "'recipe_nope' does not exist",
        also={"model-recipe-mismatch"},
    ),
    Case(
        "run of a model from another recipe",
        sub(QUEUED, "model_id: model_forecast", "model_id: model_pricing_prod"),
        "model-recipe-mismatch",
        QUEUED,
        "model_id:",
        "built from recipe_pricing_base, not recipe_demand_forecast",
    ),
    Case(
        "run of an unknown version",
        sub(DONE, "ver_pricing_base_v1.0.1", "ver_pricing_base_v1.0.9"),
        "unknown-version",
        DONE,
        "recipe_version_id:",
        "(its versions: 1.0.0, 1.0.1)",
    ),
    Case(
        "snapshot of no model",
        move("models/model_pricing_prod/monitoring", "models/model_gone/monitoring"),
        "unknown-model",
        "models/model_gone/monitoring/{snapshot}.yaml",
        None,
        "model 'model_gone' does not exist",
        also={"id-mismatch"},
    ),
    # -- runs ------------------------------------------------------------------------------
    Case(
        "queued run with started_at",
        sub(QUEUED, "started_at: null", "started_at: '2030-01-01T00:00:00Z'"),
        "run-timestamps",
        QUEUED,
        "started_at:",
        "a queued run has not started",
    ),
    Case(
        "finished run without finished_at",
        sub(DONE, "finished_at: '", "finished_at: null\n#'"),
        "run-timestamps",
        DONE,
        "finished_at:",
        "a succeeded run needs finished_at",
    ),
    Case(
        "finished before started",
        sub(DONE, "finished_at: '", "finished_at: '2000-01-01T00:00:00Z'\n#'"),
        "run-timestamps",
        DONE,
        "finished_at:",
        "finished_at is before started_at",
    ),
    # -- synthetic examples and policies ---------------------------------------------------
    Case(
        "sample row column not in schema",
        sub(SYNTH, "  units_sold: 120.0", "  unit_sold: 120.0"),
        "synthetic-columns",
        SYNTH,
        "unit_sold",
        "did you mean 'units_sold'?",
    ),
    Case(
        "production model of a draft recipe",
        sub(BASE, "status: approved", "status: draft"),
        "production-unapproved",
        PROD,
        "status: production",
        "not approved",
        severity="warning",
    ),
]


def ids_of(reg: Registry, ids: dict[str, str]) -> dict[str, str]:
    return {**ids, "shard": ids["run_done"][4:8] + "-" + ids["run_done"][8:10]}


def test_the_corpus_is_broad() -> None:
    assert len(CASES) >= 30
    assert len({c.code for c in CASES}) >= 22


def test_the_template_is_clean(copy) -> None:  # noqa: F811
    reg, _ = copy
    report = run(reg)
    assert report.problems == []
    assert report.checked_files >= 14


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_mistake_is_caught_where_it_is(copy, case: Case) -> None:  # noqa: F811
    reg, raw_ids = copy
    ids = ids_of(reg, raw_ids)
    case.action(reg, ids)
    report = run(reg)
    rel = case.file.format(**ids)
    wanted = [p for p in report.problems if p.code == case.code and p.file == f"registry/{rel}"]
    assert wanted, f"no {case.code} on {rel}; got:\n" + "\n".join(map(str, report.problems))
    message = case.message.format(**ids)
    problem = next((p for p in wanted if message in p.message), wanted[0])
    assert message in problem.message
    assert problem.severity == case.severity
    if isinstance(case.line, str):
        assert problem.line == line_of(reg, rel, case.line), problem
    elif isinstance(case.line, int):
        assert problem.line == case.line, problem
    others = {p.code for p in report.errors} - {case.code} - case.also
    assert not others, "unexpected: " + "\n".join(str(p) for p in report.errors if p.code in others)
