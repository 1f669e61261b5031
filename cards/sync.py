"""`cards sync`: new and changed notes straight into the Anki collection a user studies.

    open the collection → back it up → build → (sync with a server) → import
    what this collection has not received → (prune) → (sync with a server)

Everything that touches the collection goes through Anki's own engine (the
`anki` package): its importer (the rules of File → Import), its backup, its
note deletion and its sync client. What cards delivered to each collection
is remembered in the build state, so a sync imports every note that is new
or changed since cards last synced *that* collection, however many builds
came in between.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anki.collection import Collection  # first: Anki's other modules need it loaded
from anki.errors import DBError, NetworkError, SyncError, SyncErrorKind
from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.notes import NoteId
from anki.sync_pb2 import SyncAuth
from anki.sync_pb2 import SyncCollectionResponse as Response

from cards.build import BuildReport, build
from cards.errors import CardsError, UsageError
from cards.model import CardKind
from cards.notetypes import NOTE_TYPES
from cards.package import DeckSelection, write_from_state
from cards.state import STATE_FILE, State

if TYPE_CHECKING:
    from collections.abc import Iterator

SESSION_FILE = ".cards-sync-session.json"
PASSWORD_VARIABLE = "CARDS_SYNC_PASSWORD"
NOTE_TYPE_IDS = frozenset(NOTE_TYPES[kind].model_id for kind in CardKind)


class CollectionBusyError(CardsError):
    def __init__(self, path: Path):
        super().__init__(f"{path}: Anki has this collection open; close Anki and run again")


class NoCollectionError(CardsError):
    pass


class SyncServerError(CardsError):
    """The sync server could not be reached, or did not accept the login or the sync."""

    def __init__(self, message: str, rejected_login: bool = False):
        self.rejected_login = rejected_login
        super().__init__(message)


@dataclass(frozen=True)
class SyncOptions:
    """What `cards sync` was asked to do."""

    collection: Path | str | None = None
    profile: str | None = None
    server: str | None = None
    user: str | None = None
    prune: bool = False
    dry_run: bool = False
    replace_server: bool = False


@dataclass
class SyncReport:
    """What a sync did, as Anki reported it."""

    build: BuildReport
    collection: Path
    created: bool = False
    backup: Path | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    to_import: int = 0
    vanished: list[str] = field(default_factory=list)
    pruned: int = 0
    server: list[str] = field(default_factory=list)
    dry_run: bool = False


Ask = Callable[[list[str]], bool]


def sync(paths: Sequence[Path | str], out: Path | str, options: SyncOptions, *,
         password: Callable[[], str] = lambda: "", confirm_prune: Ask = lambda titles: False,
         progress: Any = None) -> SyncReport:
    """Build `paths` into `out`, then bring every note the collection lacks into it."""
    target = find_collection(options)
    _check_server_options(options)
    created = not target.exists()
    if created and options.collection is None:
        raise NoCollectionError(f"{target}: no such collection")
    with open_collection(target) as col:
        backup = None if created or options.dry_run else make_backup(col, target)
        with _built(paths, out, options.dry_run, progress) as (folder, report), closing(State(folder)) as state:
            result = SyncReport(report, target, created=created, backup=backup, dry_run=options.dry_run)
            auth = None
            if options.server and not options.dry_run:
                auth = _login(col, target, options, password)
                result.server.append(_sync_with_server(col, auth, options, target, state, first=True))
            _deliver(col, state, target, result, options.dry_run)
            if options.prune:
                _prune(col, state, target, result, options.dry_run, confirm_prune)
            if auth is not None:
                result.server.append(_sync_with_server(col, auth, options, target, state, first=False))
    return result


# --- finding and opening the collection ------------------------------------------

def anki_base() -> Path:
    """Anki desktop's data folder on this system (ANKI_BASE, as Anki itself, overrides it)."""
    if os.environ.get("ANKI_BASE"):
        return Path(os.environ["ANKI_BASE"]).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "Anki2"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Anki2"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "Anki2"


def find_collection(options: SyncOptions) -> Path:
    """`--collection`, else the collection of the only (or the named) Anki profile."""
    if options.collection is not None:
        if os.fspath(options.collection) == "":
            raise UsageError("--collection is empty: name an Anki collection file (collection.anki2)")
        path = Path(options.collection).expanduser()
        if path.is_dir():
            raise UsageError(f"{path}: --collection names a folder; name the collection file (collection.anki2)")
        return path.absolute()
    base = anki_base()
    profiles = sorted(p.parent.name for p in base.glob("*/collection.anki2"))
    if options.profile is not None:
        if options.profile not in profiles:
            raise NoCollectionError(f"{base}: no Anki profile named {options.profile!r} (found: "
                                    f"{', '.join(profiles) or 'none'})")
        return (base / options.profile / "collection.anki2").absolute()
    if not profiles:
        raise NoCollectionError(f"{base}: no Anki profile found; open Anki once, or name a collection "
                                "with --collection FILE")
    if len(profiles) > 1:
        raise NoCollectionError(f"{base}: several Anki profiles ({', '.join(profiles)}); choose one with --profile")
    return (base / profiles[0] / "collection.anki2").absolute()


