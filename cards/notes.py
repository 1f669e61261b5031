"""Episode → Anki notes: GUIDs, fields, tags and decks for every key point."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from cards.model import CardKind, Episode, NoteRow, Snip

if TYPE_CHECKING:
    from cards.cardmaker.types import CardPlan
    from cards.cardmaker.writer import Writer

SKIP_PLACEHOLDER = "placeholder snip (1min Snip / Untitled)"
SKIP_NO_KEY_POINTS = "snip without key points"
SKIP_NO_TARGET = "key point with nothing worth asking (no cloze)"
SKIP_NO_QUESTION = "key point with no good question (no Q&A)"


class EpisodeNotes(NamedTuple):
    """The notes one episode makes, and what it skipped and why.

    `rows` may be made lazily, one snip at a time, so that an episode of tens
    of thousands of snips never holds all its notes at once: `skipped` is
    complete once `rows` has been consumed.
    """

    episode: Episode
    rows: Iterable[NoteRow]
    skipped: Counter


def note_guid(episode: Episode, snip: Snip, position: int, kind: CardKind) -> str:
    """Stable identity: episode, snip, key point position and kind; never card text."""
    import genanki  # loaded by the first note made, not by a build that makes none

    return genanki.guid_for(episode.key, snip.key, position, kind.value)


# What an Anki tag cannot hold (Anki splits tags at spaces and drops control characters),
# and what Anki itself drops from a tag (`"`, rslib's normalize_tag_name); `<` and `>`
# because a template's {{Tags}} puts tags into the card's HTML as they are. Everything
# else, `&` and any script included, stays as written.
_TAG_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_TAG_DROPPED = re.compile(r"[\"<>]")


@lru_cache(maxsize=4096)  # every snip of an episode cleans the episode's tags again
def clean_tag(tag: str) -> str:
    """An Anki tag, as readable as Anki allows: `Ink & Type` → `Ink_&_Type`.

    Spaces become `_`; no empty hierarchy levels (Anki would call them
    "blank"); composed Unicode (NFC), as Anki stores tags.
    """
    tag = _TAG_SPACE.sub("_", unicodedata.normalize("NFC", tag).strip())
    tag = _TAG_DROPPED.sub("", tag).lstrip("#")
    tag = re.sub(r":{3,}", "::", tag)
    return "::".join(part for part in tag.split("::") if part)


def clean_deck_part(name: str) -> str:
    """A deck name level: `::` would nest decks, control characters break them."""
    name = re.sub(r"[\x00-\x1f\x7f]", " ", name).replace('"', "").replace("::", ":")
    return re.sub(r"\s+", " ", name).strip() or "Untitled"


def episode_deck(episode: Episode) -> str:
    """`Podcasts::<Podcast>::<Episode title>`."""
    return f"Podcasts::{clean_deck_part(episode.podcast)}::{clean_deck_part(episode.title)}"


def tag_deck(tag: str) -> str:
    """`Tags::<tag>`; a hierarchical tag makes nested decks."""
    return "Tags::" + "::".join(clean_deck_part(part) for part in tag.split("::"))


def episode_tags(episode: Episode) -> list[str]:
    """The episode's own tags, cleaned: these make tag decks."""
    return [t for t in dict.fromkeys(clean_tag(tag) for tag in episode.tags) if t]


