"""Text repair shared by every shape: decoding, mojibake, entities, front matter."""

from __future__ import annotations

import codecs
import html
import re
from pathlib import Path
from typing import NamedTuple

from cards.errors import SourceError
from cards.model import Level, Problem

# Mojibake comes from UTF-8 read as CP1252/Latin-1: its tell-tale lead bytes
# show up as these characters. Checking first keeps ftfy off clean files.
_MOJIBAKE_HINT = re.compile("[\u00c2\u00c3\u00c5\u00e2\u00f0\u00ef][\u0080-\u02ff\u2010-\u203a\u20ac\u2122]")
_SPACES = re.compile(r"[ \t\u00a0\u200b\ufeff]+")
# Control characters: \x1f is Anki's field separator, and none of them is text. Snip and episode keys are
# cut from text cleaned of these alone, so this set stays as it is: a wider one would change their GUIDs.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# What never belongs in a card's HTML, wider than CONTROL: C1 controls too (`\x85` breaks a line for some
# readers, `\x9b` starts a terminal's escape sequence), the line and paragraph separators (they end a
# JavaScript string) and Unicode's noncharacters. Cleaned where text becomes a field, which no key reads.
NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufdd0-\ufdef\ufffe\uffff]")
# The noncharacters past U+FFFF: kept out of NOT_TEXT, since a class holding them scans ten times slower.
_ASTRAL_NONCHARACTERS = re.compile(
    "[" + "".join(chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0x10000, 0x110000, 0x10000)) + "]"
)


def replace_not_text(text: str, replacement: str) -> str:
    """`text` with each character that is not text (`NOT_TEXT`, astral noncharacters) as `replacement`."""
    text = NOT_TEXT.sub(replacement, text)
    if not text.isascii() and max(text) > "\uffff":  # rare: most text has no character past U+FFFF
        text = _ASTRAL_NONCHARACTERS.sub(replacement, text)
    return text


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


class Source(NamedTuple):
    """A decoded input file: front matter, body and where the body starts."""

    path: Path
    meta: dict
    body: str
    body_line: int
    problems: tuple[Problem, ...]


# A build holds about ten times a source's size while it reads it (a 50 MB export: under 500 MB); the largest
# export of a whole Snipd library is tens of MB. Past this, a file (a 10 GB sparse file) is not read at all.
MAX_SOURCE_BYTES = 256 * 2**20


def read_bytes(path: Path) -> bytes:
    """A file's bytes, or a `SourceError` that says why not."""
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise SourceError(path, f"is {size / 2**20:,.0f} MB, more than a note file can be (256 MB); "
                                    "split it to build it")
        return path.read_bytes()
    except OSError as error:
        raise SourceError(path, f"cannot be read ({error.strerror or error})") from None


def read_source(path: Path, raw: bytes | None = None) -> Source:
    """Decode a file, repairing what can be repaired, with warnings."""
    if raw is None:
        raw = read_bytes(path)
    problems: list[Problem] = []
    text = _decode(path, raw, problems)
    text = _repair_mojibake(path, text, problems)
    meta, body, body_line = split_front_matter(path, text, problems)
    return Source(path, meta, body, body_line, tuple(problems))


def _decode(path: Path, raw: bytes, problems: list[Problem]) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Windows' "Unicode" text (Notepad's UTF-16, with its byte order mark): every other byte is a NUL, so it
        # was refused as binary. A character cut in half at the end of what was read is replaced, not an error.
        text = raw.decode("utf-16", errors="replace")
    elif b"\x00" in raw[:4096]:
        raise SourceError(path, "is a binary file, not a text note")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            text = raw.decode("cp1252", errors="replace")
            problems.append(Problem(path, "not UTF-8; read as Windows-1252", line))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _repair_mojibake(path: Path, text: str, problems: list[Problem]) -> str:
    match = _MOJIBAKE_HINT.search(text)
    if not match:
        return text
    import ftfy  # here, not above: a build whose sources did not change reads none

    fixed = ftfy.fix_encoding(text)
    if fixed != text:
        line = text.count("\n", 0, match.start()) + 1
        problems.append(Problem(path, "repaired double-encoded UTF-8 (mojibake)", line))
    return fixed


