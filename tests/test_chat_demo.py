"""The assistant over the demo registry (`registry/` of this repository): a table of
questions, the records each answer must cite and the facts it must state, read from the
registry through ops so that the table follows the data, and questions it must decline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chat_checks import check_grounded, cited
from modelyard.chat.assistant import answer
from modelyard.chat.response import ChatResponse
from modelyard.domain.timefmt import iso
from modelyard.ops import models, monitoring, recipes, runs, versions
from modelyard.storage.registry import Registry

ROOT = Path(__file__).resolve().parents[1]


class Data:
    """The demo registry's facts, asked of ops."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        self.runs = runs.list_runs(reg, limit=500).runs
        self.now = max(r.created_at for r in self.runs) + timedelta(days=1)

    def models(self, **filters: str) -> list[str]:
        return [m.id for m in models.list_models(self.reg, limit=500, **filters).models]

    def recipes(self, **filters: str) -> list[str]:
        return [r.id for r in recipes.list_recipes(self.reg, limit=500, **filters).recipes]

    def tagged(self, tag: str) -> list[str]:
        return [r.id for r in recipes.list_recipes(self.reg, limit=500).recipes if tag in r.tags]

    def recipe(self, ident: str) -> Any:
        return recipes.get_recipe(self.reg, ident)

    def model(self, ident: str) -> Any:
        return models.get_model(self.reg, ident)

    def versions(self, ident: str) -> list[Any]:
        return versions.list_versions(self.reg, ident).versions

    def manifest_of(self, model_id: str) -> dict[str, Any]:
        m = self.model(model_id)
        return versions.get_version(self.reg, m.recipe_id, m.recipe_version_id).manifest_json

    def snapshots(self, model_id: str) -> list[Any]:
        return monitoring.list_snapshots(self.reg, model_id, limit=500).snapshots

    def with_alerts(self, drift: bool) -> list[str]:
        """Models whose latest snapshot records an alert or crosses its recipe's drift alert
        level."""
        out = []
        for m in self.models():
            snaps = self.snapshots(m)
            if not snaps:
                continue
            levels = (self.manifest_of(m).get("monitoring") or {}).get("drift") or {}
            crossed = [
                k
                for k, v in snaps[0].drift_metrics_json.items()
                if k in levels and v >= levels[k]["warn"]
            ]
            recorded = [
                k
                for k in snaps[0].alerts_json
                if not drift
                or k in snaps[0].drift_metrics_json
                or "drift" in str(snaps[0].alerts_json[k]).lower()
            ]
            if crossed or recorded:
                out.append(m)
        return out

    def runs_where(self, **want: Any) -> list[str]:
        since = want.pop("since", None)
        return [
            r.id
            for r in self.runs
            if all(getattr(r, k) == v for k, v in want.items())
            and (since is None or r.created_at >= since)
        ]

    def overrides(self, recipe_id: str) -> list[str]:
        _, provenance = recipes.resolved_manifest(self.reg, recipe_id)
        return [path for path, who in provenance.items() if who == recipe_id]

    def first_owner(self, recipe_id: str) -> str:
        """The owner of the first model built from `recipe_id` ("your-team" when there is none)."""
        built = self.models(recipe_id=recipe_id)
        return self.model(built[0]).owner if built else "your-team"

    def measured_run(self, model_id: str, metrics: set[str]) -> Any:
        return next(
            r
            for r in self.runs
            if r.model_id == model_id and r.status == "succeeded" and metrics & set(r.metrics_json)
        )


@dataclass
class Case:
    question: str
    cite: Callable[[Data], list[str]] = lambda d: []
    facts: Callable[[Data], list[str]] = lambda d: []
    intent: str | None = None
    exact: bool = False  # the cited records of that type are exactly these
    kind: str | None = None
    steps: Callable[[Data], list[str]] = lambda d: []
    kw: dict[str, Any] = field(default_factory=dict)


