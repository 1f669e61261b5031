"""Key point → card plan: the card maker's one entry point, `plan_cards`.

The stages, each its own module: `words` (tokens and the word tables),
`clause` (subject, main verb, mood), `frames` (speaker, contrast, referent),
`targets` (candidates and their ranking), `questions` (every question form).
The rules follow the principles of good prompts (SuperMemo's twenty rules,
Andy Matuschak's "How to write good prompts"): each card asks for one thing,
the thing that matters most in the key point, and never shows its answer.
"""

from __future__ import annotations

from cards.cardmaker.clause import claim_verbs, imperative, verb_positions
from cards.cardmaker.frames import read_frames
from cards.cardmaker.questions import advice_question, framed_question, make_question, question_with_speaker
from cards.cardmaker.targets import Front, choose_deletions, in_key_point, rank_targets
from cards.cardmaker.types import CardPlan, Reading
from cards.cardmaker.words import contains_answer, read_part, speaker_words, word_set


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
    framed = read_frames(read_part(key_point), previous, episode, speaker_words(speakers))
    before, referent = framed.before, framed.referent
    text, words, whole = framed.text, framed.words, framed.whole
    speaking = speaker_words(speakers)
    advice = None if before else imperative(text, words, framed.aside.setting_end)
    frame = None if advice else framed.frame
    verbs = verb_positions(text, words) | claim_verbs(frame, words) | ({advice.verb} if advice else set())
    front = Front(word_set(podcast), word_set(episode), word_set(previous) if before else frozenset(), speaking)
    ranked = rank_targets(text, words, frozenset(verbs), frame.claim_start if frame else 0, front, topic,
                          framed.shown, advice, framed.aside)
    lead = frame or framed.contrast
    reading = Reading(text, words, frozenset(verbs), ranked, lead.claim_start if lead else 0)
    deletions = choose_deletions(in_key_point(ranked, framed.key_words, referent), framed.key_words, topic)
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


def context_label(podcast: str, episode: str, answers: list[str]) -> str:
    """`Podcast · Episode`, without the episode when it would give an answer away."""
    label = f"{podcast} · {episode}" if episode else podcast
    if any(contains_answer(label, answer) for answer in answers):
        return podcast
    return label
