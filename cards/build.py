"""The orchestrator: sources → notes → packages, as stages that hand records on.

    scan → check → read → reconcile → plan → write → record

One invariant holds by design: after any sequence of builds (failed writes,
kills at any moment, changed tags, vanished sources, builds of other
folders into the same output folder), the packages on disk equal what a
clean build of this build's sources makes. It holds because the plan is
made from what every package *should* hold, not from what this run changed:
each package's digest comes from digests the state keeps per episode (each
episode made from exactly the files of this build that hold it, see
`cards.reconcile`), and a package is rewritten unless the state recorded
that digest, and the file's size and mtime, *after* the file was in place.
`changes.apkg` holds every note new or changed since the user last deleted
it (or since the first build into the folder, which makes none).

The state is opened twice: once to read it and store what this build made
(one transaction, committed before any package is written, since the
writers read their notes from it), and once to record the packages that are
then in place.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cards import __version__, package
from cards.cardmaker.writer import RULES_OPTIONS, WriterOptions
from cards.errors import MissingPathError, NoNotesError, OutputError, SourceError, StateError, UsageError, os_reason
from cards.lock import output_lock
from cards.model import Level, Problem
from cards.notes import tag_deck
from cards.notetypes import notetype_digest
from cards.package import DeckSelection
from cards.parse import Scan, find_sources
from cards.parse.text import read_bytes
from cards.reconcile import (
    Reconciled,
    SourceCheck,
    Writers,
    read_again,
    read_sources,
    reconcile,
    rules_everywhere,
    source_key,
    unreadable,
)
from cards.state import (
    DELIVERED,
    STATE_FILE,
    VERSIONS_COMPLETE,
    Known,
    KnownSource,
    NoteStatus,
    Part,
    PartDigests,
    PendingNote,
    RecordedPackage,
    State,
    StateReader,
    StoredEpisode,
)
from cards.workers import Progress, in_batches, run_all, small_main

if TYPE_CHECKING:
    from cards.ask import Answers, ModelReport
    from cards.cardmaker.llm import LlmSettings

CHANGES_PACKAGE = "changes.apkg"
LOCK_WAIT = 5.0  # seconds a second build waits for the first
# Anki numbers notes by milliseconds since 1970: outside these years its ids break.
EARLIEST, LATEST = 946_684_800, 4_102_444_800  # 2000-01-01, 2100-01-01
NOT_IN_PLACE = RecordedPackage("", "")  # a package whose write failed: a file of ours may be there
PARALLEL_PACKAGES = 8
PACKAGES_PER_TASK = 16


# --- records ----------------------------------------------------------------

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


class Opened(NamedTuple):
    """How the state was found: new (`was_new`), or damaged and moved aside."""

    was_new: bool
    moved_aside: Path | None


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
    not_snipd: list[Path] = field(default_factory=list)  # files that hold no Snipd note (ordinary notes of a vault)
    first: bool = False  # the first build into its folder: import its episode (or tag) packages
    state_was_missing: bool = False
    state_moved_aside: Path | None = None
    model: ModelReport | None = None  # what the language model did (`--writer llm`)

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
    writer: WriterOptions = RULES_OPTIONS,
    send: bool = True,
) -> BuildReport:
    """Build the decks of every note under `paths` into `out`, with the card writer `writer`.

    A language model is asked for the key points no earlier build asked it
    for; without `send` (a dry run) it is asked nothing, and key points
    without a kept answer get the rules' cards. Large builds use worker
    processes; on macOS and Windows Python spawns them, so a script that
    calls this there must guard its entry point with `if __name__ == "__main__":`.
    """
    with built_and_held(paths, out, force=force, progress=progress, now=now, workers=workers, lock_wait=lock_wait,
                        writer=writer, send=send) as (_, report):
        return report


@contextmanager
def built_and_held(
    paths: Iterable[Path | str],
    out: Path | str,
    *,
    force: bool = False,
    progress: Progress | None = None,
    now: int | None = None,
    workers: int | None = None,
    lock_wait: float = LOCK_WAIT,
    writer: WriterOptions = RULES_OPTIONS,
    send: bool = True,
) -> Iterator[tuple[Path, BuildReport]]:
    """`build`, whose output folder stays locked until the block ends: (the folder, the report).

    For a caller that reads what the build wrote (`cards sync`): no other
    build can change the state under it.
    """
    roots = check_paths(paths)
    settings = writer.settings()
    stamp = build_time(now)
    scan = find_sources(roots)
    if not scan.sources and not scan.problems:
        raise NoNotesError(roots)  # an empty folder (an unmounted drive?): the state keeps what it holds
    folder = check_out(out)  # made here: every argument is checked first
    tell = progress or (lambda stage, done, total: None)
    with output_lock(folder, lock_wait):
        remove_leftovers(folder)
        had_packages = any(folder.glob("episodes/*.apkg"))
        try:
            report, opened = _run(scan, roots, folder, stamp, force, tell, workers, had_packages, settings, send)
        except sqlite3.DatabaseError as error:  # the state's own file: the writers catch theirs
            raise StateError(folder / STATE_FILE, error) from None
        report.state_was_missing = opened.was_new and had_packages and opened.moved_aside is None
        report.state_moved_aside = opened.moved_aside
        yield folder, report


def _run(scan: Scan, roots: list[Path], out: Path, stamp: int, force: bool, progress: Progress,
         workers: int | None, had_packages: bool, settings: LlmSettings | None,
         send: bool) -> tuple[BuildReport, Opened]:
    with State(out) as state:
        opened = Opened(state.was_new, state.moved_aside)
        known = state.known(settings.model if settings else None)
        notetype_mtime, meta = _notetype_mtime(known, stamp)
        identity = settings.identity if settings else ""
        checks = read_again(check_sources(scan.sources, known, force, meta, identity), known)
        new_changes = changes_deleted(out, known)
        forget = (CHANGES_PACKAGE,) if new_changes else ()  # the user deleted it: a new one starts
        answers = ask(known, checks, settings, progress, send) if settings is not None else None
        writers: Writers = answers or rules_everywhere()
        reads = read_sources(checks, workers, progress, writers)
        # A first build into a folder offers no changes.apkg: every note is in the episode packages. It is the
        # first until a package reaches the folder, even if an interrupted one has stored its notes already.
        # (A lost or damaged state beside packages offers every note: they may have been imported.)
        first = not had_packages and not known.packages and DELIVERED not in known.meta
        if opened.was_new and first:  # every note's versions from its first on: nothing imported is unknown
            meta[VERSIONS_COMPLETE] = "1"
        reconciled = reconcile(state, known, checks, reads, roots, scan.unreadable, now=stamp, meta=meta,
                               new_changes=new_changes, offer_changes=not first, forget_packages=forget,
                               workers=workers, writers=writers,
                               read_next_time=answers.read_next_time if answers else frozenset(),
                               answers=answers.to_keep() if answers else None)
        recorded = {path: r for path, r in known.packages.items() if path not in forget}
        plan = plan_packages(out, reconciled, recorded, notetype_mtime, force)
    # Committed: the notes the writers read, and what stays pending if they fail.
    written = write_packages(out, plan.to_write, workers, progress)
    with State(out) as state:
        removed = record(state, out, plan, written)
    report = assemble_report(len(scan.sources), [*scan.problems, *reconciled.problems], reconciled, plan,
                             written, removed, out)
    report.first = first
    report.model = answers.report if answers else None
    return report, opened


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


def _notetype_mtime(known: Known, stamp: int) -> tuple[int, dict[str, str]]:
    """The note types' mtime (newer whenever their templates or CSS changed), and what to record of it."""
    digest, stored = notetype_digest(), known.meta.get("notetype_mtime")
    if known.meta.get("notetype_digest") == digest and stored:
        return int(stored), {}
    mtime = max(stamp, int(stored) + 1) if stored else stamp
    return mtime, {"notetype_digest": digest, "notetype_mtime": str(mtime)}


