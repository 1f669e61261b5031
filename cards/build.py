"""The orchestrator: sources → notes → packages, as stages that hand records on.

    scan → check → read → reconcile → plan → write → record

One invariant holds by design: after any sequence of builds (failed writes,
kills at any moment, changed tags, vanished sources), the packages on disk
equal what a clean build of the same sources makes. It holds because the
plan is made from what every package *should* hold, not from what this run
changed: each package's digest comes from digests the state keeps per
episode, and a package is rewritten unless the state recorded that digest,
and the file's size and mtime, *after* the file was in place. Changed notes
stay pending until a completed build has offered them in `changes.apkg`.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from cards import __version__, package
from cards.errors import MissingPathError, OutputError, SourceError, StateError, UsageError, os_reason
from cards.lock import output_lock
from cards.model import Level, NoteRow, ParsedFile, Problem
from cards.notes import EpisodeNotes, episode_deck, episode_notes, tag_deck
from cards.notetypes import notetype_digest
from cards.package import DeckSelection
from cards.parse import find_sources, parse_file
from cards.parse.text import read_bytes
from cards.state import (
    STATE_FILE,
    Known,
    KnownSource,
    NoteStamp,
    PackedFields,
    Part,
    PendingNote,
    RecordedPackage,
    State,
    StoredEpisode,
    StoredNote,
    pack_fields,
)
from cards.workers import in_batches, run_all, small_main

CHANGES_PACKAGE = "changes.apkg"
LOCK_WAIT = 5.0  # seconds a second build waits for the first
# Anki numbers notes by milliseconds since 1970: outside these years its ids break.
EARLIEST, LATEST = 946_684_800, 4_102_444_800  # 2000-01-01, 2100-01-01
PARALLEL_SOURCES = 16
SOURCES_PER_TASK = 4
PARALLEL_PACKAGES = 8
PACKAGES_PER_TASK = 16
Progress = Callable[[str, int, int], None]


# --- records ----------------------------------------------------------------

class SourceCheck(NamedTuple):
    """One source, compared with what the last build read."""

    path: Path
    key: str
    digest: str | None
    stat: str
    unchanged: bool
    problem: Problem | None = None


class PreparedRow(NamedTuple):
    """A note as made (in a worker), with what storing it needs: its hash and its packed fields."""

    row: NoteRow
    hash: str
    packed: PackedFields


class EpisodeSummary(NamedTuple):
    """What storing an episode needs of it (not its snips: a worker sends this back)."""

    key: str
    title: str
    deck: str
    slug: str
    snips: int


class PreparedEpisode(NamedTuple):
    """An episode's notes, prepared; `skipped` is complete once `rows` has been consumed."""

    episode: EpisodeSummary
    rows: Iterable[PreparedRow]
    skipped: Counter


class SourceRead(NamedTuple):
    """One changed source, parsed, with the notes of its episodes (made lazily when serial)."""

    check: SourceCheck
    problems: tuple[Problem, ...]
    episodes: Iterable[PreparedEpisode]


