"""Key point → card content: cloze targets, a question, a context label.

The rules follow the principles of good prompts (SuperMemo's twenty rules,
Andy Matuschak's "How to write good prompts"): each card asks for one thing,
the thing that matters most in the key point, and never shows its answer.

Targets are chosen in order of preference: a number (with its unit), a
percent, a date or year; a named entity; a rare domain term (by word
frequency, from wordfreq); else the key noun phrase.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from cards.lexicon import (
    ANAPHORA,
    APPROXIMATORS,
    DETERMINERS,
    MAX_TARGET_WORDS,
    MONTHS,
    NUMBER_WORDS,
    STOPWORDS,
    Question,
    Reading,
    Target,
    TargetKind,
    Token,
    adjacent,
    contains_answer,
    core_words,
    is_acronym,
    is_content,
    is_number,
    is_year,
    parts_of_speech,
    plural_noun,
    tokens,
    verb_lemma,
    with_capital,
    zipf,
)
from cards.questions import ADVERBS, PREPOSITIONS, make_question, read_clause, verb_only

MODALS = frozenset("can could will would should may might must cannot".split())
PERFECT = frozenset("has have had been".split())  # `has raged`
BE = frozenset("be been being is are was were".split())  # `cannot be phished`, `is stratified`: never a target

SHORT_KEY_POINT_WORDS = 12
RARE_ZIPF = 3.6
COMMON_ZIPF = 5.0

class CardPlan(NamedTuple):
    """Everything the renderer needs to write one key point's two notes."""

    key_point: str
    deletions: tuple[Target, ...]
    question: Question | None
    cloze_context: str
    qa_context: str
    before: str = ""  # the previous key point, shown on the front when this one opens with a pronoun


def plan_cards(key_point: str, podcast: str, episode: str, names: frozenset[str] = frozenset(),
               topic: frozenset[str] = frozenset(), previous: str = "") -> CardPlan:
    """Choose deletions, a question and a context label for one key point.

    `topic` holds the words of the episode's subject (see `topic_words`);
    `previous` is the key point before this one in its snip: when this one
    opens with a pronoun (`This would …`), it is shown on the front too.
    """
    before = previous if previous and opens_with_pronoun(key_point) else ""
    words = tokens(key_point)
    frame = attribution(key_point, previous, episode)
    verbs = verb_positions(key_point, words) | _claim_verbs(frame, words)
    found = [
        _whole_noun_phrase(key_point, words, t, verbs, frame.claim_start if frame else 0)
        for t in candidates_for(key_point, words) + _subject_term(key_point, words, verbs)
        if not (t.first_token == t.last_token and t.first_token in verbs) and not never_a_noun(t)
    ]
    aside = SetAside.of(key_point)
    candidates = [
        _demote_contrast(_demote_topic(t, episode), words, aside)
        for t in found
        if _fits_front(t, words, podcast)
        and not (before and contains_answer(before, t.text))
        and not (frame and t.start < frame.claim_start)  # the speaker is not the content
    ]
    candidates = _without_topic([_without_topic_unit(key_point, words, t, topic) for t in candidates], topic)
    ranked = tuple(sorted(candidates, key=lambda t: (t.rank, t.score, t.start)))
    lead = frame or contrast(key_point)
    reading = Reading(key_point, words, frozenset(verbs), ranked, lead.claim_start if lead else 0)
    deletions = _choose_deletions(ranked, len(words))
    question = _framed_question(lead, reading, podcast, names) if lead else make_question(reading, podcast, names)
    if question is None and frame and not frame.is_clause and frame.speaker:
        question = _question_with_speaker(key_point, frame, reading, podcast, names)
    if question is None and before:
        question = _question_about_referent(key_point, before, podcast, episode, names, topic)
    answers = [question.answer] if question else []
    return CardPlan(
        key_point,
        tuple(deletions),
        question,
        context_label(podcast, episode, [d.text for d in deletions]),
        context_label(podcast, episode, answers),
        before,
    )


# --- what the episode is about, and who said what ---------------------------

TOPIC_SHARE = 0.10  # of an episode's key points
TOPIC_MIN = 3


