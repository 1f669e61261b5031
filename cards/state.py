"""What the last build wrote: `<out>/.cards-state.sqlite`.

Anki updates a re-imported note only when its mtime is newer than the one in
the collection, and an update replaces all fields and tags. So a note whose
content did not change must keep the mtime of the build that last changed
it; only changed notes get a newer one. This store remembers, per GUID, the
content hash and that mtime, plus the rendered note (so that a tag package
can be rewritten without parsing every source again), each source file's
digest, and each package as it is on disk.

Rendered notes are kept small: the fields a snip's notes share (title,
transcript, source), its tags and title are stored once per snip, and every
text is compressed,
so the state stays smaller than the packages it describes. SQLite puts the
fields together again itself (`register_functions`), so large packages are
still copied out of this file by SQL alone.

Two rules keep the packages true to the sources whatever happens to a build:
a package is recorded only after it is in place (with its size and mtime,
so a damaged file is noticed), and the GUIDs of changed notes stay pending
until a build has written them into `changes.apkg` and completed.

Every table and every SQL statement that touches this file lives here.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from isal import isal_zlib

from cards import __version__
from cards.errors import NewerStateError, StateError
from cards.model import CardKind, NoteRow, PackageNote

STATE_FILE = ".cards-state.sqlite"
SCHEMA_VERSION = "6"
# Fields are joined as Anki joins them: by \x1f, which no field contains
# (control characters are dropped while rendering). Tags never contain spaces.
FIELD_SEPARATOR = "\x1f"
# Both note types end with Title, Passage, Transcript, Source: the snip owns
# the first, third and fourth, which its notes (two per key point) share.
SNIP_FIELDS = (-4, -2, -1)

# A snip's row holds its transcript, a KB or more once compressed: a plain (rowid) table
# keeps that on the row's page, where a WITHOUT ROWID table (schema 5) put everything past
# about 1 KB on an overflow page of its own and left 3 KB of it empty.
_SNIPS_TABLE = """CREATE TABLE IF NOT EXISTS snips (
    episode TEXT NOT NULL, key TEXT NOT NULL, body BLOB NOT NULL, tags TEXT NOT NULL, deck_tags TEXT NOT NULL,
    title TEXT NOT NULL
)"""
_SNIPS_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS snips_by_key ON snips (episode, key)"
# Where each note's new cards go in Anki's new-card queue: Anki's importer keeps the `due`
# a package gives a new card (its position), and shows a deck's new cards by it. So a note
# gets a position once, when it is first stored, after every note stored before it (see
# `NUMBER_NEW_NOTES`); a new snip's cards then follow what already waits in any deck.
# Rows outlive their notes, so a position is never given twice.
_POSITIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS positions (guid TEXT PRIMARY KEY, due INTEGER NOT NULL) WITHOUT ROWID"
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, digest TEXT NOT NULL, episodes TEXT NOT NULL, stat TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS episodes (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, deck TEXT NOT NULL,
    slug TEXT NOT NULL, deck_tags TEXT NOT NULL, snips INTEGER NOT NULL, skipped TEXT NOT NULL,
    notes INTEGER NOT NULL, cards INTEGER NOT NULL, parts TEXT
);
CREATE TABLE IF NOT EXISTS notes (
    guid TEXT PRIMARY KEY, episode TEXT NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL,
    own BLOB NOT NULL, snip TEXT NOT NULL, hash TEXT NOT NULL, mtime INTEGER NOT NULL, cards INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_by_episode ON notes (episode, position);
{_SNIPS_TABLE};
{_SNIPS_INDEX};
CREATE TABLE IF NOT EXISTS packages (path TEXT PRIMARY KEY, digest TEXT NOT NULL, stat TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS pending (guid TEXT PRIMARY KEY);
{_POSITIONS_TABLE};
"""
# Before the record of what `cards sync` delivered moved into each collection, states held
# it here (collection path, GUID, mtime). Never written now, and read only to seed the
# record of a collection that has none (see `State.synced_before`); new states lack it.
_OLD_SYNCED_TABLE = "synced"


@dataclass(frozen=True)
class StoredNote:
    """A note as the last build wrote it (with its fields packed, when they were packed already)."""

    row: NoteRow
    hash: str
    mtime: int
    packed: PackedFields | None = field(default=None, compare=False)


