"""Parts of speech in context: which word of a key point is a verb, a noun, a modifier.

No model: lemminflect's lexicon says what a word can be (`yields`: a noun or
a verb), and the words around it say which it is here. A key point is a
short declarative written by an AI, so a few principles read it well:

- after an article, an adjective, a possessive or a preposition comes a
  noun (`the [yields]`); after `to`, a modal or `do` a verb;
- a clause has one finite verb: a word that can be a verb, right after the
  noun phrase that is its subject and agreeing with it (`wolves [hunt]`,
  `stony soil [yields] smaller berries`), followed by what a verb takes, is
  that verb; before it, a word that agrees with no verb is a noun of the
  subject (`index [funds] beat …`, `security [keys] cannot …`);
- `and`, a subordinator, a relative pronoun or a comma starts a new clause.

One pass over the words, looking one word back and one or two ahead: linear
in a key point's length.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from cards.cardmaker.types import Frames, Token
from cards.cardmaker.words import (
    ADJECTIVE_SUFFIX,
    ADVERBS,
    APPROXIMATORS,
    AUXILIARIES,
    BE,
    COMMON_VERBS,
    DETERMINERS,
    MODALS,
    NAMING_PARTICIPLES,
    NUMBER_WORDS,
    PARTICLES,
    PREPOSITIONS,
    STOPWORDS,
    UNKNOWN,
    VERBS_AMONG_STOPWORDS,
    adjacent,
)

if TYPE_CHECKING:  # `mood` reads with `tag`: imported at run time, it would import this module back
    from cards.cardmaker.types import Mood
    from cards.cardmaker.words import Lex

DET, PREP, CONJ, SUB, AUX, TO, PRON, NUM, NOUN, NAME, VERB, VERBAL, ADJ, ADV, OTHER = (
    "det", "prep", "conj", "sub", "aux", "to", "pron", "num", "noun", "name", "verb", "verbal", "adj", "adv", "other")

NOMINAL = frozenset({NOUN, NAME, NUM})
_SUBJECT_PRONOUNS = frozenset("i you he she it we they who".split())
_OBJECT_PRONOUNS = frozenset("me him her us them it you".split())
_SUBORDINATORS = frozenset("that which who whom whose where when while because although though if unless until "
                           "since whereas once as whether".split())
_CONJUNCTIONS = frozenset("and or but nor".split())
_DETERMINERS = DETERMINERS | frozenset("some any no many much more most few fewer less all both either neither "
                                       "several another other such whose my".split())
_INDEFINITE = frozenset("everyone everybody everything someone somebody something anyone anybody anything".split())
_DO = frozenset("do does did don't doesn't didn't".split())
_S_IS = frozenset("it's that's what's there's here's who's he's she's".split())  # `'s` for `is` or `has`
# What a verb takes after it: an article, a number, a pronoun, a preposition, an adverb, `that`.
# Verbs whose past is their base form (`quicklime [cut] Roman curing times`), and nouns whose plural is their
# singular (`Parrotfish graze …`): facts of English the lexicon does not give.
SAME_PAST = frozenset("cut put set hit spread cost let shut hurt split quit burst cast broadcast bet bid".split())
ZERO_PLURAL = frozenset("people police cattle sheep deer species series aircraft offspring".split())


class Tagged(NamedTuple):
    """The parts of speech of a key point's claim, and the verbs of the claim in its speaker's mouth."""

    tags: tuple[str, ...]  # each word's part of speech
    verbs: frozenset[int]  # the words read as verbs: never a target
    spoken_verbs: frozenset[int]  # the verbs of `Mood.spoken` (none when there is no spoken claim)


def tag_claims(framed: Frames, mood: Mood) -> Tagged:
    """Tag the key point as read by `frames` and `mood`, and the claim in its speaker's mouth when it has one."""
    advice, spoken = mood.advice, mood.spoken
    referent = len(framed.referent.words) if framed.referent else 0  # a noun phrase: `[Kelp forests] shelter …`
    tags = tag(framed.text, framed.words, frozenset({advice.verb}) if advice else frozenset(), referent)
    spoken_verbs = verbs(tag(spoken.text, spoken.words)) if spoken else frozenset()
    return Tagged(tags=tags, verbs=verbs(tags), spoken_verbs=spoken_verbs)


