"""Cloze targets: every candidate span of a key point, and their ranking.

Candidates are numbers (with their unit), percents, dates and years; named
entities; rare domain terms (by word frequency, from wordfreq); the noun
phrases the tagger reads; and the other spans a reader could mean by each
(its whole phrase, the nouns after it, what follows `of`, a number's rate).
`ranking.score` orders them.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from cards.cardmaker import tagger
from cards.cardmaker.giveaway import core_tokens
from cards.cardmaker.ranking import Context, clause_parts, score
from cards.cardmaker.types import (
    ENTITY,
    NOUN_PHRASE,
    NUMBER,
    RARE_TERM,
    Imperative,
    Referent,
    SetAside,
    Target,
    TargetKind,
    Token,
)
from cards.cardmaker.words import (
    ADJECTIVE_SUFFIX,
    ADVERBS,
    COUNTED_BY_AN_ARTICLE,
    DECADE_PARTS,
    DETERMINERS,
    FRACTIONS,
    FREQUENCY_UNITS,
    MAGNITUDES,
    MAX_TARGET_WORDS,
    MONTHS,
    NUMBER_WORDS,
    PREPOSITIONS,
    STOPWORDS,
    TIME_UNITS,
    UNKNOWN,
    adjacent,
    read_part,
    singular,
)

SHORT_KEY_POINT_WORDS = 12


RARE_ZIPF = 3.6


TOPIC_SHARE = 0.10  # of an episode's key points


TOPIC_MIN = 3


class Front(NamedTuple):
    """What the learner sees on a card's front besides the key point: nothing hidden may show there."""

    podcast_words: frozenset[str]  # the words of the podcast's name (`giveaway.word_set`)
    episode_words: frozenset[str]  # of the episode's title
    before_words: frozenset[str] = frozenset()  # of the key point before, shown when this one opens with a pronoun
    speakers: frozenset[str] = frozenset()  # words of the speakers' names: the learner knows who speaks


def rank_targets(key_point: str, words: Sequence[Token], tags: Sequence[str], claim_start: int, front: Front,
                 topic: frozenset[str], shown: Sequence[Token], advice: Imperative | None = None,
                 aside: SetAside = SetAside(None, None), main_verb: int | None = None) -> tuple[Target, ...]:
    """Every acceptable target of the key point, best first (see `target_candidates`, and `ranking` for the order).

    When the best holds a word of the episode's topic, every candidate loses
    the topic words at its edges (`Semiconductor [knowledge]`).
    """
    on_front = _FrontWords.of(shown)  # built once: the candidates and the trimmed targets are checked against it
    candidates, context = _candidates(key_point, words, tags, claim_start, front, topic, on_front, advice, aside,
                                      main_verb)
    ranked = sorted([_ranked(t, -score(t, context)) for t in candidates], key=lambda t: (t.rank, t.start))
    if ranked and _topical(words, ranked[0], topic):
        checked = {(t.start, t.end) for t in ranked}
        trimmed = [t for t in (as_hidden(t, context) for t in ranked)
                   if (t.start, t.end) in checked or _fits_front(t, words, on_front, front)]
        ranked = sorted(trimmed, key=lambda t: _topical(words, t, topic))  # stable: those without the topic first
    return tuple(ranked)


def _ranked(target: Target, rank: float) -> Target:
    """`target._replace(rank=rank)`, built as `_target` builds targets (`_replace`'s frames cost a candidate each)."""
    return tuple.__new__(Target, (*target[:7], rank, target.words))


def holds_topic(target: Target, context: Context) -> bool:
    """The target holds a word of the episode's topic (see `_topical`)."""
    return _topical(context.words, target, context.topic)


def as_hidden(target: Target, context: Context) -> Target:
    """The target as a card hides it when the best candidate holds a word of the episode's topic: without the topic
    words before its head (`Semiconductor [knowledge]`)."""
    if not _topical(context.words, target, context.topic):
        return target
    return _without_leading_topic(context.text, context.words, target, context.topic)


def _topical(words: Sequence[Token], target: Target, topic: frozenset[str]) -> bool:
    """A phrase that holds a word of the episode's topic (a number keeps its place: `two high tides`)."""
    return target.kind is not NUMBER and bool(set(_core(words, target)) & topic)


def target_candidates(key_point: str, words: Sequence[Token], tags: Sequence[str], claim_start: int, front: Front,
                      topic: frozenset[str], shown: Sequence[Token], advice: Imperative | None = None,
                      aside: SetAside = SetAside(None, None),
                      main_verb: int | None = None) -> tuple[list[Target], Context]:
    """Every acceptable target of the key point, unordered, and what their features are read against.

    Never a verb or a word English uses only as a verb; never what shows on
    the front already, nor the speaker before `claim_start`; a phrase that is
    only the episode's topic only when nothing else is left. `key_point` and
    `words` are the part read (`read_part`); `shown` are all the words on the
    front; `main_verb` is the claim's verb (a token index).
    """
    return _candidates(key_point, words, tags, claim_start, front, topic, _FrontWords.of(shown), advice, aside,
                       main_verb)


