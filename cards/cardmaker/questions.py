"""Key point → one real question with a short answer, or none.

No parser and no model: key points are short declaratives written by an AI,
so a clause reader that finds the subject and the main verb is enough for
four grammatical forms, tried in order:

1. the target is the subject: `Who left TSMC for China?`, `Whose success …?`;
2. the target follows the verb and is fronted, with an inverted auxiliary or
   `do`-support: `What did Richard Chang leave for China?`;
3. the whole subject or direct object is the answer:
   `What does semiconductor expertise require?`;
4. the target is asked for in place (a quiz question):
   `… would be gone in how many months?`.

A question is kept only when its answer is short and nowhere on the front.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache, partial
from typing import NamedTuple

from cards.cardmaker.clause import Claims, Clause, Spoken, function_word, takes_object
from cards.cardmaker.giveaway import core_words, only_the_topic, shows, word_forms, word_set
from cards.cardmaker.ranking import QUESTION_THRESHOLD, question_features, question_score
from cards.cardmaker.targets import enumeration_spans, without_digit_marks
from cards.cardmaker.types import (
    ENTITY,
    NOUN_PHRASE,
    NUMBER,
    Attribution,
    Imperative,
    Question,
    Reading,
    Target,
    Token,
    is_acronym,
)
from cards.cardmaker.words import (
    ADJECTIVE_ENDINGS,
    ADVERBS,
    ADVISING_MODALS,
    AUXILIARIES,
    BE,
    CLAUSE_VERBS,
    COMMON_VERBS,
    DETERMINERS,
    GAP_WORDS,
    GIVEN_DETERMINERS,
    MAX_TARGET_WORDS,
    MONTHS,
    NO_GAP_AFTER,
    PARTICLES,
    PERSON_VERBS,
    PREPOSITIONS,
    SINGULAR,
    STOPWORDS,
    SUBORDINATORS,
    TWO_WORD_APPROXIMATORS,
    UNKNOWN,
    VERBS_AMONG_STOPWORDS,
    is_people_noun,
    lex,
    parts_of_speech,
    tokens,
)

MAX_ANSWER_WORDS = 6

def ask(reading: Reading, claims: Claims, whole: bool, before: str, podcast: str, names: frozenset[str],
        topic: frozenset[str]) -> Question | None:
    """The key point's question, or None: the candidate question the fitted weights rate best (see
    `question_candidates`, `ranking.question_score`), when they rate it well enough; otherwise none (abstain
    when unsure: a broken question is worse than none)."""
    candidates = question_candidates(reading, claims, whole, before, podcast, names, topic)
    if not candidates:
        return None
    best = max(candidates, key=lambda asked: question_score(asked.features))
    if question_score(best.features) < QUESTION_THRESHOLD:
        return None
    # The weights choose what to ask for; how to ask for it is a matter of plain English the labels do not see:
    # `Who wrote …?` and `What did Bach write …?` before `Bach wrote what …?`.
    same = [asked for asked in candidates if asked.question.answer == best.question.answer]
    return min(same, key=lambda asked: NATURAL_ORDER.index(asked.form)).question


class Asked(NamedTuple):
    """A candidate question, how it was made, and what its features are (`ranking.question_features`)."""

    question: Question
    form: str
    features: dict[str, float]


# The forms, most natural first (a question in place, `… cost $5.86 a ton against how many cents …?`, last).
NATURAL_ORDER = ("advice", "subject", "fronted", "number", "speaker", "subject_phrase", "object_phrase", "in_place")


def question_candidates(reading: Reading, claims: Claims, whole: bool, before: str, podcast: str,
                        names: frozenset[str], topic: frozenset[str]) -> list[Asked]:
    """Every question the forms can make of the key point: advice in its own form, a claim with its frame kept in
    front, or a claim that is no clause with its speaker as subject. Never one whose answer the front already
    shows (`before`: the key point shown above), nor one from a sentence cut short (`whole`)."""
    if not whole:
        return []
    made: list[tuple[str, Target | None, Question]] = []
    if claims.advice:
        question = advice_question(claims.advice, reading, podcast, topic)
        made = [("advice", None, question)] if question else []
    elif claims.lead:
        made = framed_questions(claims.lead, reading, claims.clause, podcast, names)
    else:
        made = make_questions(reading, claims.clause, podcast, names)
    frame = claims.frame
    if not made and frame and not frame.is_clause and frame.speaker and claims.spoken:
        made = questions_with_speaker(claims.spoken, frame, reading, podcast, names)
    if before:  # the answer is on the front already, in the key point shown above
        made = [m for m in made if not shows(word_set(before), m[2].answer)]
    made = [m for m in made if not only_the_topic(m[2].answer, topic)]
    made = [(form, target, _name_without_title(question)) for form, target, question in made]
    framed = bool(claims.lead and not claims.advice)
    return [Asked(question, form, question_features(form, target, question, order, reading, framed))
            for order, (form, target, question) in enumerate(made)]


def framed_questions(frame: Attribution, reading: Reading, clause: Clause | None, podcast: str,
                     names: frozenset[str]) -> list[tuple[str, Target | None, Question]]:
    """Questions about the claim that keep its frame: `According to Osei, what …?`, `Unlike X, what …?`.

    Only a claim that is a clause can be asked about: `Brown credits cattle
    with …` or `Lemkin cautions against …` would make a broken question; nor
    one whose speaker is unknown (`She warns …` with no name to give).
    """
    if not frame.is_clause or not frame.lead:
        return []
    claim = reading.claim
    found = []
    for form, target, question in make_questions(reading, clause, podcast, names):
        if shows(word_set(frame.lead), question.answer):
            continue
        text = question.text
        first = text.split(" ", 1)[0]
        claim_first = frame.claim.split(" ", 1)[0]
        lowered_by_us = claim_first[:1].islower() and first == claim[:len(first)]  # `… that semiconductor …`
        if (first.lower() in STOPWORDS and not is_acronym(first)) or lowered_by_us:
            text = text[:1].lower() + text[1:]
        found.append((form, target, Question(f"{frame.lead} {text}", question.answer)))
    return found


def questions_with_speaker(spoken: Spoken, frame: Attribution, reading: Reading, podcast: str,
                           names: frozenset[str]) -> list[tuple[str, Target | None, Question]]:
    """`Lemkin cautions against hiring a vice president …` asked with its speaker as the subject.

    No clause follows the verb, so the speaker stays in the question
    (`What does Lemkin caution against hiring …?`); `He recommends …` names
    who he is. The speaker is never the answer.
    """
    claim = tuple(t for t in reading.targets if t.start >= frame.claim_start)
    speaker = frozenset(frame.speaker.split())  # a name keeps its capitals: `does Walker recommend`
    spoken_reading = Reading(spoken.text, spoken.words, spoken.verbs, claim)
    return [("speaker", target, question) for _, target, question
            in make_questions(spoken_reading, spoken.clause, podcast, names | speaker)
            if not shows(word_set(frame.speaker), question.answer)]


MAX_STRANDED_WORDS = 6


# What follows the clause that holds the answer: a contrast, a concession, a cause, a
# consequence or a participle tail is another fact, and goes to the back.
_TRAILING_CLAUSE = re.compile(
    r"(?:,\s*(?:but|while|whereas|and|so|which|who|whose|where|when|because|although|though|[a-z]+ing)\b"
    # `, accelerating …`, `, where he was sent at age 11`, `, who unified China …`: a relative clause after a comma
    r"|;|(?<!\s)\s+(?:because|whereas|although|rather than)\b| and (?=[a-z]+ [a-z]))"
)  # `(?<!\s)`: tried once per run of spaces, not at each of them (a long run made the search quadratic)

# What every match of `_TRAILING_CLAUSE` holds: a text with none of them is whole. A scan in C for each rules most
# texts out, where the pattern, with no fixed first character, is tried at every character (9 µs a text).
_TRAILING_MARKERS = (",", ";", " and ", "because", "whereas", "although", "rather than")


@lru_cache(maxsize=1024)  # the same rest of a clause is cut again for each form that asks about it (half the calls)
def _without_trailing(text: str) -> str:
    """`text` without the clause that follows the one holding the answer (`_TRAILING_CLAUSE`), never cut inside a
    list (`so that age, sex, education [and region] match …`) nor a `between … and …` pair: half a list or half
    a pair asks a question the key point does not."""
    if not any([marker in text for marker in _TRAILING_MARKERS]):
        return text  # most rests of a clause: nothing trails
    lists = enumeration_spans(text)
    for match in _TRAILING_CLAUSE.finditer(text):  # one pass: each place a clause may start, in order
        cut = match.start()
        # inside a list, past its first comma and before its `and`: `a transceiver, a probe [and a shovel], and
        # practise …`; not `tweak tool parameters [and measure] yield, performance, and power`
        in_list = any(start < cut < end and "," in text[start:cut] and not _LIST_END.search(text, start, cut)
                      for start, end in lists)
        in_pair = text.startswith(" and ", cut) and (_BETWEEN_OPEN.search(text, 0, cut) is not None
                                                     or _joins_nouns(text, cut))
        if not (in_list or in_pair):
            return text[:cut]
    return text


def _joins_nouns(text: str, cut: int) -> bool:
    """The `and` at `cut` joins two noun phrases, not two predicates: `from phone directories [and car
    registrations]`, `require steel [and concrete frames]`; but `sinks … [and spreads]`, `[and then] SMIC`."""
    following = text[cut + len(" and "):].split(" ", 1)[0].lower()
    parts = parts_of_speech(following)
    if following in ADVERBS or "ADV" in parts or parts == UNKNOWN:
        return False
    before = text[:cut].rsplit(" ", 1)[-1].lower()
    plurals = "NOUN" in parts and following.endswith("s") and before.endswith("s")  # `outsiders and [rivals]`
    return "VERB" not in parts or "ADJ" in parts or plurals  # an adjective opens a noun phrase: `steel and
    # [concrete] frames`


_LIST_END = re.compile(r"\b(?:and|or)\b")
_BETWEEN_OPEN = re.compile(r"\bbetween\b(?!.*\band\b)")  # a `between` whose `and` is still to come


def advice_question(advice: Imperative, reading: Reading, podcast: str, topic: frozenset[str]) -> Question | None:
    """`During a storm, keep doors and shutters closed on the windward side` →
    `During a storm, what should you keep closed on the windward side?` → `doors and shutters`.

    The object of the advice is the answer; none when it is a pronoun
    (`Record yourself …`) or only the episode's topic (`Never eat a wild
    mushroom …` in an episode on fungi).
    """
    text, words = reading.text, reading.words
    if advice.object_last < advice.object_first:
        return None
    if _given(words[advice.object_first]):
        return None  # `Keep [your debt payments] under 36%`, `rope up with [your group]`: given, not the advice
    if advice.negation and _EXCEPTION.search(text[words[advice.phrase_last].end:]):
        return None  # `Never give a concession without getting one back`: the exception is the advice
    answer = text[words[advice.object_first].start:words[advice.object_last].end]
    if _LIST_AFTER.match(without_digit_marks(text), words[advice.object_last].end):
        return None  # `carry a rope, a harness and an ice axe`: one item would leave the list broken on the front,
        # and three items with their articles are longer than an answer may be
    core = set(core_words(answer))
    if not core or all(w.lower in STOPWORDS for w in words[advice.object_first:advice.object_last + 1]) \
            or core <= topic:
        return None
    verb = words[advice.verb].lower
    between = text[words[advice.verb].end:words[advice.object_first].start].strip()  # `over` in `Hover over`
    rest = _without_trailing(_ASIDE.sub("", text[words[advice.phrase_last].end:])).strip().rstrip(".!;:,")
    parts = ["what should you", advice.negation, verb, between, rest]
    question = _TIGHT.sub(r"\1", " ".join(p for p in parts if p))  # `look for, the bare rock bands …`
    lead = advice.setting.strip()
    question = f"{lead} {question}" if lead else question[:1].upper() + question[1:]
    asked = Question(question + "?", answer)
    return asked if _good(asked, podcast) else None


def _given(word: Token) -> bool:
    """An object the listener has already (`your starter`, `that password`): given, not the advice's news."""
    return word.lower in GIVEN_DETERMINERS


# The rest of a list after its first item: `[a rope], a harness and an ice axe`, up to the list's last word.
# Items that each open with an article (`, a harness and an ice axe`), so that a series of verbs (`Drop the knife,
# step back and call …`) or an aside (`Bring cash, since …`) is no list; read with the marks inside numbers masked.
_LIST_AFTER = re.compile(r"(?:,\s*(?:a|an|the|your|some)\s[^,.;:]+?)+,?\s+(?:and|or)\s+(?:a|an|the|your|some)\s"
                         r"[^,.;:]+?(?=[,.;:]|\s+(?:to|so|because|since|for|when|before|after|while|if|in|on|at"
                         r"|not|such)\b|$)")
