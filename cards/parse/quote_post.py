"""Shape 1: Readwise quote posts (`Quoting [Podcast](url):`, `> **Title**`)."""

from __future__ import annotations

import re

from cards.model import Episode, Problem, Shape, Snip, Turn
from cards.parse.common import (
    SnipKeys,
    add_turn,
    bullet,
    episode_key,
    looks_like_speaker,
    safe_url,
    slugify,
)
from cards.parse.text import Source, clean, meta_list, meta_text, problem

# `Quoting [name](url):`, the name up to the last `](`. One greedy group, then a split: two (name and
# address) tried every `](` against every `)`, quadratic on a line of `](`.
_QUOTING = re.compile(r"^Quoting \[(?P<link>.*)\)\s*+(?::\s*+)?$")
_BOLD = re.compile(r"^\*\*(.*?)\*\*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“])")


def looks_like(source: Source) -> bool:
    """Readwise quote posts carry a `Quoting [...](...)` line or `> ` titles."""
    head = source.body[:4000]
    return bool(re.search(r"^Quoting \[", head, re.M)) or (
        "ref" in source.meta and re.search(r"^> ", head, re.M) is not None
    )


def parse(source: Source) -> tuple[list[Episode], list[Problem]]:
    """Parse a quote post into one episode."""
    lines = source.body.split("\n")
    podcast, podcast_link = _podcast(lines)
    title = meta_text(source.meta, "title") or source.path.stem
    slug = slugify(meta_text(source.meta, "slug") or title)
    link = safe_url(meta_text(source.meta, "ref", "url"))
    snips, problems = _snips(source, lines)
    episode = Episode(
        key=episode_key(link, meta_text(source.meta, "slug"), source.path.name),
        slug=slug,
        podcast=podcast or "Unknown podcast",
        title=title,
        source=source.path,
        shape=Shape.QUOTE_POST,
        snips=tuple(snips),
        date=meta_text(source.meta, "date") or None,
        link=link,
        podcast_link=safe_url(podcast_link),
        tags=tuple(meta_list(source.meta, "tags")),
    )
    return [episode], problems


def _podcast(lines: list[str]) -> tuple[str, str | None]:
    for line in lines:
        match = _QUOTING.match(line.strip())
        if match and "](" in match["link"]:
            name, url = match["link"].rsplit("](", 1)
            return clean(name), url.strip()
    return "", None


def _snips(source: Source, lines: list[str]) -> tuple[list[Snip], list[Problem]]:
    """Cut the body at `> ` lines; each block is one snip."""
    starts = [i for i, line in enumerate(lines) if line.startswith(">")]
    keys = SnipKeys()
    snips, problems = [], []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        line_no = source.body_line + start
        snip = _snip(lines[start:end], keys, line_no)
        if snip is None:
            problems.append(problem(source.path, "a `>` line with no snip after it", line_no))
            continue
        snips.append(snip)
    return snips, problems


def _snip(block: list[str], keys: SnipKeys, line_no: int) -> Snip | None:
    head = block[0][1:].strip()
    title, first_point = _title(head)
    body = block[1:]
    transcript_at = next((i for i, line in enumerate(body) if line.strip() == "Transcript:"), len(body))
    points = _key_points(body[:transcript_at])
    if first_point:
        points.insert(0, first_point)
    turns = _turns(body[transcript_at + 1:])
    if not title and not points and not turns:
        return None
    return Snip(
        key=keys.key(title),
        title=title,
        key_points=tuple(points),
        turns=tuple(turns),
        line=line_no,
    )


def _title(head: str) -> tuple[str, str | None]:
    """The title of a `> ` line, or the key point when the snip has no title."""
    point = bullet(head)
    if point is not None:
        return "", point
    bold = _BOLD.match(head)
    return clean(bold.group(1) if bold else head), None


def _key_points(lines: list[str]) -> list[str]:
    """Bullets, or the sentences of a `Summary:` paragraph."""
    points: list[list[str]] = []  # each point's bullet, then the lines that carry it on
    summary: list[str] = []
    in_summary = False
    for line in lines:
        stripped = line.strip()
        if stripped.lower() in ("key takeaways:", "key takeaways"):
            continue
        if stripped.lower() == "summary:":
            in_summary = True
            continue
        item = bullet(line)
        if item is not None:
            points.append([item])
        elif stripped and in_summary:
            summary.append(stripped)
        elif stripped and points:
            points[-1].append(stripped)  # joined once at the end: joining line by line was quadratic
    joined = [parts[0] if len(parts) == 1 else clean(" ".join(parts)) for parts in points]
    if summary:
        joined.extend(s for s in _SENTENCE_END.split(clean(" ".join(summary))) if s)
    return [p for p in joined if p]


def _turns(lines: list[str]) -> list[Turn]:
    """Speaker turns: a name line, then the words, a blank line between turns."""
    said: list[tuple[str, list[str]]] = []  # speaker and lines: made into turns once, at the end
    for block in _paragraphs(lines):
        if len(block) >= 2 and looks_like_speaker(block[0]):
            if clean(" ".join(block[1:])):
                said.append((block[0], block[1:]))
        elif said:
            said[-1][1].extend(block)  # carries on the last turn (joined once: turn by turn was quadratic)
        else:
            said.append(("", block))
    turns: list[Turn] = []
    for speaker, words in said:
        add_turn(turns, speaker, words)
    return turns


def _paragraphs(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]