def changes_deleted(out: Path, known: Known) -> bool:
    """Whether the user deleted `changes.apkg` (imported, presumably): a new one starts.

    Only a package recorded in place and now missing counts: one that a
    failed or killed build never finished writing still holds every change.
    """
    recorded = known.packages.get(CHANGES_PACKAGE, NOT_IN_PLACE)
    return recorded != NOT_IN_PLACE and not os.path.lexists(out / CHANGES_PACKAGE)


# --- check -----------------------------------------------------------------------

def source_digest(raw: bytes, writer: str = "") -> str:
    """A source's identity for incremental builds: its bytes, this version, and the card writer's identity."""
    return hashlib.blake2b(raw + __version__.encode() + notetype_digest().encode() + writer.encode(),
                           digest_size=16).hexdigest()


def stat_key(info: os.stat_result, writer: str = "") -> str:
    """Size, modification time, this version and the card writer: when all match, the bytes are not read.

    The rules' identity is "", so a rules build's keys are those of the versions before writers.
    """
    return f"{info.st_size}:{info.st_mtime_ns}:{__version__}:{notetype_digest()}" + (f":{writer}" if writer else "")


def check_sources(sources: Iterable[Path], known: Known, force: bool, meta: dict[str, str],
                  writer: str = "") -> list[SourceCheck]:
    """Compare every source with the last build's record (cheap: a stat, else a hash).

    `writer` is the card writer's identity: a source last read with another
    writer is changed. Notes in `meta` when this build looked at them.
    """
    trusted_before = float(known.meta.get("last_read") or 0) - 1.0
    meta["last_read"] = repr(time.time())
    return [check_source(p, known.sources.get(source_key(p)), force, trusted_before, writer) for p in sources]


