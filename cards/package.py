"""Notes → `.apkg` files, written atomically.

Two writers make the same package. `write_package_genanki` is the plain
path: genanki builds the collection. `write_package` is the fast path used by
builds: it starts from a prepared empty collection (genanki's own schema and
note types, made once per process) held in memory, inserts rows in bulk and
zips the result without touching a temporary database file. Tests check
that both give the same notes, cards, note types and decks.

Either way each note keeps its own mtime (genanki would stamp all of them
with one build time, which makes Anki overwrite edits on every import), and
the note types carry the mtime of the last change to their templates or CSS.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import sqlite3
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import BinaryIO, NamedTuple

from isal import isal_zlib

from cards.model import CardKind, PackageNote
from cards.notetypes import NOTE_TYPES, genanki_model
from cards.state import (
    EXCLUDE_SNIPS,
    PLACE_NOTES,
    PLACED_KINDS,
    PLACED_NOTE_ROWS,
    STAGE_TABLES,
    StateReader,
    StoredNote,
    readonly_uri,
    register_functions,
)

_CLOZE_NUMBER = re.compile(r"{{c(\d+)::.+?}}", re.S)


class DeckContent(NamedTuple):
    """One deck of a package and the notes it holds."""

    name: str
    notes: Iterable[StoredNote | PackageNote]


class DeckSelection(NamedTuple):
    """A deck of a package, by which stored notes it holds: those of these
    episodes, in order, with `tag` among their deck tags, or among `guids`."""

    name: str
    episodes: tuple[str, ...]
    tag: str | None = None
    guids: frozenset[str] | None = None


class PackageSpec(NamedTuple):
    """Everything one `.apkg` holds."""

    path: Path
    decks: tuple[DeckContent, ...]
    notetype_mtime: int
    base_time: int | None = None  # the newest mtime, when notes come from an iterator


def deck_id(name: str) -> int:
    """A stable deck id from its name (Anki matches decks by name anyway)."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:12], 16) + (1 << 40)


def _base_time(spec: PackageSpec) -> int:
    """The package's id base: the newest note's mtime, so rebuilding gives the same ids."""
    mtimes = [note.mtime for deck in spec.decks for note in deck.notes]  # needs materialised notes
    return max([*mtimes, spec.notetype_mtime])


