"""The card maker's records: what a key point is read into, and what a plan holds.

Built by keyword (`Target(start=…, …)`) or by the functions that make them;
NamedTuples, not frozen dataclasses, because they are made per word and per
candidate and a NamedTuple costs nothing to define (see BENCHMARKS.md).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from cards.cardmaker.words import Lex


class TargetKind(enum.IntEnum):
    """What a cloze target is; lower values are preferred."""

    NUMBER = 0
    ENTITY = 1
    RARE_TERM = 2
    NOUN_PHRASE = 3


class Token(NamedTuple):
    """A word or number of a key point, where it stands, and what the word tables say of it.

    Every stage after the tokenizer reads a word's parts of speech, forms and
    frequency from its token (`lex`), looked up once per distinct word: none
    of them goes back to the word tables with text of its own.
    """

    text: str
    start: int
    end: int
    lower: str
    lex: Lex

    @property
    def plural(self) -> bool:
        """A plural noun, not a possessive (`children`, `clasts`; not `child's`)."""
        return self.lex.plural and not self.lower.endswith("'s")

    @property
    def acronym(self) -> bool:
        """`TSMC`, `US`, `AI's`: two capitals or more."""
        letters = self.text.removesuffix("'s")
        return len(letters) >= 2 and sum(c.isupper() for c in letters) >= 2


class Target(NamedTuple):
    """A span of the key point that a card hides and asks for."""

    start: int
    end: int
    text: str
    kind: TargetKind
    score: float
    first_token: int
    last_token: int
    rank: float = 0.0


class Question(NamedTuple):
    """A Q&A prompt and its short answer."""

    text: str
    answer: str


class Reading(NamedTuple):
    """One key point, read once: what the cloze maker and the question writer both work from.

    `verbs` are the tokens read as finite verbs (`velocity measures`, `This
    leaves`, `toddlers know`); `targets` the candidate spans, best first, with
    offsets into `text`; `claim_start` is where the claim begins after a
    speaker or contrast frame (`Osei argues that |…`, `Unlike light rail, |…`).
    """

    text: str
    words: tuple[Token, ...]
    verbs: frozenset[int]
    targets: tuple[Target, ...]
    claim_start: int = 0

    @property
    def claim(self) -> str:
        """The claim as a sentence of its own (first letter capitalised)."""
        claim = self.text[self.claim_start:]
        return claim[:1].upper() + claim[1:]

    def claim_verb_offsets(self) -> frozenset[int]:
        """Where the claim's finite verbs start, in the claim's own coordinates (infinitives left out)."""
        return frozenset(
            self.words[i].start - self.claim_start for i in self.verbs
            if self.words[i].start >= self.claim_start and not (i and self.words[i - 1].lower == "to")
        )


class CardPlan(NamedTuple):
    """Everything the renderer needs to write one key point's two notes."""

    key_point: str
    deletions: tuple[Target, ...]
    question: Question | None
    cloze_context: str
    qa_context: str
    before: str = ""  # the previous key point, shown on the front when this one opens with a pronoun
