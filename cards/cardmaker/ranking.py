"""How good a cloze target a candidate is: general features of a span, weighed by fitted weights.

A candidate is described by what carries over to text nobody tuned on: its
kind (a number, a name, a rare term, a noun phrase), its role in the key
point (the claim's subject or complement, a setting, a contrast, a tail, an
example), whether it is a whole phrase (not a modifier whose noun follows,
not a phrase that goes on with `of`, not a word that may be a verb), how
rare its words are, and where it stands. The weights are fitted on the
tuning sets only, by `benchmarks/fit_ranking.py`, which prints them as they
stand below; nothing here is tuned by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from cards.cardmaker.giveaway import core_tokens
from cards.cardmaker.tagger import ADJ, ADV, AUX, NAME, NOUN, NUM, PREP, SUB, VERB, VERBAL
from cards.cardmaker.types import ENTITY, NUMBER, Question, Reading, SetAside, Target, TargetKind, Token
from cards.cardmaker.words import (
    DETERMINERS,
    MONTHS,
    NUMBER_WORDS,
    PREPOSITIONS,
    STOPWORDS,
    TIME_UNITS,
    UNKNOWN,
    named_at,
    tokens,
)


class Context(NamedTuple):
    """What a candidate's features are read against: the part of the key point read, and its frames."""

    text: str
    words: Sequence[Token]
    tags: tuple[str, ...]  # each word's part of speech (`tagger.tag`)
    claim_start: int  # where the claim begins after a speaker or finding frame
    main_verb: int  # the claim's first verb (a token index), or len(words) when none was read
    aside: SetAside
    topic: frozenset[str]  # the episode's topic words
    episode_words: frozenset[str]  # the words of the episode's title
    advice: tuple[int, int] | None  # the tokens advice tells you to act on (first, last)
    subordinate: tuple[bool, ...] = ()  # each word: in a clause that depends on the claim's (see `clause_parts`)
    opening_end: int = -1  # the last word of a phrase that opens the key point before its claim, or -1
    example_start: int = -1  # where `such as`, `for example` … ends, or -1


_EXAMPLE_MARKERS = ("such as", "e.g.", "for example", "for instance")
_EXAMPLES = re.compile(rf"\b(?:{'|'.join(map(re.escape, _EXAMPLE_MARKERS))})\s")


def features(target: Target, context: Context) -> dict[str, float]:
    """The candidate's features that are not zero (see `FEATURES` for what each means)."""
    words, first, last = context.words, target.first_token, target.last_token
    span = words[first:last + 1]
    core = core_tokens(span)
    size = len(span)
    found: dict[str, float] = {_KIND_FEATURE[target.kind]: 1.0,
                               "words_2" if size == 2 else "words_3_plus" if size > 2 else "words_1": 1.0}
    rarity = min([w.lex.rarity for w in core if not w.lex.number] or [8.0])
    found["rarity"] = min(rarity, 8.0) / 8.0
    if rarity < 3.0:
        found["rare"] = 1.0
    found["position"] = target.start / max(1, len(context.text))
    before = words[first - 1] if first else None
    after = words[last + 1] if last + 1 < len(words) else None
    touching = after is not None and after.start - span[-1].end <= 1
    head = span[-1]
    _role(found, target, context, before)
    _integrity(found, target, context, span, head, before, after, touching)
    if target.kind is NUMBER:
        _number(found, target, span, before, after, touching, words)
    elif target.kind is ENTITY:
        if size > 1:
            found["name_words_2_plus"] = 1.0
        if any([w.acronym for w in span]):
            found["acronym"] = 1.0
    bare = {w.lex.bare for w in core}
    if bare & context.topic and target.kind is not NUMBER:
        found["topic"] = 1.0  # a number keeps its place (`two high tides` in an episode on tides)
    if bare and bare <= context.episode_words:
        found["in_episode_title"] = 1.0
    if head.lex.people:
        found["people"] = 1.0
    if not found.get("number") and 0 <= context.example_start <= target.start \
            and "," not in context.text[context.example_start:target.start]:
        found["example"] = 1.0  # `such as [AV or To]`
    return found


_KIND_FEATURE = {kind: kind.name.lower() for kind in TargetKind}
_CONTRASTED = frozenset({"than", "unlike"})


