"""Read snip notes of any shape into the model.

Each shape is a module with `looks_like(source)` and `parse(source)`; a new
shape plugs in by joining `SHAPES`, nothing else changes.
"""

from __future__ import annotations

from pathlib import Path

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
    """Parse one file (or its bytes); every problem is reported, none is raised."""
    try:
        source = read_source(path, raw)
    except SourceError as error:
        return ParsedFile(path, (), (Problem(path, error.reason, error.line, Level.ERROR),))
    problems = list(source.problems)
    if not source.body.strip() and not source.meta:
        problems.append(Problem(path, "is empty; nothing to build"))
        return ParsedFile(path, (), tuple(problems))
    shape = detect_shape(source)
    if shape is None:
        problems.append(Problem(path, "is not a Snipd note (no snips found); skipped"))
        return ParsedFile(path, (), tuple(problems))
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


def find_sources(paths: list[Path]) -> list[Path]:
    """Every note file under `paths`, in a stable order (folders recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))