_TIGHT = re.compile(r"\s+([,;:])")
# An exception to a negated advice: `Never eat … unless …`, `… without …`, `… until …`.
_EXCEPTION = re.compile(r"\b(?:unless|without|until|except)\b")
# What follows an advice's object and belongs on the back: an example, a reason, a purpose after a comma.
_ASIDE = re.compile(r"(?:,?\s+(?:such as|like|for example|since|so that)\b|,\s*(?:to|so|as)\s).*$")


# Questions made of one key point, in the forms' order: the chooser takes the first in nine cases of ten on the
# tuning sets, the second in most others; each attempt costs, so after the first success only a few more are made.
MAX_CANDIDATES = 2
ATTEMPTS_AFTER_FIRST = 1
MAX_TARGETS_ASKED = 4  # the best targets (and the other readings of each) are asked for; the rest rarely are


def make_questions(reading: Reading, clause: Clause | None, podcast: str,
                   names: frozenset[str] = frozenset()) -> list[tuple[str, Target | None, Question]]:
    """Grammatical questions about the key point's claim (its main `clause`): (form, target asked for, question),
    in the order the forms are tried, at most `MAX_CANDIDATES`.

    The claim's verbs and targets come from the reading the cloze maker made,
    so both ask about the same thing, read the same way.
    """
    if clause is None:
        return []
    lists = _noun_lists(reading)
    ranked = _grouped([t for t in reading.targets if t.start >= reading.claim_start
                       and not _one_of_a_list(reading.text, t, lists)])[:MAX_TARGETS_ASKED]
    found: dict[str, tuple[str, Target | None, Question]] = {}
    budget = math.inf  # how many attempts are made: all of them, until the first question is found
    for tried, (form, target, attempt) in enumerate(_attempts(reading, clause, names, ranked, lists)):
        if tried >= budget:
            break
        question = attempt()
        if question and question.text not in found and _good(question, podcast):
            found[question.text] = (form, target, question)
            if len(found) >= MAX_CANDIDATES:
                break
            budget = min(budget, tried + 1 + ATTEMPTS_AFTER_FIRST)
    return list(found.values())


