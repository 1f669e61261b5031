"""The build state: what it stores, how small it is, and upgrades that keep users' mtimes."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT
from isal import isal_zlib
from packages import assert_same_as_clean_build, packages_on_disk

import cards.state
from cards.build import build
from cards.notes import episode_notes
from cards.parse import find_sources, parse_file
from cards.state import FIELD_SEPARATOR, SCHEMA_VERSION, STATE_FILE, State, split_fields

# The layout that cards wrote before this version (schema 4), as users have it on disk.
SCHEMA_4 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (path TEXT PRIMARY KEY, digest TEXT NOT NULL, episodes TEXT NOT NULL, stat TEXT NOT NULL);
CREATE TABLE episodes (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, deck TEXT NOT NULL,
    package TEXT NOT NULL, deck_tags TEXT NOT NULL, snips INTEGER NOT NULL, skipped TEXT NOT NULL,
    notes INTEGER NOT NULL, cards INTEGER NOT NULL
);
CREATE TABLE notes (
    guid TEXT PRIMARY KEY, episode TEXT NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL,
    fields TEXT NOT NULL, tags TEXT NOT NULL, deck_tags TEXT NOT NULL, hash TEXT NOT NULL,
    mtime INTEGER NOT NULL, snip_title TEXT NOT NULL, cards INTEGER NOT NULL
);
CREATE INDEX notes_by_episode ON notes (episode, position);
CREATE TABLE packages (path TEXT PRIMARY KEY, digest TEXT NOT NULL);
"""


def as_schema_4(out: Path) -> None:
    """Rewrite a state in the layout of schema 4, with the same notes and mtimes."""
    state = State(out)
    known = state.known()
    notes = {key: state.notes_of(key) for key in known.episodes}
    state.close()
    (out / STATE_FILE).unlink()
    db = sqlite3.connect(out / STATE_FILE)
    db.executescript(SCHEMA_4)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, v) for k, v in known.meta.items() if k != "schema"])
    db.execute("INSERT INTO meta VALUES ('schema', '4')")
    db.executemany("INSERT INTO sources VALUES (?, ?, ?, ?)",
                   [(p, s.digest, json.dumps(list(s.episodes)), s.stat) for p, s in known.sources.items()])
    for key, episode in known.episodes.items():
        db.execute("INSERT INTO episodes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (key, episode.sources[0].path, episode.title, episode.deck, f"episodes/{episode.slug}.apkg",
                    json.dumps(list(episode.deck_tags)), episode.snips, json.dumps(list(episode.skipped)),
                    episode.notes, episode.cards))
        db.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (n.row.guid, key, i, n.row.kind.value, FIELD_SEPARATOR.join(n.row.fields), " ".join(n.row.tags),
             " ".join(n.row.deck_tags), n.hash, n.mtime, n.row.snip_title, n.row.card_count)
            for i, n in enumerate(notes[key])
        ])
    db.commit()
    db.close()


def stored_notes(out: Path) -> dict:
    state = State(out)
    found = {n.row.guid: (n.row.fields, n.row.tags, n.mtime)
             for key in state.known().episodes for n in state.notes_of(key)}
    state.close()
    return found


def assert_upgrade_keeps_everything(seeds: Path, out: Path, downgrade: Callable[[Path], None]) -> None:
    """Build, turn the state into an older layout, build again: nothing new, changed or rewritten."""
    build([seeds], out, now=1_700_000_000)
    before, packages = stored_notes(out), packages_on_disk(out)
    downgrade(out)
    report = build([seeds], out, now=1_750_000_000)
    assert (report.new, report.updated, report.unchanged) == (0, 0, len(before))
    assert not report.state_was_missing
    assert stored_notes(out) == before  # fields, tags and the mtimes users' edits depend on
    assert packages_on_disk(out) == packages


def test_a_state_from_the_previous_version_keeps_every_note_and_mtime(seeds, tmp_path):
    assert_upgrade_keeps_everything(seeds, tmp_path / "decks", as_schema_4)


def as_schema_5(out: Path) -> None:
    """Put a state's snips back in the WITHOUT ROWID table of schema 5, and each episode's one source, as users
    have it on disk."""
    db = sqlite3.connect(out / STATE_FILE)
    db.executescript("""
        ALTER TABLE snips RENAME TO snips_6;
        DROP INDEX snips_by_key;
        CREATE TABLE snips (
            episode TEXT NOT NULL, key TEXT NOT NULL, body BLOB NOT NULL, tags TEXT NOT NULL,
            deck_tags TEXT NOT NULL, title TEXT NOT NULL, PRIMARY KEY (episode, key)
        ) WITHOUT ROWID;
        INSERT INTO snips SELECT * FROM snips_6;
        DROP TABLE snips_6;
        ALTER TABLE episodes RENAME COLUMN sources TO source;
        UPDATE episodes SET source = json_extract(source, '$[0][0]');
        UPDATE meta SET value = '5' WHERE key = 'schema';
    """)
    db.close()