class PackedFields(NamedTuple):
    """A note's fields as this file stores them: its own, packed, and its snip's, by key and packed."""

    own: bytes
    snip_key: str
    snip_body: bytes


class Part(NamedTuple):
    """The notes of one episode that go into one deck: all, or those with one tag."""

    digest: str
    notes: int
    newest: int


class StoredEpisode(NamedTuple):
    """An episode as the last build found it, with the digests of its deck parts.

    `parts` maps "" (the whole episode) and each deck tag to a `Part`, so
    that every package's digest can be planned without reading any note.
    """

    key: str
    source: str
    title: str
    deck: str
    slug: str
    deck_tags: tuple[str, ...]
    snips: int = 0
    skipped: tuple[tuple[str, int], ...] = ()
    notes: int = 0
    cards: int = 0
    parts: dict[str, Part] | None = None


class NoteStamp(NamedTuple):
    """What a build needs of a stored note to stamp its successor: no fields."""

    guid: str
    hash: str
    mtime: int
    snip_title: str
    deck_tags: tuple[str, ...]


class NoteVersion(NamedTuple):
    """Which version of a note the state holds, and where it belongs."""

    episode: str
    mtime: int
    hash: str


class KnownSource(NamedTuple):
    """A source as the last build read it."""

    digest: str
    episodes: tuple[str, ...]
    stat: str


class PendingNote(NamedTuple):
    """A changed note waiting for a completed build's `changes.apkg`."""

    guid: str
    hash: str
    mtime: int


class RecordedPackage(NamedTuple):
    """A package as it was when its write finished."""

    digest: str
    stat: str


class Known(NamedTuple):
    """Everything the planning stages need from the last build, read in one go."""

    sources: dict[str, KnownSource]
    episodes: dict[str, StoredEpisode]
    packages: dict[str, RecordedPackage]
    meta: dict[str, str]


FEW_PENDING = 1000  # pending notes; see `State.pending_notes`