def _candidates(key_point: str, words: Sequence[Token], tags: Sequence[str], claim_start: int, front: Front,
                topic: frozenset[str], on_front: _FrontWords, advice: Imperative | None, aside: SetAside,
                main_verb: int | None) -> tuple[list[Target], Context]:
    """`target_candidates`, with the front's words counted by the caller (`rank_targets` checks against them
    again)."""
    verbs = tagger.verbs(tags)
    seeds = _by_span([t for t in candidates_for(key_point, words) + _subject_term(key_point, words, verbs)
                      + _chunks(key_point, words, tags) if not never_a_noun(t, words)])
    enumeration = enumeration_spans(key_point)
    spans: dict[tuple[int, int], Target] = {}
    for seed in seeds:
        for variant in _variants(key_point, words, seed, tags, verbs, claim_start):
            held = spans.get((variant.start, variant.end))
            if (held is None or variant.kind < held.kind) and _a_phrase(variant, tags) \
                    and (variant is seed or _acceptable(variant, enumeration, words)):
                spans[(variant.start, variant.end)] = variant
    for pair in _pairs(key_point, words, tags):
        spans.setdefault((pair.start, pair.end), pair)
    found = [*spans.values(), *_advised(key_point, words, advice)]
    label = front.podcast_words | front.episode_words
    candidates = [
        t for t in found
        if _fits_front(t, words, on_front, front, label)
        and not (claim_start and t.start < claim_start)  # the speaker is not the content
        and not (front.speakers and any(w.text.removesuffix("'s").removesuffix("’s") in front.speakers
                                        for w in words[t.first_token:t.last_token + 1]))  # `In [Abernathy]'s words`
        and not cuts_a_name(key_point, words, tags, t)
    ]
    candidates = _without_topic([_without_topic_unit(key_point, words, t, topic) for t in candidates], words, topic)
    verb = len(words) if main_verb is None else main_verb
    context = Context(key_point, words, tuple(tags), claim_start, verb, aside, topic, front.episode_words,
                      (advice.object_first, advice.object_last) if advice and advice.object_last >= advice.object_first
                      else None, *clause_parts(key_point, words, tags, verb))
    return _by_span(candidates), context


def cuts_a_name(text: str, words: Sequence[Token], tags: Sequence[str], target: Target) -> bool:
    """The span starts or ends inside a name: `Hot [Five recordings]`, `the [Colored Waifs]' Home for Boys`.
    Half a name asks the learner to finish a title, not to recall a fact."""
    first, last = target.first_token, target.last_token
    return (last + 1 < len(words) and _name_joins(text, words, tags, last)) or \
        (first > 0 and _name_joins(text, words, tags, first - 1))


def _name_joins(text: str, words: Sequence[Token], tags: Sequence[str], i: int) -> bool:
    """Words i and i+1 are two words of one name: both capitalised names, nothing between them but a space or a
    plural possessive's apostrophe (`Waifs' Home`); a possessive `'s` ends a name (`Armstrong's Hot Five`)."""
    if tags[i] != tagger.NAME or tags[i + 1] != tagger.NAME:
        return False  # most candidates' neighbours: read no further
    left, right = words[i], words[i + 1]
    between = text[left.end:right.start]
    return (left.text[:1].isupper()
            and right.text[:1].isupper() and not left.lower.endswith(("'s", "’s"))
            and between in (" ", "' ", "’ ") and (between == " " or left.lower.endswith("s")))


def _by_span(targets: Iterable[Target]) -> list[Target]:
    """One candidate a span, of the kind that says most about it (`six months`: a number, not a noun phrase)."""
    unique: dict[tuple[int, int], Target] = {}
    for t in targets:
        held = unique.get((t.start, t.end))
        if held is None or t.kind < held.kind:
            unique[(t.start, t.end)] = t
    return list(unique.values())


def _advised(text: str, words: Sequence[Token], advice: Imperative | None) -> list[Target]:
    """What advice tells you to act on (`keep [doors and shutters] closed`): a target of its own."""
    if advice is None or not 0 <= advice.object_last - advice.object_first < MAX_TARGET_WORDS:
        return []
    span = words[advice.object_first:advice.object_last + 1]
    while span and span[0].lower in ("a", "an", "the", "your"):
        span = span[1:]
    if not span or not any(w.lex.content for w in span) or span[-1].lower in STOPWORDS:
        return []
    first, last = advice.object_first + len(words[advice.object_first:advice.object_last + 1]) - len(span), \
        advice.object_last
    target = _target(text, words, first, last, NOUN_PHRASE, 0.0)
    return [target] if _acceptable(target, [], words) else []


def topic_words(key_points: list[str]) -> frozenset[str]:
    """Words that recur across many key points of one episode: its subject.

    Measured from the key points themselves (document frequency): a word in
    at least three of them and at least a tenth. Hiding `AI` again and again
    in an episode about AI asks for nothing the learner does not know.
    """
    counts: Counter[str] = Counter()
    forms: dict[str, set[str]] = {}
    named: set[str] = set()  # words seen other than as a number's unit
    for key_point in key_points:
        tokens = read_part(key_point).words
        keys = set()  # the key point's words as topics: each counted once per key point
        for word in {w.lex.bare for w in tokens if not w.lex.stop}:  # without a possessive `'s`, no stopword
            key = singular(word)  # `fab` and `fabs`, `knife` and `knives`: one topic (looked up once a word)
            forms.setdefault(key, set()).add(word)
            keys.add(key)
        counts.update(keys)
        units = _units(tokens)
        named.update([singular(w.lex.bare) for i, w in enumerate(tokens) if i not in units])
    needed = max(TOPIC_MIN, TOPIC_SHARE * len(key_points))
    # A word that only ever follows a number is a unit the episode measures in (`about 40 [kilometres]`, `80
    # [percent]`, `24 million square [kilometres]`), not what it is about: the count and its unit are one fact.
    return frozenset(form for key, count in counts.items() if count >= needed and key in named for form in forms[key])


def _units(tokens: Sequence[Token]) -> set[int]:
    """Where the words that follow a number stand, directly or after an adjective (`40 [kilometres]`, `24 million
    square [kilometres]`): found from the numbers, in one pass over the key point, not asked of each word."""
    found = set()
    for i, word in enumerate(tokens):
        if word.lex.number and i + 1 < len(tokens):
            found.add(i + 1)
            if i + 2 < len(tokens) and "ADJ" in tokens[i + 1].lex.parts:
                found.add(i + 2)
    return found


