"""Cloze targets: every candidate span of a key point, and their ranking.

Targets are chosen in order of preference: a number (with its unit), a
percent, a date or year; a named entity; a rare domain term (by word
frequency, from wordfreq); else the key noun phrase.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from cards.cardmaker.clause import Imperative
from cards.cardmaker.types import Referent, SetAside, Target, TargetKind, Token
from cards.cardmaker.words import (
    ADVERBS,
    APPROXIMATORS,
    DECADE_PARTS,
    DETERMINERS,
    FRACTIONS,
    FREQUENCY_UNITS,
    MAX_TARGET_WORDS,
    MONTHS,
    NUMBER_WORDS,
    PREPOSITIONS,
    STOPWORDS,
    TIME_UNITS,
    read_part,
    rough_singular,
)

SHORT_KEY_POINT_WORDS = 12


RARE_ZIPF = 3.6


COMMON_ZIPF = 5.0


TOPIC_SHARE = 0.10  # of an episode's key points


TOPIC_MIN = 3


class Front(NamedTuple):
    """What the learner sees on a card's front besides the key point: nothing hidden may show there."""

    podcast_words: frozenset[str]  # the words of the podcast's name (`words.word_set`)
    episode_words: frozenset[str]  # of the episode's title
    before_words: frozenset[str] = frozenset()  # of the key point before, shown when this one opens with a pronoun
    speakers: frozenset[str] = frozenset()  # words of the speakers' names: the learner knows who speaks


def rank_targets(key_point: str, words: Sequence[Token], verbs: frozenset[int], claim_start: int, front: Front,
                 topic: frozenset[str], shown: Sequence[Token], advice: Imperative | None = None,
                 aside: SetAside = SetAside(None, None)) -> tuple[Target, ...]:
    """Every acceptable target of the key point, best first.

    Never a verb or a word English uses only as a verb; never what shows on
    the front already, nor the speaker before `claim_start`; the episode's
    topic, what the claim is contrasted with and its tail come last. `key_point`
    and `words` are the part read (`read_part`); `shown` are all the words on
    the front.
    """
    on_front = _FrontWords.of(shown)
    found = [
        _whole_noun_phrase(key_point, words, t, verbs, claim_start)
        for t in candidates_for(key_point, words) + _subject_term(key_point, words, verbs)
        if not (t.first_token == t.last_token and t.first_token in verbs) and not never_a_noun(t, words)
    ] + _advised(key_point, words, advice)
    candidates = [
        _demote_scene(_demote_contrast(_demote_topic(t, words, front.episode_words), words, aside), key_point, words)
        for t in found
        if _fits_front(t, words, on_front, front)
        and not (claim_start and t.start < claim_start)  # the speaker is not the content
        and not any(w.text in front.speakers for w in words[t.first_token:t.last_token + 1])
    ]
    checked = {(t.start, t.end) for t in candidates}
    candidates = _without_topic([_without_topic_unit(key_point, words, t, topic) for t in candidates], words, topic)
    if candidates and candidates[0].kind is not TargetKind.NUMBER:
        best = min(candidates, key=lambda t: (t.rank, t.score, t.start))
        if set(_core(words, best)) & topic:  # only phrases about the topic are left: hide the rest of one
            candidates = [_without_topic_edges(key_point, words, t, topic) for t in candidates]
    candidates = [t for t in candidates  # what was cut down to less than it was may now show on the front
                  if (t.start, t.end) in checked or _fits_front(t, words, on_front, front)]
    return tuple(sorted(candidates, key=lambda t: (t.rank, t.score, t.start)))


ADVISED_RANK = 1.5  # after numbers and rare names, before rare terms: the new information of advice


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
    target = _target(text, words, first, last, TargetKind.NOUN_PHRASE, 0.0, ADVISED_RANK)
    return [target] if _acceptable(target, [], words) else []