class State:
    """The build state of one output folder; changes commit all at once."""

    def __init__(self, out: Path):
        self.path = out / STATE_FILE
        self.moved_aside: Path | None = None
        self._snips_stored: dict[str, set[str]] = {}  # episode → snips stored by this build
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:
            # Not a database (or damaged): keep it for the curious, start afresh.
            self.moved_aside = self.path.with_name(f"{STATE_FILE}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.path, self.moved_aside)
            self.db = self._open()
        self.was_new = self.meta("schema") is None
        if self.was_new:
            self.set_meta("schema", SCHEMA_VERSION)
        self.set_meta("written_by", __version__)  # so that an older cards can say which version to upgrade to

    def _open(self) -> sqlite3.Connection:
        for path in (self.path, self.path.with_name(f"{STATE_FILE}-journal")):  # SQLite: "unable to open", "I/O"
            if os.path.lexists(path) and not os.path.isfile(path):
                what = "a folder" if os.path.isdir(path) else "no regular file"
                raise StateError(path, f"is {what}, but cards keeps its build state in a file of this name; "
                                       "move it away, or choose another --out folder")
        try:
            db = sqlite3.connect(self.path)
        except sqlite3.OperationalError as error:
            raise StateError(self.path, error) from None
        try:
            _prepare(db, self.path)
        except (sqlite3.Error, NewerStateError) as error:
            db.close()  # a file left open keeps its folder busy (and cannot be moved aside on Windows)
            if isinstance(error, sqlite3.OperationalError):
                raise StateError(self.path, error) from None
            raise
        return db

    def close(self) -> None:
        self.db.close()

    def commit(self) -> None:
        """Make every change so far durable, atomically."""
        try:
            self.db.commit()
        except sqlite3.OperationalError as error:
            self.db.rollback()
            raise StateError(self.path, error) from None

    def compact(self) -> None:
        """Hand the file's free pages back: a build frees some (pending notes, an episode's replaced notes).

        The state sits in the user's synced folder, so its size is theirs to pay.
        """
        try:
            # executescript steps it to the end; `execute` frees one page per step taken
            self.db.executescript("PRAGMA incremental_vacuum;")
        except sqlite3.OperationalError as error:
            raise StateError(self.path, error) from None

    def meta(self, key: str) -> str | None:
        found = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def known(self) -> Known:
        """What the last build recorded: sources, episodes, packages and settings."""
        sources = {
            path: KnownSource(digest, tuple(json.loads(episodes)), stat)
            for path, digest, episodes, stat in self.db.execute("SELECT path, digest, episodes, stat FROM sources")
        }
        episodes = {row[0]: _episode(row) for row in self.db.execute("SELECT * FROM episodes")}
        packages = {path: RecordedPackage(digest, stat)
                    for path, digest, stat in self.db.execute("SELECT path, digest, stat FROM packages")}
        meta = dict(self.db.execute("SELECT key, value FROM meta"))
        return Known(sources, episodes, packages, meta)

    # sources -------------------------------------------------------------
    def set_source(self, path: str, digest: str, episodes: Iterable[str], stat: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)", (path, digest, json.dumps(list(episodes)), stat)
        )

    def set_source_stat(self, path: str, stat: str) -> None:
        self.db.execute("UPDATE sources SET stat = ? WHERE path = ?", (stat, path))

    def forget_source(self, path: str) -> None:
        self.db.execute("DELETE FROM sources WHERE path = ?", (path,))

    # episodes and notes --------------------------------------------------
    def set_episode(self, episode: StoredEpisode) -> None:
        parts = {tag: list(part) for tag, part in (episode.parts or {}).items()}
        self.db.execute(
            "INSERT OR REPLACE INTO episodes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (episode.key, episode.source, episode.title, episode.deck, episode.slug,
             json.dumps(list(episode.deck_tags)), episode.snips, json.dumps(list(episode.skipped)),
             episode.notes, episode.cards, json.dumps(parts)),
        )

    def forget_episode(self, key: str) -> None:
        self.db.execute("DELETE FROM episodes WHERE key = ?", (key,))
        self.forget_notes(key)

    def notes_of(self, episode_key: str) -> list[StoredNote]:
        """The stored notes of one episode, in their order."""
        rows = self.db.execute(
            "SELECT n.guid, n.episode, n.kind, n.own, s.body, s.tags, s.deck_tags, n.hash, n.mtime, s.title, "
            "n.cards FROM notes n JOIN snips s ON s.episode = n.episode AND s.key = n.snip "
            "WHERE n.episode = ? ORDER BY n.position", (episode_key,)
        ).fetchall()
        return [_note(r) for r in rows]

    def note_stamps(self, episode_key: str) -> dict[str, NoteStamp]:
        """GUID → stamp of each stored note of one episode, in their order."""
        rows = self.db.execute(
            "SELECT n.guid, n.hash, n.mtime, s.title, s.deck_tags FROM notes n "
            "JOIN snips s ON s.episode = n.episode AND s.key = n.snip WHERE n.episode = ? ORDER BY n.position",
            (episode_key,),
        )
        return {guid: NoteStamp(guid, digest, mtime, title, tuple(tags.split()))
                for guid, digest, mtime, title, tags in rows}

    def forget_notes(self, episode_key: str) -> None:
        self.db.execute("DELETE FROM notes WHERE episode = ?", (episode_key,))
        self.db.execute("DELETE FROM snips WHERE episode = ?", (episode_key,))
        self._snips_stored.pop(episode_key, None)

    def add_notes(self, episode_key: str, first_position: int, notes: list[StoredNote]) -> None:
        """Store a batch of an episode's notes, as this build made them, from `first_position` on."""
        _insert_notes(self.db, self._snips_stored.setdefault(episode_key, set()), episode_key, first_position, notes)

    # pending changes -----------------------------------------------------
    def add_pending(self, guids: Iterable[str]) -> None:
        """Changed notes that no completed build has offered in `changes.apkg` yet."""
        self.db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(g,) for g in guids])

    def pending_notes(self) -> dict[str, list[PendingNote]]:
        """Pending notes that still exist, by episode, in their order."""
        found: dict[str, list[PendingNote]] = {}
        # A few (a rebuild): look each up and sort them, not walk all notes in order looking
        # for them (7 ms at 32,000 notes). Many (a first build): the walk, which needs no sort.
        (few,) = self.db.execute("SELECT COUNT(*) < ? FROM pending", (FEW_PENDING,)).fetchone()
        for episode, guid, digest, mtime in self.db.execute(
            f"SELECT n.episode, n.guid, n.hash, n.mtime FROM pending p {'CROSS JOIN' if few else 'JOIN'} notes n "
            "ON n.guid = p.guid ORDER BY n.episode, n.position"
        ):
            found.setdefault(episode, []).append(PendingNote(guid, digest, mtime))
        return found

    def clear_pending(self) -> None:
        self.db.execute("DELETE FROM pending")

    def number_new_notes(self) -> None:
        """Give the pending notes that have none a place in Anki's new-card queue, after all others."""
        self.db.execute(NUMBER_NEW_NOTES.format(notes="pending p JOIN notes n ON n.guid = p.guid"))

    # what `cards sync` needs ------------------------------------------------
    def note_versions(self) -> dict[str, NoteVersion]:
        """GUID → episode, mtime and content hash of every stored note."""
        return {guid: NoteVersion(episode, mtime, digest)
                for guid, episode, mtime, digest in self.db.execute("SELECT guid, episode, mtime, hash FROM notes")}

    def synced_before(self, collection: str) -> dict[str, int]:
        """GUID → mtime of each note version an earlier version of cards delivered to a collection."""
        try:
            return dict(self.db.execute(f"SELECT guid, mtime FROM {_OLD_SYNCED_TABLE} WHERE collection = ?",
                                        (collection,)))
        except sqlite3.OperationalError:  # no such table: a state made since
            return {}

    # packages ------------------------------------------------------------
    def set_package(self, path: str, digest: str, stat: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO packages VALUES (?, ?, ?)", (path, digest, stat))

    def forget_package(self, path: str) -> None:
        self.db.execute("DELETE FROM packages WHERE path = ?", (path,))


def _insert_notes(db: sqlite3.Connection, stored: set[str], episode_key: str, first_position: int,
                  notes: list[StoredNote]) -> None:
    """Insert notes, and each of their snips' rows once (`stored`: the snips this episode has already)."""
    rows, snips = [], []
    for position, note in enumerate(notes, start=first_position):
        packed = note.packed or pack_fields(note.row)
        if packed.snip_key not in stored:
            stored.add(packed.snip_key)
            snips.append((episode_key, packed.snip_key, packed.snip_body, " ".join(note.row.tags),
                          " ".join(note.row.deck_tags), note.row.snip_title))
        rows.append((note.row.guid, episode_key, position, note.row.kind.value, packed.own, packed.snip_key,
                     note.hash, note.mtime, note.row.card_count))
    db.executemany("INSERT OR IGNORE INTO snips VALUES (?, ?, ?, ?, ?, ?)", snips)
    db.executemany("INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    """Bring the file to this version's layout (migrating older ones), ready for a build.

    A layout newer than this version's is left exactly as it is: `NewerStateError`.
    """
    schema = _schema(db)
    if schema is not None and schema.isdecimal() and int(schema) > int(SCHEMA_VERSION):
        (written_by,) = db.execute("SELECT value FROM meta WHERE key = 'written_by'").fetchone() or (None,)
        raise NewerStateError(path, written_by, schema)
    db.execute("PRAGMA journal_mode=DELETE")
    # So that `compact` can hand free pages back; it takes effect on a new file (or a VACUUM).
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    had_positions = _has_table(db, "positions")
    if schema == "4":
        _migrate_from_4(db)
    elif schema == "5":
        _migrate_from_5(db)
    elif schema not in (None, SCHEMA_VERSION):
        _drop_all(db)  # an older layout: start afresh, as if the state were missing
    db.executescript(_SCHEMA)
    if not had_positions:  # a state from before positions: its notes, oldest first
        db.execute(NUMBER_NEW_NOTES.format(notes="notes n"))
    db.commit()
    if schema in ("4", "5"):
        db.execute("VACUUM")  # once: hand back the pages the old layout used, and auto-vacuum from now on


def _schema(db: sqlite3.Connection) -> str | None:
    try:
        found = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.OperationalError:
        return None  # no meta table: a new file
    return found[0] if found else None


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _drop_all(db: sqlite3.Connection) -> None:
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        db.execute(f'DROP TABLE "{table}"')


def _migrate_from_4(db: sqlite3.Connection) -> None:
    """Keep a version-4 state's notes and mtimes (users' edits depend on them).

    Notes are stored anew, their snips' fields once per snip; episodes gain
    `parts` (filled in by the next build that reads them) and a slug in place
    of a package name; packages gain the stat of their file, so each is
    checked, and rewritten once, by the next build.
    """
    db.execute("ALTER TABLE notes RENAME TO notes_4")
    db.execute("DROP INDEX IF EXISTS notes_by_episode")
    db.executescript(_SCHEMA)
    for (episode,) in db.execute("SELECT DISTINCT episode FROM notes_4").fetchall():
        notes = [
            StoredNote(NoteRow(guid, CardKind(kind), tuple(fields.split(FIELD_SEPARATOR)), tuple(tags.split()),
                               episode, snip_title, cards, tuple(deck_tags.split())), digest, mtime)
            for guid, kind, fields, tags, deck_tags, digest, mtime, snip_title, cards in db.execute(
                "SELECT guid, kind, fields, tags, deck_tags, hash, mtime, snip_title, cards FROM notes_4 "
                "WHERE episode = ? ORDER BY position", (episode,))
        ]
        _insert_notes(db, set(), episode, 0, notes)
    db.execute("DROP TABLE notes_4")
    db.execute("ALTER TABLE episodes RENAME COLUMN package TO slug")
    db.execute("ALTER TABLE episodes ADD COLUMN parts TEXT")
    db.execute(
        "UPDATE episodes SET slug = substr(slug, length('episodes/') + 1, length(slug) - length('episodes/.apkg')) "
        "WHERE slug LIKE 'episodes/%.apkg'"
    )
    db.execute("ALTER TABLE packages ADD COLUMN stat TEXT NOT NULL DEFAULT ''")
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))


def _migrate_from_5(db: sqlite3.Connection) -> None:
    """Move a version-5 state's snips into a plain table (see `_SNIPS_TABLE`), in one transaction."""
    db.execute("BEGIN")
    db.execute("ALTER TABLE snips RENAME TO snips_5")
    db.execute(_SNIPS_TABLE)
    db.execute(_SNIPS_INDEX)
    db.execute("INSERT INTO snips SELECT episode, key, body, tags, deck_tags, title FROM snips_5")
    db.execute("DROP TABLE snips_5")
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
    db.commit()


def readonly_uri(path: Path) -> str:
    """A SQLite URI that opens the state file read-only (percent-encoded, any path)."""
    return Path(path).resolve().as_uri() + "?mode=ro"


class StateReader:
    """A read-only view of a state file, for package writers in other processes.

    Notes are streamed, so no process ever holds a whole large package.
    """

    def __init__(self, path: Path):
        self.db = sqlite3.connect(readonly_uri(path), uri=True)

    def notes(self, episode_key: str, tag: str | None = None,
              guids: frozenset[str] | None = None) -> Iterator[PackageNote]:
        """An episode's notes as packages store them: fields joined, tags by spaces."""
        rows = self.db.execute(
            "SELECT n.guid, n.kind, n.own, s.body, s.tags, n.mtime, s.deck_tags, q.due FROM notes n "
            "JOIN snips s ON s.episode = n.episode AND s.key = n.snip LEFT JOIN positions q ON q.guid = n.guid "
            "WHERE n.episode = ? ORDER BY n.position",
            (episode_key,),
        ).fetchall()
        for guid, kind, own, snip, tags, mtime, deck_tags, due in rows:
            if (tag is None or tag in deck_tags.split()) and (guids is None or guid in guids):
                yield PackageNote(guid, CardKind(kind), note_fields(own, snip), tags, mtime, due)

    def close(self) -> None:
        self.db.close()


# Copying a package's notes out of the state into its collection, inside SQLite
# (see `cards.package.write_package_from_state`), in one pass for all its decks:
# the state file is attached as `state`; `temp.chosen` lists, in package order,
# each deck's episodes with the deck's position, id and filter (a tag, or the
# GUIDs in `temp.wanted` for a `changes.apkg` deck). `temp.placed` then holds,
# per note, where genanki would number it: a note, then its cards, then the
# next note, across all decks; `due` is the note's place in the new-card queue (its
# position in its own deck for a note that has none).
STAGE_TABLES = """
CREATE TEMP TABLE wanted (guid TEXT PRIMARY KEY);
CREATE TEMP TABLE chosen (ord INTEGER PRIMARY KEY, episode TEXT, deck INTEGER, did INTEGER, tag TEXT,
                          filtered INTEGER);
CREATE TEMP TABLE excluded (ord INTEGER, snip TEXT, PRIMARY KEY (ord, snip)) WITHOUT ROWID;
"""
# The snips of a tag deck's episodes that do not carry its tag, found snip by snip
# (a quarter as many as notes) so that placing needs no snip for each note.
EXCLUDE_SNIPS = """
INSERT INTO temp.excluded
SELECT c.ord, s.key FROM temp.chosen c CROSS JOIN state.snips s ON s.episode = c.episode
WHERE c.tag IS NOT NULL AND instr(' ' || s.deck_tags || ' ', ' ' || c.tag || ' ') = 0
"""
# CROSS JOIN fixes the order (SQLite has no statistics on the temp tables): from the
# chosen episodes to their notes, not every note in the state to its episode.
PLACE_NOTES = """
CREATE TEMP TABLE placed AS
SELECT n.rowid AS r, n.kind, n.cards, n.mtime, c.deck, c.did,
       :start + SUM(1 + n.cards) OVER (ORDER BY c.ord, n.position ROWS UNBOUNDED PRECEDING) - (1 + n.cards)
           AS nid,
       COALESCE(q.due, ROW_NUMBER() OVER (PARTITION BY c.deck ORDER BY c.ord, n.position) - 1) AS due
FROM temp.chosen c CROSS JOIN state.notes n ON n.episode = c.episode LEFT JOIN state.positions q ON q.guid = n.guid
WHERE NOT EXISTS (SELECT 1 FROM temp.excluded x WHERE x.ord = c.ord AND x.snip = n.snip)
  AND (NOT c.filtered OR n.guid IN (SELECT guid FROM temp.wanted))
"""
# Number notes that have no place in the new-card queue yet (`{notes}`: which to look at, as
# `n`): oldest first, then in deck and episode order, so that a first build's cards come
# in the order of their decks and a later build's new notes after every earlier one. The
# highest place so far is looked up only when there is a note to number.
NUMBER_NEW_NOTES = """
INSERT INTO positions (guid, due)
SELECT n.guid, (SELECT COALESCE(MAX(due), 0) FROM positions)
               + ROW_NUMBER() OVER (ORDER BY n.mtime, e.deck, n.episode, n.position)
FROM {notes} JOIN episodes e ON e.key = n.episode
WHERE NOT EXISTS (SELECT 1 FROM positions q WHERE q.guid = n.guid)
"""
# The placed notes as rows of Anki's `notes` table: fields put together once, by the
# function `register_functions` adds to the connection; the sort field is the first
# of them. OFFSET 0 keeps SQLite from folding the inner query into the outer one,
# which would put each note's fields together twice.
PLACED_NOTE_ROWS = """
SELECT nid, guid, mid, mtime, -1, tags, flds, substr(flds, 1, instr(flds, char(31)) - 1), 0, 0, ''
FROM (SELECT p.nid, n.guid, CASE n.kind WHEN 'cloze' THEN :cloze ELSE :qa END AS mid, n.mtime,
             ' ' || s.tags || ' ' AS tags, note_fields(n.own, s.body) AS flds
      FROM temp.placed p JOIN state.notes n ON n.rowid = p.r
      JOIN state.snips s ON s.episode = n.episode AND s.key = n.snip
      LIMIT -1 OFFSET 0)
"""
# Each kind of note placed, with the last deck (by position) that holds one.
PLACED_KINDS = "SELECT kind, MAX(deck) FROM temp.placed GROUP BY kind"


def split_fields(row: NoteRow) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """(the note's own fields, its snip's key, the snip's fields): what is stored where.

    The key covers all that the snip's row holds (fields, tags, title).
    """
    fields = row.fields
    shared = tuple(fields[i] for i in SNIP_FIELDS)
    own = tuple(field for i, field in enumerate(fields) if i - len(fields) not in SNIP_FIELDS)
    return own, _snip_key(shared, row.tags, row.deck_tags, row.snip_title), shared


def pack_fields(row: NoteRow) -> PackedFields:
    """What `add_notes` stores of a note's fields (done where the note is made, in a worker).

    A note's own fields are compressed against its snip's text as a preset
    dictionary: the passage is a piece of the transcript, and so costs next
    to nothing (a quarter of the size, on the real note).
    """
    own, key, shared = split_fields(row)
    snip_text = _snip_text(shared)
    return PackedFields(_compress(_join(own), snip_text), key, _compress_snip(snip_text))


# Cached: a snip's notes come one after another and share its fields, the very same
# strings, whose hashes Python keeps; so only a snip's first note pays for hashing,
# joining and compressing its transcript.
@lru_cache(maxsize=16)
def _snip_key(shared: tuple[str, ...], tags: tuple[str, ...], deck_tags: tuple[str, ...], title: str) -> str:
    everything = (*shared, " ".join(tags), " ".join(deck_tags), title)
    return hashlib.blake2b("\x1e".join(everything).encode(), digest_size=8).hexdigest()


def _join(fields: tuple[str, ...]) -> bytes:
    return FIELD_SEPARATOR.join(fields).encode()


@lru_cache(maxsize=16)
def _snip_text(shared: tuple[str, ...]) -> bytes:
    return _join(shared)


@lru_cache(maxsize=16)
def _compress_snip(text: bytes) -> bytes:
    return _compress(text)


def _compress(text: bytes, dictionary: bytes = b"") -> bytes:
    """zlib's format, by ISA-L (twice as fast as zlib; either reads the other's), fast level: the build waits.

    With a `dictionary` the stream says so in its header (FDICT), which is how
    fields stored before there was one still read back.
    """
    if not dictionary:
        return isal_zlib.compress(text, 1)
    deflate = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 15, 8, 0, zdict=dictionary)
    return deflate.compress(text) + deflate.flush()