def tag(text: str, words: Sequence[Token], known_verbs: frozenset[int] = frozenset(),
        noun_phrase: int = 0) -> tuple[str, ...]:
    """One part of speech per word of `text` (see the module's docstring); `known_verbs` are words already read as
    verbs (the verb of advice: `During a storm, [keep] doors …`); the first `noun_phrase` words are one noun phrase
    (a pronoun's referent put in its place: `[Kelp forests] shelter …`), none of them a verb."""
    tags: list[str] = []
    state = _Clause()
    breaks = _breaks(text, words)
    later_verb = -1  # a verb read ahead, past a phrase, when the plural before that phrase was read as its subject
    for i, word in enumerate(words):
        if breaks[i]:
            state = _Clause(start=i)
        # A word in lower case after its first letter has one capital at most, no acronym: the property (two
        # calls) is asked only of the others
        acronym = not word.text[1:].islower() and word.acronym
        fixed = VERB if i in known_verbs else _closed(word.text, word.lex, i > 0, acronym)
        if i == later_verb and fixed is None:
            fixed = VERB  # a modal read ahead is an auxiliary already
        if word.lower == "own" and tags and tags[-1] in (NOUN, NAME, ADV) and not state.finite:
            fixed = VERB  # `operators now [own] more than half …`; `its own` stays a function word
        if i < noun_phrase and fixed is None:
            fixed = NAME if word.text[:1].isupper() and i else NOUN
        if fixed == PREP and word.lower in APPROXIMATORS and i + 1 < len(words) and words[i + 1].lex.number:
            fixed = ADV  # `Around 90% of …`: an amount, no preposition
        if fixed is None:
            fixed = _open(breaks, words, i, tags, state)
            if fixed == VERB and i < later_verb:  # inside the phrase before the verb read ahead: `a lake [bed]`
                fixed = NOUN if "NOUN" in word.lex.parts else ADJ
            elif fixed == VERB and _counted(words, tags, i):
                fixed = NOUN  # `keeping three to five spare [horses]`: what a number counts is a noun
        tags.append(fixed)
        if fixed == NOUN and word.plural and i + 1 < len(words) and _opens_phrase(words, i + 1):
            later_verb = _present_verb_later(breaks, words, i) or later_verb
        if fixed in _CHANGES_STATE or state.relative:  # most words leave the clause's state as it is
            state = _next_state(state, breaks, words, tags, i)
    return tuple(tags)


_CHANGES_STATE = frozenset({SUB, CONJ, AUX, VERB, PREP})  # the tags after which `_next_state` may differ


def _counted(words: Sequence[Token], tags: Sequence[str], i: int) -> bool:
    """Word i is a plural noun right after a bare count, or after a bare count and one adjective (`five spare
    [horses]`): the noun the number counts, not a verb. A count with its unit is a phrase of its own (`21°C
    [shifts]`, `2% salt [favours]`), and a year counts nothing (`In 1990 exports [doubled]`)."""
    word = words[i]
    if not (word.plural and "NOUN" in word.lex.parts):
        return False
    if i >= 1 and tags[i - 1] == NUM:
        count = i - 1
    elif i >= 2 and tags[i - 2] == NUM and "ADJ" in words[i - 1].lex.parts and adjacent(words, i - 1):
        count = i - 2
    else:
        return False
    bare = words[count].lower in NUMBER_WORDS or words[count].text.replace(",", "").isdigit()
    return bare and not words[count].lex.year and adjacent(words, count)


def _next_state(state: _Clause, breaks: Sequence[int], words: Sequence[Token], tags: Sequence[str],
                i: int) -> _Clause:
    """What the reader knows of the clause after word i."""
    found, word = tags[i], words[i]
    if found == SUB:
        relative = word.lower in ("which", "who") or (word.lower == "that" and i > 0 and tags[i - 1] in NOMINAL)
        return _Clause(start=i + 1, relative=relative)
    if found == CONJ and i + 1 < len(words) and _starts_subject(words[i + 1]):
        return _Clause(start=i + 1)  # `… and a spoonful floats`: a clause of its own
    # made whole rather than by `_replace`, whose frames cost as much as the rest of the reading of a word
    if found == AUX and not (i and tags[i - 1] == TO):
        return _Clause(start=state.start, finite=True, form=_form(word), setting=state.setting)
    if found == VERB and not (i and tags[i - 1] in (TO, AUX)):
        return _Clause(start=state.start, finite=True, form=_form(word), setting=state.setting)
    if found == PREP and i == state.start and _comma_ahead(breaks, i):
        return state._replace(setting=True)
    if state.relative:
        return _Clause(start=state.start, finite=state.finite, form=state.form, setting=state.setting)
    return state  # most words: the same state, not a copy


