"""Frames around a key point's claim: who said it, what it is set against, what a pronoun points back to.

`Osei argues that |…`, `According to Osei, |…`, `Unlike light rail, |…`:
the claim is what a card asks about; the frame is kept in front of the
question and never hidden.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from cards.cardmaker.clause import read_clause, verb_positions
from cards.cardmaker.types import Token
from cards.cardmaker.words import (
    ANAPHORA,
    CLAUSE_VERBS,
    FINDING_VERBS,
    OTHER_ATTRIBUTION_VERBS,
    PERSONAL_PRONOUNS,
    PREPOSITIONS,
    PRONOUN_OPENERS,
    SETTING_OPENERS,
    STOPWORDS,
    adjacent,
    parts_of_speech,
    plural_noun,
    rough_singular,
    tokens,
    with_capital,
)

# What follows the claim and gives its cause, consequence, exception or contrast: another fact, after it.
_TAIL = re.compile(r",\s+(?:including|which|but|while|whereas|though|although|because|since|so|[a-z]+ing)\b"
                   r"|\s(?:because|since|rather than|instead of|unless)\s")


_CONTRAST = re.compile(r"^(?:Rather than|Instead of|Unlike|Compared with|Compared to|Despite)\b[^,]{2,80},")


class SetAside(NamedTuple):
    """Where a key point's secondary parts lie: an opening contrast, a trailing tail (read once per key point)."""

    opening_end: int | None  # `Rather than building fabs everywhere,|`
    tail_start: int | None  # `|, including babbling with the hands`
    setting_end: int = 0  # `During a drought, |…`

    @classmethod
    def of(cls, key_point: str) -> SetAside:
        opening = _CONTRAST.match(key_point)
        tail = _TAIL.search(key_point)
        return cls(opening.end() if opening else None, tail.start() if tail else None, setting_end(key_point))


ATTRIBUTION_VERBS = "|".join(
    f"{verb} out" if verb in ("points", "pointed") else verb for verb in sorted(CLAUSE_VERBS | OTHER_ATTRIBUTION_VERBS)
)


_ATTRIBUTION = re.compile(
    rf"^(?P<speaker>[A-Z][\w'’.-]*(?:\s+(?:de|van|von|da|di|del|la|le|bin|al)?\s*[A-Z][\w'’.-]*){{0,3}})"
    rf"\s+(?:also\s+|further\s+|strongly\s+)?(?P<verb>{ATTRIBUTION_VERBS})"
    rf"(?:\s+in (?:his|her|their|a|an|the) [^,]{{3,40}}?(?=\s+that\s))?"  # `warned in his 1945 Nobel lecture that`
    rf"\s+(?P<that>that\s+)?(?P<claim>\S.*)$"
)


_ACCORDING = re.compile(r"^According to (?P<speaker>[A-Z][^,]{1,40}),\s+(?P<claim>\S.*)$")


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


_GUEST = re.compile(
    r"\bwith (?:(?:Dr|Prof|Professor|GM|Sir|Dame)\.?\s+)?(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})\s*$"
)


def attribution(key_point: str, previous: str = "", episode: str = "",
                speakers: frozenset[str] = frozenset()) -> Attribution | None:
    """The speaker or finding frame of a key point, for any speaker's name (not a list of names).

    `She warns that …` is a frame too: its speaker is the one the key point
    before named, else the guest the episode title names (`… with Dr. Maya
    Osei`), else unknown (""). So is any subject whose verb `that` follows
    (`Osei agrees with Klein that …`, `A 2023 review concluded that …`), the
    subject of a verb reporting a finding (`A 2016 study found …`), and a
    speaker of the episode whatever the verb (`Marchand prefers …`); a
    setting may come first (`In 1997, Simard showed that …`).
    """
    match = _ATTRIBUTION.match(key_point) or _ACCORDING.match(key_point)
    if not match:
        return reported(key_point, speakers)
    speaker = match.group("speaker")
    first = speaker.split()[0].lower()
    if first in PERSONAL_PRONOUNS and " " not in speaker:
        speaker = _speaker_of(previous, episode)
    elif first in STOPWORDS or first in ANAPHORA:
        return None  # `This says …`, `The study notes …` is no person's claim
    verb = match.groupdict().get("verb")  # none after `According to X,`: a clause follows
    is_clause = not verb or bool(match.group("that")) or verb.split()[0] in CLAUSE_VERBS
    lead = f"According to {speaker}," if speaker else ""
    return Attribution(speaker, match.group("claim"), match.start("claim"), is_clause, lead)