# Temporary files are hidden and named after their package: `.<name>.apkg.<random>.tmp`
# (and `….tmp.anki2` for a large package's collection), so that a later build
# can remove what a killed one left behind.
TEMPORARY = ".*.apkg.*.tmp*"


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp_path)`, then rename the result into place.

    A build killed half-way leaves the old package (or none), never a
    truncated one. The package gets the mode the user's umask gives new
    files (mkstemp would leave it readable by its owner only).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@cache
def _umask() -> int:
    """The process's umask (read once: setting it back and forth is not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --- the plain path: genanki --------------------------------------------------

def write_package_genanki(spec: PackageSpec) -> None:
    """Write a package with genanki's own writer, then restore the mtimes."""
    write_atomically(spec.path, lambda tmp: _genanki_apkg(spec, tmp))


def _genanki_apkg(spec: PackageSpec, out: Path) -> None:
    import genanki

    decks = []
    for content in spec.decks:
        deck = genanki.Deck(deck_id(content.name), content.name)
        for index, note in enumerate(map(_package_note, content.notes)):
            deck.add_note(genanki.Note(
                model=genanki_model(note.kind), fields=_text(note.fields).split("\x1f"), guid=note.guid,
                tags=note.tags.split(), due=_due(note, index),
            ))
        decks.append(deck)
    base = _base_time(spec)
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "collection.anki2"
        db = sqlite3.connect(db_path)
        genanki.Package(decks).write_to_db(db.cursor(), base, itertools.count(base * 1000))
        _restore_mtimes(db, spec)
        db.commit()
        db.close()
        _zip(out, db_path)


def _restore_mtimes(db: sqlite3.Connection, spec: PackageSpec) -> None:
    """genanki stamps one time on everything; put back each note's own."""
    db.executemany(
        "UPDATE notes SET mod = ? WHERE guid = ?",
        [(n.mtime, n.guid) for deck in spec.decks for n in map(_package_note, deck.notes)],
    )
    db.execute(
        "UPDATE cards SET mod = (SELECT notes.mod FROM notes WHERE notes.id = cards.nid)"
    )
    (models_json,) = db.execute("SELECT models FROM col").fetchone()
    models = json.loads(models_json)
    for model in models.values():
        model["mod"] = spec.notetype_mtime
    db.execute("UPDATE col SET models = ?", (json.dumps(models),))


def _zip(out: Path, collection: bytes | Path) -> None:
    """An .apkg: the collection (bytes, or a file streamed from disk) and an empty media list.

    The collection is deflated with ISA-L (python-isal): five times faster
    than zlib, and smaller. `zipfile` cannot take data deflated elsewhere, so
    the archive's few records are written here (`tests/test_package.py` reads
    packages back with `zipfile` and checks their CRCs). A collection too
    large for a plain zip (4 GiB) goes through `zipfile`, which writes ZIP64.
    """
    size = len(collection) if isinstance(collection, bytes) else collection.stat().st_size
    if size >= ZIP_LIMIT:
        _zip_with_zipfile(out, collection)
        return
    with open(out, "wb") as archive:
        entries = [_zip_entry(archive, "collection.anki2", _chunks(collection)), _zip_entry(archive, "media", [b"{}"])]
        directory = archive.tell()
        for entry in entries:
            archive.write(_CENTRAL.pack(0x02014B50, 20, 20, 0, 8, 0, _DOS_DATE, entry.crc, entry.compressed,
                                        entry.size, len(entry.name), 0, 0, 0, 0, 0, entry.offset) + entry.name)
        end = archive.tell()
        archive.write(_END.pack(0x06054B50, 0, 0, len(entries), len(entries), end - directory, directory, 0))


ZIP_LIMIT = 2**32 - 2**24  # bytes: below this, sizes and offsets fit a plain zip's 32-bit fields
# The zip records (APPNOTE 4.3.7, 4.3.12, 4.3.16): a local header before each member,
# a central directory entry for each, and the end record.
_LOCAL = struct.Struct("<IHHHHHIIIHH")  # signature, version, flags, method, time, date, CRC, sizes, name, extra
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # … as above, then comment, disk, attributes, header offset
_END = struct.Struct("<IHHHHIIH")  # signature, disks, entries (twice), directory size and offset, comment
_DOS_DATE = 33  # 1980-01-01, zip's earliest date: the same package bytes whenever it is built


class _ZipEntry(NamedTuple):
    """A member as its central directory entry describes it."""

    name: bytes
    offset: int
    crc: int
    compressed: int
    size: int


def _zip_entry(archive: BinaryIO, name: str, chunks: Iterable[bytes | memoryview]) -> _ZipEntry:
    """Write one deflated member; its header is written again once its CRC and sizes are known."""
    encoded, offset = name.encode(), archive.tell()
    archive.write(b"\0" * _LOCAL.size + encoded)
    deflate = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    crc = size = 0
    for chunk in chunks:
        crc, size = isal_zlib.crc32(chunk, crc), size + len(chunk)
        archive.write(deflate.compress(chunk))
    archive.write(deflate.flush())
    compressed = archive.tell() - offset - _LOCAL.size - len(encoded)
    archive.seek(offset)
    archive.write(_LOCAL.pack(0x04034B50, 20, 0, 8, 0, _DOS_DATE, crc, compressed, size, len(encoded), 0))
    archive.seek(0, os.SEEK_END)
    return _ZipEntry(encoded, offset, crc, compressed, size)


def _chunks(collection: bytes | Path, size: int = 2**20) -> Iterator[bytes | memoryview]:
    """The collection in pieces of a MiB: a large one is never held whole (nor copied)."""
    if isinstance(collection, bytes):
        view = memoryview(collection)
        yield from (view[start:start + size] for start in range(0, len(collection), size))
        return
    with open(collection, "rb") as source:
        while chunk := source.read(size):
            yield chunk


def _zip_with_zipfile(out: Path, collection: bytes | Path) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True) as archive:
        if isinstance(collection, Path):
            archive.write(collection, "collection.anki2")
        else:
            archive.writestr("collection.anki2", collection)
        archive.writestr("media", "{}")


# --- the fast path: a prepared collection, bulk inserts -----------------------

LARGE_PACKAGE = 4000  # notes; larger packages are copied out of the state by SQL (see `write_from_state`)
MEMORY_PACKAGE = 8000  # notes (about 25 MB of collection); larger ones are built in a file, not in memory
LARGE_PAGES = 16384  # bytes: the pages of a collection copied out of the state (SQLite's default is 4096)
BATCH = 2000


@cache
def _empty_collection(page_size: int = 4096) -> bytes:
    """genanki's empty collection, made once per process.

    A large package's collection has larger pages (`LARGE_PAGES`): a note of
    a few KB then shares its page with others, so the collection is a
    quarter smaller (16 MB, not 22 MB, for 6,400 notes) and two written at
    once take 0.11 s, not 0.14 s. Anki reads any page size.
    """
    from genanki.apkg_col import APKG_COL
    from genanki.apkg_schema import APKG_SCHEMA

    db = sqlite3.connect(":memory:")
    db.execute(f"PRAGMA page_size = {page_size:d}")  # before the first table: it sets the file's layout
    db.executescript(APKG_SCHEMA)
    db.executescript(APKG_COL)
    data = db.serialize()
    db.close()
    return data


def write_package(spec: PackageSpec) -> None:
    """Write a package from the prepared collection (same content as genanki's)."""
    write_atomically(spec.path, lambda tmp: _zip(tmp, collection_bytes(spec)))


def write_from_state(path: Path, reader: StateReader, decks: tuple[DeckSelection, ...], notetype_mtime: int,
                     base_time: int, size: int) -> None:
    """Write a package whose notes are in the state file that `reader` reads (see `cards.build`).

    A small package is built in memory from streamed notes; a large one is
    copied row by row inside SQLite (`write_package_from_state`), so Python
    loops over nothing.
    """
    if size > LARGE_PACKAGE:
        write_package_from_state(path, reader.path, decks, notetype_mtime, base_time, size)
        return
    contents = tuple(DeckContent(deck.name, _deck_notes(reader, deck)) for deck in decks)
    write_package(PackageSpec(path, contents, notetype_mtime, base_time))


def collection_bytes(spec: PackageSpec) -> bytes:
    """The package's `collection.anki2`, built in memory."""
    db = sqlite3.connect(":memory:")
    db.deserialize(_empty_collection())
    fill_collection(db, spec)
    data = db.serialize()
    db.close()
    return data


def _deck_notes(reader: StateReader, deck: DeckSelection) -> Iterator[PackageNote]:
    """A deck's notes, streamed (a function, so each deck keeps its own filter)."""
    for key in deck.episodes:
        yield from reader.notes(key, deck.tag, deck.guids, encoded=True)


def write_package_from_state(path: Path, state_file: Path, decks: tuple[DeckSelection, ...],
                             notetype_mtime: int, base_time: int, size: int) -> None:
    """Write a large package by copying rows straight out of the state file.

    SQLite does the per-note work (ids, cards, due positions) with window
    functions, so a tag package of tens of thousands of notes costs no Python
    loop. Up to `MEMORY_PACKAGE` notes the collection is built in memory (a
    sixth faster than through a file); a larger one in a file beside the
    package, so that memory stays flat.
    """
    def write(tmp: Path) -> None:
        if size <= MEMORY_PACKAGE:
            # A URI, so that ATTACH takes the read-only URI too, whatever SQLite was compiled with.
            db = sqlite3.connect("file::memory:", uri=True)
            try:
                db.deserialize(_empty_collection(LARGE_PAGES))
                _copy_from_state(db, state_file, decks, notetype_mtime, base_time)
                data = db.serialize()
            finally:
                db.close()
            _zip(tmp, data)
            return
        collection = tmp.with_name(tmp.name + ".anki2")
        try:
            collection.write_bytes(_empty_collection(LARGE_PAGES))
            db = sqlite3.connect(collection.resolve().as_uri(), uri=True)
            try:
                db.execute("PRAGMA journal_mode = OFF")
                db.execute("PRAGMA synchronous = OFF")
                _copy_from_state(db, state_file, decks, notetype_mtime, base_time)
            finally:
                db.close()  # before the file goes: an open file cannot be removed on Windows
            _zip(tmp, collection)
        finally:
            collection.unlink(missing_ok=True)

    write_atomically(path, write)


def _copy_from_state(db: sqlite3.Connection, state_file: Path, decks: tuple[DeckSelection, ...],
                     notetype_mtime: int, base_time: int) -> None:
    """Fill the collection open in `db` from the state file, attached read-only for the while."""
    db.execute("ATTACH DATABASE ? AS state", (readonly_uri(state_file),))
    register_functions(db)
    _copy_notes(db, decks, notetype_mtime, base_time)
    db.commit()
    db.execute("DETACH DATABASE state")


# A note's cards are numbered 0 … cards - 1: `ordinal` counts only as far as the most
# cards a note has (a handful), since each placed note is matched against all of it.
_INSERT_CARDS = """
WITH RECURSIVE ordinal(n) AS (
    SELECT 0 UNION ALL SELECT n + 1 FROM ordinal WHERE n + 1 < (SELECT MAX(cards) FROM temp.placed)
)
INSERT INTO cards
SELECT nid + 1 + ordinal.n, nid, did, ordinal.n, mtime, -1, 0, 0, due, 0, 0, 0, 0, 0, 0, 0, 0, ''
FROM temp.placed CROSS JOIN ordinal ON ordinal.n < cards
"""


def _copy_notes(db: sqlite3.Connection, decks: tuple[DeckSelection, ...], notetype_mtime: int,
                base_time: int) -> None:
    """Copy every deck's notes and make their cards, in one pass of SQL for the whole package.

    One pass, not one per deck: a first `changes.apkg` holds a deck for
    every episode, and a handful of statements per deck cost a third of it.
    """
    db.executescript(STAGE_TABLES)
    db.executemany("INSERT OR IGNORE INTO temp.wanted VALUES (?)",
                   [(g,) for deck in decks for g in deck.guids or ()])
    ids = [deck_id(deck.name) for deck in decks]
    db.executemany(
        "INSERT INTO temp.chosen (episode, deck, did, tag, filtered) VALUES (?, ?, ?, ?, ?)",
        [(key, position, did, deck.tag, deck.guids is not None)
         for position, (deck, did) in enumerate(zip(decks, ids, strict=True)) for key in deck.episodes],
    )
    db.execute(EXCLUDE_SNIPS)
    db.execute(PLACE_NOTES, {"start": base_time * 1000})
    models = {"cloze": NOTE_TYPES[CardKind.CLOZE].model_id, "qa": NOTE_TYPES[CardKind.QA].model_id}
    db.execute("INSERT INTO notes " + PLACED_NOTE_ROWS, models)
    db.execute(_INSERT_CARDS)
    deck_json = {str(did): _deck_json(did, deck.name) for deck, did in zip(decks, ids, strict=True)}
    # As genanki does: a note type names the last deck that uses it.
    note_types = {
        str(NOTE_TYPES[CardKind(kind)].model_id): _model_json(CardKind(kind), base_time, ids[last], notetype_mtime)
        for kind, last in db.execute(PLACED_KINDS)
    }
    _merge_col_json(db, deck_json, note_types)


def fill_collection(db: sqlite3.Connection, spec: PackageSpec) -> None:
    """Insert the decks, note types, notes and cards of `spec`, in batches."""
    base = spec.base_time if spec.base_time is not None else _base_time(spec)
    ids = itertools.count(base * 1000)
    decks, kinds_by_deck = {}, []
    notes: list[tuple] = []
    cards: list[tuple] = []
    for content in spec.decks:
        did = deck_id(content.name)
        decks[str(did)] = _deck_json(did, content.name)
        kinds: set[CardKind] = set()
        kind, model_id = None, 0
        for index, note in enumerate(content.notes):
            note = _package_note(note)
            if note.kind is not kind:  # looked up as the kind changes: hashing an enum member runs Python code
                kind = note.kind
                kinds.add(kind)
                model_id = NOTE_TYPES[kind].model_id
            _note_rows(note, model_id, did, _due(note, index), ids, notes, cards)
            if len(notes) >= BATCH:
                _insert(db, notes, cards)
        kinds_by_deck.append((did, kinds))
    _insert(db, notes, cards)
    # As genanki does: a note type names the last deck that uses it.
    models = {
        str(NOTE_TYPES[kind].model_id): _model_json(kind, base, did, spec.notetype_mtime)
        # In the kinds' order, as the state's PLACED_KINDS gives them: a set's order would change with
        # PYTHONHASHSEED, and with it the package's bytes.
        for did, kinds in kinds_by_deck for kind in sorted(kinds, key=lambda kind: kind.value)
    }
    _merge_col_json(db, decks, models)
    db.commit()


# The columns every note and card has the same value in are written into the statements: binding them
# for each row cost a third of the inserts. CAST: fields may come as UTF-8 bytes (see `PackageNote`),
# stored as the text they are.
_INSERT_NOTE = "INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, CAST(? AS TEXT), ?, 0, 0, '')"
_INSERT_CARD = "INSERT INTO cards VALUES (?, ?, ?, ?, ?, -1, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '')"


def _insert(db: sqlite3.Connection, notes: list, cards: list) -> None:
    db.executemany(_INSERT_NOTE, notes)
    db.executemany(_INSERT_CARD, cards)
    notes.clear()
    cards.clear()


def _deck_json(did: int, name: str) -> dict:
    """A deck as genanki writes it into the collection."""
    import genanki  # here, not above: a build with nothing to write never loads it

    return genanki.Deck(did, name).to_json()


def _model_json(kind: CardKind, base: int, did: int, mtime: int) -> dict:
    model = genanki_model(kind).to_json(base, did)
    return {**model, "mod": mtime}


def _merge_col_json(db: sqlite3.Connection, decks: dict, models: dict) -> None:
    old_decks, old_models = db.execute("SELECT decks, models FROM col").fetchone()
    db.execute(
        "UPDATE col SET decks = ?, models = ?",
        (json.dumps({**json.loads(old_decks), **decks}), json.dumps({**json.loads(old_models), **models})),
    )


def _package_note(note: StoredNote | PackageNote) -> PackageNote:
    """A note as packages store it, whichever form it came in."""
    if isinstance(note, PackageNote):
        return note
    row = note.row
    return PackageNote(row.guid, row.kind, "\x1f".join(row.fields), " ".join(row.tags), note.mtime)


def _due(note: PackageNote, index: int) -> int:
    """Where the note's new cards go in Anki's queue: its place in it, else its place in its deck.

    Anki's importer keeps a new card's `due` as the package gives it.
    """
    return index if note.due is None else note.due


def _note_rows(note: PackageNote, model_id: int, did: int, due: int, ids, notes: list, cards: list) -> None:
    """The note's row and its cards' (see `_INSERT_NOTE`, `_INSERT_CARD`)."""
    note_id = next(ids)
    first_field = _first_field(note.fields)
    notes.append((note_id, note.guid, model_id, note.mtime, f" {note.tags} ", note.fields, first_field))
    for ordinal in card_ordinals(note.kind, (first_field,)):
        cards.append((next(ids), note_id, did, ordinal, note.mtime, due))


def _first_field(fields: str | bytes) -> str:
    """The first of a note's fields (its sort field): decoded alone when the fields come as bytes."""
    if isinstance(fields, bytes):
        return fields.partition(b"\x1f")[0].decode()
    return fields.partition("\x1f")[0]


def _text(fields: str | bytes) -> str:
    """A note's fields as text, however they came (genanki's plain path takes text only)."""
    return fields.decode() if isinstance(fields, bytes) else fields


def card_ordinals(kind: CardKind, fields: tuple[str, ...]) -> list[int]:
    """Which cards a note has: one per cloze number, or the one Q&A card."""
    if kind is CardKind.QA:
        return [0]
    numbers = sorted({int(n) - 1 for n in _CLOZE_NUMBER.findall(fields[0]) if int(n) > 0})
    return numbers or [0]
