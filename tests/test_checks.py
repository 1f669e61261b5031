"""`checks.card_problems` catches each kind of bad card it is meant to catch."""

from __future__ import annotations

import pytest

from cards.cardmaker.types import CardPlan, Question, Target, TargetKind
from cards.checks import card_problems

KEY_POINT = "Dylan Patel believes export controls are ineffective at stopping China's progress."


def target(text: str, start: int | None = None) -> Target:
    begin = KEY_POINT.index(text) if start is None else start
    return Target(begin, begin + len(text), text, TargetKind.NOUN_PHRASE, 4.0, 0, 0)


def plan(deletions: tuple[Target, ...] = (), question: Question | None = None, context: str = "Pod · Ep",
         before: str = "") -> CardPlan:
    return CardPlan(KEY_POINT, deletions, question, context, context, before)


def test_a_good_card_passes() -> None:
    good = plan((target("export controls"),), Question("According to Dylan Patel, what are ineffective?",
                                                       "export controls"))
    assert card_problems(good) == []


@pytest.mark.parametrize(("bad", "problem"), [
    (plan((Target(3, 3, "", TargetKind.NOUN_PHRASE, 4.0, 0, 0),)), "empty deletion"),
    (plan((target("export controls are ineffective at stopping"),)),
     "deletion of 6 words: 'export controls are ineffective at stopping'"),
    (plan((target("at", KEY_POINT.index(" at ") + 1),)), "stopword deletion: 'at'"),
    (plan((target("export controls"),), context="Pod · Why export controls fail"),
     "answer 'export controls' visible on the cloze front"),
    (plan((target("export controls"),), before="Export controls came in 2022."),
     "answer 'export controls' visible on the cloze front"),
    (plan((target("export controls"), target("controls are"))), "overlapping deletions"),
    (plan(question=Question("According to Dylan Patel, what are ineffective", "export controls")),
     "question without '?': 'According to Dylan Patel, what are ineffective'"),
    (plan(question=Question("According to Dylan Patel, what are ineffective?",
                            "export controls of every single advanced chip")),
     "answer of 7 words: 'export controls of every single advanced chip'"),
    (plan(question=Question("According to Dylan Patel, are export controls ineffective?", "export controls")),
     "answer 'export controls' visible in the question"),
])
def test_each_kind_of_bad_card_is_caught(bad: CardPlan, problem: str) -> None:
    assert card_problems(bad) == [problem]
