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

from cards.cardmaker.tagger import AUX, TO, VERB, tag
from cards.cardmaker.tagger import verbs as tagger_verbs
from cards.cardmaker.types import Attribution, Frames, Token
from cards.cardmaker.words import (
    ADJECTIVE_ENDINGS,
    ADVERBS,
    ANAPHORA,
    AUXILIARIES,
    COMMON_VERBS,
    DETERMINERS,
    MAX_TARGET_WORDS,
    PARTICLES,
    PERSON_VERBS,
    PERSONAL_PRONOUNS,
    PREPOSITIONS,
    STOPWORDS,
    SUBORDINATORS,
    VERBS_AMONG_STOPWORDS,
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


def read_claims(framed: Frames) -> Claims:
    """The claim's mood, parts of speech, verbs and main clause, read once for the cloze maker and the question
    writer."""
    text, words = framed.text, framed.words
    advice = None if framed.before else imperative(text, words, framed.aside.setting_end)
    frame = None if advice else framed.frame
    referent = len(framed.referent.words) if framed.referent else 0  # a noun phrase: `[Kelp forests] shelter …`
    tags = tag(text, words, frozenset({advice.verb}) if advice else frozenset(), referent)
    verbs = tagger_verbs(tags)
    lead = frame or framed.contrast
    clause = _claim_clause(text, words, verbs, lead.claim_start if lead else 0, bool(framed.before))
    spoken = None
    if frame and not frame.is_clause and frame.speaker:
        spoken = _spoken(text, words, frame)
    return Claims(advice, frame, lead, verbs, clause, spoken, tags)


def _claim_clause(text: str, words: Sequence[Token], verbs: frozenset[int], claim_start: int,
                  shown_before: bool = False) -> Clause | None:
    """The main clause of the claim's first sentence (the claim capitalised), or None when it is advice."""
    offsets = frozenset(words[i].start - claim_start for i in verbs  # finite verbs: not after `to`
                        if words[i].start >= claim_start and not (i and words[i - 1].lower == "to"))
    claim = text[claim_start:]
    claim = claim[:1].upper() + claim[1:]
    indent = len(claim) - len(claim.lstrip())
    sentence = _SENTENCE_END.split(claim.strip(), maxsplit=1)[0]
    shift = claim_start + indent
    sentence_words = tuple(_moved(w, -shift) for w in words
                           if w.start >= shift and w.end <= shift + len(sentence))
    if sentence_words and sentence_words[0].start == 0:
        first = sentence_words[0]
        sentence_words = (first._replace(text=first.text[:1].upper() + first.text[1:]), *sentence_words[1:])
    if is_imperative(sentence_words):
        return None  # `Look for existing infrastructure like …`: advice, asked in its own form or not at all
    return read_clause(sentence, sentence_words, frozenset(o - indent for o in offsets), shown_before)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _spoken(text: str, words: Sequence[Token], frame: Attribution) -> Spoken | None:
    """`<speaker> <verb> <rest>`: the speaker's name in place of `He`/`She`, or as written."""
    first = words[0]
    if re.search(r"\b(?:contrast|call)(?:s|ed)\b", text[:frame.claim_start]):
        return None  # `contrasts X, where …, with Y`: two things, no one answer
    pronoun = first.lower in PERSONAL_PRONOUNS
    if not pronoun and not text.startswith(frame.speaker):
        return None
    start = first.end if pronoun else len(frame.speaker)
    spoken = frame.speaker + text[start:]
    shift = len(frame.speaker) - start
    spoken_words = frame.speaker_words + tuple(_moved(w, shift)
                                               for w in words if w.start >= start)
    verbs = tagger_verbs(tag(spoken, spoken_words))
    return Spoken(spoken, spoken_words, verbs, _claim_clause(spoken, spoken_words, verbs, 0))


def _moved(word: Token, by: int) -> Token:
    """The token `by` characters further on (a piece of a text read as a text of its own); built as `tokens`
    builds tokens, without `_replace`'s frame (a tenth of reading a clause)."""
    if not by:
        return word
    return tuple.__new__(Token, (word.text, word.start + by, word.end + by, word.lower, word.lex))


def _adjacent(words: Sequence[Token], i: int) -> bool:
    """No punctuation between word i and word i+1."""
    return words[i + 1].start - words[i].end <= 1












_LEADING = re.compile(
    r"^(?:(?:If|When|While|After|Before|Once|Although|Because|As|Since|Unless)\b[^,]{3,80}"
    r"|(?:By|In|Since|Until|Around|Before|After) (?:1[5-9]\d\d|20\d\d)"
    r"|(?:By|In|During|Over|For|At|Within|Across|Among|Under|Throughout|Without|On) [^,]{2,60}),\s+"
)


# `During slow-wave sleep the hippocampus …`: a leading phrase with no comma before its subject.
_LEADING_BARE = re.compile(r"^((?:During|After|Before|Throughout|Within|Over) [^,]{3,50}?) (?=(?:the|a|an) [a-z])")


_ASIDE = re.compile(
    r"^([^,]{2,60}), ((?:\w+ed|\w+ing|who|which|a|an|the)\b[^,]{2,80}"
    r"|(?!(?:and|or|but|so|yet)\b)[a-z]+ [a-z]+ [^,]{2,80}), "  # `Sleep spindles, brief bursts of …, predict …`
)


_ENUMERATED_SUBJECT = re.compile(r"^[^,]+(?:, [^,]+)+,? and [^,]+$|^(?:[a-zA-Z-]+, )+[a-z-]+ [a-z-]+$")


class Clause(NamedTuple):
    """`[prefix] subject verb rest`: the main clause of a key point."""

    prefix: str
    text: str
    words: Sequence[Token]
    subject_start: int
    verb: int
    subject_end: int

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


class Imperative(NamedTuple):
    """Advice: `[setting] [Never] keep |doors and shutters| closed …`: the verb, and the object it acts on."""

    setting: str  # `During a storm, ` (kept in front of the question)
    negation: str  # `never`, `don't`, or ""
    verb: int  # token index of the verb
    object_first: int  # token indices of the object (object_last < object_first: none)
    object_last: int
    phrase_last: int  # where the whole object phrase ends (`a story [or a surprising number]`)


OBJECT_ENDS = (PREPOSITIONS - {"than", "of"}) | SUBORDINATORS | frozenset("so rather instead to unless until".split())
_PRONOUN_OBJECTS = frozenset("yourself yourselves it them this that something anything everything".split())


def imperative(text: str, words: Sequence[Token], start: int = 0) -> Imperative | None:
    """The key point as advice in the imperative, or None (read from the word at `start`, after any setting).

    The mood is read from the verb's form and what follows it: a base form
    (`Keep`, `Store`, `Avoid`) followed by what a verb takes (an article, a
    pronoun, a preposition, a gerund, a plural noun that no verb follows),
    not a noun phrase that is a subject (`Cover crops protect …`).
    """
    first = next((i for i, w in enumerate(words) if w.start >= start), None)
    if first is None or first + 1 >= len(words):
        return None
    negation = ""
    opening = words[first]  # a sentence's first word has a capital: `Never eat …`, `Keep …`
    if (words[first].lower in ("never", "always", "don't", "do") and words[first].lower != "do") \
            or (words[first].lower == "do" and words[first + 1].lower == "not"):
        negation = "never" if words[first].lower == "never" else ("" if words[first].lower == "always" else "not")
        first += 2 if words[first].lower == "do" else 1
    if first + 1 >= len(words):
        return None
    verb, following = words[first], words[first + 1]
    lower = verb.lower
    if (start == 0 and not opening.text[:1].isupper()) or verb.lex.verb_base != lower or (lower in STOPWORDS \
            and lower not in VERBS_AMONG_STOPWORDS):
        return None
    after = following.lower
    # A word English also uses as a noun (`Store`, `Sleep`, `Pressure`) is a verb only before what a noun is
    # never followed by: an article, a pronoun, a number (`Sugar rises as …`, `Gut training lets …` are subjects).
    takes = after in DETERMINERS or after in _PRONOUN_OBJECTS or after in ("your", "no") or following.lex.number \
        or _no_subject(text, words, first, negation != "" or start > 0)
    weak = "NOUN" not in verb.lex.parts or (start > 0 and following.plural  # `…, keep doors`
                                            and "VERB" not in following.lex.parts)
    if not takes and weak:
        takes = after in PREPOSITIONS or after.endswith("ing") or ("ADV" in following.lex.parts and after != "more")
        if not takes and following.plural:
            after_noun = words[first + 2].lower if first + 2 < len(words) else ""
            takes = not after_noun or after_noun in PREPOSITIONS or after_noun in ("and", "or") \
                or text[following.end:following.end + 1] in ",."
    if not takes:
        return None
    object_first = first + 1
    if not _adjacent(words, first):
        return _no_object(text[:start], negation, first)  # `drop, take cover …`: a list of verbs
    if words[object_first].lower in PARTICLES and object_first + 1 < len(words) and _adjacent(words, object_first):
        object_first += 1  # `switch off [the lights]`: the particle is the verb's
    if words[object_first].lower in PREPOSITIONS:
        object_first += 1  # `Hover over [a link]`, `Open with [a story]`
    last = object_first
    while last + 1 < len(words) and words[last + 1].lower not in OBJECT_ENDS and _adjacent(words, last) \
            and (last + 1 - object_first < MAX_OBJECT_WORDS or _name_goes_on(words, last)) \
            and last + 1 not in _verbs_after(words, object_first):
        last += 1
    while last >= object_first and (words[last].lower in STOPWORDS or _adverb_only(words[last])):
        last -= 1  # `a go-bag [and] leave early`, `add space [early]`
    if object_first >= len(words) or words[object_first].lower in PREPOSITIONS \
            or words[object_first].lower in _PRONOUN_OBJECTS or words[object_first].lower.endswith("ing"):
        last = object_first - 1  # `breathe in for four counts`, `Record yourself`, `prioritize building …`: none
    phrase_last = max(last, object_first - 1)
    if last >= object_first:
        coordinated = [j for j in range(object_first + 1, last) if words[j].lower in ("and", "or")
                       and not (words[j - 1].text[:1].isupper() and words[j + 1].text[:1].isupper())]
        if coordinated and last - object_first + 1 > MAX_TARGET_WORDS:
            last = coordinated[0] - 1  # `an authenticator app [or a hardware key like …]`
    return Imperative(text[:start], negation, first, object_first, last, phrase_last)


def _name_goes_on(words: Sequence[Token], i: int) -> bool:
    """Word i and the next are one name: `the Smithsonian's National Air and Space [Museum]` is not cut."""
    return words[i].text[:1].isupper() and words[i + 1].text[:1].isupper()


def _no_object(setting: str, negation: str, verb: int) -> Imperative:
    """Advice whose verb takes no object to ask for."""
    return Imperative(setting, negation, verb, verb + 1, verb, verb)


def _adverb_only(word: Token) -> bool:
    """`early`, `slowly`: a word that ends an object phrase only as an adverb of the verb."""
    return "ADV" in word.lex.parts and "NOUN" not in word.lex.parts and word.lower not in ("more", "less")


MAX_OBJECT_WORDS = 6


def _no_subject(text: str, words: Sequence[Token], first: int, after_lead: bool) -> bool:
    """A base-form verb that no subject can stand before: the clause is advice.

    A word that can only be a verb (`Avoid`, `Get`, `Bake`) cannot be a
    sentence's subject; nor, after a setting or a negation (`When buying
    seafood, [avoid] …`, `During migration, [switch] off …`, `Never [eat] …`),
    can a word that is also a noun, when what follows it is no finite verb of
    its own clause (`In winter, snow [covers] …` and `In 2019, research on
    sleep [found] …` are statements).
    """
    verb = words[first]
    if "NOUN" not in verb.lex.parts and "ADJ" not in verb.lex.parts:
        return not _finite_after(text, words, first)
    return after_lead and not _finite_after(text, words, first)


def _finite_after(text: str, words: Sequence[Token], first: int) -> bool:
    """A word after `first`, in its clause (up to a comma, a subordinator or `and`), that the tagger reads as a
    finite verb: `snow [covers] …`, `research on sleep [found] …`, not `switch off the porch [lights]`."""
    tags = tag(text, words)
    for i in range(first + 1, len(words)):
        word = words[i]
        if "," in text[words[i - 1].end:word.start] or word.lower in SUBORDINATORS or word.lower in ("and", "or"):
            return False
        if tags[i] in (VERB, AUX) and tags[i - 1] != TO:
            return True
    return False


def _verbs_after(words: Sequence[Token], i: int) -> set[int]:
    """Words that end an object: `keep doors closed`, `leave a stove burning` (a participle), `… and leave early`
    (a second verb)."""
    return {j for j in range(i + 1, min(len(words), i + MAX_OBJECT_WORDS + 1))
            if (words[j].lower.endswith("ed") and words[j].lex.parts & {"VERB", "ADJ"})
            or (words[j].lower.endswith("ing") and "VERB" in words[j].lex.parts
                and words[j - 1].lower not in DETERMINERS and words[j - 1].lower not in PREPOSITIONS)
            or (words[j - 1].lower == "and" and words[j].lex.verb_base == words[j].lower
                and "VERB" in words[j].lex.parts and not words[j].plural
                and not words[j].text[:1].isupper())}  # `National Air and [Space] Museum`: a name goes on


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip(), maxsplit=1)[0]