def _note_tags(episode: Episode, snip: Snip) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(Anki tags of the note, tags whose decks hold it)."""
    deck_tags = [*episode_tags(episode), *(clean_tag(t) for t in snip.tags)]
    deck_tags = [t for t in dict.fromkeys(deck_tags) if t]
    tags = [
        *deck_tags,
        clean_tag(f"podcast::{episode.podcast}"),
        clean_tag(f"episode::{episode.slug}"),
    ]
    if snip.starred:
        tags.append("starred")
    return tuple(dict.fromkeys(t for t in tags if t)), tuple(deck_tags)


def episode_notes(episode: Episode, lazy: bool = False, writer: Writer | None = None) -> EpisodeNotes:
    """Make the cloze and Q&A notes of every key point of every snip (as they are asked for, when lazy).

    `writer` writes the cards (the rules when None).
    """
    skipped: Counter = Counter()
    rows = _episode_rows(episode, skipped, writer)
    return EpisodeNotes(episode, rows if lazy else list(rows), skipped)


def _episode_rows(episode: Episode, skipped: Counter, writer: Writer | None) -> Iterator[NoteRow]:
    topic = episode_topic(episode)
    for snip in episode.snips:
        if snip.is_placeholder:
            skipped[SKIP_PLACEHOLDER] += 1
        elif not snip.key_points:
            skipped[SKIP_NO_KEY_POINTS] += 1
        else:
            yield from _snip_notes(episode, snip, skipped, topic, writer)


def writes_cards(snip: Snip) -> bool:
    """Whether a snip's key points become notes (a placeholder snip's, or a snip without any, do not)."""
    return not snip.is_placeholder and bool(snip.key_points)


def episode_topic(episode: Episode) -> frozenset[str]:
    """The words the episode's key points keep coming back to: its subject, never a card's answer."""
    from cards.cardmaker.targets import topic_words  # see snip_plans

    return topic_words([key_point for snip in episode.snips for key_point in snip.key_points])


def snip_plans(episode: Episode, snip: Snip, topic: frozenset[str],
               writer: Writer | None = None) -> Iterator[tuple[int, CardPlan]]:
    """Each key point's position and card plan, made with what the build knows of its episode and snip.

    The one place a build calls a card writer (`writer`; the rules when None).
    `benchmarks/quality.py` plans its labelled key points through it too.
    """
    if writer is None:
        from cards.cardmaker.writer import RULES  # see `cards.cardmaker.writer.RulesWriter`

        writer = RULES
    yield from enumerate(writer.plans(episode, snip, proper_names(episode, snip), topic))


_MID_SENTENCE_NAME = re.compile(r"(?<=[a-z,;] )([A-Z][\w'’-]*)")


def proper_names(episode: Episode, snip: Snip) -> frozenset[str]:
    """Words the snip writes with a capital mid-sentence, and its speakers' names.

    Questions keep their capitals (`does China …`, not `does china …`).
    Titles are left out: written in Title Case, they capitalise every word
    (`How the Semiconductor Industry Actually Works`).
    """
    texts = [t.text for t in snip.turns] + list(snip.key_points)
    names = {m.removesuffix("'s").removesuffix("’s") for text in texts for m in _MID_SENTENCE_NAME.findall(text)}
    names.update(word for turn in snip.turns for word in turn.speaker.split())
    return frozenset(names)


def _snip_notes(episode: Episode, snip: Snip, skipped: Counter, topic: frozenset[str],
                writer: Writer | None) -> Iterator[NoteRow]:
    from cards import render  # Jinja: loaded by the first card made (see snip_plans)

    tags, deck_tags = _note_tags(episode, snip)
    shared = _SharedFields(
        title=render.text(snip.title),
        transcript=render.transcript(snip),
        source=render.source(episode, snip),
    )
    def row(position: int, kind: CardKind, fields: tuple[str, ...], cards: int) -> NoteRow:
        return NoteRow(note_guid(episode, snip, position, kind), kind, fields, tags, episode.key,
                       snip.title, cards, deck_tags)

    for position, plan in snip_plans(episode, snip, topic, writer):
        key_point = plan.key_point
        passage = render.passage(snip, key_point)
        if plan.deletions:
            cloze = (render.cloze_text(plan), render.context(plan.cloze_context, plan.before), shared.title, passage,
                     shared.transcript, shared.source)
            yield row(position, CardKind.CLOZE, cloze, len(plan.deletions))
        else:
            skipped[SKIP_NO_TARGET] += 1
        if plan.question:
            qa = (render.text(plan.question.text), render.text(plan.question.answer), render.text(key_point),
                  render.context(plan.qa_context, plan.before), shared.title, passage, shared.transcript,
                  shared.source)
            yield row(position, CardKind.QA, qa, 1)
        else:
            skipped[SKIP_NO_QUESTION] += 1


class _SharedFields(NamedTuple):
    title: str
    transcript: str
    source: str