def topic_words(key_points: list[str]) -> frozenset[str]:
    """Words that recur across many key points of one episode: its subject.

    Measured from the key points themselves (document frequency): a word in
    at least three of them and at least a tenth. Hiding `AI` again and again
    in an episode about AI asks for nothing the learner does not know.
    """
    counts: Counter[str] = Counter()
    forms: dict[str, set[str]] = {}
    for key_point in key_points:
        words = {w.lower.removesuffix("'s") for w in read_part(key_point).words if w.lower not in STOPWORDS}
        for word in words:
            forms.setdefault(rough_singular(word), set()).add(word)
        counts.update({rough_singular(word) for word in words})  # `fab` and `fabs` are one topic
    needed = max(TOPIC_MIN, TOPIC_SHARE * len(key_points))
    return frozenset(form for key, count in counts.items() if count >= needed for form in forms[key])


def never_a_noun(target: Target, words: Sequence[Token]) -> bool:
    """A lone lowercase word that English uses as a verb, adjective or adverb, never as a noun.

    `dominates`, `decentralized`, `optimal`, `quickly`: hiding one asks the
    learner to guess a word, not a fact. The parts of speech come from
    lemminflect's lexicon (shipped in its wheel); names and numbers are not
    asked about, and a word it does not know is left to the other rules.
    """
    if target.kind is TargetKind.NUMBER or target.first_token != target.last_token:
        return False
    word = target.text
    sentence_start = target.first_token == 0 and word[:1].isupper() and word[1:].islower()  # `Later studies …`
    if not word.islower() and not sentence_start:
        return False
    lex = words[target.first_token].lex
    parts = lex.bare_parts
    if parts == {""} and "-" in word:  # `large-scale`, `long-term`: an adjective's compound
        return lex.head_parts <= {"ADJ", "ADV"}
    if parts == {""}:  # unknown to the lexicon: an adjective's or a participle's ending tells
        return word.lower().endswith(("ed", "ible", "able", "ous", "ive", "ful", "less"))
    return parts.isdisjoint({"NOUN", "PROPN"})


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
    entity = target.kind is TargetKind.ENTITY
    if target.kind not in (TargetKind.RARE_TERM, TargetKind.NOUN_PHRASE, TargetKind.ENTITY) \
            or target.first_token != target.last_token:
        return target
    first = last = target.first_token
    # `Sign language …`: a sentence's first word is capitalised for the sentence, not as a name
    sentence_start = (target.first_token == 0 or words[target.first_token].start == claim_start) \
        and words[target.first_token].lex.parts != {""}

    def joins(i: int) -> bool:
        word = words[i]
        parts = word.lex.bare_parts
        before = words[i - 1].lower if i else ""
        bare = word.lower.removesuffix("'s")
        content = bare not in STOPWORDS and len(bare) > 2 and not (bare.endswith("ly") and "ADV" in parts
                                                                   and parts.isdisjoint({"NOUN", "ADJ"}))
        by_position = i == 0 and word.text[1:].islower() and parts != {""}  # `Pro rata`: capital for the sentence
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
        if word.lower in ADVERBS or ("ADV" in parts and (parts.isdisjoint({"ADJ", "NOUN"}) or after_verb)):
            return False  # `elk now avoid`, `brought back beavers`
        participle = word.lower.endswith(("ed", "en")) and (before in DETERMINERS or before in PREPOSITIONS)
        return (bool(parts & {"NOUN", "ADJ"}) or participle  # `a trained workforce`, `on oversized stations`
                or parts == {""})  # `long-term`, `aluminous`, `clasts`: words too rare for the lexicon

    while (not entity and first > 0 and last - first + 1 < MAX_PHRASE_WORDS and _adjacent(words, first - 1)
           and not words[first - 1].lower.endswith("'s") and joins(first - 1)):
        first -= 1
    def noun_after(i: int) -> bool:
        return (i < len(words) and _adjacent(words, i - 1) and joins(i)
                and not words[i].lex.bare_parts.isdisjoint({"NOUN", ""})
                and "ADV" not in words[i].lex.parts  # `the sentence back`
                and not _object_follows(words, i))

    while (last + 1 < len(words) and last - first + 1 < MAX_PHRASE_WORDS
           and not words[last].plural and not words[last].lower.endswith("'s")):
        if noun_after(last + 1):
            last += 1
        elif (last - first + 2 < MAX_PHRASE_WORDS and words[last + 1].lex.parts == {"ADJ"}
              and _adjacent(words, last) and joins(last + 1) and noun_after(last + 2)):
            last += 2  # `Fischer random chess`: an adjective, then the noun it goes with
        else:
            break
    if (first, last) == (target.first_token, target.last_token):
        return target
    return _target(text, words, first, last, target.kind, target.score, target.rank)