_SETTING = re.compile(r"^(?:[A-Z][a-z]*)\b[^,;:]{1,80},\s+")


def setting_end(key_point: str) -> int:
    """Where a setting at the front ends (`In the Southern Hemisphere, |…`, `During a drought, |…`), else 0.

    A time, place or condition is rarely the fact a key point states: it is
    kept in front of the question and hidden only when nothing else can be.
    """
    match = _SETTING.match(key_point)
    if not match or match.group().split(" ", 1)[0].lower() not in SETTING_OPENERS:
        return 0
    return match.end()


MAX_FRAME_WORDS = 14
_PUNCTUATION = re.compile(r",(?!\d{3})|[;:()]")  # a comma that is no thousands separator (`1,500 buyers`)


def reported(key_point: str, speakers: frozenset[str] = frozenset()) -> Attribution | None:
    """`<subject> <verb> [a phrase] that <claim>`, `<study> found <claim>`, `<speaker> <verb> <claim>`."""
    start = setting_end(key_point)
    words = [w for w in tokens(key_point) if w.start >= start][:MAX_FRAME_WORDS + 2]
    if len(words) < 3 or words[0].lower in ANAPHORA or words[0].lower in ("you", "we", "i"):
        return None
    that = next((i for i in range(2, len(words)) if words[i].lower == "that"), None)
    verb = None
    if that is not None:  # the verb nearest before `that`, with at most a phrase between (`agrees with Klein`)
        verb = next((i for i in range(that - 1, 0, -1) if _finite_verb(words[i])
                     and (i == that - 1 or words[i + 1].lower in PREPOSITIONS)), None)
    if verb is not None and that is not None and not _PUNCTUATION.search(key_point[words[0].start:words[that].start]):
        claim_start = words[that].end + 1
    else:
        speaker = next((i for i in range(1, 4) if i < len(words) and words[i - 1].text in speakers
                        and _finite_verb(words[i])), None)
        verb = speaker or next((i for i, w in enumerate(words[1:], 1) if w.lower in FINDING_VERBS
                                and _finite_verb(w)), None)
        if verb is None or _PUNCTUATION.search(key_point[words[0].start:words[verb].start]):
            return None
        claim_start = words[verb].end + 1
        if claim_start >= len(key_point):
            return None
        subject = key_point[words[0].start:words[verb - 1].end]
        return Attribution(subject if speaker else "", key_point[claim_start:], claim_start, False, "")
    subject = key_point[words[0].start:words[verb - 1].end]
    if claim_start >= len(key_point):
        return None
    lead = f"According to {subject[:1].lower() + subject[1:] if words[0].lower in STOPWORDS else subject},"
    return Attribution(subject, key_point[claim_start:], claim_start, True, lead)


def _finite_verb(word: Token) -> bool:
    """A lowercase verb form that can head a clause: `found`, `estimate`, `agrees`; not `is`, `the`, `data`."""
    lower = word.lower
    if not word.text.islower() or lower in STOPWORDS or "VERB" not in parts_of_speech(lower):
        return False
    return not lower.endswith("ing")


def _speaker_of(previous: str, episode: str) -> str:
    """Who `he` or `she` is: the speaker of the key point before, or the person it is about
    (`Alexander Fleming discovered …`), else the episode's guest."""
    before = attribution(previous) if previous else None
    if before and before.speaker:
        return before.speaker
    person = _PERSON_SUBJECT.match(previous)
    if person:
        return person.group(1)
    guest = _GUEST.search(episode)
    return guest.group("name") if guest else ""