def _attempts(reading: Reading, clause: Clause, names: frozenset[str], ranked: list[Target],
              lists: list[tuple[int, int]]) -> Iterator[tuple[str, Target | None, Callable[[], Question | None]]]:
    """The attempts `make_questions` makes, in the forms' order: (form, target asked for, what makes the question).

    A generator: what decides the later attempts (a list asked whole, which
    targets are people, whether the best follows the verb) is read only when
    they are reached, and most key points have their questions before that.
    """
    numbers = [t for t in ranked if t.kind is NUMBER and not _with_rate(t)]
    best = ranked[:1]  # what the cloze hides first: asked in every form before anything else is
    # A target is tried in a form more than once (the best is among the people and `ranked` too): asked once.
    subject = _once(lambda t: _subject_question(clause, t))
    fronted = _once(lambda t: _fronted_question(clause, t, names))
    in_place = _once(lambda t: _in_place_question(clause, t))

    def fronted_or_in_place(target: Target) -> Question | None:
        return fronted(target) or in_place(target)

    for t in numbers:
        yield "number", t, partial(_number_question, clause, t, names, fronted_or_in_place)
    for t in _joined_targets(reading, lists):  # `into [bacteria, yeast, or silkworms]`: a list is asked whole
        yield "fronted", t, partial(fronted_or_in_place, t)
    for t in ranked:
        if _is_person(t, clause):  # `Who wrote …? Bach` beats `What did Bach write?`
            yield "subject", t, partial(subject, t)
    for t in best:
        yield "subject", t, partial(subject, t)
    for t in best:
        yield "fronted", t, partial(fronted, t)
    for t in best:
        if _after_verb(clause, t):
            yield "in_place", t, partial(in_place, t)
    for t in ranked:
        yield "subject", t, partial(subject, t)
    for t in ranked:
        yield "fronted", t, partial(fronted, t)
    yield "subject_phrase", None, partial(_subject_phrase_question, clause)
    yield "object_phrase", None, partial(_object_phrase_question, clause, names)
    for t in ranked:
        yield "in_place", t, partial(in_place, t)


def _once(make: Callable[[Target], Question | None]) -> Callable[[Target], Question | None]:
    """`make`, remembering its question for each target it was asked about (within one key point)."""
    made: dict[Target, Question | None] = {}

    def asked(target: Target) -> Question | None:
        if target not in made:
            made[target] = make(target)
        return made[target]
    return asked


def _joined_targets(reading: Reading, lists: list[tuple[int, int]]) -> list[Target]:
    """Short lists and pairs of nouns after the claim's verb, whole (`insert genes into [bacteria, yeast, or
    silkworms]`, `separate them with [nylon washers or a barrier paste]`): a question cannot ask for one item
    while the others stay, but it can ask for them all, as a short answer."""
    text, words = reading.text, reading.words
    verb = min([v for v in reading.verbs if words[v].start >= reading.claim_start], default=None)
    if verb is None:
        return []
    found = []
    for first in reading.targets:
        if first.first_token <= verb or first.kind is NUMBER:
            continue
        end = _joined_end(text, first, lists)
        if end is None:
            continue  # most targets open no list
        last = next((i for i, w in enumerate(words) if w.end == end), None)
        if last is None or len(word_forms(text[first.start:end])) > MAX_ANSWER_WORDS:
            continue
        if any(i in reading.verbs or words[i].lower in AUXILIARIES for i in range(first.last_token + 1, last + 1)):
            continue  # `ferment fibre [and produce] butyrate`, `what Intel [and TSMC do]`: a verb, not a noun
        found.append(Target(first.start, end, text[first.start:end], NOUN_PHRASE, first.score,
                            first.first_token, last, first.rank, tuple(words[first.first_token:last + 1])))
    return sorted(set(found), key=lambda t: (t.rank, t.start))[:1]


def _joined_end(text: str, first: Target, lists: list[tuple[int, int]]) -> int | None:
    """Where the list or pair whose first item is `first` ends, or None when `first` opens none."""
    for start, end in lists:
        if start <= first.start < end and text.startswith(",", first.end) and _short_item(text[first.start:]):
            items = re.split(r",? (?:and|or) |,", without_digit_marks(text[first.start:end]))
            if all(0 < len(item.split()) <= _LIST_ITEM_WORDS for item in items):
                return end
            return None
    pair = _PAIR.match(text, first.end)
    if pair is None:
        return None
    parts = parts_of_speech(pair.group(1).lower())
    if "NOUN" not in parts and "ADJ" not in parts and parts != UNKNOWN:
        return None  # `sinks and [spreads]`: two predicates, not two nouns
    return pair.end()


# ` and concrete frames`, ` or a barrier paste`: the second of two joined nouns, one or two words (an article
# before them) that end the clause or its part, at a mark or at the end.
_PAIR = re.compile(r" (?:and|or) (?:(?:the|a|an|their|its|your|his|her) )?([\w'’-]+)(?: [\w'’-]+)?(?=[.,;:]|$)")


def _one_of_a_list(text: str, target: Target, lists: list[tuple[int, int]]) -> bool:
    """The target is one item of a list (`come in [behind-the-ear], in-the-ear and completely-in-canal styles`):
    a wh-word cannot stand for one item while the others stay (`What do hearing aids come in, in-the-ear and …?`).
    The cloze may hide one item; a question asks for the whole list or not about it.

    An item stands next to a comma and a short item (`[age], sex`, `sex, [education]`), or after the `and` that
    ends a list of short items; `Cold, salty water sinks in [the North Atlantic] and spreads …` holds no list.
    """
    if not lists or not any(start <= target.start and target.end <= end for start, end in lists):  # most: none
        return False
    before, after = text[:target.start], text[target.end:]
    if after.startswith(", ") and _short_item(after[2:]):
        return True  # `[age], sex, …`
    if before.endswith(", ") and _short_item(text[target.start:]):
        return True  # `age, [sex], …`
    opener = re.search(r", ([^,]+?) (?:and|or) $", before)
    return opener is not None and len(opener.group(1).split()) <= _LIST_ITEM_WORDS  # `…, in-the-ear and [styles]`


def _noun_lists(reading: Reading) -> list[tuple[int, int]]:
    """The lists of the key point (`enumeration_spans`) whose items hold no verb between the first comma and the
    `and`: `age, sex, education and region`; not `Liang Mong Song, focused on pushing limits, later [joined] Samsung
    and then SMIC`, commas around an aside and a verb's own `and`."""
    verb_starts = [reading.words[i].start for i in reading.verbs]
    found = []
    for start, end in enumeration_spans(reading.text):
        comma = reading.text.find(",", start, end)
        joined = _LIST_END.search(reading.text, comma, end)
        stop = joined.start() if joined else end
        if not any(comma < at < stop for at in verb_starts):
            found.append((start, end))
    return found


_LIST_ITEM_WORDS = 4
_ITEM_END = re.compile(r",| and | or |[.;:]")


def _short_item(text: str) -> bool:
    """The list item `text` opens ends, at a comma, an `and` or an `or`, within `_LIST_ITEM_WORDS` words."""
    end = _ITEM_END.search(text)
    return end is not None and len(text[:end.start()].split()) <= _LIST_ITEM_WORDS


def _with_rate(target: Target) -> bool:
    """`$2.5 billion per mile`, `two tonnes each`: a question asks for the amount and keeps the rate
    (`How much does … cost per mile?`)."""
    words = target.words
    return len(words) > 2 and words[0].lower not in ("once", "twice") and (
        words[-1].lower == "each" or words[-2].lower in ("a", "an", "per", "every"))


