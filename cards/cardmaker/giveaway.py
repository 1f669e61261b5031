"""What a card's front gives away: the words an answer is recognised by, and whether a text shows them.

Every stage that puts words on a front asks here: the targets (a candidate
the podcast's name shows is none), the questions (an answer the question,
the key point above or the episode's topic shows is none), and the label
under the card (`Podcast · Episode`, without the episode when it shows an
answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from cards.cardmaker.types import Token
from cards.cardmaker.words import APPROXIMATORS, STOPWORDS, TOKEN, lex


@lru_cache(maxsize=4096)
def word_forms(text: str) -> tuple[str, ...]:
    """The words of `text` in order, lower case, without a possessive `'s` (`Patel` of `Patel's`): each token's
    `lex.bare`, read without making tokens (cached: an answer, the podcast's name and a question are asked
    about again and again, and they need not crowd key points out of the tokens' cache)."""
    words = [word.lower() for word in TOKEN.findall(text)]  # the matches' text, without a match object each
    if "’" in text:
        words = [word.replace("’", "'") for word in words]
    return tuple([word.removesuffix("'s") for word in words])


@lru_cache(maxsize=4096)
def word_set(text: str) -> frozenset[str]:
    """The words of `text`, lower case, without a possessive `'s` (see `word_forms`)."""
    return frozenset(word_forms(text))


# Words that give no answer away: an answer's other words do (`[about 180] copies` is given away by `180`).
NOT_CORE = STOPWORDS | APPROXIMATORS


def contains_answer(text: str, answer: str) -> bool:
    """Whether `answer` (or its main word) appears in `text` as a whole word."""
    return shows(word_set(text), answer)


def shows(shown: frozenset[str], answer: str) -> bool:
    """Whether these words (a text's `word_set`) give the answer away: they hold all its `core_words`."""
    core = core_words(answer)
    return bool(core) and shown.issuperset(core)


@lru_cache(maxsize=4096)
def core_words(answer: str) -> tuple[str, ...]:
    """The words of an answer that give it away: its content words, else all (see `core_tokens`)."""
    forms = word_forms(answer)
    return tuple([w for w in forms if w not in NOT_CORE] or forms)


def core_tokens(span: Sequence[Token]) -> list[Token]:
    """The tokens of a span that give it away: its content words, else all (`core_words` of a span's text)."""
    return [w for w in span if w.lex.bare not in NOT_CORE] or list(span)


def only_the_topic(answer: str, topic: frozenset[str]) -> bool:
    """The answer is the episode's subject and nothing more (`Who survive being frozen? → Tardigrades` in an
    episode on tardigrades): the learner knows it before the question is read, as a cloze never hides it."""
    if any([lex(word).number for word in word_forms(answer)]):
        return False  # `two hours` in an episode on sleep hours: the number is the answer
    core = core_words(answer)
    return bool(core) and topic.issuperset(core)


def context_label(podcast: str, episode: str, answers: list[str]) -> str:
    """`Podcast · Episode`, without the episode when it would give an answer away."""
    label = f"{podcast} · {episode}" if episode else podcast
    shown = word_set(label)
    if any([shows(shown, answer) for answer in answers]):
        return podcast
    return label
