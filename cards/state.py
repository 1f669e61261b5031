"""What the builds into one output folder made: `<out>/.cards-state.sqlite`.

Anki updates a re-imported note only when its mtime is newer than the one in
the collection, and an update replaces all fields and tags. So a note whose
content did not change must keep the mtime of the build that last changed
it; only changed notes get a newer one (`stamp_note`). This store remembers,
per GUID, the content hash and that mtime, plus the rendered note (so that a
tag package can be rewritten without parsing every source again), each
source file's digest and the episodes it holds, each episode with the
sources (and their digests) it was made from, and each package as it is on
disk.

Rendered notes are kept small: the fields a snip's notes share (title,
transcript, source), its tags and title are stored once per snip, and every
text is compressed,
so the state stays smaller than the packages it describes. SQLite puts the
fields together again itself (`register_functions`), so large packages are
still copied out of this file by SQL alone.

A build opens the state as a context manager: it reads what is known once
(`known`), hands everything it made to `apply` (stored in one transaction,
committed when the block ends), and, once its packages are in place, records
them in a second, short one (`record_packages`): a package is recorded only
after it is in place (with its size and mtime, so a damaged file is
noticed). The GUIDs of notes that are new or changed are *pending* from the
build that made them until the user deletes `changes.apkg`, which holds them
(the first build into a folder leaves its notes out: they are all in its
episode packages).

A build that asks a language model for cards (`cards.ask`) reads the
answers kept for that model with everything else (`known`), and keeps the
new ones with everything else (`Bookkeeping.answers`, in `apply`): Ctrl-C
stops the asking, not the build, so what the model wrote reaches this one
write.

Every table and every SQL statement that touches this file lives here.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, NamedTuple

from isal import isal_zlib

from cards import __version__
from cards.errors import NewerStateError, StateError
from cards.model import CardKind, NoteRow, PackageNote

STATE_FILE = ".cards-state.sqlite"
DELIVERED = "delivered"  # in meta: a package of this state has reached the output folder
# In meta: the mtimes builds gave new and changed notes, newest last, space-separated (see `stamped_times`).
STAMPED = "stamped"
# In meta: "1" when the state was made by the first build into its folder, by a cards that keeps the versions a
# build replaces (`_VERSIONS_TABLE`): every version of every note it made is then known (see `delivery.Memory`).
VERSIONS_COMPLETE = "versions_complete"
STAMPED_KEPT = 4096  # years of daily builds; an older one's notes count as edited in Anki (see `delivery`)
FIELD_HASH_BYTES = 3  # a user's edit is mistaken for cards' text once in 16 million
SCHEMA_VERSION = "7"
# Fields are joined as Anki joins them: by \x1f, which no field contains
# (control characters are dropped while rendering). Tags never contain spaces.
FIELD_SEPARATOR = "\x1f"
# Both note types end with Title, Passage, Transcript, Source: the snip owns
# the first, third and fourth, which its notes (two per key point) share.
SNIP_FIELDS = (-4, -2, -1)
BATCH = 1000  # notes stored at a time: a huge episode never holds all of them

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
# `episodes.sources`: the sources an episode was made from, as JSON [[path, digest], ...] in path order.
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, digest TEXT NOT NULL, episodes TEXT NOT NULL, stat TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS episodes (
    key TEXT PRIMARY KEY, sources TEXT NOT NULL, title TEXT NOT NULL, deck TEXT NOT NULL,
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
CREATE TABLE IF NOT EXISTS pending (guid TEXT PRIMARY KEY) WITHOUT ROWID;
{_POSITIONS_TABLE};
"""
# What a language model answered for each key point (`--writer llm`), by `cards.cardmaker.llm.cache_key`
# (the key point, its passage, the model and the prompt), as `Reply.to_json` keeps it. Made by the first
# build that asks a model, so the schema stays as it was: older versions of cards ignore the table.
_ANSWERS_TABLE = (
    "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, model TEXT NOT NULL, reply TEXT NOT NULL) "
    "WITHOUT ROWID"
)
# Before the record of what `cards sync` delivered moved into each collection, states held
# it here (collection path, GUID, mtime). Read only to seed the record of a collection that
# has none (see `State.synced_before`), and a collection's rows are deleted once its own
# record is written (`State.forget_synced`); new states lack the table.
_OLD_SYNCED_TABLE = "synced"
# While `apply` runs: the stamps the notes of each episode it replaces had before this
# build (so an episode stored twice in one build is still stamped against them), and
# which episodes it stored (their new and changed notes become pending at the end).
_APPLY_TABLES = (
    "CREATE TEMP TABLE IF NOT EXISTS before (episode TEXT, guid TEXT, position INTEGER, hash TEXT, mtime INTEGER, "
    "title TEXT, own BLOB, snip TEXT, PRIMARY KEY (episode, guid)) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS before_snips (episode TEXT, key TEXT, body BLOB, PRIMARY KEY (episode, key))",
    "CREATE TEMP TABLE IF NOT EXISTS stored (episode TEXT PRIMARY KEY) WITHOUT ROWID",
    "DELETE FROM temp.before",
    "DELETE FROM temp.before_snips",
    "DELETE FROM temp.stored",
)
# The notes an episode held before this build, with their fields (a replaced one's go into `versions`).
_KEEP_BEFORE = (
    "INSERT OR IGNORE INTO temp.before SELECT n.episode, n.guid, n.position, n.hash, n.mtime, s.title, n.own, n.snip "
    "FROM notes n JOIN snips s ON s.episode = n.episode AND s.key = n.snip WHERE n.episode = ?",
    "INSERT OR IGNORE INTO temp.before_snips SELECT episode, key, body FROM snips WHERE episode = ?",
)
_REPLACED_FIELDS = (
    "SELECT b.own, s.body FROM temp.before b JOIN temp.before_snips s ON s.episode = b.episode AND s.key = b.snip "
    "WHERE b.episode = ? AND b.guid = ?"
)
# Every version of a note that a build replaced with another, as its fields' hashes (`field_hashes`): how `cards
# sync` tells cards' earlier text from a user's edit in a collection that has no record of what cards delivered
# (notes imported by hand). Made by the first build that replaces a note; older versions of cards ignore it.
_VERSIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS versions (guid TEXT NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (guid, fields)) "
    "WITHOUT ROWID"
)
_NEW_PENDING = """
INSERT OR IGNORE INTO pending
SELECT n.guid FROM temp.stored t CROSS JOIN notes n ON n.episode = t.episode
WHERE NOT EXISTS (SELECT 1 FROM temp.before b WHERE b.episode = n.episode AND b.guid = n.guid AND b.hash = n.hash)
"""


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