PRONOUN_SUBJECTS = frozenset("he she they it".split())


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
    elif bare:
        prefix, sentence, shift = bare.group(1) + ", ", sentence[bare.end():], bare.end()
    kept = [(w.start, _moved(w, -shift)) for w in words if w.start >= shift]
    aside = _ASIDE.match(sentence)
    if aside:  # `Sleep spindles, brief bursts of …, predict …`: the aside is left out
        removed = aside.end() - aside.end(1) - 1
        sentence = sentence[:aside.end(1)] + " " + sentence[aside.end():]
        kept = [(at, w if w.end <= aside.end(1) else _moved(w, -removed))
                for at, w in kept if w.end <= aside.end(1) or w.start >= aside.end()]
    words = tuple(w for _, w in kept)
    hints = frozenset(i for i, (at, _) in enumerate(kept) if at in verb_offsets)
    if len(words) < 3 or words[0].lower in ("you", "we", "i"):
        return None
    if words[0].lower in ANAPHORA and not ((prefix or shown_before) and words[0].lower in PRONOUN_SUBJECTS):
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
    if re.search(r"[;:()]", subject) or ("," in subject and not _ENUMERATED_SUBJECT.match(subject.strip())):
        return None
    return Clause(prefix, sentence, words, start, verb, subject_end)