def never_a_noun(target: Target, words: Sequence[Token]) -> bool:
    """A lone lowercase word that English uses as a verb, adjective or adverb, never as a noun.

    `dominates`, `decentralized`, `optimal`, `quickly`: hiding one asks the
    learner to guess a word, not a fact. The parts of speech come from
    lemminflect's lexicon (shipped in its wheel); names and numbers are not
    asked about, and a word it does not know is left to the other rules.
    """
    if target.kind is NUMBER or target.first_token != target.last_token:
        return False
    word = target.text
    sentence_start = target.first_token == 0 and word[:1].isupper() and word[1:].islower()  # `Later studies …`
    if not word.islower() and not sentence_start:
        return False
    lex = words[target.first_token].lex
    parts = lex.bare_parts
    if parts == UNKNOWN and "-" in word:  # `large-scale`, `long-term`: an adjective's compound
        return lex.head_parts <= {"ADJ", "ADV"}
    if parts == UNKNOWN:  # unknown to the lexicon: an adjective's or a participle's ending tells
        return word.lower().endswith(("ed", "ible", "able", "ous", "ive", "ful", "less"))
    return parts.isdisjoint(("NOUN", "PROPN"))


MAX_PHRASE_WORDS = 4


def _whole_noun_phrase(text: str, words: Sequence[Token], target: Target, verbs: frozenset[int],
                       claim_start: int) -> Target:
    """A one-word term widened to the noun phrase it belongs to.

    `{{workforce}}` in "a trained workforce", `{{dwarfs}}` in "red dwarfs",
    `{{probiotic}}` in "probiotic supplements": half a phrase asks for a
    word, the whole phrase for the thing. Modifiers before it are words that
    English uses as adjectives or nouns; nouns after it join when the first
    is no plural (`microbes turn` is a subject and its verb).
    """
    entity = target.kind is ENTITY
    if target.kind not in (RARE_TERM, NOUN_PHRASE, ENTITY) \
            or target.first_token != target.last_token:
        return target
    first = last = target.first_token
    # `Sign language …`: a sentence's first word is capitalised for the sentence, not as a name
    sentence_start = (target.first_token == 0 or words[target.first_token].start == claim_start) \
        and words[target.first_token].lex.parts != UNKNOWN

    def joins(i: int) -> bool:
        word = words[i]
        parts = word.lex.bare_parts
        before = words[i - 1].lower if i else ""
        bare = word.lex.bare
        content = bare not in STOPWORDS and len(bare) > 2 and not (bare.endswith("ly") and "ADV" in parts
                                                                   and parts.isdisjoint(("NOUN", "ADJ")))
        by_position = i == 0 and word.text[1:].islower() and parts != UNKNOWN  # `Pro rata`: capital for the sentence
        if entity and (not word.text.islower() or "VERB" in parts):
            return False  # `Fischer random chess`; but `the Reformation spread`: a name and its verb
        if (i in verbs or not content or word.text[0].isdigit() or word.start < claim_start
                or (word.text.islower() != words[target.first_token].text.islower() and not sentence_start
                    and not by_position and not entity)):
            return False
        if before in ("and", "or", "but", "to") and "VERB" in parts:
            return False  # `… and feed soil microbes`
        if word.lower.endswith("ing") and "ADJ" not in parts:  # `beats sleeping pills`; not `building fabs`
            return i - 1 in verbs or before in DETERMINERS
        after_verb = i - 1 in verbs or (i > 0 and words[i - 1].lex.verb_base not in ("", before))  # `brought back …`
        if word.lower in ADVERBS or ("ADV" in parts and (parts.isdisjoint(("ADJ", "NOUN")) or after_verb)):
            return False  # `elk now avoid`, `brought back beavers`
        participle = word.lower.endswith(("ed", "en")) and (before in DETERMINERS or before in PREPOSITIONS)
        return (not parts.isdisjoint(("NOUN", "ADJ")) or participle  # `a trained workforce`, `on oversized stations`
                or parts == UNKNOWN)  # `long-term`, `aluminous`, `clasts`: words too rare for the lexicon

    while (not entity and first > 0 and last - first + 1 < MAX_PHRASE_WORDS and adjacent(words, first - 1)
           and not words[first - 1].lower.endswith("'s") and joins(first - 1)):
        first -= 1
    def noun_after(i: int) -> bool:
        return (i < len(words) and adjacent(words, i - 1) and joins(i)
                and not words[i].lex.bare_parts.isdisjoint(("NOUN", ""))
                and "ADV" not in words[i].lex.parts  # `the sentence back`
                and not (entity and _ends_as_adjective(words, i))
                and not _object_follows(words, i))

    while (last + 1 < len(words) and last - first + 1 < MAX_PHRASE_WORDS
           and not words[last].plural and not words[last].lower.endswith("'s")):
        if noun_after(last + 1):
            last += 1
        elif (last - first + 2 < MAX_PHRASE_WORDS and words[last + 1].lex.parts == {"ADJ"}
              and adjacent(words, last) and joins(last + 1) and noun_after(last + 2)):
            last += 2  # `Fischer random chess`: an adjective, then the noun it goes with
        else:
            break
    if (first, last) == (target.first_token, target.last_token):
        return target
    return _target(text, words, first, last, target.kind, target.score, target.rank)


def _ends_as_adjective(words: Sequence[Token], i: int) -> bool:
    """Word i, an adjective that could be a noun, ends a name's phrase: the verb's complement, not the name's
    (`made [Lindisfarne] possible`); before a noun it is a modifier (`English [public] schools`)."""
    word = words[i]
    if "ADJ" not in word.lex.parts or not word.lower.endswith(ADJECTIVE_SUFFIX):
        return False
    return not (i + 1 < len(words) and adjacent(words, i) and "NOUN" in words[i + 1].lex.parts)


