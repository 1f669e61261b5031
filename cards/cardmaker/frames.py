"""Frames around a key point's claim: who said it, what it is set against, what a pronoun points back to.

`Osei argues that |…`, `According to Osei, |…`, `Unlike light rail, |…`:
the claim is what a card asks about; the frame is kept in front of the
question and never hidden.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cards.cardmaker.clause import read_clause
from cards.cardmaker.tagger import AUX, VERB, VERBAL, tag
from cards.cardmaker.types import Attribution, Frames, Referent, SetAside, Token
from cards.cardmaker.words import (
    ADVERBS,
    ANAPHORA,
    AUXILIARIES,
    BE,
    CLAUSE_VERBS,
    DETERMINERS,
    FINDING_VERBS,
    MASS_FINDINGS,
    OTHER_ATTRIBUTION_VERBS,
    PERSONAL_PRONOUNS,
    PREPOSITIONS,
    PRONOUN_OPENERS,
    SETTING_OPENERS,
    STOPWORDS,
    UNKNOWN,
    Part,
    is_people_noun,
    moved,
    tokens,
)


def read_frames(part: Part, previous: str, episode: str, speakers: frozenset[str]) -> Frames:
    """The key point read as frame and claim: what its pronoun stands for, its setting, who said it, what it
    is set against. `part` is what `words.read_part` read of it; `speakers` the words of the speakers' names."""
    key_point, key_words = part.key_point, part.key_words
    before = previous if previous and part.words and part.words[0].lower in PRONOUN_OPENERS else ""
    referent = _resolve(part.words, previous) if before else None
    text, words, shown = part.text, part.words, key_words
    if referent is not None:  # read with the referent in the pronoun's place
        shift = len(referent.phrase) - referent.end
        text = referent.phrase + part.text[referent.end:]
        words = referent.words + _placed(part.words, shift, referent.end)
        shown = referent.words + _placed(key_words, shift, referent.end)
        shown += tuple(w for w in key_words if w.start < referent.end)  # `This outbreak`: on the front too
    setting = setting_end(text)
    opening = _CONTRAST.match(text)
    tail = _TAIL.search(text)
    aside = SetAside(opening.end() if opening else None, tail.start() if tail else None, setting)
    return Frames(key_point, key_words, before, referent, text, words, part.whole, shown,
                  _read_frame(text, words, previous, episode, speakers, setting), _contrast(text, opening), aside)


# What follows the claim and gives its cause, consequence, exception or contrast: another fact, after it.
_TAIL = re.compile(r",\s+(?:including|which|but|while|whereas|though|although|because|since|so|[a-z]+ing)\b"
                   r"|\s(?:because|since|rather than|instead of|unless)\s")


_CONTRAST = re.compile(r"^(?:Rather than|Instead of|Unlike|Compared with|Compared to|Despite)\b[^,]{2,80},")


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


_GUEST = re.compile(
    r"\bwith (?:(?:Dr|Prof|Professor|GM|Sir|Dame)\.?\s+)?(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})\s*$"
)


def attribution(key_point: str, previous: str = "", episode: str = "",
                speakers: frozenset[str] = frozenset()) -> Attribution | None:
    """The speaker or finding frame of a key point (see `_read_frame`)."""
    return _read_frame(key_point, tokens(key_point), previous, episode, speakers)


def _read_frame(key_point: str, words: Sequence[Token], previous: str, episode: str,
                speakers: frozenset[str], setting: int | None = None) -> Attribution | None:
    """The speaker or finding frame of a key point, for any speaker's name (not a list of names).

    `She warns that …` is a frame too: its speaker is the one the key point
    before named, else the guest the episode title names (`… with Dr. Maya
    Osei`), else unknown (""). So is any subject whose verb `that` follows
    (`Osei agrees with Klein that …`, `A 2023 review concluded that …`), the
    subject of a verb reporting a finding (`A 2016 study found …`), and a
    speaker of the episode whatever the verb (`Marchand prefers …`); a
    setting may come first (`In 1997, Simard showed that …`); `setting` is where it ends (`setting_end`),
    when the caller has read it.
    """
    match = _ATTRIBUTION.match(key_point) or _ACCORDING.match(key_point)
    if not match:
        return _reported(key_point, words, speakers, setting_end(key_point) if setting is None else setting)
    speaker = match.group("speaker")
    first = speaker.split()[0].lower()
    if first in PERSONAL_PRONOUNS and " " not in speaker:
        speaker = _speaker_of(previous, episode)
        named = tokens(speaker)  # a name from the key point before or the episode's title
    elif first in STOPWORDS or first in ANAPHORA:
        return None  # `This says …`, `The study notes …` is no person's claim
    else:
        named = tuple([w for w in words if w.end <= match.end("speaker") and w.start >= match.start("speaker")])
    verb = match.groupdict().get("verb")  # none after `According to X,`: a clause follows
    is_clause = not verb or bool(match.group("that")) or verb.split()[0] in CLAUSE_VERBS
    lead = f"According to {speaker}," if speaker else ""
    return Attribution(speaker, match.group("claim"), match.start("claim"), is_clause, lead, named)


