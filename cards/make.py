"""Key point → card content: cloze targets, a question, a context label.

The rules follow the principles of good prompts (SuperMemo's twenty rules,
Andy Matuschak's "How to write good prompts"): each card asks for one thing,
the thing that matters most in the key point, and never shows its answer.

Targets are chosen in order of preference: a number (with its unit), a
percent, a date or year; a named entity; a rare domain term (by word
frequency, from wordfreq); else the key noun phrase.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from wordfreq import zipf_frequency

MAX_TARGET_WORDS = 5
MAX_ANSWER_WORDS = 6
SHORT_KEY_POINT_WORDS = 12
RARE_ZIPF = 3.6
COMMON_ZIPF = 5.0

# Function words, pronouns and fillers: never a target, never a unit.
STOPWORDS = frozenset(
    """a an the and or but nor so yet for of to in on at by from with without into onto over under
    about above below after before between through during since until upon within across along
    around among against toward towards via per than then as if because while whereas though although
    is are was were be been being am do does did done has have had having can could will would shall
    should may might must not no yes this that these those there here it its it's they them their
    theirs he him his she her hers we us our ours you your yours i me my mine who whom whose which
    what when where why how all any each every both either neither some many much more most few less
    least other another such same own only also just very too even still already again ever never
    like right really basically actually kind sort well okay ok yeah um uh so-called thing things
    something anything everything nothing someone anyone everyone lot lots way ways one ones
    become becomes became make makes made get gets got use uses used often up out off down""".split()
)
APPROXIMATORS = frozenset(
    "about roughly around nearly almost approximately some over under more less than up to just only".split()
)
NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    hundreds thousand thousands million millions billion billions trillion trillions dozen dozens
    half quarter third double twice triple""".split()
)
MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)
TIME_UNITS = frozenset("seconds minutes hours days weeks months years decades centuries".split())
ANAPHORA = frozenset("this that these those they it he she them such".split())

_TOKEN = re.compile(
    r"[$€£]?\d[\d,]*(?:\.\d+)?(?:[A-Za-z]+|%)?|[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*"
)


class TargetKind(enum.IntEnum):
    """What a cloze target is; lower values are preferred."""

    NUMBER = 0
    ENTITY = 1
    RARE_TERM = 2
    NOUN_PHRASE = 3


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower().replace("’", "'")


@dataclass(frozen=True)
class Target:
    """A span of the key point that a card hides and asks for."""

    start: int
    end: int
    text: str
    kind: TargetKind
    score: float
    first_token: int
    last_token: int
    rank: float = 0.0


@dataclass(frozen=True)
class Question:
    """A Q&A prompt and its short answer."""

    text: str
    answer: str


@dataclass(frozen=True)
class CardPlan:
    """Everything the renderer needs to write one key point's two notes."""

    key_point: str
    deletions: tuple[Target, ...]
    question: Question | None
    cloze_context: str
    qa_context: str


def tokens(text: str) -> list[Token]:
    """Words and numbers of `text`, with their character spans."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common a word is in English (0 rare … 8 very common)."""
    return zipf_frequency(word, "en")


def plan_cards(key_point: str, podcast: str, episode: str, names: frozenset[str] = frozenset()) -> CardPlan:
    """Choose deletions, a question and a context label for one key point."""
    words = tokens(key_point)
    candidates = [
        _demote_topic(t, episode) for t in candidates_for(key_point, words) if _fits_front(t, key_point, podcast)
    ]
    deletions = _choose_deletions(candidates, len(words))
    question = make_question(key_point, words, candidates, podcast, names)
    answers = [question.answer] if question else []
    return CardPlan(
        key_point,
        tuple(deletions),
        question,
        context_label(podcast, episode, [d.text for d in deletions]),
        context_label(podcast, episode, answers),
    )


def context_label(podcast: str, episode: str, answers: list[str]) -> str:
    """`Podcast · Episode`, without the episode when it would give an answer away."""
    label = f"{podcast} · {episode}" if episode else podcast
    if any(contains_answer(label, answer) for answer in answers):
        return podcast
    return label