def _variants(text: str, words: Sequence[Token], seed: Target, tags: Sequence[str], verbs: frozenset[int],
              claim_start: int) -> list[Target]:
    """A candidate and the other spans a reader could mean by it: its whole noun phrase, the phrase with the nouns
    after it (`[waggle] dance`), with what follows `of` (`the length [of the waggle run]`), a number with its rate
    (`10 kilometres [a year]`).

    Which of them is the target is the ranking's to say: each is described by whether it is a whole phrase.
    """
    widened = _whole_noun_phrase(text, words, seed, verbs, claim_start)
    found = [seed] if widened is seed else [seed, widened]
    for target in tuple(found):
        first, last = target.first_token, target.last_token
        end = last
        dated = target.kind is NUMBER and (words[last].lex.year or _decade(words[last]))
        while not dated and end + 1 < len(words) and end - first + 1 < MAX_TARGET_WORDS \
                and _noun_continues(words, tags, end):
            end += 1  # a year counts nothing: `his 1912 medals` is no number of medals
        if end > last:
            found.append(_target(text, words, first, end, target.kind, target.score, target.rank))
        if target.kind is not NUMBER:
            of_end = _of_phrase_end(words, tags, end)
            if of_end is not None and of_end - first < MAX_TARGET_WORDS:
                found.append(_target(text, words, first, of_end, target.kind, target.score, target.rank))
        else:
            rate = _rate_end(words, last)
            if rate is not None and rate - first < MAX_TARGET_WORDS:
                found.append(_target(text, words, first, rate, target.kind, target.score, target.rank))
    return found


_NOMINAL = frozenset({tagger.NOUN, tagger.NAME})
_NEVER_IN_A_PHRASE = frozenset({tagger.VERB, tagger.AUX, tagger.ADV, tagger.PRON, tagger.SUB, tagger.TO})


def _a_phrase(target: Target, tags: Sequence[str]) -> bool:
    """A span the tagger reads as one phrase: no verb, adverb or pronoun in it (`chemistry better`, `wolves hunt`),
    no gerund that takes an object (`building fabs`), and a noun, a number or a gerund at its end (not
    `Sun-like`). A number's own words (`between 10 and 14 months`, `twice`)
    are the number's."""
    inside = tags[target.first_token:target.last_token + 1]
    if target.kind is NUMBER:
        return tagger.VERB not in inside and tagger.AUX not in inside
    if not _NEVER_IN_A_PHRASE.isdisjoint(inside) or (tagger.VERBAL in inside[:-1] and not (
            target.first_token and inside[0] == tagger.VERBAL and tags[target.first_token - 1] == tagger.DET)):
        return False  # `building fabs`; but `the [opening number]`
    return inside[-1] in (tagger.NOUN, tagger.NAME, tagger.NUM, tagger.VERBAL)  # `Gut [training]`, `[borrowing]`
_MODIFIERS = frozenset({tagger.ADJ, tagger.NOUN, tagger.NAME, tagger.NUM})


def _chunks(text: str, words: Sequence[Token], tags: Sequence[str]) -> list[Target]:
    """The noun phrases the tagger reads (`[a sudden brittle failure]`, `[Soft-story buildings]`), whole and as
    their head (`brittle [failure]`), at most five words each."""
    found = []
    i = 0
    while i < len(words):
        if tags[i] not in _MODIFIERS and not (tags[i] == tagger.VERBAL and i > 0
                                              and words[i - 1].lower in ("a", "an", "the")):
            i += 1  # `the [opening number]`; not `by joining`
            continue
        last = i
        while last + 1 < len(words) and adjacent(words, last) and tags[last + 1] in _MODIFIERS \
                and not words[last].lower.endswith("'s") and not (tags[last + 1] == tagger.NUM
                                                                  and tags[last] != tagger.NUM):
            last += 1
        end = last
        while end >= i and tags[end] not in _NOMINAL:
            end -= 1
        if end >= i:
            head = end
            while head > i and tags[head - 1] in _NOMINAL and words[head - 1].text[:1].isupper() == \
                    words[end].text[:1].isupper():
                head -= 1
            start = max(i, end - MAX_TARGET_WORDS + 1)
            bare = start  # without the gerunds before it: `joining [light nuclei]`
            while bare < end and tags[bare] == tagger.VERBAL:
                bare += 1
            for first in dict.fromkeys((start, bare, head)):
                span = words[first:end + 1]
                if tags[first] != tagger.NUM and any([w.lex.content for w in span]):  # lists: a few words each
                    kind = ENTITY if all([tag == tagger.NAME for tag in tags[first:end + 1]]) \
                        else NOUN_PHRASE
                    rarity = min([w.lex.rarity for w in span])
                    found.append(_target(text, words, first, end, kind, rarity))
        i = last + 1
    return found


def _pairs(text: str, words: Sequence[Token], tags: Sequence[str]) -> list[Target]:
    """Two nouns or names joined by `and` or `or`, or a `from … to …` range of names, as one target: `the [start or
    end]`, `[October to March]`, `[attention and memory tests]`: hiding one half leaves the other to give it away.
    Each side at most two words; a side after a comma belongs to a list (`enumeration_spans` has those)."""
    found = []
    for j in range(1, len(words) - 1):
        joiner = words[j].lower
        ranged = joiner == "to" and j >= 2 and words[j - 2].lower == "from"
        if not (joiner in ("and", "or") or ranged) or not (adjacent(words, j - 1) and adjacent(words, j)):
            continue
        if tags[j - 1] not in _NOMINAL or tags[j + 1] not in _NOMINAL \
                or (ranged and tagger.NOUN in (tags[j - 1], tags[j + 1])) or _predicate_follows(words, j + 1):
            continue
        first = j - 1
        if first > 0 and text[words[first - 1].end:words[first].start].strip():
            continue  # `banks, newspapers and governments`
        while first > 0 and j - first < 2 and tags[first - 1] == tags[j - 1] and adjacent(words, first - 1) \
                and words[first - 1].text[:1].isupper() == words[first].text[:1].isupper():
            first -= 1  # `[Richard] Pryor and David Letterman`
        last = j + 1
        while last + 1 < len(words) and last - j < 2 and tags[last + 1] in _NOMINAL and adjacent(words, last):
            last += 1  # `attention and memory [tests]`
        names = all(tags[i] == tagger.NAME for i in range(first, last + 1) if i != j)
        rarity = min(w.lex.rarity for w in words[first:last + 1])  # as `_chunks` has it (read for rare terms only)
        found.append(_target(text, words, first, last, ENTITY if names else NOUN_PHRASE,
                             rarity))
    return found