class NoteStatus(enum.Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class EpisodeOutcome:
    """What became of one episode in this build."""

    episode: StoredEpisode
    statuses: Counter = field(default_factory=Counter)


class Reconciled(NamedTuple):
    """The sources folded into the state: every episode as it now stands."""

    outcomes: tuple[EpisodeOutcome, ...]
    episodes: dict[str, StoredEpisode]
    problems: tuple[Problem, ...]
    sources_unchanged: int
    disappeared: tuple[str, ...]


class PackagePlan(NamedTuple):
    """A package as a clean build would write it, and the digest that names its content."""

    relative: str
    decks: tuple[DeckSelection, ...]
    notetype_mtime: int
    base_time: int
    notes: int
    digest: str


class Plan(NamedTuple):
    """Which packages to write, which are in place, which no clean build would make."""

    to_write: tuple[PackagePlan, ...]
    in_place: int
    stale: tuple[str, ...]
    changes: PackagePlan | None


class Written(NamedTuple):
    """One package write: the file's stat when it is in place, else why not."""

    plan: PackagePlan
    stat: str | None
    error: str | None = None


@dataclass
class BuildReport:
    """What a build did, for the summary: made from the stages' results."""

    sources: int = 0
    sources_unchanged: int = 0
    episodes: int = 0
    snips: int = 0
    notes: int = 0
    cards: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    packages_unchanged: int = 0
    removed: list[Path] = field(default_factory=list)
    changes: Path | None = None
    changes_notes: int = 0
    disappeared: list[str] = field(default_factory=list)
    state_was_missing: bool = False
    state_moved_aside: Path | None = None

    @property
    def failed(self) -> bool:
        """True when some input could not be read or some package not written."""
        return any(p.level is Level.ERROR for p in self.problems)


# --- the whole build ----------------------------------------------------------

def build(
    paths: Iterable[Path | str],
    out: Path | str,
    *,
    force: bool = False,
    progress: Progress | None = None,
    now: int | None = None,
    workers: int | None = None,
    lock_wait: float = LOCK_WAIT,
) -> BuildReport:
    """Build the decks of every note under `paths` into `out`.

    Large builds use worker processes; on macOS and Windows Python spawns
    them, so a script that calls this there must guard its entry point with
    `if __name__ == "__main__":`.
    """
    roots = check_paths(paths)
    stamp = build_time(now)
    folder = check_out(out)  # made here: every argument is checked first
    tell = progress or (lambda stage, done, total: None)
    with output_lock(folder, lock_wait):
        remove_leftovers(folder)
        had_packages = any(folder.glob("episodes/*.apkg"))
        state = State(folder)
        try:
            report = _run(state, roots, folder, stamp, force, tell, workers)
        except sqlite3.DatabaseError as error:  # the state's own file: the writers catch theirs
            raise StateError(state.path, error) from None
        finally:
            state.close()
    report.state_was_missing = state.was_new and had_packages and state.moved_aside is None
    report.state_moved_aside = state.moved_aside
    return report


def _run(state: State, roots: list[Path], out: Path, stamp: int, force: bool, progress: Progress,
         workers: int | None) -> BuildReport:
    known = state.known()
    notetype_mtime = _notetype_mtime(state, known, stamp)
    scan = find_sources(roots)
    checks = check_sources(scan.sources, known, force, state)
    reads = read_sources(checks, workers, progress)
    reconciled = reconcile(state, known, reads, roots, scan.unreadable, stamp)
    state.number_new_notes()
    pending = state.pending_notes()
    plan = plan_packages(out, reconciled.episodes, pending, known.packages, notetype_mtime, force)
    state.commit()  # the notes the writers read, and what stays pending if they fail
    written = write_packages(out, plan.to_write, workers, progress)
    removed = record(state, out, plan, written)
    state.commit()
    state.compact()
    return assemble_report(len(scan.sources), [*scan.problems, *reconciled.problems], reconciled, plan,
                           written, removed, out)


def check_paths(paths: Iterable[Path | str]) -> list[Path]:
    """The sources named on the command line; `~` is the home folder."""
    roots = []
    for raw in paths:
        if os.fspath(raw) == "":
            raise UsageError("an empty path was given: name a note file or a folder of notes")
        path = Path(raw).expanduser()
        try:
            os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise MissingPathError(path) from None
        except OSError as error:  # a link in a loop, a name too long, a folder that may not be searched
            raise UsageError(f"{path}: cannot be read ({error.strerror or error}); name another path") from None
        roots.append(path)
    return roots


# The folders `--out` holds packages in, and what each holds.
PACKAGE_FOLDERS = {"episodes": "episode", "tags": "tag"}


def check_out(out: Path | str) -> Path:
    """The output folder, made if needed; `~` is the home folder."""
    if os.fspath(out) == "":
        raise UsageError("--out is empty: name the folder for the decks (for example --out decks)")
    folder = Path(out).expanduser()
    if os.path.lexists(folder) and not os.path.isdir(folder):
        if os.path.islink(folder):
            raise UsageError(f"{folder}: --out names a symbolic link that leads to no folder; name a folder "
                             "for the decks")
        raise UsageError(f"{folder}: --out names a file; name a folder for the decks")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(folder, error) from None
    for name, kind in PACKAGE_FOLDERS.items():
        inside = folder / name
        if os.path.lexists(inside) and not os.path.isdir(inside):
            what = "a symbolic link that leads to no folder" if os.path.islink(inside) else "a file"
            raise OutputError(inside, f"is {what}, but cards keeps the {kind} packages in a folder of this name; "
                                      "move it away and build again")
    return folder


def build_time(now: int | None) -> int:
    """This build's mtime for changed notes; SOURCE_DATE_EPOCH pins it."""
    if now is not None:
        return now
    pinned = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not pinned:
        return int(time.time())
    # Only ASCII digits: `isdigit` also takes "²", which `int` refuses, and a few thousand digits are too many for it.
    if not re.fullmatch(r"[0-9]{1,20}", pinned) or not EARLIEST <= int(pinned) <= LATEST:
        raise UsageError(
            f"SOURCE_DATE_EPOCH={pinned[:24]} is not a time Anki can use: give seconds since 1970 "
            "between 2000 and 2100, or unset it"
        )
    return int(pinned)


def remove_leftovers(out: Path) -> None:
    """Temporary files a killed build left behind (never a finished package).

    Called only while holding the folder's lock: no other build is writing.
    """
    for folder in (out, out / "episodes", out / "tags"):
        for leftover in folder.glob(package.TEMPORARY):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                continue  # a folder of that name is none of ours; a file that will not go does no harm


def _notetype_mtime(state: State, known: Known, stamp: int) -> int:
    """The note types' mtime: newer whenever their templates or CSS changed."""
    digest, stored = notetype_digest(), known.meta.get("notetype_mtime")
    if known.meta.get("notetype_digest") == digest and stored:
        return int(stored)
    mtime = max(stamp, int(stored) + 1) if stored else stamp
    state.set_meta("notetype_digest", digest)
    state.set_meta("notetype_mtime", str(mtime))
    return mtime


# --- check and read -------------------------------------------------------------

def source_digest(raw: bytes) -> str:
    """A source's identity for incremental builds: its bytes and this version."""
    return hashlib.blake2b(raw + __version__.encode() + notetype_digest().encode(), digest_size=16).hexdigest()


def stat_key(info: os.stat_result) -> str:
    """Size, modification time and this version: when all match, the bytes are not read."""
    return f"{info.st_size}:{info.st_mtime_ns}:{__version__}:{notetype_digest()}"


@cache
def source_key(path: Path) -> str:
    """How the state names a source: its absolute path, however it was typed.

    `abspath` rather than `resolve`: it asks the file system nothing, and a
    no-op rebuild of thousands of files must stay well under a second.
    """
    return os.path.abspath(path)


def check_sources(sources: Iterable[Path], known: Known, force: bool, state: State) -> list[SourceCheck]:
    """Compare every source with the last build's record (cheap: a stat, else a hash)."""
    trusted_before = float(known.meta.get("last_read") or 0) - 1.0
    state.set_meta("last_read", repr(time.time()))
    return [check_source(p, known.sources.get(source_key(p)), force, trusted_before) for p in sources]


def check_source(path: Path, known: KnownSource | None, force: bool, trusted_before: float) -> SourceCheck:
    """Unchanged since the last build (by its stat, else its bytes), changed, or unreadable.

    As git does, a stat is trusted only for files last modified well before
    the last build looked at them: a file rewritten within the same clock tick
    with the same size would otherwise look unchanged.
    """
    key = source_key(path)
    try:
        info = path.stat()
        stat, settled = stat_key(info), info.st_mtime < trusted_before
        if known and stat == known.stat and settled and not force:
            return SourceCheck(path, key, known.digest, stat, unchanged=True)
        raw = read_bytes(path)
    except SourceError as error:
        return _unreadable(path, error.reason)
    except OSError as error:
        return _unreadable(path, f"cannot be read ({error.strerror or error})")
    digest = source_digest(raw)
    return SourceCheck(path, key, digest, stat, unchanged=known is not None and digest == known.digest and not force)


def _unreadable(path: Path, reason: str) -> SourceCheck:
    return SourceCheck(path, source_key(path), None, "", False, Problem(path, reason, None, Level.ERROR))


def make_notes(check: SourceCheck, lazy: bool = False) -> SourceRead:
    """Parse a changed source and make its notes (in a worker process when many).

    `lazy` makes each episode's notes only when the next stage asks for them,
    so a huge export never holds every note at once.
    """
    try:
        raw = read_bytes(check.path)
    except SourceError as error:
        return SourceRead(_unreadable(check.path, error.reason), (), ())
    parsed: ParsedFile = parse_file(check.path, raw)
    made = (_prepared(episode_notes(e, lazy), lazy) for e in parsed.episodes)
    return SourceRead(check, parsed.problems, made if lazy else tuple(made))


def make_notes_of(checks: tuple[SourceCheck, ...]) -> list[SourceRead]:
    """`make_notes` for a few sources, in a worker process."""
    return [make_notes(check) for check in checks]


def _prepared(made: EpisodeNotes, lazy: bool) -> PreparedEpisode:
    """Hash and pack each note where it is made: in workers, not in the main process that stores them.

    Only the packed fields travel on: pickling each note's fields (and the
    episode's snips) back to the main process cost it more than storing them.
    """
    rows = (PreparedRow(row._replace(fields=()), note_hash(row), pack_fields(row)) for row in made.rows)
    episode = made.episode
    snips = sum(1 for s in episode.snips if not s.is_placeholder and s.key_points)  # those that make cards
    summary = EpisodeSummary(episode.key, episode.title, episode_deck(episode), episode.slug, snips)
    return PreparedEpisode(summary, rows if lazy else list(rows), made.skipped)


def read_sources(checks: list[SourceCheck], workers: int | None,
                 progress: Progress) -> Iterator[SourceCheck | SourceRead]:
    """Every source in order: unchanged or unreadable ones as checked, changed ones parsed."""
    changed = [c for c in checks if c.digest and not c.unchanged]
    parallel = len(changed) >= PARALLEL_SOURCES and workers != 1
    if parallel:  # a few sources per task: one at a time, passing them to and fro cost a tenth of the reading
        batches = [(batch,) for batch in in_batches(changed, SOURCES_PER_TASK)]
        parsed = (read for batch in run_all(make_notes_of, batches, workers, True, window=16) for read in batch)
    else:
        parsed = (make_notes(check, lazy=True) for check in changed)
    for done, check in enumerate(checks, start=1):
        yield next(parsed) if check.digest and not check.unchanged else check
        progress("reading", done, len(checks))


# --- reconcile ----------------------------------------------------------------------

def note_hash(row: NoteRow) -> str:
    """What Anki would see change: kind, fields and tags."""
    digest = hashlib.blake2b(digest_size=12)
    for part in (row.kind.value, *row.fields, "\x1e", *row.tags):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


def stamp_note(note: PreparedRow, old: NoteStamp | None, now: int) -> tuple[StoredNote, NoteStatus]:
    """Keep the mtime of an unchanged note; a changed one gets a newer one."""
    row, digest, packed = note
    if old is None:
        return StoredNote(row, digest, now, packed), NoteStatus.NEW
    if old.hash == digest:
        return StoredNote(row, digest, old.mtime, packed), NoteStatus.UNCHANGED
    return StoredNote(row, digest, max(now, old.mtime + 1), packed), NoteStatus.UPDATED


class PartDigests:
    """Digest, count and newest mtime of an episode's notes ("") and of each tag's, note by note."""

    def __init__(self) -> None:
        self._parts: dict[str, tuple[Any, list[int]]] = {}

    def add(self, guid: str, note_hash: str, mtime: int, deck_tags: Iterable[str]) -> None:
        entry = f"{guid}\x1f{note_hash}\x1f{mtime}\x1e".encode()
        for tag in ("", *deck_tags):
            digest, figures = self._parts.setdefault(tag, (hashlib.blake2b(digest_size=16), [0, 0]))
            digest.update(entry)
            figures[0], figures[1] = figures[0] + 1, max(figures[1], mtime)

    @property
    def deck_tags(self) -> tuple[str, ...]:
        """The tags whose decks hold some of the notes, in the order they were first met."""
        return tuple(tag for tag in self._parts if tag)

    def parts(self) -> dict[str, Part]:
        if "" not in self._parts:
            return {"": Part(hashlib.blake2b(digest_size=16).hexdigest(), 0, 0)}
        return {tag: Part(digest.hexdigest(), count, newest) for tag, (digest, [count, newest]) in self._parts.items()}


BATCH = 1000  # notes stored at a time: a huge episode never holds all of them


def reconcile(state: State, known: Known, reads: Iterable[SourceCheck | SourceRead], roots: list[Path],
              unreadable: Iterable[Path], now: int) -> Reconciled:
    """Fold every source into the state; what each episode now holds.

    Sources under `unreadable` folders were not seen, so they are not gone.
    """
    return _Reconcile(state, known, now).run(reads, roots, unreadable)


class _Reconcile:
    """Folds sources into the state, one at a time, and keeps what it found."""

    def __init__(self, state: State, known: Known, now: int):
        self.state, self.known, self.now = state, known, now
        self.episodes = dict(known.episodes)
        self.claimed: dict[str, Path] = {}
        self.outcomes: list[EpisodeOutcome] = []
        self.problems: list[Problem] = []
        self.disappeared: list[str] = []
        self.unchanged_sources = 0

    def run(self, reads: Iterable[SourceCheck | SourceRead], roots: list[Path],
            unreadable: Iterable[Path]) -> Reconciled:
        present = set()
        for item in reads:
            present.add(item.key if isinstance(item, SourceCheck) else item.check.key)
            if isinstance(item, SourceRead):
                self._take_read(item)
            elif item.unchanged:
                self._take_unchanged(item)
            else:
                self._take_unreadable(item)
            del item  # a parsed export can be huge: nothing keeps it once it is stored
        self._forget_vanished(roots, present, unreadable)
        self._fill_missing_parts()
        return Reconciled(tuple(self.outcomes), self.episodes, tuple(self.problems),
                          self.unchanged_sources, tuple(self.disappeared))

    def _previous(self, key: str) -> tuple[str, ...]:
        """The episode keys the last build found in a source."""
        known = self.known.sources.get(key)
        return known.episodes if known else ()

    def _take_unchanged(self, check: SourceCheck) -> None:
        self.unchanged_sources += 1
        if check.stat != self.known.sources[check.key].stat:
            self.state.set_source_stat(check.key, check.stat)  # touched, same bytes
        for key in self._previous(check.key):
            if key in self.episodes:
                self.claimed[key] = check.path
                episode = self.episodes[key]
                self.outcomes.append(EpisodeOutcome(episode, Counter({NoteStatus.UNCHANGED: episode.notes})))

    def _take_unreadable(self, check: SourceCheck) -> None:
        """Its earlier notes and packages stay as they were; it is read again next time."""
        if check.problem:
            self.problems.append(check.problem)
        for key in self._previous(check.key):
            self.claimed.setdefault(key, check.path)

    def _take_read(self, read: SourceRead) -> None:
        self.problems.extend(read.problems)
        if read.check.digest is None or any(p.level is Level.ERROR for p in read.problems):
            self._take_unreadable(read.check)
            return
        keys = []
        for made in read.episodes:
            if self._claim(made, read.check.path):
                self._take_episode(made, read.check.key)
                keys.append(made.episode.key)
        for key in self._previous(read.check.key):
            if key not in keys and key not in self.claimed:
                self._forget_episode(key)  # a legacy export that lost an episode
        self.state.set_source(read.check.key, read.check.digest, keys, read.check.stat)

    def _claim(self, made: PreparedEpisode, path: Path) -> bool:
        """An episode found twice (two exports of it) is built once."""
        key = made.episode.key
        if key in self.claimed:
            self.problems.append(Problem(
                path, f"episode {made.episode.title!r} is also in {self.claimed[key]}; skipped here"
            ))
            return False
        self.claimed[key] = path
        return True

    def _take_episode(self, made: PreparedEpisode, source: str) -> None:
        """Store an episode's notes batch by batch, each stamped against its stored predecessor."""
        key = made.episode.key
        old = self.state.note_stamps(key)
        self.state.forget_notes(key)
        parts, statuses, cards = PartDigests(), Counter[NoteStatus](), 0
        changed: set[str] = set()
        rows = iter(made.rows)
        while batch := [stamp_note(note, old.pop(note.row.guid, None), self.now) for note in islice(rows, BATCH)]:
            self.state.add_notes(key, sum(statuses.values()), [note for note, _ in batch])
            for note, status in batch:
                parts.add(note.row.guid, note.hash, note.mtime, note.row.deck_tags)
                statuses[status] += 1
                cards += note.row.card_count
                if status is not NoteStatus.UNCHANGED:
                    changed.add(note.row.guid)
        self._report_gone(made.episode.title, list(old.values()))  # what is left was not made again
        self.state.add_pending(changed)
        episode = StoredEpisode(
            key, source, made.episode.title, made.episode.deck, made.episode.slug, parts.deck_tags,
            made.episode.snips, tuple(sorted(made.skipped.items())), sum(statuses.values()), cards,
            parts.parts(),
        )
        self.state.set_episode(episode)
        self.episodes[key] = episode
        self.outcomes.append(EpisodeOutcome(episode, statuses))

    def _report_gone(self, episode_title: str, gone: list[NoteStamp]) -> None:
        for title in dict.fromkeys(n.snip_title for n in gone):
            self.disappeared.append(f"{title or 'untitled snip'} ({episode_title})")

    def _forget_vanished(self, roots: list[Path], present: set[str], unreadable: Iterable[Path]) -> None:
        """Sources under this build's folders that are gone: report their snips."""
        folders = tuple(source_key(r).rstrip(os.sep) + os.sep for r in roots if r.is_dir())
        unseen = tuple(source_key(f).rstrip(os.sep) + os.sep for f in unreadable)
        for path, source in self.known.sources.items():
            if path in present or not path.startswith(folders) or path.startswith(unseen):
                continue
            if not os.path.lexists(path):
                for key in source.episodes:
                    if key not in self.claimed:
                        self._forget_episode(key)
                self.state.forget_source(path)

    def _forget_episode(self, key: str) -> None:
        episode = self.episodes.pop(key, None)
        if episode:
            self._report_gone(episode.title, list(self.state.note_stamps(key).values()))
        self.state.forget_episode(key)

    def _fill_missing_parts(self) -> None:
        """Episodes recorded by an older version have no part digests yet: compute them once."""
        for key, episode in list(self.episodes.items()):
            if episode.parts is None:
                parts = PartDigests()
                for note in self.state.note_stamps(key).values():
                    parts.add(note.guid, note.hash, note.mtime, note.deck_tags)
                filled = episode._replace(parts=parts.parts())
                self.state.set_episode(filled)
                self.episodes[key] = filled


# --- plan ----------------------------------------------------------------------------

def plan_packages(out: Path, episodes: dict[str, StoredEpisode], pending: dict[str, list[PendingNote]],
                  recorded: dict[str, RecordedPackage], notetype_mtime: int, force: bool) -> Plan:
    """Every package a clean build would write; those not in place are to be written."""
    wanted = [*_episode_plans(episodes, notetype_mtime), *_tag_plans(episodes, notetype_mtime)]
    changes = _changes_plan(episodes, pending, notetype_mtime)
    if changes:
        wanted.append(changes)
    to_write = [p for p in wanted if force or not _in_place(out, p, recorded.get(p.relative))]
    names = {p.relative for p in wanted}
    stale = tuple(sorted(path for path in recorded if path not in names))
    return Plan(tuple(to_write), len(wanted) - len(to_write), stale, changes)


def _in_place(out: Path, plan: PackagePlan, recorded: RecordedPackage | None) -> bool:
    """Recorded with this digest after it was written, and the file untouched since."""
    if recorded is None or recorded.digest != plan.digest:
        return False
    try:
        return file_stat(os.path.join(out, plan.relative)) == recorded.stat  # a thousand: no Path for each
    except OSError:
        return False


def file_stat(path: Path | str) -> str:
    info = os.stat(path)
    return f"{info.st_size}:{info.st_mtime_ns}"


def _plan(relative: str, decks: list[tuple[DeckSelection, list[Part]]], notetype_mtime: int) -> PackagePlan:
    """A package's plan from the parts of its decks: digest, size and newest mtime."""
    digest = hashlib.blake2b(str(notetype_mtime).encode(), digest_size=16)
    count, newest = 0, notetype_mtime
    for deck, parts in decks:
        digest.update(f"\x1d{deck.name}\x1e{deck.tag or ''}\x1e".encode())
        for part in parts:
            digest.update(part.digest.encode())
            count, newest = count + part.notes, max(newest, part.newest)
    return PackagePlan(relative, tuple(deck for deck, _ in decks), notetype_mtime, newest, count,
                       digest.hexdigest())


def _episode_plans(episodes: dict[str, StoredEpisode], notetype_mtime: int) -> list[PackagePlan]:
    names = unique_names({key: e.slug for key, e in episodes.items()}, "episode")
    return [
        _plan(f"episodes/{names[key]}.apkg", [(DeckSelection(e.deck, (key,)), [_part(e, "")])], notetype_mtime)
        for key, e in sorted(episodes.items())
    ]


def _tag_plans(episodes: dict[str, StoredEpisode], notetype_mtime: int) -> list[PackagePlan]:
    by_tag: dict[str, list[StoredEpisode]] = defaultdict(list)
    for episode in episodes.values():
        for tag in episode.deck_tags:
            by_tag[tag].append(episode)
    names = unique_names({tag: tag.replace("::", "__") for tag in by_tag}, "tag")
    plans = []
    for tag, members in sorted(by_tag.items()):
        members.sort(key=lambda e: (e.deck, e.key))
        deck = DeckSelection(tag_deck(tag), tuple(e.key for e in members), tag=tag)
        plans.append(_plan(f"tags/{names[tag]}.apkg", [(deck, [_part(e, tag) for e in members])], notetype_mtime))
    return plans


def _part(episode: StoredEpisode, tag: str) -> Part:
    assert episode.parts is not None  # filled by reconcile for every episode
    return episode.parts[tag]


def _changes_plan(episodes: dict[str, StoredEpisode], pending: dict[str, list[PendingNote]],
                  notetype_mtime: int) -> PackagePlan | None:
    """Every note changed since the last completed build, in its episode's deck."""
    decks = []
    for key, notes in sorted(pending.items()):
        if key in episodes and notes:
            parts = PartDigests()
            for note in notes:
                parts.add(note.guid, note.hash, note.mtime, ())
            selection = DeckSelection(episodes[key].deck, (key,), guids=frozenset(note.guid for note in notes))
            decks.append((selection, [parts.parts()[""]]))
    return _plan(CHANGES_PACKAGE, decks, notetype_mtime) if decks else None


def unique_names(readable: dict[str, str], fallback: str) -> dict[str, str]:
    """File names from readable names, unique even where case does not count.

    A name that had to be changed to be a file name (`AI/ML` → `AI_ML`), or
    that would share its file with another on a case-insensitive file system
    (`Sleep`, `sleep`), gets a short hash of what it stands for.
    """
    safe = {key: _file_name(name, fallback) for key, name in readable.items()}
    sharing = Counter(name.casefold() for name in safe.values())
    return {
        key: name if name == readable[key] and sharing[name.casefold()] == 1
        else f"{name}-{hashlib.sha1(key.encode()).hexdigest()[:6]}"
        for key, name in safe.items()
    }


_UNSAFE = re.compile(r"[^\w.-]")  # \w: what `str.isalnum()` accepts, and `_`


def _file_name(name: str, fallback: str) -> str:
    return _UNSAFE.sub("_", name).strip(".")[:100] or fallback


# --- write and record --------------------------------------------------------------

def write_packages(out: Path, plans: tuple[PackagePlan, ...], workers: int | None,
                   progress: Progress) -> list[Written]:
    """Write the planned packages, on all cores when there are many.

    The largest go first, so that no core is left writing one big tag package
    alone at the end.
    """
    plans = tuple(sorted(plans, key=lambda plan: plan.notes, reverse=True))
    large = sum(1 for plan in plans if plan.notes > package.LARGE_PACKAGE)
    parallel = workers != 1 and (len(plans) >= PARALLEL_PACKAGES or (large >= 2 and small_main()))
    # A large package is a task of its own; small ones (an episode's) go a few at a time:
    # one at a time, passing them to and fro cost as much as writing them.
    tasks: list[tuple[PackagePlan, ...]] = [(plan,) for plan in plans[:large]]  # sorted: large ones first
    tasks += in_batches(plans[large:], PACKAGES_PER_TASK)
    results = run_all(write_plans, [(out, task) for task in tasks], workers, parallel)
    errors = (error for batch in results for error in batch)
    written = []
    for done, (plan, error) in enumerate(zip(plans, errors, strict=True), start=1):
        stat = None
        if error is None:
            try:
                stat = file_stat(out / plan.relative)
            except OSError as failure:
                error = os_reason(failure)
        written.append(Written(plan, stat, error))
        progress("writing", done, len(plans))
    return written


def write_plans(out: Path, plans: tuple[PackagePlan, ...]) -> list[str | None]:
    """Write a few planned packages (in a worker process): why each could not be written, or None."""
    return [write_plan(out, plan) for plan in plans]


def write_plan(out: Path, plan: PackagePlan) -> str | None:
    """Write one planned package, streaming its notes from the state file.

    Runs in worker processes; returns why the package could not be written.
    """
    try:
        package.write_from_state(out / plan.relative, out / STATE_FILE, plan.decks, plan.notetype_mtime,
                                 plan.base_time, plan.notes)
    except OSError as error:
        return os_reason(error)
    except sqlite3.Error as error:
        return f"{error}; build again"
    return None


def record(state: State, out: Path, plan: Plan, written: list[Written]) -> list[Path]:
    """Record each package now in place; remove stale ones; a complete build clears what is pending.

    Returns the stale packages removed.
    """
    for result in written:
        if result.stat is not None:
            state.set_package(result.plan.relative, result.plan.digest, result.stat)
        else:
            state.forget_package(result.plan.relative)  # whatever is there is not what it should hold
    removed = []
    for relative in plan.stale:
        path = out / relative
        try:
            path.unlink(missing_ok=True)
        except OSError:
            continue  # recorded still: removed by the next build
        state.forget_package(relative)
        removed.append(path)
    if all(result.stat is not None for result in written):
        state.clear_pending()
    return removed


def assemble_report(sources: int, problems: list[Problem], reconciled: Reconciled, plan: Plan,
                    written: list[Written], removed: list[Path], out: Path) -> BuildReport:
    """The summary, from what each stage returned."""
    report = BuildReport(sources=sources, sources_unchanged=reconciled.sources_unchanged,
                         problems=problems, disappeared=list(reconciled.disappeared), removed=removed,
                         packages_unchanged=plan.in_place)
    for outcome in reconciled.outcomes:
        episode = outcome.episode
        report.episodes += 1
        report.snips += episode.snips
        report.skipped.update(dict(episode.skipped))
        report.notes += episode.notes
        report.cards += episode.cards
        report.new += outcome.statuses[NoteStatus.NEW]
        report.updated += outcome.statuses[NoteStatus.UPDATED]
        report.unchanged += outcome.statuses[NoteStatus.UNCHANGED]
    for result in written:
        path = out / result.plan.relative
        if result.error is not None:
            report.problems.append(Problem(path, f"could not be written: {result.error}; the next build "
                                                 "writes it again", None, Level.ERROR))
            continue
        report.written.append(path)
    failed = {result.plan.relative for result in written if result.error is not None}
    if plan.changes is not None and CHANGES_PACKAGE not in failed:
        report.changes, report.changes_notes = out / CHANGES_PACKAGE, plan.changes.notes
    return report