class _Clause(NamedTuple):
    """What the reader knows of the clause it is in."""

    start: int = 0  # its first word
    finite: bool = False  # it has its finite verb
    form: str = ""  # that verb's form: `s`, `ed` or `base` (coordinated verbs share it: `protect … and [feed]`)
    setting: bool = False  # it opened with a preposition (`In a pressurized water reactor, …`): no verb in it
    relative: bool = False  # right after `which`, `who`, or `that` after a noun: a verb comes next


def _form(word: Token) -> str:
    lower = word.lower
    if (lower.endswith("ed") and word.lex.verb_base != lower) or word.lex.irregular or lower in ("was", "were",
                                                                                                "had", "did"):
        return "ed"
    if lower.endswith("s") and word.lex.verb_base != lower:
        return "s"
    return "base"


def _comma_ahead(breaks: Sequence[int], i: int) -> bool:
    """A comma closes the phrase word i opens, within a few words: `In a pressurized water reactor, …`."""
    return any(breaks[i + 1:i + 12])


def _starts_subject(word: Token) -> bool:
    return word.lower in _DETERMINERS or word.lower in _SUBJECT_PRONOUNS or word.lex.number


def verbs(tags: Sequence[str]) -> frozenset[int]:
    """The words read as verbs or auxiliaries (never a cloze target on their own)."""
    return frozenset([i for i, t in enumerate(tags) if t in (VERB, AUX)])


_PUNCTUATION = frozenset(",;:()—–")


_SOFT, _HARD = 1, 2  # a comma, a colon, a dash or a bracket (an aside or a list may follow); a semicolon (a
# clause ends: `Safety rules: never …` is a label and its list, not `rules` as a verb)


def _breaks(text: str, words: Sequence[Token]) -> tuple[int, ...]:
    """For each word, what punctuation stands between it and the word before: none (0), a comma, a colon, a dash
    or a bracket (`_SOFT`), a semicolon (`_HARD`). Read once per key point; true when there is any."""
    found = [0]
    for before, word in itertools.pairwise(words):
        between = text[before.end:word.start]
        if between == " ":
            found.append(0)  # most words: one space
        elif ";" in between:
            found.append(_HARD)
        else:
            found.append(_SOFT if not _PUNCTUATION.isdisjoint(between) or " - " in between else 0)
    return tuple(found[:len(words)])


@lru_cache(maxsize=16384)  # a word's answer depends only on the word and whether a sentence starts with it
def _closed(text: str, word: Lex, inside: bool, acronym: bool) -> str | None:
    """The part of speech of a function word, a number or a name; None for an open-class word. `word`: what the
    word tables say of it (its token's, so that tagging never goes back to them); `inside`: the word does not open
    the key point; `acronym`: its token's."""
    if acronym:
        return NAME  # `US`, `TSMC`: no pronoun, no function word
    if text == "May" and inside:
        return NAME  # `on 12 May 1949`, `Theresa May`: the modal is capitalised only where a sentence starts
    function, other = _function_word(word.lower)
    if function is not None or word.number:
        return function or NUM
    if text[:1].isupper() and (inside or word.parts == UNKNOWN):
        return NAME  # mid-sentence capitals, and a first word the lexicon does not know (`Masic estimates …`)
    return other


def _function_word(lower: str) -> tuple[str | None, str | None]:
    """(the part of speech a function word has wherever it stands, the one it has unless capitalised as a name)."""
    if lower in VERBS_AMONG_STOPWORDS or lower in COMMON_VERBS:
        return None, None  # `use`, `makes`: verbs, though function words elsewhere
    if lower == "to":
        return TO, None
    if lower in AUXILIARIES or lower in MODALS or lower in BE:
        return AUX, None
    if lower in _CONJUNCTIONS:
        return CONJ, None
    if (lower in _SUBORDINATORS and lower not in PREPOSITIONS) or lower in ("that", "which", "who", "where", "when"):
        return SUB, None
    if lower in _DETERMINERS:
        return DET, None
    if lower in PREPOSITIONS or lower in PARTICLES:
        return PREP, None
    if lower in ADVERBS:
        return ADV, None
    if lower in _SUBJECT_PRONOUNS or lower in _OBJECT_PRONOUNS:
        return PRON, None
    if lower in STOPWORDS:
        return None, ADV if lower in ("not", "never", "also", "still", "often", "only", "just", "very", "too", "even",
                                      "already", "again", "ever", "then") else OTHER
    return None, None