_SETTING = re.compile(r"^(?:[A-Z][a-z]*)\b[^,;:]{1,80},\s+")


def setting_end(key_point: str) -> int:
    """Where a setting at the front ends (`In the Southern Hemisphere, |…`, `During a drought, |…`), else 0.

    A time, place or condition is rarely the fact a key point states: it is
    kept in front of the question and hidden only when nothing else can be.
    """
    match = _SETTING.match(key_point)
    if not match or (match.group().split(" ", 1)[0].lower() not in SETTING_OPENERS and not _PURPOSE.match(key_point)):
        return 0
    if _APPROXIMATE.match(key_point):
        return 0  # `Around 90% of land plants form …`: an amount, the claim's subject
    return match.end()


# `To see retreat for yourself, …`, `To prevent swarming, …`: a purpose in front (a verb's base form after `To`).
_PURPOSE = re.compile(r"^To\s+(?!be\b|date\b)[a-z]+\b(?=[^,;:]*,)")


_APPROXIMATE = re.compile(r"^(?:About|Around|Over|Under)\s+[$€£]?\d")


MAX_FRAME_WORDS = 14
_PUNCTUATION = re.compile(r",(?!\d{3})|[;:()]")  # a comma that is no thousands separator (`1,500 buyers`)


def _possessed(words: Sequence[Token]) -> bool:
    """A possessive among these words (`Mark Twain's`): the words after it are the noun it has."""
    return any(w.text.endswith(("'s", "’s")) for w in words)


def _reported(key_point: str, tokens: Sequence[Token], speakers: frozenset[str], start: int) -> Attribution | None:
    """`<subject> <verb> [a phrase] that <claim>`, `<study> found <claim>`, `<speaker> <verb> <claim>`, after a
    setting that ends at `start`."""
    words = [w for w in tokens if w.start >= start][:MAX_FRAME_WORDS + 2]
    if len(words) < 3 or words[0].lower in ANAPHORA or words[0].lower in ("you", "we", "i"):
        return None
    lowers = [w.lower for w in words]
    that = lowers.index("that", 2) if "that" in lowers[2:] else None
    verb = None
    if that is not None:  # the verb nearest before `that`, with at most a phrase between (`agrees with Klein`)
        verb = next((i for i in range(that - 1, 0, -1) if _finite_verb(words[i])
                     and words[i - 1].lower not in PREPOSITIONS  # `points to [evidence] that`: a noun
                     and words[i - 1].lower not in DETERMINERS
                     and (i == that - 1 or words[i + 1].lower in PREPOSITIONS)), None)
        if verb is not None and verb > 1 and words[verb].plural and "NOUN" in words[verb].lex.parts \
                and _finite_verb(words[verb - 1]) and not _possessed(words[:verb]):
            verb -= 1  # `Nowak reports [estimates] that …`: the noun `that` follows is what the verb reports
            # (not `Mark Twain's rule [holds] that …`: after a possessive comes its noun, no verb)
        if verb is not None and _relative_that(words, verb, that):
            verb = None
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
        if speaker or not _a_clause(key_point, words, claim_start):
            subject = key_point[words[0].start:words[verb - 1].end]  # no clause to ask about: no question
            return Attribution(subject if speaker else "", key_point[claim_start:], claim_start, False, "",
                               tuple(words[:verb]) if speaker else ())
        # `A 2019 Google study found SMS codes blocked …`: a finding's clause without `that`, framed as with it
    subject = key_point[words[0].start:words[_subject_end(words, verb)].end]
    if claim_start >= len(key_point):
        return None
    setting = key_point[:start].strip()  # `In 2021, according to researchers, …`: the setting stays in front
    named = _lead_subject(subject, words[0], speakers)
    lead = f"{setting} according to {named}," if setting else f"According to {named},"
    return Attribution(subject, key_point[claim_start:], claim_start, True, lead, tuple(words[:verb]))


