"""Sources → episodes → the state: which episodes to make (again), from which files.

    read (in workers) → fold → `State.apply`

What an output folder holds is what a clean build of *this* build's sources
makes, whatever was built into it before. So every stored episode records
the sources it was made from, with their digests; it is reused only when the
files that hold it in this build are exactly those, unchanged. Otherwise it
is made again: from the one file that holds it, or, when several do, from
all of them (`merge_episodes`). Episodes that no source of this build holds
stay in the state, out of the packages, as long as a file they came from
still exists: building that other folder again keeps their notes' mtimes.
"""

from __future__ import annotations

import enum
import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from cards.errors import SourceError
from cards.model import Episode, Level, NoteRow, ParsedFile, Problem, Snip
from cards.notes import EpisodeNotes, episode_deck, episode_notes, writes_cards
from cards.parse import parse_file
from cards.parse.text import read_bytes
from cards.state import (
    Applied,
    Bookkeeping,
    EpisodeSummary,
    KeptAnswers,
    Known,
    KnownSource,
    NoteStatus,
    PendingNote,
    PreparedEpisode,
    PreparedRow,
    SourceVersion,
    State,
    StoredEpisode,
    StoreEpisode,
    pack_fields,
)
from cards.workers import Progress, in_batches, run_all

if TYPE_CHECKING:
    from cards.cardmaker.writer import Writer

PARALLEL_SOURCES = 16  # sources (or episodes made from several files) to read before workers pay off
SOURCES_PER_TASK = 4


# --- records ----------------------------------------------------------------

class SourceCheck(NamedTuple):
    """One source, compared with what the last build read."""

    path: Path
    key: str
    digest: str | None
    stat: str
    unchanged: bool
    problem: Problem | None = None


class SourceRead(NamedTuple):
    """One changed source, parsed, with the notes of its episodes (made lazily when serial)."""

    check: SourceCheck
    problems: tuple[Problem, ...]
    episodes: Iterable[PreparedEpisode]


@dataclass(frozen=True)
class EpisodeOutcome:
    """What became of one episode in this build."""

    episode: StoredEpisode
    statuses: Counter = field(default_factory=Counter)


class Reconciled(NamedTuple):
    """The sources folded into the state.

    `episodes` are those of this build's sources (its packages); `stored`
    is every episode the state holds (the decks of `changes.apkg`).
    """

    outcomes: tuple[EpisodeOutcome, ...]
    episodes: dict[str, StoredEpisode]
    stored: dict[str, StoredEpisode]
    pending: dict[str, list[PendingNote]]
    problems: tuple[Problem, ...]
    sources_unchanged: int
    disappeared: tuple[str, ...]
    not_snipd: tuple[Path, ...] = ()  # sources that hold no episode (not Snipd notes, or empty), read now or before


class Writers(Protocol):
    """The card writer that each piece of note making takes along (to a worker process, when there are many).

    Pieces are a few sources, or a few episodes made from several files; a
    writer holds what those need and no more, since it is pickled with them.
    """

    def for_sources(self, keys: Sequence[str]) -> Writer:
        """The writer for the notes of these sources (by `source_key`)."""
        ...

    def for_episodes(self, episodes: Sequence[Episode]) -> Writer:
        """The writer for the notes of these episodes."""
        ...


class OneWriter(NamedTuple):
    """The same writer for everything (the rules: `OneWriter(RULES)`)."""

    writer: Writer

    def for_sources(self, keys: Sequence[str]) -> Writer:
        return self.writer

    def for_episodes(self, episodes: Sequence[Episode]) -> Writer:
        return self.writer


def rules_everywhere() -> OneWriter:
    """The rules for every note."""
    from cards.cardmaker.writer import RULES

    return OneWriter(RULES)


@cache
def source_key(path: Path) -> str:
    """How the state names a source: its absolute path, however it was typed.

    `abspath` rather than `resolve`: it asks the file system nothing, and a
    no-op rebuild of thousands of files must stay well under a second.
    """
    return os.path.abspath(path)


def unreadable(path: Path, reason: str) -> SourceCheck:
    """A source that could not be read: its earlier notes stay as they were."""
    return SourceCheck(path, source_key(path), None, "", False, Problem(path, reason, None, Level.ERROR))


# --- making notes (in worker processes when many) -------------------------------------