class SourceVersion(NamedTuple):
    """One source as an episode was made from it: its path (as the state names it) and digest."""

    path: str
    digest: str


class StoredEpisode(NamedTuple):
    """An episode as the state holds it, with the digests of its deck parts.

    `sources` are the files it was made from, in path order, each with the
    digest it had; `parts` maps "" (the whole episode) and each deck tag to a
    `Part`, so that every package's digest can be planned without reading
    any note.
    """

    key: str
    sources: tuple[SourceVersion, ...]
    title: str
    deck: str
    slug: str
    deck_tags: tuple[str, ...]
    snips: int
    skipped: tuple[tuple[str, int], ...]
    notes: int
    cards: int
    parts: dict[str, Part]


class NoteStamp(NamedTuple):
    """What a build needs of a stored note to stamp its successor: no fields."""

    guid: str
    hash: str
    mtime: int
    snip_title: str


class NoteVersion(NamedTuple):
    """Which version of a note the state holds, and where it belongs."""

    episode: str
    mtime: int
    hash: str


class KnownSource(NamedTuple):
    """A source as the last build that read it found it: every episode it holds."""

    digest: str
    episodes: tuple[str, ...]
    stat: str


class PendingNote(NamedTuple):
    """A new or changed note, held by `changes.apkg` until the user deletes it."""

    guid: str
    hash: str
    mtime: int


class RecordedPackage(NamedTuple):
    """A package as it was when its write finished."""

    digest: str
    stat: str


class Known(NamedTuple):
    """Everything the planning stages need from earlier builds, read in one go."""

    sources: dict[str, KnownSource]
    episodes: dict[str, StoredEpisode]
    packages: dict[str, RecordedPackage]
    meta: dict[str, str]
    answers: Mapping[str, str] = MappingProxyType({})  # a language model's, by cache key (`known(model)`)


class KeptAnswers(NamedTuple):
    """A language model's new answers for this build's key points, to keep: `Reply.to_json` by cache key."""

    model: str
    replies: Mapping[str, str]


# --- what a build hands to `apply` -------------------------------------------------

class PreparedRow(NamedTuple):
    """A note as made (in a worker), with what storing it needs: its hash and its packed fields."""

    row: NoteRow
    hash: str
    packed: PackedFields


class EpisodeSummary(NamedTuple):
    """What storing an episode needs of it (not its snips: a worker sends this back)."""

    key: str
    title: str
    deck: str
    slug: str
    snips: int