@contextmanager
def open_collection(path: Path) -> Iterator[Collection]:
    """The collection, open in this process only; a clear error when Anki holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        col = Collection(str(path))
    except DBError as error:
        if "already open" in str(error):
            raise CollectionBusyError(path) from None
        raise CardsError(f"{path}: Anki cannot open this collection ({_first_line(error)}); "
                         "check the file, or restore it from a backup in Anki") from None
    try:
        yield col
    finally:
        col.close()


def make_backup(col: Collection, path: Path) -> Path | None:
    """Anki's own backup, in the profile's backup folder; the newest backup there."""
    folder = path.parent / "backups"
    folder.mkdir(exist_ok=True)
    col.create_backup(backup_folder=str(folder), force=True, wait_for_completion=True)
    backups = sorted(folder.glob("backup-*.colpkg"), key=lambda p: p.stat().st_mtime_ns)
    return backups[-1] if backups else None


@contextmanager
def _built(paths: Sequence[Path | str], out: Path | str, dry_run: bool,
           progress: Any) -> Iterator[tuple[Path, BuildReport]]:
    """Build as `cards build` does; a dry run builds into a throwaway copy of the state."""
    if not dry_run:
        yield Path(out).expanduser(), build(paths, out, progress=progress)
        return
    with tempfile.TemporaryDirectory(prefix="cards-dry-run-") as scratch:
        folder = Path(scratch)
        state = Path(out).expanduser() / STATE_FILE
        if state.exists():
            shutil.copy2(state, folder / STATE_FILE)
        yield folder, build(paths, folder, progress=progress)


# --- importing -----------------------------------------------------------------------

def _deliver(col: Collection, state: State, target: Path, result: SyncReport, dry_run: bool) -> None:
    """Import every note this collection has not received in its current version."""
    delivered = state.synced_to(str(target))
    waiting = {guid: version for guid, version in state.note_versions().items()
               if delivered.get(guid) != version.mtime}
    result.to_import = len(waiting)
    if dry_run or not waiting:
        return
    log = _import_notes(col, state, waiting)
    result.added, result.updated, result.unchanged = len(log.new), len(log.updated), len(log.duplicate)
    state.record_synced(str(target), {guid: version.mtime for guid, version in waiting.items()})
    state.commit()


def _import_notes(col: Collection, state: State, waiting: dict) -> Any:
    """Write the waiting notes into one package, each in its episode's deck, and import it as Anki does."""
    episodes = state.known().episodes
    by_episode: dict[str, set[str]] = {}
    for guid, version in waiting.items():
        by_episode.setdefault(version.episode, set()).add(guid)
    decks = tuple(DeckSelection(episodes[key].deck, (key,), guids=frozenset(guids))
                  for key, guids in sorted(by_episode.items()))
    notetype_mtime = int(state.meta("notetype_mtime") or 0)
    newest = max([notetype_mtime, *(v.mtime for v in waiting.values())])
    with tempfile.TemporaryDirectory(prefix="cards-sync-") as scratch:
        package = Path(scratch) / "sync.apkg"
        write_from_state(package, state.path, decks, notetype_mtime, newest, len(waiting))
        request = ImportAnkiPackageRequest(package_path=str(package),
                                           options=ImportAnkiPackageOptions(with_scheduling=False))
        log = col.import_anki_package(request).log
    col.models._clear_cache()
    return log


def _prune(col: Collection, state: State, target: Path, result: SyncReport, dry_run: bool, confirm: Ask) -> None:
    """Delete the notes cards delivered here whose snips are gone, after a confirmation."""
    current = state.note_versions()
    gone = [guid for guid in state.synced_to(str(target)) if guid not in current]
    notes = _cards_notes(col, gone)
    result.vanished = [_describe(col, note_id) for note_id in notes.values()]
    if dry_run or not notes or not confirm(result.vanished):
        return
    col.remove_notes([NoteId(note_id) for note_id in notes.values()])
    state.forget_synced(str(target), gone)
    state.commit()
    result.pruned = len(notes)


