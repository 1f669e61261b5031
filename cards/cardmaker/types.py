"""The card maker's records: what a key point is read into, and what a plan holds.

Built by keyword (`Target(start=…, …)`) or by the functions that make them;
NamedTuples, not frozen dataclasses, because they are made per word and per
candidate and a NamedTuple costs nothing to define (see BENCHMARKS.md).
"""

from __future__ import annotations

import enum
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from cards.cardmaker.words import Lex


@lru_cache(maxsize=8192)  # asked of the same names and answers again and again (a question's form, its answer)
def is_acronym(word: str) -> bool:
    """`TSMC`, `US`, `AI's`, `CRISPR-Cas9`: two capitals or more, and at least half the letters: `Jean-François`,
    `Bon-Joseph` and `McDonald's` are names (`Token.acronym` of a token; here, where
    tokens are)."""
    letters = word.removesuffix("'s")
    capitals = sum(c.isupper() for c in letters)
    return len(letters) >= 2 and capitals >= 2 and 2 * capitals >= sum(c.isalpha() for c in letters)


def is_acronym_word(text: str) -> bool:
    """`is_acronym` of a token's text, answered cheaply for most words (asked of every word of every key point)."""
    letters = text.removesuffix("'s")
    if len(letters) < 2 or letters[1:].islower():
        return False
    return is_acronym(letters)


# The parts of speech of a word the lexicon does not know (`words.parts_of_speech`): compared with a word's parts
# again and again, as a constant (a set literal `{""}` is built anew at each comparison).
UNKNOWN = frozenset({""})


class TargetKind(enum.IntEnum):
    """What a cloze target is; lower values are preferred."""

    NUMBER = 0
    ENTITY = 1
    RARE_TERM = 2
    NOUN_PHRASE = 3


# The kinds as plain names, for the code that tests a candidate's kind again and again: read off its class, an
# Enum member costs 120 ns in Python 3.11 (the metaclass's `__getattr__` hook runs on every read), a global 7 ns.
NUMBER, ENTITY = TargetKind.NUMBER, TargetKind.ENTITY
RARE_TERM, NOUN_PHRASE = TargetKind.RARE_TERM, TargetKind.NOUN_PHRASE


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
        """A plural noun, not a possessive (`children`, `clasts`; not `child's`), nor a name the lexicon does not
        know that happens to end in -s (`Douglas`, `TLS`)."""
        return self.lex.plural and not self.lower.endswith("'s") and not (self.text[:1].isupper()
                                                                            and self.lex.parts == UNKNOWN)

    @property
    def acronym(self) -> bool:
        """`TSMC`, `US`, `AI's`, `CRISPR-Cas9`: two capitals or more, and at least half its letters (not
        `Jean-François` nor `McDonald's`: names)."""
        return is_acronym_word(self.text)


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
    words: tuple[Token, ...] = ()  # its tokens (a possessive `'s` stays on the last one)


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


class Attribution(NamedTuple):
    """`<speaker> argues (that) <claim>`: a key point read as its claim.

    Also `Unlike light rail, <claim>`: a contrast that the question keeps in
    front, as it keeps who made a claim.
    """

    speaker: str  # "" when a pronoun's speaker is not known
    claim: str
    claim_start: int
    is_clause: bool = True  # `argues (that) X does Y`; not `credits X with Y`, `cautions against Y`
    lead: str = ""  # what the question keeps in front: `According to Osei,`, `Unlike light rail,`
    speaker_words: tuple[Token, ...] = ()  # the speaker's name as tokens (of the name alone)


class Referent(NamedTuple):
    """What a key point's opening pronoun stands for: `[These crystals] make …` → `aluminous tobermorite crystals`."""

    phrase: str  # the phrase from the key point before, capitalised
    end: int  # where the pronoun (and its noun) ends in the key point
    words: tuple[Token, ...] = ()  # the phrase's tokens (offsets in the phrase)

    def named(self, key_point: str) -> str:
        """The key point with the referent in the pronoun's place."""
        return self.phrase + key_point[self.end:]


class SetAside(NamedTuple):
    """Where a key point's secondary parts lie: an opening contrast, a trailing tail, a setting."""

    opening_end: int | None  # `Rather than building fabs everywhere,|`
    tail_start: int | None  # `|, including babbling with the hands`
    setting_end: int = 0  # `During a drought, |…`


class Frames(NamedTuple):
    """A key point read as frame and claim (`frames.read_frames`): what every later stage starts from."""

    key_point: str  # as the card shows it
    key_words: tuple[Token, ...]  # all its tokens
    before: str  # the key point before, shown when this one opens with a pronoun
    referent: Referent | None  # what that pronoun stands for, when it can be named
    text: str  # the part read (`words.read_part`), the referent in the pronoun's place
    words: tuple[Token, ...]
    whole: bool  # the part read ends where a sentence ends
    shown: tuple[Token, ...]  # every token of the key point (the referent in place): no answer may show there
    frame: Attribution | None  # the speaker or finding the claim is attributed to
    contrast: Attribution | None  # `Unlike light rail, …`
    aside: SetAside


class SpokenClaim(NamedTuple):
    """`Lemkin cautions against hiring …`: the claim with its speaker's name as its subject, before it is read."""

    text: str
    words: tuple[Token, ...]


class Mood(NamedTuple):
    """How a key point puts its claim: as advice, or as a claim someone or something is said to make."""

    advice: Imperative | None  # the key point is advice in the imperative
    frame: Attribution | None  # who or what the claim is attributed to (none for advice)
    lead: Attribution | None  # what a question keeps in front: that frame, or a contrast
    spoken: SpokenClaim | None  # the claim with its speaker as subject, when the claim is no clause


class Imperative(NamedTuple):
    """Advice: `[setting] [Never] keep |doors and shutters| closed …`: the verb, and the object it acts on."""

    setting: str  # `During a storm, ` (kept in front of the question)
    negation: str  # `never`, `don't`, or ""
    verb: int  # token index of the verb
    object_first: int  # token indices of the object (object_last < object_first: none)
    object_last: int
    phrase_last: int  # where the whole object phrase ends (`a story [or a surprising number]`)


class CardPlan(NamedTuple):
    """Everything the renderer needs to write one key point's two notes."""

    key_point: str
    deletions: tuple[Target, ...]
    question: Question | None
    cloze_context: str
    qa_context: str
    before: str = ""  # the previous key point, shown on the front when this one opens with a pronoun