_PERSON_SUBJECT = re.compile(r"^(?!(?:The|A|An|This|These|Those|In|On|At|By)\b)([A-Z][a-z]+(?: [A-Z][a-z]+){1,2}) "
                             r"(?=[a-z]+ed\b|[a-z]+s\b)")  # `Alexander Fleming discovered …`; not `The Ever Given`


def contrast(key_point: str) -> Attribution | None:
    """`Unlike light rail, bus rapid transit …`: the claim after the comma, the contrast kept in front."""
    opening = _CONTRAST.match(key_point)
    if not opening:
        return None
    claim = key_point[opening.end():].lstrip()
    return Attribution("", claim, len(key_point) - len(claim), True, opening.group())


def claim_verbs(frame: Attribution | None, words: Sequence[Token]) -> set[int]:
    """The verbs of an attributed claim, read as a sentence of its own (positions in the key point)."""
    if frame is None:
        return set()
    claim_words = tokens(frame.claim)
    offset = frame.claim_start
    starts = {w.start: i for i, w in enumerate(words)}
    return {starts[claim_words[i].start + offset] for i in verb_positions(frame.claim, claim_words)
            if claim_words[i].start + offset in starts}


class Referent(NamedTuple):
    """What a key point's opening pronoun stands for: `[These crystals] make …` → `aluminous tobermorite crystals`."""

    phrase: str  # the phrase from the key point before, capitalised
    end: int  # where the pronoun (and its noun) ends in the key point

    def named(self, key_point: str) -> str:
        """The key point with the referent in the pronoun's place."""
        return self.phrase + key_point[self.end:]


def name_referent(key_point: str, previous: str) -> str | None:
    """The key point with its opening pronoun replaced by what it stands for in `previous`, or None."""
    referent = resolve_referent(key_point, previous)
    return referent.named(key_point) if referent else None


def resolve_referent(key_point: str, previous: str) -> Referent | None:
    """What the key point's opening pronoun stands for in `previous`, or None when it cannot be named.

    `These/This/Those <noun>` → the phrase of `previous` that ends in the same
    noun; `They`/`It` → the subject of `previous` when it agrees in number
    (and `It` is no person's name).
    """
    words, before = tokens(key_point), tokens(previous)
    if len(words) < 3 or not before:
        return None
    opener = words[0].lower
    if opener in ("this", "these", "those") and "NOUN" in parts_of_speech(words[1].lower):
        head = rough_singular(words[1].lower)
        for i, word in enumerate(before):
            if rough_singular(word.lower) == head and word.lower not in STOPWORDS:
                first = i
                while first > 0 and _modifies(before[first - 1]) and adjacent(before, first - 1):
                    first -= 1
                return Referent(with_capital(previous[before[first].start:word.end]), words[1].end)
        return None
    if opener in ("they", "it"):
        clause = read_clause(previous, tokens(previous))
        if clause is None:
            return None
        subject = clause.subject
        plural = plural_noun(tokens(subject)[-1])
        person = " " in subject and all(w.text[:1].isupper() for w in tokens(subject))
        if (opener == "they") != plural or person or subject.split()[0].lower() in ANAPHORA:
            return None
        return Referent(with_capital(subject), words[0].end)
    return None


def _modifies(word: Token) -> bool:
    """A word that can stand before a noun in its phrase: `soil`, `long-term`, `aluminous` (a rare word)."""
    parts = parts_of_speech(word.lower)
    known = bool(parts & {"ADJ", "NOUN"}) or parts == {""}
    return word.lower not in STOPWORDS and not word.text[0].isdigit() and known


def opens_with_pronoun(key_point: str) -> bool:
    """`This would address sanctions …`: the key point leans on the one before it."""
    words = tokens(key_point)
    return bool(words) and words[0].lower in PRONOUN_OPENERS