def _predicate_follows(words: Sequence[Token], i: int) -> bool:
    """Word i, after `and`, is a verb that an object or an adverb follows: `pack a go-bag and [leave] early`."""
    following = words[i + 1] if i + 1 < len(words) else None
    return "VERB" in words[i].lex.parts and following is not None and (
        following.lower in DETERMINERS or following.lower in ADVERBS or following.lower.endswith("ly")
        or following.lower in ("it", "them", "early", "late"))


def _noun_continues(words: Sequence[Token], tags: Sequence[str], i: int) -> bool:
    """The noun after word i belongs to its phrase: `[waggle] dance`, `Hatnub alabaster [quarry]`."""
    if not adjacent(words, i) or tags[i + 1] not in _NOMINAL or words[i].lower.endswith("'s"):
        return False
    if words[i].plural and not words[i].lex.number:
        return False  # a plural ends its phrase: `18 months [shows]`
    if tags[i] == tagger.NUM and _money(words, i):
        return False  # money's unit is its currency: `a [$7.2 billion] fund`
    return words[i + 1].text[:1].isupper() == words[i].text[:1].isupper() or (tags[i] == tagger.NUM
                                                                             and words[i + 1].text[:1].islower())


def _money(words: Sequence[Token], i: int) -> bool:
    """Word i ends an amount of money: `$7.2`, `€900`, `$7.2 billion`."""
    while i > 0 and words[i].lower in NUMBER_WORDS and adjacent(words, i - 1):
        i -= 1
    return words[i].text[:1] in "$€£"


def _of_phrase_end(words: Sequence[Token], tags: Sequence[str], i: int) -> int | None:
    """Where `of` and the noun phrase after word i end (`length [of the waggle run]`), or None."""
    if i + 2 >= len(words) or words[i + 1].lower != "of" or not adjacent(words, i):
        return None
    first = i + 3 if words[i + 2].lower in ("the", "a", "an") else i + 2
    end = first
    while end < len(words) and tags[end] in (tagger.ADJ, tagger.NOUN, tagger.NAME) \
            and (end == first or (adjacent(words, end - 1) and not words[end - 1].lower.endswith("'s"))):
        end += 1
    end -= 1
    while end >= first and tags[end] not in _NOMINAL:
        end -= 1
    return end if end >= first and not words[end].lower.endswith("'s") else None


def _rate_end(words: Sequence[Token], i: int) -> int | None:
    """Where a rate after a number ends: `10 kilometres [a year]`, `one second [per kilometre]`, `two tonnes [each]`."""
    if i + 1 >= len(words) or not adjacent(words, i):
        return None
    if words[i + 1].lower == "each":  # not `two main cables [each] contain …`: there `each` goes with the verb
        verb_follows = i + 2 < len(words) and adjacent(words, i + 1) and "VERB" in words[i + 2].lex.parts \
            and words[i + 2].lower not in STOPWORDS and "NOUN" not in words[i + 2].lex.parts
        return None if verb_follows else i + 1
    if i + 2 < len(words) and words[i + 1].lower in ("a", "an", "per", "every") and adjacent(words, i + 1) \
            and words[i + 2].lex.content and "NOUN" in words[i + 2].lex.parts:
        return i + 2
    return None


def _object_follows(words: Sequence[Token], i: int) -> bool:
    """`quicklime cut Roman curing times`: a word a name or an article follows is a verb, not a noun."""
    if "VERB" not in words[i].lex.parts or i + 1 >= len(words) or not adjacent(words, i):
        return False
    return words[i + 1].text[0].isupper() or words[i + 1].lower in ("a", "an", "the")


def _without_topic_unit(text: str, words: Sequence[Token], target: Target, topic: frozenset[str]) -> Target:
    """`around {{300}} words`, `{{thousands}} of chips` in an episode about words or chips: the count is the fact,
    the topic word is not."""
    last = target.last_token
    unit = words[last].lex.bare
    count = last - 2 if last - 2 >= target.first_token and words[last - 1].lower == "of" else last - 1
    if (target.kind is not NUMBER or last == target.first_token or unit not in topic
            or unit in TIME_UNITS or not words[count].lex.number or words[count].lower in STOPWORDS):
        return target
    return _target(text, words, target.first_token, count, target.kind, target.score, target.rank)


def _without_leading_topic(text: str, words: Sequence[Token], target: Target, topic: frozenset[str]) -> Target:
    """`China's AI [efforts]`, `Semiconductor [knowledge]`: the episode's topic word before a phrase's head stays
    shown; the rest of the phrase is what the card asks for. A name stays whole (`Jazz Age`), and so does a
    phrase whose head is the topic word: cut, it would leave a modifier without its noun."""
    first, last = target.first_token, target.last_token
    if target.kind in (NUMBER, ENTITY) or first == last:
        return target
    while first < last and words[first].lex.bare in topic:
        first += 1
    if first == target.first_token or words[first].lower in STOPWORDS:
        return target
    return _target(text, words, first, last, target.kind, target.score, target.rank)


def _without_topic(candidates: list[Target], words: Sequence[Token], topic: frozenset[str]) -> list[Target]:
    """Candidates that are more than the episode's topic word, when there are any (a number keeps its place:
    `two high tides` in an episode on tides). How a phrase that holds a topic word ranks is the ranking's."""
    if not topic:
        return candidates
    return [t for t in candidates if t.kind is NUMBER or not set(_core(words, t)) <= topic] or candidates


def _subject_term(text: str, words: Sequence[Token], verbs: frozenset[int]) -> list[Target]:
    """A two-word subject naming a concept: `Loss aversion means …`, `Public-key cryptography lets …`."""
    first = 1 if words and words[0].lower in ("the", "a", "an") else 0
    verb = min([v for v in verbs if v > first], default=None)
    if verb != first + 2 or not adjacent(words, first):
        return []
    pair = words[first:verb]
    if not all(w.lex.content for w in pair) or any(w.text[0].isdigit() for w in pair):
        return []
    rarity = min(w.lex.rarity for w in pair)
    if rarity >= RARE_ZIPF and not pair[0].text[0].isupper():
        return []
    return [_target(text, words, first, first + 1, RARE_TERM, min(rarity, 3.0) - 1.0)]


