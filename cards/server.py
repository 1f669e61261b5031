"""`cards sync --server`: logging in, keeping the session key, and syncing with Anki's sync protocol.

With Anki's self-hosted server the session key is an unsalted hash of the
user name and password, so it is as good as the password: it is kept in the
system's keyring (through the `keyring` library) where one is available, and
otherwise in a file beside the collection that only the user can read.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from anki.collection import Collection
from anki.errors import NetworkError, SyncError, SyncErrorKind
from anki.sync_pb2 import SyncAuth
from anki.sync_pb2 import SyncCollectionResponse as Response

from cards.collection import first_line, is_empty, never_synced
from cards.errors import CardsError, SyncServerError, UsageError, os_reason
from cards.settings import PASSWORD_VARIABLE, server_url_problem, shown_url

T = TypeVar("T")
SESSION_FILE = ".cards-sync-session.json"
KEYRING_SERVICE = "cards sync"


class ServerOptions(NamedTuple):
    """Where to sync, as whom, and what may be replaced."""

    endpoint: str
    user: str
    replace_server: bool = False
    replace_local: bool = False


class FullSync(NamedTuple):
    """A full sync the server asks for, and whether it replaces the local collection."""

    upload: bool
    replaces_local: bool


def check_url(url: str) -> str:
    """The server's endpoint (with a final /), or a usage error for anything that is not an http(s) URL a sync can
    use (see `settings.server_url_problem`); messages show the address without a user name or password."""
    url = url.strip()  # pasted with a space or a line break around it
    problem = server_url_problem(url)
    if problem:
        raise UsageError(f"--server {shown_url(url)}: {problem}")
    return url if url.endswith("/") else url + "/"


# --- the session key --------------------------------------------------------------------

class SessionStore:
    """The session key for one server and user: in the keyring where there is one, else in a 0600 file.

    The file beside the collection holds a key for each server and user
    (`{"sessions": [{"endpoint", "user", "hkey"}, …]}`; an older file's one
    key is read too), so that two collections in one folder, or two servers
    for one collection, never overwrite each other's.
    """

    def __init__(self, collection: Path, endpoint: str, user: str):
        self.file = collection.parent / SESSION_FILE
        self.endpoint, self.user = endpoint, user
        self.account = f"{user} on {endpoint}"
        self.saved: str | None = None  # the key this run wrote into the file, if it wrote one

    def load(self) -> str | None:
        """The kept key, if any (a key kept in the file moves to the keyring, where there is one now)."""
        key = _keyring_call("get_password", KEYRING_SERVICE, self.account)
        if key and key is not _NO_KEYRING:
            return str(key)
        kept = self._kept().get((self.endpoint, self.user))
        if kept and _keyring_call("set_password", KEYRING_SERVICE, self.account, kept) is not _NO_KEYRING:
            with suppress(OSError):
                self._write(None)
        return kept

    def save(self, key: str) -> str:
        """Keep the key; says where."""
        if _keyring_call("set_password", KEYRING_SERVICE, self.account, key) is not _NO_KEYRING:
            return "keyring"
        try:
            self._write(key)
        except OSError as error:
            raise CardsError(f"{self.file}: " + os_reason(error, "run again", otherwise=(
                f"the sync server's session key cannot be kept there ({error.strerror or error}); move what is "
                "there aside and run again"))) from None
        self.saved = key
        return str(self.file)

    def forget(self) -> None:
        """Forget this server and user's key (a stale one: the next run logs in again)."""
        _keyring_call("delete_password", KEYRING_SERVICE, self.account)
        with suppress(OSError):
            self._write(None)

    def discard_saved(self) -> None:
        """Take back the key this run wrote into the file, unless another run has written another since (a sync
        that made a collection and failed leaves nothing behind)."""
        if self.saved is not None and self._kept().get((self.endpoint, self.user)) == self.saved:
            with suppress(OSError):
                self._write(None)

    def _kept(self) -> dict[tuple[str, str], str]:
        """Every key in the file, by (endpoint, user)."""
        kept = _read_json(self.file)
        sessions = kept.get("sessions")
        entries = sessions if isinstance(sessions, list) else [kept]
        return {(str(e["endpoint"]), str(e["user"])): str(e["hkey"]) for e in entries
                if isinstance(e, dict) and e.get("endpoint") and e.get("user") is not None and e.get("hkey")}

    def _write(self, key: str | None) -> None:
        """The file with this server and user's key set to `key` (or taken out, for None), the others kept;
        written whole and renamed into place, readable by its owner only; removed when no key is left."""
        kept = self._kept()
        if key is None and (self.endpoint, self.user) not in kept:
            return
        kept.pop((self.endpoint, self.user), None)
        if key is not None:
            kept[(self.endpoint, self.user)] = key
        if not kept:
            Path(os.path.realpath(self.file)).unlink(missing_ok=True)
            return
        sessions = [{"endpoint": endpoint, "user": user, "hkey": hkey} for (endpoint, user), hkey in kept.items()]
        real = Path(os.path.realpath(self.file))  # a link to it stays a link
        fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f"{SESSION_FILE}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp makes it 0600
                json.dump({"sessions": sessions}, out)
            os.replace(tmp, real)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise


_NO_KEYRING = object()


def _keyring_call(name: str, *args: str) -> Any:
    """A call into the system keyring; `_NO_KEYRING` where there is none (or it refuses)."""
    import keyring  # only `cards sync --server` needs it
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        return getattr(keyring, name)(*args)
    except PasswordDeleteError:
        return None
    except (KeyringError, RuntimeError, OSError):
        return _NO_KEYRING


def _read_json(path: Path) -> dict:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return {}


def read_password(ask: Callable[[], str]) -> str:
    """The password: CARDS_SYNC_PASSWORD, else asked for (the caller says what happens at EOF)."""
    return os.environ.get(PASSWORD_VARIABLE) or ask()


def login(col: Collection, server: ServerOptions, session: SessionStore, key: str | None, password: str | None) -> Any:
    """The kept session key, or a new one from the password (then kept)."""
    if key:
        return SyncAuth(hkey=key, endpoint=server.endpoint)
    auth = server_call(col, server.endpoint, lambda: col.sync_login(server.user, password or "", server.endpoint),
                       first=True)
    session.save(auth.hkey)
    return auth


def server_call(col: Collection, endpoint: str, call: Callable[[], T], first: bool = False) -> T:
    """`call`, a request to the server through `col`, given up at once on Ctrl-C; Anki's sync errors as one
    sentence for the user. `first`: the run's first request to the server (the login, unless a key was kept)."""
    try:
        return interruptible(call, col.abort_sync)
    except SyncError as error:
        if error.kind is SyncErrorKind.AUTH:
            raise SyncServerError(f"{endpoint}: the sync server did not accept the user name or password; "
                                  f"check them (or {PASSWORD_VARIABLE}) and run again", rejected_login=True) from None
        raise _failed(endpoint, first_line(error), first) from None
    except NetworkError as error:
        answered = _HTTP_STATUS.search(str(error))  # Anki calls an answer such as 404 `a network error` too
        if answered:
            raise _failed(endpoint, f"HTTP {answered[1]}", first) from None
        raise SyncServerError(f"{endpoint}: cannot reach the sync server ({first_line(error)}); check the "
                              "address and your connection, then run again") from None


_HTTP_STATUS = re.compile(r"HTTP status [\w ]*error \(([^)]+)\)")


def _failed(endpoint: str, reason: str, first: bool) -> SyncServerError:
    """A request the server answered, but not as a sync server does."""
    if first:  # a web server that is no sync server fails here, and Anki's words for it mislead (`Your Anki
        # version is too old`, `missing original size`, `a network error`)
        return SyncServerError(f"{endpoint}: this does not answer as an Anki sync server ({reason}); check the "
                               "address given with --server, or if it is your sync server, run again later")
    return SyncServerError(f"{endpoint}: the sync failed ({reason}); run again later")