def _role(found: dict[str, float], target: Target, context: Context, before: Token | None) -> None:
    """Where the candidate stands in the key point read as frame and claim."""
    aside, words = context.aside, context.words
    if target.end <= aside.setting_end:
        found["setting"] = 1.0  # `In 1997, …`, `During a drought, …`: when and where, rarely the fact
    if aside.opening_end is not None and target.end <= aside.opening_end:
        found["contrast_opening"] = 1.0  # `Rather than building fabs everywhere, …`
    if aside.tail_start is not None and target.start >= aside.tail_start:
        found["tail"] = 1.0  # `…, because …`, `…, including …`
    first = target.first_token
    contrasted = first and (words[first - 1].lower in _CONTRASTED or (first > 1 and words[first - 2].lower
                                                                      in _CONTRASTED))
    if contrasted and words[first - 1].lower not in NUMBER_WORDS:
        found["after_than"] = 1.0  # `more than any single probiotic`
    if _foil(context.text, words, first):
        found["foil"] = 1.0  # `sonar operators, not [periscope watchers]`
    if words and words[0].lower in ("this", "these", "those") and target.first_token <= 3:
        found["points_back"] = 1.0  # `These fast metabolisers …`
    if target.first_token < context.main_verb and target.start >= context.claim_start and not found.get("setting"):
        found["subject"] = 1.0
    elif target.first_token > context.main_verb:
        found["complement"] = 1.0
        if target.first_token <= context.main_verb + 2:
            found["next_to_verb"] = 1.0
    if context.subordinate and context.subordinate[target.first_token]:
        found["subordinate"] = 1.0  # `…, where he was sent at age [11]`, `… because [the opening number] anchors …`
    if context.text.startswith(("'s", "’s"), target.end):
        found["possessor"] = 1.0  # `[Mexico City]'s soft lake-bed clay`: whose, not what
    if target.last_token <= context.opening_end and target.start >= context.claim_start:
        found["opening_phrase"] = 1.0  # `Drawing on [Thomas Seeley]'s research, …`
    if context.advice and context.advice[0] <= target.first_token <= context.advice[1]:
        found["advised"] = 1.0  # `keep [doors and shutters] closed`
    if named_at(context.text, words, first):
        found["named"] = 1.0  # `are called [tesserae]`, `known as [andamento]`, `a tea room, or [chashitsu],`
    if before is not None:
        if before.lower in DETERMINERS:
            found["after_determiner"] = 1.0
        elif before.lower in PREPOSITIONS:
            found["after_preposition"] = 1.0


def _foil(text: str, words: Sequence[Token], first: int) -> bool:
    """The candidate is what the claim sets aside after `, not` (`sonar operators, not [periscope watchers]`,
    `… come from falling objects, not from [buildings] collapsing`)."""
    for negation in (first - 1, first - 2):  # a loop, not a generator: asked of every candidate
        if negation >= 0 and words[negation].lower == "not":
            return text[:words[negation].start].rstrip().endswith(",")
    return False


_SUBORDINATORS = frozenset("which who whom whose where when while because although though if unless until since "
                           "whereas as so".split())


def clause_parts(text: str, words: Sequence[Token], tags: Sequence[str], main_verb: int) -> tuple[
        tuple[bool, ...], int, int]:
    """Read once per key point, for every candidate's features: which words stand in a clause that depends on the
    claim's (after `which`, `where`, `because` … or `that` after a noun, following the claim's verb, up to a
    comma); where a phrase that opens the key point before its claim ends (it opens with a preposition, a
    participle or an adverb and holds no verb up to its comma: `Drawing on Thomas Seeley's research, …`), else
    -1; where an example's marker ends (`such as`), else -1."""
    subordinate, inside = [], False
    for i, word in enumerate(words):
        between = text[words[i - 1].end:word.start] if i else " "
        if between != " " and between.strip(" ") not in ("", "'", "’"):  # most words: one space before
            inside = False  # a comma: another part of the sentence
        if i > main_verb and (word.lower in _SUBORDINATORS or (word.lower == "that" and tags[i - 1] in (NOUN, NAME))):
            inside = True
        subordinate.append(inside)
    opening_end = -1
    if words and tags[0] in (PREP, VERBAL, ADV, SUB):
        for i in range(len(words) - 1):
            if tags[i] in (VERB, AUX):
                break
            if text[words[i].end:words[i + 1].start].strip(" ").startswith(","):
                opening_end = _aside_on_the_opening(text, words, i)
                break
    # most key points hold no marker: a scan in C for each rules them out, where the pattern, opening with `\b`, is
    # tried at every character
    example = _EXAMPLES.search(text) if any([marker in text for marker in _EXAMPLE_MARKERS]) else None
    return tuple(subordinate), opening_end, example.end() if example else -1