def _grouped(ranked: list[Target]) -> list[Target]:
    """The targets, each followed by the others that overlap the best of them (`$5.86 a ton`, `$5.86`): when the
    best cannot be asked, a shorter or longer reading of the same thing comes before anything else."""
    group = [_first_overlapping(ranked, target) for target in ranked]
    order = sorted(range(len(ranked)), key=group.__getitem__)  # stable: within a group, in rank order
    return [ranked[i] for i in order]


def _first_overlapping(ranked: list[Target], target: Target) -> int:
    """Where the best target that overlaps `target` stands (itself, when none before it does)."""
    for i, other in enumerate(ranked):
        if other.start < target.end and target.start < other.end:
            return i
    raise ValueError("a target overlaps itself")


def _after_verb(clause: Clause, target: Target) -> bool:
    """The target comes after the main verb: asked in place, it leaves the subject whole."""
    found = _find(clause.text, target.text)
    weak = target.kind in (NUMBER, NOUN_PHRASE)  # numbers have their own; common words wait
    return not weak and found is not None and found[0] > clause.verb_token.start


def _subject_question(clause: Clause, target: Target) -> Question | None:
    """`Richard Chang left …` → `Who left …?`; `Huawei's success …` → `Whose success …?`."""
    subject = clause.subject
    if _advised(clause) or _maybe_imperative(clause):
        return None
    if target.text == subject.removesuffix("'s").removesuffix("’s"):
        wh = "Who" if _is_person(target, clause) else "What"
        return _ask(clause, f"{wh} {_agree(clause)}", target.text)
    for mark in ("'s ", "’s "):
        if subject.startswith(target.text + mark):
            rest = subject[len(target.text) + len(mark):]
            predicate = clause.text[clause.verb_token.start:]
            return _ask(clause, f"Whose {rest} {predicate}", target.text)
    return None


def _maybe_imperative(clause: Clause) -> bool:
    """The clause opens with one capitalised word in a verb's base form, read as its subject, before a plural that
    can be a noun, read as its verb (`Plan flights for …`, `Keep pets indoors …`): as likely advice as a
    statement, so its subject is not asked for (was `What pets indoors …? → Keep`). Unsure: abstain."""
    if clause.subject_start != 0 or clause.subject_end != 1 or clause.verb != 1:
        return False
    first, verb = clause.words[0], clause.verb_token
    return first.text[:1].isupper() and "VERB" in first.lex.parts and not first.plural \
        and first.lex.base == first.lower and verb.plural and "NOUN" in verb.lex.parts


def _advised(clause: Clause) -> bool:
    """`Newcomers should start with …`: advice to its subject, who is given; what to do is the news."""
    return clause.verb_token.lower in ADVISING_MODALS


def _subject_phrase_question(clause: Clause) -> Question | None:
    """The whole subject is the answer: `What is hard for the US to sanction?`."""
    subject = clause.subject
    words = clause.words[clause.subject_start:clause.subject_end]
    if not 1 <= len(words) <= MAX_TARGET_WORDS or subject.endswith(("'s", "’s")) or _advised(clause) \
            or _maybe_imperative(clause):
        return None
    if any(function_word(w) and w.lower not in ("and", "of") for w in words):
        return None
    return _ask(clause, f"{'Who' if _people(subject, words, clause) else 'What'} {_agree(clause)}", subject)


def _fronted_question(clause: Clause, target: Target, names: frozenset[str]) -> Question | None:
    """Front a target after the verb: `What did Richard Chang leave for China?`."""
    gap = _gap(clause, target)
    if gap is None or len(clause.subject.split()) > MAX_TARGET_WORDS + 2:
        return None
    wh, gap_start, gap_end = gap
    return _inverted(clause, wh, gap_start, gap_end, target.text, names)


def _object_phrase_question(clause: Clause, names: frozenset[str]) -> Question | None:
    """The direct object is the answer: `What does semiconductor expertise require?`."""
    if clause.verb_token.lower in BE or len(clause.subject.split()) > MAX_TARGET_WORDS + 2:
        return None
    words, first = clause.words, clause.lexical + 1
    if words[clause.lexical].lower in ("be", "been", "being", "become"):
        return None
    while first < len(words) and words[first].lower in GAP_WORDS:
        first += 1
    last = first
    while last + 1 < len(words) and words[last + 1].lower not in STOPWORDS \
            and clause.text[words[last].end:words[last + 1].start] == " " and not _participle_phrase(words, last + 1):
        last += 1
    if first >= len(words) or words[first].lower in STOPWORDS or last - first >= 4:
        return None
    if last + 1 < len(words) and words[last + 1].lower in ("of", "that"):
        return None  # `recommends [a bedroom temperature] of about 18 degrees`, `cites [estimates] that …`: it goes on
    if words[last].lex.number and last + 1 < len(words) and (words[last + 1].lower == "as" or (
            last + 2 < len(words) and words[last + 1].lower in ("to", "and", "or") and words[last + 2].lex.number)):
        return None  # `holds [40,000] to 60,000 workers`, `spreads [twice] as fast`: half a range or a comparison
    if clause.text.startswith((" and ", " or "), words[last].end) and _joins_nouns(clause.text, words[last].end):
        return None  # `require [steel] and concrete frames`: half of two joined nouns; not `ferment [fibre] and make …`
    if words[first].lower.endswith("ing") and first + 1 < len(words) and words[first + 1].lower in DETERMINERS:
        return None  # `means [missing] its best days`: a gerund takes its own object
    gap_start = words[clause.lexical].end + 1
    if _PARTING_MARK.search(clause.text, words[clause.lexical].end, words[first].start):
        return None  # `Interest rates rise; [bond prices] fall`: punctuation parts the verb from what follows
    answer = clause.text[words[first].start:words[last].end]
    object_span = Target(words[first].start, words[last].end, answer, NOUN_PHRASE, 0.0, first, last)
    if _one_of_a_list(clause.text, object_span, enumeration_spans(clause.text)):
        return None  # `carry [a transceiver], a probe and a shovel`: the first item of a list
    # `held [legal monopolies] granted by …` → `What did guilds hold that were granted by …?`
    described = _participle_phrase(words, last + 1) and clause.text[words[last].end:words[last + 1].start] == " "
    if described and _clause_follows(clause, last):
        return None  # `claim [the tools] imported for this are for …`: a clause's subject; `that were` breaks it
    relative = ("that were" if words[last].plural else "that was") if described else ""  # not after a comma
    return _inverted(clause, "what", gap_start, words[last].end, answer, names, relative)


_PARTING_MARK = re.compile(r"[;:,()]")  # punctuation that parts a verb from what follows it
_NEW_CLAUSE = frozenset("and or but nor so i you he she it we they".split())


def _clause_follows(clause: Clause, last: int) -> bool:
    """After the phrase ending at word `last` comes a finite auxiliary of its own, before any punctuation, `and`,
    a subordinator or a pronoun: the phrase is the subject of a clause the verb takes without `that` (`claim [the
    tools] imported for this are …`), not its object."""
    words = clause.words
    for i in range(last + 1, len(words)):
        if _PARTING_MARK.search(clause.text, words[i - 1].end, words[i].start) or words[i].lower in SUBORDINATORS \
                or words[i].lower in _NEW_CLAUSE:
            return False
        if words[i].lower in AUXILIARIES:
            return True
    return False