def _demote_topic(target: Target, episode: str) -> Target:
    """A word of the episode's title is its topic: asking for it tests nothing."""
    if episode and contains_answer(episode, target.text):
        return replace(target, rank=target.rank + 1.5)
    return target


def _fits_front(target: Target, key_point: str, podcast: str) -> bool:
    """A target whose text shows elsewhere on the front cannot be asked for."""
    rest = key_point[: target.start] + " … " + key_point[target.end:]
    return not contains_answer(rest, target.text) and not contains_answer(podcast, target.text)


def contains_answer(text: str, answer: str) -> bool:
    """Whether `answer` (or its main word) appears in `text` as a whole word."""
    core = _core_words(answer)
    haystack = {t.lower.removesuffix("'s") for t in tokens(text)}
    return bool(core) and all(word in haystack for word in core)


def _core_words(answer: str) -> list[str]:
    words = [t.lower.removesuffix("'s") for t in tokens(answer)]
    content = [w for w in words if w not in STOPWORDS and w not in APPROXIMATORS]
    return content or words


def _choose_deletions(candidates: list[Target], word_count: int) -> list[Target]:
    """One deletion for a short key point, at most two for a long one."""
    ranked = sorted(candidates, key=lambda t: (t.rank, t.score, t.start))
    if not ranked:
        return []
    chosen = [ranked[0]]
    if word_count > SHORT_KEY_POINT_WORDS:
        for other in ranked[1:]:
            if other.rank < TargetKind.NOUN_PHRASE and _apart(other, chosen[0]):
                chosen.append(other)
                break
    return sorted(chosen, key=lambda t: t.start)


def _apart(a: Target, b: Target) -> bool:
    """Two deletions that neither overlap nor touch, nor share a word."""
    if a.end + 1 >= b.start and b.end + 1 >= a.start:
        return False
    return not (set(_core_words(a.text)) & set(_core_words(b.text)))


def candidates_for(text: str, words: list[Token]) -> list[Target]:
    """Every acceptable target in the key point, of every kind."""
    enumeration = _enumeration_spans(text, words)
    found: dict[tuple[int, int], Target] = {}
    for finder in (_numbers, _entities, _rare_terms, _noun_phrases):
        for target in finder(text, words):
            if _acceptable(target, enumeration) and (target.start, target.end) not in found:
                found[(target.start, target.end)] = target
    return list(found.values())


def _acceptable(target: Target, enumerations: list[tuple[int, int]]) -> bool:
    words = tokens(target.text)
    if not words or len(words) > MAX_TARGET_WORDS or "," in target.text:
        return False
    if len(words) == 1 and (words[0].lower in STOPWORDS or zipf(words[0].lower) >= 6.0):
        return False
    # A whole list is a set, and sets make bad cards; one member is allowed.
    return not any(s <= target.start and target.end <= e and _members(target.text) > 1
                   for s, e in enumerations)


def _members(text: str) -> int:
    return len(re.split(r",|\band\b|\bor\b", text))


def _enumeration_spans(text: str, words: list[Token]) -> list[tuple[int, int]]:
    """Spans of `a, b(,) and c` lists of three or more items."""
    spans = []
    for match in re.finditer(r"[^,.;:]+(?:,[^,.;:]+)+,?\s+(?:and|or)\s+[^,.;:]+", text):
        spans.append((match.start(), match.end()))
    return spans


def _target(
    text: str, words: list[Token], first: int, last: int, kind: TargetKind, score: float, rank: float = 0.0
) -> Target:
    start, end = words[first].start, words[last].end
    span = text[start:end]
    if span.endswith(("'s", "’s")):
        span, end = span[:-2], end - 2
    return Target(start, end, span, kind, score, first, last, rank or float(kind))


