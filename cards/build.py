"""The orchestrator: sources → notes → packages, remembering what it wrote.

A build reads every source whose bytes changed since the last build (all of
them with `force`), makes its notes, gives each note the mtime of the build
that last changed it, and rewrites only the packages whose notes changed:
the episode's package, the packages of its tags and `changes.apkg`.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cards import __version__
from cards.errors import MissingPathError, SourceError
from cards.model import Level, NoteRow, ParsedFile, Problem
from cards.notes import EpisodeNotes, episode_deck, episode_notes, tag_deck
from cards.notetypes import notetype_digest
from cards import package
from cards.parse import find_sources, parse_file
from cards.parse.text import read_bytes
from cards.state import STATE_FILE, State, StoredEpisode, StoredNote

CHANGES_PACKAGE = "changes.apkg"
Progress = Callable[[str, int, int], None]


@dataclass
class BuildReport:
    """What a build did, for the summary."""

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
    changes: Path | None = None
    changes_new: int = 0
    changes_updated: int = 0
    disappeared: list[str] = field(default_factory=list)
    state_was_missing: bool = False

    @property
    def failed(self) -> bool:
        """True when some input could not be read: the exit code says so."""
        return any(p.level is Level.ERROR for p in self.problems)


@dataclass(frozen=True)
class SourceResult:
    """One source file, read (or found unchanged) in a worker."""

    path: Path
    digest: str | None
    unchanged: bool = False
    parsed: ParsedFile | None = None
    made: tuple[EpisodeNotes, ...] = ()
    stat: str = ""


def build(
    paths: Iterable[Path],
    out: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    now: int | None = None,
    workers: int | None = None,
) -> BuildReport:
    """Build the decks of every note under `paths` into `out`."""
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise MissingPathError(path)
    sources = find_sources(paths)
    had_packages = any(out.glob("episodes/*.apkg"))
    state = State(out)
    remove_leftovers(out)
    try:
        run = _Build(state, out, force, progress, _build_time(now), workers)
        run.report.state_was_missing = state.was_new and had_packages
        return run.run(paths, sources)
    finally:
        state.close()


def remove_leftovers(out: Path) -> None:
    """Temporary files a killed build left behind (never a finished package)."""
    for leftover in out.glob("**/.*.apkg.*.tmp"):
        leftover.unlink(missing_ok=True)


def _build_time(now: int | None) -> int:
    """This build's mtime for changed notes; SOURCE_DATE_EPOCH pins it."""
    if now is not None:
        return now
    pinned = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(pinned) if pinned.isdigit() else int(time.time())


def source_digest(raw: bytes) -> str:
    """A source's identity for incremental builds: its bytes and this version."""
    return hashlib.blake2b(raw + __version__.encode() + notetype_digest().encode(), digest_size=16).hexdigest()


def stat_key(info: os.stat_result) -> str:
    """Size, modification time and this version: when all match, the bytes are not read."""
    return f"{info.st_size}:{info.st_mtime_ns}:{__version__}:{notetype_digest()}"


@lru_cache(maxsize=None)
def source_key(path: Path) -> str:
    """How the state names a source: its absolute path, however it was typed.

    `abspath` rather than `resolve`: it asks the file system nothing, and a
    no-op rebuild of thousands of files must stay well under a second.
    """
    return os.path.abspath(path)


def _unreadable(path: Path, reason: str) -> SourceResult:
    return SourceResult(path, None, parsed=ParsedFile(path, (), (Problem(path, reason, None, Level.ERROR),)))


def check_source(path: Path, known: tuple | None, force: bool, trusted_before: float) -> SourceResult:
    """Unchanged since the last build (by its stat, else its bytes), changed, or unreadable.

    As git does, a stat is trusted only for files last modified well before
    the last build looked at them: a file rewritten within the same clock tick
    with the same size would otherwise look unchanged.
    """
    known_digest, _, known_stat = known or (None, None, None)
    try:
        info = path.stat()
        stat, settled = stat_key(info), info.st_mtime < trusted_before
        if stat == known_stat and settled and not force:
            return SourceResult(path, known_digest, unchanged=True, stat=stat)
        raw = read_bytes(path)
    except SourceError as error:
        return _unreadable(path, error.reason)
    except OSError as error:
        return _unreadable(path, f"cannot be read ({error.strerror or error})")
    digest = source_digest(raw)
    return SourceResult(path, digest, unchanged=digest == known_digest and not force, stat=stat)


