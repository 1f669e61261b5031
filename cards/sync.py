"""`cards sync`: new and changed notes straight into the Anki collection a user studies.

    check the inputs → open the collection (and hold it to the end) → (sync
    with a server) → build → decide each note against the collection →
    back it up → import → record what was delivered → (prune) → (sync with
    a server)

Everything that touches the collection goes through Anki's own engine (the
`anki` package): its importer, its backup, its note deletion and its sync
client. What cards delivered is recorded in the collection itself (see
`cards.delivery`), so a restored backup, a new collection or one filled
from a sync server gets exactly what it lacks, and the user's edits, tags
and deletions are told apart from cards' own text.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from anki.collection import Collection  # first: Anki's other modules need it loaded

from cards import collection as anki
from cards.build import LOCK_WAIT, BuildReport, build, built_and_held
from cards.cardmaker.writer import RULES_OPTIONS, WriterOptions
from cards.delivery import (
    RECORD_PREFIX,
    Action,
    Delivered,
    EpisodePlan,
    EpisodeRecord,
    Memory,
    Wanted,
    decode_record,
    encode_record,
    episode_digest,
    plan_episode,
    record_key,
    seeded_record,
)
from cards.discover import find_collection
from cards.errors import CollectionBusyError, CollectionError, SyncServerError, UsageError, os_reason
from cards.lock import output_lock
from cards.model import CardKind
from cards.package import DeckContent, DeckSelection, PackageSpec, write_from_state, write_package
from cards.server import ServerOptions, SessionStore, check_url, full_sync, login, read_password, start_sync
from cards.state import STATE_FILE, VERSIONS_COMPLETE, Known, NoteVersion, State, StateReader, stamped_times

EARLIER_RECORD = RECORD_PREFIX + "earlier"  # notes an earlier version delivered, of snips now gone (for --prune)
VANISHED = "cards:vanished"  # GUIDs of notes an unattended --prune found gone, and no sync since found back


@dataclass(frozen=True)
class SyncOptions:
    """What `cards sync` was asked to do."""

    collection: Path | str | None = None
    profile: str | None = None
    server: str | None = None
    user: str | None = None
    prune: bool = False
    # --yes: nobody reads the list, so a note is deleted only once two syncs in a row found its snip gone (a note
    # file a file-sync tool had half written when one sync read it loses nothing)
    prune_unattended: bool = False
    dry_run: bool = False
    replace_server: bool = False
    replace_local: bool = False
    create: bool = False
    overwrite_edits: bool = False
    writer: WriterOptions = RULES_OPTIONS


class HeldNotes(NamedTuple):
    """Notes not imported because their note type was changed in Anki."""

    note_type: str
    change: str
    notes: list[str]


class Snapshot(NamedTuple):
    """What a sync reads of the build state and of the collection's note types: once, after its build."""

    versions: dict[str, NoteVersion]  # GUID → episode, mtime and content hash of every note built
    known: Known
    changed_note_types: dict[CardKind, str]  # cards' note types changed in Anki, with what changed

    @classmethod
    def read(cls, state: State, col: Collection | None) -> Snapshot:
        return cls(versions=state.note_versions(), known=state.known(),
                   changed_note_types=anki.changed_note_types(col) if col is not None else {})


class Planned(NamedTuple):
    """What a sync means to do, decided before anything is written."""

    plans: list[EpisodePlan]
    described: dict[str, tuple[CardKind, str]]  # held notes: their kind and first field
    earlier: EpisodeRecord | None  # seeded from an earlier version's list: its notes of vanished snips
    seeded: bool  # the state's old list of what was delivered here was used


class EpisodeChange(NamedTuple):
    """What a sync brings (or would bring) to one episode."""

    title: str
    added: int
    updated: int