def _participle_phrase(words: Sequence[Token], i: int) -> bool:
    """Word i is a past participle that opens a phrase describing the noun before it (`a priestly decree [issued]
    at Memphis`): the noun phrase ends before it."""
    if i + 1 >= len(words):
        return False
    word = words[i]
    past = word.lower.endswith("ed") or (word.lex.irregular and not word.lower.endswith("s"))
    return past and "VERB" in word.lex.parts and words[i + 1].lower in PREPOSITIONS


def _in_place_question(clause: Clause, target: Target) -> Question | None:
    """Ask for the target where it stands: `Converting what kind of mill …?`."""
    gap = _gap(clause, target, in_place=True)
    if gap is None:
        return None
    wh, gap_start, gap_end = gap
    rest = _without_trailing(clause.text[gap_end:])  # `…, which feeds the cells …` goes to the back
    text = clause.text[:gap_start] + wh + rest
    return _ask(clause, text, target.text)


def _number_question(clause: Clause, target: Target, names: frozenset[str],
                     fronted_or_in_place: Callable[[Target], Question | None]) -> Question | None:
    """`By what year will …?`, `How many chips does …?`, `… in how many months?`.

    `fronted_or_in_place`: the target's fronted question, else its in-place
    one, as `_attempts` makes them, once a target: the number asked for is
    often the best target, which the later forms ask about again.
    """
    if target.start < len(clause.prefix) and clause.prefix:
        return _year_prefix_question(clause, target, names)
    return fronted_or_in_place(target)


def _year_prefix_question(clause: Clause, target: Target, names: frozenset[str]) -> Question | None:
    """`By 2026, clusters will exist` → `By what year will clusters exist?`."""
    match = _YEAR_PREFIX.match(clause.prefix)
    if not match or match.group(2) != target.text:
        return None
    plain = Clause("", clause.text, clause.words, clause.subject_start, clause.verb, clause.subject_end)
    end = len(_without_trailing(clause.text))  # `…, but multi-site scaling is key` is another fact
    question = _inverted(plain, f"{match.group(1)} what year", end, end, target.text, names)
    return question


_YEAR_PREFIX = re.compile(r"^(By|In|Since|Until|Around|Before|After) (\d{4}),\s+$")


def _gap(clause: Clause, target: Target, in_place: bool = False) -> tuple[str, int, int] | None:
    """(wh-phrase, start, end) of the noun phrase the target stands for, or None."""
    found = _find(clause.text, target.text)
    if found is None:
        return None
    start, end = found
    before = [w for w in clause.words if w.end <= start]
    after = [w for w in clause.words if w.start >= end]
    if not in_place and not _fronts_cleanly(clause, before, start):
        return None
    if before and before[-1].lower in ("than", "rather", "unlike"):
        return None  # `… better than what?`, `…, unlike what?`: the contrast is not the fact
    if after and after[0].lower == "that" and target.kind is not NUMBER:
        return None  # `cites [estimates] that …`: the noun's own clause would be left behind in the question
    if not _stands_alone(clause, target, start, end, before, after, in_place):
        return None
    over_time = target.words[-1].lower in ("years", "decades", "centuries", "months", "weeks", "days")
    while before and before[-1].lower in GAP_WORDS and clause.text[before[-1].end:start].strip() == "":
        if target.kind is NUMBER and before[-1].lower in ("the", "a", "an"):
            break  # `seven of [the] ten largest`: the article says the number is no amount
        if before[-1].lower == "over" and over_time:
            break  # `stronger over 2,000 years`: `over` says when, it is no approximation
        start = before[-1].start  # `[about 180] copies`, `involves [many experiments]`
        before = before[:-1]
    particle = len(before) >= 3 and before[-2].lower == "up" and before[-3].start == clause.words[clause.lexical].start
    if target.kind is NUMBER and len(before) >= 2 and not particle and \
            (before[-2].lower, before[-1].lower) in TWO_WORD_APPROXIMATORS and \
            clause.text[before[-1].end:start].strip() == "":  # not `add [up] to 2 million`: a verb's particle
        start = before[-2].start  # `[up to a billion] birds`, `[more than 5,500] exoplanets`
        before = before[:-2]
    if target.kind is NUMBER:
        return _number_gap(clause, target, start, end, before, after, in_place)
    return _noun_gap(clause, target, start, end, before, after, in_place)


def _fronts_cleanly(clause: Clause, before: Sequence[Token], start: int) -> bool:
    """After the verb, with no comma, coordination or long stretch in between, and not inside a phrase that
    modifies a noun (`a slab of granodiorite [weighing] about 760 kilograms`: `How many kilograms is the stone a
    slab weighing?` cannot be said; asked in place instead)."""
    lexical = clause.words[clause.lexical]
    if not before or before[-1].start < lexical.start:
        return False
    between = clause.text[lexical.end:start]
    inside = [w for w in before if w.start >= lexical.end]
    modifier = any([w.lower.endswith("ing") and 0 < i < len(inside) - 1  # not `their closing costs`
                    and not inside[i - 1].lex.parts.isdisjoint(("NOUN", ""))
                    and "NOUN" not in inside[i + 1].lex.parts for i, w in enumerate(inside)])
    return not _STRANDING.search(between) and len(between.split()) <= MAX_STRANDED_WORDS \
        and SUBORDINATORS.isdisjoint([w.lower for w in inside]) and not modifier  # `cites estimates that …`


_STRANDING = re.compile(r"[,;:]| and | or ")


def _stands_alone(clause, target, start, end, before, after, in_place) -> bool:
    """Not one half of `Intel and TSMC`, `training/inference`, `N2's`, `differences in …`."""
    words, text = clause.words, clause.text
    number_of = target.kind is NUMBER and in_place and after and after[0].lower == "of"
    if after and _joins_noun(words, after) and not number_of:
        return False
    if before and before[-1].lower in ("and", "or", "between"):
        return False
    if target.kind is NOUN_PHRASE and after and after[0].lower in ("in", "for", "with", "on"):
        return False  # `differences in temperature`: the phrase goes on
    if text[start - 1:start] in ("/", "-") or text[end:end + 1] in ("/", "-"):
        return False
    return text[end:end + 2] not in ("'s", "’s")


def _noun_gap(clause, target, start, end, before, after, in_place) -> tuple[str, int, int] | None:
    """`what`, `what lake`, `what kind of mill`, or `where` for a place after `in`."""
    words = clause.words
    previous = before[-1] if before else None
    if previous is None or previous.lower in NO_GAP_AFTER or (previous.lower == "of" and not in_place):
        return None  # `the behaviour of [elk] herds`: no `… the behaviour of?`
    after_verb = previous.start >= words[clause.verb].start and previous in words[clause.verb:clause.lexical + 1]
    if not (function_word(previous) or after_verb):
        return None
    if target.kind is not ENTITY and target.text.lower().endswith(ADJECTIVE_ENDINGS):
        return None
    if not in_place and _strands_after_object(clause, before):
        return None
    if previous.lower in ("in", "at") and target.kind is ENTITY and not after_noun(after, end):
        return "where", previous.start, end  # `sinks in the North Atlantic` → `Where does … sink?`
    return _wh_for_noun_phrase(clause, target, start, end, after, in_place)


def _strands_after_object(clause: Clause, before: Sequence[Token]) -> bool:
    """`… beat sleeping pills in [the long run]`: fronting it would strand `in` after the object."""
    lexical = clause.words[clause.lexical]
    between = [w for w in before if w.start > lexical.start]
    if not between or between[-1].lower not in PREPOSITIONS:
        return False
    return any(w.lex.content for w in between[:-1])


PIED_PIPED = frozenset("in by at within after for during on".split())


