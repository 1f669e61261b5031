"""Key point → card plan: the card maker's one entry point, `plan_cards`.

The stages, each its own module: `words` (tokens and the word tables),
`clause` (subject, main verb, mood), `frames` (speaker, contrast, referent),
`targets` (candidates and their ranking), `questions` (every question form).
The rules follow the principles of good prompts (SuperMemo's twenty rules,
Andy Matuschak's "How to write good prompts"): each card asks for one thing,
the thing that matters most in the key point, and never shows its answer.
"""

from __future__ import annotations

from cards.cardmaker.clause import imperative, verb_positions
from cards.cardmaker.frames import (
    Referent,
    attribution,
    claim_verbs,
    contrast,
    opens_with_pronoun,
    resolve_referent,
    setting_end,
)
from cards.cardmaker.questions import advice_question, framed_question, make_question, question_with_speaker
from cards.cardmaker.targets import Front, choose_deletions, rank_targets
from cards.cardmaker.types import CardPlan, Reading, Target
from cards.cardmaker.words import contains_answer, read_part, speaker_words, tokens


def plan_cards(key_point: str, podcast: str, episode: str, names: frozenset[str] = frozenset(),
               topic: frozenset[str] = frozenset(), previous: str = "",
               speakers: frozenset[str] = frozenset()) -> CardPlan:
    """Choose deletions, a question and a context label for one key point.

    `names` are words the snip writes with a capital (questions keep them);
    `topic` holds the words of the episode's subject (see `topic_words`);
    `previous` is the key point before this one in its snip: when this one
    opens with a pronoun (`This would …`), it is shown on the front too;
    `speakers` are the names of the people speaking in the snip: never a
    card's answer.
    """
    before = previous if previous and opens_with_pronoun(key_point) else ""
    referent = resolve_referent(key_point, previous) if before else None
    read = referent.named(key_point) if referent else key_point  # the pronoun's referent in its place
    text, words, whole = read_part(read)
    speaking = speaker_words(speakers)
    advice = None if before else imperative(text, words, setting_end(text))
    frame = None if advice else attribution(text, previous, episode, speaking)
    verbs = verb_positions(text, words) | claim_verbs(frame, words) | ({advice.verb} if advice else set())
    ranked = rank_targets(text, words, frozenset(verbs), frame.claim_start if frame else 0,
                          Front(podcast, episode, before, speaking), topic, tokens(read), advice)
    lead = frame or contrast(text)
    reading = Reading(text, words, frozenset(verbs), ranked, lead.claim_start if lead else 0)
    shown = _in_key_point(ranked, key_point, referent)
    deletions = choose_deletions(shown, len(tokens(key_point)), topic)
    question = None
    if whole and advice:
        question = advice_question(advice, text, words, ranked, podcast, topic)
    elif whole:  # no question from a sentence cut short
        question = framed_question(lead, reading, podcast, names) if lead else make_question(reading, podcast, names)
    if question is None and whole and frame and not frame.is_clause and frame.speaker:
        question = question_with_speaker(text, frame, reading, podcast, names)
    if question is not None and before and contains_answer(before, question.answer):
        question = None  # the answer is on the front already, in the key point shown above
    answers = [question.answer] if question else []
    return CardPlan(
        key_point,
        tuple(deletions),
        question,
        context_label(podcast, episode, [d.text for d in deletions]),
        context_label(podcast, episode, answers),
        before,
    )


def _in_key_point(ranked: tuple[Target, ...], key_point: str, referent: Referent | None) -> tuple[Target, ...]:
    """Targets read with the referent in the pronoun's place, placed back in the key point as it is shown."""
    if referent is None:
        return ranked
    shift = len(referent.phrase) - referent.end
    index = {w.start: i for i, w in enumerate(tokens(key_point))}
    ends = {w.end: i for i, w in enumerate(tokens(key_point))}
    placed = []
    for target in ranked:
        start, end = target.start - shift, target.end - shift
        if start >= referent.end and start in index and (end in ends or end + 2 in ends):
            placed.append(target._replace(start=start, end=end, first_token=index[start],
                                          last_token=ends.get(end, ends.get(end + 2, 0))))
    return tuple(placed)


def context_label(podcast: str, episode: str, answers: list[str]) -> str:
    """`Podcast · Episode`, without the episode when it would give an answer away."""
    label = f"{podcast} · {episode}" if episode else podcast
    if any(contains_answer(label, answer) for answer in answers):
        return podcast
    return label
