"""Card content → field HTML, through Jinja templates in `cards/templates/`.

Everything that comes from a note is escaped on the way out, and escaped for
Anki too: braces cannot open a cloze or a template tag, `::` cannot split a
deletion into answer and hint, and `[sound:…]` or `\\(…\\)` stay text.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

import jinja2
from markupsafe import Markup, escape
from rapidfuzz import fuzz, process

from cards.cardmaker.types import CardPlan
from cards.cardmaker.words import STOPWORDS
from cards.model import Episode, Snip, Turn
from cards.parse.text import CONTROL

_SENTENCES = re.compile(r"(?<=[.!?…])\s+")
_ANKI_SPECIAL = str.maketrans({"{": "&#123;", "}": "&#125;", "[": "&#91;", "]": "&#93;", "\\": "&#92;"})
PASSAGE_SENTENCES = 2
MATCH_THRESHOLD = 45.0


def escape_text(value: str) -> Markup:
    """HTML-escape text for a text node, and neutralise Anki's own syntax.

    Quotes need no escaping outside attributes, and leaving them alone keeps
    `&#39;` out of what the cards show.
    """
    text = str(escape(CONTROL.sub(" ", value)))
    if "&#" in text:
        text = text.replace("&#39;", "'").replace("&#34;", '"')
    if _has_anki_special(text):  # rare: checking first spares most texts a slow translate
        text = text.translate(_ANKI_SPECIAL)
    return Markup(text.replace("::", ":&#58;"))


def _has_anki_special(text: str) -> bool:
    return "{" in text or "}" in text or "[" in text or "]" in text or "\\" in text


def _finalize(value):
    if isinstance(value, Markup):
        return value
    return escape_text("" if value is None else str(value))


def _attr(value: str) -> Markup:
    """Full escaping for an attribute value (quotes included)."""
    return Markup(str(escape(CONTROL.sub("", value))).translate(_ANKI_SPECIAL))


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
    # Only what the templates use: Jinja copies every global into each render's context.
    env.globals.clear()
    env.globals["cloze_open"] = lambda number: Markup(f"{{{{c{int(number)}::")
    env.globals["cloze_close"] = lambda: Markup("}}")
    return env


def _render(name: str, **context) -> str:
    return environment().get_template(name).render(**context).strip()


class Segment(NamedTuple):
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
    return str(escape_text(value))


class Piece(NamedTuple):
    text: str
    marked: bool = False


class ShownTurn(NamedTuple):
    speaker: str
    pieces: tuple[Piece, ...]
    cut_before: bool = False
    cut_after: bool = False


def transcript(snip: Snip) -> str:
    """Every turn of the snip, speakers in bold."""
    shown = [ShownTurn(t.speaker, (Piece(t.text),)) for t in snip.turns]
    return _render("turns.html.j2", turns=shown)


def passage(snip: Snip, key_point: str) -> str:
    """The turns that support the key point, matching sentences highlighted."""
    marked = _best_sentences(key_point, _sentences(snip.turns))
    if not marked:
        return ""
    shown = [_window(turn, marked.get(i, set())) for i, turn in enumerate(snip.turns) if i in marked]
    return _render("turns.html.j2", turns=shown)


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
    return tuple(s for s in _SENTENCES.split(text) if s)


_WORD = re.compile(r"[\w'-]+")


def _content_words(text: str) -> str:
    return " ".join(w for w in _WORD.findall(text.lower()) if w not in STOPWORDS)


def _best_sentences(key_point: str, sentences: tuple[tuple[int, str, str], ...]) -> dict[int, set[str]]:
    """Up to two sentences that match the key point best (fuzzy, content words)."""
    if not sentences:
        return {}
    choices = [words for _, _, words in sentences]
    best = process.extract(_content_words(key_point), choices, scorer=fuzz.token_set_ratio,
                           limit=PASSAGE_SENTENCES)
    kept = [match for match in best if match[1] >= MATCH_THRESHOLD] or best[:1]
    chosen: dict[int, set[str]] = {}
    for _, _, position in kept:
        turn_index, sentence, _ = sentences[position]
        chosen.setdefault(turn_index, set()).add(sentence)
    return chosen


def _window(turn: Turn, marked: set[str]) -> ShownTurn:
    """The marked sentences with one sentence of context either side."""
    parts = _split(turn.text)
    hits = [i for i, s in enumerate(parts) if s in marked]
    first, last = max(0, hits[0] - 1), min(len(parts) - 1, hits[-1] + 1)
    pieces = tuple(Piece(s, s in marked) for s in parts[first:last + 1])
    return ShownTurn(turn.speaker, pieces, first > 0, last < len(parts) - 1)


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

    Cached: an episode's notes share one label, and most show nothing before it.
    """
    return _render("context.html.j2", label=label, before=before)


def source(episode: Episode, snip: Snip) -> str:
    """`Podcast · Episode · date · Open in Snipd (5:10–6:22)`."""
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