def _numbers(text: str, words: list[Token]) -> list[Target]:
    """Numbers with their unit, percents, years and dates."""
    found = []
    i = 0
    while i < len(words):
        if not _is_number(words[i]):
            i += 1
            continue
        first = i
        if i > 0 and words[i - 1].lower in MONTHS:
            first = i - 1
        last = _number_end(words, i)
        rank = float(TargetKind.NUMBER)
        if first == last and words[i].lower in NUMBER_WORDS:
            rank = TargetKind.ENTITY + 0.5
        found.append(_target(text, words, first, last, TargetKind.NUMBER, float(first) / 100, rank))
        i = last + 1
    return found


def _is_number(token: Token) -> bool:
    return token.text[0] in "$€£0123456789" or token.lower in NUMBER_WORDS


def _number_end(words: list[Token], i: int) -> int:
    """Where a number's phrase ends: `hundreds of billions`, `six months`, `40%`."""
    last = i
    while last + 2 < len(words) and words[last + 1].lower == "of" and words[last + 2].lower in NUMBER_WORDS:
        last += 2
    if words[last].lower.endswith("s") and words[last].lower in NUMBER_WORDS and last + 2 < len(words):
        if words[last + 1].lower == "of" and _is_unit(words[last + 2]):
            return last + 2
    while last + 1 < len(words) and words[last + 1].lower in NUMBER_WORDS and _adjacent(words, last):
        last += 1
    if last + 1 < len(words) and words[last + 1].lower in ("percent", "per cent", "%"):
        return last + 1
    if words[last].text[-1].isalpha() and words[last].text[0].isdigit() or words[last].text.endswith("%"):
        return last
    if _is_year(words[last]):
        return last
    unit = last + 1
    if unit < len(words) and _adjacent(words, last) and _is_unit(words[unit]):
        if unit + 1 < len(words) and words[unit].text.isupper() and _is_unit(words[unit + 1]):
            return unit + 1
        return unit
    return last


def _adjacent(words: list[Token], i: int) -> bool:
    """No punctuation between word i and word i+1."""
    return words[i + 1].start - words[i].end <= 1


def _is_unit(token: Token) -> bool:
    return token.lower not in STOPWORDS and token.lower not in NUMBER_WORDS and not token.lower.endswith("ly")


def _is_year(token: Token) -> bool:
    return bool(re.fullmatch(r"1[5-9]\d\d|20\d\d", token.text))


def _entities(text: str, words: list[Token]) -> list[Target]:
    """Capitalised names (`Richard Chang`) and acronyms (`TSMC`)."""
    found = []
    i = 0
    while i < len(words):
        if not _capitalised(words, i):
            i += 1
            continue
        last = i
        while last + 1 < len(words) and _adjacent(words, last) and _capitalised(words, last + 1):
            last += 1
        first = i
        while first <= last and (words[first].lower in STOPWORDS or words[first].lower in MONTHS):
            first += 1
        if first <= last and _is_entity(text, words, first, last):
            found.append(_entity(text, words, first, last))
        i = last + 1
    return found


def _entity(text: str, words: list[Token], first: int, last: int) -> Target:
    """Rare and multi-word names first; everyday ones (`US`, `China`) after rare terms."""
    rarity = min(zipf(w.lower.removesuffix("'s")) for w in words[first:last + 1])
    rank = float(TargetKind.ENTITY)
    if rarity >= 4.5:
        rank = TargetKind.RARE_TERM + 0.5
    elif last == first and not _is_acronym(words[first].text) and rarity >= 3.0:
        rank += 0.3
    return _target(text, words, first, last, TargetKind.ENTITY, rarity, rank)


def _capitalised(words: list[Token], i: int) -> bool:
    word = words[i].text
    return word[0].isupper() and word not in ("I",) and not word[0].isdigit()


def _is_entity(text: str, words: list[Token], first: int, last: int) -> bool:
    """A sentence's first word is a name only when it is rare or an acronym."""
    word = words[first]
    starts_sentence = first == 0 or text[: word.start].rstrip().endswith((".", "!", "?", ":"))
    if not starts_sentence or last > first:
        return True
    bare = word.lower.removesuffix("'s")
    possessive = word.lower.endswith("'s")
    return _is_acronym(word.text) or (possessive and zipf(bare) < 3.4)