def _object_follows(words: Sequence[Token], i: int) -> bool:
    """`quicklime cut Roman curing times`: a word a name or an article follows is a verb, not a noun."""
    if "VERB" not in words[i].lex.parts or i + 1 >= len(words) or not _adjacent(words, i):
        return False
    return words[i + 1].text[0].isupper() or words[i + 1].lower in ("a", "an", "the")


def _demote_contrast(target: Target, words: Sequence[Token], aside: SetAside) -> Target:
    """What a key point sets its claim against, or leans on, comes after the claim itself.

    `Rather than building fabs everywhere, countries should …` (the advice is
    after the comma); `… on oversized stations rather than tunnels`, `more
    … than any single probiotic` (what follows `than`); `These fast
    metabolisers see …` (the subject `These` points back to).
    """
    before = [w.lower for w in words[max(0, target.first_token - 2):target.first_token]]
    after_than = bool({"than", "unlike"} & set(before)) and not (before and before[-1] in NUMBER_WORDS)
    anaphoric_subject = bool(words) and words[0].lower in ("this", "these", "those") and target.first_token <= 3 \
        and target.kind is not TargetKind.NUMBER
    in_tail = aside.tail_start is not None and target.start >= aside.tail_start
    in_opening = aside.opening_end is not None and target.end <= aside.opening_end
    if target.end <= aside.setting_end:  # `In 1997, …`, `In California, …`: when and where, rarely the fact
        return target._replace(rank=target.rank + SETTING_PENALTY)
    if in_opening or after_than or anaphoric_subject or in_tail:
        return target._replace(rank=target.rank + 1.0)
    return target


SETTING_PENALTY = 3.0  # after every kind of target outside the setting
SCENE_PENALTY = 2.0  # after names and rare terms
_EXAMPLES = re.compile(r"\b(?:such as|e\.g\.|for example|for instance)\s")


def _demote_scene(target: Target, text: str, words: Sequence[Token]) -> Target:
    """A number that sets the scene, and an example, come after what the claim is about.

    `his [1912] medals`, `up a [30%] slope`: a number that modifies a noun
    after an article or a possessive describes the thing, it is not the
    claim's measure; `[one] breach`: one is nearly an article; `OpenType
    [1.8]`, `Zone [2]`: a number that is part of a name. `such as [AV or To]`:
    an example illustrates the claim.
    """
    first, last = target.first_token, target.last_token
    before = words[first - 1] if first else None
    if target.kind is TargetKind.NUMBER and before is not None:
        after = words[last + 1] if last + 1 < len(words) else None
        modifier = (before.lower in DETERMINERS or before.lower.endswith("'s")) and after is not None \
            and _adjacent(words, last) and after.text.islower() and "NOUN" in after.lex.parts \
            and last == first
        named = before.text[:1].isupper() and first > 1 and _adjacent(words, first - 1) \
            and before.lower not in MONTHS and before.lower not in STOPWORDS
        if modifier or named:
            return target._replace(rank=target.rank + SCENE_PENALTY)
    if target.kind is TargetKind.NUMBER and words[first].lower == "one" and last > first:
        return target._replace(rank=target.rank + SCENE_PENALTY)
    if target.kind is TargetKind.NUMBER or not ("such as" in text or "e.g." in text or "for " in text):
        return target
    example = _EXAMPLES.search(text, 0, target.start)
    if example and "," not in text[example.end():target.start]:
        return target._replace(rank=target.rank + 1.0)
    return target


def _without_topic_unit(text: str, words: Sequence[Token], target: Target, topic: frozenset[str]) -> Target:
    """`around {{300}} words`, `{{thousands}} of chips` in an episode about words or chips: the count is the fact,
    the topic word is not."""
    last = target.last_token
    unit = words[last].lower.removesuffix("'s")
    count = last - 2 if last - 2 >= target.first_token and words[last - 1].lower == "of" else last - 1
    if (target.kind is not TargetKind.NUMBER or last == target.first_token or unit not in topic
            or unit in TIME_UNITS or not words[count].lex.number or words[count].lower in STOPWORDS):
        return target
    return _target(text, words, target.first_token, count, target.kind, target.score, target.rank)