def _open(breaks: Sequence[int], words: Sequence[Token], i: int, tags: Sequence[str], state: _Clause) -> str:
    """The part of speech of an open-class word, from what it can be and the words around it."""
    word = words[i]
    parts, lower = word.lex.parts, word.lower
    last = len(tags) - 1  # most words: the word before, no adverb to skip
    at = last if last >= state.start and tags[last] != ADV else _previous_at(tags, state.start)
    previous = tags[at] if at is not None else None
    if previous == NUM and words[at].lex.with_unit:  # type: ignore[index]
        previous = NOUN  # `21°C [shifts] the balance`: a number with its unit counts nothing after it
    before = words[at].lower if at is not None else ""
    after_adverb = at is not None and at < i - 1 and previous in (NOUN, NAME)  # `elk now [avoid]`
    following = words[i + 1] if i + 1 < len(words) and not breaks[i + 1] else None
    inflected = word.lex.verb_base not in ("", lower)  # `doubled`, `spent`, `yields`: a verb's form, not its base
    if previous == AUX and before in BE | {"has", "have", "had", "been"} and (lower.endswith(("ed", "en"))
                                                                             or word.lex.irregular):
        return VERB  # `cannot be phished`, `has grown`
    if parts == UNKNOWN:
        return _unknown(word)
    can_verb, can_noun = "VERB" in parts, "NOUN" in parts
    can_adj, can_adv = "ADJ" in parts, "ADV" in parts
    if previous == NUM and (can_noun or (not can_adj and not inflected and not can_adv)):
        return NOUN  # `155 [bar]`: what a number counts
    if not can_verb:
        if can_noun and can_adj and following is not None and _nounish(following):
            return ADJ
        if can_noun and can_adj and previous == NAME and lower.endswith(ADJECTIVE_SUFFIX):
            return ADJ  # `made Lindisfarne [possible]`: no noun follows, so it completes the verb (after a
            # common noun it may be a compound's head: `sales [representative]`, `car [mechanic]`)
        return NOUN if can_noun else (ADJ if can_adj else (ADV if can_adv else NOUN))
    if lower.endswith("ing") and inflected and (not can_noun or previous not in (DET, ADJ)):
        return VERB if previous == AUX and before in BE and not state.finite else VERBAL
    if previous == TO or (previous == AUX and before in MODALS | _DO):
        return VERB
    if previous == AUX:  # `is key`
        return ADJ if can_adj else NOUN
    participle = lower.endswith("ed") or (word.lex.irregular and not lower.endswith("s"))
    article = previous == DET and before not in ("this", "that", "these", "those")  # `These [included] Spyridon …`
    possessive = before.endswith("'s") and before not in _S_IS  # `France's [hated] salt tax`; not `it's`
    if participle and following is not None and _nounish(following) and (previous in (None, ADJ, PREP) or article
                                                                           or possessive or state.setting):
        return ADJ  # `Fermented foods`, `a trained workforce`, `Spent fuel`, `…, isolated hospitals`
    if previous in (DET, ADJ, PREP, NUM) or (at is not None and words[at].lower.endswith("'s")):
        if can_adj and following is not None and _nounish(following):
            return ADJ
        return NOUN if can_noun else (ADJ if can_adj else VERB)
    if state.relative or previous == PRON:
        return VERB  # `bacteria that [turn] …`, `which [signals] …`, `it [splits]`
    if state.setting:
        return NOUN if can_noun else (ADJ if can_adj else VERB)  # `Unlike text-message [codes], …`
    if previous in (NOUN, NAME) and (not state.finite or after_adverb):
        by = following is not None and following.lower == "by"
        if participle and (by or _sure_verb_later(breaks, words, i) or (
                words[i - 1].plural and _present_verb_later(breaks, words, i - 1) is not None)):
            return VERBAL  # `Babies [born] by …`, `The first modern Games [held] in Athens in 1896 drew …`, `Homes
            # [built] in Britain after the 1920s usually have …`
        if can_noun and following is not None and (following.lower == "of" or _verb_next(breaks, words, i)):
            return NOUN  # `index [funds] beat`, `security [keys] cannot`
        if (can_noun or word.plural) and lower.endswith("s") and following is not None and _opens_phrase(words, i + 1) \
                and (_sure_verb_later(breaks, words, i) or (word.plural and _present_verb_later(breaks, words, i))):
            return NOUN  # `planetarium [experiments] in the 1960s showed …`, `skin [oils] from a touch can …`
        agrees = after_adverb or _agrees_after(words, tags, i) or (words[i - 1].plural and lower.endswith("s"))
        # `… where wolves [hunt].`, `no single type of exercise [wins]; Pilates …`; but `Sleep [spindles], brief
        # bursts of …, predict`: a comma may open an aside, a semicolon ends the clause
        at_end = i + 1 >= len(words) or breaks[i + 1] == _HARD
        if agrees and ((following is None and (at_end or not can_noun)) or (following is not None and _takes(
                following)) or not can_noun):
            return VERB
        return NOUN if can_noun else VERB
    if previous == CONJ and state.finite:  # `… and [produce] much of`, `… and [feed] soil microbes`; `… and distance`
        if following is not None and following.lower == "of":
            return NOUN
        if not can_noun or (following is not None and (following.lower in _DETERMINERS or following.lex.number
                                                        or following.lower in _OBJECT_PRONOUNS)):
            return VERB
        coordinated = tags[at - 1] if at else None  # what `and` joins this word to
        if coordinated == ADJ and can_adj:
            return ADJ  # `dim blue or [green] light`
        return VERB if _form(word) == state.form and following is not None and _nounish(following) else NOUN
    if previous is None:  # the first word: a subject's noun, unless an object follows (`Keep your …`, `Use it …`)
        takes_object = following is not None and (following.lower in _DETERMINERS or following.lower in
                                                  _OBJECT_PRONOUNS or following.lower == "your")
        if takes_object and (i == 0 or inflected):
            return VERB  # also after an aside: `Your BATNA, or …, [sets] the point …`
        return NOUN if can_noun else (ADJ if can_adj else VERB)
    if previous == VERB and can_adj and following is not None and _nounish(following):
        return ADJ
    return NOUN if can_noun else (ADJ if can_adj else VERB)


