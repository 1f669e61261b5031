"""What the last build wrote: `<out>/.cards-state.sqlite`.

Anki updates a re-imported note only when its mtime is newer than the one in
the collection, and an update replaces all fields and tags. So a note whose
content did not change must keep the mtime of the build that last changed
it; only changed notes get a newer one. This store remembers, per GUID, the
content hash and that mtime, plus the rendered note (so that a tag package
can be rewritten without parsing every source again), each source file's
digest, and each package's digest (so that unchanged packages are not
rewritten). SQLite makes every build's update one atomic transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cards.model import CardKind, NoteRow, PackageNote

STATE_FILE = ".cards-state.sqlite"
SCHEMA_VERSION = "4"
# Fields are stored as Anki stores them: joined by \x1f, which no field contains
# (control characters are dropped while rendering). Tags never contain spaces.
FIELD_SEPARATOR = "\x1f"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, digest TEXT NOT NULL, episodes TEXT NOT NULL, stat TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS episodes (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, deck TEXT NOT NULL,
    package TEXT NOT NULL, deck_tags TEXT NOT NULL, snips INTEGER NOT NULL, skipped TEXT NOT NULL,
    notes INTEGER NOT NULL, cards INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    guid TEXT PRIMARY KEY, episode TEXT NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL,
    fields TEXT NOT NULL, tags TEXT NOT NULL, deck_tags TEXT NOT NULL, hash TEXT NOT NULL,
    mtime INTEGER NOT NULL, snip_title TEXT NOT NULL, cards INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_by_episode ON notes (episode, position);
CREATE TABLE IF NOT EXISTS packages (path TEXT PRIMARY KEY, digest TEXT NOT NULL);
"""


@dataclass(frozen=True)
class StoredNote:
    """A note as the last build wrote it."""

    row: NoteRow
    hash: str
    mtime: int


@dataclass(frozen=True)
class StoredEpisode:
    key: str
    source: str
    title: str
    deck: str
    package: str
    deck_tags: tuple[str, ...]
    snips: int = 0
    skipped: tuple[tuple[str, int], ...] = ()
    notes: int = 0
    cards: int = 0