class _FrontWords(NamedTuple):
    """The key point's words (lower case, no possessive `'s`), counted once, so each target is checked in
    time linear in its own length (a set of the words outside each target made a long key point quadratic)."""

    forms: tuple[str, ...]
    counts: Counter[str]

    @classmethod
    def of(cls, words: Sequence[Token]) -> _FrontWords:
        forms = tuple([w.lex.bare for w in words])
        return cls(forms, Counter(forms))

    def shown_outside(self, target: Target, core: tuple[str, ...], elsewhere: frozenset[str]) -> bool:
        """Every core word also stands somewhere outside the target's own tokens, or `elsewhere` on the front."""
        inside = self.forms[target.first_token:target.last_token + 1]  # a few words: counted without a Counter
        for word in core:  # noqa: SIM110  (a loop, not `all` over a generator: asked of every candidate)
            if self.counts[word] <= inside.count(word) and word not in elsewhere:
                return False
        return True


def _fits_front(target: Target, words: Sequence[Token], shown: _FrontWords, front: Front,
                label: frozenset[str] | None = None) -> bool:
    """A target whose words all show elsewhere on the front cannot be asked for: in the key point, the key point
    shown before it, or the context label (`Podcast · Episode`; the episode is left out of it when it alone
    would give the answer away, see `giveaway.context_label`). `label`: the label's words, when the caller has
    them (made once per key point, not once per candidate)."""
    core = _core(words, target)
    if not core:
        return True
    if label is None:
        label = front.podcast_words | front.episode_words
    elsewhere = front.before_words | (front.podcast_words if label.issuperset(core) else label)
    return not shown.shown_outside(target, core, elsewhere)


def _core(words: Sequence[Token], target: Target) -> tuple[str, ...]:
    """The words of a target that give it away (`giveaway.core_tokens`), without a possessive `'s`."""
    return tuple([w.lex.bare for w in core_tokens(words[target.first_token:target.last_token + 1])])


def in_key_point(ranked: tuple[Target, ...], key_words: Sequence[Token],
                  referent: Referent | None) -> tuple[Target, ...]:
    """Targets read with the referent in the pronoun's place, placed back in the key point as it is shown."""
    if referent is None:
        return ranked
    shift = len(referent.phrase) - referent.end
    index = {w.start: i for i, w in enumerate(key_words)}
    ends = {w.end: i for i, w in enumerate(key_words)}
    placed = []
    for target in ranked:
        start, end = target.start - shift, target.end - shift
        if start >= referent.end and start in index and (end in ends or end + 2 in ends):
            placed.append(target._replace(start=start, end=end, first_token=index[start],
                                          last_token=ends.get(end, ends.get(end + 2, 0))))
    return tuple(placed)


def choose_deletions(ranked: Sequence[Target], words: Sequence[Token], subject_end: int = 0) -> list[Target]:
    """One deletion for a short key point, at most two for a long one; best first (`ranked` is).

    A second deletion is never in the claim's subject (before `subject_end`, where its verb starts): the
    subject is what the episode is about (`Semiconductor knowledge is highly siloed …`), the new information
    is in the predicate. (Read from the key point alone, so that adding a snip to an episode rewords no other.)
    """
    if not ranked:
        return []
    chosen = [ranked[0]]
    if len(words) > SHORT_KEY_POINT_WORDS:
        for other in ranked[1:]:
            if _solid(other) and _apart(other, chosen[0], words) and other.start >= subject_end:
                chosen.append(other)
                break
    return chosen


SECOND_SCORE = 0.0  # a second deletion is made only of a candidate the ranking scores this well (see ranking)


def _solid(target: Target) -> bool:
    """Worth a second card: a number, a name or a really rare term that the ranking rates well."""
    if -target.rank < SECOND_SCORE:
        return False
    return target.kind in (NUMBER, ENTITY) or (target.kind is RARE_TERM
                                                                      and target.score < 3.0)


def _apart(a: Target, b: Target, words: Sequence[Token]) -> bool:
    """Two deletions that neither overlap nor touch, nor share a word."""
    if a.end + 1 >= b.start and b.end + 1 >= a.start:
        return False
    return not (set(_core(words, a)) & set(_core(words, b)))


def candidates_for(text: str, words: Sequence[Token]) -> list[Target]:
    """Every acceptable target in the key point, of every kind."""
    enumeration = enumeration_spans(text)
    found: dict[tuple[int, int], Target] = {}
    for finder in (_numbers, _entities, _rare_terms):
        for target in finder(text, words):
            if _acceptable(target, enumeration, words) and (target.start, target.end) not in found:
                found[(target.start, target.end)] = target
    name_end: dict[int, int] = {}  # token → the last token of the multi-word name it is part of
    for name in found.values():
        if name.kind is ENTITY and name.last_token > name.first_token:
            name_end.update(dict.fromkeys(range(name.first_token, name.last_token + 1), name.last_token))
    return [t for t in found.values() if t.kind is ENTITY  # a name is one unit: no `Meridional` alone
            or t.last_token > name_end.get(t.first_token, -1)]


def _acceptable(target: Target, enumerations: list[tuple[int, int]], tokens: Sequence[Token]) -> bool:
    words = tokens[target.first_token:target.last_token + 1]
    if not words or len(words) > MAX_TARGET_WORDS or _COMMA_NOT_THOUSANDS.search(target.text):
        return False
    # A number of two characters or more is never that common in wordfreq (`10` is 5.3): skip the look-up,
    # which for numbers needs wordfreq's own tokenizer.
    lone_number = words and words[0].text[0] in "$€£0123456789" and len(target.text) > 1
    if len(words) == 1 and (words[0].lex.bare in STOPWORDS or (not lone_number and words[0].lex.bare_zipf >= 6.0)):
        return False
    # A whole list is a set, and sets make bad cards; one member is allowed.
    around = bisect.bisect_right(enumerations, (target.start, math.inf)) - 1  # the last list that starts by it
    return not (around >= 0 and target.end <= enumerations[around][1] and _members(target.text) > 1)



