"""Automatic checks every card must pass (see `benchmarks/quality.py`).

One deletion per card, at most five words, never a stopword, never the
answer on the front; questions end with `?` and have short answers.
"""

from __future__ import annotations

import itertools

from cards.cardmaker.giveaway import contains_answer
from cards.cardmaker.questions import MAX_ANSWER_WORDS
from cards.cardmaker.types import CardPlan, Question
from cards.cardmaker.words import MAX_TARGET_WORDS, STOPWORDS, tokens


def cloze_front(plan: CardPlan, hidden: int) -> str:
    """What the front of cloze card `hidden` shows: the other deletions stay visible."""
    target = plan.deletions[hidden]
    return plan.key_point[: target.start] + " [...] " + plan.key_point[target.end:]


def card_problems(plan: CardPlan) -> list[str]:
    """Every way the key point's cards break the rules; empty when they pass."""
    problems = []
    for index, target in enumerate(plan.deletions):
        words = tokens(target.text)
        if not words:
            problems.append("empty deletion")
            continue
        if len(words) > MAX_TARGET_WORDS:
            problems.append(f"deletion of {len(words)} words: {target.text!r}")
        if len(words) == 1 and words[0].lower in STOPWORDS:
            problems.append(f"stopword deletion: {target.text!r}")
        front = cloze_front(plan, index) + " " + plan.cloze_context + " " + plan.before
        if contains_answer(front, target.text):
            problems.append(f"answer {target.text!r} visible on the cloze front")
    spans = sorted((t.start, t.end) for t in plan.deletions)
    if any(a_end > b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans)):
        problems.append("overlapping deletions")
    if plan.question:
        problems.extend(_question_problems(plan.question, plan.qa_context))
    return problems


def _question_problems(question: Question, qa_context: str) -> list[str]:
    problems = []
    if not question.text.endswith("?"):
        problems.append(f"question without '?': {question.text!r}")
    if not 1 <= len(tokens(question.answer)) <= MAX_ANSWER_WORDS:
        problems.append(f"answer of {len(tokens(question.answer))} words: {question.answer!r}")
    if contains_answer(question.text + " " + qa_context, question.answer):
        problems.append(f"answer {question.answer!r} visible in the question")
    return problems
