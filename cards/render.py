"""Card content → field HTML, through Jinja templates in `cards/templates/`.

Everything that comes from a note is escaped on the way out, and escaped for
Anki too: braces cannot open a cloze or a template tag, `::` cannot split a
deletion into answer and hint, and `[sound:…]` or `\\(…\\)` stay text.
"""

from __future__ import annotations

import html
import itertools
import re
from functools import cache, lru_cache
from typing import NamedTuple

import jinja2
from markupsafe import Markup, escape
from rapidfuzz import fuzz, process

from cards.cardmaker.types import CardPlan
from cards.cardmaker.words import STOPWORDS
from cards.model import Episode, Snip, Turn
from cards.parse.text import replace_not_text

_SENTENCES = re.compile(r"(?<=[.!?…])\s+")
_ANKI_SPECIAL = str.maketrans({"{": "&#123;", "}": "&#125;", "[": "&#91;", "]": "&#93;", "\\": "&#92;"})
PASSAGE_SENTENCES = 2
MATCH_THRESHOLD = 45.0


def escape_text(value: str) -> Markup:
    """HTML-escape text for a text node, and neutralise Anki's own syntax.

    Quotes need no escaping outside attributes, and leaving them alone keeps
    `&#39;` out of what the cards show: so `html.escape` without quotes, which
    is MarkupSafe's escape with its quotes put back (at two thirds of the cost).
    """
    return Markup(_escaped_text(value))


def _escaped_text(value: str) -> str:
    """`escape_text` as a plain string (a field made of text alone needs no `Markup` around it)."""
    text = html.escape(replace_not_text(value, " "), quote=False)
    if _has_anki_special(text):  # rare: checking first spares most texts a slow translate
        text = text.translate(_ANKI_SPECIAL)
    return text.replace("::", ":&#58;")


def _has_anki_special(text: str) -> bool:
    return "{" in text or "}" in text or "[" in text or "]" in text or "\\" in text


def _finalize(value):
    if isinstance(value, Markup):
        return value
    return escape_text("" if value is None else str(value))


def _attr(value: str) -> Markup:
    """Full escaping for an attribute value (quotes included)."""
    return Markup(str(escape(replace_not_text(value, ""))).translate(_ANKI_SPECIAL))