class PreparedEpisode(NamedTuple):
    """An episode's notes, prepared; `skipped` is complete once `rows` has been consumed."""

    episode: EpisodeSummary
    rows: Iterable[PreparedRow]
    skipped: Counter


class StoreEpisode(NamedTuple):
    """Store an episode as made from these sources, in place of what the state held of it."""

    made: PreparedEpisode
    sources: tuple[SourceVersion, ...]


class Bookkeeping(NamedTuple):
    """Everything else a build changes, applied after the episodes it stored.

    `gone_episodes` are no longer in any source (their snips are reported);
    `dropped_episodes` were made from sources outside the build that no
    longer exist; `clear_pending` starts a new `changes.apkg`, and
    `offer_changes` adds the notes this build made new or changed to it.
    """

    meta: dict[str, str]
    sources: dict[str, KnownSource]
    forget_sources: tuple[str, ...] = ()
    gone_episodes: tuple[str, ...] = ()
    dropped_episodes: tuple[str, ...] = ()
    clear_pending: bool = False
    offer_changes: bool = True
    forget_packages: tuple[str, ...] = ()
    answers: KeptAnswers | None = None


class NoteStatus(enum.Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class EpisodeStored(NamedTuple):
    """An episode as `apply` stored it: each note's status, and the snips whose notes are gone."""

    episode: StoredEpisode
    statuses: Counter[NoteStatus]
    gone: tuple[str, ...]


class Applied(NamedTuple):
    """What `apply` did, and the pending notes (by episode, in order) that `changes.apkg` holds."""

    stored: dict[str, EpisodeStored]
    gone: dict[str, tuple[str, ...]]
    pending: dict[str, list[PendingNote]]


# --- stamping and part digests -------------------------------------------------------

def field_hashes(fields: Sequence[str]) -> str:
    """Each field's short hash, packed: enough to tell whether the user changed it."""
    packed = b"".join(hashlib.blake2b(field.encode(), digest_size=FIELD_HASH_BYTES).digest() for field in fields)
    return base64.b64encode(packed).decode()


def split_hashes(hashes: str) -> list[str]:
    width = FIELD_HASH_BYTES * 4 // 3
    return [hashes[i:i + width] for i in range(0, len(hashes), width)]


def stamped_times(meta: Mapping[str, str]) -> frozenset[int]:
    """The mtimes builds gave new and changed notes, as the state's meta records them (none before this record
    existed; a damaged value reads as none)."""
    try:
        return frozenset(int(value) for value in meta.get(STAMPED, "").split())
    except ValueError:
        return frozenset()


def stamp_note(note: PreparedRow, old: NoteStamp | None, now: int) -> tuple[StoredNote, NoteStatus]:
    """Keep the mtime of an unchanged note; a changed one gets a newer one."""
    row, digest, packed = note
    if old is None:
        return StoredNote(row, digest, now, packed), NoteStatus.NEW
    if old.hash == digest:
        return StoredNote(row, digest, old.mtime, packed), NoteStatus.UNCHANGED
    return StoredNote(row, digest, max(now, old.mtime + 1), packed), NoteStatus.UPDATED


class PartDigests:
    """Digest, count and newest mtime of an episode's notes ("") and of each tag's, note by note."""

    def __init__(self) -> None:
        self._parts: dict[str, tuple[Any, list[int]]] = {}

    def add(self, guid: str, note_hash: str, mtime: int, deck_tags: Iterable[str]) -> None:
        entry = f"{guid}\x1f{note_hash}\x1f{mtime}\x1e".encode()
        for tag in ("", *deck_tags):
            digest, figures = self._parts.setdefault(tag, (hashlib.blake2b(digest_size=16), [0, 0]))
            digest.update(entry)
            figures[0], figures[1] = figures[0] + 1, max(figures[1], mtime)

    @property
    def deck_tags(self) -> tuple[str, ...]:
        """The tags whose decks hold some of the notes, in the order they were first met."""
        return tuple(tag for tag in self._parts if tag)

    def parts(self) -> dict[str, Part]:
        if "" not in self._parts:
            return {"": Part(hashlib.blake2b(digest_size=16).hexdigest(), 0, 0)}
        return {tag: Part(digest.hexdigest(), count, newest) for tag, (digest, [count, newest]) in self._parts.items()}


FEW_PENDING = 1000  # pending notes; see `State.pending_notes`


class State:
    """The build state of one output folder.

    As a context manager it is one transaction: committed when the block
    ends, rolled back if it ends by an exception.
    """

    def __init__(self, out: Path):
        self.path = out / STATE_FILE
        self.moved_aside: Path | None = None
        self._snips_stored: dict[str, set[str]] = {}  # episode → snips stored by this build
        self._kept_before: set[str] = set()  # episodes whose notes `apply` has copied into temp.before
        self._stamped: set[int] = set()  # the mtimes `apply` gave new and changed notes
        try:
            self.db, schema = self._open()
        except sqlite3.DatabaseError:
            # Not a database (or damaged): keep it for the curious, start afresh.
            self.moved_aside = self.path.with_name(f"{STATE_FILE}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.path, self.moved_aside)
            self.db, schema = self._open()
        self.was_new = schema is None

    def _open(self) -> tuple[sqlite3.Connection, str | None]:
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
            schema = _prepare(db, self.path)
        except (sqlite3.Error, NewerStateError) as error:
            db.close()  # a file left open keeps its folder busy (and cannot be moved aside on Windows)
            if isinstance(error, sqlite3.OperationalError):
                raise StateError(self.path, error) from None
            raise
        return db, schema

    def __enter__(self) -> State:
        self.db.execute("BEGIN")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if kind is None:
                self.commit()
                self._compact()
            else:
                self.db.rollback()
        finally:
            self.close()

    def _compact(self) -> None:
        """Hand back the pages a transaction freed (an episode's replaced notes).

        The state sits in the user's synced folder, so its size is theirs to pay.
        """
        if self.db.execute("PRAGMA freelist_count").fetchone()[0]:
            try:
                # executescript steps it to the end; `execute` frees one page per step taken
                self.db.executescript("PRAGMA incremental_vacuum;")
            except sqlite3.OperationalError as error:
                raise StateError(self.path, error) from None

    def close(self) -> None:
        self.db.close()

    def commit(self) -> None:
        """Make every change so far durable, atomically."""
        try:
            self.db.commit()
        except sqlite3.OperationalError as error:
            self.db.rollback()
            raise StateError(self.path, error) from None

    def meta(self, key: str) -> str | None:
        found = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    def known(self, model: str | None = None) -> Known:
        """What earlier builds recorded: sources, episodes, packages and settings.

        With a `model`, the answers it gave earlier builds too (`KeptAnswers`).
        """
        sources = {
            path: KnownSource(digest, tuple(json.loads(episodes)), stat)
            for path, digest, episodes, stat in self.db.execute("SELECT path, digest, episodes, stat FROM sources")
        }
        episodes = {row[0]: _episode(row) for row in self.db.execute("SELECT * FROM episodes")}
        packages = {path: RecordedPackage(digest, stat)
                    for path, digest, stat in self.db.execute("SELECT path, digest, stat FROM packages")}
        meta = dict(self.db.execute("SELECT key, value FROM meta"))
        return Known(sources, episodes, packages, meta, self._answers(model) if model else MappingProxyType({}))

    def _answers(self, model: str) -> dict[str, str]:
        try:
            return dict(self.db.execute("SELECT key, reply FROM answers WHERE model = ?", (model,)))
        except sqlite3.OperationalError:  # no such table: no model was ever asked here
            return {}

    # a build's one write ---------------------------------------------------
    def apply(self, changes: Iterable[StoreEpisode | Bookkeeping], now: int) -> Applied:
        """Store what a build made, as it comes, then its bookkeeping; return the pending notes.

        Episodes come one at a time (a huge one batch by batch), so that no
        build holds every note at once. An episode stored twice (found in a
        second file later on) is stamped both times against what the state
        held before the build.
        """
        for statement in _APPLY_TABLES:
            self.db.execute(statement)
        self._kept_before.clear()
        self._stamped.clear()
        stored: dict[str, EpisodeStored] = {}
        gone: dict[str, tuple[str, ...]] = {}
        for change in changes:
            if isinstance(change, StoreEpisode):
                stored[change.made.episode.key] = self._store_episode(change, now)
            else:
                gone = self._keep_books(change)
        return Applied(stored, gone, self.pending_notes())

    def _store_episode(self, change: StoreEpisode, now: int) -> EpisodeStored:
        """Store an episode's notes batch by batch, each stamped against its predecessor."""
        made = change.made
        key = made.episode.key
        if key not in self._kept_before:  # once: a second time, the notes are this build's own
            self._kept_before.add(key)
            for statement in _KEEP_BEFORE:
                self.db.execute(statement, (key,))
        old = {guid: NoteStamp(guid, digest, mtime, title) for guid, digest, mtime, title in self.db.execute(
            "SELECT guid, hash, mtime, title FROM temp.before WHERE episode = ? ORDER BY position", (key,))}
        self._forget_notes(key)
        parts, statuses, cards = PartDigests(), Counter[NoteStatus](), 0
        rows = iter(made.rows)
        while batch := [stamp_note(note, old.pop(note.row.guid, None), now) for note in islice(rows, BATCH)]:
            self._add_notes(key, sum(statuses.values()), [note for note, _ in batch])
            self._keep_replaced(key, [note.row.guid for note, status in batch if status is NoteStatus.UPDATED])
            for note, status in batch:
                parts.add(note.row.guid, note.hash, note.mtime, note.row.deck_tags)
                statuses[status] += 1
                cards += note.row.card_count
                if status is not NoteStatus.UNCHANGED:
                    self._stamped.add(note.mtime)
        self.db.execute("INSERT OR IGNORE INTO temp.stored VALUES (?)", (key,))
        summary = made.episode
        episode = StoredEpisode(
            key=key, sources=change.sources, title=summary.title, deck=summary.deck, slug=summary.slug,
            deck_tags=parts.deck_tags, snips=summary.snips, skipped=tuple(sorted(made.skipped.items())),
            notes=sum(statuses.values()), cards=cards, parts=parts.parts(),
        )
        _set_episode(self.db, episode)
        return EpisodeStored(episode, statuses, _snip_titles(old.values()))  # what is left was not made again

    def _keep_replaced(self, key: str, guids: list[str]) -> None:
        """Keep the fields' hashes of the versions these notes of the episode had before this build replaced them
        (see `_VERSIONS_TABLE`)."""
        if not guids:
            return
        self.db.execute(_VERSIONS_TABLE)
        versions = []
        for guid in guids:
            found = self.db.execute(_REPLACED_FIELDS, (key, guid)).fetchone()
            if found is not None:
                versions.append((guid, field_hashes(note_fields(*found).split(FIELD_SEPARATOR))))
        self.db.executemany("INSERT OR IGNORE INTO versions VALUES (?, ?)", versions)

    def field_versions(self, guids: Iterable[str]) -> dict[str, frozenset[str]]:
        """GUID → the fields' hashes of each earlier version of the note that a build replaced (since the table was
        made); the version stored now is not among them."""
        if not _has_table(self.db, "versions"):
            return {}
        found: dict[str, set[str]] = {}
        for guid in guids:
            for (fields,) in self.db.execute("SELECT fields FROM versions WHERE guid = ?", (guid,)):
                found.setdefault(guid, set()).add(fields)
        return {guid: frozenset(fields) for guid, fields in found.items()}

    def _record_stamped(self) -> None:
        """Add this build's note mtimes to those of earlier builds (`STAMPED`): what `cards sync` tells a note
        imported by hand from one edited in Anki by."""
        if not self._stamped:
            return
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (STAMPED,)).fetchone()
        times = sorted(stamped_times({STAMPED: row[0]} if row else {}) | self._stamped)[-STAMPED_KEPT:]
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (STAMPED, " ".join(map(str, times))))

    def _keep_books(self, books: Bookkeeping) -> dict[str, tuple[str, ...]]:
        """Apply a build's bookkeeping; the snip titles of each episode gone from its sources."""
        if books.clear_pending:
            self.db.execute("DELETE FROM pending")
        if books.offer_changes:
            self.db.execute(_NEW_PENDING)
        # A place in Anki's new-card queue for each note stored for the first time, after all others.
        self.db.execute(NUMBER_NEW_NOTES.format(notes="temp.stored t CROSS JOIN notes n ON n.episode = t.episode"))
        self.db.executemany("DELETE FROM packages WHERE path = ?", [(path,) for path in books.forget_packages])
        self.db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)", [
            (path, source.digest, json.dumps(list(source.episodes)), source.stat)
            for path, source in books.sources.items()
        ])
        self.db.executemany("DELETE FROM sources WHERE path = ?", [(path,) for path in books.forget_sources])
        gone = {key: _snip_titles(self._note_stamps(key)) for key in books.gone_episodes}
        for key in (*books.gone_episodes, *books.dropped_episodes):
            self.db.execute("DELETE FROM episodes WHERE key = ?", (key,))
            self._forget_notes(key)
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(books.meta.items()))
        self._record_stamped()
        if books.answers and books.answers.replies:
            self.db.execute(_ANSWERS_TABLE)
            self.db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?)",
                                [(key, books.answers.model, reply) for key, reply in books.answers.replies.items()])
        return gone

    def record_packages(self, packages: dict[str, RecordedPackage | None]) -> None:
        """Record the packages now in place; forget those that are not (None). Once one is in place, the folder
        has been delivered to (`DELIVERED`): no later build is its first."""
        self.db.executemany("INSERT OR REPLACE INTO packages VALUES (?, ?, ?)",
                            [(path, *recorded) for path, recorded in packages.items() if recorded is not None])
        self.db.executemany("DELETE FROM packages WHERE path = ?",
                            [(path,) for path, recorded in packages.items() if recorded is None])
        if any(recorded is not None and recorded.stat for recorded in packages.values()):
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (DELIVERED,))

    # episodes and notes --------------------------------------------------
    def notes_of(self, episode_key: str) -> list[StoredNote]:
        """The stored notes of one episode, in their order."""
        rows = self.db.execute(
            "SELECT n.guid, n.episode, n.kind, n.own, s.body, s.tags, s.deck_tags, n.hash, n.mtime, s.title, "
            "n.cards FROM notes n JOIN snips s ON s.episode = n.episode AND s.key = n.snip "
            "WHERE n.episode = ? ORDER BY n.position", (episode_key,)
        ).fetchall()
        return [_note(r) for r in rows]

    def _note_stamps(self, episode_key: str) -> list[NoteStamp]:
        """The stamp of each stored note of one episode, in their order."""
        return [NoteStamp(*row) for row in self.db.execute(
            "SELECT n.guid, n.hash, n.mtime, s.title FROM notes n "
            "JOIN snips s ON s.episode = n.episode AND s.key = n.snip WHERE n.episode = ? ORDER BY n.position",
            (episode_key,),
        )]

    def _forget_notes(self, episode_key: str) -> None:
        self.db.execute("DELETE FROM notes WHERE episode = ?", (episode_key,))
        self.db.execute("DELETE FROM snips WHERE episode = ?", (episode_key,))
        self._snips_stored.pop(episode_key, None)

    def _add_notes(self, episode_key: str, first_position: int, notes: list[StoredNote]) -> None:
        """Store a batch of an episode's notes, as this build made them, from `first_position` on."""
        _insert_notes(self.db, self._snips_stored.setdefault(episode_key, set()), episode_key, first_position, notes)

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

    def forget_synced(self, collection: str) -> None:
        """Drop an earlier version's list of what it delivered to a collection that now keeps its own record.

        The collection is trusted over this list from then on: a backup of it
        restored later is given whatever it lacks, not told what it once held.
        """
        try:
            self.db.execute(f"DELETE FROM {_OLD_SYNCED_TABLE} WHERE collection = ?", (collection,))
        except sqlite3.OperationalError as error:
            self.db.rollback()
            raise StateError(self.path, error) from None
        self.commit()


