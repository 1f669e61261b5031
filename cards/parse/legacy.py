"""Shape 3: Snipd's older single-file export, every episode in one file."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cards.model import Episode, Problem, Shape, Snip, Turn
from cards.parse.common import (
    SnipKeys,
    add_turn,
    bullet,
    episode_key,
    matched,
    safe_url,
    seconds,
    slugify,
    snip_uuid,
)
from cards.parse.text import Source, clean, problem

_EPISODE = re.compile(r"^# (?P<title>.+)$")
_FIELD = re.compile(r"^\s*-\s*(?P<key>[^:]+?)::?\s*(?P<value>.*)$")
# No bracket inside: an attempt at each `[` stops at the next bracket (`[[[[…` stays linear).
_WIKI = re.compile(r"\[\[([^\[\]]*)\]\]")
_LINK = re.compile(r"\[[^\[\]]*\]\((?P<url>[^)\s]+)\)")
_SNIP = re.compile(r"^###(?!#)\s*(?:\[(?P<stamp>[\d:]+)\]\s*)?(?P<title>.*)$")
_PLAY = re.compile(r"^\[.*?\((?P<start>[\d:]+)\s*[-–]\s*(?P<end>[\d:]+)\)\]\((?P<url>[^)\s]+)\)")
_TAGS = re.compile(r"#([\w/-]+)")


def looks_like(source: Source) -> bool:
    """Legacy exports carry Dataview fields such as `Episode title::`."""
    return bool(re.search(r"^- (Episode title|Show)::", source.body, re.M))


def parse(source: Source) -> tuple[list[Episode], list[Problem]]:
    """Parse every `# Episode` section of the file."""
    lines = source.body.split("\n")
    starts = [i for i, line in enumerate(lines) if _EPISODE.match(line)]
    episodes, problems = [], []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        episode = _episode(source, lines[start:end], source.body_line + start)
        if episode is None:
            problems.append(problem(source.path, "an episode heading with no metadata", source.body_line + start))
        else:
            episodes.append(episode)
    return episodes, problems


def _episode(source: Source, block: list[str], line_no: int) -> Episode | None:
    fields = _metadata(block)
    if not fields:
        return None
    heading = clean(matched(_EPISODE, block[0])["title"])
    title = _wiki(fields.get("episode title", "")) or heading
    link = safe_url(_url(fields.get("episode link", "")))
    slug = slugify(title)
    snips_at = next((i for i, line in enumerate(block) if line.strip().lower() == "## snips"), len(block))
    return Episode(
        key=episode_key(link, slug, source.path.name),
        slug=slug,
        podcast=_wiki(fields.get("show", "")) or "Unknown podcast",
        title=title,
        source=source.path,
        shape=Shape.LEGACY,
        snips=tuple(_snips(block[snips_at:], line_no + snips_at)),
        date=clean(fields.get("episode publish date", "")) or None,
        link=link,
        tags=tuple(_TAGS.findall(fields.get("tags", ""))),
    )


def _metadata(block: list[str]) -> dict[str, str]:
    fields = {}
    for line in block:
        if line.startswith("## Snips"):
            break
        match = _FIELD.match(line)
        if match:
            fields[match["key"].strip().lower()] = match["value"].strip()
    return fields


def _wiki(value: str) -> str:
    match = _WIKI.search(value)
    return clean(match.group(1) if match else value)


def _url(value: str) -> str:
    match = _LINK.search(value)
    return match["url"] if match else value


def _snips(block: list[str], line_no: int) -> list[Snip]:
    starts = [i for i, line in enumerate(block) if _SNIP.match(line) and "Key takeaways" not in line]
    keys = SnipKeys()
    snips = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(block)
        snips.append(_snip(block[start:end], keys, line_no + start))
    return snips


def _snip(block: list[str], keys: SnipKeys, line_no: int) -> Snip:
    title = clean(matched(_SNIP, block[0])["title"])
    start = end = url = None
    points: list[str] = []
    for line in block[1:]:
        play = _PLAY.match(line.strip())
        if play and url is None:
            start, end, url = seconds(play["start"]), seconds(play["end"]), play["url"]
        elif line.strip() == "---":
            break
        elif not line.startswith(">"):
            item = bullet(line)
            if item and re.match(r"^\s*\d", line):
                points.append(item)
    return Snip(
        key=keys.key(title, snip_uuid(url)),
        title=title,
        key_points=tuple(points),
        turns=tuple(_turns(block)),
        line=line_no,
        start=start,
        end=end,
        link=safe_url(url),
    )


def _turns(block: list[str]) -> list[Turn]:
    text = "\n".join(block)
    if "<blockquote" in text:
        return _html_turns(text)
    return _callout_turns(block)


def _html_turns(text: str) -> list[Turn]:
    """`<blockquote>`s of `<b>Speaker</b>` then words, up to the next `<b>`."""
    turns: list[Turn] = []
    for quote in _between(text, "<blockquote>", "</blockquote>"):
        for name, words in _bold_turns(quote):
            words = re.sub(r"<br\s*/?>", " ", words)
            add_turn(turns, re.sub(r"<[^>]+>", "", name), [re.sub(r"<[^>]+>", "", words)])
    return turns


def _between(text: str, start: str, end: str) -> Iterator[str]:
    """What `start(.*?)end` would find, by `str.find`: a regex tries every `start` to the end when no `end` follows,
    which made thousands of unclosed `<blockquote>`s (or `<b>`s) take minutes."""
    at = text.find(start)
    while at >= 0:
        stop = text.find(end, at + len(start))
        if stop < 0:
            return
        yield text[at + len(start):stop]
        at = text.find(start, stop + len(end))


def _bold_turns(quote: str) -> Iterator[tuple[str, str]]:
    """Each `<b>name</b>` and the words after it, up to the next `<b>` or the end of the quote."""
    at = quote.find("<b>")
    while at >= 0:
        name_end = quote.find("</b>", at + 3)
        if name_end < 0:
            return
        following = quote.find("<b>", name_end + 4)
        yield quote[at + 3:name_end], quote[name_end + 4:following if following >= 0 else len(quote)]
        at = following


def _callout_turns(block: list[str]) -> list[Turn]:
    """`> [!quote]- Transcript`, then `> **Speaker**` and `> text` lines."""
    turns: list[Turn] = []
    speaker, words, inside = "", list[str](), False
    for line in block:
        if line.startswith("> [!quote]"):
            inside = True
            continue
        if not inside or not line.startswith(">"):
            inside = inside and line.strip() != "---"
            continue
        content = line[1:].strip()
        name = re.match(r"^\*\*(.+?)\*\*$", content)
        if name:
            add_turn(turns, speaker, words)
            speaker, words = name.group(1), []
        elif content:
            words.append(content)
    add_turn(turns, speaker, words)
    return turns
