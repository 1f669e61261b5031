"""The frozen data model every stage passes along.

Parsing makes `Episode`s (with their `Snip`s and `Turn`s); card making turns
each key point into `NoteRow`s that the packager writes.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import NamedTuple


class Shape(enum.Enum):
    """The three shapes Snipd exports come in (see FORMATS.md)."""

    QUOTE_POST = "quote post"
    PLUGIN = "Obsidian plugin"
    LEGACY = "single-file export"


class CardKind(enum.Enum):
    """The two kinds of note every key point becomes."""

    CLOZE = "cloze"
    QA = "qa"


class Level(enum.Enum):
    """How bad a problem with an input file is."""

    WARNING = "warning"
    ERROR = "error"


PLACEHOLDER_TITLES = frozenset({"1min snip", "untitled", ""})


class Turn(NamedTuple):
    """One speaker's stretch of a snip's transcript."""

    speaker: str
    text: str


class Snip(NamedTuple):
    """One highlight the listener saved, with what Snipd wrote for it."""

    key: str
    title: str
    key_points: tuple[str, ...]
    turns: tuple[Turn, ...] = ()
    line: int = 0
    start: int | None = None
    end: int | None = None
    link: str | None = None
    starred: bool = False
    tags: tuple[str, ...] = ()

    @property
    def is_placeholder(self) -> bool:
        """Snipd's stand-in for a snip it never summarised."""
        return self.title.strip().lower() in PLACEHOLDER_TITLES and not self.key_points


class Episode(NamedTuple):
    """One podcast episode and the snips taken from it."""

    key: str
    slug: str
    podcast: str
    title: str
    source: Path
    shape: Shape
    snips: tuple[Snip, ...] = ()
    date: str | None = None
    link: str | None = None
    podcast_link: str | None = None
    tags: tuple[str, ...] = ()


class Problem(NamedTuple):
    """Something wrong with an input file, said in one line for the user."""

    path: Path
    message: str
    line: int | None = None
    level: Level = Level.WARNING

    def __str__(self) -> str:
        path = one_line(str(self.path))
        where = f"{path}:{self.line}" if self.line else path
        return f"{where}: {self.message}"


# C0, DEL and C1 (`\\x9b` is an escape sequence's start to some terminals), the line and paragraph
# separators, and the bidirectional embeddings, overrides and isolates (they turn the rest of a line around).
_ESCAPED_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))} | {
    code: f"\\u{code:04x}" for code in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def one_line(text: str) -> str:
    """`text` with its control characters shown escaped (`\\x0a`): a file name may hold a line break or a
    terminal's escape sequence, and a message that names it stays one line that the terminal shows, not obeys."""
    return text.translate(_ESCAPED_CONTROLS)


class ParsedFile(NamedTuple):
    """What one input file gave: its episodes and what was wrong with it."""

    path: Path
    episodes: tuple[Episode, ...] = ()
    problems: tuple[Problem, ...] = ()


class NoteRow(NamedTuple):
    """One Anki note, ready to be written into a package."""

    guid: str
    kind: CardKind
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    episode_key: str
    snip_title: str
    card_count: int
    deck_tags: tuple[str, ...] = ()


class PackageNote(NamedTuple):
    """A note as a package stores it: fields joined by \\x1f, tags by spaces.

    A plain tuple: large packages stream hundreds of thousands of these.
    `fields` may be their UTF-8 bytes, as the build state holds them: a
    package stores those as they are. `due` is the place of the note's new
    cards in Anki's queue (see `cards.state.NUMBER_NEW_NOTES`); None places
    them in the order of their deck.
    """

    guid: str
    kind: CardKind
    fields: str | bytes
    tags: str
    mtime: int
    due: int | None = None