def _previous_at(tags: Sequence[str], start: int) -> int | None:
    """Where the word before is in the clause (from `start`), adverbs skipped (`elk now [avoid]`, `has roughly
    [doubled]`)."""
    for at in range(len(tags) - 1, start - 1, -1):
        if tags[at] != ADV:
            return at
    return None


def _sure_verb_later(breaks: Sequence[int], words: Sequence[Token], i: int) -> bool:
    """A verb in the past follows in the same clause, after a phrase: `Games held in Athens in 1896 [drew] …`."""
    for j in range(i + 2, min(len(words), i + 10)):
        if breaks[j] or words[j].lower in _SUBORDINATORS or words[j].lower in _CONJUNCTIONS:
            return False
        word, before = words[j], words[j - 1]
        if before.lower in _DETERMINERS or before.lower in PREPOSITIONS or not word.text.islower():
            continue
        if word.lower in NAMING_PARTICIPLES and "NOUN" in before.lex.parts:
            continue  # `cords [called] rhizomorphs`, `a process [known] as …`: it names the noun before it
        if (word.lex.irregular and not word.lower.endswith("s")) or (word.lower.endswith("ed") and len(word.lower) > 4
                                                                       and "VERB" in word.lex.parts):
            return True
    return False


_PLURAL_PRESENT = frozenset("are have do aren't haven't don't".split())  # auxiliaries that agree with a plural


def _opens_phrase(words: Sequence[Token], i: int) -> bool:
    """Word i is a preposition opening a phrase (`in the 1960s`, `over the Sahara`), not an amount's `about` or
    `over` (`traps [about] 80 times`)."""
    word = words[i]
    amount = word.lower in APPROXIMATORS and i + 1 < len(words) and words[i + 1].lex.number
    return word.lower in PREPOSITIONS and not amount


