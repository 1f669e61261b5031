"""Small helpers the shape parsers share: identities, slugs, times, turns."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from cards.model import Turn
from cards.parse.text import clean

_SNIP_UUID = re.compile(r"share\.snipd\.com/snip/([0-9A-Za-z-]+)")
_EPISODE_UUID = re.compile(r"share\.snipd\.com/episode/([0-9A-Za-z-]+)")
_URL = re.compile(r"^https?://[^\s<>\"']+$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+(.*)$")


def matched(pattern: re.Pattern[str], text: str) -> re.Match[str]:
    """A match the caller already knows is there (else a parser bug, reported against the file)."""
    match = pattern.match(text)
    if match is None:
        raise ValueError(f"expected {pattern.pattern!r} at {text[:40]!r}")
    return match


def slugify(text: str, fallback: str = "episode") -> str:
    """A lower-case ASCII slug for file names and tags."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80].strip("-") or fallback


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link, else None (never `javascript:`)."""
    if not url:
        return None
    url = url.strip()
    return url if _URL.match(url) else None


def snip_uuid(url: str | None) -> str | None:
    """The UUID in a `share.snipd.com/snip/<uuid>` link."""
    match = _SNIP_UUID.search(url or "")
    return match.group(1).lower() if match else None


def episode_uuid(url: str | None) -> str | None:
    """The UUID in a `share.snipd.com/episode/<uuid>` link."""
    match = _EPISODE_UUID.search(url or "")
    return match.group(1).lower() if match else None


def episode_key(link: str | None, slug: str, file_name: str) -> str:
    """An episode's identity: its Snipd URL, else its slug, else its file name."""
    uuid = episode_uuid(link)
    if uuid:
        return f"snipd:{uuid}"
    return f"slug:{slug}" if slug else f"file:{file_name}"


class SnipKeys:
    """Hands out snip identities: the Snipd UUID, else title and occurrence.

    The occurrence count keeps two snips with the same title apart without
    making either identity depend on its position among the others.
    """

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def key(self, title: str, uuid: str | None = None) -> str:
        if uuid:
            return f"uuid:{uuid}"
        base = slugify(title, fallback="untitled")
        self._seen[base] += 1
        return f"title:{base}#{self._seen[base]}"


def seconds(stamp: str | None) -> int | None:
    """`mm:ss` or `h:mm:ss` as seconds."""
    if not stamp:
        return None
    parts = stamp.strip().split(":")
    if not all(part.isdigit() for part in parts) or not 2 <= len(parts) <= 3:
        return None
    total = 0
    for part in parts:
        total = total * 60 + int(part)
    return total


def bullet(line: str) -> str | None:
    """The text of a `- `, `• ` or `1. ` list item, else None."""
    match = _BULLET.match(line)
    return clean(match.group(1)) if match else None


def add_turn(turns: list[Turn], speaker: str, words: list[str]) -> None:
    """Append a turn made of `words` lines, skipping empty ones."""
    text = clean(" ".join(words))
    if text:
        turns.append(Turn(clean(speaker), text))


def looks_like_speaker(line: str) -> bool:
    """A short line with no sentence punctuation: a speaker's name."""
    line = line.strip()
    return 0 < len(line) <= 40 and len(line.split()) <= 5 and not re.search(r"[.?!,;:]$", line)