_COMMA_NOT_THOUSANDS = re.compile(r",(?!\d{3})")


def _members(text: str) -> int:
    return len(re.split(r",|\band\b|\bor\b", without_digit_marks(text)))


def without_digit_marks(text: str) -> str:
    """The text with the commas and points inside numbers (`€1,200`, `2.5`) masked, same length: they do not
    part the items of a list."""
    return _DIGIT_MARK.sub("_", text)


_DIGIT_MARK = re.compile(r"(?<=\d)[,.](?=\d)")


_ENUMERATION = re.compile(r"(?:(?<=[,.;:])|^)[^,.;:]+(?:,[^,.;:]+)+,?\s+(?:and|or)\s+[^,.;:]+")


def enumeration_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `a, b(,) and c` lists of three or more items, in order (they do not overlap).

    The pattern is tried only where an item can begin (after `,.;:` or at the
    start: a later start in the same item meets the same commas) and within a
    sentence of at most `LIST_SENTENCE_CHARS`, so a long key point costs
    linear time.
    """
    if "," not in text or not (" and " in text or " or " in text):
        return []  # no list here
    spans = []
    plain = without_digit_marks(text)
    for sentence in _LIST_SENTENCE.finditer(plain):
        start, end = sentence.span()
        if end - start <= LIST_SENTENCE_CHARS:
            spans += [(m.start(), m.end()) for m in _ENUMERATION.finditer(plain, start, end)]
    return spans


LIST_SENTENCE_CHARS = 2_000
_LIST_SENTENCE = re.compile(r"[^.;:]+")


def _target(
    text: str, words: Sequence[Token], first: int, last: int, kind: TargetKind, score: float, rank: float = 0.0
) -> Target:
    start, end = words[first].start, words[last].end
    span = text[start:end]
    if span.endswith(("'s", "’s")):
        span, end = span[:-2], end - 2
    # `tuple.__new__`, which is what `Target(...)` calls, without its Python frame: made for every candidate
    return tuple.__new__(Target, (start, end, span, kind, score, first, last, rank or float(kind),
                                  tuple(words[first:last + 1])))


def _numbers(text: str, words: Sequence[Token]) -> list[Target]:
    """Numbers with their unit, percents, years, dates and frequencies (`once a year`)."""
    found = []
    i = 0
    while i < len(words):
        if (words[i].lower in ("once", "twice") and i + 2 < len(words) and words[i + 1].lower in ("a", "per", "every")
                and words[i + 2].lower in FREQUENCY_UNITS):
            found.append(_target(text, words, i, i + 2, NUMBER, float(i) / 100))
            i += 3
            continue
        if not words[i].lex.number:
            i += 1
            continue
        first = i
        if i > 0 and (words[i - 1].lower in MONTHS or (words[i - 1].lower in DECADE_PARTS and _decade(words[i]))):
            first = i - 1  # `May 1997`, `the late 1980s`
        elif i > 0 and words[i - 1].lower in ("a", "an") and words[i].lower in COUNTED_BY_AN_ARTICLE:
            first = i - 1  # `a quarter`, `a million copies`: the article is the number's `one`
        elif i > 0 and words[i - 1].lower in ("several", "few", "many") and words[i].lower in MAGNITUDES:
            first = i - 1  # `several thousand dollars`: how many thousands is the number's own word
        if first > 0 and words[first - 1].lower == "between" and _range_end(text, words, i) > i:
            first -= 1  # `between 10 and 14 months`
        last = _date_end(words, i) or _number_end(words, _range_end(text, words, i))
        rank = float(NUMBER)
        if (first == last and words[i].lower in NUMBER_WORDS) or (first and words[first - 1].lower == "the"):
            rank = ENTITY + 0.5  # `four`, `the 100 meters`: a bare count or a name
        if not (first == last and words[i].lower == "one"):  # `one road`: a word, not a number
            found.append(_target(text, words, first, last, NUMBER, float(first) / 100, rank))
        i = last + 1
    return found


def _date_end(words: Sequence[Token], i: int) -> int | None:
    """Where a date written day first ends (`12 May 1949`), else None: the day, the month and the year are one
    date, even when the month is `May`, whose unit the number's own reading would not take. (`April 14, 1935`
    keeps its comma: its year is read on its own.)"""
    text = words[i].text
    day = len(text) <= 2 and text.isascii() and text.isdigit() and int(text) <= 31  # not `10²`, nor 5,000 digits
    if day and i + 2 < len(words) and words[i + 1].lower in MONTHS and words[i + 1].text[:1].isupper() \
            and words[i + 2].lex.year:
        return i + 2
    return None


def _decade(word: Token) -> bool:
    return bool(_DECADE.fullmatch(word.text))


_DECADE = re.compile(r"\d{3}0s|\d0s")  # compiled once: asked of every number's last word


def _range_end(text: str, words: Sequence[Token], i: int) -> int:
    """The upper bound of a range that starts at word i (`30 to 50%`, `17-19 hours`,
    `between 10 and 14`, `between a third and a half`), else i."""
    if i + 2 < len(words) and words[i + 1].lower == "in" and words[i + 2].lex.number \
            and not words[i].lex.year and not words[i + 2].lex.year:
        return i + 2  # `one in five`, `three in four`: a share
    joined = "and" if i > 0 and "between" in (words[i - 1].lower, words[max(0, i - 2)].lower) else "to"
    if i + 3 < len(words) and words[i + 1].lower == joined and words[i + 2].lower == "a" \
            and words[i + 3].lower in FRACTIONS:
        return i + 3
    if i + 2 < len(words) and words[i + 1].lower in (joined, "or") and words[i + 2].lex.number:
        return i + 2  # `5 or 7 years`: two values, asked as one
    if i + 1 < len(words) and text[words[i].end:words[i + 1].start] in ("-", "–") and words[i + 1].lex.number:
        return i + 1
    return i


def _number_end(words: Sequence[Token], i: int) -> int:
    """Where a number's phrase ends: `hundreds of billions`, `six months`, `40%`."""
    last = i
    while last + 2 < len(words) and words[last + 1].lower == "of" and words[last + 2].lower in NUMBER_WORDS:
        last += 2
    if (words[last].lower.endswith("s") and words[last].lower in NUMBER_WORDS and last + 2 < len(words)
            and words[last + 1].lower == "of" and _is_unit(words[last + 2])):
        goes_on = last + 3 < len(words) and adjacent(words, last + 2) and _is_unit(words[last + 3])
        return last if goes_on else last + 2  # `hundreds of [millions]`; `tens of thousands` of Arab silver dirhams
    while last + 1 < len(words) and words[last + 1].lower in NUMBER_WORDS and adjacent(words, last):
        last += 1
    if last + 1 < len(words) and words[last + 1].lower in ("percent", "per cent", "%"):
        return last + 1
    if words[last].lex.with_unit or words[last].text.endswith("%"):
        return last
    if words[last].lex.year or _decade(words[last]):
        return last
    if words[i].text[0] in "$€£" and words[last].lower in NUMBER_WORDS:
        return last  # `$7.2 billion`: money with its magnitude is whole
    unit = last + 1
    if unit >= len(words) or not adjacent(words, last) or words[unit].lower in STOPWORDS:
        return last
    followed_by_unit = unit + 1 < len(words) and adjacent(words, unit) and _is_unit(words[unit + 1])
    if _is_unit(words[unit]):
        modifier = (
            words[unit].text.isupper() or _MODIFIER_ENDING.search(words[unit].lower)
            or (words[unit].lex.zipf >= 5.0 and not words[unit].lower.endswith("s"))
        )
        if unit + 1 < len(words) and adjacent(words, unit) and (
                words[unit + 1].lower in ("celsius", "fahrenheit", "kelvin")
                or (words[unit].lower in ("degree", "degrees") and words[unit + 1].text[:1].isupper())):
            return unit + 1  # `18 degrees Celsius`, `25 degrees Brix`: the scale is the unit's
        noun_follows = followed_by_unit and words[unit + 1].plural and (
            not words[unit].plural or "VERB" not in words[unit + 1].lex.parts)  # `9,700 fireworks [injuries]`
        # `eight US states`; `9.6 square kilometres`, `2,000 glider flights`: a singular modifier, then the unit
        return unit + 1 if (modifier or noun_follows) and followed_by_unit else unit
    if followed_by_unit and not words[unit].text[0].isdigit():
        return unit + 1  # `30 million cubic meters`, `seven Earth-sized planets`: a modifier, then the unit
    return last


