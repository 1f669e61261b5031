"""Key point → card plan: the card maker's one entry point, `plan_cards`.

The stages, each its own module: `words` (tokens and the word tables),
`clause` (subject, main verb, mood), `frames` (speaker, contrast, referent),
`targets` (candidates and their ranking), `questions` (every question form).
The rules follow the principles of good prompts (SuperMemo's twenty rules,
Andy Matuschak's "How to write good prompts"): each card asks for one thing,
the thing that matters most in the key point, and never shows its answer.
"""

from __future__ import annotations

from cards.cardmaker.clause import read_claims
from cards.cardmaker.frames import read_frames
from cards.cardmaker.questions import ask, context_label
from cards.cardmaker.targets import Front, choose_deletions, in_key_point, rank_targets
from cards.cardmaker.types import CardPlan, Reading
from cards.cardmaker.words import read_part, speaker_words, word_set


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
    speaking = speaker_words(speakers)
    part = read_part(key_point)
    framed = read_frames(part, previous, episode, speaking)
    claims = read_claims(framed)
    frame, lead = claims.frame, claims.lead
    front = Front(word_set(podcast), word_set(episode), word_set(previous) if framed.before else frozenset(), speaking)
    ranked = rank_targets(framed.text, framed.words, claims.verbs, frame.claim_start if frame else 0, front, topic,
                          framed.shown, claims.advice, framed.aside)
    claim_start = lead.claim_start if lead else 0
    verb = min((framed.words[i].start for i in claims.verbs if framed.words[i].start >= claim_start), default=0)
    shift = len(framed.referent.phrase) - framed.referent.end if framed.referent else 0
    deletions = choose_deletions(in_key_point(ranked, framed.key_words, framed.referent), framed.key_words,
                                 max(0, verb - shift))
    reading = Reading(framed.text, framed.words, claims.verbs, ranked, claim_start)
    question = ask(reading, claims, framed.whole, framed.before, podcast, names, topic)
    answers = [question.answer] if question else []
    return CardPlan(
        key_point,
        tuple(deletions),
        question,
        context_label(podcast, episode, [d.text for d in deletions]),
        context_label(podcast, episode, answers),
        framed.before,
    )