def check_source(path: Path, known: KnownSource | None, force: bool, trusted_before: float,
                 writer: str = "") -> SourceCheck:
    """Unchanged since the last build (by its stat, else its bytes), changed, or unreadable.

    As git does, a stat is trusted only for files last modified well before
    the last build looked at them: a file rewritten within the same clock tick
    with the same size would otherwise look unchanged.
    """
    key = source_key(path)
    try:
        info = path.stat()
        stat, settled = stat_key(info, writer), info.st_mtime < trusted_before
        if known and stat == known.stat and settled and not force:
            return SourceCheck(path, key, known.digest, stat, unchanged=True)
        raw = read_bytes(path)
    except SourceError as error:
        return unreadable(path, error.reason)
    except OSError as error:
        return unreadable(path, f"cannot be read ({error.strerror or error})")
    digest = source_digest(raw, writer)
    return SourceCheck(path, key, digest, stat, unchanged=known is not None and digest == known.digest and not force)


# --- ask (a language model, `--writer llm`) ------------------------------------------

def ask(known: Known, checks: list[SourceCheck], settings: LlmSettings, progress: Progress,
        send: bool) -> Answers:
    """The model's answers for the key points of the sources to read (see `cards.ask`)."""
    from cards.ask import ask_model  # only a build with this writer loads it, and the model's client

    return ask_model(known.answers, checks, settings, progress, send=send)


# --- plan ----------------------------------------------------------------------------

def plan_packages(out: Path, reconciled: Reconciled, recorded: dict[str, RecordedPackage], notetype_mtime: int,
                  force: bool) -> Plan:
    """Every package a clean build would write, and `changes.apkg`; those not in place are to be written."""
    episodes = reconciled.episodes
    wanted = [*_episode_plans(episodes, notetype_mtime), *_tag_plans(episodes, notetype_mtime)]
    changes = _changes_plan(reconciled.stored, reconciled.pending, notetype_mtime)
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
        _plan(f"episodes/{names[key]}.apkg", [(DeckSelection(e.deck, (key,)), [e.parts[""]])], notetype_mtime)
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
        plans.append(_plan(f"tags/{names[tag]}.apkg", [(deck, [e.parts[tag] for e in members])], notetype_mtime))
    return plans