def _present_verb_later(breaks: Sequence[int], words: Sequence[Token], i: int) -> int | None:
    """Where a verb in the present that agrees with the plural word i follows it in the same clause, after a phrase,
    or None: `growth layers in a stalagmite [track] the monsoon`, `skin oils from a single touch [can] stop …`. A
    modal or a plural's auxiliary (`are`, `have`, `do`), or a word in its base form (the plural's agreement) right
    before an article, a number or a pronoun."""
    for j in range(i + 2, min(len(words), i + 10)):
        word, before = words[j], words[j - 1]
        if breaks[j] or word.lower in _SUBORDINATORS or word.lower in _CONJUNCTIONS:
            return None
        if word.lower in MODALS or word.lower in _PLURAL_PRESENT:
            return j
        if before.lower in _DETERMINERS or before.lower in PREPOSITIONS or not word.text.islower() \
                or word.lower in STOPWORDS or word.lower in PREPOSITIONS:
            continue
        after = words[j + 1] if j + 1 < len(words) and not breaks[j + 1] else None
        if "VERB" in word.lex.parts and word.lex.verb_base == word.lower and not word.lower.endswith("s") \
                and after is not None and (after.lower in _DETERMINERS or after.lex.number
                                           or after.lower in _OBJECT_PRONOUNS):
            return j
    return None


def _verb_next(breaks: Sequence[int], words: Sequence[Token], i: int) -> bool:
    """The next word (after any adverb) is the verb, and word i a noun of its subject: `index funds [beat] most`,
    `keys [cannot]`, `houses now [pick]`."""
    j = i + 1
    while j < len(words) and (words[j].lower in ADVERBS or words[j].lower.endswith("ly")) and not breaks[j]:
        j += 1
    if j >= len(words) or breaks[j]:
        return False
    following, word = words[j], words[i]
    lower = following.lower
    if lower in AUXILIARIES or lower in MODALS:
        return True
    if not following.text.islower() or "VERB" not in following.lex.parts or lower in STOPWORDS:
        return False
    after = words[j + 1] if j + 1 < len(words) and not breaks[j + 1] else None
    takes_object = after is None or after.lower in _DETERMINERS or after.lex.number or after.lower in (
        "that", "to") or after.lower in APPROXIMATORS or after.lower.endswith("ly") \
        or "NOUN" not in following.lex.parts \
        or after.lower in PARTICLES or after.lower in _INDEFINITE  # `models [filter] out`, `polls [count] everyone`
    if word.plural and following.lex.verb_base == lower and not lower.endswith("s"):
        return takes_object  # `funds beat most …`; not `converts sugar into …`
    # `products [improved] …`; not `skeletons show [healed] fractures`, where the participle is a modifier
    return lower.endswith("ed") and "NOUN" not in following.lex.parts and not (after is not None and _nounish(after))


def _unknown(word: Token) -> str:
    """A word the lexicon does not know: what its ending says."""
    lower = word.lower
    if lower.endswith("ly"):
        return ADV
    if lower.endswith("ing"):
        return VERBAL
    if lower.endswith(("ous", "ive", "ful", "less", "able", "ible", "ic", "al")):
        return ADJ
    return NOUN


def _nounish(word: Token) -> bool:
    """A word that can head or continue a noun phrase (`stony [soil]`, `the 1912 [medals]`)."""
    return word.lower not in STOPWORDS and ("NOUN" in word.lex.parts or word.lex.parts == UNKNOWN
                                            or word.lower in NUMBER_WORDS)


def _agrees_after(words: Sequence[Token], tags: Sequence[str], i: int) -> bool:
    """Word i, as a verb, agrees with the noun before it: `soil yields`, `wolves hunt`, `quicklime cut`."""
    word = words[i]
    j = i - 1
    while j > 0 and tags[j] == ADV:
        j -= 1
    subject = words[j]
    lower = word.lower
    if lower.endswith("ed") or word.lex.irregular or lower in SAME_PAST:
        return True  # the past agrees with every subject
    either = subject.lower in ZERO_PLURAL or subject.lower.endswith("fish")
    plural = subject.plural or either or (tags[j] == NUM and not subject.lex.with_unit)  # `21°C [shifts]`;
    # a share counts what follows it: `90% [recover]`
    if lower.endswith("s") and word.lex.verb_base != lower:
        return not plural or either
    return plural or (word.lex.verb_base == lower and tags[j] == NAME and subject.lower.endswith("s"))




def _takes(following: Token) -> bool:
    """What a verb can take after it: an article, a number, a preposition, an adverb, a noun phrase."""
    lower = following.lower
    if lower in _DETERMINERS or lower in PREPOSITIONS or following.lex.number or lower in _OBJECT_PRONOUNS:
        return True
    if lower in ("that", "not", "no", "more", "less", "about", "up", "down", "out", "off") or lower.endswith("ly"):
        return True
    return following.text[:1].isupper() or not following.lex.parts.isdisjoint(("NOUN", "ADJ", "ADV")) \
        or following.lex.parts == UNKNOWN
