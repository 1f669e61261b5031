"""What `cards sync` delivered to a collection, kept in that collection, and what to deliver next.

The record lives in the collection's settings (Anki backs them up, restores
them and syncs them with the notes), one setting per episode:

    "cards:delivered:<episode digest>": {
        "v": 1,
        "digest": <the episode's notes when all were delivered, else null>,
        "tags": [<each set of generated tags delivered, space-separated>, ...],
        "notes": {<GUID>: [<index into tags>, <a 24-bit hash of each field, base64>], ...}
    }

about 50 bytes a note. So a restored backup, or a collection filled from a
sync server, carries the record of exactly the notes it holds, and a new
collection has none: whatever it lacks is delivered.

Each note is then decided by a three-way comparison: what cards delivered
(the record), what cards makes now (the state) and what the collection holds
(the user's edits). A field the user changed keeps their text; tags the user
added stay, generated ones come and go; a note the user deleted stays
deleted until cards makes a new version of it.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from cards.collection import CollectionNote
from cards.model import CardKind, PackageNote
from cards.state import FIELD_SEPARATOR, field_hashes, split_hashes

RECORD_PREFIX = "cards:delivered:"
RECORD_VERSION = 1


class Delivered(NamedTuple):
    """A note as cards delivered it: each field's hash and the generated tags."""

    hashes: str
    tags: tuple[str, ...]
    theirs: tuple[str, ...] = ()  # generated tags the note had from the user first: theirs, never taken away

    def same_version(self, other: Delivered) -> bool:
        """The same fields and generated tags (whose tags they were aside)."""
        return (self.hashes, self.tags) == (other.hashes, other.tags)


class EpisodeRecord(NamedTuple):
    """What cards delivered of one episode to one collection."""

    digest: str | None
    notes: dict[str, Delivered]


class Wanted(NamedTuple):
    """A note as cards makes it now (from the build state)."""

    guid: str
    kind: CardKind
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    mtime: int


class Action(enum.Enum):
    """What a sync does with one note."""

    ADD = "add"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETED = "deleted by the user"  # stays deleted until cards makes a new version of it
    HELD = "held"  # its note type was changed in Anki: importing would fork it
    FOREIGN = "foreign"  # the user moved it to another note type: theirs now


class Memory(NamedTuple):
    """What the build state remembers of the versions cards made: how notes a collection has no record of (imported
    by hand) are judged. See `merge_fields`."""

    stamped: frozenset[int] = frozenset()  # every mtime builds gave a version of a note
    versions: Mapping[str, frozenset[str]] = MappingProxyType({})  # GUID → its replaced versions' field hashes
    complete: bool = False  # the state has known every version of every note since its first build


class Decision(NamedTuple):
    """One note's fate, and the note to import for an update."""

    guid: str
    action: Action
    note: PackageNote | None = None
    kept_edits: bool = False
    overwrote_edits: bool = False
    theirs: tuple[str, ...] = ()  # its generated tags that are the user's (see `users_tags`)
    # With no record, cards' new text replaced fields of a note changed in Anki since it was imported: maybe an
    # edit, maybe only a tag (an mtime cannot tell them apart); the sync's backup holds it as it was
    replaced_unrecorded: bool = False


class EpisodePlan(NamedTuple):
    """What a sync does with one episode's notes, and the record to keep once it is done."""

    episode: str
    decisions: tuple[Decision, ...]
    record: EpisodeRecord

    def count(self, action: Action) -> int:
        return sum(1 for decision in self.decisions if decision.action is action)

    def guids(self, action: Action) -> list[str]:
        return [decision.guid for decision in self.decisions if decision.action is action]


# --- the record ---------------------------------------------------------------------------

def record_key(episode: str) -> str:
    """The setting that holds an episode's record."""
    return RECORD_PREFIX + hashlib.blake2b(episode.encode(), digest_size=8).hexdigest()


def episode_digest(versions: Iterable[tuple[str, str]]) -> str:
    """A digest of an episode's notes (GUID and content hash), in any order."""
    digest = hashlib.blake2b(digest_size=12)
    for guid, content in sorted(versions):
        digest.update(f"{guid}\x1f{content}\x1e".encode())
    return digest.hexdigest()