def _changes_plan(episodes: dict[str, StoredEpisode], pending: dict[str, list[PendingNote]],
                  notetype_mtime: int) -> PackagePlan | None:
    """Every note new or changed since the user last deleted `changes.apkg`, in its episode's deck.

    Notes of episodes that this build's sources do not hold are offered too:
    they were built into this folder, and may never have been imported.
    """
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
    alone at the end; but the smallest few are written here before the workers
    start, so that each inherits genanki and the empty collection instead of
    loading them for itself (see `run_all`).
    """
    plans = tuple(sorted(plans, key=lambda plan: plan.notes, reverse=True))
    large = sum(1 for plan in plans if plan.notes > package.LARGE_PACKAGE)
    parallel = workers != 1 and (len(plans) >= PARALLEL_PACKAGES or (large >= 2 and small_main()))
    # A large package is a task of its own; small ones (an episode's) go a few at a time:
    # one at a time, passing them to and fro cost as much as writing them.
    tasks: list[tuple[PackagePlan, ...]] = [(plan,) for plan in plans[:large]]  # sorted: large ones first
    tasks += in_batches(plans[large:], PACKAGES_PER_TASK)
    if tasks:  # the smallest first: it is the one written here
        tasks.insert(0, tasks.pop())
    results = run_all(write_plans, [(out, task) for task in tasks], workers, parallel, first_here=True)
    errors = (error for batch in results for error in batch)
    written: dict[str, Written] = {}
    for done, (plan, error) in enumerate(zip((plan for task in tasks for plan in task), errors, strict=True),
                                         start=1):
        stat = None
        if error is None:
            try:
                stat = file_stat(out / plan.relative)
            except OSError as failure:
                error = os_reason(failure)
        written[plan.relative] = Written(plan, stat, error)
        progress("writing", done, len(plans))
    return [written[plan.relative] for plan in plans]


def write_plans(out: Path, plans: tuple[PackagePlan, ...]) -> list[str | None]:
    """Write a few planned packages (in a worker process): why each could not be written, or None.

    They share one reader of the state file: opening one for each cost as much as a small package's notes.
    """
    with StateReader(out / STATE_FILE) as reader:
        return [write_plan(out, plan, reader) for plan in plans]


def write_plan(out: Path, plan: PackagePlan, reader: StateReader) -> str | None:
    """Write one planned package, streaming its notes from the state file.

    Runs in worker processes; returns why the package could not be written.
    """
    try:
        package.write_from_state(out / plan.relative, reader, plan.decks, plan.notetype_mtime, plan.base_time,
                                 plan.notes)
    except OSError as error:
        return os_reason(error)
    except sqlite3.Error as error:
        return f"{error}; build again"
    return None


def record(state: State, out: Path, plan: Plan, written: list[Written]) -> list[Path]:
    """Record each package now in place; remove stale ones. Returns the stale packages removed."""
    packages: dict[str, RecordedPackage | None] = {
        # A package that could not be written is recorded as not in place: whatever is there (an older
        # version, or nothing) is not what it should hold, and is removed if no build wants it any more.
        result.plan.relative: RecordedPackage(result.plan.digest, result.stat) if result.stat is not None
        else NOT_IN_PLACE for result in written
    }
    removed = []
    for relative in plan.stale:
        path = out / relative
        try:
            path.unlink(missing_ok=True)
        except OSError:
            continue  # recorded still: removed by the next build
        packages[relative] = None
        removed.append(path)
    state.record_packages(packages)
    return removed


def assemble_report(sources: int, problems: list[Problem], reconciled: Reconciled, plan: Plan,
                    written: list[Written], removed: list[Path], out: Path) -> BuildReport:
    """The summary, from what each stage returned."""
    report = BuildReport(sources=sources, sources_unchanged=reconciled.sources_unchanged,
                         problems=problems, disappeared=list(reconciled.disappeared), removed=removed,
                         packages_unchanged=plan.in_place, not_snipd=list(reconciled.not_snipd))
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
