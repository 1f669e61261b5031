"""The one exception family: every message is written for the user.

Each error says what went wrong, names the file or folder, and says what to
do. `UsageError`s are mistakes in how cards was called (exit code 2); every
other `CardsError` stops a run that could not be finished (exit code 1).
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from cards import __version__


class CardsError(Exception):
    """Base class of every error cards reports to its user."""


class UsageError(CardsError):
    """The command was called with something it cannot use (exit code 2)."""


class ConfigError(UsageError):
    """The configuration file cannot be used (exit code 2, as a wrong flag would be)."""

    def __init__(self, path: Path, reason: str):
        self.path = path
        super().__init__(f"{path}: {reason}")


class NoNotesError(CardsError):
    """No note file at all where cards was told to look: nothing is built, the state is left as it is."""

    def __init__(self, roots: list[Path]):
        self.roots = roots
        places = ", ".join(str(root) for root in roots)
        super().__init__(f"no Snipd notes in {places}: there is no .md, .markdown or .txt file there; name the folder "
                         "your Snipd notes are exported to (or run cards init)")


class NoSnipdNotesError(CardsError):
    """Note files where cards looked, but not one Snipd note among them: the build ran, and says where it looked."""

    def __init__(self, roots: list[Path], others: int):
        self.roots = roots
        self.others = others
        places = ", ".join(str(root) for root in roots)
        found = ("the one note file there is not one" if others == 1 else
                 f"none of the {others} note files there is one" if others else "no note file there could be read")
        super().__init__(f"no Snipd notes in {places}: {found}; name the folder your Snipd notes are exported to "
                         "(or run cards init)")


class SourceError(CardsError):
    """A source file that cannot be read; the build goes on without it."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None):
        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else f"{self.path}"
        super().__init__(f"{where}: {reason}")


class MissingPathError(UsageError):
    """A path named on the command line does not exist."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        super().__init__(f"{self.path}: no such file or folder")


class OutputError(CardsError):
    """The output folder cannot be used or written."""

    def __init__(self, path: Path, error: OSError | str):
        reason = error if isinstance(error, str) else os_reason(error)
        super().__init__(f"{path}: {reason}")


class StateError(CardsError):
    """The build state could not be read or saved; the packages on disk stay as they were."""

    def __init__(self, path: Path, error: sqlite3.Error | str):
        text = str(error)
        if isinstance(error, str):
            reason = text
        elif "full" in text:
            reason = "could not be saved: the disk is full. Free some space and build again"
        elif "readonly" in text or "unable to open" in text or "read-only" in text:
            reason = "cannot be written (read-only folder?). Choose another --out folder or make it writable"
        else:
            reason = f"could not be used ({text}). Build again; if this persists, move the file aside"
        super().__init__(f"{path}: {reason}")


class NewerStateError(CardsError):
    """The build state was written by a newer cards: it is left exactly as it is."""

    def __init__(self, path: Path, written_by: str | None, state_format: str):
        writer = f"cards {written_by}" if written_by else f"a newer cards (state format {state_format})"
        super().__init__(
            f"{path}: was written by {writer}, which this cards ({__version__}) cannot read; nothing was changed: "
            "upgrade cards (pip install --upgrade snipcards), or choose another --out folder"
        )


class BusyError(CardsError):
    """Another build is writing into the same output folder."""

    def __init__(self, out: Path, waited: float):
        super().__init__(
            f"{out}: another cards build is writing into this folder (waited {waited:g} s); "
            "let it finish and run again"
        )


class InterruptedBuild(CardsError):
    """The user stopped the build (Ctrl-C)."""

    def __init__(self) -> None:
        super().__init__("interrupted: nothing is lost; the next build finishes the work")


def os_reason(error: OSError, then: str = "build again", *, so: str = "", otherwise: str | None = None) -> str:
    """An OSError in words a user can act on.

    A full disk reads "the disk is full{so}; free some space and {then}"
    (without `then`, "...; free some space"): `so` says what it prevented,
    `then` what to do once there is room. Any other error reads `otherwise`,
    the caller's own sentence for it, when there is one.
    """
    if error.errno == errno.ENOSPC:
        return f"the disk is full{so}; free some space" + (f" and {then}" if then else "")
    if otherwise is not None:
        return otherwise
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "cannot be written (read-only or no permission); choose another --out folder or make it writable"
    return _IN_THE_WAY.get(error.errno or 0) or f"{error.strerror or error}"


# What stands where cards writes: the sentence says what to move.
_IN_THE_WAY = {
    errno.EISDIR: "is a folder, where cards writes a file; move the folder away and run again",
    errno.EEXIST: "a file stands where cards makes a folder; move the file away and run again",
    errno.ENOTDIR: "a file stands where cards makes a folder; move the file away and run again",
    errno.ELOOP: "a symbolic link on the way leads round in a loop; remove it and run again",
    errno.ENAMETOOLONG: "the name is too long for the file system; choose a shorter path",
}


# --- `cards sync`: the collection and the sync server -------------------------------

class CollectionBusyError(CardsError):
    """Another program (Anki) has the collection open."""

    def __init__(self, path: Path):
        super().__init__(f"{path}: Anki, or another program, has this collection open (another cards sync?); "
                         "close it and run again")


class NoCollectionError(CardsError):
    """No Anki profile, or not the one named, in Anki's data folder."""


class CollectionError(CardsError):
    """The collection (or the folder beside it) cannot be opened, read or written."""


class SyncServerError(CardsError):
    """The sync server could not be reached, or did not accept the login or the sync."""

    def __init__(self, message: str, rejected_login: bool = False):
        self.rejected_login = rejected_login
        super().__init__(message)