def note_hash(row: NoteRow) -> str:
    """What Anki would see change: kind, fields and tags."""
    digest = hashlib.blake2b(digest_size=12)
    for part in (row.kind.value, *row.fields, "\x1e", *row.tags):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


def make_notes(check: SourceCheck, writer: Writer, lazy: bool = False) -> SourceRead:
    """Parse a changed source and make its notes with `writer` (in a worker process when many).

    `lazy` makes each episode's notes only when the next stage asks for them,
    so a huge export never holds every note at once.
    """
    parsed = parse_source(check.path)
    made = (prepare(episode_notes(e, lazy, writer), lazy) for e in parsed.episodes)
    return SourceRead(check, parsed.problems, made if lazy else tuple(made))


def make_notes_of(checks: tuple[SourceCheck, ...], writer: Writer) -> list[SourceRead]:
    """`make_notes` for a few sources, in a worker process."""
    return [make_notes(check, writer) for check in checks]


def parse_source(path: Path) -> ParsedFile:
    """A source's episodes, and what is wrong with it (an error: it could not be read)."""
    try:
        raw = read_bytes(path)
    except SourceError as error:
        return ParsedFile(path, (), (Problem(path, error.reason, error.line, Level.ERROR),))
    return parse_file(path, raw)


def prepare(made: EpisodeNotes, lazy: bool) -> PreparedEpisode:
    """Hash and pack each note where it is made: in workers, not in the main process that stores them.

    Only the packed fields travel on: pickling each note's fields (and the
    episode's snips) back to the main process cost it more than storing them.
    """
    rows = (PreparedRow(row._replace(fields=()), note_hash(row), pack_fields(row)) for row in made.rows)
    episode = made.episode
    snips = sum(1 for s in episode.snips if writes_cards(s))
    summary = EpisodeSummary(episode.key, episode.title, episode_deck(episode), episode.slug, snips)
    return PreparedEpisode(summary, rows if lazy else list(rows), made.skipped)


def prepare_episodes(episodes: tuple[Episode, ...], writer: Writer) -> list[PreparedEpisode]:
    """The notes of a few episodes made from several files, in a worker process."""
    return [prepare(episode_notes(episode, False, writer), lazy=False) for episode in episodes]


def to_read(checks: Iterable[SourceCheck]) -> list[SourceCheck]:
    """The sources whose notes this build makes: readable, and changed since the last build."""
    return [c for c in checks if c.digest and not c.unchanged]


def read_sources(checks: list[SourceCheck], workers: int | None, progress: Progress,
                 writers: Writers) -> Iterator[SourceCheck | SourceRead]:
    """Every source in order: unchanged or unreadable ones as checked, changed ones parsed."""
    changed = to_read(checks)
    parallel = len(changed) >= PARALLEL_SOURCES and workers != 1
    if parallel:  # a few sources per task: one at a time, passing them to and fro cost a tenth of the reading
        batches = [(batch, writers.for_sources([c.key for c in batch]))
                   for batch in in_batches(changed, SOURCES_PER_TASK)]
        # The first batch here: the workers forked after it inherit the card maker and templates it loaded.
        made = run_all(make_notes_of, batches, workers, True, window=16, first_here=True)
        parsed = (read for batch in made for read in batch)
    else:
        parsed = (make_notes(check, writers.for_sources([check.key]), lazy=True) for check in changed)
    for done, check in enumerate(checks, start=1):
        yield next(parsed) if check.digest and not check.unchanged else check
        progress("reading", done, len(checks))


def _make_episodes(episodes: list[Episode], workers: int | None, writers: Writers) -> Iterator[PreparedEpisode]:
    """The notes of episodes made from several files: in workers when there are many."""
    if len(episodes) < PARALLEL_SOURCES or workers == 1:
        yield from (prepare(episode_notes(episode, True, writers.for_episodes([episode])), lazy=True)
                    for episode in episodes)
        return
    batches = [(batch, writers.for_episodes(batch)) for batch in in_batches(episodes, SOURCES_PER_TASK)]
    for made in run_all(prepare_episodes, batches, workers, True, window=16, first_here=True):
        yield from made


# --- one episode from several files ------------------------------------------------------

