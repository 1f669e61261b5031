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
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from cards.model import CardKind
from cards.notetypes import NOTE_TYPES, genanki_model
from cards.state import StoredNote

_CLOZE_NUMBER = re.compile(r"{{c(\d+)::.+?}}", re.S)


@dataclass(frozen=True)
class DeckContent:
    """One deck of a package and the notes it holds."""

    name: str
    notes: Iterable[StoredNote]


@dataclass(frozen=True)
class PackageSpec:
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
    mtimes = [note.mtime for deck in spec.decks for note in deck.notes]
    return max(mtimes + [spec.notetype_mtime])


def write_atomically(path: Path, write) -> None:
    """Call `write(tmp_path)`, then rename the result into place.

    A build killed half-way leaves the old package (or none), never a
    truncated one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --- the plain path: genanki --------------------------------------------------

def write_package_genanki(spec: PackageSpec) -> None:
    """Write a package with genanki's own writer, then restore the mtimes."""
    write_atomically(spec.path, lambda tmp: _genanki_apkg(spec, tmp))


def _genanki_apkg(spec: PackageSpec, out: Path) -> None:
    decks = []
    for content in spec.decks:
        deck = genanki.Deck(deck_id(content.name), content.name)
        for due, stored in enumerate(content.notes):
            row = stored.row
            deck.add_note(genanki.Note(
                model=genanki_model(row.kind), fields=list(row.fields), guid=row.guid,
                tags=list(row.tags), due=due,
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
        _zip(out, db_path.read_bytes())


def _restore_mtimes(db: sqlite3.Connection, spec: PackageSpec) -> None:
    """genanki stamps one time on everything; put back each note's own."""
    db.executemany(
        "UPDATE notes SET mod = ? WHERE guid = ?",
        [(n.mtime, n.row.guid) for deck in spec.decks for n in deck.notes],
    )
    db.execute(
        "UPDATE cards SET mod = (SELECT notes.mod FROM notes WHERE notes.id = cards.nid)"
    )
    (models_json,) = db.execute("SELECT models FROM col").fetchone()
    models = json.loads(models_json)
    for model in models.values():
        model["mod"] = spec.notetype_mtime
    db.execute("UPDATE col SET models = ?", (json.dumps(models),))


def _zip(out: Path, collection: bytes) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("collection.anki2", collection)
        archive.writestr("media", "{}")


# --- the fast path: a prepared collection, bulk inserts -----------------------

LARGE_PACKAGE = 4000  # notes; larger collections are built in a file, not in memory
BATCH = 2000


@cache
def _empty_collection() -> bytes:
    """genanki's empty collection, made once per process."""
    db = sqlite3.connect(":memory:")
    db.executescript(APKG_SCHEMA)
    db.executescript(APKG_COL)
    data = db.serialize()
    db.close()
    return data


def write_package(spec: PackageSpec, size_hint: int = 0) -> None:
    """Write a package from the prepared collection (same content as genanki's).

    Notes may come from an iterator: a large package is streamed into a
    collection file on disk, so memory stays flat whatever its size.
    """
    if size_hint > LARGE_PACKAGE:
        write_atomically(spec.path, lambda tmp: _zip_from_file(spec, tmp))
    else:
        write_atomically(spec.path, lambda tmp: _zip(tmp, collection_bytes(spec)))


def collection_bytes(spec: PackageSpec) -> bytes:
    """The package's `collection.anki2`, built in memory."""
    db = sqlite3.connect(":memory:")
    db.deserialize(_empty_collection())
    fill_collection(db, spec)
    data = db.serialize()
    db.close()
    return data


def _zip_from_file(spec: PackageSpec, out: Path) -> None:
    collection = out.with_name(out.name + ".anki2")
    try:
        collection.write_bytes(_empty_collection())
        db = sqlite3.connect(collection)
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        fill_collection(db, spec)
        db.close()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.write(collection, "collection.anki2")
            archive.writestr("media", "{}")
    finally:
        collection.unlink(missing_ok=True)


def fill_collection(db: sqlite3.Connection, spec: PackageSpec) -> None:
    """Insert the decks, note types, notes and cards of `spec`, in batches."""
    base = spec.base_time if spec.base_time is not None else _base_time(spec)
    ids = itertools.count(base * 1000)
    decks, kinds_by_deck = {}, []
    notes, cards = [], []
    for content in spec.decks:
        did = deck_id(content.name)
        decks[str(did)] = genanki.Deck(did, content.name).to_json()
        kinds = set()
        for due, stored in enumerate(content.notes):
            kinds.add(stored.row.kind)
            _note_rows(stored, did, due, ids, notes, cards)
            if len(notes) >= BATCH:
                _insert(db, notes, cards)
        kinds_by_deck.append((did, kinds))
    _insert(db, notes, cards)
    # As genanki does: a note type names the last deck that uses it.
    models = {
        str(NOTE_TYPES[kind].model_id): _model_json(kind, base, did, spec.notetype_mtime)
        for did, kinds in kinds_by_deck for kind in kinds
    }
    _merge_col_json(db, decks, models)
    db.commit()


def _insert(db: sqlite3.Connection, notes: list, cards: list) -> None:
    db.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", notes)
    db.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", cards)
    notes.clear()
    cards.clear()


def _model_json(kind: CardKind, base: int, did: int, mtime: int) -> dict:
    model = genanki_model(kind).to_json(base, did)
    return {**model, "mod": mtime}


def _merge_col_json(db: sqlite3.Connection, decks: dict, models: dict) -> None:
    old_decks, old_models = db.execute("SELECT decks, models FROM col").fetchone()
    db.execute(
        "UPDATE col SET decks = ?, models = ?",
        (json.dumps({**json.loads(old_decks), **decks}), json.dumps({**json.loads(old_models), **models})),
    )


def _note_rows(stored: StoredNote, did: int, due: int, ids, notes: list, cards: list) -> None:
    row = stored.row
    note_id = next(ids)
    model_id = NOTE_TYPES[row.kind].model_id
    tags = " " + " ".join(row.tags) + " "
    notes.append((note_id, row.guid, model_id, stored.mtime, -1, tags, "\x1f".join(row.fields),
                  row.fields[0], 0, 0, ""))
    for ordinal in card_ordinals(row.kind, row.fields):
        cards.append((next(ids), note_id, did, ordinal, stored.mtime, -1, 0, 0, due,
                      0, 0, 0, 0, 0, 0, 0, 0, ""))


def card_ordinals(kind: CardKind, fields: tuple[str, ...]) -> list[int]:
    """Which cards a note has: one per cloze number, or the one Q&A card."""
    if kind is CardKind.QA:
        return [0]
    numbers = sorted({int(n) - 1 for n in _CLOZE_NUMBER.findall(fields[0]) if int(n) > 0})
    return numbers or [0]
