"""The assistant over a small registry built in the test: understanding, follow-ups, focus,
declines, and that no answer cites anything the registry does not hold."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from chat_checks import check_grounded, cited, forget_help_options
from chat_registry import NOW, built
from modelyard.chat.assistant import answer
from modelyard.errors import NotFound, ValidationFailed
from modelyard.ops import models, recipes
from modelyard.storage.registry import Registry


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    with built(tmp_path_factory.mktemp("chat")) as reg:
        return reg


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", NOW)


def ask(reg: Registry, message: str, **kw):
    resp = answer(reg, {"message": message, **kw})
    check_grounded(reg, resp, message)
    return resp


@pytest.mark.parametrize(
    "message",
    [
        "production pricing models",
        "prod pricing models",
        "show prodction pricng modles",
        "which pricing models are live?",
        "Production models in the pricing family",
    ],
)
def test_phrasing_typos_and_synonyms_find_the_same_models(small, message):
    resp = ask(small, message)
    assert resp.intent == "find"
    assert cited(resp, "model") == ["model_retail_pricing_prod"]
    assert "1 model matches" in resp.reply


def test_nba_and_family_synonyms(small):
    resp = ask(small, "list NBA recipes")
    assert cited(resp, "recipe") == ["recipe_nba_telco"]
    assert any(
        s.cli == "modelyard recipes list --model-family next_best_action" for s in resp.next_steps
    )
    resp = ask(small, "next best action models")
    assert cited(resp, "model") == ["model_nba_pilot"]
    assert "retired" in resp.reply


def test_owner_with_a_dash_and_tags_with_words(small):
    resp = ask(small, "models owned by pricing-team")
    assert cited(resp, "model") == ["model_retail_pricing_prod"]
    resp = ask(small, "recipes tagged supply chain")
    assert cited(resp, "recipe") == ["recipe_demand_forecast"]


def test_failed_runs_this_week_counts_from_the_clock(small, monkeypatch):
    resp = ask(small, "failed runs this week")
    assert len(cited(resp, "run")) == 2
    assert "since 2024-03-08T12:00:00Z" in resp.reply
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2024-04-30T00:00:00Z")
    resp = ask(small, "failed runs this week")
    assert cited(resp, "run") == [] and "0 runs" in resp.reply


def test_drift_alerts_come_from_snapshots_and_thresholds(small):
    resp = ask(small, "which models have drift alerts?")
    assert cited(resp, "model") == ["model_retail_pricing_prod"]
    assert "PSI 0.27 is at or above its alert level 0.2" in resp.reply
    assert len(cited(resp, "snapshot")) == 1


def test_follow_up_through_the_returned_context(small):
    first = ask(small, "tell me about the retail pricing recipe")
    assert cited(first)[0] == "recipe_pricing_retail"
    assert first.context["focus"]["recipe_id"] == "recipe_pricing_retail"
    second = ask(small, "and its models?", context=first.context)
    assert cited(second, "model") == ["model_retail_pricing_prod"]
    third = ask(small, "how is it doing?", context=second.context)
    assert third.intent == "health" and "snap_" in third.reply
    fourth = ask(small, "and its runs?", context=third.context)
    assert len(cited(fourth, "run")) == 2
    assert len(fourth.context["turns"]) == 8


def test_follow_up_from_plain_turns(small):
    ctx = {
        "turns": [
            {"role": "user", "content": "what is recipe_pricing_acme?"},
            {"role": "assistant", "content": "..."},
        ]
    }
    resp = ask(small, "and its models?", context=ctx)
    assert cited(resp, "model") == ["model_acme_pricing"]


def test_recipe_id_focuses_the_conversation(small):
    resp = ask(small, "what changed in the latest version?", recipe_id="recipe_pricing_base")
    assert "2.0.0" in resp.reply and "added features.promo_flag" in resp.reply
    assert "ver_pricing_base_v2.0.0" in cited(resp, "version")
    resp = ask(small, "and its children?", recipe_id="recipe_pricing_base")
    assert cited(resp, "recipe") == ["recipe_pricing_base", "recipe_pricing_retail"]


def test_an_unknown_recipe_id_is_not_found_and_a_bad_body_is_invalid(small):
    with pytest.raises(NotFound):
        answer(small, {"message": "hi", "recipe_id": "recipe_nope"})
    with pytest.raises(ValidationFailed):
        answer(small, {"message": ""})
    with pytest.raises(ValidationFailed):
        answer(small, {"message": "x", "typo": 1})


@pytest.mark.parametrize(
    "message",
    [
        "what's the weather in Paris?",
        "write me a poem about spring",
        "hello",
        "who won the match yesterday",
    ],
)
def test_off_topic_questions_are_declined_with_what_it_can_do(small, message):
    resp = ask(small, message)
    assert not resp.answered and resp.intent == "decline"
    assert "I can:" in resp.reply and resp.references == []


def test_an_id_that_does_not_exist_is_declined_with_close_ids(small):
    resp = ask(small, "tell me about recipe_pricing_retial")
    assert not resp.answered
    assert "There is no recipe recipe_pricing_retial" in resp.reply
    assert "recipe_pricing_retail" in resp.reply


def test_answers_are_deterministic(small):
    one = answer(small, {"message": "compare versions 1.0.0 and 2.0.0 of recipe_pricing_base"})
    two = answer(small, {"message": "compare versions 1.0.0 and 2.0.0 of recipe_pricing_base"})
    assert one == two


def test_generated_questions_never_cite_an_unknown_id(small):
    """Every template over every record, and words that are nearly ids: all grounded."""
    ids = [r.id for r in recipes.list_recipes(small).recipes] + [
        m.id for m in models.list_models(small).models
    ]
    names = [r.name for r in recipes.list_recipes(small).recipes] + [
        m.name for m in models.list_models(small).models
    ]
    templates = [
        "tell me about {}",
        "how is {} doing",
        "compare the versions of {}",
        "lineage of {}",
        "how do I promote {}",
        "and its runs? {}",
        "does {} meet its acceptance thresholds",
        "trend of MAPE for {}",
        "clone {}",
        "what does {} override",
        "{} models",
        "{} versions",
    ]
    extra = [
        "recipe_made_up",
        "model_ghost",
        "run_20990101000000_zzzzzzzz",
        "ver_pricing_base_v9.9.9",
    ]
    answered = 0
    for template, subject in itertools.product(templates, [*ids, *names, *extra]):
        resp = ask(small, template.format(subject))
        answered += resp.answered
    assert answered > len(templates) * len(ids)


def test_suggested_workflow_commands_run_on_a_copy_of_the_registry(tmp_path, monkeypatch):
    """The how-to steps are not just well-formed: run in order, they do the job."""
    from click.testing import CliRunner

    from modelyard.cli.main import cli

    with built(tmp_path) as reg:
        pass
    monkeypatch.setenv("GIT_AUTHOR_DATE", NOW)
    monkeypatch.chdir(Path(reg.root).parent)
    resp = ask(reg, "how do I promote model_acme_pricing to production?")
    runner = CliRunner()
    for step in resp.next_steps:
        import shlex

        result = runner.invoke(cli, ["--registry", str(reg.root), *shlex.split(step.cli)[1:]])
        assert result.exit_code == 0, (step.cli, result.output)
    forget_help_options()
    assert models.get_model(reg, "model_acme_pricing").status == "production"


def test_answers_follow_new_commits(reg, base_recipe):
    """Versions are reused between questions only while HEAD stays where it was."""
    from conftest import manifest
    from modelyard.ops import versions

    first = ask(reg, "latest version of recipe_pricing_base")
    assert "the latest is 1.0.0" in first.reply
    m = manifest()
    m["model"]["hyperparameters"]["num_leaves"] = 63
    versions.create_version(reg, base_recipe, {"manifest_json": m, "change_note": "More leaves"})
    second = ask(reg, "latest version of recipe_pricing_base")
    assert "the latest is 1.0.1" in second.reply and "More leaves" in second.reply
    assert "changed model.hyperparameters.num_leaves from 31 to 63" in second.reply


def test_random_word_salad_is_answered_or_declined_never_a_crash(small):
    """Seeded random questions from the assistant's own words and the registry's ids: every
    answer is grounded, and a conversation carried through them stays valid."""
    import random
    import re

    words = re.findall(
        r"\S+",
        "how do i what which compare versus trend drift alerts health promote clone register train "
        "backtest monitor rollback approve version versions runs models recipes children lineage "
        "overrides failed running prod staging draft retired this week today pricing nba "
        "forecasting client baseline tagged retail acceptance MAPE PSI and its "
        "recipe_pricing_base model_retail_pricing_prod "
        "recipe_nba_telco 1.0.0 2.0.0 model_ghost overview owned ? ,",
    )
    rng = random.Random(7)
    context: dict = {}
    for _ in range(120):
        message = " ".join(rng.choice(words) for _ in range(rng.randint(1, 7)))
        resp = ask(small, message, context=context)
        context = resp.context if rng.random() < 0.5 else {}