def make_notes(path: Path, digest: str, stat: str) -> SourceResult:
    """Parse a changed source and make its notes (in a worker process when many)."""
    try:
        raw = read_bytes(path)
    except SourceError as error:
        return _unreadable(path, error.reason)
    parsed = parse_file(path, raw)
    made = tuple(episode_notes(e) for e in parsed.episodes)
    return SourceResult(path, digest, parsed=parsed, made=made, stat=stat)


def _merge(checked: list[SourceResult], parsed) -> Iterable[SourceResult]:
    """The sources in their order: checked ones as they are, changed ones as parsed."""
    parsed = iter(parsed)
    for result in checked:
        yield next(parsed) if result.digest and not result.unchanged else result


def bounded_map(pool: ProcessPoolExecutor, function, arguments: list[tuple], window: int = 64):
    """`pool.map` in order, with at most `window` results waiting: memory stays flat."""
    pending: deque = deque()
    for args in arguments:
        pending.append(pool.submit(function, *args))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def note_hash(row: NoteRow) -> str:
    """What Anki would see change: kind, fields and tags."""
    digest = hashlib.blake2b(digest_size=12)
    for part in (row.kind.value, *row.fields, "\x1e", *row.tags):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


class _Build:
    """One build's working state; `run` is the whole sequence."""

    def __init__(self, state: State, out: Path, force: bool, progress: Progress | None, now: int,
                 workers: int | None):
        self.state, self.out, self.force, self.now = state, out, force, now
        self.progress = progress or (lambda stage, done, total: None)
        self.workers = workers
        self.report = BuildReport()
        # What the last build recorded, read once: sources and episode figures.
        self.known_sources = state.all_source_digests()
        self.episode_figures = state.episode_figures()
        self.changed_episodes: set[str] = set()
        self.touched_tags: set[str] = set()
        self.changed_guids: dict[str, set[str]] = {}
        self.seen_episodes: dict[str, Path] = {}
        self.stale_changes = False
        self.packages_taken: dict[str, str] | None = None

    def run(self, roots: list[Path], sources: list[Path]) -> BuildReport:
        self.notetype_mtime = self._notetype_mtime()
        for result in self._read_all(sources):
            self._take(result)
        self._forget_vanished(roots, sources)
        self._write_packages()
        self.state.commit()
        return self.report

    def _notetype_mtime(self) -> int:
        """Templates or CSS changed since the last build: a newer note type mtime."""
        digest, stored = notetype_digest(), self.state.get_meta("notetype_mtime")
        if self.state.get_meta("notetype_digest") == digest and stored:
            return int(stored)
        mtime = max(self.now, int(stored) + 1) if stored else self.now
        self.state.set_meta("notetype_digest", digest)
        self.state.set_meta("notetype_mtime", str(mtime))
        self.force = self.force or stored is not None
        return mtime

    def _read_all(self, sources: list[Path]):
        """Hash every source here (cheap); parse the changed ones, on all cores when many."""
        self.report.sources = len(sources)
        trusted_before = float(self.state.get_meta("last_read") or 0) - 1.0
        self.state.set_meta("last_read", repr(time.time()))
        checked = [check_source(p, self.known_sources.get(source_key(p)), self.force, trusted_before) for p in sources]
        changed = [c for c in checked if c.digest and not c.unchanged]
        if len(changed) < 16 or self.workers == 1:
            parsed = (make_notes(c.path, c.digest, c.stat) for c in changed)
            yield from self._counted("reading", _merge(checked, parsed), len(sources))
            return
        with ProcessPoolExecutor(max_workers=self.workers or os.cpu_count()) as pool:
            parsed = bounded_map(pool, make_notes, [(c.path, c.digest, c.stat) for c in changed])
            yield from self._counted("reading", _merge(checked, parsed), len(sources))

    def _counted(self, stage: str, items, total: int):
        for done, item in enumerate(items, start=1):
            yield item
            self.progress(stage, done, total)

    def _take(self, result: SourceResult) -> None:
        """Fold one source's result into the state and the report."""
        if result.unchanged:
            self._count_unchanged_source(result.path)
            if result.stat != self.known_sources[source_key(result.path)][2]:
                self.state.set_source_stat(source_key(result.path), result.stat)  # touched, same bytes
            return
        self.report.problems.extend(result.parsed.problems)
        if result.digest is None or any(p.level is Level.ERROR for p in result.parsed.problems):
            # Unreadable: its earlier notes and packages stay as they were, and
            # its tag decks keep its notes; it is read again next time.
            for key in self._previous_episodes(source_key(result.path)):
                self.seen_episodes[key] = result.path
            return
        keys = []
        for made in result.made:
            if self._claim(made, result.path):
                self._take_episode(made, source_key(result.path))
                keys.append(made.episode.key)
        self._forget_dropped_episodes(source_key(result.path), keys)
        self.state.set_source(source_key(result.path), result.digest, keys, result.stat)

    def _claim(self, made: EpisodeNotes, path: Path) -> bool:
        """An episode found twice (two exports of it) is built once."""
        key = made.episode.key
        if key in self.seen_episodes:
            self.report.problems.append(Problem(
                path, f"episode {made.episode.title!r} is also in {self.seen_episodes[key]}; skipped here"
            ))
            return False
        self.seen_episodes[key] = path
        return True

    def _count_unchanged_source(self, path: Path) -> None:
        self.report.sources_unchanged += 1
        for key in self._previous_episodes(source_key(path)):
            self.seen_episodes[key] = path
            snips, skipped, notes, cards = self.episode_figures[key]
            self._add_figures(snips, dict(skipped), notes, cards)
            self.report.unchanged += notes

    def _take_episode(self, made: EpisodeNotes, source: str) -> None:
        episode = made.episode
        old = {n.row.guid: n for n in self.state.notes_of(episode.key)}
        known = self.state.episode(episode.key)
        stored = [self._stamp(row, old.get(row.guid)) for row in made.rows]
        kept = {s.row.guid for s in stored}
        gone = [n for guid, n in old.items() if guid not in kept]
        self._report_gone(episode.title, gone)
        changed = [s for s in stored if s.row.guid not in old or old[s.row.guid].hash != s.hash]
        if changed or gone or not known:
            self.changed_episodes.add(episode.key)
            self.changed_guids[episode.key] = {s.row.guid for s in changed}
            self.touched_tags.update(t for n in [*stored, *gone] for t in n.row.deck_tags)
        self.state.replace_notes(episode.key, stored)
        record = self._stored_episode(made, known, source, stored)
        self.state.set_episode(record)
        self._add_figures(record.snips, made.skipped, record.notes, record.cards)

    def _stamp(self, row: NoteRow, old: StoredNote | None) -> StoredNote:
        """Keep the mtime of an unchanged note; a changed one gets a newer one."""
        digest = note_hash(row)
        if old is None:
            self.report.new += 1
            return StoredNote(row, digest, self.now)
        if old.hash == digest:
            self.report.unchanged += 1
            return StoredNote(row, digest, old.mtime)
        self.report.updated += 1
        return StoredNote(row, digest, max(self.now, old.mtime + 1))

    def _stored_episode(self, made: EpisodeNotes, known: StoredEpisode | None, source: str,
                        notes: list[StoredNote]) -> StoredEpisode:
        episode = made.episode
        package = known.package if known else self._package_name(episode.slug, episode.key)
        deck_tags = tuple(dict.fromkeys(t for n in notes for t in n.row.deck_tags))
        return StoredEpisode(
            episode.key, source, episode.title, episode_deck(episode), package, deck_tags,
            _snip_count(episode), tuple(sorted(made.skipped.items())),
            len(notes), sum(n.row.card_count for n in notes),
        )

    def _package_name(self, slug: str, key: str) -> str:
        """`episodes/<slug>.apkg`, made unique when two episodes share a slug."""
        if self.packages_taken is None:
            self.packages_taken = self.state.packages_in_use()
        name = f"episodes/{slug}.apkg"
        if name in self.packages_taken and self.packages_taken[name] != key:
            name = f"episodes/{slug}-{hashlib.sha1(key.encode()).hexdigest()[:6]}.apkg"
        self.packages_taken[name] = key
        return name

    def _add_figures(self, snips: int, skipped: dict, notes: int, cards: int) -> None:
        """One episode's figures into the summary (read this build or recorded by the last)."""
        self.report.episodes += 1
        self.report.snips += snips
        self.report.skipped.update(skipped)
        self.report.notes += notes
        self.report.cards += cards

    def _report_gone(self, episode_title: str, gone: list[StoredNote]) -> None:
        for title in dict.fromkeys(n.row.snip_title for n in gone):
            self.report.disappeared.append(f"{title or 'untitled snip'} ({episode_title})")

    def _previous_episodes(self, source: str) -> list[str]:
        """The episode keys the last build found in a source."""
        return self.known_sources.get(source, (None, []))[1]

    def _forget_dropped_episodes(self, source: str, keys: list[str]) -> None:
        """Episodes a source no longer holds (a legacy export lost one)."""
        for key in self._previous_episodes(source):
            if key not in keys and key not in self.seen_episodes:
                self._forget_episode(key)

    def _forget_vanished(self, roots: list[Path], sources: list[Path]) -> None:
        """Sources under this build's folders that are gone: report their snips."""
        present = {source_key(p) for p in sources}
        folders = [source_key(r) for r in roots if r.is_dir()]
        for path, (_, keys, _) in self.known_sources.items():
            inside = any(path.startswith(folder.rstrip("/") + "/") for folder in folders)
            if path not in present and inside and not Path(path).exists():
                for key in keys:
                    self._forget_episode(key)
                self.state.forget_source(path)

    def _forget_episode(self, key: str) -> None:
        known = self.state.episode(key)
        notes = self.state.notes_of(key)
        if known:
            self._report_gone(known.title, notes)
            self.touched_tags.update(known.deck_tags)
        self.state.forget_episode(key)

    # packages --------------------------------------------------------------
    def _write_packages(self) -> None:
        self.state.commit()  # the writers read the notes from the state file
        self.episodes = self.state.all_episodes()
        self.package_digests = self.state.all_package_digests()
        plans = [*self._episode_plans(), *self._tag_plans()]
        changes = self._changes_plan()
        self._write([p for p in plans if self._must_write(p)] + ([changes] if changes else []))
        if self.stale_changes:
            (self.out / CHANGES_PACKAGE).unlink(missing_ok=True)

    def _episode_plans(self) -> list[PackagePlan]:
        plans = []
        for episode in self.episodes:
            if episode.key in self.changed_episodes or self._needs_rewrite(episode.package):
                plans.append(self._plan(episode.package, [PlannedDeck(episode.deck, (episode.key,))]))
            else:
                self.report.packages_unchanged += 1
        return plans

    def _needs_rewrite(self, package: str) -> bool:
        return self.force or package not in self.package_digests or not (self.out / package).exists()

    def _tag_plans(self) -> list[PackagePlan]:
        by_tag: dict[str, list[StoredEpisode]] = defaultdict(list)
        for episode in self.episodes:
            for tag in episode.deck_tags:
                by_tag[tag].append(episode)
        plans = []
        for tag, episodes in sorted(by_tag.items()):
            package = tag_package_name(tag)
            if tag in self.touched_tags or self._needs_rewrite(package):
                keys = tuple(e.key for e in sorted(episodes, key=lambda e: (e.deck, e.key)))
                plans.append(self._plan(package, [PlannedDeck(tag_deck(tag), keys, tag=tag)]))
            else:
                self.report.packages_unchanged += 1
        return plans

    def _changes_plan(self) -> PackagePlan | None:
        """Every note new or changed in this build, in its episode's deck."""
        by_key = {episode.key: episode for episode in self.episodes}
        decks = []
        for key, guids in sorted(self.changed_guids.items()):
            episode = by_key.get(key)
            if guids and episode:
                decks.append(PlannedDeck(episode.deck, (key,), guids=frozenset(guids)))
        if not decks:
            self.stale_changes = True  # removed once the build is done: it would offer old changes as new
            return None
        self.report.changes_new = self.report.new
        self.report.changes_updated = self.report.updated
        return self._plan(CHANGES_PACKAGE, decks)

    def _plan(self, package: str, decks: list[PlannedDeck]) -> PackagePlan:
        """A package to write, with the digest, size and newest mtime of what it holds."""
        digest = hashlib.blake2b(str(self.notetype_mtime).encode(), digest_size=16)
        count, newest = 0, self.notetype_mtime
        for deck in decks:
            digest.update(deck.name.encode() + b"\x1e")
            for guid, note_hash, mtime in self.state.plan_digests(deck.episodes, deck.tag):
                if deck.guids is None or guid in deck.guids:
                    digest.update(f"{guid}\x1f{note_hash}\x1f{mtime}\x1e".encode())
                    count, newest = count + 1, max(newest, mtime)
        return PackagePlan(package, tuple(decks), self.notetype_mtime, newest, count, digest.hexdigest())

    def _must_write(self, plan: PackagePlan) -> bool:
        if not self.force and self.package_digests.get(plan.relative) == plan.digest \
                and (self.out / plan.relative).exists():
            self.report.packages_unchanged += 1
            return False
        return True

    def _write(self, plans: list[PackagePlan]) -> None:
        """Write packages, on all cores when there are many; record each that succeeded."""
        large = sum(1 for plan in plans if plan.notes > package.LARGE_PACKAGE)
        if (len(plans) < 8 and large < 2) or self.workers == 1:
            results = (write_plan(self.out, plan) for plan in plans)
            self._record(plans, results)
            return
        with ProcessPoolExecutor(max_workers=self.workers or os.cpu_count()) as pool:
            self._record(plans, pool.map(write_plan, [self.out] * len(plans), plans))

    def _record(self, plans: list[PackagePlan], results) -> None:
        for done, (plan, error) in enumerate(zip(plans, results, strict=True), start=1):
            path = self.out / plan.relative
            if error:
                self.report.problems.append(Problem(path, f"could not be written ({error})", None, Level.ERROR))
            else:
                self.report.written.append(path)
                if plan.relative == CHANGES_PACKAGE:
                    self.report.changes = path
                else:
                    self.state.set_package(plan.relative, plan.digest)
            self.progress("writing", done, len(plans))


