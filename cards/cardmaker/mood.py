"""The mood reader: whether a key point is advice in the imperative, and whose claim it is.

`During a storm, [keep] doors and shutters closed`: advice, asked for what
it acts on; `Osei argues that …`: a claim with a speaker, and when that
claim is no clause (`He cautions against hiring …`), the claim put in its
speaker's mouth (`Lemkin cautions against hiring …`) for the tagger and the
clause reader to read. The mood is read before the parts of speech: the
verb of advice is a verb whatever the tagger would make of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cards.cardmaker.tagger import AUX, TO, VERB, tag
from cards.cardmaker.types import Attribution, Frames, Imperative, Mood, SpokenClaim, Token
from cards.cardmaker.words import (
    DETERMINERS,
    MAX_TARGET_WORDS,
    PARTICLES,
    PERSONAL_PRONOUNS,
    PREPOSITIONS,
    STOPWORDS,
    SUBORDINATORS,
    UNKNOWN,
    VERBS_AMONG_STOPWORDS,
    adjacent,
    moved,
)


def read_mood(framed: Frames) -> Mood:
    """The key point's mood, and the frame and lead that go with it: advice has no speaker to keep in front."""
    text, words = framed.text, framed.words
    start = max(framed.aside.setting_end, framed.contrast.claim_start if framed.contrast else 0)
    # After `In winter, `, `Instead of …, `; never a key point that opens with whom it quotes (`Peter McGraw's
    # benign violation theory holds that …`, `Port records studied by … show that …`): that is their claim.
    claimed = framed.frame is not None and framed.frame.claim_start > 0 and start == 0
    advice = None if framed.before or claimed else imperative(text, words, start)
    frame = None if advice else framed.frame
    spoken = None
    if frame and not frame.is_clause and frame.speaker:
        spoken = _spoken(text, words, frame)
    return Mood(advice=advice, frame=frame, lead=frame or framed.contrast, spoken=spoken)


def _spoken(text: str, words: Sequence[Token], frame: Attribution) -> SpokenClaim | None:
    """`<speaker> <verb> <rest>`: the speaker's name in place of `He`/`She`, or as written."""
    first = words[0]
    if re.search(r"\b(?:contrast|call)(?:s|ed)\b", text[:frame.claim_start]):
        return None  # `contrasts X, where …, with Y`: two things, no one answer
    pronoun = first.lower in PERSONAL_PRONOUNS
    if not pronoun and not text.startswith(frame.speaker):
        return None
    start = first.end if pronoun else len(frame.speaker)
    shift = len(frame.speaker) - start
    return SpokenClaim(text=frame.speaker + text[start:],
                       words=frame.speaker_words + tuple(moved(w, shift) for w in words if w.start >= start))


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
    # `Always`/`Never` before a base form leaves no room for a subject: `Always [boil] fresh bamboo shoots …`
    led = opening.lower in ("never", "always")
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
    if after in SUBORDINATORS or after in ("how", "why"):
        return None  # `check whether they track …`, `ask how …`: its object is a clause, no thing to ask for
    # A word English also uses as a noun (`Store`, `Sleep`, `Pressure`) is a verb only before what a noun is
    # never followed by: an article, a pronoun, a number (`Sugar rises as …`, `Gut training lets …` are subjects).
    takes = led or after in DETERMINERS or after in _PRONOUN_OBJECTS or after in ("your", "no") \
        or following.lex.number or _no_subject(text, words, first, negation != "" or start > 0)
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
    if not adjacent(words, first):
        return _no_object(text[:start], negation, first)  # `drop, take cover …`: a list of verbs
    if words[object_first].lower in PARTICLES and object_first + 1 < len(words) and adjacent(words, object_first):
        object_first += 1  # `switch off [the lights]`: the particle is the verb's
    if words[object_first].lower in PREPOSITIONS and not _quantifier(words, object_first):
        object_first += 1  # `Hover over [a link]`, `Open with [a story]`
        if words[object_first - 1].lower == "to" and _infinitive(words, object_first):
            object_first += 1  # `try to outrun [the incoming tide]`: the verb after `to` is the advice's too
    if object_first >= len(words):
        return _no_object(text[:start], negation, first)  # `Ask for`, `…, head to`: the key point stops short
    last = object_first
    ends = _verbs_after(words, object_first)  # read once: they do not change as the object grows
    while last + 1 < len(words) and words[last + 1].lower not in OBJECT_ENDS and adjacent(words, last) \
            and (last + 1 - object_first < MAX_OBJECT_WORDS or _name_goes_on(words, last)) \
            and last + 1 not in ends:
        last += 1
    while last >= object_first and (words[last].lower in STOPWORDS or _adverb_only(words[last])):
        last -= 1  # `a go-bag [and] leave early`, `add space [early]`
    if object_first >= len(words) or (words[object_first].lower in PREPOSITIONS
                                      and not _quantifier(words, object_first)) \
            or words[object_first].lower in _PRONOUN_OBJECTS or words[object_first].lower.endswith("ing"):
        last = object_first - 1  # `breathe in for four counts`, `Record yourself`, `prioritize building …`: none
    phrase_last = max(last, object_first - 1)
    if last >= object_first:
        coordinated = [j for j in range(object_first + 1, last) if words[j].lower in ("and", "or")
                       and not (words[j - 1].text[:1].isupper() and words[j + 1].text[:1].isupper())]
        if coordinated and last - object_first + 1 > MAX_TARGET_WORDS:
            last = coordinated[0] - 1  # `an authenticator app [or a hardware key like …]`
    return Imperative(text[:start], negation, first, object_first, last, phrase_last)


def _infinitive(words: Sequence[Token], i: int) -> bool:
    """Word i, after `to`, is a verb's base form with its object after it (`try to [outrun] the tide`), not a noun
    (`stick to [water]`, `switch to [LED] bulbs`)."""
    if i + 1 >= len(words):
        return False  # `Listen to`: the key point stops at `to`
    word = words[i]
    if word.lex.verb_base != word.lower or "VERB" not in word.lex.parts:
        return False
    following = words[i + 1].lower
    return "NOUN" not in word.lex.parts or following in DETERMINERS or following in _PRONOUN_OBJECTS


def _quantifier(words: Sequence[Token], i: int) -> bool:
    """`at least`, `at most`: a quantifier that opens the object (`line up [at least one competing offer]`), not a
    preposition."""
    return words[i].lower == "at" and i + 1 < len(words) and words[i + 1].lower in ("least", "most")


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
    following = words[first + 1]
    no_compound = "NOUN" not in following.lex.parts and following.lex.parts != UNKNOWN  # `Give [new] members …`,
    # `Cut [any] line …`; not `Sleep [spindles] …`, `Heat [loss] from …`, where the first word is a noun's modifier
    return (after_lead or no_compound) and not _finite_after(text, words, first)


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
            if (words[j].lower.endswith("ed") and not words[j].lex.parts.isdisjoint(("VERB", "ADJ"))
                and words[j - 1].lower not in DETERMINERS)  # `in [a preheated] Dutch oven`: an adjective
            or (words[j].lower.endswith("ing") and "VERB" in words[j].lex.parts
                and words[j - 1].lower not in DETERMINERS and words[j - 1].lower not in PREPOSITIONS
                and not words[j - 1].lex.number)  # `one [competing] offer`: an adjective
            or (words[j - 1].lower == "and" and words[j].lex.verb_base == words[j].lower
                and "VERB" in words[j].lex.parts and not words[j].plural
                and not words[j].text[:1].isupper())}  # `National Air and [Space] Museum`: a name goes on