def _number_gap(clause, target, start, end, before, after, in_place) -> tuple[str, int, int] | None:
    """`in 1450` → `In what year …`; `about 2% salt` is a modifier, not asked."""
    wh = number_wh(target)
    if after and after[0].lower == "ago":
        return None  # `12,900 years ago`: `how many years ago` needs a question of its own
    if wh == "how often" and after and after[0].lower == "as":
        return None  # `twice as fast`: a comparison, not a frequency
    if before and before[-1].lower in ("the", "every", "each", "per"):
        return None  # `the ten largest`: no amount; `every [10 metres]` would be stranded
    if wh == "what fraction" and after and after[0].lower in DETERMINERS:
        return None  # `killed about half the coral`: `half` qualifies `the coral`
    modifier = after and after[0].start - end <= 1 and after[0].lex.content and after[0] != clause.verb_token
    if wh is None or (modifier and "how many" not in wh):
        return None
    previous = before[-1] if before else None
    if previous is not None and previous.lower == "to" and len(before) > 1 and before[-2].lex.number:
        return None  # `seven to nine hours`: a range is asked whole or not at all
    if previous is not None and previous.lower == "of" and not in_place:
        return None  # `a temperature of [18 degrees]`: asked in place, not with `of` stranded
    if wh == "when" and previous is not None and previous.lower in PIED_PIPED:
        if in_place or previous.lower not in ("in", "on", "at", "during", "by"):
            return None  # never `…, in when?`; `after when`, `within when` ask nothing clearly
        # `in November 1998` → `When did …?`; `by March 2030` → `By when …?` (`by` says a deadline)
        return ("By when" if previous.lower == "by" else wh), previous.start, end
    if in_place:
        return wh, start, end
    if previous is not None and previous.lower in PIED_PIPED:
        return f"{previous.lower} {wh}", previous.start, end  # `In what year did …?`, no stranded `in`
    if wh == "what year" and previous is not None and previous not in clause.words[clause.verb:clause.lexical + 1]:
        return None  # `the summer of 1969`: asked in place instead
    return wh, start, end


def after_noun(after: Sequence[Token], end: int) -> bool:
    """The target is a modifier: a noun follows it directly (`Bitcoin mining`)."""
    return bool(after) and after[0].start - end <= 1 and after[0].lower not in STOPWORDS


def _joins_noun(words: Sequence[Token], after: Sequence[Token]) -> bool:
    """`of …`, or `and`/`or` joining another noun (not `and repeats …`)."""
    if after[0].lower == "of":
        return True
    if after[0].lower not in ("and", "or"):
        return False
    following = after[1].lower if len(after) > 1 else ""
    looks_like_verb = following.endswith(("s", "ed")) and after[1].lex.base != following
    return not looks_like_verb


def _wh_for_noun_phrase(clause, target, start, end, after, in_place) -> tuple[str, int, int] | None:
    """`what` for the target's phrase; none for a modifier whose noun follows (`[Sleep] spindles`, `[Soft-story]
    buildings`): `What spindles …? → Sleep` asks for half a phrase."""
    if after_noun(after, end):
        return None
    if after and after[0].lower in ("one", "ones"):
        return None
    if not _named_person(target.text, target.words, clause):
        return "what", start, end
    before = clause.text[:start].split()
    after_preposition = in_place and bool(before) and before[-1].lower() in PREPOSITIONS
    return ("whom" if after_preposition else "who"), start, end  # `… by whom?`


def _find(text: str, needle: str) -> tuple[int, int] | None:
    """Where `needle` stands in `text` as whole words (no regex: a pattern per target cost a compile each)."""
    start = text.find(needle)
    while needle and start >= 0:
        end = start + len(needle)
        if not (_word_char(text[start - 1:start]) or _word_char(text[end:end + 1])):
            return start, end
        start = text.find(needle, start + 1)
    return None


def _word_char(char: str) -> bool:
    return bool(char) and (char.isalnum() or char in "_-")


def _inverted(clause: Clause, wh: str, gap_start: int, gap_end: int, answer: str,
              names: frozenset[str], relative: str = "") -> Question | None:
    """`wh + auxiliary + subject + verb + rest`, the gap left out; `relative` opens the rest (`that were`
    before `granted by town charters`)."""
    auxiliary, main = _invert(clause)
    if auxiliary is None:
        return None
    words = clause.words
    lexical_end = words[clause.lexical].end if main == "" and clause.lexical != clause.verb else None
    verb_end = clause.verb_token.end
    middle = clause.text[verb_end:gap_start] if gap_start >= verb_end else ""
    if lexical_end is not None and gap_start >= lexical_end:
        middle = clause.text[verb_end:gap_start]
    rest = _without_trailing(clause.text[gap_end:])
    subject = _lower_first(clause.text[:clause.verb_token.start].strip(), names, mid_sentence=clause.lowered)
    text = " ".join([p for p in (wh, auxiliary, subject, main, middle.strip(), relative, rest.strip()) if p])
    return _ask(clause, text, answer)


def _invert(clause: Clause) -> tuple[str | None, str]:
    """(`did`, `leave`) for `left`; (`is`, ``) for `is`; (`does`, `move`) for `moves`."""
    token = clause.verb_token
    word = token.lower
    if word in COMMON_VERBS:  # stopwords, yet verbs: `used` → `did … use`
        return ("did", "use") if word == "used" else ("does", word[:-1] if word != "becomes" else "become")
    if word in AUXILIARIES and not (word in ("has", "have", "had") and takes_object(clause)):
        return word, ""
    base = token.lex.base
    if word.endswith("ed") or (not word.endswith("s") and base != word):
        return "did", base  # `joined`, `left`, `began`
    if word in ("has", "have"):
        return ("does" if word == "has" else "do"), "have"
    if word.endswith("s"):
        return "does", base
    if word.isalpha() and word not in STOPWORDS:
        if _past_time(clause):
            return "did", word  # `cost $5.86 a ton in 1956`: a past the year gives away
        head = _subject_head(clause)
        plural = head.lex.plural or " and " in clause.subject \
            or head.lower in ("they", "we", "you", "i")  # `cars, appliances, and electronics`; `do they light`
        return ("do" if plural else "does"), word  # `does the Subway cost`, `do glaciers carve`
    return None, ""


def _subject_head(clause: Clause) -> Token:
    """The subject's head noun: its last word, or the word before a preposition that goes on with it (`growth
    [layers] in a Chinese stalagmite`, whose verb agrees with `layers`)."""
    words = clause.words
    for i in range(clause.subject_start + 1, clause.subject_end - 1):
        if words[i].lower in PREPOSITIONS and words[i].lower != "of":  # `a third of patients` agrees with both
            return words[i - 1]
    return words[clause.subject_end - 1]


def _agree(clause: Clause) -> str:
    """The predicate, agreeing with a singular `What`/`Who`."""
    predicate = _without_trailing(clause.text[clause.verb_token.start:]).rstrip(".!?;:, ")  # `… doors [closed.]`
    verb, _, tail = predicate.partition(" ")
    if verb.lower() in ADVERBS and tail:  # `ports now compete` → `What now competes …?`
        following, _, rest = tail.partition(" ")
        return f"{verb} {third_person(following.lower())} {rest}".strip()
    lower = verb.lower()
    if lower in SINGULAR:
        following = tail.split(" ", 1)[0].lower()
        if lower in ("are", "were") and (following.endswith("s") or following in ("the", "a", "an")):
            return predicate  # `What are boulders …?` keeps its plural complement
        return f"{SINGULAR[lower]} {tail}".strip()
    past = (lower.endswith("ed") and not lower.endswith("eed")) or _past_time(clause)
    irregular = lower == clause.verb_token.lower and clause.verb_token.lex.irregular
    if clause.words[clause.verb].lower in AUXILIARIES or lower.endswith("s") or past or irregular:
        return predicate
    if not enumeration_spans(tail):  # `… and [feed] soil microbes`; not `age, sex, education and [region]`
        tail = re.sub(r"\band ([a-z]+)\b", lambda m: f"and {third_person(m.group(1))}", tail, count=1)
    return f"{_third_person_of_verb(lower)} {tail}".strip()  # the clause's verb, even one that is also a stopword
    # (`operators now [own]` → `Who owns …?`)