@dataclass(frozen=True)
class PlannedDeck:
    """A deck of a package: the notes of these episodes (with a tag, or among these GUIDs)."""

    name: str
    episodes: tuple[str, ...]
    tag: str | None = None
    guids: frozenset[str] | None = None


@dataclass(frozen=True)
class PackagePlan:
    """A package to write: what goes in, and the digest the state records for it."""

    relative: str
    decks: tuple[PlannedDeck, ...]
    notetype_mtime: int
    base_time: int
    notes: int
    digest: str


def write_plan(out: Path, plan: PackagePlan) -> str | None:
    """Write one planned package, streaming its notes from the state file.

    Runs in worker processes; returns why the package could not be written.
    """
    decks = [(d.name, d.episodes, d.tag, d.guids) for d in plan.decks]
    try:
        package.write_from_state(out / plan.relative, out / STATE_FILE, decks, plan.notetype_mtime,
                                 plan.base_time, plan.notes)
    except (OSError, sqlite3.Error) as error:
        return str(error)
    return None


def _snip_count(episode) -> int:
    """Snips that make cards (placeholders and empty snips do not)."""
    return sum(1 for s in episode.snips if not s.is_placeholder and s.key_points)


def tag_package_name(tag: str) -> str:
    """`tags/<tag>.apkg`; hierarchy levels joined by `__`."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in tag.replace("::", "__"))
    return f"tags/{safe.strip('.') or 'tag'}.apkg"