def _without_topic_edges(text: str, words: Sequence[Token], target: Target, topic: frozenset[str]) -> Target:
    """`China's AI [efforts]`, `Semiconductor [knowledge]`: the episode's topic word at a phrase's edge stays
    shown; the rest of the phrase is what the card asks for."""
    first, last = target.first_token, target.last_token
    if target.kind is TargetKind.NUMBER or first == last:
        return target
    def topical(i: int) -> bool:
        return words[i].lower.removesuffix("'s") in topic

    while first < last and topical(first):
        first += 1
    while last > first and topical(last):
        last -= 1
    if (first, last) == (target.first_token, target.last_token) or topical(first) or words[first].lower in STOPWORDS:
        return target
    return _target(text, words, first, last, target.kind, target.score, target.rank)


def _without_topic(candidates: list[Target], words: Sequence[Token], topic: frozenset[str]) -> list[Target]:
    """Candidates that are more than the episode's topic word, when there are any.

    A phrase that holds a topic word (`transit agencies` in an episode on
    transit) comes after those that hold none: it is usually the subject the
    key point is about, not what it says of it. A number keeps its place
    (`two high tides` in an episode on tides).
    """
    if not topic:
        return candidates
    other = [t for t in candidates if not set(_core(words, t)) <= topic]
    return [
        t._replace(rank=t.rank + 1.5) if t.kind is not TargetKind.NUMBER and set(_core(words, t)) & topic else t
        for t in other
    ] or candidates


def _subject_term(text: str, words: Sequence[Token], verbs: frozenset[int]) -> list[Target]:
    """A two-word subject naming a concept: `Loss aversion means …`, `Public-key cryptography lets …`."""
    first = 1 if words and words[0].lower in ("the", "a", "an") else 0
    verb = min((v for v in verbs if v > first), default=None)
    if verb != first + 2 or not _adjacent(words, first):
        return []
    pair = words[first:verb]
    if not all(w.lex.content for w in pair) or any(w.text[0].isdigit() for w in pair):
        return []
    rarity = min(w.lex.rarity for w in pair)
    if rarity >= RARE_ZIPF and not pair[0].text[0].isupper():
        return []
    return [_target(text, words, first, first + 1, TargetKind.RARE_TERM, min(rarity, 3.0) - 1.0)]


def _demote_topic(target: Target, words: Sequence[Token], episode: frozenset[str]) -> Target:
    """A word of the episode's title is its topic: asking for it tests nothing."""
    if episode and _shows(episode, words, target):
        return target._replace(rank=target.rank + 1.5)
    return target


class _FrontWords(NamedTuple):
    """The key point's words (lower case, no possessive `'s`), counted once, so each target is checked in
    time linear in its own length (a set of the words outside each target made a long key point quadratic)."""

    forms: tuple[str, ...]
    counts: Counter[str]

    @classmethod
    def of(cls, words: Sequence[Token]) -> _FrontWords:
        forms = tuple(w.lex.bare for w in words)
        return cls(forms, Counter(forms))

    def shown_outside(self, target: Target, core: tuple[str, ...], elsewhere: frozenset[str]) -> bool:
        """Every core word also stands somewhere outside the target's own tokens, or `elsewhere` on the front."""
        inside = Counter(self.forms[target.first_token:target.last_token + 1])
        return all(self.counts[word] > inside[word] or word in elsewhere for word in core)


def _fits_front(target: Target, words: Sequence[Token], shown: _FrontWords, front: Front) -> bool:
    """A target whose words all show elsewhere on the front cannot be asked for: in the key point, the key point
    shown before it, or the context label (`Podcast · Episode`; the episode is left out of it when it alone
    would give the answer away, see `questions.context_label`)."""
    core = _core(words, target)
    if not core:
        return True
    label = front.podcast_words | front.episode_words
    elsewhere = front.before_words | (front.podcast_words if label.issuperset(core) else label)
    return not shown.shown_outside(target, core, elsewhere)


def _core(words: Sequence[Token], target: Target) -> tuple[str, ...]:
    """The words of a target that give it away: its content words, else all (as `words.core_words`)."""
    span = [w.lex.bare for w in words[target.first_token:target.last_token + 1]]
    content = [w for w in span if w not in STOPWORDS and w not in APPROXIMATORS]
    return tuple(content or span)