_MODIFIER_ENDING = re.compile(r"(?:ic|al|ous|ive|ar|in)$")


def _is_unit(token: Token) -> bool:
    """A word that a number counts or measures: a noun (`grams`, `people`), not `Earth-sized` or `inflammatory`."""
    if token.lower in STOPWORDS or token.lower in NUMBER_WORDS or token.lower.endswith("ly"):
        return False
    parts = token.lex.parts
    if "-" in token.lower:
        return "NOUN" in parts
    return not parts.isdisjoint(("NOUN", ""))  # not `2 sits`, `one leaked login`: a verb is no unit


def _entities(text: str, words: Sequence[Token]) -> list[Target]:
    """Capitalised names (`Richard Chang`) and acronyms (`TSMC`)."""
    found = []
    i = 0
    while i < len(words):
        if not _capitalised(words, i):
            i += 1
            continue
        last = i
        while (
            last + 1 < len(words) and adjacent(words, last) and _capitalised(words, last + 1)
            and not words[last].lower.endswith("'s")
        ):
            last += 1
        first = i
        while first <= last and (words[first].lower in STOPWORDS or words[first].lower in MONTHS):
            first += 1
        if first <= last and _is_entity(text, words, first, last):
            found.append(_entity(text, words, first, last))
        i = last + 1
    return found


def _entity(text: str, words: Sequence[Token], first: int, last: int) -> Target:
    """Rare and multi-word names first; everyday ones (`US`, `China`) after rare terms."""
    rarity = min([w.lex.bare_zipf for w in words[first:last + 1]])
    rank = float(ENTITY)
    if rarity >= 4.5:
        rank = RARE_TERM + 0.5
    elif last == first and not words[first].acronym and rarity >= 3.0:
        rank += 0.3
    return _target(text, words, first, last, ENTITY, rarity, rank)


def _capitalised(words: Sequence[Token], i: int) -> bool:
    word = words[i].text
    return word[0].isupper() and word not in ("I",) and not word[0].isdigit()


def _is_entity(text: str, words: Sequence[Token], first: int, last: int) -> bool:
    """A sentence's first word is a name only when it is rare or an acronym."""
    word = words[first]
    starts_sentence = first == 0 or text[: word.start].rstrip().endswith((".", "!", "?", ":"))
    if not starts_sentence or last > first:
        return True
    possessive = word.lower.endswith("'s")
    return word.acronym or (possessive and word.lex.bare_zipf < 3.4)


def _rare_terms(text: str, words: Sequence[Token]) -> list[Target]:
    """Content words rarer than everyday English: the domain's terms."""
    found = []
    for i, word in enumerate(words):
        bare = word.lex.bare
        if bare in STOPWORDS or word.lex.number or len(bare) < 4 or bare.endswith("ly"):  # `€900` is a number
            continue
        rarity = word.lex.rarity
        if rarity < RARE_ZIPF:
            found.append(_target(text, words, i, i, RARE_TERM, rarity + _verb_penalty(words, i)))
    return found


def _verb_penalty(words: Sequence[Token], i: int) -> float:
    """Nouns make better answers than verbs; guess the part of speech by context."""
    before = words[i - 1].lower if i else ""
    if before in DETERMINERS:
        return -0.5
    word = words[i].lower
    if i and before not in STOPWORDS and word.endswith(("es", "izes", "ates")) and not word.endswith("ss"):
        return 0.7
    if word.endswith(("ly", "ing")):
        return 0.5
    return 0.0