class State:
    """The build state of one output folder; changes commit all at once."""

    def __init__(self, out: Path):
        self.path = out / STATE_FILE
        out.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=DELETE")
        if self._schema() not in (None, SCHEMA_VERSION):
            self._drop_all()  # an older layout: start afresh, as if the state were missing
        self.db.executescript(_SCHEMA)
        self.was_new = self.get_meta("schema") is None
        if self.was_new:
            self.set_meta("schema", SCHEMA_VERSION)

    def _schema(self) -> str | None:
        try:
            return self.get_meta("schema")
        except sqlite3.OperationalError:
            return None

    def _drop_all(self) -> None:
        for (table,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            self.db.execute(f'DROP TABLE "{table}"')

    def close(self) -> None:
        self.db.close()

    def commit(self) -> None:
        """Make every change of this build durable, atomically."""
        self.db.commit()

    def get_meta(self, key: str) -> str | None:
        found = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # sources -------------------------------------------------------------
    def all_source_digests(self) -> dict[str, tuple[str, list[str], str]]:
        """Every source's (digest, episode keys, stat key), in one query."""
        rows = self.db.execute("SELECT path, digest, episodes, stat FROM sources")
        return {p: (d, json.loads(e), stat) for p, d, e, stat in rows}

    def set_source(self, path: str, digest: str, episodes: list[str], stat: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)", (path, digest, json.dumps(episodes), stat)
        )

    def set_source_stat(self, path: str, stat: str) -> None:
        self.db.execute("UPDATE sources SET stat = ? WHERE path = ?", (stat, path))

    def forget_source(self, path: str) -> None:
        self.db.execute("DELETE FROM sources WHERE path = ?", (path,))

    # episodes ------------------------------------------------------------
    def episode(self, key: str) -> StoredEpisode | None:
        found = self.db.execute("SELECT * FROM episodes WHERE key = ?", (key,)).fetchone()
        return _episode(found) if found else None

    def all_episodes(self) -> list[StoredEpisode]:
        return [_episode(r) for r in self.db.execute("SELECT * FROM episodes ORDER BY key")]

    def packages_in_use(self) -> dict[str, str]:
        """Package path → episode key, for every episode known."""
        return {package: key for key, package in self.db.execute("SELECT key, package FROM episodes")}

    def set_episode(self, episode: StoredEpisode) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO episodes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (episode.key, episode.source, episode.title, episode.deck, episode.package,
             json.dumps(list(episode.deck_tags)), episode.snips, json.dumps(list(episode.skipped)),
             episode.notes, episode.cards),
        )

    def forget_episode(self, key: str) -> None:
        self.db.execute("DELETE FROM episodes WHERE key = ?", (key,))
        self.db.execute("DELETE FROM notes WHERE episode = ?", (key,))

    # notes ---------------------------------------------------------------
    def notes_of(self, episode_key: str) -> list[StoredNote]:
        """The stored notes of one episode, in their order."""
        rows = self.db.execute(
            "SELECT * FROM notes WHERE episode = ? ORDER BY position", (episode_key,)
        ).fetchall()
        return [_note(r) for r in rows]

    def plan_digests(self, episode_keys: tuple[str, ...], tag: str | None):
        """(guid, hash, mtime) of the notes of many episodes (with a tag), in their order, in one query."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS chosen (ord INTEGER PRIMARY KEY, episode TEXT)")
        self.db.execute("DELETE FROM temp.chosen")
        self.db.executemany("INSERT INTO temp.chosen (episode) VALUES (?)", [(k,) for k in episode_keys])
        return self.db.execute(
            "SELECT n.guid, n.hash, n.mtime FROM temp.chosen c JOIN notes n ON n.episode = c.episode "
            "WHERE (:tag IS NULL OR instr(' ' || n.deck_tags || ' ', ' ' || :tag || ' ') > 0) "
            "ORDER BY c.ord, n.position",
            {"tag": tag},
        ).fetchall()

    def episode_figures(self) -> dict[str, tuple[int, tuple, int, int]]:
        """Episode key → (snips, skipped, notes, cards), for every episode, in one query."""
        rows = self.db.execute("SELECT key, snips, skipped, notes, cards FROM episodes")
        return {key: (snips, tuple(map(tuple, json.loads(skipped))), notes, cards)
                for key, snips, skipped, notes, cards in rows}

    def note_counts(self, episode_key: str) -> tuple[int, int]:
        """(notes, cards) of one episode, without reading the notes."""
        return self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(cards), 0) FROM notes WHERE episode = ?", (episode_key,)
        ).fetchone()

    def replace_notes(self, episode_key: str, notes: list[StoredNote]) -> None:
        """Store an episode's notes as this build made them."""
        self.db.execute("DELETE FROM notes WHERE episode = ?", (episode_key,))
        self.db.executemany(
            "INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (n.row.guid, episode_key, position, n.row.kind.value, FIELD_SEPARATOR.join(n.row.fields),
                 " ".join(n.row.tags), " ".join(n.row.deck_tags), n.hash, n.mtime,
                 n.row.snip_title, n.row.card_count)
                for position, n in enumerate(notes)
            ],
        )

    # packages ------------------------------------------------------------
    def all_package_digests(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, digest FROM packages"))

    def set_package(self, path: str, digest: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO packages VALUES (?, ?)", (path, digest))


def readonly_uri(path: Path) -> str:
    """A SQLite URI that opens the state file read-only (percent-encoded, any path)."""
    return Path(path).resolve().as_uri() + "?mode=ro"


class StateReader:
    """A read-only view of a state file, for package writers in other processes.

    Notes are streamed, so no process ever holds a whole large package.
    """

    def __init__(self, path: Path):
        self.db = sqlite3.connect(readonly_uri(path), uri=True)

    def notes(self, episode_key: str, tag: str | None = None, guids: frozenset | None = None):
        """An episode's notes as packages store them (no splitting and joining again)."""
        rows = self.db.execute(
            "SELECT guid, kind, fields, tags, mtime, deck_tags FROM notes WHERE episode = ? ORDER BY position",
            (episode_key,),
        ).fetchall()
        for guid, kind, fields, tags, mtime, deck_tags in rows:
            if (tag is None or tag in deck_tags.split()) and (guids is None or guid in guids):
                yield PackageNote(guid, CardKind(kind), fields, tags, mtime)

    def close(self) -> None:
        self.db.close()


def _episode(row) -> StoredEpisode:
    key, source, title, deck, package, deck_tags, snips, skipped, notes, cards = row
    return StoredEpisode(
        key, source, title, deck, package, tuple(json.loads(deck_tags)), snips,
        tuple((reason, count) for reason, count in json.loads(skipped)), notes, cards,
    )


def _note(row) -> StoredNote:
    guid, episode, _, kind, fields, tags, deck_tags, digest, mtime, snip_title, cards = row
    note = NoteRow(
        guid, CardKind(kind), tuple(fields.split(FIELD_SEPARATOR)), tuple(tags.split()), episode,
        snip_title, cards, tuple(deck_tags.split()),
    )
    return StoredNote(note, digest, mtime)
