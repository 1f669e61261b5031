"""The delivery record and the three-way decision of each note (see tests/test_sync.py for real collections)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cards.collection import CollectionNote
from cards.delivery import (
    Action,
    Delivered,
    EpisodeRecord,
    Memory,
    Wanted,
    decide,
    decode_record,
    delivered_now,
    encode_record,
    merge_tags,
)
from cards.model import CardKind

CLOZE = 1736452801


def wanted(fields=("new text", "context"), tags=("podcast::A",), mtime=100) -> Wanted:
    return Wanted("guid", CardKind.CLOZE, fields, tags, mtime)


def present(fields=("old text", "context"), tags=("podcast::A",), mtime=50, note_type=CLOZE) -> CollectionNote:
    return CollectionNote(1, "guid", note_type, mtime, fields, tags)


def decision(note: Wanted, there: CollectionNote | None, delivered: Delivered | None, overwrite=False,
             memory=Memory(stamped=frozenset({50, 100}))):
    return decide(note, delivered_now(note), there, delivered, False, CLOZE, overwrite, 1000, memory)


def test_a_field_the_user_did_not_touch_takes_the_new_text():
    delivered = delivered_now(wanted(fields=("old text", "context")))
    result = decision(wanted(), present(), delivered)
    assert result.action is Action.UPDATE and result.note is not None
    assert result.note.fields == "new text\x1fcontext" and not result.kept_edits


def test_a_field_the_user_changed_keeps_their_text_unless_asked():
    delivered = delivered_now(wanted(fields=("old text", "context")))
    theirs = present(fields=("my text", "my context"))
    kept = decision(wanted(fields=("new text", "context")), theirs, delivered)
    assert kept.action is Action.UNCHANGED and kept.kept_edits  # both fields stay theirs: nothing to import
    overwritten = decision(wanted(fields=("new text", "context")), theirs, delivered, overwrite=True)
    assert overwritten.note is not None and overwritten.note.fields == "new text\x1fmy context"
    assert overwritten.overwrote_edits  # cards' context did not change: the user's stays even so


def test_without_a_record_a_note_changed_after_this_version_was_built_is_the_users():
    for overwrite in (False, True):  # found by a hostile user: --overwrite-edits replaced an edit of text cards
        # had not changed since; without a record, whether it did is not known, so an edit stays
        edited = decision(wanted(mtime=100), present(mtime=150), None, overwrite=overwrite)
        assert edited.action is Action.UNCHANGED and not edited.kept_edits and not edited.overwrote_edits
    older = decision(wanted(mtime=100), present(mtime=50), None)
    assert older.action is Action.UPDATE and older.note is not None and older.note.fields.startswith("new text")
    assert not older.replaced_unrecorded  # 50: the mtime cards gave the version imported, so unchanged since


def test_without_a_record_cards_text_replacing_a_note_changed_in_anki_since_its_import_is_counted():
    """Found by a hostile user: imported by hand, edited at 70 (or only tagged: an mtime cannot tell), reworded and
    built at 100, then a first `cards sync`. Keeping the note's text kept the new wording from every note the user
    had only tagged, for good; cards' text goes in, and the summary counts the note (the sync's backup has it)."""
    replaced = decision(wanted(mtime=100), present(mtime=70), None)
    assert replaced.action is Action.UPDATE and replaced.note is not None
    assert replaced.note.fields == "new text\x1fcontext" and replaced.replaced_unrecorded
    recorded = decision(wanted(mtime=100), present(mtime=70), delivered_now(wanted(fields=("old text", "context"))))
    assert not recorded.replaced_unrecorded  # a record tells edits apart: nothing is unsure


def test_without_a_record_text_of_an_earlier_version_is_cards_and_other_text_the_users():
    from cards.state import field_hashes

    older = {"guid": frozenset({field_hashes(("old text", "context")), field_hashes(("older text", "context"))})}
    whole = Memory(frozenset({50, 100}), older, complete=True)
    taken = decision(wanted(), present(fields=("older text", "context"), mtime=70), None, memory=whole)
    assert taken.action is Action.UPDATE and taken.note is not None and taken.note.fields == "new text\x1fcontext"
    assert not taken.kept_edits and not taken.replaced_unrecorded
    for overwrite in (False, True):
        mine = decision(wanted(), present(fields=("my text", "context"), mtime=70), None, overwrite, whole)
        if overwrite:  # cards' text for the field changed over its versions: --overwrite-edits takes it
            assert mine.note is not None and mine.note.fields == "new text\x1fcontext" and mine.overwrote_edits
        else:
            assert mine.action is Action.UNCHANGED and mine.kept_edits
    same = Memory(frozenset(), {"guid": frozenset({field_hashes(("new text", "old context"))})}, complete=True)
    edited = decision(wanted(), present(fields=("my text", "old context"), mtime=70), None, True, same)
    assert edited.note is not None and edited.note.fields == "my text\x1fcontext" and not edited.overwrote_edits


def test_without_a_record_text_the_memory_may_have_forgotten_is_judged_by_the_mtime_and_counted():
    """Found by a hostile user: a state deleted after the import, or written by a cards that kept no versions,
    remembers only later versions; the imported text, untouched but tagged, counted as the user's edit for good."""
    from cards.state import field_hashes

    later = Memory(frozenset({100}), {"guid": frozenset({field_hashes(("old text", "context"))})}, complete=False)
    tagged = decision(wanted(mtime=100), present(fields=("forgotten text", "context"), mtime=70), None, memory=later)
    assert tagged.note is not None and tagged.note.fields == "new text\x1fcontext" and tagged.replaced_unrecorded
    assert not tagged.kept_edits
    untouched = Memory(frozenset({50, 100}), later.versions, complete=False)  # 50: its import's mtime
    imported = decision(wanted(mtime=100), present(fields=("forgotten text", "context"), mtime=50), None,
                        memory=untouched)
    assert imported.note is not None and imported.note.fields == "new text\x1fcontext"
    assert not imported.replaced_unrecorded  # no change in Anki since its import: surely cards' text


