"""The Anki collection `cards sync` writes into, through Anki's own engine.

Opening it takes Anki's lock, and the lock is held until the sync ends:
nothing that touches the collection in between may let go of it. Anki's
`create_backup` does: it reads the collection file through a second file
handle and closes it, and on POSIX systems closing any handle of a file drops
every lock the process holds on it (fcntl locks belong to the process, not to
the handle; SQLite guards its own handles against this, Anki's file read does
not). So a backup is made from a copy written through the open connection
(`VACUUM INTO`), which never opens the collection file again; Anki's backup
function then packs that copy.

Every SQL statement on the collection lives here.
"""

from __future__ import annotations

import html
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NamedTuple

from anki.collection import Collection, media_paths_from_col_path  # first: Anki's other modules need it loaded
from anki.errors import BackendIOError, DBError
from anki.import_export_pb2 import (
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportAnkiPackageUpdateCondition,
)
from anki.notes import NoteId

from cards.errors import CollectionBusyError, CollectionError, UsageError, os_reason
from cards.model import CardKind
from cards.notetypes import NOTE_TYPES
from cards.state import FIELD_SEPARATOR

NOTE_TYPE_IDS = {kind: NOTE_TYPES[kind].model_id for kind in CardKind}
_KINDS = {model_id: kind for kind, model_id in NOTE_TYPE_IDS.items()}
BACKUPS = "backups"
SCRATCH_PREFIX = "cards-backup-"  # the temporary folder of a backup's copy
BATCH = 500  # GUIDs looked up per query (SQLite allows 32,766 parameters; this keeps each query small)


class CollectionNote(NamedTuple):
    """A note as the collection holds it now."""

    id: int
    guid: str
    note_type: int
    mtime: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]


# --- checking the path before anything is created -------------------------------------

def check_path(path: Path, create: bool) -> None:
    """Refuse a collection path that cannot be used, before anything is created or opened."""
    if path.suffix != ".anki2":
        raise UsageError(f"{path}: --collection names an Anki collection file, whose name ends in .anki2 "
                         "(such as collection.anki2)")
    if not path.exists() and not create:
        raise UsageError(f"{path}: no such collection; check the path, or add --create to make a new one there")
    if path.is_file():
        _check_is_collection(path, create)
    dangling = next((f for f in path.parents if f.is_symlink() and not f.exists()), None)
    if dangling is not None:
        raise UsageError(f"{dangling}: is a link to a folder that does not exist; make that folder, or name the "
                         "collection by another path")
    if path.is_symlink() and not path.exists():  # the link is kept: Anki makes the file where it leads
        leads_to = Path(os.path.realpath(path))
        if not leads_to.parent.is_dir():
            raise UsageError(f"{path}: is a link to {leads_to}, in a folder that does not exist; make that folder, "
                             "or name the collection by another path")
    folder = _existing_parent(path)
    if not folder.is_dir():
        raise UsageError(f"{folder}: is a file, not a folder; --collection must name a file inside a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CollectionError(f"{folder}: the folder holding the collection cannot be written (read-only?); "
                              "Anki writes beside its collection, so make the folder writable or move the "
                              "collection to one that is")
    backups = path.parent / BACKUPS
    if backups.exists() and not backups.is_dir():
        raise CollectionError(f"{backups}: is a file, but cards keeps Anki's backups in a folder of that name; "
                              "move the file aside and run again")


_SQLITE_HEADER = b"SQLite format 3\x00"
_ANKI_TABLES = ("cards", "col", "notes")


def _check_is_collection(path: Path, create: bool) -> None:
    """Refuse a file that is no Anki collection: Anki would add its tables to any SQLite database (another
    program's, named by a typo) and make a collection of an empty file. `--create` makes one of an empty file
    only. A file that cannot be read here (Anki holding it, say) or is no database at all is left for opening
    to explain."""
    try:
        with path.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
    except OSError:
        return
    if not header:
        if not create:
            raise UsageError(f"{path}: is an empty file, not an Anki collection; check the path, or add --create "
                             "to make a new collection in it")
        return
    if header != _SQLITE_HEADER:
        return  # no database at all (a damaged collection?): Anki refuses to open it, and opening says so
    try:
        logged = path.with_name(path.name + "-wal").stat().st_size > 0
    except OSError:
        logged = False  # no log beside it: the file holds all there is
    # Without a log, read taking no lock at all (immutable), so that this look never holds the file against Anki,
    # or against a program checking whether someone holds it, for even a moment. With one, its latest changes
    # (its tables, maybe) are in the log: read it as SQLite reads it, not waiting if someone holds the file.
    query = "?mode=ro" if logged else "?mode=ro&immutable=1"
    try:
        db = sqlite3.connect(path.resolve().as_uri() + query, uri=True, timeout=0)
        try:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except sqlite3.Error:
        return
    if not set(_ANKI_TABLES) <= tables:
        raise UsageError(f"{path}: is not an Anki collection (it holds no Anki notes and cards); check the path: "
                         "cards changes no other file")