def _is_acronym(word: str) -> bool:
    letters = re.sub(r"'s$", "", word)
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= 2


def _rare_terms(text: str, words: list[Token]) -> list[Target]:
    """Content words rarer than everyday English: the domain's terms."""
    found = []
    for i, word in enumerate(words):
        bare = word.lower.removesuffix("'s")
        if bare in STOPWORDS or word.text[0].isdigit() or len(bare) < 4:
            continue
        rarity = _rarity(bare)
        if rarity < RARE_ZIPF:
            found.append(_target(text, words, i, i, TargetKind.RARE_TERM, rarity + _verb_penalty(words, i)))
    return found


DETERMINERS = frozenset("a an the its their his her our your this that these those each every".split())


def _verb_penalty(words: list[Token], i: int) -> float:
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


def _noun_phrases(text: str, words: list[Token]) -> list[Target]:
    """The rarest run of content words, as a last resort."""
    found = []
    for i, word in enumerate(words):
        if _content(word) and zipf(word.lower) < COMMON_ZIPF + 0.5:
            score = zipf(word.lower) + _verb_penalty(words, i)
            found.append(_target(text, words, i, i, TargetKind.NOUN_PHRASE, score))
    return found


def _content(word: Token) -> bool:
    bare = word.lower.removesuffix("'s")
    return bare not in STOPWORDS and len(bare) > 2 and not bare.endswith("ly") and not word.text[0].isdigit()


# --- questions -------------------------------------------------------------

AUXILIARIES = frozenset(
    """is are was were will would can could should may might must has have had does do did
    isn't aren't wasn't weren't won't wouldn't can't couldn't shouldn't mustn't hasn't haven't
    hadn't doesn't don't didn't""".split()
)
# Verbs whose subject is a person: they turn `What` into `Who`.
PERSON_VERBS = frozenset(
    """says said argues argued believes believed thinks thought mentions mentioned states stated claims
    claimed explains explained describes described notes noted suggests suggested recommends recommended
    warns warned predicts predicted recalls recalled contrasts contrasted left joined founded ran worked
    wrote led told asked admits admitted insists insisted""".split()
)
# Irregular past tenses: the grammar needs their base form for `did … ?`.
IRREGULAR_PAST = dict(
    pair.split(":")
    for pair in """left:leave made:make took:take became:become went:go gave:give found:find built:build
    began:begin brought:bring bought:buy thought:think told:tell said:say led:lead ran:run held:hold
    grew:grow fell:fall kept:keep won:win lost:lose sold:sell wrote:write saw:see came:come got:get
    had:have knew:know meant:mean rose:rise drove:drive spent:spend sent:send felt:feel broke:break
    chose:choose stood:stand understood:understand paid:pay taught:teach caught:catch fought:fight
    sought:seek shook:shake struck:strike threw:throw drew:draw""".split()
)
# Words that go into the gap with the target: `involves [many experiments]`.
GAP_WORDS = frozenset("the a an many few several some multiple numerous".split())
# After these a target is no noun phrase of its own: `and [manufacturing]`, `their [source]`.
NO_GAP_AFTER = AUXILIARIES | frozenset("to and or but nor its their his her our your my this that".split())
ADJECTIVE_ENDINGS = re.compile(r"(?:al|ive|ous|ed|ing|ble|ful|less|ly|er|est|ant|ent)$")
_PERSON_HINT = re.compile(r"^[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+$")
_LEADING_CLAUSE = re.compile(r"^(?:If|When|While|After|Before|Once|Although|Because|As|Since|Unless)\b[^,]{3,80},\s+")


@dataclass(frozen=True)
class Clause:
    """A simple declarative clause: subject tokens, main verb index, tokens."""

    prefix: str
    text: str
    words: list[Token]
    verb: int