@cache
def environment() -> jinja2.Environment:
    """The Jinja environment: autoescape, strict undefined, Anki-safe output."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cards", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=False,
        auto_reload=False,  # the templates ship with the package: checking their files on every card cost a fifth
    )
    env.filters["attr"] = _attr
    # None of the templates uses a global: Jinja copies every global into each render's context.
    env.globals.clear()
    return env


@cache
def _template(name: str) -> jinja2.Template:
    """A card template, looked up once.

    Its globals become a plain dict: Jinja gives each template a ChainMap of
    them, which every render copies twice, at a tenth of a small render's cost.
    """
    template = environment().get_template(name)
    template.globals = dict(template.globals)
    return template


def _render(name: str, **context) -> str:
    return _template(name).render(context).strip()


class Segment(NamedTuple):
    """A stretch of a key point: a deletion (numbered) or the text between (0).

    Templates unpack their records by position (`for text, number in …`):
    Jinja looks up each attribute by name, at a cost every card pays.
    """

    text: str
    number: int = 0


def cloze_text(plan: CardPlan) -> str:
    """The key point with `{{cN::…}}` around each deletion; c1 is the best target."""
    segments, position = [], 0
    numbered = sorted(enumerate(plan.deletions, start=1), key=lambda item: item[1].start)
    for number, target in numbered:
        segments.append(Segment(plan.key_point[position:target.start]))
        segments.append(Segment(target.text, number))
        position = target.end
    segments.append(Segment(plan.key_point[position:]))
    return _render("cloze.html.j2", segments=[s for s in segments if s.text])


def text(value: str) -> str:
    """Plain text as field HTML."""
    return _escaped_text(value)


class Piece(NamedTuple):
    text: Markup  # escaped already
    marked: bool = False
    spaced: bool = False  # a space before it: not the turn's first (the template asks no `loop.last`)


class ShownTurn(NamedTuple):
    speaker: Markup
    pieces: tuple[Piece, ...]
    cut_before: bool = False
    cut_after: bool = False
    html: Markup | None = None  # the whole turn, rendered already


class Block(NamedTuple):
    """A stretch of the transcript on the back of a card: shown, or folded.

    A fold's label ("Earlier in the transcript"…) comes from the note type's
    CSS, by where the fold is: stored in every note, it would cost the build
    state a fifth of what the passage costs.
    """

    turns: tuple[ShownTurn, ...]
    folded: bool = False


# Every note of a snip holds its transcript (the Transcript field, and the Passage). Snipd's snips hold minutes of
# it and a few key points; a file that pairs thousands of key points with hours of transcript would make fields of
# key points × transcript (400 key points over 1 MB of it: 800 MB). So each field of a note carries at most its
# share of `TRANSCRIPT_BUDGET` characters, and never less than `TRANSCRIPT_FLOOR` (room for the sentences it marks).
TRANSCRIPT_BUDGET = 1_000_000
SENTENCE_CHARS = 1_000  # a longer sentence (a transcript without full stops) is read in pieces this long
TRANSCRIPT_FLOOR = 8 * SENTENCE_CHARS


def transcript_allowance(snip: Snip) -> int:
    """How many characters of its transcript each field of each of the snip's notes carries, at most."""
    return max(TRANSCRIPT_FLOOR, TRANSCRIPT_BUDGET // max(1, len(snip.key_points)))


def transcript(snip: Snip) -> str:
    """Every turn of the snip, speakers in bold (as far as `transcript_allowance` goes, then `…`)."""
    return "".join(_turns_html(_carried_turns(snip.turns, transcript_allowance(snip))))


@lru_cache(maxsize=64)
def _carried_turns(turns: tuple[Turn, ...], allowance: int) -> tuple[Turn, ...]:
    """The turns, whole when they fit in `allowance` characters; else their first sentences that do, then `…`."""
    if sum(len(turn.text) for turn in turns) <= allowance:
        return turns
    every = _every(turns)
    fitting = sum(1 for spent in itertools.accumulate(len(sentence) for _, _, sentence in every) if spent <= allowance)
    if fitting == len(every):
        return turns  # only the blank space between sentences was over
    cut, first_left_out, _ = every[fitting]
    kept = _split(turns[cut].text)[:first_left_out]
    return (*turns[:cut], Turn(turns[cut].speaker, " ".join([*kept, "…"])))


@lru_cache(maxsize=64)  # each key point of a snip shows its whole turns again
def _turns_html(turns: tuple[Turn, ...]) -> tuple[Markup, ...]:
    """Each turn as a paragraph: rendered together (one render costs what a turn does), then cut apart."""
    html = _render("passage.html.j2", blocks=[Block(tuple(map(_whole, turns)))])
    return tuple(Markup(f"{paragraph}</p>") for paragraph in html.split("</p>")[:-1])  # text has no `</p>`


def _whole(turn: Turn) -> ShownTurn:
    return ShownTurn(_escaped(turn.speaker), (Piece(_escaped(turn.text)),))


# A snip's transcript is shown again for each of its key points: each text is escaped once.
_escaped = lru_cache(maxsize=8192)(escape_text)


def passage(snip: Snip, key_point: str) -> str:
    """The transcript with the sentences that support this key point highlighted in place.

    Those sentences show with one sentence either side; the rest of the
    transcript is there too, folded before, between and after them, so that
    the back holds the whole transcript once. "" when nothing can be matched.
    """
    points = snip.key_points if key_point in snip.key_points else (*snip.key_points, key_point)
    marked = _supporting(points, snip.turns)[points.index(key_point)]
    if not marked:
        return ""
    return _render("passage.html.j2", blocks=_blocks(snip.turns, marked, transcript_allowance(snip)))


@lru_cache(maxsize=256)
def _sentences(turns: tuple[Turn, ...]) -> tuple[tuple[int, str, str], ...]:
    """(turn, sentence, its content words) for every sentence worth matching.

    Cached: every key point of a snip is matched against the same transcript.
    """
    found = []
    for index, turn in enumerate(turns):
        for sentence in _split(turn.text):
            words = _content_words(sentence)
            if words.count(" ") >= 1:
                found.append((index, sentence, words))
    return tuple(found)


@lru_cache(maxsize=4096)
def _split(text: str) -> tuple[str, ...]:
    """The sentences of a turn; one longer than `SENTENCE_CHARS` in pieces that long, cut between words."""
    return tuple(piece for s in _SENTENCES.split(text) if s for piece in _pieces(s))


def _pieces(sentence: str) -> list[str]:
    pieces = []
    while len(sentence) > SENTENCE_CHARS:
        cut = sentence.rfind(" ", 1, SENTENCE_CHARS + 1)
        cut = cut if cut > 0 else SENTENCE_CHARS
        pieces.append(sentence[:cut])
        sentence = sentence[cut:].lstrip()
    return [*pieces, sentence] if sentence else pieces


_WORD = re.compile(r"[\w'-]+")


def _content_words(text: str) -> str:
    """The words of a text that are not function words, lower case, joined by spaces: what the matching compares."""
    return " ".join([w for w in _WORD.findall(text.lower()) if w not in STOPWORDS])  # a list joins faster


@lru_cache(maxsize=64)  # each key point of a snip asks in turn
def _supporting(key_points: tuple[str, ...], turns: tuple[Turn, ...]) -> tuple[frozenset[tuple[int, str]], ...]:
    """For each key point, the (turn, sentence) pairs that support it: up to two.

    A sentence supports the key point it matches best (fuzzy, content words),
    if it matches it well enough: a sentence that says another key point of
    the snip is not highlighted for this one. A key point that no sentence
    matches best gets its best match among the sentences no other key point
    claims, else its best match at all, so that its passage is never empty.
    """
    sentences = _sentences(turns)
    if not sentences:
        return tuple(frozenset() for _ in key_points)
    choices = [words for _, _, words in sentences]
    rankings, best = [], [0.0] * len(choices)
    for key_point in key_points:
        found = process.extract(_content_words(key_point), choices, scorer=fuzz.token_set_ratio, limit=None)
        found.sort(key=lambda match: (-match[1], match[2]))  # best first, then earliest (found in this order)
        rankings.append([(position, score) for _, score, position in found])
        for _, score, position in found:
            best[position] = max(best[position], score)
    return tuple(frozenset(sentences[s][:2] for s in _pick(ranking, best)) for ranking in rankings)


def _pick(ranking: list[tuple[int, float]], best: list[float]) -> list[int]:
    """The sentences one key point highlights, from its ranking and each sentence's best score."""
    own: list[int] = []
    unclaimed = None
    for position, score in ranking:
        if score >= best[position]:
            if score < MATCH_THRESHOLD:
                break  # the rest match less still: nothing more of its own
            own.append(position)
            if len(own) == PASSAGE_SENTENCES:
                break
        elif unclaimed is None and best[position] < MATCH_THRESHOLD:
            unclaimed = position
    if own:
        return own
    if unclaimed is None:  # scan on: the first sentence that no other key point claims
        unclaimed = next((s for s, score in ranking if best[s] < MATCH_THRESHOLD or score >= best[s]), None)
    return [ranking[0][0] if unclaimed is None else unclaimed]


def _blocks(turns: tuple[Turn, ...], marked: frozenset[tuple[int, str]], allowance: int) -> list[Block]:
    """The transcript cut into shown stretches (the marked sentences with one either side) and folded ones: all of
    it, or what is nearest the shown sentences as far as `allowance` goes (a cut shows as `…`)."""
    every = _every(turns)
    hits = [k for k, (t, _, sentence) in enumerate(every) if (t, sentence) in marked]
    shown = {j for k in hits for j in (k - 1, k, k + 1) if 0 <= j < len(every) and every[j][0] == every[k][0]}
    carried = _carried(every, shown, allowance)
    stretch = itertools.accumulate((k != before + 1 for before, k in itertools.pairwise([-1, *carried])), initial=0)
    runs = itertools.groupby(zip(carried, stretch, strict=False), key=lambda item: (item[0] in shown, item[1]))
    carried_set = frozenset(carried)
    return [Block(_shown_turns(turns, every, [k for k, _ in members], marked, carried_set), not visible)
            for (visible, _), members in runs]


@lru_cache(maxsize=64)  # each key point of a snip asks in turn
def _every(turns: tuple[Turn, ...]) -> tuple[tuple[int, int, str], ...]:
    """(turn, its sentence's place in it, the sentence) for every sentence of the transcript, in order."""
    return tuple((t, i, sentence) for t, turn in enumerate(turns) for i, sentence in enumerate(_split(turn.text)))


def _carried(every: tuple[tuple[int, int, str], ...], shown: set[int], allowance: int) -> list[int]:
    """The sentences a note carries, in order: all when they fit in `allowance` characters, else the shown ones
    and those nearest them until the allowance is spent."""
    sizes = [len(sentence) for _, _, sentence in every]
    if sum(sizes) <= allowance:
        return list(range(len(every)))
    carried, spent = set(shown), sum(sizes[k] for k in shown)
    edges = sorted(shown)
    for k in sorted(range(len(every)), key=lambda k: (min(abs(k - e) for e in edges), k)):
        if k not in carried:
            if spent + sizes[k] > allowance:
                break
            carried.add(k)
            spent += sizes[k]
    return sorted(carried)


def _shown_turns(turns: tuple[Turn, ...], every: tuple[tuple[int, int, str], ...], members: list[int],
                 marked: frozenset[tuple[int, str]], carried: frozenset[int]) -> tuple[ShownTurn, ...]:
    """The turns a stretch of sentences covers, cut where the stretch starts or ends mid-turn, or where the
    sentences next to it are not carried."""
    cut_before = members[0] > 0 and members[0] - 1 not in carried
    cut_after = members[-1] + 1 < len(every) and members[-1] + 1 not in carried
    groups = [list(group) for _, group in itertools.groupby((every[k] for k in members), key=lambda item: item[0])]
    shown = []
    for number, sentences in enumerate(groups):
        t = sentences[0][0]
        count = len(_split(turns[t].text))
        first_cut = sentences[0][1] > 0 or (number == 0 and cut_before)
        last_cut = sentences[-1][1] < count - 1 or (number == len(groups) - 1 and cut_after)
        if not first_cut and not last_cut and not any((t, s) in marked for _, _, s in sentences):
            shown.append(ShownTurn(Markup(), (), html=_turns_html(turns)[t]))  # as the Transcript field has it
            continue
        pieces = tuple(Piece(_escaped(s), (t, s) in marked, n > 0) for n, (_, _, s) in enumerate(sentences))
        shown.append(ShownTurn(_escaped(turns[t].speaker), pieces, first_cut, last_cut))
    return tuple(shown)


def clock(total: int | None) -> str:
    """Seconds as `m:ss` or `h:mm:ss`."""
    if total is None:
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def snip_link(episode: Episode, snip: Snip) -> str | None:
    """The snip in Snipd; else the episode, at the snip's start when known."""
    if snip.link:
        return snip.link
    if episode.link and snip.start is not None:
        joiner = "&" if "?" in episode.link else "?"
        return f"{episode.link}{joiner}t={snip.start}"
    return episode.link


@lru_cache(maxsize=64)
def context(label: str, before: str = "") -> str:
    """The Context field: `Podcast · Episode`, and the key point before this one when it leans on it.

    Cached: an episode's notes share one label, and most show nothing before it. The
    parts of the label are joined by a "·" glued to the words either side, so that it
    never starts or ends a line.
    """
    return _render("context.html.j2", parts=label.split(" · "), before=before)


def source(episode: Episode, snip: Snip) -> str:
    """`Podcast · Episode · date`, then `Open in Snipd (5:10–6:22)` on a line of its own.

    Each "·" is glued to the words either side: a separator never starts or ends a line.
    """
    times = ""
    if snip.start is not None:
        times = clock(snip.start) + (f"–{clock(snip.end)}" if snip.end is not None else "")
    return _render(
        "source.html.j2",
        podcast=episode.podcast,
        episode=episode.title,
        date=episode.date or "",
        link=snip_link(episode, snip) or "",
        times=times,
    )