def _database(col: Collection) -> Any:
    assert col.db is not None, "the collection is open"
    return col.db


def _cards_notes(col: Collection, guids: list[str]) -> dict[str, int]:
    """GUID → note id of those notes that cards made (by GUID and by note type)."""
    found = {}
    for guid in guids:
        row = _database(col).first("SELECT id, mid FROM notes WHERE guid = ?", guid)
        if row and row[1] in NOTE_TYPE_IDS:
            found[guid] = row[0]
    return found


def _describe(col: Collection, note_id: int) -> str:
    note = col.get_note(NoteId(note_id))
    return f"{note.fields[0][:80]}"


# --- the sync server -------------------------------------------------------------------

def _check_server_options(options: SyncOptions) -> None:
    if options.server and not options.user:
        raise UsageError("--server needs --user NAME (your account on that sync server)")
    if (options.user or options.replace_server) and not options.server:
        raise UsageError("--user and --replace-server go with --server URL")


def _session_file(target: Path) -> Path:
    return target.parent / SESSION_FILE


def _login(col: Collection, target: Path, options: SyncOptions, password: Callable[[], str]) -> Any:
    """A session key for this server and user: the one kept from last time, else a new login.

    Only the key Anki returns is kept (in a file only the user can read); the
    password never is.
    """
    endpoint = _endpoint(options.server or "")
    kept = _read_session(_session_file(target))
    if kept.get("endpoint") == endpoint and kept.get("user") == options.user and kept.get("hkey"):
        return SyncAuth(hkey=kept["hkey"], endpoint=endpoint)
    secret = os.environ.get(PASSWORD_VARIABLE) or password()
    auth = _server_call(endpoint, lambda: col.sync_login(options.user or "", secret, endpoint))
    _write_session(_session_file(target), {"endpoint": endpoint, "user": options.user, "hkey": auth.hkey})
    return auth


def _endpoint(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _read_session(path: Path) -> dict:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _write_session(path: Path, session: dict) -> None:
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(session, out)
    os.chmod(path, 0o600)


def _server_call(endpoint: str, call: Callable[[], Any]) -> Any:
    """Anki's sync errors, as one sentence for the user."""
    try:
        return call()
    except SyncError as error:
        if error.kind is SyncErrorKind.AUTH:
            raise SyncServerError(f"{endpoint}: the sync server did not accept the user name or password; "
                                  f"check them (or {PASSWORD_VARIABLE}) and run again", rejected_login=True) from None
        raise SyncServerError(f"{endpoint}: the sync failed ({_first_line(error)}); run again later") from None
    except NetworkError as error:
        raise SyncServerError(f"{endpoint}: cannot reach the sync server ({_first_line(error)}); check the "
                              "address and your connection, then run again") from None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _sync_with_server(col: Collection, auth: Any, options: SyncOptions, target: Path, state: State,
                      first: bool) -> str:
    """One sync with the server; a full one only where nothing can be lost. Returns what happened."""
    endpoint = auth.endpoint
    try:
        output = _server_call(endpoint, lambda: col.sync_collection(auth, False))
    except SyncServerError as error:
        if error.rejected_login:
            _forget_session(target)  # a stale key: the next run logs in again
        raise
    required = output.required
    if required in (Response.NO_CHANGES, Response.NORMAL_SYNC):
        return "synced with the server" if first else "sent to the server"
    never_synced = _database(col).scalar("SELECT ls FROM col") == 0
    if required == Response.FULL_DOWNLOAD or (required == Response.FULL_SYNC and never_synced and first
                                              and not options.replace_server):
        _full(col, auth, output.server_media_usn, upload=False)
        state.forget_synced(str(target), None)  # the collection is now the server's: nothing delivered
        state.commit()
        return "filled from the server (full download)"
    if required == Response.FULL_UPLOAD or options.replace_server:
        _full(col, auth, output.server_media_usn, upload=True)
        return "uploaded to the server (full upload)"
    raise SyncServerError(
        f"{endpoint}: this collection and the server's have both changed in ways a normal sync cannot merge; "
        "sync in Anki to choose which to keep, or run again with --replace-server to replace the server's "
        "collection with this one"
    )


def _full(col: Collection, auth: Any, server_usn: int, upload: bool) -> None:
    col.close_for_full_sync()
    try:
        _server_call(auth.endpoint, lambda: col.full_upload_or_download(auth=auth, server_usn=server_usn,
                                                                         upload=upload))
    finally:
        col.reopen(after_full_sync=True)


def _forget_session(target: Path) -> None:
    _session_file(target).unlink(missing_ok=True)