def test_an_absent_note_is_added_unless_this_version_was_delivered():
    note = wanted()
    assert decision(note, None, delivered_now(note)).action is Action.DELETED
    assert decision(note, None, delivered_now(wanted(fields=("older", "context")))).action is Action.ADD
    assert decision(note, None, None).action is Action.ADD


def test_a_note_moved_to_another_note_type_is_left_alone():
    assert decision(wanted(), present(note_type=42), None).action is Action.FOREIGN


def test_generated_tags_come_and_go_and_the_users_stay_whatever_their_case():
    assert merge_tags(["Exam", "podcast::A", "oceans"], ["podcast::A", "oceans"], ["podcast::A", "tides"]) == [
        "Exam", "podcast::A", "tides"]
    assert merge_tags(["EXAM", "Oceans"], ["oceans"], ["oceans"]) == ["EXAM", "Oceans"]


def test_a_tag_the_user_had_before_cards_made_it_stays_when_cards_stops_making_it():
    before = delivered_now(wanted(fields=("old text", "context"), tags=("podcast::A",)))
    theirs = present(fields=("old text", "context"), tags=("podcast::A", "dreams"))  # the user's own tag
    now_generated = wanted(fields=("old text", "context"), tags=("podcast::A", "dreams"))  # the note says it too
    first = decision(now_generated, theirs, before)
    assert (first.action, first.theirs) == (Action.UNCHANGED, ("dreams",))
    recorded = delivered_now(now_generated)._replace(theirs=first.theirs)
    dropped = decision(wanted(fields=("new text", "context"), tags=("podcast::A",)), theirs, recorded)
    assert dropped.note is not None and dropped.note.tags == "podcast::A dreams" and dropped.theirs == ("dreams",)


def test_a_generated_tag_the_user_removed_is_not_put_back_when_the_note_changes():
    before = delivered_now(wanted(fields=("old text", "context"), tags=("podcast::A", "neuroscience")))
    removed = present(fields=("old text", "context"), tags=("podcast::A",))
    result = decision(wanted(fields=("new text", "context"), tags=("podcast::A", "neuroscience")), removed, before)
    assert result.note is not None and result.note.tags == "podcast::A"
    new_tag = decision(wanted(fields=("new text", "context"), tags=("podcast::A", "neuroscience", "sleep")),
                       removed, before)
    assert new_tag.note is not None and new_tag.note.tags == "podcast::A sleep"


def test_a_deleted_note_stays_deleted_whatever_tags_the_user_had():
    note = wanted(tags=("podcast::A", "dreams"))
    assert decision(note, None, delivered_now(note)._replace(theirs=("dreams",))).action is Action.DELETED


def test_a_record_keeps_the_users_tags():
    note = delivered_now(wanted(tags=("podcast::A", "dreams")))._replace(theirs=("dreams",))
    record = EpisodeRecord("digest", {"guid": note, "other": delivered_now(wanted())})
    assert decode_record(encode_record(record)) == record


@given(st.dictionaries(st.text(min_size=1, max_size=12), st.tuples(
    st.lists(st.text(max_size=30), min_size=1, max_size=8),
    st.lists(st.text(alphabet=st.characters(blacklist_categories=("Zs", "Cc")), min_size=1, max_size=10),
             max_size=4))))
def test_a_record_reads_back_as_written(notes):
    record = EpisodeRecord("digest", {guid: delivered_now(Wanted(guid, CardKind.QA, tuple(fields), tuple(tags), 1))
                                      for guid, (fields, tags) in notes.items()})
    assert decode_record(encode_record(record)) == record


def test_a_record_this_version_cannot_read_is_no_record():
    assert decode_record({"v": 99}) is None
    assert decode_record("garbage") is None
    assert decode_record({"v": 1, "tags": [], "notes": {"g": [3, "AAAA"]}}) is None