def note_fields(own: bytes, snip: bytes) -> str:
    """A note's fields as Anki stores them (joined by \x1f), from its stored parts."""
    fields = _own_fields(own, snip)
    title, transcript, source = _snip_fields(snip)[1]
    return FIELD_SEPARATOR.join((*fields[:-1], title, fields[-1], transcript, source))


def register_functions(db: sqlite3.Connection) -> None:
    """Let SQL on `db` put notes' fields together: `note_fields(own, snip)`."""
    db.create_function("note_fields", 2, note_fields, deterministic=True)


_FDICT = 0x20  # in a zlib stream's second byte: compressed against a preset dictionary


@lru_cache(maxsize=16)
def _snip_fields(snip: bytes) -> tuple[bytes, tuple[str, ...]]:
    """A snip's text (its notes' dictionary) and its fields. Cached: a snip's notes come together."""
    text = isal_zlib.decompress(snip)
    return text, tuple(text.decode().split(FIELD_SEPARATOR))


def _own_fields(own: bytes, snip: bytes) -> tuple[str, ...]:
    """A note's own fields."""
    if own[1] & _FDICT:
        inflate = isal_zlib.decompressobj(zdict=_snip_fields(snip)[0])
        text = inflate.decompress(own) + inflate.flush()
    else:
        text = isal_zlib.decompress(own)  # stored before own fields were compressed against their snip
    return tuple(text.decode().split(FIELD_SEPARATOR))


def _episode(row) -> StoredEpisode:
    key, source, title, deck, slug, deck_tags, snips, skipped, notes, cards, parts = row
    return StoredEpisode(
        key, source, title, deck, slug, tuple(json.loads(deck_tags)), snips,
        tuple((reason, count) for reason, count in json.loads(skipped)), notes, cards,
        {tag: Part(*part) for tag, part in json.loads(parts).items()} if parts else None,
    )


def _note(row) -> StoredNote:
    guid, episode, kind, own, snip, tags, deck_tags, digest, mtime, snip_title, cards = row
    note = NoteRow(
        guid, CardKind(kind), tuple(note_fields(own, snip).split(FIELD_SEPARATOR)), tuple(tags.split()), episode,
        snip_title, cards, tuple(deck_tags.split()),
    )
    return StoredNote(note, digest, mtime)