def split_front_matter(path: Path, text: str, problems: list[Problem]) -> tuple[dict, str, int]:
    """Split off YAML front matter; read it line by line when YAML rejects it."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 1
    block = match.group(1) or ""
    body = text[match.end():]
    body_line = text.count("\n", 0, match.end()) + 1
    import yaml  # here, not above: a build whose sources did not change reads none

    from cards.parse.front_matter import OverBounds, load_front_matter

    try:
        # Only the header: python-frontmatter copies whatever it is given, and a
        # large export's body would cost hundreds of MB for nothing.
        meta = load_front_matter(match.group())
    except OverBounds as error:
        raise SourceError(path, str(error)) from None
    except (yaml.YAMLError, ValueError, TypeError) as error:
        line = _yaml_error_line(error)
        where = f" (line {line})" if line else ""
        problems.append(
            Problem(path, f"front matter is not valid YAML{where}; read it line by line", line)
        )
        meta = read_loose_front_matter(block)
    _recover_hash_values(path, block, meta, problems)
    return meta, body, body_line


def _recover_hash_values(path: Path, block: str, meta: dict, problems: list[Problem]) -> None:
    """`title: #12 Fungi` is valid YAML that reads as an empty value plus a comment."""
    for number, line in enumerate(block.splitlines(), start=2):
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:\s+(#.*\S)\s*$", line)
        if match and meta.get(match.group(1)) in (None, ""):
            meta[match.group(1)] = match.group(2)
            problems.append(Problem(
                path, f"front matter value of {match.group(1)!r} starts with '#' (a YAML comment); read as text",
                number,
            ))


def _yaml_error_line(error: Exception) -> int | None:
    mark = getattr(error, "problem_mark", None)
    # +2: the mark counts from 0 inside the block, which starts after `---`.
    return mark.line + 2 if mark is not None else None


def read_loose_front_matter(block: str) -> dict:
    """Read `key: value` lines and `- item` lists without a YAML parser."""
    meta: dict = {}
    current: str | None = None
    for line in block.splitlines():
        item = re.match(r"^\s+-\s*(.*)$", line) or re.match(r"^-\s+(.*)$", line)
        if item and current is not None:
            if not isinstance(meta.get(current), list):
                meta[current] = []
            meta[current].append(_unquote(item.group(1)))
            continue
        pair = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if pair:
            current, value = pair.group(1), pair.group(2).strip()
            meta[current] = _loose_value(value)
    return meta


def _loose_value(value: str):
    if value.startswith("[") and value.endswith("]"):
        return [_unquote(part) for part in value[1:-1].split(",") if part.strip()]
    return _unquote(value)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def clean(text: str) -> str:
    """Unescape HTML entities (even twice-escaped ones) and fold white space."""
    for _ in range(3):
        if "&" not in text:
            break
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return _fold_spaces(CONTROL.sub(" ", text)).strip()


def _fold_spaces(text: str) -> str:
    """Each run of spaces, tabs and invisible spaces as one space.

    Most text needs nothing done: checking for that first is ten times
    faster than a substitution that matches every single space.
    """
    if text.isascii() and "\t" not in text and "  " not in text:
        return text
    return _SPACES.sub(" ", text)


def meta_text(meta: dict, *keys: str) -> str:
    """The first non-empty front matter value among `keys`, as clean text."""
    for key in keys:
        value = meta.get(key)
        if value not in (None, "", []):
            if isinstance(value, list):
                return clean(", ".join(_as_text(v) for v in value))
            return clean(_as_text(value))
    return ""


def meta_list(meta: dict, key: str) -> list[str]:
    """A front matter value that should be a list of strings."""
    value = meta.get(key)
    if value is None:
        return []
    if isinstance(value, (set, frozenset)):  # `!!set {a, b}`: in a fixed order, or every build differs
        value = sorted(map(_as_text, value))
    if isinstance(value, (list, tuple)):
        return [clean(text) for text in map(_as_text, value) if text.strip()]
    return [clean(part) for part in _as_text(value).split(",") if part.strip()]


def _as_text(value: object) -> str:
    """Any value YAML makes (a number, a date, a list, bytes…) as text; None is no text.

    The front matter's bounds keep the text small; Python refuses only to
    write out a whole number of more than 4,300 digits (`0x` and 64 KB of
    hex), which is no text a note needs.
    """
    if value is None:
        return ""
    try:
        return str(value)
    except ValueError:
        return ""


def problem(path: Path, message: str, line: int | None = None) -> Problem:
    """A warning about `path`."""
    return Problem(path, message, line, Level.WARNING)
