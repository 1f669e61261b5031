"""The clause reader: a key point's main clause, its subject and its main verb.

No parser and no model: key points are short declaratives written by an AI,
so a reader that sets aside a leading phrase and an aside, then finds the
subject and the main verb, is enough. The verbs come from `tagger` (verbs
make poor cloze targets).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from cards.cardmaker.tagger import Tagged
from cards.cardmaker.types import Attribution, Frames, Imperative, Mood, Reading, Token
from cards.cardmaker.words import (
    ADJECTIVE_ENDINGS,
    ADVERBS,
    ANAPHORA,
    AUXILIARIES,
    COMMON_VERBS,
    DETERMINERS,
    PERSON_VERBS,
    PREPOSITIONS,
    STOPWORDS,
    SUBORDINATORS,
    UNKNOWN,
    VERBS_AMONG_STOPWORDS,
    moved,
    with_text,
)


class Spoken(NamedTuple):
    """`Lemkin cautions against hiring …`: a claim that is no clause, read with its speaker as its subject."""

    text: str
    words: tuple[Token, ...]
    verbs: frozenset[int]
    clause: Clause | None  # the main clause of its first sentence


class Claims(NamedTuple):
    """What the clause reader makes of a key point read as frame and claim."""

    advice: Imperative | None  # the key point is advice in the imperative
    frame: Attribution | None  # who or what the claim is attributed to (none for advice)
    lead: Attribution | None  # what a question keeps in front: that frame, or a contrast
    verbs: frozenset[int]  # the tokens read as verbs: never a target
    clause: Clause | None  # the main clause of the claim's first sentence, when it is a statement
    spoken: Spoken | None  # the claim with its speaker as subject, when the claim is no clause
    tags: tuple[str, ...] = ()  # each word's part of speech (`tagger.tag`)


def read_claims(framed: Frames, mood: Mood, tagged: Tagged) -> Claims:
    """The main clause of the claim, and of the claim in its speaker's mouth, gathered with its mood and parts
    of speech: read once for the cloze maker and the question writer."""
    text, words, lead, verbs = framed.text, framed.words, mood.lead, tagged.verbs
    claim = Reading(text=text, words=words, verbs=verbs, targets=(), claim_start=lead.claim_start if lead else 0)
    clause = _claim_clause(claim, bool(framed.before))
    spoken = None
    if mood.spoken:
        said = mood.spoken
        spoken = Spoken(text=said.text, words=said.words, verbs=tagged.spoken_verbs,
                        clause=_claim_clause(Reading(text=said.text, words=said.words, verbs=tagged.spoken_verbs,
                                                     targets=())))
    return Claims(advice=mood.advice, frame=mood.frame, lead=lead, verbs=verbs, clause=clause, spoken=spoken,
                  tags=tagged.tags)


def _claim_clause(reading: Reading, shown_before: bool = False) -> Clause | None:
    """The main clause of the claim's first sentence (`reading.claim`, capitalised), or None when it is advice."""
    offsets = claim_verb_offsets(reading)  # finite verbs: not after `to`
    claim, claim_start, words = reading.claim, reading.claim_start, reading.words
    indent = len(claim) - len(claim.lstrip())
    sentence = _SENTENCE_END.split(claim.strip(), maxsplit=1)[0]
    shift = claim_start + indent
    end = shift + len(sentence)
    if shift:
        sentence_words = tuple([moved(w, -shift) for w in words if w.start >= shift and w.end <= end])
    else:  # most claims open the key point: its tokens stand where they stood, no call a word to move none
        sentence_words = tuple([w for w in words if w.end <= end])
    if sentence_words and sentence_words[0].start == 0:
        first = sentence_words[0]
        sentence_words = (with_text(first, first.text[:1].upper() + first.text[1:]), *sentence_words[1:])
    if is_imperative(sentence_words):
        return None  # `Look for existing infrastructure like …`: advice, asked in its own form or not at all
    clause = read_clause(sentence, sentence_words, frozenset([o - indent for o in offsets]), shown_before)
    if clause is not None and reading.text[claim_start:].lstrip()[:1].islower():
        return clause._replace(lowered=True)  # its capital is the claim's, not the key point's
    return clause


