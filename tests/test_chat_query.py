"""The typed reading of a question (chat/query.py, chat/relations.py) over the demo registry:
time ranges, field cues, names in words, inflections, relations. Each expected value was
worked out from the registry's files, not from the assistant."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelyard.chat.assistant import answer
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.query import lemma, time_range
from modelyard.chat.relations import Relation, relations_in
from modelyard.chat.understand import Vocabulary, understand
from modelyard.storage.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry(ROOT / "registry")


@pytest.fixture(scope="module")
def kb(reg: Registry) -> Knowledge:
    return Knowledge(reg)


def read(kb: Knowledge, text: str):
    return understand(kb, text, Vocabulary(kb, kb.metric_names()), NOW)


@pytest.mark.parametrize(
    ("inflected", "plain"),
    [("monitored", "monitoring"), ("meeting", "meet"), ("passes", "pass"), ("running", "run")],
)
def test_inflections_of_a_word_read_alike(inflected, plain):
    assert lemma(inflected) == lemma(plain)


def test_a_record_kind_keeps_its_number(kb):
    q = read(kb, "is model_site_scoring monitored?")
    assert q.has("monitoring") and not q.has("models")


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("runs in november", "2026-11-01", "2026-12-01", "in November 2026"),
        ("recipes before 1 November", None, "2026-11-01", "before 1 November 2026"),
        ("runs after Oct 20", "2026-10-21", None, "after 20 October 2026"),
        ("models since 20 october", "2026-10-20", None, "since 20 October 2026"),
        (
            "models between 1 and 15 October",
            "2026-10-01",
            "2026-10-16",
            "between 1 October 2026 and 15 October 2026",
        ),
        ("runs in december", "2026-12-01", "2027-01-01", "in December 2026"),
    ],
)
def test_time_ranges_are_read_as_whole_utc_days(text, start, end, label):
    got = time_range(text, NOW)
    assert got is not None and got.label == label
    assert (got.start.date().isoformat() if got.start else None) == start
    assert (got.end.date().isoformat() if got.end else None) == end


@pytest.mark.parametrize("text", ["what was in production on 1 November?", "runs this week"])
def test_a_day_or_a_window_is_not_a_range(text):
    assert time_range(text, NOW) is None


def test_a_cue_word_binds_the_value_to_its_field(kb):
    tagged = read(kb, "recipes tagged baseline")
    assert tagged.tags == {"baseline"} and not tagged.levels
    level = read(kb, "baseline recipes")
    assert level.levels == {"baseline"}


@pytest.mark.parametrize(
    ("text", "models", "recipes"),
    [
        ("is the northwind model drifting?", ["model_northwind_forecast"], []),
        ("what algorithm does the challenger use?", ["model_freshmart_pricing_v2"], []),
        ("how is the freshmart model doing?", [], []),  # two fit: asked back, not picked
    ],
)
def test_a_name_in_words_is_the_one_record_it_fits(kb, text, models, recipes):
    q = read(kb, text)
    assert (q.models, q.recipes) == (models, recipes)


@pytest.mark.parametrize(
    ("text", "kind", "relations"),
    [
        ("which recipes have no children?", "recipe", [Relation("child", False)]),
        ("recipes without a parent", "recipe", [Relation("parent", False)]),
        ("models with failed runs", "model", [Relation("run", True)]),
        ("failed models", "model", [Relation("run", True)]),
        ("production models", "model", []),
    ],
)
def test_relations_are_read_from_the_words(kb, text, kind, relations):
    assert relations_in(read(kb, text), kind) == relations


def ids(resp) -> list[str]:
    return sorted(r.id for r in resp.references)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # roots and leaves of the demo lineage
        ("recipes without a parent", ["recipe_forecasting_base", "recipe_location_base",
                                      "recipe_nba_base", "recipe_pricing_base"]),
        ("which recipes have no children?", ["recipe_forecasting_northwind",
                                             "recipe_location_base", "recipe_nba_telco",
                                             "recipe_pricing_freshmart",
                                             "recipe_retail_pricing_v1"]),
        ("failed models", ["model_freshmart_pricing_v2", "model_telco_nba"]),
        # freshmart 1.1.0 (2 November) is the only version committed in November
        ("which recipes were changed in november?", ["recipe_pricing_freshmart"]),
        # into production on 18, 21 and 25 October
        ("models promoted in october", ["model_freshmart_pricing", "model_northwind_forecast",
                                        "model_retail_pricing"]),
        ("models registered after 25 October", ["model_freshmart_pricing_v2",
                                                "model_site_scoring", "model_telco_nba"]),
    ],
)  # fmt: skip
def test_each_condition_is_applied_and_named(reg, text, expected):
    resp = answer(reg, {"message": text})
    assert resp.answered and ids(resp) == expected, resp.reply
    assert "can't" not in resp.reply.split("\n")[0]


def test_most_ranks_by_the_count_of_related_records(reg):
    resp = answer(reg, {"message": "which model has the most runs?"})
    assert resp.reply.startswith("model_freshmart_pricing has the most runs (5).")
    # 1.0.0, 1.0.1, 1.1.0 and 2.0.0; every other recipe has one or two
    resp = answer(reg, {"message": "which recipes have the most versions?"})
    assert resp.reply.startswith("recipe_pricing_base has the most versions (4).")


def test_a_question_about_many_is_not_narrowed_to_the_conversation(reg):
    first = answer(reg, {"message": "tell me about model_northwind_forecast"})
    many = answer(
        reg, {"message": "which runs were created in november?", "context": first.context}
    )
    assert many.reply.startswith("8 runs match (created in November 2026)")
    back = answer(reg, {"message": "and its runs?", "context": first.context})
    assert back.reply.startswith("3 runs of model_northwind_forecast match")


def test_why_a_value_changed_comes_from_the_version_that_changed_it(reg):
    resp = answer(reg, {"message": "why was the learning rate of the pricing baseline lowered?"})
    assert "recipe_pricing_base 1.0.1" in resp.reply and "from 0.05 to 0.03" in resp.reply
    assert "varied by 4 points" in resp.reply and "I can't" not in resp.reply


def cited_runs(resp) -> list[str]:
    return sorted(r.id for r in resp.references if r.type == "run")


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        # eval MAPEs: 0.158, 0.176, 0.203 (freshmart), 0.139 (challenger)
        ("which eval runs had MAPE above 0.2?", ["run_20261119060000_3qkv2c9w"]),
        # revenue_lift 0.042, 0.045, 0.047, 0.044; 0.039 and 0.021 are not over
        ("show me runs with revenue_lift over 0.04", ["run_20261016060000_ekgstj5h",
                                                      "run_20261024060000_ee09ev6n",
                                                      "run_20261103060000_wqt8565b",
                                                      "run_20261123060000_dnnyvvbp"]),
    ],
)  # fmt: skip
def test_a_bound_on_a_metric_is_a_condition(reg, text, runs):
    resp = answer(reg, {"message": text})
    assert cited_runs(resp) == runs, resp.reply


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # created 2026-10-23, the last recipe made
        ("what's the newest recipe?", "The newest is recipe_retail_pricing_v1."),
        # its 1.1.0 of 2 November is the last version committed
        ("which recipe was changed most recently?", "The newest is recipe_pricing_freshmart."),
        ("who owns the most models?", "pricing-science has the most models (3)"),
        ("is recipe_nba_telco approved?", "No: recipe_nba_telco"),
        ("list recipes by Priya Natarajan", "3 recipes match (with a version by Priya Natarajan)"),
        ("Tomás's recipes", "3 recipes match (with a version by Tomás Ortega)"),
        ("what's the PSI alert threshold for the northwind model?", "alert at 0.25"),
    ],
)
def test_orders_counts_statuses_and_people_are_read(reg, text, said):
    resp = answer(reg, {"message": text})
    assert said in resp.reply, resp.reply


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # staging on 17 October 15:00, production on 18 October
        (
            "what was the status of model_freshmart_pricing on 17 October?",
            "On 17 October 2026 (end of day, UTC) model_freshmart_pricing was in staging",
        ),
        # registered 3 November
        (
            "what status was model_freshmart_pricing_v2 in on 1 November?",
            "model_freshmart_pricing_v2 did not exist yet on 1 November 2026",
        ),
        # the nine October runs
        ("which runs are older than 1 November?", "9 runs match (created before 1 November 2026)"),
        # 06:02 to 08:22, the northwind backtest
        ("which runs took longest?", "- run_20261020060000_e4kzv573: backtest"),
        # the name holds "grocery"; FreshMart Pricing only has it as a tag
        ("how do I register a model from the grocery recipe?", "recipe_pricing_grocery's current"),
    ],
)
def test_days_durations_and_names_are_read(reg, text, said):
    resp = answer(reg, {"message": text})
    assert said in resp.reply, resp.reply
    assert "I can't" not in resp.reply


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        # recipe_nba_telco is the one draft recipe; none is archived
        ("which recipes aren't approved?", "recipe", ["recipe_nba_telco"]),
        (
            "models not in production",
            "model",
            ["model_freshmart_pricing_v2", "model_grocery_pricing_v1", "model_site_scoring",
             "model_telco_nba"],
        ),
        # a negation covers the list it heads
        (
            "which models aren't retired or in production?",
            "model",
            ["model_freshmart_pricing_v2", "model_site_scoring", "model_telco_nba"],
        ),
        (
            "non-baseline recipes",
            "recipe",
            ["recipe_forecasting_northwind", "recipe_forecasting_retail", "recipe_nba_telco",
             "recipe_pricing_freshmart", "recipe_pricing_grocery", "recipe_retail_pricing_v1"],
        ),
        # the four recipes no model is built from
        (
            "which recipes are not used by any model?",
            "recipe",
            ["recipe_forecasting_base", "recipe_forecasting_retail", "recipe_nba_base",
             "recipe_pricing_base"],
        ),
    ],
)  # fmt: skip
def test_a_negated_value_keeps_the_other_values(reg, text, kind, expected):
    resp = answer(reg, {"message": text})
    assert sorted(r.id for r in resp.references if r.type == kind) == expected, resp.reply
    assert "can't" not in resp.reply


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # 13 succeeded, 2 failed, 1 queued, 1 running
        ("how many runs per status?", "- succeeded: 13 runs\n- failed: 2 runs"),
        ("how many models per family?", "7 models by model_family:\n- pricing: 4 models"),
        # grocery and freshmart pin pricing_base 1.0.1, before competitor prices came in 2.0.0
        (
            "which recipes use lightgbm but not competitor_price?",
            "2 recipes have lightgbm but not competitor_price",
        ),
        ("models that are neither staging nor production", "2 models match (status draft or "
                                                           "retired)"),
        # five models have no snapshot: only freshmart and northwind are monitored
        ("which models haven't been monitored?", "5 models of 7 have no monitoring snapshots"),
    ],
)  # fmt: skip
def test_counts_per_field_and_negated_conditions(reg, text, said):
    resp = answer(reg, {"message": text})
    assert said in resp.reply, resp.reply
    assert "can't" not in resp.reply


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        # the two failed runs report nothing, nor do the queued and the running one
        ("which runs have no metrics?", ["run_20261026060000_pn7884yw",
                                         "run_20261121060000_jtcrq1db",
                                         "run_20261124060000_2es6qqsc",
                                         "run_20261124060000_wbawz0m1"]),
        ("runs with artifacts", ["run_20261015060000_rw9t6jm1", "run_20261016060000_ekgstj5h"]),
        # logs.txt is empty for the queued and the running run
        ("which runs have empty logs?", ["run_20261124060000_2es6qqsc",
                                         "run_20261124060000_wbawz0m1"]),
    ],
)  # fmt: skip
def test_a_run_with_or_without_a_part(reg, text, runs):
    resp = answer(reg, {"message": text})
    assert cited_runs(resp) == runs, resp.reply
    assert "can't" not in resp.reply


def test_what_a_person_did_in_a_month(reg):
    # Priya's October: six recipe versions (the baseline's first was 30 September) and three
    # model moves (freshmart to staging and production, grocery_v1 retired)
    resp = answer(reg, {"message": "which recipes were created by Priya in october?"})
    assert resp.reply.startswith("Priya Natarajan made 9 changes in October 2026"), resp.reply