def _existing_parent(path: Path) -> Path:
    """The nearest folder above `path` that exists (the collection's own, once it is made)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


# --- opening ------------------------------------------------------------------------------

@contextmanager
def open_collection(path: Path) -> Iterator[Collection]:
    """The collection, open in this process only, until the block ends; a clear error when Anki holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        col = Collection(str(path))
    except DBError as error:
        if "already open" in str(error):
            raise CollectionBusyError(path) from None
        raise collection_error(path, error, "Anki cannot open this collection") from None
    except (BackendIOError, OSError) as error:  # beside it: a media folder that is a file, or a dangling link
        raise CollectionError(f"{path}: Anki cannot open this collection or make its media folder "
                              f"{media_paths_from_col_path(str(path))[0]} ({first_line(error)}); check that "
                              "folder, or move what is in its way") from None
    try:
        yield col
    finally:
        with suppress(DBError):  # a full disk can refuse the last checkpoint; the open error said so
            col.close()


def collection_error(path: Path, error: Exception, doing: str) -> CollectionError:
    """Anki's database error as one sentence that says what to do."""
    text = str(error)
    if any(sign in text for sign in ("DiskFull", "disk is full", "No space left", "StorageFull")):
        return CollectionError(f"{path}: the disk is full; free some space and run again "
                               "(the collection is as it was before this step)")
    if "ReadOnly" in text or "readonly" in text or "CannotOpen" in text:
        return CollectionError(f"{path}: the collection cannot be written (read-only?); make it and its folder "
                               "writable and run again")
    return CollectionError(f"{path}: {doing} ({first_line(error)}); check the file, or restore it from a "
                           "backup in Anki")


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def database(col: Collection) -> Any:
    assert col.db is not None, "the collection is open"
    return col.db


class NewCollection(NamedTuple):
    """A collection path as it was just before it was opened: whether the collection is new, and which of the
    files Anki keeps beside it, and of the folders above it, were missing (only those may be removed again)."""

    path: Path
    is_new: bool
    missing: tuple[Path, ...]  # in the order they can be removed: files, then folders from the deepest up

    @classmethod
    def before_opening(cls, path: Path) -> NewCollection:
        """Look now, right before the open. A dangling link stays (it is someone's), but the file Anki makes
        where it leads is new, and SQLite names its journal after that file."""
        media_folder, media_db = map(Path, media_paths_from_col_path(str(path)))  # named as Anki names them
        if path.exists():
            return cls(path, False, ())
        made = Path(os.path.realpath(path)) if path.is_symlink() else path
        beside = (made.with_name(made.name + "-wal"), made.with_name(made.name + "-shm"), media_db, media_folder)
        above = []  # the folders the open makes for it (`--create` into a folder that does not exist yet)
        folder = path.parent
        while not _there(folder) and folder != folder.parent:
            above.append(folder)
            folder = folder.parent
        return cls(path, True, tuple(p for p in (made, *beside) if not _there(p)) + tuple(above))

    def remove(self) -> None:
        """Remove what opening made, once it is closed: the collection, the files that were missing before and
        the folders made for it.

        Nothing that was there is touched; a folder only goes when empty,
        and a file that cannot be removed stays (the sync's own error is the
        one to report).
        """
        for made in self.missing:
            with suppress(OSError):
                if made.is_dir() and not made.is_symlink():
                    made.rmdir()  # only when empty
                else:
                    made.unlink(missing_ok=True)