def claim_verb_offsets(reading: Reading) -> frozenset[int]:
    """Where the claim's finite verbs start, in the claim's own coordinates (infinitives left out)."""
    words, start = reading.words, reading.claim_start
    return frozenset([words[i].start - start for i in reading.verbs
                      if words[i].start >= start and not (i and words[i - 1].lower == "to")])


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


_LEADING = re.compile(
    r"^(?:(?:If|When|While|After|Before|Once|Although|Because|As|Since|Unless)\b[^,]{3,80}"
    r"|(?:By|In|Since|Until|Around|Before|After) (?:1[5-9]\d\d|20\d\d)"
    r"|(?:By|In|During|Over|For|At|Within|Across|Among|Under|Throughout|Without|On) [^,]{2,60}),\s+"
)


# Openings that link a key point to the one before it, not a setting of its own.
_CONNECTIVE = re.compile(r"(?:By|In) (?:contrast|comparison|addition|turn|fact|practice|short|general),\s+", re.I)


# `During slow-wave sleep the hippocampus …`: a leading phrase with no comma before its subject.
_LEADING_BARE = re.compile(r"^((?:During|After|Before|Throughout|Within|Over) [^,]{3,50}?) (?=(?:the|a|an) [a-z])")


_ASIDE = re.compile(
    r"^([^,]{2,60}), ((?:\w+ed|\w+ing|who|which|a|an|the)\b[^,]{2,80}"
    r"|(?!(?:and|or|but|so|yet)\b)[a-z]+ [a-z]+ [^,]{2,80}), "  # `Sleep spindles, brief bursts of …, predict …`
)


_LABEL_MARK = re.compile(r"[;:()]")  # between a subject and its verb: a label and what it heads


_ENUMERATED_SUBJECT = re.compile(r"^[^,]+(?:, [^,]+)+,? and [^,]+$|^(?:[a-zA-Z-]+, )+[a-z-]+ [a-z-]+$")


class Clause(NamedTuple):
    """`[prefix] subject verb rest`: the main clause of a key point."""

    prefix: str
    text: str
    words: Sequence[Token]
    subject_start: int
    verb: int
    subject_end: int
    lowered: bool = False  # the key point wrote the claim's first word in lower case (`Unlike …, [arbuscular] …`)

    @property
    def verb_token(self) -> Token:
        return self.words[self.verb]

    @property
    def subject(self) -> str:
        return self.text[self.words[self.subject_start].start:self.words[self.subject_end - 1].end].strip()

    @property
    def lexical(self) -> int:
        """The lexical verb: the word after an auxiliary (`should [centralize]`)."""
        after = self.verb + 1
        while after < len(self.words) and _is_adverb(self.words[after]):
            after += 1
        verb = self.words[self.verb].lower
        if verb in ("has", "have", "had") and takes_object(self):
            return self.verb
        if verb in AUXILIARIES and after < len(self.words):
            return after
        return self.verb


def function_word(word: Token) -> bool:
    """A stopword, unless it is an acronym: `US` is no `us`."""
    return word.lower in STOPWORDS and not word.acronym


def _is_adverb(word: Token) -> bool:
    """An adverb between a subject and its verb: `now`, `not`, `largely`, `last` (`… last shut down`)."""
    return (word.lower in ADVERBS or word.lower in ("not", "n't", "last")
            or (word.lower.endswith("ly") and len(word.lower) > 4))


def is_imperative(words: Sequence[Token]) -> bool:
    """Opens with a verb's base form, then a preposition or an article: `Look for …`, `Study the …`."""
    if len(words) < 2 or words[0].lex.verb_base != words[0].lower:
        return False
    return words[1].lower in PREPOSITIONS or words[1].lower in DETERMINERS


PRONOUN_SUBJECTS = frozenset("he she they it".split())