def encode_record(record: EpisodeRecord) -> dict[str, Any]:
    """The record as the setting stores it (JSON)."""
    tag_sets: dict[str, int] = {}
    notes: dict[str, list] = {}
    for guid, delivered in sorted(record.notes.items()):
        index = tag_sets.setdefault(" ".join(delivered.tags), len(tag_sets))
        notes[guid] = [index, delivered.hashes]
        if delivered.theirs:  # rare: a third item, so that most notes cost what they did
            notes[guid].append(tag_sets.setdefault(" ".join(delivered.theirs), len(tag_sets)))
    return {"v": RECORD_VERSION, "digest": record.digest, "tags": list(tag_sets), "notes": notes}


def decode_record(value: Any) -> EpisodeRecord | None:
    """A stored record; None for one this version cannot read (then every note is checked anew)."""
    try:
        if value.get("v") != RECORD_VERSION:
            return None
        tag_sets = [tuple(tags.split()) for tags in value["tags"]]
        notes = {str(guid): Delivered(str(hashes), tag_sets[index], *(tag_sets[i] for i in theirs[:1]))
                 for guid, (index, hashes, *theirs) in value["notes"].items()}
        return EpisodeRecord(value.get("digest"), notes)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return None


def seeded_record(wanted: Iterable[Wanted], synced_before: dict[str, int]) -> EpisodeRecord | None:
    """A record made from an earlier version's list of delivered notes (GUID → mtime).

    Only notes delivered in the version the state holds now are known well
    enough to be recorded: their fields are the state's.
    """
    notes = {note.guid: delivered_now(note) for note in wanted if synced_before.get(note.guid) == note.mtime}
    return EpisodeRecord(None, notes) if notes else None


def delivered_now(note: Wanted) -> Delivered:
    return Delivered(field_hashes(note.fields), note.tags)


# --- deciding -------------------------------------------------------------------------------

def plan_episode(episode: str, digest: str, wanted: Sequence[Wanted], present: dict[str, CollectionNote],
                 record: EpisodeRecord | None, held: frozenset[CardKind], note_type_ids: dict[CardKind, int],
                 overwrite_edits: bool, now: int, memory: Memory = Memory()) -> EpisodePlan:
    """Decide every note of one episode, and the record to keep once the decisions are carried out."""
    old = record.notes if record else {}
    made = [delivered_now(note) for note in wanted]
    decisions = tuple(
        decide(note, made_now, present.get(note.guid), old.get(note.guid), note.kind in held,
               note_type_ids[note.kind], overwrite_edits, now, memory)
        for note, made_now in zip(wanted, made, strict=True)
    )
    notes = dict(old)  # notes of vanished snips stay recorded, for --prune
    for note, made_now, decision in zip(wanted, made, decisions, strict=True):
        if decision.action in (Action.ADD, Action.UPDATE, Action.UNCHANGED):
            notes[note.guid] = made_now._replace(theirs=decision.theirs)
    complete = all(decision.action is not Action.HELD for decision in decisions)
    return EpisodePlan(episode, decisions, EpisodeRecord(digest if complete else None, notes))


def decide(note: Wanted, made_now: Delivered, present: CollectionNote | None, delivered: Delivered | None,
           held: bool, note_type_id: int, overwrite_edits: bool, now: int, memory: Memory = Memory()) -> Decision:
    """One note (`made_now`: its hashes and tags): add it, leave it, or update it keeping the user's edits and tags."""
    if present is None:
        if delivered is not None and delivered.same_version(made_now):
            return Decision(note.guid, Action.DELETED)
        return Decision(note.guid, Action.HELD if held else Action.ADD)
    if present.note_type != note_type_id:
        return Decision(note.guid, Action.FOREIGN)
    if held:  # its note type has other fields now: nothing can be merged; only whether ours changed counts
        same = delivered is not None and delivered.same_version(made_now)
        return Decision(note.guid, Action.UNCHANGED if same else Action.HELD)
    fields, kept, overwrote, guessed = merge_fields(note, made_now, present, delivered, overwrite_edits, memory)
    theirs = users_tags(present.tags, delivered, note.tags)
    tags = merge_tags(present.tags, delivered.tags if delivered else None, note.tags, theirs)
    if fields == present.fields and _same_tags(tags, present.tags):
        return Decision(note.guid, Action.UNCHANGED, kept_edits=kept, theirs=theirs)
    merged = PackageNote(note.guid, note.kind, FIELD_SEPARATOR.join(fields), " ".join(tags),
                         max(now, present.mtime + 1, note.mtime))
    return Decision(note.guid, Action.UPDATE, merged, kept_edits=kept, overwrote_edits=overwrote, theirs=theirs,
                    replaced_unrecorded=guessed)