def topic_words(key_points: list[str]) -> frozenset[str]:
    """Words that recur across many key points of one episode: its subject.

    Measured from the key points themselves (document frequency): a word in
    at least three of them and at least a tenth. Hiding `AI` again and again
    in an episode about AI asks for nothing the learner does not know.
    """
    counts: Counter[str] = Counter()
    forms: dict[str, set[str]] = {}
    for key_point in key_points:
        words = {w.lower.removesuffix("'s") for w in tokens(key_point) if w.lower not in STOPWORDS}
        for word in words:
            forms.setdefault(_singular(word), set()).add(word)
        counts.update({_singular(word) for word in words})  # `fab` and `fabs` are one topic
    needed = max(TOPIC_MIN, TOPIC_SHARE * len(key_points))
    return frozenset(form for key, count in counts.items() if count >= needed for form in forms[key])


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def never_a_noun(target: Target) -> bool:
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
    parts = parts_of_speech(word.lower().removesuffix("'s"))
    if parts == {""}:  # unknown to the lexicon: an adjective's or a participle's ending tells (not `long-term`)
        return "-" not in word and word.lower().endswith(("ed", "ible", "able", "ous", "ive", "ful", "less"))
    return parts.isdisjoint({"NOUN", "PROPN"})


MAX_PHRASE_WORDS = 4