def _names_its_noun(words: Sequence[Token]) -> bool:
    """`These bacteria …`, `This optical correction …`: a demonstrative with its noun, read as a subject when the
    key point it points back to is shown above it (`This is why …`, `These include …` are not)."""
    if words[0].lower not in ("this", "these", "that", "those"):
        return False
    following = words[1]
    if following.lower in STOPWORDS or following.lower in AUXILIARIES:
        return False
    if following.plural and "NOUN" in following.lex.parts:
        return words[0].lower in ("these", "those")  # `These worms`; but `This [helps] …`, `This [costs] …`: verbs
    inflected = following.lex.verb_base not in ("", following.lower)  # `These included …`
    return not following.lex.parts.isdisjoint(("NOUN", "ADJ")) and not inflected


def _clause_goes_on(kept: Sequence[tuple[int, Token]], after: int, verb_offsets: frozenset[int]) -> bool:
    """After a phrase set off by commas, the clause goes on: a phrase (`the Ideal X, [from] Newark …`), an adverb
    (`…, [more] closely`) or a verb (`…, packed with sawdust, [cut] …`). Otherwise the comma parted a list or a
    place (`the groin, [armpits] and neck`, `Merca, [Somalia]`)."""
    following = next(((at, w) for at, w in kept if w.start >= after), None)  # `at`: where it stands in the key point
    if following is None:
        return False
    at, word = following
    # `cut`, read as a noun when `insulated` was taken for the verb, goes on with the clause; `including …` opens a
    # phrase, and `ridges`, `tens` are the next items of a list
    verb = at in verb_offsets or ("VERB" in word.lex.parts and not word.lower.endswith(("ing", "s")))
    return word.lower in PREPOSITIONS or "ADV" in word.lex.parts or verb


def read_clause(sentence: str, words: Sequence[Token], verb_offsets: frozenset[int] = frozenset(),
                shown_before: bool = False) -> Clause | None:
    """Split off a leading clause and an aside, then find the main verb.

    `words` are the tokens of `sentence`; `verb_offsets` are where the cloze
    maker read finite verbs in it: the first of them, if it comes before any
    sure verb, is the main verb. An opening `They`, `It`, `He` or `She` is a
    subject when the key point it points back to is `shown_before` it on the
    card (`They mostly glow blue …` → `What colour do they mostly glow …?`).
    """
    prefix, shift = "", 0
    match = _LEADING.match(sentence)
    bare = _LEADING_BARE.match(sentence)
    if match:
        prefix, sentence, shift = match.group(), sentence[match.end():], match.end()
        if _CONNECTIVE.fullmatch(prefix):
            prefix = ""  # `By contrast, …` points at the key point before: a card stands alone without it
    elif bare:
        prefix, sentence, shift = bare.group(1) + ", ", sentence[bare.end():], bare.end()
    if shift:
        kept = [(w.start, moved(w, -shift)) for w in words if w.start >= shift]
    else:  # most sentences have no leading clause: no call a word to move none
        kept = [(w.start, w) for w in words]
    aside = _ASIDE.match(sentence)
    after_verb = aside is not None and any(at in verb_offsets for at, w in kept if w.end <= aside.end(1))
    if aside is not None and after_verb and aside.group(2).split(" ", 1)[0].endswith("ing"):
        aside = None  # `Pitcher plants drown prey …, using a waxy, slippery rim …`: after the verb, a participle
        # opens a phrase that runs to the end, whatever commas it holds (`covering the appraisal, title …`)
    elif aside is not None and after_verb and not _clause_goes_on(kept, aside.end(), verb_offsets):
        # `… is named for buboes, the swollen lymph nodes … in the groin, armpits and neck`: after the verb, a phrase
        # set off by a comma that the clause does not go on after describes what comes before it and runs to the
        # end (its commas part a list or a place): it goes to the back, as a trailing clause does
        sentence = sentence[:aside.end(1)] + "."
        kept = [(at, w) for at, w in kept if w.end <= aside.end(1)]
        aside = None
    if aside:  # `Sleep spindles, brief bursts of …, predict …`: the aside is left out
        removed = aside.end() - aside.end(1) - 1
        sentence = sentence[:aside.end(1)] + " " + sentence[aside.end():]
        kept = [(at, w if w.end <= aside.end(1) else moved(w, -removed))
                for at, w in kept if w.end <= aside.end(1) or w.start >= aside.end()]
    words = tuple([w for _, w in kept])
    hints = frozenset([i for i, (at, _) in enumerate(kept) if at in verb_offsets])
    if len(words) < 3 or words[0].lower in ("you", "we", "i"):
        return None
    if words[0].lower in ANAPHORA and not ((prefix or shown_before) and words[0].lower in PRONOUN_SUBJECTS) \
            and not (shown_before and _names_its_noun(words)):
        return None  # `This would …` points at another key point; `If X …, he …` points at X
    start = 1 if words[0].lower in ("the", "a", "an") else 0
    quantity = len(words) > start + 1 and words[start + 1].lex.number  # `About 65% of …`, `Over 80% of …`
    if words[start].lower in PREPOSITIONS and not words[start].acronym and not quantity:
        return None  # `During sleep the …`: a leading phrase without its comma
    verb = _main_verb(words, start, hints)
    if verb is None or verb <= start or sentence[words[verb].end:words[verb].end + 1] == ",":
        return None  # `Sleep spindles, brief bursts of …, predict …`: a word before a comma ends a subject
    subject_end = verb
    while subject_end - 1 > start and _is_adverb(words[subject_end - 1]):
        subject_end -= 1
    subject = sentence[words[start].start:words[subject_end - 1].end]
    if _LABEL_MARK.search(sentence, words[start].start, words[verb].start) \
            or ("," in subject and not _ENUMERATED_SUBJECT.match(subject.strip())):
        return None  # `Safety rules: never enter …`: a label and what it heads, no subject and its verb
    return Clause(prefix, sentence, words, start, verb, subject_end)