def _main_verb(words: Sequence[Token], start: int, hints: frozenset[int] = frozenset()) -> int | None:
    """A sure verb (auxiliary, `said`, `left`) or one the cloze maker read, else `plural noun + verb`,
    else `…s`/`…ed`."""
    weak = plural = None
    for i in range(start + 1, min(len(words), start + 11)):
        word = words[i].lower
        if word in SUBORDINATORS and not (i + 1 < len(words) and words[i + 1].lex.number):
            break  # a verb after `before`, `which` … belongs to another clause; `before 18 months` is no clause
        participle = words[i].lex.irregular and words[i - 1].plural and i + 1 < len(words) \
            and words[i + 1].lower in PREPOSITIONS  # `babies born by caesarean section start …`
        second = words[i - 1].lower == "and" and weak is not None  # `standardized texts and made …`
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
        word.text.islower() and word.lower not in STOPWORDS and not ADJECTIVE_ENDINGS.search(word.lower)
        and following in ("the", "a", "an", "most", "many", "some", "all", "its", "their")
    )


def _plural_then_base_verb(head: Token, following: Token) -> bool:
    """`Glaciers carve`, `electronics rely`: a plural noun, then a base-form verb."""
    word = following.lower
    return (
        head.plural and not following.lex.parts.isdisjoint({"VERB", ""})  # not `streams once`
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
    return bool(ADJECTIVE_ENDINGS.search(word)) and not word.endswith("eed")


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
        and words[i].lex.base != word and words[i].lex.parts != {""}  # `lime clasts`: the lexicon knows verbs
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