def merge_episodes(copies: Sequence[Episode]) -> Episode:
    """One episode from its copies in several files, given in path order.

    Its snips are those of every copy, by their identity (the one the GUIDs
    are made from), in the order they first appear. A snip in more than one
    copy is taken from the first copy that has key points for it (else from
    the first): an export made before Snipd summarised a snip does not hide
    the summary in a later one. Everything else (title, date, link, tags)
    comes from the first copy.
    """
    first = copies[0]
    if len(copies) == 1:
        return first
    chosen: dict[str, Snip] = {}
    for copy in copies:
        for snip in copy.snips:
            if snip.key not in chosen or (snip.key_points and not chosen[snip.key].key_points):
                chosen[snip.key] = snip
    return first._replace(snips=tuple(chosen.values()))


# --- the fold ----------------------------------------------------------------------------

class Whereabouts(enum.Enum):
    """Where a source that an episode was made from is, as this build sees it."""

    SEEN = "a source of this build, or gone from under its folders"
    ELSEWHERE = "outside this build (or under a folder it could not read), still there"
    GONE = "outside this build, and no longer there"


def read_again(checks: list[SourceCheck], known: Known) -> list[SourceCheck]:
    """The checks, with unchanged sources that hold an episode made from other files marked changed.

    Such an episode was last made from another folder's copy, or together
    with a file that is gone: reading its one file again makes it as a
    clean build would. (An episode in several files is made at the end of
    the fold instead.) Most episodes were made from their one unchanged file:
    for those this asks nothing more.
    """
    again, holders = set(), None
    for check in checks:
        if not check.unchanged:
            continue
        made_here = (SourceVersion(check.key, check.digest or ""),)
        for key in known.sources[check.key].episodes:
            stored = known.episodes.get(key)
            if stored is None or stored.sources != made_here:
                holders = holders or _holders(checks, known)
                if len(holders[key]) == 1:
                    again.add(check.key)
    return [check._replace(unchanged=False) if check.key in again else check for check in checks]


def _holders(checks: list[SourceCheck], known: Known) -> dict[str, set[str]]:
    """Which sources of this build held each episode when they were last read."""
    holders: dict[str, set[str]] = defaultdict(set)
    for check in checks:
        record = known.sources.get(check.key)
        for key in record.episodes if record else ():
            holders[key].add(check.key)
    return holders


def reconcile(state: State, known: Known, checks: list[SourceCheck], reads: Iterable[SourceCheck | SourceRead],
              roots: list[Path], unreadable_folders: Iterable[Path], *, now: int, meta: dict[str, str],
              new_changes: bool, offer_changes: bool, forget_packages: tuple[str, ...], workers: int | None,
              writers: Writers, read_next_time: frozenset[str] = frozenset(),
              answers: KeptAnswers | None = None) -> Reconciled:
    """Fold every source into the state, in one `apply`; what each episode now holds.

    Sources under `unreadable_folders` were not seen, so they are not gone.
    `new_changes` starts a new `changes.apkg` (the user deleted the last one, and its record is among
    `forget_packages`); without `offer_changes` (a first build) it gets none of this build's notes.
    Sources in `read_next_time` (by `source_key`) are read again by the next build, changed or not:
    some of their cards wait for a language model that did not answer. `answers` are what a language
    model answered this build, kept in the same write.
    """
    fold = _Fold(known, checks, roots, unreadable_folders, workers, writers, read_next_time)
    books = Bookkeeping(meta=meta, sources={}, clear_pending=new_changes, offer_changes=offer_changes,
                        forget_packages=forget_packages, answers=answers)
    applied = state.apply(fold.changes(reads, books), now)
    return fold.result(applied)


def _in_path_order(versions: set[SourceVersion]) -> tuple[SourceVersion, ...]:
    return (next(iter(versions)),) if len(versions) == 1 else tuple(sorted(versions))


def _emptied(path: Path) -> bool:
    """The file holds nothing but blank space (as a sync client leaves it while it downloads it): not a note the
    user rewrote. Asked only of a file that held snips and holds none now."""
    try:
        with open(path, "rb") as handle:
            return not handle.read(4096).strip()
    except OSError:
        return True  # gone since it was read: not seen, not gone