def _main_verb(words: Sequence[Token], start: int, hints: frozenset[int] = frozenset()) -> int | None:
    """A sure verb (auxiliary, `said`, `left`) or one the cloze maker read, else `plural noun + verb`,
    else `…s`/`…ed`."""
    weak = plural = None
    for i in range(start + 1, min(len(words), start + 11)):
        word = words[i].lower
        if word in SUBORDINATORS and not _opens_a_phrase(words, i):
            break  # a verb after `before`, `which` … belongs to another clause; `before 18 months` is no clause
        participle = words[i].lex.irregular and words[i - 1].plural and i + 1 < len(words) \
            and words[i + 1].lower in PREPOSITIONS  # `babies born by caesarean section start …`
        second = words[i - 1].lower == "and" and weak is not None  # `standardized texts and made …`
        if words[i].acronym:
            continue  # `modern [LED] bulbs can last …`: capitals make a name, never a verb (`led`)
        if (word in AUXILIARIES or words[i].lex.irregular or word in PERSON_VERBS or word in COMMON_VERBS
                or i in hints) and not participle:
            return weak if second else i
        if plural is None and _plural_then_base_verb(words[i - 1], words[i]):
            plural = i
        if weak is None and verb_only(words, i):
            weak = i
        if weak is None and _weak_verb(words, i, start) and not _noun_before_phrase(words, i):
            weak = i
    if weak == start + 1 and plural == weak + 1 and "VERB" in words[plural].lex.parts:
        return plural  # `Cover crops protect`: a two-word subject ends in a plural; the verb follows it
    found = [i for i in (plural, weak) if i is not None]
    if not found and start + 2 < len(words) and _base_verb_before_object(words, start + 1):
        return start + 1  # `Mitochondria produce most of …`
    return min(found) if found else None


def _opens_a_phrase(words: Sequence[Token], i: int) -> bool:
    """Word i, which may open a clause, opens a phrase here: `before [18] months`, `after [the] 1920s` (`after`,
    `before`, `until` before a number or an article: no subject and verb follow)."""
    following = words[i + 1] if i + 1 < len(words) else None
    return following is not None and (following.lex.number or (
        words[i].lower in PREPOSITIONS and following.lower in ("the", "a", "an")))


