"""Rebuilding and re-importing, proved with Anki's own engine and scheduler."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from ankitools import CardAnswer, Collection, fresh_collection, import_package

from cards.build import build
from cards.notetypes import CLOZE_NAME, QA_NAME

NEW_SNIP = """
###  [Neap Tides](https://share.snipd.com/snip/aa000000-0000-4000-8000-000000000003)

🎧 12:00 - 12:40 (00:40)

- Neap tides come at the quarter moons, when the Sun partly cancels the Moon's pull.

#### 📚 Transcript

**Ines Duarte**
At the quarter moons the Sun pulls at right angles and the tides are weak: neap tides.

---
"""
OLD_WORDING = "Spring tides happen when the Sun and the Moon line up at new and full moon."
NEW_WORDING = "Spring tides happen when the Sun and the Moon line up, at new moon and at full moon."


@pytest.fixture
def library(fixtures, tmp_path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(fixtures / "plugin" / "tides.md", folder / "tides.md")
    return folder


def episode_packages(out: Path) -> list[Path]:
    return sorted((out / "episodes").glob("*.apkg"))


def find_note(col, text: str):
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        if text in note.fields[0] or (len(note.fields) > 2 and text in note.fields[2]):
            return note
    raise AssertionError(f"no note with {text!r}")


def study(col, card_id):
    """Answer a card `Good` with the v3 scheduler, as a review in Anki would; returns it."""
    card = col.get_card(card_id)
    card.start_timer()
    states = col._backend.get_scheduling_states(card.id)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD))
    return col.get_card(card.id)


def scheduling(card) -> tuple:
    return (card.type, card.queue, card.due, card.ivl, card.reps, card.lapses, card.did)


def change_sources(library: Path) -> None:
    text = (library / "tides.md").read_text(encoding="utf-8")
    text = text.replace(OLD_WORDING, NEW_WORDING) + NEW_SNIP
    (library / "tides.md").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("second_import", ["episode packages", "changes package"])
def test_rebuild_adds_new_updates_edited_and_keeps_the_rest(library, tmp_path, second_import):
    out = tmp_path / "decks"
    build([library], out, now=int(time.time()) - 3600)
    col = fresh_collection(tmp_path / "anki")
    for package in episode_packages(out):
        import_package(col, package)
    notes_before = col.note_count()

    edited_id = find_note(col, "line up").id
    studied = [study(col, card.id) for card in col.get_note(edited_id).cards()]
    studied += [study(col, find_note(col, "two tidal bulges").cards()[0].id)]
    studied_before = [scheduling(card) for card in studied]
    assert all((card.reps == 1 and card.ivl > 0) or card.queue == 1 for card in studied)
    unchanged = find_note(col, "two tidal bulges")
    unchanged.tags.append("my-own-tag")
    col.update_note(unchanged)

    change_sources(library)
    report = build([library], out, now=int(time.time()) + 2)
    assert (report.new, report.updated) == (2, 2)  # the new snip's cloze + Q&A; the edited pair
    packages = episode_packages(out) if second_import == "episode packages" else [out / "changes.apkg"]
    new = updated = 0
    for package in packages:
        log = import_package(col, package)
        new, updated = new + len(log.new), updated + len(log.updated)
    assert (new, updated) == (2, 2)
    assert col.note_count() == notes_before + 2
    edited = col.get_note(edited_id)
    assert "at new moon and at full moon" in " ".join(edited.fields)
    assert [scheduling(col.get_card(card.id)) for card in studied] == studied_before
    assert all(col.get_card(card.id).reps == 1 for card in studied)
    assert "my-own-tag" in col.get_note(unchanged.id).tags

    for package in packages:
        log = import_package(col, package)
        assert (len(log.new), len(log.updated)) == (0, 0)
    col.close()


def test_nothing_changed_means_nothing_rewritten(library, tmp_path):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    assert not (out / "changes.apkg").exists()  # a first build: everything is in the episode packages
    change_sources(library)
    build([library], out, now=1_750_000_000)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.apkg")}
    report = build([library], out, now=1_800_000_000)
    assert report.written == [] and report.unchanged == report.notes > 0
    # changes.apkg too is left as it is: it holds every change until the user deletes it.
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.apkg")} == stamps
    assert report.changes == out / "changes.apkg" and report.changes_notes == 4


def test_force_rewrites_packages_but_keeps_mtimes(library, tmp_path):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    before = package_notes(episode_packages(out)[0])
    report = build([library], out, force=True, now=1_800_000_000)
    assert len(report.written) == 3  # the episode and its two tags (a first build makes no changes.apkg)
    assert package_notes(episode_packages(out)[0]) == before


def package_notes(package: Path) -> list[tuple]:
    """(guid, fields, tags, mtime) of every note in an .apkg."""
    with zipfile.ZipFile(package) as archive:
        data = archive.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    rows = db.execute("SELECT guid, flds, tags, mod FROM notes ORDER BY guid").fetchall()
    db.close()
    return rows


def test_same_inputs_and_state_give_the_same_notes(library, tmp_path):
    build([library], tmp_path / "a", now=1_700_000_000)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    change_sources(library)
    for out in ("a", "b"):
        build([library], tmp_path / out, now=1_750_000_000)
    for name in ("episodes/why-the-tides-turn.apkg", "tags/oceans.apkg", "changes.apkg"):
        assert package_notes(tmp_path / "a" / name) == package_notes(tmp_path / "b" / name)
    mtimes = {row[3] for row in package_notes(tmp_path / "a" / "episodes/why-the-tides-turn.apkg")}
    assert mtimes == {1_700_000_000, 1_750_000_000}


def test_disappeared_snips_are_reported_by_title(library, tmp_path):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    text = (library / "tides.md").read_text(encoding="utf-8")
    start = text.index("###  [Spring Tides]")
    (library / "tides.md").write_text(text[:start], encoding="utf-8")
    report = build([library], out, now=1_750_000_000)
    assert report.disappeared == ["Spring Tides (Why the Tides Turn)"]
    assert (out / "episodes" / "why-the-tides-turn.apkg").exists()


def test_deleted_source_is_reported_and_its_packages_removed(library, tmp_path):
    """A clean build of what is left makes no package for it (Anki keeps the notes)."""
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    tag_packages = sorted(p.name for p in (out / "tags").glob("*.apkg"))
    assert tag_packages
    (library / "tides.md").unlink()
    (library / "other.md").write_text("# nothing here\n", encoding="utf-8")
    report = build([library], out, now=1_750_000_000)
    assert report.disappeared == ["Two Bulges (Why the Tides Turn)", "Spring Tides (Why the Tides Turn)"]
    assert sorted(p.name for p in report.removed) == sorted(["why-the-tides-turn.apkg", *tag_packages])
    assert not list(out.rglob("*.apkg"))


def test_missing_state_still_updates_in_place(library, tmp_path):
    out = tmp_path / "decks"
    build([library], out, now=int(time.time()) - 3600)
    col = fresh_collection(tmp_path / "anki")
    import_package(col, episode_packages(out)[0])
    before = sorted(col.find_notes(""))
    (out / ".cards-state.sqlite").unlink()
    report = build([library], out, now=int(time.time()) + 2)
    assert report.state_was_missing and report.new == report.notes
    first = build([library], tmp_path / "fresh", now=1_700_000_000)
    assert not first.state_was_missing  # a first build has no state to miss
    log = import_package(col, episode_packages(out)[0])
    assert len(log.new) == 0 and len(log.updated) == len(before)
    assert sorted(col.find_notes("")) == before
    col.close()


def test_a_same_size_edit_right_after_a_build_is_still_seen(library, tmp_path):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    note = library / "tides.md"
    text = note.read_text(encoding="utf-8")
    same_size = text.replace("two tidal bulges", "two tidal humps!")
    assert len(same_size.encode()) == len(text.encode())
    stat = note.stat()
    note.write_text(same_size, encoding="utf-8")
    os.utime(note, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    report = build([library], out, now=1_750_000_000)
    assert report.updated == 2  # the cloze and the Q&A of that key point


def test_the_same_folder_named_another_way_is_the_same_source(library, tmp_path, monkeypatch):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    monkeypatch.chdir(library.parent)
    report = build([Path("notes")], out, now=1_750_000_000)
    assert report.sources_unchanged == 1 and report.new == report.updated == 0
    assert report.written == [] and report.disappeared == []


def test_source_date_epoch_pins_the_time_of_changed_notes(library, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    build([library], tmp_path / "decks")
    mtimes = {row[3] for row in package_notes(tmp_path / "decks" / "episodes" / "why-the-tides-turn.apkg")}
    assert mtimes == {1234567890}


FIRST_SNIP = """###  [Tidal Range](https://share.snipd.com/snip/aa000000-0000-4000-8000-000000000004)