def _aside_on_the_opening(text: str, words: Sequence[Token], end: int) -> int:
    """Where an opening ends when a relative clause between commas describes its noun (`Unlike the twin-engine
    C-47, which carried about 3 tons, |…`): the clause is the opening's, not the claim's; else `end`."""
    if end + 1 >= len(words) or words[end + 1].lower not in ("which", "whose", "who"):
        return end
    for i in range(end + 1, len(words) - 1):
        if text[words[i].end:words[i + 1].start].strip(" ").startswith(","):
            return i
    return end


def _integrity(found: dict[str, float], target: Target, context: Context, span: Sequence[Token], head: Token,
               before: Token | None, after: Token | None, touching: bool) -> None:
    """Whether the candidate is a whole phrase: not a modifier whose noun follows, not cut from its modifiers or
    from the rest of a name, not a phrase that goes on with `of`."""
    tags, first, last = context.tags, target.first_token, target.last_token
    head_tag = tags[last]
    if head_tag not in (NOUN, NAME, NUM):
        found["head_not_noun"] = 1.0  # `[warning]`, `[optimal]`
    parts = head.lex.bare_parts
    if parts == UNKNOWN:
        found["head_unknown"] = 1.0
    elif "VERB" in parts:
        found["head_maybe_verb"] = 1.0
    if head.plural:
        found["head_plural"] = 1.0
    if tags[first] == ADJ:
        found["opens_with_adjective"] = 1.0  # `[sudden brittle failure]`
    if after is not None:
        if after.lower == "of":
            found["before_of"] = 1.0  # `the length [of the waggle run]`
        elif touching and tags[last + 1] in (NOUN, NAME) and not head.lower.endswith("'s") \
                and (target.kind is not NUMBER or not head.lex.number):
            # a number's noun is its unit (`a [$7.2 billion] fund`), but a unit another noun follows is a
            # modifier (`[6,000 thyroid] cancer cases`)
            if after.text[:1].isupper() and head.text[:1].isupper():
                found["name_goes_on"] = 1.0  # `[Jazz] Age`
            else:
                found["before_noun"] = 1.0  # a modifier whose noun follows: `[Soft-story] buildings`
        elif tags[last + 1] in (VERB, AUX):
            found["before_verb"] = 1.0  # the whole subject of its verb
    if before is not None and before.end + 1 >= span[0].start and tags[first - 1] in (ADJ, NOUN, NAME) \
            and not before.lower.endswith("'s"):
        if before.text[:1].isupper() and span[0].text[:1].isupper():
            found["name_goes_on"] = 1.0
        else:
            found["after_modifier"] = 1.0  # `sudden [brittle failure]`: cut from its modifier


def _number(found: dict[str, float], target: Target, span: Sequence[Token], before: Token | None,
            after: Token | None, touching: bool, words: Sequence[Token]) -> None:
    """What kind of number: with its unit, a year, a share, money, a bare count, one that sets the scene."""
    first = span[0]
    if len(span) > 1 and not all([w.lex.number or w.lower in STOPWORDS for w in span]):
        found["number_with_unit"] = 1.0
    if len(span) == 1 and first.lex.year:
        found["year"] = 1.0
    if "%" in target.text or span[-1].lower == "percent":
        found["share"] = 1.0
    if first.text[:1] in "$€£":
        found["money"] = 1.0
    if all([w.lower in NUMBER_WORDS or w.lower in STOPWORDS for w in span]):
        found["number_word"] = 1.0  # `four`, `a third`
    if before is not None:
        modifier = (before.lower in DETERMINERS or before.lower.endswith("'s")) and touching and after is not None \
            and after.text.islower() and "NOUN" in after.lex.parts and len(span) == 1
        named = before.text[:1].isupper() and target.first_token > 1 and before.end + 1 >= first.start \
            and before.lower not in MONTHS and before.lower not in STOPWORDS
        titled = before.lower == "of" and len(span) == 1 and first.lex.year and target.first_token > 1 \
            and words[target.first_token - 2].text[:1].isupper()  # `the Rebuilding Act of [1667]`
        if modifier or named or titled:
            found["number_sets_scene"] = 1.0  # `his [1912] medals`, `Zone [2]`: the year names which one
        if before.lower == "the":
            found["after_the"] = 1.0
    if len(span) == 1 and not (first.lex.year or "%" in target.text or first.text[:1] in "$€£"):
        found["bare_number"] = 1.0  # `out for [six]`: a count with no unit
    if before is not None and before.lower in ("over", "for", "within", "during", "after", "since", "in") \
            and span[-1].lower in TIME_UNITS:
        found["time_span"] = 1.0  # `over [twenty years]`: how long the claim holds, not what it says
    if first.lower == "one" and len(span) > 1:
        found["number_sets_scene"] = 1.0  # `[one leaked login]`: one is nearly an article