def _shows(shown: frozenset[str], words: Sequence[Token], target: Target) -> bool:
    """Whether these words (a text's `word_set`) give the target away."""
    core = _core(words, target)
    return bool(core) and shown.issuperset(core)


def _adjacent(words: Sequence[Token], i: int) -> bool:
    """No punctuation between word i and word i+1."""
    return words[i + 1].start - words[i].end <= 1


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


def _solid(target: Target) -> bool:
    """Worth a second card: a number with its unit, a name, or a really rare term."""
    if target.kind is TargetKind.NUMBER:
        return target.rank == TargetKind.NUMBER
    if target.kind is TargetKind.ENTITY:
        return target.rank < TargetKind.RARE_TERM
    return target.kind is TargetKind.RARE_TERM and target.score < 3.0


def _apart(a: Target, b: Target, words: Sequence[Token]) -> bool:
    """Two deletions that neither overlap nor touch, nor share a word."""
    if a.end + 1 >= b.start and b.end + 1 >= a.start:
        return False
    return not (set(_core(words, a)) & set(_core(words, b)))


def candidates_for(text: str, words: Sequence[Token]) -> list[Target]:
    """Every acceptable target in the key point, of every kind."""
    enumeration = _enumeration_spans(text, words)
    found: dict[tuple[int, int], Target] = {}
    for finder in (_numbers, _entities, _rare_terms, _noun_phrases):
        for target in finder(text, words):
            if _acceptable(target, enumeration, words) and (target.start, target.end) not in found:
                found[(target.start, target.end)] = target
    name_end: dict[int, int] = {}  # token → the last token of the multi-word name it is part of
    for name in found.values():
        if name.kind is TargetKind.ENTITY and name.last_token > name.first_token:
            name_end.update(dict.fromkeys(range(name.first_token, name.last_token + 1), name.last_token))
    return [t for t in found.values() if t.kind is TargetKind.ENTITY  # a name is one unit: no `Meridional` alone
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
    return len(re.split(r",|\band\b|\bor\b", text))


_ENUMERATION = re.compile(r"(?:(?<=[,.;:])|^)[^,.;:]+(?:,[^,.;:]+)+,?\s+(?:and|or)\s+[^,.;:]+")


def _enumeration_spans(text: str, words: Sequence[Token]) -> list[tuple[int, int]]:
    """Spans of `a, b(,) and c` lists of three or more items, in order (they do not overlap).

    The pattern is tried only where an item can begin (after `,.;:` or at the
    start: a later start in the same item meets the same commas) and within a
    sentence of at most `LIST_SENTENCE_CHARS`, so a long key point costs
    linear time.
    """
    if "," not in text or not (" and " in text or " or " in text):
        return []  # no list here
    spans = []
    for sentence in _LIST_SENTENCE.finditer(text):
        start, end = sentence.span()
        if end - start <= LIST_SENTENCE_CHARS:
            spans += [(m.start(), m.end()) for m in _ENUMERATION.finditer(text, start, end)]
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
    return Target(start, end, span, kind, score, first, last, rank or float(kind), tuple(words[first:last + 1]))


def _numbers(text: str, words: Sequence[Token]) -> list[Target]:
    """Numbers with their unit, percents, years, dates and frequencies (`once a year`)."""
    found = []
    i = 0
    while i < len(words):
        if (words[i].lower in ("once", "twice") and i + 2 < len(words) and words[i + 1].lower in ("a", "per", "every")
                and words[i + 2].lower in FREQUENCY_UNITS):
            found.append(_target(text, words, i, i + 2, TargetKind.NUMBER, float(i) / 100))
            i += 3
            continue
        if not words[i].lex.number:
            i += 1
            continue
        first = i
        if i > 0 and (words[i - 1].lower in MONTHS or (words[i - 1].lower in DECADE_PARTS and _decade(words[i]))):
            first = i - 1  # `May 1997`, `the late 1980s`
        elif i > 0 and words[i - 1].lower == "a" and words[i].lower in FRACTIONS:
            first = i - 1  # `a quarter`
        if first > 0 and words[first - 1].lower == "between" and _range_end(text, words, i) > i:
            first -= 1  # `between 10 and 14 months`
        last = _number_end(words, _range_end(text, words, i))
        rank = float(TargetKind.NUMBER)
        if (first == last and words[i].lower in NUMBER_WORDS) or (first and words[first - 1].lower == "the"):
            rank = TargetKind.ENTITY + 0.5  # `four`, `the 100 meters`: a bare count or a name
        if not (first == last and words[i].lower == "one"):  # `one road`: a word, not a number
            found.append(_target(text, words, first, last, TargetKind.NUMBER, float(first) / 100, rank))
        i = last + 1
    return found


def _decade(word: Token) -> bool:
    return bool(re.fullmatch(r"\d{3}0s|\d0s", word.text))


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
        return last + 2
    while last + 1 < len(words) and words[last + 1].lower in NUMBER_WORDS and _adjacent(words, last):
        last += 1
    if last + 1 < len(words) and words[last + 1].lower in ("percent", "per cent", "%"):
        return last + 1
    if (words[last].text[-1].isalpha() and words[last].text[0].isdigit()) or words[last].text.endswith("%"):
        return last
    if words[last].lex.year or _decade(words[last]):
        return last
    if words[i].text[0] in "$€£" and words[last].lower in NUMBER_WORDS:
        return last  # `$7.2 billion`: money with its magnitude is whole
    unit = last + 1
    if unit >= len(words) or not _adjacent(words, last) or words[unit].lower in STOPWORDS:
        return last
    followed_by_unit = unit + 1 < len(words) and _adjacent(words, unit) and _is_unit(words[unit + 1])
    if _is_unit(words[unit]):
        modifier = (
            words[unit].text.isupper() or re.search(r"(?:ic|al|ous|ive|ar|in)$", words[unit].lower)
            or (words[unit].lex.zipf >= 5.0 and not words[unit].lower.endswith("s"))
        )
        if unit + 1 < len(words) and words[unit + 1].lower in ("celsius", "fahrenheit", "kelvin"):
            return unit + 1  # `18 degrees Celsius`
        noun_follows = followed_by_unit and words[unit + 1].plural and not words[unit].plural
        # `eight US states`; `9.6 square kilometres`, `2,000 glider flights`: a singular modifier, then the unit
        return unit + 1 if (modifier or noun_follows) and followed_by_unit else unit
    if followed_by_unit and not words[unit].text[0].isdigit():
        return unit + 1  # `30 million cubic meters`, `seven Earth-sized planets`: a modifier, then the unit
    return last


def _is_unit(token: Token) -> bool:
    """A word that a number counts or measures: a noun (`grams`, `people`), not `Earth-sized` or `inflammatory`."""
    if token.lower in STOPWORDS or token.lower in NUMBER_WORDS or token.lower.endswith("ly"):
        return False
    parts = token.lex.parts
    if "-" in token.lower:
        return "NOUN" in parts
    return bool(parts & {"NOUN", ""})  # not `2 sits`, `one leaked login`: a verb is no unit


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
            last + 1 < len(words) and _adjacent(words, last) and _capitalised(words, last + 1)
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
    rarity = min(w.lex.bare_zipf for w in words[first:last + 1])
    rank = float(TargetKind.ENTITY)
    if rarity >= 4.5:
        rank = TargetKind.RARE_TERM + 0.5
    elif last == first and not words[first].acronym and rarity >= 3.0:
        rank += 0.3
    return _target(text, words, first, last, TargetKind.ENTITY, rarity, rank)


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
        bare = word.lower.removesuffix("'s")
        if bare in STOPWORDS or word.text[0].isdigit() or len(bare) < 4 or bare.endswith("ly"):
            continue
        rarity = word.lex.rarity
        if rarity < RARE_ZIPF:
            found.append(_target(text, words, i, i, TargetKind.RARE_TERM, rarity + _verb_penalty(words, i)))
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


def _noun_phrases(text: str, words: Sequence[Token]) -> list[Target]:
    """The rarest run of content words, as a last resort."""
    found = []
    for i, word in enumerate(words):
        if word.lex.content and word.lex.zipf < COMMON_ZIPF + 0.5:
            score = word.lex.zipf + _verb_penalty(words, i)
            found.append(_target(text, words, i, i, TargetKind.NOUN_PHRASE, score))
    return found
