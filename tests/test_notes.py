"""Notes: tags, checked against what Anki itself keeps of them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from ankitools import fresh_collection, import_package
from packages import package_notes

from cards.build import build
from cards.notes import clean_tag

ODD_TAGS = """---
episode_title: "Tags of Every Kind"
show_title: "Ink & Type"
episode_url: https://share.snipd.com/episode/5c6d7e8f-0000-4000-8000-000000000001
tags: ["Arts & Crafts", "O'Reilly", "café", "日本語", 'say "hi"', "<b>bold</b>", "AI/ML", "a:::b", "#hash", "C++"]
from_snipd: true
---
## Snips

###  [Odd Tags](https://share.snipd.com/snip/5c6d7e8f-0000-4000-8000-000000000002) [[R&D]] [[naïve café]]

🎧 00:10 - 00:40 (00:30)

- Aldus Manutius printed the first pocket-sized classics in Venice around 1501.

#### 📚 Transcript

**Lukas Brenner**
Aldus Manutius printed pocket-sized classics in Venice, the first around 1501.

---
"""


@pytest.mark.parametrize(("written", "tag"), [
    ("Ink & Type", "Ink_&_Type"),
    ("  Deep   Water\tRadio ", "Deep_Water_Radio"),
    ("O'Reilly", "O'Reilly"),
    ("naïve café", "naïve_café"),
    ("cafe\u0301", "café"),  # composed, as Anki stores it
    ("日本語\u3000ラジオ", "日本語_ラジオ"),
    ('say "hi"', "say_hi"),
    ("<b>bold</b>", "bbold/b"),
    ("#history", "history"),
    ("a:::b::", "a::b"),
    ("AI/ML", "AI/ML"),
])
def test_a_tag_keeps_everything_anki_can_hold(written, tag):
    assert clean_tag(written) == tag


def test_anki_keeps_every_tag_as_written_and_finds_it(seeds, tmp_path):
    """Imported, then saved by Anki (which normalises tags as its editor does), every tag reads back the same."""
    library = tmp_path / "notes"
    shutil.copytree(seeds, library)
    (library / "odd.md").write_text(ODD_TAGS, encoding="utf-8")
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    written = {}
    for package in sorted((out / "episodes").glob("*.apkg")):
        import_package(col, package)
        written.update({guid: tags.split() for guid, (_, _, tags) in package_notes(package).items()})
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        note.tags.append("touched")
        col.update_note(note)  # Anki canonifies the tags it is given
        assert sorted(col.get_note(note_id).tags) == sorted([*written[note.guid], "touched"])
    odd = {tag for guid, tags in written.items() for tag in tags if "podcast::Ink_&_Type" in tags}
    assert {"podcast::Ink_&_Type", "Arts_&_Crafts", "O'Reilly", "café", "日本語", "say_hi", "bbold/b", "AI/ML",
            "a::b", "hash", "C++", "R&D", "naïve_café"} <= odd
    ink_and_type = col.find_notes('"tag:podcast::Ink_&_Type"')
    assert len(ink_and_type) == sum("podcast::Ink_&_Type" in tags for tags in written.values()) > 6
    assert all(not re.search(r'[\s"<>]', tag) for tags in written.values() for tag in tags)
    col.close()


def old_clean_tag(tag: str) -> str:
    """How tags were cleaned before: `&`, quotes and braces dropped."""
    tag = re.sub(r"[\s\u3000\x00-\x1f\x7f]+", "_", tag.strip())
    tag = re.sub(r"[\"'`<>&{}\\]", "", tag).lstrip("#")
    tag = re.sub(r":{3,}", "::", tag)
    return "::".join(part for part in tag.split("::") if part)


def test_readable_tags_update_existing_notes_once_in_place(seeds, tmp_path, monkeypatch):
    """A build by the new version reads every source again (its version is in each source's stat key)."""
    out = tmp_path / "decks"
    with monkeypatch.context() as old:
        old.setattr("cards.notes.clean_tag", old_clean_tag)
        build([seeds], out, now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    for package in sorted((out / "episodes").glob("*.apkg")):
        import_package(col, package)
    before = {col.get_note(n).guid: n for n in col.find_notes('"tag:podcast::Ink__Type"')}
    assert len(before) > 6 and not col.find_notes('"tag:podcast::Ink_&_Type"')

    monkeypatch.setattr("cards.build.__version__", "a newer version")
    report = build([seeds], out, now=1_700_000_100)
    assert report.updated == len(before) and report.new == 0  # only the notes whose tags change
    log = import_package(col, out / "changes.apkg")
    assert (len(log.new), len(log.updated)) == (0, len(before))
    after = {col.get_note(n).guid: n for n in col.find_notes('"tag:podcast::Ink_&_Type"')}
    assert after == before  # same GUIDs, same notes
    assert not col.find_notes('"tag:podcast::Ink__Type"')
    again = build([seeds], out, now=1_700_000_200)
    assert (again.new, again.updated) == (0, 0)
    col.close()


def test_tag_packages_are_named_after_readable_tags(seeds, tmp_path):
    library = tmp_path / "notes"
    shutil.copytree(seeds, library)
    (library / "odd.md").write_text(ODD_TAGS, encoding="utf-8")
    build([library], tmp_path / "decks", now=1_700_000_000)
    names = {path.stem for path in (tmp_path / "decks" / "tags").glob("*.apkg")}
    assert "café" in names and any(name.startswith("Arts_") for name in names)
    decks = {deck for path in (tmp_path / "decks" / "tags").glob("*.apkg")
             for deck, _, _ in package_notes(path).values()}
    assert "Tags::Arts_&_Crafts" in decks and "Tags::O'Reilly" in decks


def test_tags_of_the_seed_notes(seeds: Path, tmp_path):
    build([seeds], tmp_path / "decks", now=1_700_000_000)
    tags = {tag for path in (tmp_path / "decks" / "episodes").glob("*.apkg")
            for _, _, note_tags in package_notes(path).values() for tag in note_tags.split()}
    assert "podcast::Ink_&_Type" in tags and "podcast::Ink__Type" not in tags