FEATURES = (
    # kind
    "number", "entity", "rare_term", "noun_phrase",
    # size and rarity
    "words_1", "words_2", "words_3_plus", "rarity", "rare", "position",
    # role
    "setting", "contrast_opening", "tail", "after_than", "points_back", "subject", "complement", "next_to_verb",
    "advised", "after_determiner", "after_preposition", "example", "topic", "in_episode_title", "people",
    "subordinate", "possessor", "opening_phrase", "foil", "named",
    # a whole phrase
    "head_not_noun", "head_unknown", "head_maybe_verb", "head_plural", "opens_with_adjective", "before_of",
    "before_noun", "name_goes_on", "before_verb", "after_modifier",
    # names
    "name_words_2_plus", "acronym",
    # numbers
    "number_with_unit", "year", "share", "money", "number_word", "number_sets_scene", "after_the", "bare_number",
    "time_span",
)


# Not fitted: a setting at the front (`In 1997, …`), a phrase that opens the key point before its claim
# (`Drawing on Seeley's research, …`), what the episode's title names (its topic: asking for it tests nothing) and
# what the claim sets aside after `, not` (the foil, not the fact) are hidden only when nothing else can be, as a
# frame never is.
FIXED_WEIGHTS: dict[str, float] = {"setting": -10.0, "opening_phrase": -10.0, "in_episode_title": -10.0,
                                   "foil": -10.0}


# Fitted by `python benchmarks/fit_ranking.py` on the tuning sets (never the held-out ones).
WEIGHTS: dict[str, float] = {
    "number": 1.53, "entity": 0.36, "rare_term": -0.23, "noun_phrase": -1.67, "words_1": -0.98, "words_2": 0.53,
    "words_3_plus": 0.45, "rarity": -0.02, "rare": 0.85, "position": -0.48, "setting": -10.00,
    "contrast_opening": -0.13, "tail": 0.08, "after_than": -0.16, "points_back": -0.45, "subject": -0.15,
    "complement": -0.12, "next_to_verb": 0.39, "advised": 0.71, "after_determiner": 0.28, "after_preposition": 1.26,
    "example": -0.10, "topic": -0.98, "in_episode_title": -10.00, "people": -0.86, "subordinate": -0.46,
    "possessor": -0.36, "opening_phrase": -10.00, "foil": -10.00, "named": 0.27, "head_not_noun": -0.17,
    "head_unknown": 0.18, "head_maybe_verb": -0.38, "head_plural": 0.09, "opens_with_adjective": 0.21,
    "before_of": 0.43, "before_noun": -0.72, "name_goes_on": -0.11, "before_verb": 0.04, "after_modifier": -0.83,
    "name_words_2_plus": 0.14, "acronym": 0.03, "number_with_unit": 0.39, "year": -0.18, "share": 0.84, "money": 0.19,
    "number_word": 0.22, "number_sets_scene": -0.66, "after_the": -0.37, "bare_number": 0.23, "time_span": -0.05,
}
def score(target: Target, context: Context) -> float:
    """The candidate's score: higher is a better target."""
    return sum([WEIGHTS[name] * value for name, value in features(target, context).items()])  # a list: no
    # generator's frame to resume for each feature


# --- questions ------------------------------------------------------------------------------------


QUESTION_FORMS = ("number", "subject", "fronted", "in_place", "subject_phrase", "object_phrase", "advice", "speaker")