def test_a_state_from_schema_5_keeps_everything_and_its_snips_move_to_a_plain_table(seeds, tmp_path):
    out = tmp_path / "decks"
    assert_upgrade_keeps_everything(seeds, out, as_schema_5)
    db = sqlite3.connect(out / STATE_FILE)
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'snips'").fetchone()
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (SCHEMA_VERSION,)
    db.close()
    assert "WITHOUT ROWID" not in sql


def test_own_fields_stored_before_they_were_compressed_against_their_snip_still_read(seeds, tmp_path):
    out = tmp_path / "decks"
    build([seeds], out, now=1_700_000_000)
    before, packages = stored_notes(out), packages_on_disk(out)
    state = State(out)
    rows = [note.row for key in state.known().episodes for note in state.notes_of(key)]
    state.close()
    db = sqlite3.connect(out / STATE_FILE)
    db.executemany("UPDATE notes SET own = ? WHERE guid = ?", [
        (isal_zlib.compress(FIELD_SEPARATOR.join(split_fields(row)[0]).encode(), 1), row.guid) for row in rows
    ])
    db.commit()
    db.close()
    report = build([seeds], out, now=1_750_000_000, force=True)  # every package written from the old fields
    assert (report.new, report.updated, report.unchanged) == (0, 0, len(before))
    assert stored_notes(out) == before
    assert packages_on_disk(out) == packages


def tides_library(fixtures: Path, folder: Path, transcript_words: int = 0) -> Path:
    """30 episodes whose snips share nothing but their shape; each transcript gets `transcript_words` more words
    of varied English, as long as Snipd's transcripts run (the real note's are about 350 words a snip)."""
    folder.mkdir()
    text = (fixtures / "plugin" / "tides.md").read_text(encoding="utf-8")
    vocabulary = sorted({w for path in (ROOT / "seeds").rglob("*.md")
                         for w in re.findall(r"[a-z]+", path.read_text(encoding="utf-8").lower())})
    rng = random.Random(5)
    for i in range(30):
        copy = text.replace("4b7d9e21-0c3a-4f5e-8a6b-1c2d3e4f5a60", f"4b7d9e21-0c3a-4f5e-8a6b-{i:012d}")
        copy = copy.replace("aa000000-0000-4000-8000", f"aa{i:06d}-0000-4000-8000").replace(
            "Why the Tides Turn", f"Why the Tides Turn, part {i}")
        copy = re.sub(r"(\*\*Ines Duarte\*\*\n[^\n]+)", lambda m: m.group(1) + " " + " ".join(
            rng.choice(vocabulary) for _ in range(transcript_words)) + ".", copy)
        (folder / f"tides-{i}.md").write_text(copy, encoding="utf-8")
    return folder


def state_to_packages(out: Path) -> float:
    packages = sum(p.stat().st_size for p in out.rglob("*.apkg") if p.name != "changes.apkg")
    return (out / STATE_FILE).stat().st_size / packages


@pytest.mark.parametrize("transcript_words", [0, 350], ids=["short transcripts", "Snipd-length transcripts"])
def test_the_state_is_smaller_than_the_packages(fixtures, tmp_path, transcript_words):
    library = tides_library(fixtures, tmp_path / "notes", transcript_words)
    build([library], tmp_path / "decks")
    assert state_to_packages(tmp_path / "decks") <= 1.0


def test_the_state_is_smaller_than_the_packages_on_the_real_note(seed_note, tmp_path):
    """Twenty copies of the real Snipd note (its own transcripts), each its own episode."""
    library = tmp_path / "notes"
    library.mkdir()
    text = seed_note.read_text(encoding="utf-8")
    episode = re.search(r"share\.snipd\.com/episode/([0-9a-f-]{36})", text).group(1)
    for i in range(20):
        copy = text.replace(episode, f"{episode[:24]}{i:012d}").replace('slug: "', f'slug: "part-{i}-')
        (library / f"copy-{i}.txt").write_text(copy, encoding="utf-8")
    out = tmp_path / "decks"
    report = build([library], out)
    assert report.episodes == 20
    assert state_to_packages(out) <= 1.0


def test_stored_fields_come_back_exactly(seeds, tmp_path):
    """Stored once per snip and compressed, every field reads back as the card maker made it."""
    out = tmp_path / "decks"
    build([seeds], out, now=1_700_000_000)
    made = {row.guid: row for path in find_sources([seeds]).sources
            for episode in parse_file(path).episodes for row in episode_notes(episode).rows}
    state = State(out)
    stored = {n.row.guid: n.row for key in state.known().episodes for n in state.notes_of(key)}
    state.close()
    assert stored == made and len(made) > 30


