"""The question set of chat_questions.py over the demo registry: every answer is grounded
(no id the registry does not hold, no text a right answer must not contain), and at least
90% are right or an honest "I can't"; none invented. The score is printed (`-s`)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from chat_checks import check_grounded
from chat_questions import BLIND, HELD_OUT, QUESTIONS, Ask
from chat_questions_fresh import FRESH, SECOND
from modelyard.chat.assistant import answer
from modelyard.chat.response import ChatResponse
from modelyard.storage.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
HONEST = re.compile(
    r"I can't|I cannot|can't answer|There is no|has no version|Which \w+ do you mean|"
    r"Best by which measure|no monitoring snapshot",
    re.I,
)


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry(ROOT / "registry")


def ask(reg: Registry, q: Ask) -> ChatResponse:
    context = {}
    if q.after:
        context = answer(reg, {"message": q.after}).context
    return answer(reg, {"message": q.text, "context": context})


def text_of(resp: ChatResponse) -> str:
    return "\n".join([resp.reply, *(s.cli for s in resp.next_steps)])


def judge(reg: Registry, q: Ask, resp: ChatResponse) -> str:
    """right, cant (an honest "I can't"), wrong, or invented."""
    try:
        check_grounded(reg, resp, q.text)
    except AssertionError:
        return "invented"
    text = text_of(resp)
    if any(a in text for a in q.absent):
        return "invented"
    honest = not resp.answered or bool(HONEST.search(resp.reply))
    if all(f in text for f in q.facts) and (honest or not q.honest):
        return "right"
    return "cant" if honest else "wrong"


SETS = {
    "QUESTIONS": QUESTIONS,
    "HELD_OUT": HELD_OUT,
    "BLIND": BLIND,
    "FRESH": FRESH,
    "SECOND": SECOND,
}


@pytest.mark.parametrize("name", list(SETS))
def test_the_question_set_scores_at_least_90_percent_with_nothing_invented(reg, capsys, name):
    questions = SETS[name]
    assert len(questions) >= (100 if name == "QUESTIONS" else 25)
    outcomes: dict[str, list[str]] = {"right": [], "cant": [], "wrong": [], "invented": []}
    by_kind: Counter[str] = Counter()
    for q in questions:
        got = judge(reg, q, ask(reg, q))
        outcomes[got].append(q.text)
        if got in ("right", "cant"):
            by_kind[q.kind] += 1
    total = len(questions)
    good = len(outcomes["right"]) + len(outcomes["cant"])
    with capsys.disabled():
        print(
            f"\nchat question set {name}: {len(outcomes['right'])} right, "
            f"{len(outcomes['cant'])} honest can't, {len(outcomes['wrong'])} wrong, "
            f"{len(outcomes['invented'])} invented, "
            f"of {total} ({100 * good / total:.1f}%)"
        )
        for kind in ("wrong", "invented"):
            for text in outcomes[kind]:
                print(f"  {kind}: {text}")
    assert not outcomes["invented"], outcomes["invented"]
    assert good / total >= 0.9, outcomes["wrong"]


@pytest.mark.parametrize(
    "q",
    [q for q in QUESTIONS if q.kind in ("history", "runs", "monitoring") and not q.honest][:12],
    ids=lambda q: q.text,
)
def test_history_logs_and_monitoring_answers_are_right(reg, q):
    """The kinds the assistant used to get wrong, each on its own: right, not just honest."""
    resp = ask(reg, q)
    assert judge(reg, q, resp) == "right", resp.reply