def _relative_that(words: Sequence[Token], verb: int, that: int) -> bool:
    """`that` opens a relative clause about the noun before it, or a result after `so`/`such`, not what a verb
    reports: the subject already has its verb (`Khipus [were] bundles of … cords that …`), the word read as the
    verb is a noun after its modifier (`extra wet [soil] that roots cannot reach`), or a verb follows `that` at
    once (`a school [program] that [sent] children …`)."""
    if any(w.lower in BE for w in words[1:verb - 1]):
        return True
    if any(w.lower in ("so", "such") for w in words[1:that]):
        return True  # `soils [so] poor in nitrogen that insects became …`, `ropes become [so] heavy beyond about 500
        # metres that …`: a result, not what a verb reports
    candidate, before = words[verb], words[verb - 1]
    if verb == that - 1 and "NOUN" in candidate.lex.parts and "ADJ" in before.lex.parts \
            and before.lower not in ADVERBS and not before.lower.endswith("ly"):
        return True
    following = words[that + 1] if that + 1 < len(words) else None
    if following is not None and (following.lower in AUXILIARIES or following.lower in BE):
        return True  # `the spectrum auctions that [have] raised …`: a clause that `that` reports has its subject first
    return following is not None and following.text.islower() and following.lower not in STOPWORDS \
        and following.lex.verb_base not in ("", following.lower) and "NOUN" not in following.lex.parts


def _a_clause(key_point: str, words: Sequence[Token], start: int) -> bool:
    """What follows a finding's verb is a clause of its own (`A 2019 study found [SMS codes blocked …]`), not the
    verb's object (`… found [no reliable difference in reading speed]`)."""
    rest = key_point[start:]
    clause = read_clause(rest, _placed(words, -start, start))
    if clause is None:
        return False
    verb = clause.words[clause.verb]  # a sure finite form: `blocked`, `grew`, `can`; not `[rates]`, `[drop]`, `[near]`
    return verb.lower in AUXILIARIES or verb.lex.irregular or (verb.lower.endswith("ed") and "VERB" in verb.lex.parts)


def _subject_end(words: Sequence[Token], verb: int) -> int:
    """The last word of the frame's subject: before the auxiliaries and adverbs of its verb (`Okafor [has long]
    argued`, `Okafor [is] convinced`, `Surveys [consistently] show`)."""
    end = verb - 1
    while end > 0 and (words[end].lower in AUXILIARIES or words[end].lower in ADVERBS
                       or (words[end].lower.endswith("ly") and "ADV" in words[end].lex.parts)
                       or words[end].lex.parts == {"ADV"}
                       or ("ADV" in words[end].lex.parts and words[end - 1].lower in AUXILIARIES)):  # `has long`
        end -= 1
    return end


def _lead_subject(subject: str, first: Token, speakers: frozenset[str] = frozenset()) -> str:
    """The subject as a question's lead shows it after `According to`: a common word that opens the key point loses
    the capital the sentence gave it (`According to surveys`, `… to data from Norway`, `… to a 2019 study`); a
    name keeps it (`According to Okafor`, `… to Google researchers`), and so does a speaker's name that is also a
    word (`According to Brooks`, not `brooks`)."""
    if first.text in speakers:
        return subject
    common = first.lower in STOPWORDS or first.lower in MASS_FINDINGS or (
        first.plural and "NOUN" in first.lex.parts and first.text[1:].islower())
    return subject[:1].lower() + subject[1:] if common else subject



def _finite_verb(word: Token) -> bool:
    """A lowercase verb form that can head a clause: `found`, `estimate`, `agrees`; not `is`, `the`, `data`."""
    lower = word.lower
    if not word.text.islower() or lower in STOPWORDS or "VERB" not in word.lex.parts:
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


def _contrast(key_point: str, opening: re.Match[str] | None) -> Attribution | None:
    """`Unlike light rail, bus rapid transit …`: the claim after the comma, the contrast kept in front (`opening`,
    the key point's match of `_CONTRAST`)."""
    if not opening:
        return None
    claim = key_point[opening.end():].lstrip()
    return Attribution("", claim, len(key_point) - len(claim), True, opening.group())