def test_a_build_hands_its_free_pages_back(fixtures, tmp_path):
    """Pending notes are cleared and removed notes deleted: the pages they used do not stay in the file."""
    library = tides_library(fixtures, tmp_path / "notes", transcript_words=350)
    out = tmp_path / "decks"
    build([library], out)
    for source in sorted(library.iterdir())[:20]:
        source.unlink()  # their notes go, and free whole pages
    build([library], out)
    db = sqlite3.connect(out / STATE_FILE)
    assert db.execute("PRAGMA auto_vacuum").fetchone() == (2,)  # incremental
    assert db.execute("PRAGMA freelist_count").fetchone() == (0,)
    db.close()


@pytest.mark.parametrize("few_below", [10**6, 0], ids=["looked up one by one", "found walking the notes"])
def test_pending_notes_come_by_episode_in_order_however_they_are_found(seeds, tmp_path, monkeypatch, few_below):
    out = tmp_path / "decks"
    build([seeds], out, now=1_700_000_000)
    state = State(out)
    every = state.db.execute("SELECT guid, episode, position FROM notes").fetchall()
    state.db.execute("DELETE FROM pending")  # a first build left every note pending
    state.db.executemany("INSERT INTO pending VALUES (?)", [(guid,) for guid, _, _ in every[::3]])
    monkeypatch.setattr("cards.state.FEW_PENDING", few_below)
    pending = state.pending_notes()
    state.close()
    expected: dict[str, list[str]] = {}
    for guid, episode, _ in sorted(every[::3], key=lambda row: (row[1], row[2])):
        expected.setdefault(episode, []).append(guid)
    assert {episode: [note.guid for note in notes] for episode, notes in pending.items()} == expected
    assert list(pending) == sorted(expected)


def queue_order(out: Path) -> list[tuple]:
    """(mtime, deck, episode, position, GUID) of every stored note, by its place in Anki's new-card queue."""
    db = sqlite3.connect(out / STATE_FILE)
    rows = db.execute("SELECT n.mtime, e.deck, n.episode, n.position, n.guid FROM notes n JOIN episodes e "
                      "ON e.key = n.episode JOIN positions q ON q.guid = n.guid ORDER BY q.due").fetchall()
    (notes,) = db.execute("SELECT COUNT(*) FROM notes").fetchone()
    db.close()
    assert len(rows) == notes  # every note has its place
    return rows


def test_a_note_keeps_its_place_in_the_new_card_queue_and_new_notes_come_after(fixtures, tmp_path):
    library = tides_library(fixtures, tmp_path / "notes")
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    first = queue_order(out)
    assert first == sorted(first)  # a first build: in deck order
    source = sorted(library.iterdir())[5]
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("### ⭐", "###  [Neap Tides](https://share.snipd.com/snip/ab000000-0000-4000-8000"
                                   "-000000000009)\n\n- Neap tides come at the quarter moons.\n\n---\n\n### ⭐"),
                      encoding="utf-8")
    build([library], out, now=1_700_000_100)
    second = queue_order(out)
    assert [row[-1] for row in second[:len(first)]] == [row[-1] for row in first] and len(second) == len(first) + 2
    assert [(row[0], row[3]) for row in second[len(first):]] == [(1_700_000_100, 0), (1_700_000_100, 1)]

    as_schema_6(out)  # a state written before notes had places (schema 6 or older)
    db = sqlite3.connect(out / STATE_FILE)
    db.execute("DROP TABLE positions")
    db.commit()
    db.close()
    State(out).close()
    assert queue_order(out) == sorted(second)  # numbered oldest first, then in deck order


def as_schema_6(out: Path, skipped: str | None = None) -> None:
    """Put a state back in the layout of schema 6: one source per episode, pending as a plain table. With
    `skipped` (an episode key), leave that episode out of every source's record but the first, as version 6
    did with an episode also in an earlier file."""
    db = sqlite3.connect(out / STATE_FILE)
    db.executescript("""
        ALTER TABLE episodes RENAME COLUMN sources TO source;
        UPDATE episodes SET source = json_extract(source, '$[0][0]');
        ALTER TABLE pending RENAME TO pending_7;
        CREATE TABLE pending (guid TEXT PRIMARY KEY);
        INSERT INTO pending SELECT guid FROM pending_7;
        DROP TABLE pending_7;
        UPDATE meta SET value = '6' WHERE key = 'schema';
    """)
    if skipped:
        first = db.execute("SELECT source FROM episodes WHERE key = ?", (skipped,)).fetchone()[0]
        for path, episodes in db.execute("SELECT path, episodes FROM sources WHERE path != ?", (first,)).fetchall():
            db.execute("UPDATE sources SET episodes = ? WHERE path = ?",
                       (json.dumps([key for key in json.loads(episodes) if key != skipped]), path))
    db.commit()
    db.close()