def n(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _pricing_prod(d: Data) -> list[str]:
    return d.models(model_family="pricing", status="production")


def _latest_change(d: Data, recipe_id: str) -> list[str]:
    latest = d.versions(recipe_id)[-1]
    return [latest.version_number, latest.change_note] + [
        c["path_text"] for c in latest.diff_from_prev["changes"]
    ]


def _acceptance_facts(d: Data, model_id: str) -> list[str]:
    bounds = d.manifest_of(model_id)["evaluation"]["acceptance"]
    run = d.measured_run(model_id, set(bounds))
    facts = [run.id]
    for metric, bound in bounds.items():
        if metric in run.metrics_json:
            value = run.metrics_json[metric]
            ok = (bound.get("min") is None or value >= bound["min"]) and (
                bound.get("max") is None or value <= bound["max"]
            )
            facts.append(f"{metric} {n(value)}: {'passes' if ok else 'fails'}")
    return facts


def _trend(d: Data, model_id: str, metric: str) -> list[str]:
    snaps = list(reversed(d.snapshots(model_id)))
    values = [
        s.performance_metrics_json.get(metric, s.drift_metrics_json.get(metric)) for s in snaps
    ]
    values = [v for v in values if v is not None]
    return [f"from {n(values[0])}", f"to {n(values[-1])}", f"over {len(values)} snapshots"]


def _latest_snapshot(d: Data, model_id: str) -> list[str]:
    snap = d.snapshots(model_id)[0]
    return [snap.id, *(f"{k} {n(v)}" for k, v in snap.performance_metrics_json.items())]


def _two_newest_measured(d: Data, model_id: str) -> list[str]:
    return [r.id for r in d.runs if r.model_id == model_id and r.metrics_json][:2]


def _promote_steps(d: Data, model_id: str) -> list[str]:
    recipe = d.recipe(d.model(model_id).recipe_id)
    first = (
        []
        if recipe.status == "approved"
        else [f"modelyard recipes update {recipe.id} --status approved"]
    )
    return [*first, f"modelyard models update {model_id} --status production"]


CASES = [
    # -- finding ------------------------------------------------------------------------
    Case(
        "production pricing models",
        _pricing_prod,
        lambda d: [f"{len(_pricing_prod(d))} models match"],
        "find",
        exact=True,
        kind="model",
        steps=lambda d: ["modelyard models list --model-family pricing --status production"],
    ),
    Case("prod pricing models", _pricing_prod, intent="find", exact=True, kind="model"),
    Case(
        "show me the pricng modles in prodction",
        _pricing_prod,
        intent="find",
        exact=True,
        kind="model",
    ),
    Case("which pricing models are live?", _pricing_prod, intent="find", exact=True, kind="model"),
    Case(
        "recipes tagged retail",
        lambda d: d.tagged("retail"),
        intent="find",
        exact=True,
        kind="recipe",
    ),
    Case(
        "recipes tagged time series",
        lambda d: d.tagged("time-series"),
        intent="find",
        exact=True,
        kind="recipe",
    ),
    Case(
        "failed runs this week",
        lambda d: d.runs_where(status="failed", since=d.now - timedelta(days=7)),
        lambda d: [f"since {iso(d.now - timedelta(days=7))}"],
        "find",
        exact=True,
        kind="run",
    ),
    Case(
        "failed runs",
        lambda d: d.runs_where(status="failed"),
        intent="find",
        exact=True,
        kind="run",
    ),
    Case(
        "which models have drift alerts?",
        lambda d: d.with_alerts(drift=True),
        lambda d: ["PSI"],
        "find",
        exact=True,
        kind="model",
    ),
    Case(
        "any models alerting?",
        lambda d: d.with_alerts(drift=False),
        intent="find",
        exact=True,
        kind="model",
    ),
    Case(
        "list NBA recipes",
        lambda d: d.recipes(model_family="next_best_action"),
        intent="find",
        exact=True,
        kind="recipe",
        steps=lambda d: ["modelyard recipes list --model-family next_best_action"],
    ),
    Case(
        "forecasting models",
        lambda d: d.models(model_family="forecasting"),
        intent="find",
        exact=True,
        kind="model",
    ),
    Case(
        "models in staging",
        lambda d: d.models(status="staging"),
        intent="find",
        exact=True,
        kind="model",
    ),
    Case(
        "which models are retired",
        lambda d: d.models(status="retired"),
        intent="find",
        exact=True,
        kind="model",
    ),
    Case(
        "which recipes are still drafts?",
        lambda d: d.recipes(status="draft"),
        intent="find",
        exact=True,
        kind="recipe",
    ),
    Case(
        "client level recipes",
        lambda d: d.recipes(level="client"),
        intent="find",
        exact=True,
        kind="recipe",
    ),
    Case(
        "models owned by pricing-science",
        lambda d: [m for m in d.models() if d.model(m).owner == "pricing-science"],
        intent="find",
        exact=True,
        kind="model",
    ),
    Case(
        "runs that are running right now",
        lambda d: d.runs_where(status="running"),
        intent="find",
        exact=True,
        kind="run",
    ),
    Case(
        "succeeded backtests",
        lambda d: d.runs_where(status="succeeded", run_type="backtest"),
        intent="find",
        exact=True,
        kind="run",
    ),
    Case(
        "overview of the registry",
        facts=lambda d: [
            f"{len(d.recipes())} recipes",
            f"{len(d.models())} models",
            f"{len(d.runs)} runs",
        ],
        intent="find",
    ),
    # -- explaining ---------------------------------------------------------------------
    Case(
        "what does recipe_pricing_grocery build?",
        lambda d: ["recipe_pricing_grocery", "recipe_pricing_base"],
        lambda d: [
            recipes.resolved_manifest(d.reg, "recipe_pricing_grocery")[0]["target"]["name"],
            recipes.resolved_manifest(d.reg, "recipe_pricing_grocery")[0]["model"]["algorithm"],
            f"version {d.recipe('recipe_pricing_grocery').version}",
        ],
        "explain",
    ),
    Case(
        "tell me about the Grocery Pricing recipe",
        lambda d: ["recipe_pricing_grocery"],
        intent="explain",
    ),
    Case(
        "lineage of recipe_forecasting_northwind",
        lambda d: [
            "recipe_forecasting_northwind",
            "recipe_forecasting_retail",
            "recipe_forecasting_base",
        ],
        lambda d: [
            "recipe_forecasting_base (baseline) -> recipe_forecasting_retail (industry) -> "
            "recipe_forecasting_northwind (client)"
        ],
        "explain",
    ),
    Case(
        "what does recipe_pricing_freshmart override of its parent?",
        lambda d: ["recipe_pricing_freshmart"],
        lambda d: d.overrides("recipe_pricing_freshmart"),
        "explain",
    ),
    Case(
        "latest version of recipe_pricing_base and what changed",
        lambda d: [d.versions("recipe_pricing_base")[-1].version_id],
        lambda d: _latest_change(d, "recipe_pricing_base"),
        "explain",
    ),
    Case(
        "versions of recipe_forecasting_retail",
        lambda d: [v.version_id for v in d.versions("recipe_forecasting_retail")],
        lambda d: [v.change_note for v in d.versions("recipe_forecasting_retail")],
        "explain",
    ),
    Case(
        "children of recipe_pricing_base",
        lambda d: [r for r in d.recipes() if d.recipe(r).parent_id == "recipe_pricing_base"],
        intent="find",
    ),
    Case(
        "tell me about model_northwind_forecast",
        lambda d: ["model_northwind_forecast"],
        lambda d: [
            d.model("model_northwind_forecast").status,
            d.model("model_northwind_forecast").owner,
            d.model("model_northwind_forecast").recipe_version_id,
        ],
        "explain",
    ),
    Case(
        "what happened in run_20261121060000_jtcrq1db?",
        lambda d: ["run_20261121060000_jtcrq1db"],
        lambda d: ["backtest", "failed"],
        "explain",
    ),
    # -- comparing ----------------------------------------------------------------------
    Case(
        "compare versions 1.0.0 and 2.0.0 of recipe_pricing_base",
        lambda d: ["ver_pricing_base_v1.0.0", "ver_pricing_base_v2.0.0"],
        lambda d: [
            c["path_text"] for c in d.versions("recipe_pricing_base")[-1].diff_from_prev["changes"]
        ],
        "compare",
    ),
    Case(
        "what changed between 1.0.0 and 1.0.1 of recipe_pricing_grocery",
        lambda d: ["ver_pricing_grocery_v1.0.0", "ver_pricing_grocery_v1.0.1"],
        lambda d: [
            f"changed {c['path_text']} from {n(c['old'])} to {n(c['new'])}"
            for c in d.versions("recipe_pricing_grocery")[1].diff_from_prev["changes"]
        ],
        "compare",
    ),
    Case(
        "compare the last two runs of model_freshmart_pricing",
        lambda d: _two_newest_measured(d, "model_freshmart_pricing"),
        lambda d: [
            f"MAPE: {n(r.metrics_json['MAPE'])}"
            for r in sorted(
                (r for r in d.runs if r.id in _two_newest_measured(d, "model_freshmart_pricing")),
                key=lambda r: r.created_at,
            )[:1]
        ],
        "compare",
    ),
    Case(
        "compare run_20261016060000_ekgstj5h vs run_20261103060000_wqt8565b",
        lambda d: ["run_20261016060000_ekgstj5h", "run_20261103060000_wqt8565b"],
        intent="compare",
    ),
    Case(
        "does model_freshmart_pricing_v2 meet its acceptance thresholds?",
        lambda d: ["model_freshmart_pricing_v2"],
        lambda d: _acceptance_facts(d, "model_freshmart_pricing_v2"),
        "compare",
    ),
    Case(
        "does the freshmart production model pass acceptance?",
        lambda d: ["model_freshmart_pricing"],
        lambda d: _acceptance_facts(d, "model_freshmart_pricing"),
        "compare",
    ),
    # -- model health -------------------------------------------------------------------
    Case(
        "how is model_freshmart_pricing doing?",
        lambda d: ["model_freshmart_pricing"],
        lambda d: _latest_snapshot(d, "model_freshmart_pricing"),
        "health",
    ),
    Case(
        "health of the northwind model",
        lambda d: ["model_northwind_forecast"],
        lambda d: _latest_snapshot(d, "model_northwind_forecast"),
        "health",
    ),
    Case(
        "trend of PSI for model_freshmart_pricing",
        lambda d: ["model_freshmart_pricing"],
        lambda d: _trend(d, "model_freshmart_pricing", "PSI"),
        "health",
    ),
    Case(
        "MAPE trend of the northwind forecast over time",
        lambda d: ["model_northwind_forecast"],
        lambda d: _trend(d, "model_northwind_forecast", "MAPE"),
        "health",
    ),
    # -- how-to -------------------------------------------------------------------------
    Case(
        "how do I clone the pricing baseline?",
        lambda d: ["recipe_pricing_base"],
        intent="howto",
        steps=lambda d: [
            "modelyard recipes clone recipe_pricing_base --name 'Pricing Baseline copy'"
        ],
    ),
    Case(
        "how do I promote model_freshmart_pricing_v2 to production?",
        lambda d: ["model_freshmart_pricing_v2"],
        intent="howto",
        steps=lambda d: _promote_steps(d, "model_freshmart_pricing_v2"),
    ),
    Case(
        "how do I promote model_telco_nba to prod?",
        lambda d: ["model_telco_nba"],
        intent="howto",
        steps=lambda d: _promote_steps(d, "model_telco_nba"),
    ),
    Case(
        "how can I register a model from recipe_forecasting_retail",
        lambda d: ["recipe_forecasting_retail"],
        intent="howto",
        steps=lambda d: [
            "modelyard models register --name 'Retail Demand Forecasting model' "
            "--recipe-id recipe_forecasting_retail "
            f"--recipe-version-id {d.recipe('recipe_forecasting_retail').version_id} --owner "
            f"{d.first_owner('recipe_forecasting_retail')}"
        ],
    ),
    Case(
        "how do I retrain model_northwind_forecast",
        lambda d: ["model_northwind_forecast"],
        intent="howto",
        steps=lambda d: [
            "modelyard runs create --recipe-id recipe_forecasting_northwind --recipe-version-id "
            f"{d.model('model_northwind_forecast').recipe_version_id} --run-type train "
            "--model-id model_northwind_forecast"
        ],
    ),
    Case(
        "how do I monitor model_site_scoring",
        lambda d: ["model_site_scoring"],
        intent="howto",
        steps=lambda d: ["modelyard monitoring create model_site_scoring --body snapshot.yaml"],
    ),
    Case(
        "how do I version recipe_nba_telco",
        lambda d: ["recipe_nba_telco"],
        intent="howto",
        steps=lambda d: [
            "modelyard versions create recipe_nba_telco --patch patch.yaml "
            "--change-note 'Describe the change'"
        ],
    ),
    Case(
        "how to approve recipe_nba_telco",
        lambda d: ["recipe_nba_telco"],
        intent="howto",
        facts=lambda d: (
            [] if d.recipe("recipe_nba_telco").status != "approved" else ["already approved"]
        ),
        steps=lambda d: (
            []
            if d.recipe("recipe_nba_telco").status == "approved"
            else ["modelyard recipes update recipe_nba_telco --status approved"]
        ),
    ),
    Case(
        "how do I take a new pricing model to production, step by step?",
        lambda d: ["recipe_pricing_base"],
        intent="howto",
        steps=lambda d: [
            "modelyard recipes clone recipe_pricing_base --name 'Pricing Baseline copy'"
        ],
    ),
    # -- conversation -------------------------------------------------------------------
    Case(
        "and its models?",
        lambda d: d.models(recipe_id="recipe_pricing_freshmart"),
        intent="find",
        exact=True,
        kind="model",
        kw={"context": {"focus": {"recipe_id": "recipe_pricing_freshmart"}}},
    ),
    Case(
        "what changed in the latest version?",
        lambda d: [d.versions("recipe_pricing_grocery")[-1].version_id],
        lambda d: _latest_change(d, "recipe_pricing_grocery"),
        "explain",
        kw={"recipe_id": "recipe_pricing_grocery"},
    ),
]

DECLINED = [
    "what's the weather in Paris?",
    "book me a flight to Berlin",
    "tell me about recipe_does_not_exist",
    "how is model_imaginary doing?",
    "compare versions 9.9.9 and 1.0.0 of recipe_pricing_base",
]


@pytest.fixture(scope="module")
def data() -> Data:
    return Data(Registry.open(ROOT / "registry"))


@pytest.fixture(autouse=True)
def fixed_now(data: Data, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", iso(data.now))


def test_the_table_is_big_enough():
    assert len(CASES) >= 40 and len(DECLINED) >= 5


@pytest.mark.parametrize("case", CASES, ids=[c.question for c in CASES])
def test_answer_cites_the_records_and_states_the_facts(data: Data, case: Case):
    resp: ChatResponse = answer(data.reg, {"message": case.question, **case.kw})
    check_grounded(data.reg, resp, case.question)
    assert resp.answered, resp.reply
    if case.intent:
        assert resp.intent == case.intent, resp.reply
    expected = case.cite(data)
    if case.exact:
        assert sorted(cited(resp, case.kind)) == sorted(expected), resp.reply
        assert expected or "0 " in resp.reply
    else:
        missing = [i for i in expected if i not in cited(resp)]
        assert not missing, f"does not cite {missing}:\n{resp.reply}"
    for fact in case.facts(data):
        assert fact in resp.reply, f"does not state {fact!r}:\n{resp.reply}"
    clis = [s.cli for s in resp.next_steps]
    for step in case.steps(data):
        assert step in clis, f"does not suggest {step!r}: {clis}"


@pytest.mark.parametrize("question", DECLINED)
def test_questions_it_must_decline(data: Data, question: str):
    resp = answer(data.reg, {"message": question})
    check_grounded(data.reg, resp, question)
    assert not resp.answered and resp.intent == "decline", resp.reply
    assert "recipe_pricing_base" in question or resp.references == []


def test_generated_questions_over_the_demo_never_cite_an_unknown_id(data: Data):
    subjects = [*data.recipes(), *data.models(), *(r.id for r in data.runs[:5])]
    templates = [
        "tell me about {}",
        "how is {} doing?",
        "compare the versions of {}",
        "how do I promote {}",
        "what does {} override",
        "and its runs? {}",
    ]
    for template in templates:
        for subject in subjects:
            question = template.format(subject)
            check_grounded(data.reg, answer(data.reg, {"message": question}), question)