def merge_fields(note: Wanted, made_now: Delivered, present: CollectionNote, delivered: Delivered | None,
                 overwrite_edits: bool, memory: Memory = Memory()) -> tuple[tuple[str, ...], bool, bool, bool]:
    """Each field: cards' new text, unless the user changed it since cards delivered it.

    Returns the fields, whether the user's text was kept where cards' text
    changed, whether it was replaced instead (`--overwrite-edits`), and
    whether cards' text replaced text it could not tell from an edit.
    Without a record (notes imported by hand, or delivered by an older
    cards), the state's memory judges (`Memory`): a field holding text of a
    version cards made of the note is cards'; so is any text of a note Anki
    has not changed since its import (the importer gives it the mtime cards
    stamped its version with). Other text is the user's where the memory is
    complete. Otherwise it cannot be told from cards' text of a forgotten
    version: it is the user's if the note changed after this version was
    built, as Anki's own importer would judge it, and cards' text replacing
    it is counted (`guessed`).
    """
    if len(present.fields) != len(note.fields):
        return present.fields, False, False, False  # its note type changed (then it is held, see `decide`): theirs
    base = split_hashes(delivered.hashes) if delivered else None
    ours = split_hashes(made_now.hashes)
    earlier = memory.versions.get(note.guid, frozenset()) if base is None else frozenset()
    versions = [version for version in map(split_hashes, earlier) if len(version) == len(ours)]
    untouched = present.mtime in memory.stamped  # as imported: no edit, no tag, no flag since
    merged, kept, overwrote, guessed = [], False, False, False
    for index, (theirs, new) in enumerate(zip(present.fields, note.fields, strict=True)):
        if theirs == new:
            merged.append(new)
            continue
        sure = True
        made_before = {version[index] for version in versions}  # none where there is a record
        if base is not None and len(base) == len(ours):
            edited = field_hashes((theirs,)) != base[index]
            ours_changed = base[index] != ours[index]
        elif untouched or field_hashes((theirs,)) in made_before:
            edited, ours_changed = False, True
        elif memory.complete:
            edited = True
            ours_changed = bool(made_before) and made_before != {ours[index]}
        else:
            edited = present.mtime >= note.mtime
            # Whether cards' text changed since the version the user imported is not known: an edit is never
            # replaced (not even with --overwrite-edits), nor said to be kept "where cards' text changed".
            ours_changed, sure = False, False
        if not edited:
            merged.append(new)
            guessed = guessed or not sure
        elif ours_changed and overwrite_edits:
            merged.append(new)
            overwrote = True
        else:
            merged.append(theirs)
            kept = kept or ours_changed
    return tuple(merged), kept, overwrote, guessed


def merge_tags(current: Sequence[str], generated_before: Sequence[str] | None, generated_now: Sequence[str],
               theirs: Sequence[str] = ()) -> list[str]:
    """The user's tags stay; generated tags that are no longer generated go; newly generated ones come.

    A generated tag the user removed stays removed, and one the user had
    before cards made it (`theirs`) stays when cards stops making it.
    Without a record of what was generated before (`None`), every generated
    tag the note lacks comes. Anki's tags ignore case, and so does this.
    """
    before = {tag.casefold() for tag in generated_before or ()}
    now = {tag.casefold() for tag in generated_now}
    gone = before - now - {tag.casefold() for tag in theirs}
    tags = [tag for tag in current if tag.casefold() not in gone]
    have = {tag.casefold() for tag in tags}
    new = [tag for tag in generated_now if generated_before is None or tag.casefold() not in before]
    return tags + [tag for tag in new if tag.casefold() not in have]


def users_tags(current: Sequence[str], delivered: Delivered | None, generated_now: Sequence[str]) -> tuple[str, ...]:
    """The generated tags that are the user's: those they had before cards first made them (kept from the record,
    and those cards makes now for the first time that the note has already)."""
    if delivered is None:  # no record of what cards made before: none is known to be the user's
        return ()
    known = {tag.casefold() for tag in delivered.tags}
    had = {tag.casefold() for tag in current}
    first_made_and_had = ({tag.casefold() for tag in generated_now} - known) & had
    return tuple(sorted({tag.casefold() for tag in delivered.theirs} | first_made_and_had))


def _same_tags(left: Sequence[str], right: Sequence[str]) -> bool:
    return sorted(tag.casefold() for tag in left) == sorted(tag.casefold() for tag in right)