def name_referent(key_point: str, previous: str) -> str | None:
    """The key point with its opening pronoun replaced by what it stands for in `previous`, or None."""
    referent = resolve_referent(key_point, previous)
    return referent.named(key_point) if referent else None


def resolve_referent(key_point: str, previous: str) -> Referent | None:
    """What the key point's opening pronoun stands for in `previous` (see `_resolve`)."""
    return _resolve(tokens(key_point), previous)


def _resolve(words: Sequence[Token], previous: str) -> Referent | None:
    """What the opening pronoun of the key point of these `words` stands for in `previous`, or None.

    `These/This/Those <noun>` → the phrase of `previous` that ends in the same
    noun; `They`/`It` → the subject of `previous` when it agrees in number
    (and `It` is no person's name).
    """
    before = tokens(previous)
    if len(words) < 3 or not before:
        return None
    opener = words[0].lower
    if opener in ("this", "these", "those") and "NOUN" in words[1].lex.parts:
        head = words[1].lex.stem
        for i, word in enumerate(before):
            if word.lex.stem == head and word.lower not in STOPWORDS:
                first = i
                tags = tag(previous, before)  # the phrase stops at a verb: `ammonia [releases] toxic chloramine fumes`
                while first > 0 and _modifies(before[first - 1]) and tags[first - 1] not in (VERB, AUX, VERBAL) \
                        and before[first].start - before[first - 1].end <= 1:
                    first -= 1
                return _referent(previous[before[first].start:word.end], words[1].end, before[first:i + 1])
        return None
    if opener in ("they", "it"):
        clause = read_clause(previous, before)
        if clause is None:
            return None
        subject = clause.subject
        named = clause.words[clause.subject_start:clause.subject_end]
        plural = named[-1].plural
        person = (len(named) > 1 and all(w.text[:1].isupper() for w in named)) \
            or (opener == "it" and any(_a_person(w) for w in named)) or clause.verb_token.lower in CLAUSE_VERBS
        # `Dutch [inventor] Cornelis Drebbel tested …`: `It` is no person; `Park [says] that …`: nor the speaker
        if (opener == "they") != plural or person or subject.split()[0].lower() in ANAPHORA:
            return None
        spoken = attribution(previous)
        if spoken is not None and spoken.speaker and spoken.claim_start > 0 and subject in spoken.speaker \
                and all(w.text[:1].isupper() for w in named):
            return None  # `Strand credits a pigeon named Cher Ami with …`: `It` is not the speaker (a study may be)
        start = clause.subject_start
        if start and clause.words[start - 1].lower in ("the", "a", "an"):  # `[The yam] let …`, not `[Yam]`
            named = clause.words[start - 1:clause.subject_end]
            subject = clause.text[named[0].start:named[-1].end]
        return _referent(subject, words[0].end, named)
    return None


def _a_person(word: Token) -> bool:
    """A noun for a person, singular too (`inventor`: `inventors` are people)."""
    return word.lex.people or (word.text.islower() and not word.plural and is_people_noun(word.lower + "s"))


def _referent(phrase: str, end: int, words: Sequence[Token]) -> Referent:
    """The phrase, capitalised, with its tokens placed in it."""
    placed = _placed(words, -words[0].start)
    placed = (placed[0]._replace(text=placed[0].text[:1].upper() + placed[0].text[1:]), *placed[1:])
    return Referent(phrase[:1].upper() + phrase[1:], end, placed)


def _placed(words: Sequence[Token], shift: int, start: int = 0) -> tuple[Token, ...]:
    """The tokens from offset `start` on, `shift` characters further on (`words.moved`): read where a referent put
    them (`[Kelp forests] shelter …` for `They shelter …`), or as a clause of their own."""
    return tuple(moved(w, shift) for w in words if w.start >= start)


def _modifies(word: Token) -> bool:
    """A word that can stand before a noun in its phrase: `soil`, `long-term`, `aluminous` (a rare word)."""
    parts = word.lex.parts
    known = not parts.isdisjoint(("ADJ", "NOUN")) or parts == UNKNOWN
    return word.lower not in STOPWORDS and not word.text[0].isdigit() and known


def opens_with_pronoun(key_point: str) -> bool:
    """`This would address sanctions …`: the key point leans on the one before it."""
    words = tokens(key_point)
    return bool(words) and words[0].lower in PRONOUN_OPENERS