@dataclass
class SyncReport:
    """What a sync did, as Anki reported it."""

    build: BuildReport
    collection: Path
    created: bool = False
    backup: Path | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    left_deleted: int = 0  # notes the user deleted in Anki: they stay deleted until cards makes a new version
    moved: int = 0  # notes the user moved to another note type in Anki: theirs now, left as they made them
    to_import: int = 0
    kept_edits: int = 0
    overwrote_edits: int = 0
    replaced_unrecorded: int = 0  # notes changed in Anki since their import by hand whose text cards replaced
    held: list[HeldNotes] = field(default_factory=list)
    episodes: list[EpisodeChange] = field(default_factory=list)
    vanished: list[anki.NoteSummary] = field(default_factory=list)
    pruned: int = 0
    prune_waiting: int = 0  # notes of snips gone since the last sync only: an unattended prune deletes them next time
    server: list[str] = field(default_factory=list)
    not_sent: str | None = None  # why the collection's changes could not be sent to the server after the import
    dry_run: bool = False

    @property
    def failed(self) -> bool:
        """True when some input could not be read, some notes could not be imported, or the changes not sent."""
        return self.build.failed or bool(self.held) or self.not_sent is not None


Ask = Callable[[list[anki.NoteSummary]], bool]


def sync(paths: Sequence[Path | str], out: Path | str, options: SyncOptions, *,
         password: Callable[[], str] = lambda: "", confirm_prune: Ask = lambda titles: False,
         progress: Any = None, now: int | None = None) -> SyncReport:
    """Build `paths` into `out`, then bring every note the collection lacks into it.

    Every input (the server's URL, the collection's path, where the password
    comes from) is checked before anything is created or opened.
    """
    server = check_server_options(options)
    options.writer.settings()
    target = find_collection(options.collection, options.profile)
    anki.check_path(target, create=options.create)
    session = key = secret = None
    if server and not options.dry_run:
        session = SessionStore(target, server.endpoint, server.user)
        key = session.load()
        secret = None if key else read_password(password)
    tell = progress or (lambda stage, done, total: None)
    with _opened(target, options.dry_run, session.discard_saved if session else None) as (col, created):
        result = Syncing(col, target, options, tell, now or int(time.time()))
        result.report.created = created
        if col is not None and server and session is not None:
            auth = _first_sync(result, server, session, key, secret, password)
        with _built(paths, out, options, progress) as (folder, build_report), \
                closing(State(folder)) as state:
            result.report.build = build_report
            snapshot = Snapshot.read(state, col)
            result.deliver(state, snapshot)
            result.forget_returned(snapshot)
            if options.prune:
                result.prune(snapshot, confirm_prune)
        if col is not None and server and session is not None and not options.dry_run:
            try:
                result.with_server(auth, server, session)
            except SyncServerError as error:  # the import is done: the summary says so, and this why not sent
                result.report.not_sent = str(error)
    return result.report


def _first_sync(result: Syncing, server: ServerOptions, session: SessionStore, key: str | None,
                secret: str | None, password: Callable[[], str]) -> Any:
    """Log in (with the kept key, else the password) and sync with the server: the login that worked.

    A kept key the server refuses (its password was changed, or its data
    reset) is forgotten and the password asked for: the user name and
    password the user gives are not the ones refused.
    """
    assert result.col is not None
    auth = login(result.col, server, session, key, secret)
    try:
        result.with_server(auth, server, session, first_request=bool(key))  # a kept key: no login was asked
    except SyncServerError as error:
        if not (error.rejected_login and key):
            raise
        try:
            secret = read_password(password)
        except UsageError as missing:  # say why a password was needed, where one never was before
            raise UsageError(f"{server.endpoint}: the sync server no longer accepts the login kept for "
                             f"{server.user} (was the password changed?); {missing}") from None
        auth = login(result.col, server, session, None, secret)
        result.with_server(auth, server, session)
    return auth


# --- checking the inputs ---------------------------------------------------------------

def check_server_options(options: SyncOptions) -> ServerOptions | None:
    """The server to sync with, or None; usage errors before anything is done."""
    if options.server is not None and not options.user:
        raise UsageError("--server needs --user NAME (your account on that sync server)")
    if (options.user or options.replace_server or options.replace_local) and options.server is None:
        raise UsageError("--user, --replace-server and --replace-local go with --server URL")
    if options.replace_server and options.replace_local:
        raise UsageError("--replace-server and --replace-local contradict each other; choose one")
    if options.server is None:
        return None
    return ServerOptions(check_url(options.server), options.user or "", options.replace_server,
                         options.replace_local)