def _there(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def still_empty(col: Collection) -> bool:
    """The collection is open and holds no card (False when that cannot be read: then it is kept)."""
    try:
        return col.db is not None and is_empty(col)
    except Exception:  # any doubt keeps the collection
        return False


def is_empty(col: Collection) -> bool:
    return not database(col).scalar("SELECT 1 FROM cards LIMIT 1")


def never_synced(col: Collection) -> bool:
    """True for a collection that has never been synced with a server."""
    return bool(database(col).scalar("SELECT ls FROM col") == 0)


# --- backups ------------------------------------------------------------------------------

def make_backup(col: Collection, path: Path) -> Path:
    """Anki's own backup of the collection, in the profile's backup folder; returns the new file.

    The collection is copied through its open connection into a temporary
    folder (so its lock is kept; see the module's docstring), and Anki's
    backup function packs the copy into the backup folder and thins old
    backups as Anki does. If that fails (a full disk), the half-written file
    is removed: the backup folder never holds a truncated backup.
    """
    folder = path.parent / BACKUPS
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise _backup_error(folder, error) from None
    before = set(folder.glob("backup-*.colpkg"))
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX) as scratch:
        copy = Path(scratch) / "collection.anki2"
        try:
            database(col).execute("VACUUM INTO ?", str(copy))
        except DBError as error:
            raise collection_error(Path(scratch), error, "the collection could not be copied for its backup") \
                from None
        try:
            snapshot = Collection(str(copy))
            try:
                with _quiet_stderr():  # Anki's zip writer says so on its own when a write fails
                    snapshot.create_backup(backup_folder=str(folder), force=True, wait_for_completion=True)
            finally:
                snapshot.close()
        except (DBError, BackendIOError, OSError) as error:
            for partial in set(folder.glob("backup-*.colpkg")) - before:
                partial.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise _backup_error(folder, error) from None
            raise collection_error(folder, error, "the backup failed") from None
    made = sorted(set(folder.glob("backup-*.colpkg")) - before, key=lambda p: p.stat().st_mtime_ns)
    if not made:  # Anki's backup names have one-second resolution: this second's backup was replaced
        made = sorted(folder.glob("backup-*.colpkg"), key=lambda p: p.stat().st_mtime_ns)
    return made[-1]


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Hold back what native code writes to standard error; let it out unless the block fails."""
    try:
        saved = os.dup(2)
    except OSError:  # no standard error at all
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
            held.seek(0)
            os.write(saved, held.read())
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _backup_error(folder: Path, error: OSError) -> CollectionError:
    otherwise = (f"no backup could be made ({error.strerror or error}), so the collection was not changed; "
                 "make the folder writable and run again")
    return CollectionError(f"{folder}: " + os_reason(
        error, "run again", so=", so no backup could be made and the collection was not changed", otherwise=otherwise))


# --- notes, note types and settings --------------------------------------------------------

class NoteIndex(NamedTuple):
    """Where each note is: GUID → (id, note type, mtime). Anki has no index on GUIDs, so this is read whole,
    once (a tenth of a second for 32,000 notes), and each note's fields then by id."""

    by_guid: dict[str, tuple[int, int, int]]

    @classmethod
    def read(cls, col: Collection) -> NoteIndex:
        return cls({guid: (note_id, mid, mtime)
                    for guid, note_id, mid, mtime in database(col).all("SELECT guid, id, mid, mod FROM notes")})

    def note_type(self, guid: str) -> int | None:
        found = self.by_guid.get(guid)
        return found[1] if found else None


def kind_of(note_type: int | None) -> CardKind | None:
    """The kind of cards' note type with this id; None for any other note type (the user's), or none."""
    return _KINDS.get(note_type) if note_type is not None else None


def notes_by_guid(col: Collection, index: NoteIndex, guids: Iterable[str]) -> dict[str, CollectionNote]:
    """The collection's notes with these GUIDs, whatever their note type."""
    where = {index.by_guid[guid][0]: guid for guid in guids if guid in index.by_guid}
    ids = list(where)
    found: dict[str, CollectionNote] = {}
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        rows = database(col).all(
            f"SELECT id, mid, mod, flds, tags FROM notes WHERE id IN ({','.join('?' * len(batch))})", *batch)
        for note_id, mid, mtime, fields, tags in rows:
            guid = where[note_id]
            found[guid] = CollectionNote(note_id, guid, mid, mtime, tuple(fields.split(FIELD_SEPARATOR)),
                                         tuple(tags.split()))
    return found


