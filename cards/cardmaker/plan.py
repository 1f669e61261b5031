"""Key point → card plan: the card maker's one entry point, `plan_cards`.

The stages, each its own module, in the order a key point passes them:
`words` (tokens and the word tables), `frames` (speaker, contrast,
referent), `mood` (advice, or whose claim it is), `tagger` (parts of speech
in context), `clause` (subject, main verb), `targets` (candidates, ranked by
the fitted weights of `ranking`), `questions` (every question form, and the
choice among them, by `ranking`'s other weights), `giveaway` (no answer the
front already shows, and the label under the card).
The rules follow the principles of good prompts (SuperMemo's twenty rules,
Andy Matuschak's "How to write good prompts"): each card asks for one thing,
the thing that matters most in the key point, and never shows its answer.
"""

from __future__ import annotations

from typing import NamedTuple

from cards.cardmaker.clause import Claims, read_claims
from cards.cardmaker.frames import read_frames
from cards.cardmaker.giveaway import context_label, word_set
from cards.cardmaker.mood import read_mood
from cards.cardmaker.questions import Asked, ask, question_candidates
from cards.cardmaker.ranking import Context
from cards.cardmaker.tagger import AUX, VERB, tag_claims
from cards.cardmaker.targets import Front, choose_deletions, in_key_point, rank_targets, target_candidates
from cards.cardmaker.types import CardPlan, Frames, Reading, Target
from cards.cardmaker.words import read_part, speaker_words
from cards.model import Episode, Snip


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
    read = _read(key_point, podcast, episode, topic, previous, speakers)
    framed, claims = read.framed, read.claims
    ranked = rank_targets(*read.target_arguments)
    shift = len(framed.referent.phrase) - framed.referent.end if framed.referent else 0
    verb = framed.words[read.main_verb].start if read.main_verb < len(framed.words) else 0
    deletions = choose_deletions(in_key_point(ranked, framed.key_words, framed.referent), framed.key_words,
                                 max(0, verb - shift))
    reading = Reading(framed.text, framed.words, claims.verbs, ranked, read.claim_start)
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


def question_candidates_of(key_point: str, podcast: str, episode: str, names: frozenset[str] = frozenset(),
                           topic: frozenset[str] = frozenset(), previous: str = "",
                           speakers: frozenset[str] = frozenset()) -> list[Asked]:
    """The candidate questions `plan_cards` chooses among, with their features (for
    `benchmarks/fit_ranking.py`, which fits the weights that choose)."""
    read = _read(key_point, podcast, episode, topic, previous, speakers)
    framed = read.framed
    reading = Reading(framed.text, framed.words, read.claims.verbs, rank_targets(*read.target_arguments),
                      read.claim_start)
    return question_candidates(reading, read.claims, framed.whole, framed.before, podcast, names, topic)


def target_candidates_of(key_point: str, podcast: str, episode: str, topic: frozenset[str] = frozenset(),
                         previous: str = "", speakers: frozenset[str] = frozenset()) -> tuple[list[Target], Context]:
    """The cloze candidates `plan_cards` ranks, unordered, with what their features are read against, each
    placed in the key point as it is shown (for `benchmarks/fit_ranking.py`, which fits the ranking's weights)."""
    read = _read(key_point, podcast, episode, topic, previous, speakers)
    candidates, context = target_candidates(*read.target_arguments)
    framed = read.framed
    return [t for t in candidates if in_key_point((t,), framed.key_words, framed.referent)], context


class _Read(NamedTuple):
    """A key point read as frame and claim, and what the targets stage is given."""

    framed: Frames
    claims: Claims
    claim_start: int  # where the claim starts after its frame or contrast
    main_verb: int  # the claim's first verb (a token index), or the number of tokens
    target_arguments: tuple


def _read(key_point: str, podcast: str, episode: str, topic: frozenset[str], previous: str,
          speakers: frozenset[str]) -> _Read:
    speaking = speaker_words(speakers)
    part = read_part(key_point)
    framed = read_frames(part, previous, episode, speaking)
    mood = read_mood(framed)
    tagged = tag_claims(framed, mood)  # the verb of advice is a verb, whatever the tagger would make of it
    claims = read_claims(framed, mood, tagged)
    frame, lead = claims.frame, claims.lead
    front = Front(word_set(podcast), word_set(episode), word_set(previous) if framed.before else frozenset(), speaking)
    claim_start = lead.claim_start if lead else 0
    tags = claims.tags
    after = max(claim_start, framed.aside.setting_end)
    main_verb = len(framed.words)  # the claim's first verb, or none
    for i, word in enumerate(framed.words):
        if word.start >= after and tags[i] in (VERB, AUX):
            main_verb = i
            break
    arguments = (framed.text, framed.words, tags, frame.claim_start if frame else 0, front, topic,
                 framed.shown, claims.advice, framed.aside, main_verb)
    return _Read(framed, claims, claim_start, main_verb, arguments)


def rules_plan(episode: Episode, snip: Snip, position: int, names: frozenset[str], topic: frozenset[str],
               speakers: frozenset[str]) -> CardPlan:
    """The rules' plan for one key point of a snip, with the key point before it (the rules' writer's, and the
    language model's where it gives no card: see `cards.cardmaker.writer`)."""
    previous = snip.key_points[position - 1] if position else ""
    return plan_cards(snip.key_points[position], episode.podcast, episode.title, names, topic, previous, speakers)