def _whole_noun_phrase(text: str, words: Sequence[Token], target: Target, verbs: set[int],
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
        and parts_of_speech(words[target.first_token].lower) != {""}

    def joins(i: int) -> bool:
        word = words[i]
        parts = parts_of_speech(word.lower.removesuffix("'s"))
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
        after_verb = i - 1 in verbs or verb_lemma(before) not in ("", before)  # `brought back beavers`
        if word.lower in ADVERBS or ("ADV" in parts and (parts.isdisjoint({"ADJ", "NOUN"}) or after_verb)):
            return False  # `elk now avoid`, `brought back beavers`
        participle = word.lower.endswith(("ed", "en")) and (before in DETERMINERS or before in PREPOSITIONS)
        return (bool(parts & {"NOUN", "ADJ"}) or participle  # `a trained workforce`, `on oversized stations`
                or parts == {""})  # `long-term`, `aluminous`, `clasts`: words too rare for the lexicon

    while (not entity and first > 0 and last - first + 1 < MAX_PHRASE_WORDS and adjacent(words, first - 1)
           and not words[first - 1].lower.endswith("'s") and joins(first - 1)):
        first -= 1
    def noun_after(i: int) -> bool:
        return (i < len(words) and adjacent(words, i - 1) and joins(i)
                and not parts_of_speech(words[i].lower.removesuffix("'s")).isdisjoint({"NOUN", ""})
                and "ADV" not in parts_of_speech(words[i].lower)  # `the sentence back`
                and not _object_follows(words, i))

    while (last + 1 < len(words) and last - first + 1 < MAX_PHRASE_WORDS
           and not plural_noun(words[last]) and not words[last].lower.endswith("'s")):
        if noun_after(last + 1):
            last += 1
        elif (last - first + 2 < MAX_PHRASE_WORDS and parts_of_speech(words[last + 1].lower) == {"ADJ"}
              and adjacent(words, last) and joins(last + 1) and noun_after(last + 2)):
            last += 2  # `Fischer random chess`: an adjective, then the noun it goes with
        else:
            break
    if (first, last) == (target.first_token, target.last_token):
        return target
    return _target(text, words, first, last, target.kind, target.score, target.rank)


def _object_follows(words: Sequence[Token], i: int) -> bool:
    """`quicklime cut Roman curing times`: a word a name or an article follows is a verb, not a noun."""
    if "VERB" not in parts_of_speech(words[i].lower) or i + 1 >= len(words) or not adjacent(words, i):
        return False
    return words[i + 1].text[0].isupper() or words[i + 1].lower in ("a", "an", "the")


_TAIL = re.compile(r",\s+(?:including|which|but|while|whereas|though|although|[a-z]+ing)\b")
_CONTRAST = re.compile(r"^(?:Rather than|Instead of|Unlike|Compared with|Compared to|Despite)\b[^,]{2,80},")


class SetAside(NamedTuple):
    """Where a key point's secondary parts lie: an opening contrast, a trailing tail (read once per key point)."""

    opening_end: int | None  # `Rather than building fabs everywhere,|`
    tail_start: int | None  # `|, including babbling with the hands`

    @classmethod
    def of(cls, key_point: str) -> SetAside:
        opening = _CONTRAST.match(key_point)
        tail = _TAIL.search(key_point)
        return cls(opening.end() if opening else None, tail.start() if tail else None)


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
    if in_opening or after_than or anaphoric_subject or in_tail:
        return target._replace(rank=target.rank + 1.0)
    return target


TIME_UNITS = frozenset("seconds minutes hours days weeks months years decades centuries".split())


def _without_topic_unit(text: str, words: Sequence[Token], target: Target, topic: frozenset[str]) -> Target:
    """`around {{300}} words` in an episode about words: the count is the fact, the topic word is not."""
    last = target.last_token
    unit = words[last].lower.removesuffix("'s")
    if (target.kind is not TargetKind.NUMBER or last == target.first_token or unit not in topic
            or unit in TIME_UNITS or not is_number(words[last - 1]) or words[last - 1].lower in STOPWORDS):
        return target
    return _target(text, words, target.first_token, last - 1, target.kind, target.score, target.rank)


def _without_topic(candidates: list[Target], topic: frozenset[str]) -> list[Target]:
    """Candidates that are more than the episode's topic word, when there are any.

    A phrase that holds a topic word (`transit agencies` in an episode on
    transit) comes after those that hold none: it is usually the subject the
    key point is about, not what it says of it. A number keeps its place
    (`two high tides` in an episode on tides).
    """
    if not topic:
        return candidates
    other = [t for t in candidates if not set(core_words(t.text)) <= topic]
    return [
        t._replace(rank=t.rank + 1.5) if t.kind is not TargetKind.NUMBER and set(core_words(t.text)) & topic else t
        for t in other
    ] or candidates


# The verbs Snipd's summaries put between a speaker and a claim (the list and plain
# verbs of saying); `predicted`, `founded` and the like make a fact about the person.
# After these the claim is a clause even without `that` (`believes export controls are …`):
CLAUSE_VERBS = frozenset(
    """argues argued says said notes noted believes believed thinks thought warns warned estimates estimated
    states stated mentions mentioned explains explained suggests suggested claims claimed emphasizes emphasized
    highlights highlighted points pointed observes observed doubts doubted""".split()
)
# after these it is not (`credits cattle with …`, `cautions against …`):
OTHER_ATTRIBUTION_VERBS = frozenset(
    "cautions cautioned cites cited recommends recommended credits credited calls called contrasts contrasted".split()
)
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


PERSONAL_PRONOUNS = frozenset("he she they".split())
_GUEST = re.compile(
    r"\bwith (?:(?:Dr|Prof|Professor|GM|Sir|Dame)\.?\s+)?(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})\s*$"
)


def attribution(key_point: str, previous: str = "", episode: str = "") -> Attribution | None:
    """The speaker frame of a key point, for any speaker's name (not a list of names).

    `She warns that …` is a frame too: its speaker is the one the key point
    before named, else the guest the episode title names (`… with Dr. Maya
    Osei`), else unknown ("").
    """
    match = _ATTRIBUTION.match(key_point) or _ACCORDING.match(key_point)
    if not match:
        return None
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


def _claim_verbs(frame: Attribution | None, words: Sequence[Token]) -> set[int]:
    """The verbs of an attributed claim, read as a sentence of its own (positions in the key point)."""
    if frame is None:
        return set()
    claim_words = tokens(frame.claim)
    offset = frame.claim_start
    starts = {w.start: i for i, w in enumerate(words)}
    return {starts[claim_words[i].start + offset] for i in verb_positions(frame.claim, claim_words)
            if claim_words[i].start + offset in starts}


def _framed_question(frame: Attribution, reading: Reading, podcast: str,
                     names: frozenset[str]) -> Question | None:
    """A question about the claim that keeps its frame: `According to Osei, what …?`, `Unlike X, what …?`.

    Only a claim that is a clause can be asked about: `Brown credits cattle
    with …` or `Lemkin cautions against …` would make a broken question; nor
    one whose speaker is unknown (`She warns …` with no name to give).
    """
    if not frame.is_clause or not frame.lead:
        return None
    claim = reading.claim
    question = make_question(reading, podcast, names)
    if question is None or contains_answer(frame.lead, question.answer):
        return None
    text = question.text
    first = text.split(" ", 1)[0]
    claim_first = frame.claim.split(" ", 1)[0]
    lowered_by_us = claim_first[:1].islower() and first == claim[:len(first)]  # `… that semiconductor manufacturing …`
    if (first.lower() in STOPWORDS and not is_acronym(first)) or lowered_by_us:
        text = text[:1].lower() + text[1:]
    return Question(f"{frame.lead} {text}", question.answer)


PRONOUN_OPENERS = frozenset("this it they he she these".split())


def _question_with_speaker(key_point: str, frame: Attribution, reading: Reading, podcast: str,
                           names: frozenset[str]) -> Question | None:
    """`Lemkin cautions against hiring a vice president …` asked with its speaker as the subject.

    No clause follows the verb, so the speaker stays in the question
    (`What does Lemkin caution against hiring …?`); `He recommends …` names
    who he is. The speaker is never the answer.
    """
    first = tokens(key_point)[0]
    if re.search(r"\b(?:contrast|call)(?:s|ed)\b", key_point[:frame.claim_start]):
        return None  # `contrasts X, where …, with Y`: two things, no one answer
    start = first.end if first.lower in PERSONAL_PRONOUNS else len(frame.speaker)
    if first.lower not in PERSONAL_PRONOUNS and not key_point.startswith(frame.speaker):
        return None
    spoken = frame.speaker + key_point[start:]
    words = tokens(spoken)
    claim = tuple(t for t in reading.targets if t.start >= frame.claim_start)
    speaker = frozenset(frame.speaker.split())  # a name keeps its capitals: `does Walker recommend`
    question = make_question(Reading(spoken, words, frozenset(verb_positions(spoken, words)), claim), podcast,
                             names | speaker)
    if question is None or contains_answer(frame.speaker, question.answer):
        return None
    return question


def _question_about_referent(key_point: str, previous: str, podcast: str, episode: str, names: frozenset[str],
                             topic: frozenset[str]) -> Question | None:
    """A question that names what `This …`/`They …` points back to, taken from the key point before.

    `These crystals make harbour walls stronger …` after `… to grow aluminous
    tobermorite crystals` asks about `aluminous tobermorite crystals`; when
    the referent cannot be named, there is no question.
    """
    named = name_referent(key_point, previous)
    if named is None:
        return None
    question = plan_cards(named, podcast, episode, names, topic).question
    if question is None or contains_answer(previous, question.answer):
        return None  # the answer is on the front already, in the key point shown above
    return question


def name_referent(key_point: str, previous: str) -> str | None:
    """The key point with its opening pronoun replaced by what it stands for in `previous`, or None.

    `These/This/Those <noun>` → the phrase of `previous` that ends in the same
    noun; `They`/`It` → the subject of `previous` when it agrees in number
    (and `It` is no person's name).
    """
    words, before = tokens(key_point), tokens(previous)
    if len(words) < 3 or not before:
        return None
    opener = words[0].lower
    if opener in ("this", "these", "those") and "NOUN" in parts_of_speech(words[1].lower):
        head = _singular(words[1].lower)
        for i, word in enumerate(before):
            if _singular(word.lower) == head and word.lower not in STOPWORDS:
                first = i
                while first > 0 and _modifies(before[first - 1]) and adjacent(before, first - 1):
                    first -= 1
                phrase = previous[before[first].start:word.end]
                return with_capital(phrase) + key_point[words[1].end:]
        return None
    if opener in ("they", "it"):
        clause = read_clause(previous)
        if clause is None:
            return None
        subject = clause.subject
        plural = plural_noun(tokens(subject)[-1])
        person = " " in subject and all(w.text[:1].isupper() for w in tokens(subject))
        if (opener == "they") != plural or person or subject.split()[0].lower() in ANAPHORA:
            return None
        return with_capital(subject) + key_point[words[0].end:]
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


def verb_positions(key_point: str, words: Sequence[Token]) -> set[int]:
    """Tokens that are verbs: the main verb, and words after a modal or `to`.

    Verbs make poor answers: a card should ask for a thing, not an action.
    """
    found = {i + 1 for i, w in enumerate(words[:-1]) if w.lower in MODALS or w.lower == "to"}
    found |= {i + 2 for i, w in enumerate(words[:-2])  # `could easily hide`: an adverb between
              if w.lower in MODALS and words[i + 1].lower.endswith("ly")}
    # `-ize`/`-ify` words are verbs, and so is a lowercase word opening the main clause
    # after `As head of compute, …` (an imperative).
    found |= {i for i, w in enumerate(words) if _ize_or_ify(w.lower)
              and not (i and words[i - 1].lower in DETERMINERS)}
    leading = re.match(r"^(?:As|If|When|While|Once|Before|After)\b[^,]{3,80},\s+([a-z])", key_point)
    if leading:
        found |= {i for i, w in enumerate(words) if w.start == leading.start(1)}
    found |= {
        i + 1 for i, w in enumerate(words[:-1])
        if w.lower in PERFECT and words[i + 1].lower.endswith(("ed", "en"))
    }
    found |= {i for i in range(1, len(words)) if _verb_after_subject(words, i) or verb_only(words, i)
              or _verb_after_name(words, i)}
    found |= {i for i in range(2, len(words))  # `often matters`, `now compete`; not `Later studies`
              if words[i - 1].lower in ADVERBS and "VERB" in parts_of_speech(words[i].lower)}
    if len(words) > 1 and words[0].lower in PRONOUN_OPENERS and "VERB" in parts_of_speech(words[1].lower):
        found.add(1)  # `This leaves the coral …`
    found |= {i + 1 for i, w in enumerate(words[:-1]) if w.lower in BE and words[i + 1].lower.endswith("ed")}
    clause = read_clause(key_point)
    if clause is not None:
        verb = clause.verb_token.text
        offset = key_point.find(clause.text[:20]) if clause.text[:20] in key_point else 0
        position = key_point.find(verb, offset + clause.verb_token.start - 2)
        # not when the lexicon found the verb right after it: `Sun-like stars hosts an …`
        found.update(i for i, w in enumerate(words) if w.start == position and i + 1 not in found)
    return found


def _ize_or_ify(word: str) -> bool:
    """`colonize`, `amplify`: ends in -ify, or in -ize after any letter but w."""
    return word.endswith("ify") or (word.endswith("ize") and len(word) > 3 and word[-4] != "w")


AFTER_NOUN_NOT_VERB = MODALS | frozenset("is are was were be been has have had do does did and or".split())


def _verb_after_subject(words: Sequence[Token], i: int) -> bool:
    """A verb right after a noun that is its subject.

    `velocity measures a …`, `pollution buys reefs …` (a singular noun, then
    a verb in -s), `agencies overspend on …`, `microbes turn fibre …` (a
    plural, then a base form). Not `security keys cannot …`: a noun that an
    auxiliary follows is part of the subject.
    """
    word, subject = words[i], words[i - 1]
    if word.text[0].isupper() or word.lower in PREPOSITIONS:
        return False  # `Amazon Web Services generates …`: a name; `foods like kefir`: a preposition
    following = words[i + 1].lower if i + 1 < len(words) else ""
    if not following and i >= 2 and words[i - 2].lower in DETERMINERS and plural_noun(word) \
            and "VERB" in parts_of_speech(word.lower) and not plural_noun(subject):
        return True  # `before the hire starts.`
    if (not following or following in AFTER_NOUN_NOT_VERB or not adjacent(words, i - 1) or not is_content(subject)
            or subject.lower.endswith("'s") or "VERB" not in parts_of_speech(word.lower)
            or parts_of_speech(subject.lower).isdisjoint({"NOUN", ""})):  # a rare term: a noun
        return False
    if plural_noun(subject) or (i >= 3 and words[i - 2].lower == "and"):  # `culture and paranoia drive`
        if plural_noun(word) and following in ("a", "an", "the"):
            return True  # `one in five stars hosts an …`: the verb agrees with `one`
        return not word.lower.endswith("s") and verb_lemma(word.lower) == word.lower
    if _base_verb(words[i + 1]):
        return False  # `Cover crops protect …`: the verb comes next, so this is a noun
    if (following in APPROXIMATORS or is_number(words[i + 1])) and adjacent(words, i) and not plural_noun(subject):
        return True  # `the Subway cost about $2.5 billion`, `cargo cost $5.86`
    if plural_noun(words[i + 1]) and "VERB" in parts_of_speech(following) and i + 2 < len(words) \
            and words[i + 2].lower in ("a", "an", "the"):
        return False  # `Sun-like stars hosts an …`: the verb is the next word
    if not adjacent(words, i):
        return False  # `text-message codes, hardware …`: a comma ends the phrase
    # `rate hikes better than`, `supply contracts.`: a noun; a verb takes an object
    after = parts_of_speech(following)
    takes_object = (following in DETERMINERS or following in ("less", "more") or words[i + 1].text[0].isupper()
                    or (is_content(words[i + 1]) and "ADV" not in after and after != {"VERB"}))  # `sizes mattered`
    return plural_noun(word) and takes_object


def _verb_after_name(words: Sequence[Token], i: int) -> bool:
    """`the Reformation spread faster`, `Buddhism spread along`: a name, then a verb and what modifies it."""
    if i < 2 or i + 1 >= len(words) or not words[i - 1].text[0].isupper() or not words[i].text.islower():
        return False
    following = words[i + 1].lower
    modifier = following in PREPOSITIONS or following in DETERMINERS or following.endswith(("er", "ly"))
    return "VERB" in parts_of_speech(words[i].lower) and adjacent(words, i - 1) and adjacent(words, i) and modifier


def _base_verb(word: Token) -> bool:
    return parts_of_speech(word.lower) == {"VERB"} and verb_lemma(word.lower) == word.lower


def _subject_term(text: str, words: Sequence[Token], verbs: set[int]) -> list[Target]:
    """A two-word subject naming a concept: `Loss aversion means …`, `Public-key cryptography lets …`."""
    first = 1 if words and words[0].lower in ("the", "a", "an") else 0
    verb = min((v for v in verbs if v > first), default=None)
    if verb != first + 2 or not adjacent(words, first):
        return []
    pair = words[first:verb]
    if not all(is_content(w) for w in pair) or any(w.text[0].isdigit() for w in pair):
        return []
    rarity = min(_rarity(w.lower.removesuffix("'s")) for w in pair)
    if rarity >= RARE_ZIPF and not pair[0].text[0].isupper():
        return []
    return [_target(text, words, first, first + 1, TargetKind.RARE_TERM, min(rarity, 3.0) - 1.0)]


def context_label(podcast: str, episode: str, answers: list[str]) -> str:
    """`Podcast · Episode`, without the episode when it would give an answer away."""
    label = f"{podcast} · {episode}" if episode else podcast
    if any(contains_answer(label, answer) for answer in answers):
        return podcast
    return label


def _demote_topic(target: Target, episode: str) -> Target:
    """A word of the episode's title is its topic: asking for it tests nothing."""
    if episode and contains_answer(episode, target.text):
        return target._replace(rank=target.rank + 1.5)
    return target


def _fits_front(target: Target, words: Sequence[Token], podcast: str) -> bool:
    """A target whose words all show elsewhere on the front cannot be asked for."""
    core = core_words(target.text)
    outside = {
        w.lower.removesuffix("'s") for w in words if w.end <= target.start or w.start >= target.end
    }
    return not (core and outside.issuperset(core)) and not contains_answer(podcast, target.text)


def _choose_deletions(ranked: Sequence[Target], word_count: int) -> list[Target]:
    """One deletion for a short key point, at most two for a long one; best first (`ranked` is)."""
    if not ranked:
        return []
    chosen = [ranked[0]]
    if word_count > SHORT_KEY_POINT_WORDS:
        for other in ranked[1:]:
            if _solid(other) and _apart(other, chosen[0]):
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


def _apart(a: Target, b: Target) -> bool:
    """Two deletions that neither overlap nor touch, nor share a word."""
    if a.end + 1 >= b.start and b.end + 1 >= a.start:
        return False
    return not (set(core_words(a.text)) & set(core_words(b.text)))


def candidates_for(text: str, words: Sequence[Token]) -> list[Target]:
    """Every acceptable target in the key point, of every kind."""
    enumeration = _enumeration_spans(text, words)
    found: dict[tuple[int, int], Target] = {}
    for finder in (_numbers, _entities, _rare_terms, _noun_phrases):
        for target in finder(text, words):
            if _acceptable(target, enumeration) and (target.start, target.end) not in found:
                found[(target.start, target.end)] = target
    names = [t for t in found.values() if t.kind is TargetKind.ENTITY and t.last_token > t.first_token]
    return [t for t in found.values() if t.kind is TargetKind.ENTITY or not any(  # a name is one unit:
        n.first_token <= t.first_token and t.last_token <= n.last_token for n in names)]  # no `Meridional` alone


def _acceptable(target: Target, enumerations: list[tuple[int, int]]) -> bool:
    words = tokens(target.text)
    if not words or len(words) > MAX_TARGET_WORDS or _COMMA_NOT_THOUSANDS.search(target.text):
        return False
    # A number of two characters or more is never that common in wordfreq (`10` is 5.3): skip the look-up,
    # which for numbers needs wordfreq's own tokenizer.
    lone_number = words and words[0].text[0] in "$€£0123456789" and len(words[0].text) > 1
    if len(words) == 1 and (words[0].lower in STOPWORDS or (not lone_number and zipf(words[0].lower) >= 6.0)):
        return False
    # A whole list is a set, and sets make bad cards; one member is allowed.
    return not any(s <= target.start and target.end <= e and _members(target.text) > 1
                   for s, e in enumerations)


_COMMA_NOT_THOUSANDS = re.compile(r",(?!\d{3})")


def _members(text: str) -> int:
    return len(re.split(r",|\band\b|\bor\b", text))


_ENUMERATION = re.compile(r"[^,.;:]+(?:,[^,.;:]+)+,?\s+(?:and|or)\s+[^,.;:]+")


def _enumeration_spans(text: str, words: Sequence[Token]) -> list[tuple[int, int]]:
    """Spans of `a, b(,) and c` lists of three or more items."""
    if "," not in text or not (" and " in text or " or " in text):
        return []  # no list here; the pattern below is slow on long sentences
    return [(m.start(), m.end()) for m in _ENUMERATION.finditer(text)]


def _target(
    text: str, words: Sequence[Token], first: int, last: int, kind: TargetKind, score: float, rank: float = 0.0
) -> Target:
    start, end = words[first].start, words[last].end
    span = text[start:end]
    if span.endswith(("'s", "’s")):
        span, end = span[:-2], end - 2
    return Target(start, end, span, kind, score, first, last, rank or float(kind))


FREQUENCY_UNITS = frozenset("day week month year decade night hour".split())


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
        if not is_number(words[i]):
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


FRACTIONS = frozenset("half quarter third fifth dozen".split())


DECADE_PARTS = frozenset("early mid late".split())


def _decade(word: Token) -> bool:
    return bool(re.fullmatch(r"\d{3}0s|\d0s", word.text))


def _range_end(text: str, words: Sequence[Token], i: int) -> int:
    """The upper bound of a range that starts at word i (`30 to 50%`, `17-19 hours`,
    `between 10 and 14`, `between a third and a half`), else i."""
    if i + 2 < len(words) and words[i].lower == "one" and words[i + 1].lower == "in" and is_number(words[i + 2]):
        return i + 2  # `one in five`: a share
    joined = "and" if i > 0 and "between" in (words[i - 1].lower, words[max(0, i - 2)].lower) else "to"
    if i + 3 < len(words) and words[i + 1].lower == joined and words[i + 2].lower == "a" \
            and words[i + 3].lower in FRACTIONS:
        return i + 3
    if i + 2 < len(words) and words[i + 1].lower == joined and is_number(words[i + 2]):
        return i + 2
    if i + 1 < len(words) and text[words[i].end:words[i + 1].start] in ("-", "–") and is_number(words[i + 1]):
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
    while last + 1 < len(words) and words[last + 1].lower in NUMBER_WORDS and adjacent(words, last):
        last += 1
    if last + 1 < len(words) and words[last + 1].lower in ("percent", "per cent", "%"):
        return last + 1
    if (words[last].text[-1].isalpha() and words[last].text[0].isdigit()) or words[last].text.endswith("%"):
        return last
    if is_year(words[last]) or _decade(words[last]):
        return last
    if words[i].text[0] in "$€£" and words[last].lower in NUMBER_WORDS:
        return last  # `$7.2 billion`: money with its magnitude is whole
    unit = last + 1
    if unit >= len(words) or not adjacent(words, last) or words[unit].lower in STOPWORDS:
        return last
    followed_by_unit = unit + 1 < len(words) and adjacent(words, unit) and _is_unit(words[unit + 1])
    if _is_unit(words[unit]):
        modifier = (
            words[unit].text.isupper() or re.search(r"(?:ic|al|ous|ive|ar|in)$", words[unit].lower)
            or (zipf(words[unit].lower) >= 5.0 and not words[unit].lower.endswith("s"))
        )
        if unit + 1 < len(words) and words[unit + 1].lower in ("celsius", "fahrenheit", "kelvin"):
            return unit + 1  # `18 degrees Celsius`
        return unit + 1 if modifier and followed_by_unit else unit  # `eight US states`
    if followed_by_unit and not words[unit].text[0].isdigit():
        return unit + 1  # `30 million cubic meters`, `seven Earth-sized planets`: a modifier, then the unit
    return last


def _is_unit(token: Token) -> bool:
    """A word that a number counts or measures: a noun (`grams`, `people`), not `Earth-sized` or `inflammatory`."""
    if token.lower in STOPWORDS or token.lower in NUMBER_WORDS or token.lower.endswith("ly"):
        return False
    parts = parts_of_speech(token.lower)
    if "-" in token.lower:
        return "NOUN" in parts
    return not parts <= {"ADJ", "ADV"}


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
    rarity = min(zipf(w.lower.removesuffix("'s")) for w in words[first:last + 1])
    rank = float(TargetKind.ENTITY)
    if rarity >= 4.5:
        rank = TargetKind.RARE_TERM + 0.5
    elif last == first and not is_acronym(words[first].text) and rarity >= 3.0:
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
    bare = word.lower.removesuffix("'s")
    possessive = word.lower.endswith("'s")
    return is_acronym(word.text) or (possessive and zipf(bare) < 3.4)


def _rare_terms(text: str, words: Sequence[Token]) -> list[Target]:
    """Content words rarer than everyday English: the domain's terms."""
    found = []
    for i, word in enumerate(words):
        bare = word.lower.removesuffix("'s")
        if bare in STOPWORDS or word.text[0].isdigit() or len(bare) < 4 or bare.endswith("ly"):
            continue
        rarity = _rarity(bare)
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


def _rarity(word: str) -> float:
    """Word frequency; a hyphenated compound is as rare as its rarest part."""
    if "-" in word:
        parts = [p for p in word.split("-") if p]
        return min([zipf(word)] + [zipf(p) for p in parts if len(p) > 2]) if parts else zipf(word)
    return zipf(word)


def _noun_phrases(text: str, words: Sequence[Token]) -> list[Target]:
    """The rarest run of content words, as a last resort."""
    found = []
    for i, word in enumerate(words):
        if is_content(word) and zipf(word.lower) < COMMON_ZIPF + 0.5:
            score = zipf(word.lower) + _verb_penalty(words, i)
            found.append(_target(text, words, i, i, TargetKind.NOUN_PHRASE, score))
    return found