def make_question(
    key_point: str, words: list[Token], candidates: list[Target], podcast: str,
    names: frozenset[str] = frozenset(),
) -> Question | None:
    """A real question whose short answer is one target, or None.

    The key point is read as `[leading clause,] subject verb rest`; the
    question asks for the subject (`Who left TSMC for China?`) or for a
    target after the verb, fronted with `do`-support or an inverted
    auxiliary (`What did Richard Chang leave for China?`).
    """
    if not words or words[0].lower in ANAPHORA or "?" in key_point:
        return None
    clause = _clause(key_point)
    if clause is None:
        return None
    ranked = sorted(candidates, key=lambda t: (t.rank, t.score, t.start))
    for target in ranked:
        question = _question_for(clause, key_point, target, names)
        if question and _good_question(question, podcast):
            return question
    return None


def _clause(key_point: str) -> Clause | None:
    prefix = ""
    match = _LEADING_CLAUSE.match(key_point)
    if match:
        prefix, key_point = match.group(), key_point[match.end():]
    words = tokens(key_point)
    verb = _main_verb(words) if words else None
    if verb is None or re.search(r"[,;:()]", key_point[: words[verb].start]):
        return None
    return Clause(prefix, key_point, words, verb)


def _main_verb(words: list[Token]) -> int | None:
    """The first word after the subject that reads as a finite verb.

    A subject with a comma in it (an aside) is too complex to invert: None.
    """
    first = 1 if words[0].lower in ("the", "a", "an") else 0
    head = words[first]
    if first + 1 < len(words) and _plural_head_then_verb(head, words[first + 1]):
        return first + 1
    for i in range(first + 1, min(len(words), 10)):
        word = words[i].lower
        if word in AUXILIARIES or word in IRREGULAR_PAST or word in PERSON_VERBS:
            return i
        if i > first + 1 and _plural_head_then_verb(words[i - 1], words[i]):
            return i
        if i == first + 1 and head.lower.endswith("ing"):
            continue
        if words[i].text[0].isupper() or word in STOPWORDS or words[i - 1].lower in STOPWORDS:
            continue
        if word.endswith("ed") and len(word) > 4:
            return i
        if _verb_like(words, i) and _lemma(word) != word:
            return i
    return None


def _plural_head_then_verb(head: Token, following: Token) -> bool:
    """`Glaciers carve`, `Springs appear`: a plural noun, then a base-form verb."""
    word = following.lower
    return (
        head.lower.endswith("s") and not head.lower.endswith("ss") and following.text[0].islower()
        and word not in STOPWORDS and not word.endswith(("s", "ed", "ing", "ly")) and head.end + 1 == following.start
    )


def _question_for(clause: Clause, key_point: str, target: Target, names: frozenset[str]) -> Question | None:
    offset = len(clause.prefix)
    start, end = target.start - offset, target.end - offset
    if start < 0:
        return None
    verb = clause.words[clause.verb]
    if end <= verb.start:
        return _subject_question(clause, start, end, target, names)
    return _object_question(clause, start, end, target, names)


def _subject_question(clause: Clause, start: int, end: int, target: Target, names) -> Question | None:
    """Ask for the subject: `Who left TSMC …?`, `Whose success …?`, `What moves …?`."""
    words, verb = clause.words, clause.verb
    subject_start = 1 if words[0].lower in ("the", "a", "an") else 0
    if start != words[subject_start].start:
        return None
    rest_of_subject = clause.text[end:words[verb].start].strip()
    possessive = rest_of_subject.startswith(("'s", "’s"))
    if possessive:
        wh, tail = "Whose", rest_of_subject[2:].strip()
    elif rest_of_subject:
        return None
    elif _PERSON_HINT.match(target.text) and words[verb].lower in PERSON_VERBS:
        wh, tail = "Who", ""
    else:
        wh, tail = "What", ""
    predicate = clause.text[words[verb].start:]
    if wh == "What" and not tail:
        predicate = _agree_singular(predicate, target.text)
    text = " ".join(part for part in (wh, tail, predicate) if part)
    return Question(_end_question(_with_prefix(clause.prefix, text)), target.text)