def question_features(form: str, target: Target | None, question: Question, order: int, reading: Reading,
                      framed: bool) -> dict[str, float]:
    """A candidate question's features that are not zero (see `QUESTION_FEATURES`): how it was made (its form,
    whether it was the first the forms made), what it asks for (the cloze ranking's view of its answer), and
    its shape (a wh-word left in the middle, a preposition stranded at the end, a clause kept after a comma)."""
    found: dict[str, float] = {f"form_{form}": 1.0}
    if order == 0:
        found["made_first"] = 1.0
    found["order"] = min(order, 5) / 5
    targets = reading.targets
    if target is None:
        found["no_target"] = 1.0
    else:
        if targets and (target.start, target.end) == (targets[0].start, targets[0].end):
            found["best_target"] = 1.0
        elif targets:
            found["behind_best"] = min(target.rank - targets[0].rank, 3.0) / 3
        found["answer_" + _KIND_FEATURE[target.kind]] = 1.0  # not `kind.name`: an Enum's property
    answer = core_tokens(tokens(question.answer))
    if answer and answer[-1].lex.people:
        found["answer_people"] = 1.0  # `Researchers`, `Audiences`: a group anyone could name
    words_of_answer = [w for w in answer if not w.lex.number]  # a number's rarity would load all of wordfreq
    if words_of_answer and min([w.lex.rarity for w in words_of_answer]) < 3.0:
        found["answer_rare"] = 1.0
    if _JOINED.search(question.answer):
        found["answer_joined"] = 1.0  # `bacteria, yeast, or silkworms`: a short list asked whole
    answer_words = len(question.answer.split())
    if answer_words == 1:
        found["answer_one_word"] = 1.0
    elif answer_words > 2:
        found["answer_three_words_plus"] = 1.0
    text = question.text
    words = text.rstrip("?").split()
    if text.startswith(("Who ", "Whose ")) or ", who " in text:
        found["who"] = 1.0
    opening = " ".join(words[:6]).lower().split()
    if _WH_WORDS.isdisjoint(opening):
        found["wh_in_the_middle"] = 1.0  # `… against how many cents for containers?`
    if words and words[-1].lower() in PREPOSITIONS:
        found["preposition_at_the_end"] = 1.0  # `what did standard box sizes matter more than?`
    if "," in text[len(words[0]) if words else 0:] and not (framed and text.count(",") == 1):
        found["comma"] = 1.0
    found["length"] = min(len(words), 30) / 30
    if framed:
        found["framed"] = 1.0
    return found


_JOINED = re.compile(r", | and | or ")
_WH_WORDS = frozenset(("what", "who", "whose", "how", "where", "when", "which"))


QUESTION_FEATURES = (
    *(f"form_{form}" for form in QUESTION_FORMS), "made_first", "order", "no_target", "best_target", "behind_best",
    "answer_number", "answer_entity", "answer_rare_term", "answer_noun_phrase", "answer_one_word",
    "answer_three_words_plus", "who", "wh_in_the_middle", "preposition_at_the_end", "comma", "length", "framed",
    "answer_people", "answer_rare", "answer_joined", "bias",
)


QUESTION_WEIGHTS: dict[str, float] = {
    "form_number": 0.39, "form_subject": 0.10, "form_fronted": 0.20, "form_in_place": -0.05,
    "form_subject_phrase": 0.13, "form_object_phrase": -0.43, "form_advice": 0.01, "form_speaker": 0.31,
    "made_first": 0.30, "order": 0.07, "no_target": -0.03, "best_target": 1.02, "behind_best": -0.76,
    "answer_number": 0.32, "answer_entity": 0.50, "answer_rare_term": -0.01, "answer_noun_phrase": -0.12,
    "answer_one_word": -0.19, "answer_three_words_plus": 0.36, "who": -0.33, "wh_in_the_middle": -0.17,
    "preposition_at_the_end": -0.04, "comma": -0.07, "length": -0.05, "framed": -0.28, "answer_people": -0.05,
    "answer_rare": 0.41, "answer_joined": 0.11, "bias": 0.66,
}
QUESTION_THRESHOLD = -1.76


def question_score(features: dict[str, float]) -> float:
    """A candidate question's score (a log-odds that its answer is right): the best is asked, if above
    `QUESTION_THRESHOLD`."""
    return QUESTION_WEIGHTS.get("bias", 0.0) + sum([QUESTION_WEIGHTS.get(name, 0.0) * value
                                                   for name, value in features.items()])