def changed_note_types(col: Collection) -> dict[CardKind, str]:
    """cards' note types whose fields or templates were changed in Anki, with what changed.

    Anki's importer compares exactly this (field names, then template names,
    in order) and makes a copy of a note type ("Name+") that differs, so
    that none of its notes updates any more.
    """
    changed = {}
    for kind, note_type in NOTE_TYPES.items():
        found = col.models.get(note_type.model_id)  # type: ignore[arg-type]
        if found is None:
            continue
        fields = tuple(field["name"] for field in found["flds"])
        templates = tuple(template["name"] for template in found["tmpls"])
        if fields != note_type.fields:
            changed[kind] = _difference("field", note_type.fields, fields)
        elif templates != (note_type.template,):
            changed[kind] = _difference("card type", (note_type.template,), templates)
    return changed


def _difference(what: str, ours: tuple[str, ...], theirs: tuple[str, ...]) -> str:
    added = [name for name in theirs if name not in ours]
    removed = [name for name in ours if name not in theirs]
    parts = [f"{what} {name!r} added" for name in added] + [f"{what} {name!r} removed" for name in removed]
    return ", ".join(parts) or f"{what}s renamed or reordered"


def note_type_name(col: Collection, kind: CardKind) -> str:
    """The note type's name in this collection (users may rename it)."""
    found = col.models.get(NOTE_TYPES[kind].model_id)  # type: ignore[arg-type]
    return str(found["name"]) if found else NOTE_TYPES[kind].name


def config_with_prefix(col: Collection, prefix: str) -> dict[str, Any]:
    """Every setting whose key starts with `prefix`."""
    return {key: value for key, value in col.all_config().items() if key.startswith(prefix)}


def get_config(col: Collection, key: str, default: Any) -> Any:
    """A setting of the collection's, or `default` when it has none."""
    return col.get_config(key, default)


def set_config(col: Collection, values: dict[str, Any]) -> None:
    try:
        for key, value in values.items():
            col.set_config(key, value)
    except DBError as error:
        raise collection_error(Path(col.path), error, "cards could not record what it delivered") from None


def import_package(col: Collection, package: Path, update_always: bool) -> Any:
    """Import an .apkg as Anki's File → Import does; `update_always` updates its notes whatever their mtime."""
    condition = (ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS if update_always
                 else ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER)
    request = ImportAnkiPackageRequest(
        package_path=str(package),
        options=ImportAnkiPackageOptions(with_scheduling=False, update_notes=condition),
    )
    try:
        log = col.import_anki_package(request).log
    except DBError as error:
        raise collection_error(Path(col.path), error, "the import failed") from None
    col.models._clear_cache()
    return log


def remove_notes(col: Collection, note_ids: Iterable[int]) -> None:
    col.remove_notes([NoteId(note_id) for note_id in note_ids])


class NoteSummary(NamedTuple):
    """A note of cards' in words: its kind, its episode's title and its key point, as plain text."""

    kind: CardKind
    episode: str
    key_point: str


# Each note type's field that holds the key point, and the field that holds the source line.
_KEY_POINT_FIELD = {CardKind.CLOZE: "Text", CardKind.QA: "KeyPoint"}
_SOURCE_FIELD = "Source"
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::[^{}]*?)?\}\}", re.S)
_EPISODE = re.compile(r'<span class="episode">(.*?)</span>', re.S)


def describe(note: CollectionNote, kind: CardKind) -> NoteSummary:
    """A note of cards' note type `kind`, in words: the key point without its cloze deletions or markup.

    Read from the note's fields by name; a note whose fields the user
    rearranged in Anki reads as well as it can.
    """
    fields = dict(zip(NOTE_TYPES[kind].fields, note.fields, strict=False))
    episode = _EPISODE.search(fields.get(_SOURCE_FIELD, ""))
    return NoteSummary(kind, plain_text(episode.group(1)) if episode else "",
                       plain_text(_CLOZE.sub(r"\1", fields.get(_KEY_POINT_FIELD[kind], ""))))


def plain_text(field: str) -> str:
    """A field's HTML as the text a reader sees, on one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", field)).split())
