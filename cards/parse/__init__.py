"""Read snip notes of any shape into the model.

Each shape is a module with `looks_like(source)` and `parse(source)`; a new
shape plugs in by joining `SHAPES`, nothing else changes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from cards.errors import SourceError
from cards.model import Level, ParsedFile, Problem, Shape
from cards.parse import legacy, plugin, quote_post
from cards.parse.text import read_source

# Order matters: the most specific signatures are tried first.
SHAPES = {
    Shape.LEGACY: legacy,
    Shape.PLUGIN: plugin,
    Shape.QUOTE_POST: quote_post,
}

SUFFIXES = (".md", ".markdown", ".txt")


def detect_shape(source) -> Shape | None:
    """The shape a decoded file is in, or None when it is no snip note."""
    for shape, module in SHAPES.items():
        if module.looks_like(source):
            return shape
    return None


def parse_file(path: Path, raw: bytes | None = None) -> ParsedFile:
    """Parse one file (or its bytes); every problem is reported, none is raised.

    A file that is not a Snipd note gives no episode, and no problem.
    """
    try:
        source = read_source(path, raw)
    except SourceError as error:
        return ParsedFile(path, (), (Problem(path, error.reason, error.line, Level.ERROR),))
    # An empty file, or one in no shape of Snipd's, is no problem, nor is how it is encoded: a vault is full of
    # other notes. It gives no episode, and the build counts it (and lists it when asked).
    shape = detect_shape(source) if source.body.strip() or source.meta else None
    if shape is None:
        return ParsedFile(path)
    problems = list(source.problems)
    try:
        episodes, found = SHAPES[shape].parse(source)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError) as error:
        # A parser bug must not stop the whole build: report it against the file.
        message = f"could not be read as a {shape.value} note ({type(error).__name__}: {error})"
        return ParsedFile(path, (), (*problems, Problem(path, message, None, Level.ERROR)))
    problems.extend(found)
    if not any(episode.snips for episode in episodes):
        problems.append(Problem(path, "has no snips; nothing to build"))
    return ParsedFile(path, tuple(episodes), tuple(problems))


def is_snipd_note(path: Path, head: int = 64 * 1024) -> bool:
    """Whether a file looks like a Snipd note, from its beginning (to suggest folders; a build reads it all)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(head)
        return detect_shape(read_source(path, raw)) is not None
    except (OSError, SourceError):
        return False


class Scan(NamedTuple):
    """The note files a build reads, in a stable order, and what was passed over."""

    sources: tuple[Path, ...]
    problems: tuple[Problem, ...] = ()
    unreadable: tuple[Path, ...] = ()  # folders whose notes were not seen, not gone


def find_sources(paths: list[Path]) -> Scan:
    """Every note file under `paths`, folders searched recursively.

    Only regular files are read (a FIFO would hang the build and a device
    never ends); a file named twice, however it was typed, is read once; a
    name that is not UTF-8 cannot be shown or stored and is skipped.
    """
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    unreadable: list[Path] = []
    for path in paths:
        if path.is_dir():
            candidates = _walk(path, problems, unreadable)
        elif path.is_file():
            candidates = [path]
        else:
            problems.append(Problem(path, "is not a regular file; skipped", None, Level.ERROR))
            continue
        for candidate in candidates:
            if not _utf8_name(candidate):
                problems.append(Problem(Path(printable(candidate)),
                                        "has a file name that is not UTF-8; rename it to build it"))
            else:
                found.setdefault(os.path.abspath(candidate), candidate)
    return Scan(tuple(found.values()), tuple(problems), tuple(unreadable))


def _walk(folder: Path, problems: list[Problem], unreadable_folders: list[Path]) -> list[Path]:
    """Note files under `folder`, sorted; folders that cannot be read are reported.

    A folder's listing says which entries are regular files, so no file is
    asked again (a stat each, 5 ms for a library of a thousand); only a
    symbolic link is followed to see what it names. Links to folders are not
    entered, as `os.walk` does not. The walk keeps its own stack of listings,
    one per level, so that no depth of folders is too deep for it.
    """
    found: list[Path] = []
    listings = [iter(_listing(os.fspath(folder), problems, unreadable_folders))]
    while listings:
        entry = next(listings[-1], None)
        if entry is None:
            listings.pop()
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                listings.append(iter(_listing(entry.path, problems, unreadable_folders)))
            elif os.path.splitext(entry.name)[1].lower() in SUFFIXES and entry.is_file():
                found.append(Path(entry.path))
            elif entry.is_symlink() and not os.path.exists(entry.path):
                _link_to_nothing(Path(entry.path), problems, unreadable_folders)
        except OSError:  # gone since the listing, or a link in a loop
            if entry.is_symlink():
                _link_to_nothing(Path(entry.path), problems, unreadable_folders)
    return sorted(found)  # nearly sorted already: each listing is, and is walked in order


def _link_to_nothing(link: Path, problems: list[Problem], unseen: list[Path]) -> None:
    """A note's name on a link that leads to no file (an unmounted drive, a loop): not gone, only not seen."""
    if os.path.splitext(link.name)[1].lower() in SUFFIXES:
        problems.append(Problem(link, "is a link that leads to no file (a drive not mounted?); its cards are kept: "
                                "remove the link to drop them", None, Level.ERROR))
        unseen.append(link)


def _listing(folder: str, problems: list[Problem], unreadable_folders: list[Path]) -> list[os.DirEntry[str]]:
    """A folder's entries by name; none, reported, when it cannot be read."""
    try:
        with os.scandir(folder) as listing:
            return sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        unreadable_folders.append(Path(error.filename or folder))
        problems.append(Problem(Path(printable(Path(error.filename or folder))),
                                f"folder cannot be read ({error.strerror or error}); "
                                "its notes are kept as last built", None, Level.ERROR))
        return []


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(path: Path) -> str:
    """A path that can be printed, its undecodable bytes escaped (`\\xe9`)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