🎧 01:00 - 01:50 (00:50)

- The Bay of Fundy in Canada has the largest range between low and high water, about 16 metres.
- A narrow funnel-shaped bay amplifies the swing of the water by resonance.

#### 📚 Transcript

**Ines Duarte**
The Bay of Fundy in Canada rises and falls by about sixteen metres, more than anywhere else.
The bay is a funnel, and the water sloshes in resonance.

---

"""
DECK = "Podcasts::Coastal Notes::Why the Tides Turn"


def new_queue(col, deck: str = DECK, by_card_type: bool = True) -> list[tuple[int, int]]:
    """(note id, card ordinal) of each new card, in the order Anki's scheduler will show them.

    `by_card_type`: Anki's default sort (card type, then the order gathered); else the gathered order.
    """
    from anki.deck_config_pb2 import DeckConfig
    from anki.scheduler_pb2 import QueuedCards

    did = col.decks.id_for_name(deck)
    config = col.decks.config_dict_for_deck_id(did)
    config["newSortOrder"] = (DeckConfig.Config.NEW_CARD_SORT_ORDER_TEMPLATE if by_card_type
                              else DeckConfig.Config.NEW_CARD_SORT_ORDER_NO_SORT)
    col.decks.update_config(config)
    col.decks.select(did)
    queued = [c.card for c in col.sched.get_queued_cards(fetch_limit=1000).cards if c.queue == QueuedCards.NEW]
    assert len(queued) == len(col.find_cards(f'"deck:{deck}" is:new'))  # every one of them
    return [(card.note_id, card.template_idx) for card in queued]


def key_point(note) -> str:
    return note["Text"] if note.note_type()["name"] == CLOZE_NAME else note["KeyPoint"]


@pytest.mark.parametrize("how", ["changes package", "episode packages", "packages copied by SQL", "sync"])
def test_a_new_snips_cards_follow_the_cards_already_waiting_in_key_point_order(library, tmp_path, monkeypatch, how):
    """The new snip comes first in its episode; its cards still join the new-card queue at its end."""
    from cards.sync import SyncOptions, sync

    if how == "packages copied by SQL":
        monkeypatch.setattr("cards.package.LARGE_PACKAGE", 1)
    out, anki = tmp_path / "decks", tmp_path / "anki"
    build([library], out, now=1_700_000_000)
    col = fresh_collection(anki)
    for package in episode_packages(out):
        import_package(col, package)
    studied = study(col, col.find_cards(f'"deck:{DECK}" is:new')[0])  # one card is no longer waiting
    waiting = new_queue(col, by_card_type=False)
    assert len(waiting) >= 4
    text = (library / "tides.md").read_text(encoding="utf-8")
    first = text.index("### ⭐ [Two Bulges]")
    (library / "tides.md").write_text(text[:first] + FIRST_SNIP + text[first:], encoding="utf-8")

    if how == "sync":
        col.close()
        report = sync([library], out, SyncOptions(collection=anki / "collection.anki2")).build
        col = Collection(str(anki / "collection.anki2"))
    else:
        report = build([library], out, now=1_700_000_100)
        for package in [out / "changes.apkg"] if how == "changes package" else episode_packages(out):
            import_package(col, package)
    assert (report.new, report.updated) == (4, 0)  # two key points, each a cloze and a Q&A note

    queue = new_queue(col, by_card_type=False)
    assert queue[:len(waiting)] == waiting
    added = queue[len(waiting):]
    notes = [col.get_note(note_id) for note_id in dict.fromkeys(note_id for note_id, _ in added)]
    assert [(note.note_type()["name"], "Fundy" in key_point(note)) for note in notes] == [
        (CLOZE_NAME, True), (QA_NAME, True), (CLOZE_NAME, False), (QA_NAME, False)]  # in key point order
    assert added == [(note.id, card.ord) for note in notes for card in sorted(note.cards(), key=lambda c: c.ord)]
    # Anki's default sort shows one card type after the other; within each, the new cards still come last.
    by_type = new_queue(col)
    for ordinal in {o for _, o in by_type}:
        assert [c for c in by_type if c[1] == ordinal] == [c for c in queue if c[1] == ordinal]
    assert col.get_card(studied.id).queue != 0  # the studied card was left alone


def test_deleting_one_of_two_files_that_hold_an_episode_prunes_none_of_the_others_notes(fixtures, tmp_path):
    """The issue's reproduction: a.md and b.md hold one episode; a.md goes; `cards sync --prune --yes`."""
    from cards.sync import SyncOptions, sync

    library = tmp_path / "notes"
    library.mkdir()
    for name in ("a.md", "b.md"):
        shutil.copy(fixtures / "plugin" / "tides.md", library / name)
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    options = SyncOptions(collection=target, prune=True, create=True)
    sync([library], out, options, confirm_prune=lambda titles: True)
    col = fresh_collection(tmp_path / "anki")
    reviewed = {note_id: study(col, col.get_note(note_id).cards()[0].id).reps for note_id in col.find_notes("")}
    col.close()
    assert len(reviewed) == 6 and set(reviewed.values()) == {1}
    (library / "a.md").unlink()
    result = sync([library], out, options, confirm_prune=lambda titles: True)
    assert (result.vanished, result.pruned) == ([], 0)
    assert result.build.episodes == 1 and not (set(result.build.removed) & set(episode_packages(out)))
    col = fresh_collection(tmp_path / "anki")
    assert {note_id: col.get_note(note_id).cards()[0].reps for note_id in col.find_notes("")} == reviewed
    col.close()