def _object_question(clause: Clause, start: int, end: int, target: Target, names) -> Question | None:
    """Front the target: `What did Richard Chang leave for China?`."""
    words, verb = clause.words, clause.verb
    between = clause.text[words[verb].end:start]
    if re.search(r"[,;:]", between) or len(clause.text[:words[verb].start].split()) > MAX_TARGET_WORDS + 1:
        return None
    wh, gap_start, gap_end = _wh_phrase(clause, start, end, target)
    if wh is None:
        return None
    subject = _lower_first(clause.text[:words[verb].start].strip(), names)
    auxiliary, main = _invert(words, verb)
    if auxiliary is None:
        return None
    rest = (clause.text[words[verb].end:gap_start] + " " + clause.text[gap_end:]).strip()
    text = " ".join(part for part in (wh, auxiliary, subject, main, rest) if part)
    text = re.sub(r"\s+([,.;:?])", r"\1", re.sub(r"\s{2,}", " ", text))
    return Question(_end_question(_with_prefix(clause.prefix, text)), target.text)


def _wh_phrase(clause: Clause, start: int, end: int, target: Target) -> tuple[str | None, int, int]:
    """`what`, `how many months`, `what lake` (a noun after the target moves along).

    Only a target that starts its noun phrase can be asked for: after the
    verb, a preposition or an article, never inside `training/inference`.
    """
    words, text = clause.words, clause.text
    gap_start, gap_end = start, end
    before = [w for w in words if w.end <= start]
    after = [w for w in words if w.start >= end]
    if text[max(0, start - 1):start] in "/-" and start or text[end:end + 1] in ("/", "-") or text[end:end + 2] in ("'s", "’s"):
        return None, start, end
    if target.kind == TargetKind.NUMBER:
        return _number_wh(words_for(target, clause), target), gap_start, gap_end
    while before and before[-1].lower in GAP_WORDS and text[before[-1].end:start].strip() == "":
        gap_start = start = before[-1].start
        before = before[:-1]
    previous = before[-1].lower if before else ""
    if not before or previous in NO_GAP_AFTER or not (previous in STOPWORDS or before[-1] is words[clause.verb]):
        return None, start, end
    if target.kind != TargetKind.ENTITY and ADJECTIVE_ENDINGS.search(target.text.lower()):
        return None, start, end
    if after and after[0].start - end <= 1 and after[0].lower not in STOPWORDS:
        noun = after[0]
        rest = after[1:]
        if gap_start == start or noun.lower.endswith(("ed", "ing", "ly")) or (rest and rest[0].lower not in STOPWORDS):
            return None, start, end
        return f"what {noun.text}", gap_start, noun.end
    if after and after[0].lower in ("one", "ones", "and", "or"):
        return None, start, end
    return "what", gap_start, gap_end


def words_for(target: Target, clause: Clause) -> list[Token]:
    """The target's words within the clause (for the number's unit)."""
    offset = len(clause.prefix)
    return [w for w in clause.words if target.start - offset <= w.start and w.end <= target.end - offset]


def _invert(words: list[Token], verb: int) -> tuple[str | None, str]:
    """(`did`, `leave`) for `left`; (`is`, ``) for `is`; (`does`, `move`) for `moves`."""
    word = words[verb].lower
    if word in AUXILIARIES and not (word in ("has", "have", "had") and _takes_object(words, verb)):
        return words[verb].text.lower(), ""
    if word in IRREGULAR_PAST:
        return "did", IRREGULAR_PAST[word]
    if word.endswith("ed"):
        return "did", _lemma(word)
    if word.endswith("s"):
        return ("does", "have") if word == "has" else ("does", _lemma(word))
    if word in ("have", "had"):
        return ("do" if word == "have" else "did"), "have"
    if word.isalpha() and word not in STOPWORDS:
        return "do", word
    return None, ""


