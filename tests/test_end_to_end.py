"""The whole path, checked with Anki's own engine."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from ankitools import fresh_collection, import_package, notes_by_type, rendered_cards, visible_text

from cards.build import build
from cards.notes import SKIP_NO_QUESTION
from cards.notetypes import CLOZE_NAME, QA_NAME
from cards.package import LARGE_PAGES
from cards.parse import parse_file

LEFTOVERS = ("&#39;", "&#34;", "&amp;#", "&amp;amp;", "â€", "Ã", "{{", "}}")


def key_point_count(path: Path) -> int:
    return sum(len(s.key_points) for e in parse_file(path).episodes for s in e.snips)


def test_seed_note_gives_one_episode_package(seed_note, tmp_path):
    report = build([seed_note], tmp_path / "decks", now=1_700_000_000)
    packages = sorted((tmp_path / "decks" / "episodes").glob("*.apkg"))
    assert [p.name for p in packages] == [
        "dylan-patel-jon-asianometry-how-the-semiconductor-industry-actually-works.apkg"
    ]
    assert report.episodes == 1 and not report.failed


def test_seed_note_imports_one_cloze_and_one_qa_note_per_key_point(seed_note, tmp_path):
    """42 key points: 42 cloze notes; a Q&A note for each key point with a good question.

    The ten without one are skipped and counted, as the card-quality rules ask:
    two lean on the key point before them ("This would …", "This "struggle"
    culture …"), two are imperatives ("Look for …"), one has a seven-word
    gerund subject, one is "Dylan Patel contrasts this with …", no clause
    to ask about; three would ask for the episode's subject itself (China,
    the semiconductor industry: "What excels at physical infrastructure for
    AI? → China"), and one ("Each sanction motivates China …") has candidate
    questions the fitted chooser rates below its threshold
    (`ranking.QUESTION_THRESHOLD`, which keeps 75% of the tuning sets' key
    points asked). ("They claim …" is asked: the key point it leans on is shown
    above it.)
    """
    assert key_point_count(seed_note) == 42
    report = build([seed_note], tmp_path / "decks", now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    (package,) = (tmp_path / "decks" / "episodes").glob("*.apkg")
    log = import_package(col, package)
    notes = notes_by_type(col)
    assert len(log.new) == report.notes
    assert len(notes[CLOZE_NAME]) == 42
    assert report.skipped[SKIP_NO_QUESTION] == 11
    assert len(notes[QA_NAME]) == 42 - 11
    for note in notes[CLOZE_NAME] + notes[QA_NAME]:
        assert len(note.cards()) >= 1
    col.close()


def test_rendered_cards_show_no_escaping_leftovers(seed_note, seeds, tmp_path):
    build([seed_note, seeds], tmp_path / "decks", now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    for package in sorted((tmp_path / "decks" / "episodes").glob("*.apkg")):
        import_package(col, package)
    cards = rendered_cards(col)
    assert len(cards) > 80
    for _card, front, back in cards:
        for side in (front, back):
            shown = visible_text(side)
            for leftover in LEFTOVERS:
                assert leftover not in shown, (leftover, shown[:300])
            assert "&amp;#" not in side
    col.close()


def test_back_shows_transcript_with_speaker_names(seed_note, tmp_path):
    build([seed_note], tmp_path / "decks", now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    import_package(col, next((tmp_path / "decks" / "episodes").glob("*.apkg")))
    for card, _front, back in rendered_cards(col):
        # the whole transcript is on the back, partly folded: every sentence of it
        transcript = re.sub(r"<span class=\"speaker\">[^<]+</span>: ", "", card.note()["Transcript"])
        shown = re.sub(r"<span class=\"speaker\">[^<]+</span>: |… | …|</?mark>", "", back)
        for sentence in re.split(r"(?<=[.!?…])\s+|</?p>", transcript):
            assert shown.count(sentence.strip()) >= 1, sentence
        speakers = set(re.findall(r'<span class="speaker">([^<]+)</span>', back))
        assert speakers and speakers <= {"Dylan Patel", "Jon Y", "Dwarkesh Patel"}
        assert "Dwarkesh Podcast" in visible_text(back)
        assert "2025-06-02" in back and "share.snipd.com/episode/d0ce4e49" in back
    col.close()


def test_two_builds_give_the_same_guids(seed_note, seeds, tmp_path):
    build([seed_note, seeds], tmp_path / "one", now=1_700_000_000)
    build([seed_note, seeds], tmp_path / "two", now=1_800_000_000)
    guids = []
    for out in ("one", "two"):
        col = fresh_collection(tmp_path / f"anki-{out}")
        for package in sorted((tmp_path / out / "episodes").glob("*.apkg")):
            import_package(col, package)
        guids.append(sorted(col.get_note(n).guid for n in col.find_notes("")))
        col.close()
    assert guids[0] == guids[1] and len(guids[0]) > 80


def test_tag_packages_after_episode_packages_add_no_note(seeds, tmp_path):
    build([seeds], tmp_path / "decks", now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    for package in sorted((tmp_path / "decks" / "episodes").glob("*.apkg")):
        import_package(col, package)
    before = col.note_count()
    tag_packages = sorted((tmp_path / "decks" / "tags").glob("*.apkg"))
    assert len(tag_packages) >= 5
    for package in tag_packages:
        log = import_package(col, package)
        assert len(log.new) == 0
    assert col.note_count() == before
    col.close()


def test_notes_carry_episode_podcast_and_own_tags(seeds, tmp_path):
    build([seeds], tmp_path / "decks", now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    import_package(col, tmp_path / "decks" / "episodes" / "how-ocean-currents-shape-climate.apkg")
    for note_id in col.find_notes(""):
        tags = set(col.get_note(note_id).tags)
        assert {"oceans", "climate", "podcast::Deep_Water_Radio",
                "episode::how-ocean-currents-shape-climate"} <= tags
        assert all(" " not in tag for tag in tags)
    decks = {name for name, _ in ((d.name, d.id) for d in col.decks.all_names_and_ids())}
    assert "Podcasts::Deep Water Radio::How Ocean Currents Shape Climate – with Dr. Amara Okafor" in decks
    col.close()


@pytest.mark.parametrize("in_memory", [True, False], ids=["collection in memory", "collection in a file"])
def test_packages_written_inside_sqlite_import_as_the_plain_ones_do(seeds, tmp_path, monkeypatch, in_memory):
    """Large packages (copied out of the state by SQL, with larger pages) give Anki the same notes and cards."""
    build([seeds], tmp_path / "plain", now=1_700_000_000)
    monkeypatch.setattr("cards.package.LARGE_PACKAGE", 1)
    monkeypatch.setattr("cards.package.MEMORY_PACKAGE", 8000 if in_memory else 0)
    build([seeds], tmp_path / "sql", now=1_700_000_000, workers=1)  # patched here: written here
    imported = {}
    for kind in ("plain", "sql"):
        packages = sorted((tmp_path / kind).rglob("*.apkg"))
        with zipfile.ZipFile(packages[0]) as archive:
            page_size = int.from_bytes(archive.read("collection.anki2")[16:18], "big")  # in the file's header
        assert page_size == (LARGE_PAGES if kind == "sql" else 4096)
        col = fresh_collection(tmp_path / f"anki-{kind}")
        for package in packages:
            import_package(col, package)
        imported[kind] = sorted((card.note().guid, card.ord, front, back) for card, front, back in rendered_cards(col))
        col.close()
    assert imported["sql"] == imported["plain"] and len(imported["plain"]) >= 30  # enough cards to say something