def _snip_titles(gone: Iterable[NoteStamp]) -> tuple[str, ...]:
    """The titles of the snips these notes came from, each once, in order."""
    return tuple(dict.fromkeys(note.snip_title for note in gone))


def _set_episode(db: sqlite3.Connection, episode: StoredEpisode) -> None:
    db.execute(
        "INSERT OR REPLACE INTO episodes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (episode.key, json.dumps([list(source) for source in episode.sources]), episode.title, episode.deck,
         episode.slug, json.dumps(list(episode.deck_tags)), episode.snips, json.dumps(list(episode.skipped)),
         episode.notes, episode.cards, json.dumps({tag: list(part) for tag, part in episode.parts.items()})),
    )


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


def _prepare(db: sqlite3.Connection, path: Path) -> str | None:
    """Bring the file to this version's layout (migrating older ones, in one transaction), ready for a build.

    Returns the schema the file had (None: a new file, or one too old to keep). A layout newer than
    this version's is left exactly as it is: `NewerStateError`.
    """
    found = _schema(db)
    if found is not None and found.isdecimal() and int(found) > int(SCHEMA_VERSION):
        (written_by,) = db.execute("SELECT value FROM meta WHERE key = 'written_by'").fetchone() or (None,)
        raise NewerStateError(path, written_by, found)
    db.execute("PRAGMA journal_mode=DELETE")
    if found == SCHEMA_VERSION:
        _written_by(db)
        db.commit()
        return found
    # So that compacting can hand free pages back; it takes effect on a new file (or a VACUUM). Not on
    # every open: setting it on a file that has it already is a write of its own.
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    had_positions = _has_table(db, "positions")
    db.execute("BEGIN")
    if found == "4":
        _migrate_from_4(db)
    elif found == "5":
        _migrate_from_5(db)
    elif found not in (None, "6"):
        _drop_all(db)  # an older layout: start afresh, as if the state were missing
        found = None
    if found is not None:
        _migrate_from_6(db)
    _create_tables(db)
    if not had_positions:  # a state from before positions: its notes, oldest first
        db.execute(NUMBER_NEW_NOTES.format(notes="notes n"))
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    _written_by(db)
    db.commit()
    if found in ("4", "5"):
        db.execute("VACUUM")  # once: hand back the pages the old layout used, and auto-vacuum from now on
    return found