def _past_time(clause: Clause) -> bool:
    """A year or `ago` in the clause or in the setting before it (`In 1854, Elisha Otis [cut] …`): `shut`, `cut`,
    `cost` read the same in the past, and this says which."""
    return _YEAR_IN.search(clause.prefix) is not None or any([w.lex.year or w.lower == "ago" for w in clause.words])


_YEAR_IN = re.compile(r"\b(?:1[0-9]\d\d|20\d\d)s?\b")


def _is_person(target: Target, clause: Clause) -> bool:
    """A name doing what people do (`Richard Chang left`, `Bach wrote`), or a noun for people (`Researchers`,
    `Tool vendors`): asked with `Who`."""
    return _people(target.text, target.words, clause)


def _people(text: str, words: Sequence[Token], clause: Clause) -> bool:
    if not words:
        return False
    if words[-1].lower in ("of",) or words[-1].lex.people:  # `Tool vendors`, `Researchers`
        return True
    acronym = " " not in text and is_acronym(text)  # `TSMC left` is a company
    title = " of " in text  # `The Ashley Book of Knots describes …`, `the Bank of England warned …`: no person
    return (text[:1].isupper() and clause.verb_token.lower in PERSON_VERBS and not acronym and not title) \
        or _named_person(text, words, clause)


# What says that a name is a person's: `his`, `she` … in the key point; a noun for people before it (`the
# alchemist Johann Böttger`); a deed one is credited with (`credits Grace Hopper with …`).
_PERSONAL_PRONOUN = re.compile(r"\b(?:he|his|him|himself|she|her|hers|herself)\b", re.IGNORECASE)
_CREDITED = re.compile(r"\bcredit(?:s|ed)? $")


def _named_person(text: str, words: Sequence[Token], clause: Clause) -> bool:
    """A name the key point speaks of as a person's (`Eadweard Muybridge photographed a horse with his cameras`):
    asked with `Who`. A name alone says nothing (`Hong Kong`, `Texas Instruments`); what the key point says of it
    does."""
    # `engineer Tommy Flowers`: a noun for people says so (in lower case: `Weightman` is a name, not a trade)
    name = [w for w in words if not (w.lex.people and w.text[:1].islower())]
    if name and len(name) < len(words) and all([w.text[:1].isupper() for w in name]) \
            and not any([w.acronym or w.lex.number for w in name]):
        return True
    # `Associated Press reporter Robert Geiger`: a title in lower case before the name, a noun for people in the
    # plural (`reporters`) or the pronoun below says whose it is
    first = len(words)
    while first > 0 and words[first - 1].text[:1].isupper():
        first -= 1
    name = list(words[first:])
    if not name or any([w.acronym or w.lex.number for w in name]):
        return False
    if first:
        title = words[first - 1]
        if not title.lex.content:
            return False  # `the Bank of England`: a name with a function word in it
        if is_people_noun(title.lower + "s"):
            return True
    found = _find(clause.text, text)
    before = clause.text[:found[0]] if found else ""
    previous = before.split()[-1:] if before else []
    return bool(_PERSONAL_PRONOUN.search(clause.prefix + clause.text)) or _CREDITED.search(before) is not None \
        or (bool(previous) and is_people_noun(previous[0].lower()))


_WHO = re.compile(r"\b[Ww]hom?\b")


def _name_without_title(question: Question) -> Question:
    """`Who coined …? → Robert Geiger`, not `→ Associated Press reporter Robert Geiger`: `Who` asks for the
    person, so a title in lower case before the name (`reporter`, `the warlord`) is left out of the answer."""
    text = question.text
    if ("who" not in text and "Who" not in text) or not _WHO.search(text):  # most questions: two scans in C rule
        return question  # them out, where the pattern, opening with `\b`, is tried at every character
    words = tokens(question.answer)
    first = len(words)
    while first > 0 and words[first - 1].text[:1].isupper():
        first -= 1
    if not 0 < first < len(words) or not words[first - 1].lex.content:
        return question
    return question._replace(answer=question.answer[words[first].start:])


def _lower_first(subject: str, names: frozenset[str], mid_sentence: bool = False) -> str:
    """`The market` → `the market`; names and acronyms keep their capitals, and so does a word the lexicon does not
    know in lower case (`Bach`), unless the key point wrote it mid-sentence after a frame (`Unlike …, [arbuscular]
    fungi push …`): its capital is only the claim's, and a name mid-sentence is in `names`."""
    first, _, rest = subject.partition(" ")
    bare = first.removesuffix("'s").removesuffix("’s")
    unknown = bare.isalpha() and parts_of_speech(bare.lower()) == UNKNOWN and not mid_sentence
    keep = (is_acronym(bare) or bare in names or rest[:1].isupper() or unknown) and first.lower() not in STOPWORDS
    return subject if keep or not first else first[0].lower() + first[1:] + (" " + rest if rest else "")


_SPACES = re.compile(r"\s{2,}")
# The spaces before a mark, the mark looked ahead at: replaced by nothing, with no template to expand (`\1` costs a
# call into the `re` module's Python code on every substitution)
_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[,.;:?])")


def _ask(clause: Clause, text: str, answer: str) -> Question:
    text = _SPACE_BEFORE_MARK.sub("", _SPACES.sub(" ", text)).strip().rstrip(".!;:, ")
    if clause.prefix:
        text = clause.prefix + (text[:1].lower() + text[1:] if text[:4] in ("What", "Who ", "Whos", "How ") else text)
    else:
        text = text[:1].upper() + text[1:]
    return Question(text + "?", answer.strip())


def number_wh(target: Target) -> str | None:
    """`how many months`, `what share`, `what year`, `how much`."""
    span = target.words
    if not span:
        return None
    last = span[-1]
    if target.text.endswith("%") or last.lower == "percent":
        return "what share"
    if span[0].lower in MONTHS:
        return "when"
    if last.lex.year and len(span) == 1:
        return "what year"
    if target.text[0] in "$€£":
        return "how much"
    if span[0].lower == "between":
        return None  # `between 10 and 14 months`: no wh-word asks for a range
    if span[0].lower in ("once", "twice"):
        return "how often"  # `once a year`
    if last.lower in ("half", "halves", "quarter", "quarters", "third", "thirds", "fifth", "fifths"):
        return "what fraction"  # `by two thirds` → `by what fraction`
    plural = any([w.plural for w in span if not w.lex.number])  # `300,000 people`, `18 degrees Celsius`; not `18A …`
    if len(span) > 1 and not last.lex.number and plural and last.lex.content:
        unit = " ".join(w.text for w in span if not w.lex.number
                        and w.lower not in ("of", "to", "and", "a", "several", "few", "many"))
        return f"how many {unit}"  # `30 million cubic meters` → `how many cubic meters`
    units = [w for w in span if not w.lex.number]
    unit = target.text[units[0].start - span[0].start:] if units else ""
    if unit and "." not in unit and all(_unit_symbol(w) for w in units):
        return f"how many {unit}"  # `80 km/h`, `12 kg`: a unit's symbol; not `4 p.m.`
    return None