def test_a_state_from_schema_6_keeps_every_note_and_mtime(seeds, tmp_path):
    assert_upgrade_keeps_everything(seeds, tmp_path / "decks", as_schema_6)


def test_after_an_upgrade_from_schema_6_an_episode_in_two_files_is_made_from_both(fixtures, tmp_path):
    """Version 6 built such an episode from its first file only: the first build after the upgrade reads
    every file again, and makes it as a clean build does."""
    library = tmp_path / "notes"
    library.mkdir()
    text = (fixtures / "plugin" / "tides.md").read_text(encoding="utf-8")
    (library / "a.md").write_text(text, encoding="utf-8")
    (library / "b.md").write_text(text.replace("aa000000-0000-4000-8000-000000000002",
                                               "aa000000-0000-4000-8000-0000000000b2"), encoding="utf-8")
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    as_schema_6(out, skipped="snipd:4b7d9e21-0c3a-4f5e-8a6b-1c2d3e4f5a60")
    report = build([library], out, now=1_750_000_000)
    assert (report.new, report.updated, report.sources_unchanged) == (0, 0, 0)
    assert_same_as_clean_build([library], out, tmp_path / "clean")


def test_a_build_stopped_while_storing_leaves_the_state_as_it_was(seeds, tmp_path, monkeypatch):
    """The state is one transaction: a build interrupted half-way through storing changes nothing in it."""
    out = tmp_path / "decks"
    build([seeds], out, now=1_700_000_000)
    before = (out / STATE_FILE).read_bytes()
    real, calls = cards.state.stamp_note, []

    def stop_half_way(*args):
        calls.append(1)
        if len(calls) == 20:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr("cards.state.stamp_note", stop_half_way)
    with pytest.raises(KeyboardInterrupt):
        build([seeds], out, now=1_750_000_000, force=True)  # every source read, every episode stored again
    assert len(calls) == 20 and (out / STATE_FILE).read_bytes() == before


def one_tides_note(fixtures: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A folder holding a copy of the tides note: (the folder, the note, an output folder)."""
    notes = tmp_path / "notes"
    notes.mkdir()
    tides = notes / "tides.md"
    tides.write_text((fixtures / "plugin" / "tides.md").read_text(encoding="utf-8"), encoding="utf-8")
    return notes, tides, tmp_path / "decks"


def test_the_state_keeps_every_mtime_its_builds_gave_new_and_changed_notes(fixtures, tmp_path):
    """`cards sync` tells a note imported by hand from one edited in Anki by these (see test_delivery)."""
    from cards.state import STAMPED, stamped_times

    notes, tides, out = one_tides_note(fixtures, tmp_path)

    def stamped() -> frozenset[int]:
        with State(out) as state:
            return stamped_times(state.known().meta)

    build([notes], out, now=1_700_000_000)
    tides.write_text(tides.read_text(encoding="utf-8").replace("Spring tides", "Spring high tides"), encoding="utf-8")
    build([notes], out, now=1_800_000_000)
    build([notes], out, now=1_900_000_000)  # nothing changed: nothing stamped
    assert stamped() == {1_700_000_000, 1_800_000_000}
    with State(out) as state:  # the current versions' mtimes are among them
        assert {n.mtime for key in state.known().episodes for n in state.notes_of(key)} <= stamped()
        state.db.execute("UPDATE meta SET value = 'damaged' WHERE key = ?", (STAMPED,))
        state.commit()
    assert stamped() == frozenset()


def test_the_state_keeps_the_fields_of_each_version_a_build_replaced(fixtures, tmp_path):
    """What `cards sync` tells cards' earlier text from a user's edit by, where a collection has no record."""
    from cards.state import field_hashes

    notes, tides, out = one_tides_note(fixtures, tmp_path)
    build([notes], out, now=1_700_000_000)
    with State(out) as state:
        before = {n.row.guid: n.row.fields for key in state.known().episodes for n in state.notes_of(key)}
        assert state.field_versions(before) == {}  # a first build replaces nothing
    tides.write_text(tides.read_text(encoding="utf-8").replace("Spring tides", "Spring high tides"), encoding="utf-8")
    build([notes], out, now=1_800_000_000)
    with State(out) as state:
        after = {n.row.guid: n.row.fields for key in state.known().episodes for n in state.notes_of(key)}
        replaced = {guid for guid in before if before[guid] != after.get(guid)}
        assert replaced and state.field_versions(before) == {
            guid: frozenset({field_hashes(before[guid])}) for guid in replaced}