def _written_by(db: sqlite3.Connection) -> None:
    """Note this version in the file, so that an older cards can say which version to upgrade to.

    Only when it is not there yet: a write on every open would cost every build an fsync.
    """
    found = db.execute("SELECT value FROM meta WHERE key = 'written_by'").fetchone()
    if found != (__version__,):
        db.execute("INSERT OR REPLACE INTO meta VALUES ('written_by', ?)", (__version__,))


def _create_tables(db: sqlite3.Connection) -> None:
    """This version's tables, where missing (statement by statement: `executescript` would commit)."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


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
    """Keep a version-4 state's notes and mtimes (users' edits depend on them), in the layout of version 6.

    Notes are stored anew, their snips' fields once per snip; episodes gain
    `parts` (computed on the way to version 7) and a slug in place of a
    package name; packages gain the stat of their file, so each is checked,
    and rewritten once, by the next build.
    """
    db.execute("ALTER TABLE notes RENAME TO notes_4")
    db.execute("DROP INDEX IF EXISTS notes_by_episode")
    _create_tables(db)  # the new notes and snips (the others exist, and are altered below)
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


def _migrate_from_5(db: sqlite3.Connection) -> None:
    """Move a version-5 state's snips into a plain table (see `_SNIPS_TABLE`)."""
    db.execute("ALTER TABLE snips RENAME TO snips_5")
    db.execute(_SNIPS_TABLE)
    db.execute(_SNIPS_INDEX)
    db.execute("INSERT INTO snips SELECT episode, key, body, tags, deck_tags, title FROM snips_5")
    db.execute("DROP TABLE snips_5")