class _Fold:
    """Folds sources into changes for the state, one at a time, and keeps what it found."""

    def __init__(self, known: Known, checks: list[SourceCheck], roots: list[Path],
                 unreadable_folders: Iterable[Path], workers: int | None, writers: Writers,
                 read_next_time: frozenset[str]):
        self.known, self.workers, self.writers, self.read_next_time = known, workers, writers, read_next_time
        self.present = {check.key for check in checks}
        self.folders = tuple(source_key(r).rstrip(os.sep) + os.sep for r in roots if r.is_dir())
        self.unseen = tuple(source_key(f).rstrip(os.sep) + os.sep for f in unreadable_folders)
        self.checks = checks
        self._expected: dict[str, set[str]] | None = None
        # Episodes of sources that cannot be read now are kept as they are.
        self.frozen = {key for check in checks if check.problem for key in self._held(check.key)}
        self.frozen.update(key for path, source in known.sources.items()
                           if path not in self.present and (path + os.sep).startswith(self.unseen)
                           for key in source.episodes)  # under a folder not seen, or a link that leads nowhere
        self.holders: dict[str, set[SourceVersion]] = defaultdict(set)
        self.stored: set[str] = set()  # episodes stored as read from their one file
        self.shared: set[str] = set()  # episodes to make from several files (or again) at the end
        self.sources: dict[str, KnownSource] = {}
        self.problems: list[Problem] = []
        self.sources_unchanged = 0
        self.not_snipd: list[Path] = []
        self.forgotten: set[str] = set()
        self._exists: dict[str, bool] = {}

    @property
    def expected(self) -> dict[str, set[str]]:
        """Which sources of this build held each episode last time: a copy read now waits for the others.

        Made when a first source was read (a no-op build reads none).
        """
        if self._expected is None:
            self._expected = _holders(self.checks, self.known)
        return self._expected

    def _held(self, path: str) -> tuple[str, ...]:
        """The episode keys the last build that read a source found in it."""
        record = self.known.sources.get(path)
        return record.episodes if record else ()

    def changes(self, reads: Iterable[SourceCheck | SourceRead], books: Bookkeeping,
                ) -> Iterator[StoreEpisode | Bookkeeping]:
        """What to store, source by source, then episodes made from several files, then the books."""
        for item in reads:
            if isinstance(item, SourceRead):
                yield from self._take_read(item)
            elif item.digest is None:
                self._take_unreadable(item)
            else:
                self._take_unchanged(item)
            del item  # a parsed export can be huge: nothing keeps it once it is stored
        yield from self._make_shared()
        yield self._books(books)

    def _take_unchanged(self, check: SourceCheck) -> None:
        self.sources_unchanged += 1
        record = self.known.sources[check.key]
        if not record.episodes:
            self.not_snipd.append(check.path)
        if check.stat != record.stat:
            self.sources[check.key] = record._replace(stat=check.stat)  # touched, same bytes
        for key in record.episodes:
            self.holders[key].add(SourceVersion(check.key, record.digest))

    def _take_unreadable(self, check: SourceCheck) -> None:
        """Its earlier notes and packages stay as they were; it is read again next time."""
        if check.problem:
            self.problems.append(check.problem)
        self.frozen.update(self._held(check.key))

    def _take_read(self, read: SourceRead) -> Iterator[StoreEpisode]:
        self.problems.extend(read.problems)
        check = read.check
        if check.digest is None or any(p.level is Level.ERROR for p in read.problems):
            self._take_unreadable(check)
            return
        version = SourceVersion(check.key, check.digest)
        keys = []
        for made in read.episodes:
            key = made.episode.key
            keys.append(key)
            others = self.holders[key] or self.expected.get(key, set()) - {check.key} or key in self.frozen
            self.holders[key].add(version)
            if others:  # made at the end, from every file that holds it (its notes here are never made)
                self.shared.add(key)
                continue
            self.stored.add(key)
            yield StoreEpisode(made, (version,))
        if not keys and self._held(check.key) and _emptied(check.path):
            self._take_unreadable(check._replace(problem=Problem(
                check.path, "held Snipd snips at the last build and holds none now (emptied while it syncs?); its "
                "cards are kept: delete the file to drop them", None, Level.ERROR)))
            return
        if not keys:
            self.not_snipd.append(check.path)
        # A source recorded with no digest and no stat is read again next time (as after an upgrade).
        again = check.key in self.read_next_time
        self.sources[check.key] = KnownSource("" if again else check.digest, tuple(dict.fromkeys(keys)),
                                              "" if again else check.stat)

    def _make_shared(self) -> Iterator[StoreEpisode]:
        """Episodes in several files, and those last made from other files: made from all that hold them."""
        for key, versions in self.holders.items():
            if key not in self.shared and key not in self.frozen and key not in self.stored:
                stored = self.known.episodes.get(key)
                if stored is None or stored.sources != _in_path_order(versions):
                    self.shared.add(key)
        keys = sorted(self.shared - self.frozen)
        if not keys:
            return
        copies = self._copies(keys)
        episodes = [merge_episodes(copies[key]) for key in keys if copies.get(key)]
        for made in _make_episodes(episodes, self.workers, self.writers):
            key = made.episode.key
            yield StoreEpisode(made, _in_path_order(self.holders[key]))

    def _copies(self, keys: list[str]) -> dict[str, list[Episode]]:
        """Each episode's copies, file by file in path order; each file is parsed once.

        A file that cannot be read now keeps its episodes as they are.
        """
        wanted: dict[str, list[str]] = defaultdict(list)  # file → the episodes wanted from it
        for key in keys:
            for version in sorted(self.holders[key]):
                wanted[version.path].append(key)
        copies: dict[str, list[Episode]] = defaultdict(list)
        for path in sorted(wanted):
            parsed = parse_source(Path(path))
            errors = [problem for problem in parsed.problems if problem.level is Level.ERROR]
            if errors:  # it changed since it was checked: the next build reads it again
                self.problems += errors
                self.frozen.update(wanted[path])
                continue
            chosen = set(wanted[path])
            for episode in parsed.episodes:
                if episode.key in chosen:
                    copies[episode.key].append(episode)
        return {key: found for key, found in copies.items() if key not in self.frozen}

    def _books(self, books: Bookkeeping) -> Bookkeeping:
        """Sources and episodes that this build no longer finds: forgotten, or kept for another folder."""
        active = self._active()
        gone, dropped = [], []
        for key, episode in self.known.episodes.items():
            if key in active:
                continue
            whereabouts = {self._whereabouts(source.path) for source in episode.sources}
            if whereabouts == {Whereabouts.SEEN}:
                gone.append(key)
            elif Whereabouts.ELSEWHERE not in whereabouts:
                dropped.append(key)
        self.forgotten = {*gone, *dropped}
        forget = tuple(path for path in self.known.sources
                       if path not in self.present and self._whereabouts(path) is not Whereabouts.ELSEWHERE)
        return books._replace(sources=self.sources, forget_sources=forget, gone_episodes=tuple(gone),
                              dropped_episodes=tuple(dropped))

    def _active(self) -> set[str]:
        """The episodes this build's sources hold, and those kept as they were."""
        return {*self.holders, *(key for key in self.frozen if key in self.known.episodes)}

    def _whereabouts(self, path: str) -> Whereabouts:
        if path in self.present:
            return Whereabouts.SEEN
        if path.startswith(self.unseen):
            return Whereabouts.ELSEWHERE
        if path not in self._exists:
            self._exists[path] = os.path.lexists(path)
        if self._exists[path]:
            return Whereabouts.ELSEWHERE
        return Whereabouts.SEEN if path.startswith(self.folders) else Whereabouts.GONE

    def result(self, applied: Applied) -> Reconciled:
        """Every episode of this build as it now stands, and what became of each."""
        outcomes, episodes, disappeared = [], {}, []
        for key, stored in applied.stored.items():
            episodes[key] = stored.episode
            outcomes.append(EpisodeOutcome(stored.episode, stored.statuses))
            disappeared += [f"{title or 'untitled snip'} ({stored.episode.title})" for title in stored.gone]
        for key in sorted(self._active() - applied.stored.keys()):
            if key not in self.known.episodes:
                continue  # could not be made (a file that holds it became unreadable): nothing to keep
            episode = episodes[key] = self.known.episodes[key]
            if key not in self.frozen:
                outcomes.append(EpisodeOutcome(episode, Counter({NoteStatus.UNCHANGED: episode.notes})))
        for key, titles in applied.gone.items():
            disappeared += [f"{title or 'untitled snip'} ({self.known.episodes[key].title})" for title in titles]
        everything = {key: e for key, e in self.known.episodes.items() if key not in self.forgotten}
        return Reconciled(tuple(outcomes), episodes, {**everything, **episodes}, applied.pending,
                          tuple(self.problems), self.sources_unchanged, tuple(disappeared), tuple(self.not_snipd))