def changes_texts(out: Path) -> list[str]:
    path = out / "changes.apkg"
    return [fields for _, fields, _, _ in package_notes(path)] if path.exists() else []


def test_changes_apkg_holds_every_change_until_the_user_deletes_it(library, tmp_path):
    """Nightly builds, a weekly import: nothing built in between is lost."""
    out = tmp_path / "decks"
    build([library], out, now=int(time.time()) - 3600)
    assert not (out / "changes.apkg").exists()  # a first build makes none: import the episode packages
    col = fresh_collection(tmp_path / "anki")
    import_package(col, episode_packages(out)[0])
    assert build([library], out, now=int(time.time()) - 3000).changes is None  # nothing new: none
    change_sources(library)  # a reworded key point and a new snip
    first = build([library], out, now=int(time.time()) - 2000)
    tides = library / "tides.md"
    tides.write_text(tides.read_text(encoding="utf-8").replace("two tidal bulges", "two great tidal bulges"),
                     encoding="utf-8")
    second = build([library], out, now=int(time.time()) - 1000)
    assert (first.changes_notes, second.changes_notes) == (4, 6)  # never shrinks
    held = os.stat(out / "changes.apkg").st_mtime_ns
    third = build([library], out, now=int(time.time()))
    assert third.written == [] and third.changes_notes == 6 and os.stat(out / "changes.apkg").st_mtime_ns == held
    texts = changes_texts(out)
    assert any(NEW_WORDING in t for t in texts) and any("Neap tides" in t for t in texts)
    assert any("two great tidal bulges" in t for t in texts)
    log = import_package(col, out / "changes.apkg")  # the weekly import catches up with both builds
    assert (len(log.new), len(log.updated)) == (2, 4)
    col.close()
    (out / "changes.apkg").unlink()
    assert build([library], out, now=int(time.time()) + 10).changes is None and changes_texts(out) == []
    tides.write_text(tides.read_text(encoding="utf-8").replace("two great tidal bulges", "two tidal bulges"),
                     encoding="utf-8")
    fourth = build([library], out, now=int(time.time()) + 20)
    assert fourth.changes_notes == 2 and all("two tidal bulges" in t for t in changes_texts(out))


def test_changes_that_could_not_be_written_are_offered_by_the_next_build(library, tmp_path, monkeypatch):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    change_sources(library)
    real = __import__("cards.build", fromlist=["write_plan"]).write_plan
    monkeypatch.setattr("cards.build.write_plan", lambda folder, plan, reader: "the disk is full"
                        if plan.relative == "changes.apkg" else real(folder, plan, reader))
    failed = build([library], out, now=1_750_000_000, workers=1)  # patched here: written here
    assert failed.failed and failed.changes is None and not (out / "changes.apkg").exists()
    monkeypatch.undo()
    again = build([library], out, now=1_760_000_000)  # nothing new: the missing file was never in place
    assert [p.name for p in again.written] == ["changes.apkg"] and again.changes_notes == 4