def _migrate_from_6(db: sqlite3.Connection) -> None:
    """Give each episode the sources it was made from, and its part digests where it has none.

    Version 6 kept one source per episode and left an episode that was also
    in another file out of that file's record. So every source is read once
    more by the next build (as after an upgrade of cards): each then records
    every episode it holds, and an episode in several files is made from all
    of them. Notes and their mtimes are kept, so nothing unchanged counts as
    changed.
    """
    db.execute("ALTER TABLE episodes RENAME COLUMN source TO sources")
    db.executemany("UPDATE episodes SET sources = ?, parts = COALESCE(parts, ?) WHERE key = ?", [
        (json.dumps([[source, ""]]), _parts_json(db, key), key)
        for key, source in db.execute("SELECT key, sources FROM episodes").fetchall()
    ])
    db.execute("UPDATE sources SET digest = '', stat = ''")
    # Pending notes now stay until the user deletes changes.apkg: each GUID once, not in a table and its index.
    db.execute("ALTER TABLE pending RENAME TO pending_6")
    db.execute("CREATE TABLE pending (guid TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("INSERT INTO pending SELECT guid FROM pending_6")
    db.execute("DROP TABLE pending_6")


def _parts_json(db: sqlite3.Connection, episode_key: str) -> str:
    """An episode's part digests, computed from its stored notes (see `PartDigests`)."""
    parts = PartDigests()
    for guid, digest, mtime, deck_tags in db.execute(
        "SELECT n.guid, n.hash, n.mtime, s.deck_tags FROM notes n JOIN snips s ON s.episode = n.episode "
        "AND s.key = n.snip WHERE n.episode = ? ORDER BY n.position", (episode_key,)
    ):
        parts.add(guid, digest, mtime, deck_tags.split())
    return json.dumps({tag: list(part) for tag, part in parts.parts().items()})


def readonly_uri(path: Path) -> str:
    """A SQLite URI that opens the state file read-only (percent-encoded, any path)."""
    return Path(path).resolve().as_uri() + "?mode=ro"


class StateReader:
    """A read-only view of a state file, for package writers in other processes.

    Notes are streamed, so no process ever holds a whole large package. The
    file is opened when first read: a worker's task keeps one reader for its
    few packages (opening one cost as much as a small package's notes), and
    may need none. A context manager: the file is closed at the block's end.
    """

    def __init__(self, path: Path):
        self.path = path
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        """The open state file (read-only), opened by the first reader that needs it."""
        if self._db is None:
            self._db = sqlite3.connect(readonly_uri(self.path), uri=True)
        return self._db

    def notes(self, episode_key: str, tag: str | None = None, guids: frozenset[str] | None = None,
              encoded: bool = False) -> Iterator[PackageNote]:
        """An episode's notes as packages store them: fields joined (as UTF-8 bytes when `encoded`), tags by spaces.

        A package takes the bytes as they are (see `note_field_bytes`).
        """
        rows = self.db.execute(
            "SELECT n.guid, n.kind, n.own, s.body, s.tags, n.mtime, s.deck_tags, q.due FROM notes n "
            "JOIN snips s ON s.episode = n.episode AND s.key = n.snip LEFT JOIN positions q ON q.guid = n.guid "
            "WHERE n.episode = ? ORDER BY n.position",
            (episode_key,),
        ).fetchall()
        fields = note_field_bytes if encoded else note_fields
        for guid, kind, own, snip, tags, mtime, deck_tags, due in rows:
            if (tag is None or tag in deck_tags.split()) and (guids is None or guid in guids):
                yield PackageNote(guid, _KINDS[kind], fields(own, snip), tags, mtime, due)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> StateReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


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
# function `register_functions` adds to the connection (as UTF-8 bytes, which CAST
# makes text as they are); the sort field is the first of them. OFFSET 0 keeps
# SQLite from folding the inner query into the outer one, which would put each
# note's fields together twice.
PLACED_NOTE_ROWS = """
SELECT nid, guid, mid, mtime, -1, tags, flds, substr(flds, 1, instr(flds, char(31)) - 1), 0, 0, ''
FROM (SELECT p.nid, n.guid, CASE n.kind WHEN 'cloze' THEN :cloze ELSE :qa END AS mid, n.mtime,
             ' ' || s.tags || ' ' AS tags, CAST(note_fields(n.own, s.body) AS TEXT) AS flds
      FROM temp.placed p JOIN state.notes n ON n.rowid = p.r
      JOIN state.snips s ON s.episode = n.episode AND s.key = n.snip
      LIMIT -1 OFFSET 0)
"""
# Each kind of note placed, with the last deck (by position) that holds one.
PLACED_KINDS = "SELECT kind, MAX(deck) FROM temp.placed GROUP BY kind ORDER BY kind"


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
    return note_field_bytes(own, snip).decode()


def note_field_bytes(own: bytes, snip: bytes) -> bytes:
    """`note_fields` as UTF-8, the bytes a package stores (SQLite takes them as text: `CAST(… AS TEXT)`).

    Put together from the stored texts as they are: decoding them and encoding
    the result again cost a package write a fifth of its time.
    """
    before, _, passage = _own_text(own, snip).rpartition(_SEPARATOR)
    title, _, transcript_and_source = _snip_text_of(snip).partition(_SEPARATOR)
    return _SEPARATOR.join((before, title, passage, transcript_and_source))


def register_functions(db: sqlite3.Connection) -> None:
    """Let SQL on `db` put notes' fields together: `note_fields(own, snip)`, as UTF-8 bytes (see `note_field_bytes`)."""
    db.create_function("note_fields", 2, note_field_bytes, deterministic=True)


_FDICT = 0x20  # in a zlib stream's second byte: compressed against a preset dictionary
_SEPARATOR = FIELD_SEPARATOR.encode()


@lru_cache(maxsize=16)
def _snip_text_of(snip: bytes) -> bytes:
    """A snip's text (its notes' dictionary): its fields joined. Cached: a snip's notes come together."""
    return isal_zlib.decompress(snip)


def _own_text(own: bytes, snip: bytes) -> bytes:
    """A note's own fields, joined."""
    if own[1] & _FDICT:
        inflate = isal_zlib.decompressobj(zdict=_snip_text_of(snip))
        return inflate.decompress(own) + inflate.flush()
    return isal_zlib.decompress(own)  # stored before own fields were compressed against their snip


_KINDS = {kind.value: kind for kind in CardKind}  # a dict: calling the enum for each of a package's notes cost more


def _episode(row) -> StoredEpisode:
    key, sources, title, deck, slug, deck_tags, snips, skipped, notes, cards, parts = row
    return StoredEpisode(
        key=key, sources=tuple(map(SourceVersion._make, json.loads(sources))), title=title,
        deck=deck, slug=slug, deck_tags=tuple(json.loads(deck_tags)), snips=snips,
        skipped=tuple((reason, count) for reason, count in json.loads(skipped)), notes=notes, cards=cards,
        parts={tag: Part(*part) for tag, part in json.loads(parts).items()},
    )


def _note(row) -> StoredNote:
    guid, episode, kind, own, snip, tags, deck_tags, digest, mtime, snip_title, cards = row
    note = NoteRow(
        guid, CardKind(kind), tuple(note_fields(own, snip).split(FIELD_SEPARATOR)), tuple(tags.split()), episode,
        snip_title, cards, tuple(deck_tags.split()),
    )
    return StoredNote(note, digest, mtime)