_ERAS = frozenset({"bc", "bce", "ad", "ce", "am", "pm"})


def _unit_symbol(word: Token) -> bool:
    """`km`, `h` (of `km/h`), `kg`, `HRC`: a short symbol no dictionary knows, not a name's word (`Rapa [Nui]`), a
    function word or an era (`3500 [BC]` asks `when`)."""
    text = word.text
    return text.isalpha() and len(text) <= 4 and word.lex.parts == UNKNOWN and word.lower not in STOPWORDS \
        and word.lower not in _ERAS and not (text[:1].isupper() and not text.isupper())


def _good(question: Question, podcast: str) -> bool:
    """A short answer, a question mark, a wh-phrase that stands where a whole phrase stood, and the answer nowhere
    on the front."""
    if not question.answer or len(word_forms(question.answer)) > MAX_ANSWER_WORDS:
        return False
    if not question.text.endswith("?") or len(word_forms(question.text)) < 4 or _broken(question.text) \
            or _two_finite_verbs(question.text):
        return False
    if ";" in question.text or ":" in question.text:
        return False  # `What do the bees swarm; with a box?`: a question is one clause
    if not _names_a_thing(question.answer):
        return False  # `What must they also stay than outer space? → colder`, `… → mainly`: no thing to recall
    if _everyday_word(question.answer):
        return False  # `What does it take in late November? → place`, `… in most? → case`: no fact to recall
    return not shows(word_set(question.text), question.answer) and not shows(word_set(podcast),
                                                                                         question.answer)


def _everyday_word(answer: str) -> bool:
    """The answer is one everyday word in lower case (`place`, `best`, `value`): an idiom's half or a word anyone
    would guess, never the fact the key point teaches."""
    forms = word_forms(answer)
    return len(forms) == 1 and answer.islower() and not lex(forms[0]).number and lex(forms[0]).zipf >= EVERYDAY_ZIPF


EVERYDAY_ZIPF = 5.3  # wordfreq: `place` 5.7, `case` 5.6, `best` 5.8; `heat` 4.9, `salt` 4.6


def _names_a_thing(answer: str) -> bool:
    """The answer holds a noun, a name, a number or a word too rare for the lexicon: not only a verb, an adjective
    or an adverb (`sold`, `colder`, `mainly`), which a wh-word cannot stand for; and it does not end in a particle
    or an adverb that belongs to the verb (`industry [back]`, `Earlier Japanese folders [sometimes]`)."""
    forms = word_forms(answer)
    if forms and (forms[-1] in PARTICLES or (len(forms) > 1 and parts_of_speech(forms[-1]) == {"ADV"})):
        return False
    for word in forms:
        if lex(word).number or is_acronym(word):
            return True
        parts = parts_of_speech(word)
        if "NOUN" in parts or parts == UNKNOWN:
            return True
    return False


_WH = frozenset("what who whose which where when how".split())
_BEFORE_NO_WH = frozenset("the a an his her its their our your this that these those".split())


def _broken(text: str) -> bool:
    """A question whose wh-phrase took half a phrase: after a possessive or an article (`Intel's how many process`,
    `start with the what`), inside a name or a quotation (`what year 'West End Blues'`, `where' Home for Boys`),
    or beside another wh-word (`what would which outgrow`)."""
    words = text.rstrip("?").split()
    lowered = [word.strip(",") for word in text.rstrip("?").lower().split()]  # one pass: most words are no wh-word
    for i in [i for i, lower in enumerate(lowered) if lower in _WH]:
        word = words[i]
        if i == 0:  # `What can which regrow, …?`: a relative pronoun where the claim's subject stood
            if len(words) > 2 and words[1].lower() in AUXILIARIES \
                    and words[2].lower().strip(",") in ("which", "who", "whom"):
                return True
            continue  # `What predicts how much …?`, `What decides who gets paid first?` ask well
        previous = words[i - 1].lower()
        if previous.endswith(("'s", "’s", "s'")) or previous in _BEFORE_NO_WH:
            return True
        if "'" in word or "’" in word:
            return True
        following = words[i + 1:i + 3]
        if not _WH.isdisjoint(lowered[i + 1:i + 3]):
            return True
        if any([w[:1] in ("'", "‘", "\"", "“") for w in following]):
            return True  # `what year 'West End Blues'`: the wh-phrase stands inside a quotation
    return False


# Verbs whose object may be a clause without `that` (`What does Watanabe suspect [is] …?`), as a do-question
# leaves them: `CLAUSE_VERBS` in the base form, and the other verbs of knowing and expecting.
_CLAUSE_TAKING = frozenset(w.removesuffix("s") for w in CLAUSE_VERBS if w.endswith("s")) | frozenset(
    "suspect mean expect know find show hope fear feel assume predict guess insist report conclude".split())
# A finite verb a do-question's clause cannot hold besides `do` (a lexical `do` may follow: `What does heat do?`).
_FINITE = frozenset("is are was were has had does did can could will would may might must should shall".split())
_JOINERS = frozenset("and or but so than as".split())
_DO_WORD = re.compile(r"\b(?:do|does|did)\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[,;:]")
_WORD_OR_MARK = re.compile(r"[\w'’-]+|[,;:]")


def _two_finite_verbs(text: str) -> bool:
    """A question made with `do` that keeps a finite verb of its clause: `how many days did freshly make kimchi
    [can] ripen …?`, `where does standing-room ticket [are] …?`. The verb the question was made on was no verb
    (`made`, `LED`, `lost`): a broken question, as is one with no subject after `do` (`what does [whereas] …`).
    A new clause (`that`, `and`, a comma) or a verb that takes one (`How many years does low rainfall mean a
    burned forest [can] take …?`) may hold a finite verb of its own."""
    if not _DO_WORD.search(text):
        return False  # most questions: read no further
    words = _WORD_OR_MARK.findall(text)
    lower = [w.lower() for w in words]
    wh = next((i for i, w in enumerate(lower) if w in _WH), None)
    if wh is None:
        return False
    do = next((i for i in range(wh + 1, min(len(lower), wh + 5)) if lower[i] in ("do", "does", "did")), None)
    if do is None:
        return False
    if do + 1 < len(lower) and (lower[do + 1] in SUBORDINATORS or lower[do + 1] in _JOINERS):
        return True  # `what does [whereas] a Dutch auction start …?`: no subject after `does`
    for i in range(do + 1, len(lower)):
        word = lower[i]
        if _CLAUSE_BREAK.match(word) or word in SUBORDINATORS or word in _JOINERS:
            return False
        if word in _CLAUSE_TAKING and not (i + 1 < len(lower) and lower[i + 1] in PREPOSITIONS):
            return False  # `suspect [is]`, `mean a broken formation [can]`; not `find at the quarry [had]`
        if word in _FINITE:
            return True
    return False


def third_person(verb: str) -> str:
    """`consolidate` → `consolidates`, `push` → `pushes`; a stopword that may be no verb (`and [the]`) is kept."""
    if verb in STOPWORDS and verb not in VERBS_AMONG_STOPWORDS:
        return verb
    return _third_person_of_verb(verb)


def _third_person_of_verb(verb: str) -> str:
    """A verb in the third person singular: `own` → `owns`, `carry` → `carries`."""
    if verb.endswith(("s", "ing")) or (verb.endswith("ed") and not verb.endswith("eed")):
        return verb
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + ("es" if verb.endswith(("sh", "ch", "x", "o")) else "s")