@contextmanager
def _opened(target: Path, dry_run: bool,
            also_discard: Callable[[], None] | None = None) -> Iterator[tuple[Collection | None, bool]]:
    """The collection, held until the sync ends (none for a dry run of a collection not made yet), and whether
    this sync made it.

    Whether it is new is decided as it is opened, not before the password is
    asked: a collection that appears meanwhile is someone's. A collection
    this sync made that is still empty when the sync fails is removed again,
    with only the files Anki made beside it then (`anki.NewCollection`): a
    wrong password leaves nothing behind.
    """
    if dry_run and not target.exists():
        yield None, False
        return
    made = anki.NewCollection.before_opening(target)
    discard = False
    try:
        with ExitStack() as held:
            try:
                col = held.enter_context(anki.open_collection(target))
            except CollectionBusyError:
                raise  # another program has it open: it is that program's
            except BaseException:
                discard = made.is_new  # half made by the open that failed
                raise
            try:
                yield col, made.is_new
            except BaseException:
                discard = made.is_new and anki.still_empty(col)
                raise
    finally:
        if discard:
            if also_discard:
                also_discard()  # the session key this sync kept beside the collection
            made.remove()


@contextmanager
def _built(paths: Sequence[Path | str], out: Path | str, options: SyncOptions,
           progress: Any) -> Iterator[tuple[Path, BuildReport]]:
    """Build as `cards build` does; a dry run builds into a throwaway copy of the state.

    The output folder stays locked until the block ends, so no other build
    changes the state between this build and the import that reads it. A
    dry run asks a language model nothing (what it answered would be thrown
    away with the copy): key points it never answered get the rules' cards.
    """
    if not options.dry_run:
        with built_and_held(paths, out, progress=progress, writer=options.writer) as built:
            yield built
        return
    with tempfile.TemporaryDirectory(prefix="cards-dry-run-") as scratch:
        folder = Path(scratch)
        state = Path(out).expanduser() / STATE_FILE
        if state.is_file():
            # Not copied half-written by a build; a folder no build can write into needs no lock (nor can hold one).
            held = output_lock(state.parent, LOCK_WAIT) if os.access(state.parent, os.W_OK) else nullcontext()
            with held:
                shutil.copy2(state, folder / STATE_FILE)
        yield folder, build(paths, folder, progress=progress, writer=options.writer, send=False)


# --- one sync ----------------------------------------------------------------------------

