"""Rebuilding and re-importing, proved with Anki's own engine and scheduler."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from ankitools import CardAnswer, fresh_collection, import_package

from cards.build import build

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
    assert (out / "changes.apkg").exists()
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.apkg") if p.name != "changes.apkg"}
    report = build([library], out, now=1_800_000_000)
    assert report.written == [] and report.unchanged == report.notes > 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.apkg")} == stamps
    assert not (out / "changes.apkg").exists()  # it would offer old changes as new


def test_force_rewrites_packages_but_keeps_mtimes(library, tmp_path):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    before = package_notes(episode_packages(out)[0])
    report = build([library], out, force=True, now=1_800_000_000)
    assert len(report.written) == 3  # the episode and its two tags
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
    assert sorted(p.name for p in report.removed) == sorted(["changes.apkg", "why-the-tides-turn.apkg", *tag_packages])
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
