"""The one exception family: every message is written for the user."""

from __future__ import annotations

from pathlib import Path


class CardsError(Exception):
    """Base class of every error cards reports to its user."""


class SourceError(CardsError):
    """A source file that cannot be read; the build goes on without it."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None):
        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else f"{self.path}"
        super().__init__(f"{where}: {reason}")


class MissingPathError(CardsError):
    """A path named on the command line does not exist."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        super().__init__(f"{self.path}: no such file or folder")