def _takes_object(words: list[Token], verb: int) -> bool:
    """`has thousands of chips` (a verb) rather than `has joined` (an auxiliary)."""
    following = words[verb + 1].lower if verb + 1 < len(words) else ""
    return not (following.endswith(("ed", "en")) or following in ("been", "not", "never", "already", "also"))


@lru_cache(maxsize=16384)
def _lemma(word: str) -> str:
    """The base form of `moves`, `carries`, `joined`, `stopped`: the most common candidate."""
    if word in IRREGULAR_PAST:
        return IRREGULAR_PAST[word]
    options = []
    if word.endswith("ies"):
        options.append(word[:-3] + "y")
    if word.endswith("es"):
        options.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        options.append(word[:-1])
    if word.endswith("ied"):
        options.append(word[:-3] + "y")
    if word.endswith("ed"):
        options += [word[:-2], word[:-1]]
        if len(word) > 4 and word[-3] == word[-4]:
            options.append(word[:-3])
    options = [o for o in options if len(o) > 1]
    return max(options, key=zipf) if options else word


def _lower_first(subject: str, names: frozenset[str]) -> str:
    """`The market` → `the market`; names and acronyms keep their capitals."""
    first, _, rest = subject.partition(" ")
    bare = first.removesuffix("'s").removesuffix("’s")
    if first.lower() in STOPWORDS or (
        not _is_acronym(bare) and bare not in names and zipf(bare.lower()) >= 3.0
        and not (rest[:1].isupper())
    ):
        return (first[0].lower() + first[1:] + (" " + rest if rest else "")).strip()
    return subject


def _with_prefix(prefix: str, text: str) -> str:
    return prefix + text if prefix else text[0].upper() + text[1:]


def _verb_like(words: list[Token], i: int) -> bool:
    """An auxiliary, or a third-person verb such as `moves` (not `class`).

    A plural noun followed by an auxiliary (`erratics are`) is no verb.
    """
    word = words[i].lower
    if word in AUXILIARIES:
        return True
    followed_by_aux = i + 1 < len(words) and words[i + 1].lower in AUXILIARIES
    return word.endswith("s") and not word.endswith(("ss", "us", "is")) and not followed_by_aux


def _agree_singular(rest: str, subject: str) -> str:
    """`What` takes a singular verb: `Foundries consolidate` → `What consolidates`."""
    verb, _, tail = rest.partition(" ")
    if not subject.lower().endswith("s") or verb in AUXILIARIES:
        return rest
    if verb.isalpha() and verb.islower() and not verb.endswith(("s", "ed")) and verb not in STOPWORDS:
        # A second verb joined by `and` agrees too: `tweaks … and measures`.
        tail = re.sub(r"\band ([a-z]+)\b", lambda m: f"and {_third_person(m.group(1))}", tail, count=1)
        return f"{_third_person(verb)} {tail}".strip()
    return rest


def _third_person(verb: str) -> str:
    if verb in STOPWORDS or verb.endswith(("s", "ed", "ing")):
        return verb
    return verb + ("es" if verb.endswith(("sh", "ch", "x", "o")) else "s")


def _number_wh(span: list[Token], target: Target) -> str | None:
    if not span:
        return None
    last = span[-1]
    if target.text.endswith("%") or last.lower == "percent":
        return "what share"
    if span[0].lower in MONTHS:
        return "when"
    if _is_year(last) and len(span) == 1:
        return "what year"
    if target.text[0] in "$€£":
        return "how much"
    if len(span) > 1 and not _is_number(last) and last.lower.endswith("s"):
        return f"how many {last.text}"
    return None


def _end_question(text: str) -> str:
    return text.strip().rstrip(".!;:, ") + "?"


def _good_question(question: Question, podcast: str) -> bool:
    """Short answer, a question mark, and the answer nowhere on the front."""
    if len(tokens(question.answer)) > MAX_ANSWER_WORDS or not question.text.endswith("?"):
        return False
    return not contains_answer(question.text, question.answer) and not contains_answer(podcast, question.answer)