class Syncing:
    """One sync's work on the open collection, and its report."""

    def __init__(self, col: Collection | None, target: Path, options: SyncOptions, progress: Any, now: int):
        self.col, self.target, self.options, self.progress, self.now = col, target, options, progress, now
        self.report = SyncReport(BuildReport(), target, dry_run=options.dry_run)
        self.records: dict[str, EpisodeRecord] = {}
        self._index: anki.NoteIndex | None = None

    def index(self) -> anki.NoteIndex:
        """Where the collection's notes are: read when first needed, and again after cards changed them."""
        assert self.col is not None
        if self._index is None:
            self._index = anki.NoteIndex.read(self.col)
        return self._index

    def backup(self) -> None:
        """Anki's backup, once, before the first change (none for a new or empty collection)."""
        if self.report.backup is None and not self.report.created and self.col is not None \
                and not anki.is_empty(self.col):
            self.report.backup = anki.make_backup(self.col, self.target)

    def with_server(self, auth: Any, server: ServerOptions, session: SessionStore,
                    first_request: bool = False) -> None:
        """One sync with the server; a full one only where nothing is lost without the user's choice.
        `first_request`: nothing was asked of the server before in this run (no login)."""
        assert self.col is not None
        first = not self.report.server
        output, full = start_sync(self.col, auth, server, session, first_request)
        if full is None:
            self.report.server.append("synced with the server" if first else "sent to the server")
            return
        if full.replaces_local:
            self.backup()
        self.report.server.append(full_sync(self.col, auth, output, full))

    # delivering --------------------------------------------------------------------------
    def deliver(self, state: State, snapshot: Snapshot) -> None:
        """Decide every note against the collection, then import what it lacks and record it."""
        plans, described, earlier, seeded = self.plan(state, snapshot)
        if earlier is not None:
            self.records[EARLIER_RECORD] = earlier  # for --prune to list; written below, not on a dry run
        self.report.to_import = sum(p.count(Action.ADD) + p.count(Action.UPDATE) for p in plans)
        self._summarise(snapshot, plans, described)
        if self.options.dry_run or self.col is None:
            return
        if self.report.to_import:
            self.backup()
            self._import(state, snapshot, plans)
        changed = {record_key(plan.episode): plan.record for plan in plans
                   if plan.record != self.records.get(record_key(plan.episode))}
        if earlier is not None:
            changed[EARLIER_RECORD] = earlier
        anki.set_config(self.col, {key: encode_record(record) for key, record in changed.items()})
        self.records.update(changed)
        if seeded:  # the collection holds its own record now: trust it, not the old list, from now on
            state.forget_synced(str(self.target))

    def plan(self, state: State, snapshot: Snapshot) -> Planned:
        """Each episode whose notes changed since it was last delivered here, decided note by note.

        Nothing is written here: a dry run, or a sync that fails later, leaves
        the collection as it was.
        """
        col = self.col
        self.records = self._stored_records()
        episode_records = [key for key in self.records if key != EARLIER_RECORD]
        seed = state.synced_before(str(self.target)) if col is not None and not episode_records else {}
        earlier = self._seed_vanished(snapshot, seed) if seed else None
        held = frozenset(snapshot.changed_note_types)
        by_episode: dict[str, list[tuple[str, str]]] = {}
        for guid, version in snapshot.versions.items():
            by_episode.setdefault(version.episode, []).append((guid, version.hash))
        # Every mtime cards gave a version of a note: of the versions in the state, and of those before them.
        stamped = stamped_times(snapshot.known.meta) | {version.mtime for version in snapshot.versions.values()}
        complete = snapshot.known.meta.get(VERSIONS_COMPLETE) == "1"
        plans: list[EpisodePlan] = []
        described: dict[str, tuple[CardKind, str]] = {}  # held notes: their kind and first field
        for done, (episode, versions) in enumerate(sorted(by_episode.items()), start=1):
            self.progress("checking", done, len(by_episode))
            digest = episode_digest(versions)
            record = self.records.get(record_key(episode))
            if record is not None and record.digest == digest:  # delivered whole, and unchanged since
                deleted, moved = self._changed_in_anki([guid for guid, _ in versions])
                self.report.unchanged += len(versions) - deleted - moved
                self.report.left_deleted += deleted
                self.report.moved += moved
                continue
            wanted = [Wanted(n.row.guid, n.row.kind, n.row.fields, n.row.tags, n.mtime)
                      for n in state.notes_of(episode)]
            present = {}
            if col is not None:
                present = anki.notes_by_guid(col, self.index(), [note.guid for note in wanted])
            if record is None and seed and present:
                record = seeded_record(wanted, seed)
            # No record (notes imported by hand): what the state remembers of cards' versions judges them
            memory = Memory(stamped, state.field_versions(present) if record is None and present else {}, complete)
            plan = plan_episode(episode, digest, wanted, present, record, held, anki.NOTE_TYPE_IDS,
                                self.options.overwrite_edits, self.now, memory)
            plans.append(plan)
            held_here = set(plan.guids(Action.HELD))
            described.update({note.guid: (note.kind, note.fields[0]) for note in wanted
                              if note.guid in held_here})
        return Planned(plans=plans, described=described, earlier=earlier, seeded=bool(seed))

    def _changed_in_anki(self, guids: Sequence[str]) -> tuple[int, int]:
        """How many of these delivered notes the user deleted in Anki, and how many they moved to a note type that
        is not cards'."""
        note_types = [self.index().note_type(guid) for guid in guids]  # None: not in the collection
        moved = sum(1 for note_type in note_types if note_type is not None and anki.kind_of(note_type) is None)
        return note_types.count(None), moved

    def _stored_records(self) -> dict[str, EpisodeRecord]:
        if self.col is None:
            return {}
        found = {}
        for key, value in anki.config_with_prefix(self.col, RECORD_PREFIX).items():
            record = decode_record(value)
            if record is not None:
                found[key] = record
        return found

    def _seed_vanished(self, snapshot: Snapshot, seed: dict[str, int]) -> EpisodeRecord | None:
        """Notes an earlier version delivered whose snips are gone: the record that lets --prune find them."""
        assert self.col is not None
        current = snapshot.versions
        gone = anki.notes_by_guid(self.col, self.index(), [g for g in seed if g not in current])
        ours = {guid: Delivered("", ()) for guid, note in gone.items() if anki.kind_of(note.note_type) is not None}
        return EpisodeRecord(None, ours) if ours else None

    def _summarise(self, snapshot: Snapshot, plans: list[EpisodePlan],
                   described: dict[str, tuple[CardKind, str]]) -> None:
        report = self.report
        episodes = snapshot.known.episodes
        for plan in plans:
            report.unchanged += plan.count(Action.UNCHANGED)
            report.left_deleted += plan.count(Action.DELETED)
            report.moved += plan.count(Action.FOREIGN)
            report.kept_edits += sum(1 for d in plan.decisions if d.kept_edits)
            report.overwrote_edits += sum(1 for d in plan.decisions if d.overwrote_edits)
            report.replaced_unrecorded += sum(1 for d in plan.decisions if d.replaced_unrecorded)
            added, updated = plan.count(Action.ADD), plan.count(Action.UPDATE)
            if added or updated:
                title = episodes[plan.episode].title if plan.episode in episodes else plan.episode
                report.episodes.append(EpisodeChange(title, added, updated))
        report.episodes.sort(key=lambda episode: episode.title.casefold())
        if described and self.col is not None:
            for kind, change in snapshot.changed_note_types.items():
                notes = [text for held_kind, text in described.values() if held_kind is kind]
                if notes:
                    report.held.append(HeldNotes(anki.note_type_name(self.col, kind), change, notes))

    def _import(self, state: State, snapshot: Snapshot, plans: list[EpisodePlan]) -> None:
        """The new notes (straight from the state), then the updated ones (merged), each with Anki's importer."""
        assert self.col is not None
        episodes = snapshot.known.episodes
        notetype_mtime = int(snapshot.known.meta.get("notetype_mtime") or 0)
        adds = {plan.episode: plan.guids(Action.ADD) for plan in plans if plan.count(Action.ADD)}
        updates = {plan.episode: [d.note for d in plan.decisions if d.action is Action.UPDATE and d.note]
                   for plan in plans if plan.count(Action.UPDATE)}
        versions = snapshot.versions
        with tempfile.TemporaryDirectory(prefix="cards-sync-") as scratch:
            if adds:
                package = Path(scratch) / "new.apkg"
                decks = tuple(DeckSelection(episodes[key].deck, (key,), guids=frozenset(guids))
                              for key, guids in sorted(adds.items()))
                newest = max([notetype_mtime, *(versions[g].mtime for guids in adds.values() for g in guids)])
                with StateReader(state.path) as reader:
                    _write(package, lambda: write_from_state(package, reader, decks, notetype_mtime, newest,
                                                             sum(map(len, adds.values()))))
                self._count(anki.import_package(self.col, package, update_always=False))
                self._index = None
            if updates:
                package = Path(scratch) / "updated.apkg"
                contents = tuple(DeckContent(episodes[key].deck, notes) for key, notes in sorted(updates.items()))
                newest = max(note.mtime for notes in updates.values() for note in notes)
                _write(package, lambda: write_package(PackageSpec(package, contents, notetype_mtime, newest)))
                self._count(anki.import_package(self.col, package, update_always=True))
                self._index = None
        self._keep_only_delivered(plans, [g for guids in adds.values() for g in guids]
                                  + [n.guid for notes in updates.values() for n in notes])

    def _count(self, log: Any) -> None:
        self.report.added += len(log.new)
        self.report.updated += len(log.updated)
        self.report.unchanged += len(log.duplicate)

    def _keep_only_delivered(self, plans: list[EpisodePlan], imported: list[str]) -> None:
        """Record only what the collection now holds, in cards' note types: anything else stays pending."""
        assert self.col is not None
        found = self.index()  # read anew: the import changed the notes
        missing = {guid for guid in imported if anki.kind_of(found.note_type(guid)) is None}
        if not missing:
            return
        for position, plan in enumerate(plans):
            notes = {guid: d for guid, d in plan.record.notes.items() if guid not in missing}
            if len(notes) != len(plan.record.notes):
                plans[position] = plan._replace(record=EpisodeRecord(None, notes))

    # pruning -------------------------------------------------------------------------------
    def prune(self, snapshot: Snapshot, confirm: Ask) -> None:
        """Delete the notes cards delivered here whose snips are gone, after a confirmation."""
        current = snapshot.versions
        if self.col is None or not current:  # no Snipd note found at all (a folder not synced yet?): prune nothing
            return
        gone = {guid: key for key, record in self.records.items() for guid in record.notes if guid not in current}
        ours = {guid: (note, kind) for guid, note in anki.notes_by_guid(self.col, self.index(), gone).items()
                if (kind := anki.kind_of(note.note_type)) is not None}
        if self.options.prune_unattended:
            ours = self._gone_at_the_last_sync_too(ours)
        self.report.vanished = sorted((anki.describe(note, kind) for note, kind in ours.values()),
                                      key=lambda n: (n.episode.casefold(), n.key_point.casefold(), n.kind.value))
        if self.options.dry_run or not ours or not confirm(self.report.vanished):
            return
        self.backup()
        anki.remove_notes(self.col, [note.id for note, _ in ours.values()])
        self._index = None
        changed: dict[str, EpisodeRecord] = {}
        for guid in ours:
            key = gone[guid]
            record = changed.get(key, self.records[key])
            # No digest: the episode is decided note by note again, so the notes come back with their snips.
            changed[key] = EpisodeRecord(digest=None, notes={g: d for g, d in record.notes.items() if g != guid})
        anki.set_config(self.col, {key: encode_record(record) for key, record in changed.items()})
        self.records.update(changed)
        self.report.pruned = len(ours)

    def forget_returned(self, snapshot: Snapshot) -> None:
        """Take the notes whose snips this sync found again off the list of those found gone (`VANISHED`), whatever
        it was asked to do: the list holds only notes no sync since it was written has found back."""
        if self.col is None or self.options.dry_run:
            return
        listed = list(anki.get_config(self.col, VANISHED, []))
        still = [guid for guid in listed if guid not in snapshot.versions]
        if still != listed:
            anki.set_config(self.col, {VANISHED: still})

    def _gone_at_the_last_sync_too(self, ours: dict[str, tuple[Any, CardKind]]) -> dict[str, tuple[Any, CardKind]]:
        """The notes an unattended prune may delete: those listed as gone already (`VANISHED`: found gone by the
        last unattended prune, and by every sync since). The others gone now are listed for the next one."""
        assert self.col is not None
        before = set(anki.get_config(self.col, VANISHED, []))
        ripe = {guid: found for guid, found in ours.items() if guid in before}
        if not self.options.dry_run:  # those deleted now need no listing
            anki.set_config(self.col, {VANISHED: sorted(guid for guid in ours if guid not in ripe)})
        self.report.prune_waiting = len(ours) - len(ripe)
        return ripe


def _write(package: Path, write: Callable[[], None]) -> None:
    """Write the package to import; a full temporary folder is one sentence."""
    try:
        write()
    except OSError as error:
        reason = os_reason(error, then="", otherwise=str(error.strerror))
        raise CollectionError(f"{package.parent}: the notes to import could not be written ({reason}); "
                              "the collection was not changed, run again") from None