def interruptible(call: Callable[[], T], abort: Callable[[], None]) -> T:
    """`call()`, run in a thread of its own so that Ctrl-C (or SIGTERM) is handled at once.

    While Anki's backend waits for a server, the thread that called it sees no
    signal: Ctrl-C waited for the server's answer, or for Anki's 30-second
    timeout. On an interrupt, `abort` tells Anki to give the request up (as
    its own Cancel button does); the interrupt goes on once the call has
    ended, so the collection is closed by nobody else meanwhile.
    """
    outcome: list[Any] = []
    # Events, not `Thread.join`: interrupted, join may report a running thread ended (bpo-45274)
    started, ended = threading.Event(), threading.Event()

    def run() -> None:
        started.set()
        try:
            outcome.append((True, call()))
        except BaseException as error:  # handed to the caller, whatever it is
            outcome.append((False, error))
        finally:
            ended.set()

    try:
        threading.Thread(target=run, name="sync request", daemon=True).start()
        while not ended.wait(0.1):  # a wait that a signal interrupts, unlike the backend's
            pass
    except KeyboardInterrupt:
        if started.wait(1):  # else the interrupt came before the thread could start: no request was made
            abort()
            ended.wait()
        raise
    returned, value = outcome[0]
    if returned:
        return value
    raise value


# --- syncing ------------------------------------------------------------------------------

def start_sync(col: Collection, auth: Any, server: ServerOptions, session: SessionStore,
               first_request: bool = False) -> tuple[Any, FullSync | None]:
    """A normal sync; when the server asks for a full one, which one (not done yet: see `full_sync`).
    `first_request`: the run's first request to the server (a kept key made no login)."""
    try:
        output = server_call(col, server.endpoint, lambda: col.sync_collection(auth, False), first=first_request)
    except SyncServerError as error:
        if error.rejected_login:
            session.forget()  # a stale key: the next run logs in again
        raise
    return output, _full_sync_needed(col, output.required, server)


def _full_sync_needed(col: Collection, required: Any, server: ServerOptions) -> FullSync | None:
    """Which full sync to make, only where nothing the user has is lost without their explicit choice."""
    if required in (Response.NO_CHANGES, Response.NORMAL_SYNC):
        return None
    if required == Response.FULL_DOWNLOAD and is_empty(col):
        return FullSync(upload=False, replaces_local=False)  # a new collection: the server's cards fill it
    if required == Response.FULL_UPLOAD:
        return FullSync(upload=True, replaces_local=False)  # an empty server: nothing there to lose, or to take
    if server.replace_local:
        return FullSync(upload=False, replaces_local=True)
    if server.replace_server:
        return FullSync(upload=True, replaces_local=False)
    if never_synced(col):
        raise SyncServerError(
            f"{Path(col.path)}: this collection has notes that the server at {server.endpoint} does not have, and "
            "the server has its own; they cannot be merged, so choose: run again with --replace-local to replace "
            "this collection with the server's, or with --replace-server to replace the server's with this one")
    raise SyncServerError(
        f"{server.endpoint}: this collection and the server's have both changed in ways a normal sync cannot "
        "merge; sync in Anki to choose which to keep, or run again with --replace-server to replace the "
        "server's collection with this one, or with --replace-local to replace this one with the server's")


def full_sync(col: Collection, auth: Any, output: Any, full: FullSync) -> str:
    """Make the full sync; returns what happened, for the summary.

    Anki closes the collection for the transfer and reopens it after.
    """
    col.close_for_full_sync()
    try:
        server_call(col, auth.endpoint, lambda: col.full_upload_or_download(
            auth=auth, server_usn=output.server_media_usn, upload=full.upload))
    finally:
        col.reopen(after_full_sync=True)
    if full.upload:
        return "uploaded to the server (full upload)"
    if full.replaces_local:
        return "replaced by the server's collection (full download, --replace-local)"
    return "filled from the server (full download)"