def _noun_before_phrase(words: Sequence[Token], i: int) -> bool:
    """`the maritime routes through the Indian Ocean carried …`: a plural noun that a phrase follows.

    A verb in -s takes a preposition too (`depends on`), but lemminflect knows
    `depends` as no noun; `routes`, `costs`, `works` need a later verb to lose.
    """
    if i + 1 >= len(words) or words[i + 1].lower not in PREPOSITIONS or "NOUN" not in words[i].lex.parts:
        return False
    return any(words[j].lower.endswith("ed") or words[j].lower in AUXILIARIES or words[j].lex.irregular
               for j in range(i + 2, min(len(words), i + 10)))  # not an -s word: `emissions` is no verb


def _base_verb_before_object(words, i: int) -> bool:
    """A lowercase word right after a one-word subject, followed by `most`, `the`, `a` …"""
    word, following = words[i], words[i + 1].lower
    return (
        word.text.islower() and word.lower not in STOPWORDS and not word.lower.endswith(ADJECTIVE_ENDINGS)
        and following in ("the", "a", "an", "most", "many", "some", "all", "its", "their")
    )


def _plural_then_base_verb(head: Token, following: Token) -> bool:
    """`Glaciers carve`, `electronics rely`: a plural noun, then a base-form verb."""
    word = following.lower
    return (
        head.plural and not following.lex.parts.isdisjoint(("VERB", ""))  # not `streams once`
        and following.lex.verb_base in ("", word)  # a base form: not `babies born`
        and following.text[0].islower() and "-" not in word and not adjective_like(word)
        and (word not in STOPWORDS or word in VERBS_AMONG_STOPWORDS) and not word.endswith("s")
        and head.end + 1 == following.start and head.lower not in STOPWORDS
    )


def verb_only(words: Sequence[Token], i: int) -> bool:
    """`Parrotfish graze`, `toddlers know`: a word lemminflect knows only as a verb, not in -ed or -ing."""
    word = words[i]
    return (word.text.islower() and word.lower not in STOPWORDS  # `like`: lemminflect lists it as a verb only
            and word.lex.parts == {"VERB"} and not word.lower.endswith(("ed", "ing"))
            and words[i - 1].lower not in STOPWORDS and words[i - 1].lower not in ("to",))


def adjective_like(word: str) -> bool:
    """`extensive`, `stratified`, but not `need` or `feed`."""
    return word.endswith(ADJECTIVE_ENDINGS) and not word.endswith("eed")


def _weak_verb(words: Sequence[Token], i: int, start: int) -> bool:
    word, previous = words[i].lower, words[i - 1].lower
    if words[i].text[0].isupper() or word in STOPWORDS or previous in STOPWORDS or word in ADVERBS:
        return False
    if words[i].start - words[i - 1].end != 1:
        return False  # `Cars, appliances`: a list, not a verb
    if i == start + 1 and previous.endswith("ing") and words[i - 1].lex.zipf >= 3.5:
        return False  # `Hanging valleys form`: the -ing word is a modifier
    if word.endswith("ed") and len(word) > 4:
        # `Wolves reintroduced to Yellowstone … changed …`: a participle, then the verb.
        following = words[i + 1].lower if i + 1 < len(words) else ""
        clause_end = next((j for j in range(i + 1, len(words)) if words[j].start - words[j - 1].end > 1),
                          len(words))  # a comma ends the clause: `boomed in 2020, when … doubled`
        later = any(w.lower.endswith("ed") and len(w.lower) > 4 for w in words[i + 2:min(i + 9, clause_end)])
        return not (following in PREPOSITIONS and later)
    following = words[i + 1].lower if i + 1 < len(words) else ""
    # `products improved`, `erratics are`: a plural noun before the real verb.
    followed_by_verb = following in AUXILIARIES or (following.endswith("ed") and len(following) > 4)
    return (
        word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")) and not followed_by_verb
        and words[i].lex.base != word and words[i].lex.parts != UNKNOWN  # `lime clasts`: the lexicon knows verbs
    )


def takes_object(clause: Clause) -> bool:
    """`has thousands of chips` (a verb) rather than `has joined` (an auxiliary)."""
    words = clause.words
    if clause.verb + 1 >= len(words):
        return True
    token = words[clause.verb + 1]
    following = token.lower
    return not (following.endswith(("ed", "en")) or following in ("been", "not", "never", "already", "also")
                or (token.lex.irregular and "NOUN" not in token.lex.parts))  # `has grown`
