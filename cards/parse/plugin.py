"""Shape 2: Snipd's Obsidian plugin, one file per episode."""

from __future__ import annotations

import re

from cards.model import Episode, Problem, Shape, Snip, Turn
from cards.parse.common import (
    SnipKeys,
    add_turn,
    bullet,
    episode_key,
    looks_like_speaker,
    matched,
    safe_url,
    seconds,
    slugify,
    snip_uuid,
)
from cards.parse.text import Source, clean, meta_list, meta_text

_HEADING = re.compile(r"^###(?!#)\s*(?P<star>⭐)?\s*(?P<rest>.*)$")
# Neither a link's address nor a tag holds a bracket: each attempt stops at the next one, which keeps
# these linear on a heading such as `[](x](x](x…` or `[[[[…` (with `]` and `[` allowed, quadratic).
_LINKED_TITLE = re.compile(r"^\[(?P<title>.*)\]\((?P<url>[^)\s\]]*)\)\s*(?P<tail>.*)$")
_TAG = re.compile(r"\[\[([^\[\]]+)\]\]")
_TIMES = re.compile(r"^(?:🎧\s*)?(\d{1,2}(?::\d{2}){1,2})\s*[-–]\s*(\d{1,2}(?::\d{2}){1,2})")
_SECTION = re.compile(r"^####\s*(?:\S+\s+)?(?P<name>Quote|Transcript)\b", re.I)
_BOLD_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*:?\s*(?P<text>.*)$")
_COLON_SPEAKER = re.compile(r"^(?P<name>[A-Z][\w .'-]{0,38}):\s+(?P<text>\S.*)$")


def looks_like(source: Source) -> bool:
    """Plugin files carry Snipd's front matter keys or `### [Title](…/snip/…)`."""
    if {"episode_title", "show_title", "from_snipd"} & set(source.meta):
        return True
    return bool(re.search(r"^###\s*⭐?\s*\[.*\]\(https?://share\.snipd\.com/snip/", source.body, re.M))


def parse(source: Source) -> tuple[list[Episode], list[Problem]]:
    """Parse a plugin file into one episode."""
    meta = source.meta
    title = meta_text(meta, "episode_title") or _h1(source.body) or source.path.stem
    link = safe_url(meta_text(meta, "episode_url"))
    episode = Episode(
        key=episode_key(link, "", source.path.name),
        slug=slugify(title),
        podcast=meta_text(meta, "show_title") or source.path.parent.name or "Unknown podcast",
        title=title,
        source=source.path,
        shape=Shape.PLUGIN,
        snips=tuple(_snips(source)),
        date=meta_text(meta, "episode_publish_date") or None,
        link=link,
        podcast_link=safe_url(meta_text(meta, "show_url")),
        tags=tuple(meta_list(meta, "tags")),
    )
    return [episode], []


def _h1(body: str) -> str:
    match = re.search(r"^# (.+)$", body, re.M)
    return clean(match.group(1)) if match else ""


def _snips(source: Source) -> list[Snip]:
    lines = source.body.split("\n")
    keys = SnipKeys()
    snips = []
    starts = [i for i, line in enumerate(lines) if _HEADING.match(line)]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        block = _until_rule(lines[start + 1:end])
        snips.append(_snip(lines[start], block, keys, source.body_line + start))
    return snips


def _until_rule(block: list[str]) -> list[str]:
    """A snip ends at `---`; what a listener typed after it is not a snip."""
    for i, line in enumerate(block):
        if line.strip() == "---":
            return block[:i]
    return block


def _snip(heading: str, block: list[str], keys: SnipKeys, line_no: int) -> Snip:
    match = matched(_HEADING, heading)
    rest = match.group("rest").strip()
    linked = _LINKED_TITLE.match(rest)
    title, url, tail = (linked["title"], linked["url"], linked["tail"]) if linked else (rest, "", rest)
    tags = tuple(clean(t) for t in _TAG.findall(tail))
    if not linked:
        title = _TAG.sub("", title)
    title = clean(title)
    start, end = _times(block)
    uuid = snip_uuid(url)
    return Snip(
        key=keys.key(title, uuid),
        title=title,
        key_points=tuple(_key_points(block)),
        turns=tuple(_turns(_section(block, "transcript"))),
        line=line_no,
        start=start,
        end=end,
        link=safe_url(url),
        starred=bool(match.group("star")),
        tags=tags,
    )


def _times(block: list[str]) -> tuple[int | None, int | None]:
    for line in block:
        match = _TIMES.match(line.strip())
        if match:
            return seconds(match.group(1)), seconds(match.group(2))
    return None, None


def _key_points(block: list[str]) -> list[str]:
    """Bullets before the first `####` section."""
    points = []
    for line in block:
        if line.startswith("####"):
            break
        item = bullet(line)
        if item:
            points.append(item)
    return points


def _section(block: list[str], name: str) -> list[str]:
    lines: list[str] = []
    inside = False
    for line in block:
        section = _SECTION.match(line)
        if section or line.startswith("####"):
            inside = section is not None and section["name"].lower() == name
            continue
        if inside:
            lines.append(line)
    return lines


def _turns(lines: list[str]) -> list[Turn]:
    """`**Name**` then text, `Name: text`, or plain text with no speaker."""
    turns: list[Turn] = []
    speaker, words = "", list[str]()
    for raw in lines:
        line = raw.strip()
        bold = _BOLD_SPEAKER.match(line)
        colon = _COLON_SPEAKER.match(line)
        found = bold or (colon if colon and looks_like_speaker(colon["name"]) else None)
        if found:
            add_turn(turns, speaker, words)
            speaker, words = found["name"], [found["text"]]
        elif line:
            words.append(line)
        elif words:
            add_turn(turns, speaker, words)
            words = []
    add_turn(turns, speaker, words)
    return turns
