"""Packages: the fast path writes what genanki writes; writes are atomic."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from cards.build import build
from cards.model import CardKind
from cards.package import (
    ZIP_LIMIT,
    DeckContent,
    PackageSpec,
    _zip,
    card_ordinals,
    write_atomically,
    write_package,
    write_package_genanki,
)
from cards.state import State, StateReader


def collection_rows(package: Path) -> dict:
    with zipfile.ZipFile(package) as archive:
        data = archive.read("collection.anki2")
        media = archive.read("media")
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    rows = {
        "notes": db.execute("SELECT * FROM notes ORDER BY id").fetchall(),
        "cards": db.execute("SELECT * FROM cards ORDER BY id").fetchall(),
        "decks": json.loads(db.execute("SELECT decks FROM col").fetchone()[0]),
        "models": json.loads(db.execute("SELECT models FROM col").fetchone()[0]),
        "media": media,
    }
    db.close()
    return rows


def specs_from_a_build(seeds: Path, out: Path) -> list[PackageSpec]:
    build([seeds], out, now=1_700_000_000)
    state = State(out)
    episodes = sorted(state.known().episodes.values(), key=lambda e: e.key)
    specs = []
    for episode in episodes:
        notes = tuple(state.notes_of(episode.key))
        specs.append(PackageSpec(out / "x" / f"{episode.key[-6:]}.apkg", (DeckContent(episode.deck, notes),),
                                 1_650_000_000))
    everything = tuple(DeckContent(e.deck, tuple(state.notes_of(e.key))) for e in episodes)
    specs.append(PackageSpec(out / "x" / "all.apkg", everything, 1_650_000_000))
    state.close()
    return specs


def test_fast_path_writes_the_same_package_as_genanki(seeds, tmp_path):
    specs = specs_from_a_build(seeds, tmp_path / "decks")
    assert len(specs) == 5
    for spec in specs:
        plain = PackageSpec(tmp_path / "plain" / spec.path.name, spec.decks, spec.notetype_mtime)
        write_package_genanki(plain)
        write_package(spec)
        assert collection_rows(spec.path) == collection_rows(plain.path)


def test_each_note_keeps_its_own_mtime(seeds, tmp_path):
    spec = specs_from_a_build(seeds, tmp_path / "decks")[-1]
    notes = [n for deck in spec.decks for n in deck.notes]
    changed = notes[0].__class__(notes[0].row, notes[0].hash, 1_800_000_000)
    spec = PackageSpec(spec.path, (DeckContent("D", (changed, *notes[1:])),), 1_650_000_000)
    write_package(spec)
    mods = {row[1]: row[3] for row in collection_rows(spec.path)["notes"]}
    assert mods[notes[0].row.guid] == 1_800_000_000 and mods[notes[1].row.guid] == 1_700_000_000
    assert {m["mod"] for m in collection_rows(spec.path)["models"].values()} == {1_650_000_000}


def test_failed_write_leaves_the_old_package_and_no_temporary_file(tmp_path):
    target = tmp_path / "deck.apkg"
    target.write_bytes(b"old package")

    def fail(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(target, fail)
    assert target.read_bytes() == b"old package"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.apkg"]


@pytest.mark.parametrize("in_memory", [True, False], ids=["collection in memory", "collection in a file"])
def test_a_failed_copy_out_of_the_state_leaves_the_old_package_and_no_file(fixtures, tmp_path, monkeypatch,
                                                                           in_memory):
    library = many_episodes(fixtures, tmp_path / "library", 2)
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    before = {p: p.read_bytes() for p in out.glob("*/*.apkg")}  # episodes and tags
    monkeypatch.setattr("cards.package.LARGE_PACKAGE", 1)
    monkeypatch.setattr("cards.package.MEMORY_PACKAGE", 8000 if in_memory else 0)

    def fail(*args):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("cards.package._copy_notes", fail)
    report = build([library], out, now=1_700_000_000, force=True, workers=1)  # patched here: written here
    assert report.failed and {str(p).split(": ", 1)[1] for p in report.problems} == {
        "could not be written: disk I/O error; build again; the next build writes it again"}
    assert {p: p.read_bytes() for p in out.glob("*/*.apkg")} == before
    assert sorted(p.name for p in out.rglob("*") if p.is_file() and p.suffix != ".apkg") == [
        ".cards-state.sqlite", ".cards.lock"]


def test_card_ordinals_follow_cloze_numbers():
    assert card_ordinals(CardKind.CLOZE, ("a {{c1::b}} c {{c2::d}}",)) == [0, 1]
    assert card_ordinals(CardKind.CLOZE, ("a &#123;&#123;c3:&#58;b&#125;&#125; {{c1::x}}",)) == [0]
    assert card_ordinals(CardKind.QA, ("q",)) == [0]


def many_episodes(fixtures: Path, folder: Path, count: int) -> Path:
    """`count` copies of an episode, each its own episode (own Snipd ids), in one folder."""
    text = (fixtures / "plugin" / "tides.md").read_text(encoding="utf-8")
    folder.mkdir(parents=True)
    for i in range(count):
        copy = text.replace("4b7d9e21-0c3a-4f5e-8a6b-1c2d3e4f5a60", f"4b7d9e21-0c3a-4f5e-8a6b-{i:012d}")
        copy = copy.replace("aa000000-0000-4000-8000", f"aa{i:06d}-0000-4000-8000")
        copy = copy.replace("Why the Tides Turn", f"Why the Tides Turn, part {i}")
        (folder / f"tides-{i:02d}.md").write_text(copy, encoding="utf-8")
    return folder


def test_parallel_and_streamed_builds_write_what_the_plain_path_writes(fixtures, tmp_path, monkeypatch):
    library = many_episodes(fixtures, tmp_path / "library", 24)
    build([library], tmp_path / "plain", now=1_690_000_000, workers=1)
    build([library], tmp_path / "fast", now=1_690_000_000, workers=1)
    for source in library.iterdir():  # a key point of every episode reworded: changes.apkg has a deck for each
        source.write_text(source.read_text(encoding="utf-8").replace(
            "line up at new and full moon", "line up, at new moon and at full moon"), encoding="utf-8")
    build([library], tmp_path / "plain", now=1_700_000_000, workers=1)
    monkeypatch.setattr("cards.package.LARGE_PACKAGE", 10)  # stream even small packages from disk
    # Written here: a patched constant reaches forked workers only, and workers are not forked from a
    # process that runs Anki's sync runtime (as this one does after the sync tests).
    build([library], tmp_path / "fast", now=1_700_000_000, workers=1, force=True)
    plain = sorted(p.relative_to(tmp_path / "plain") for p in (tmp_path / "plain").rglob("*.apkg"))
    fast = sorted(p.relative_to(tmp_path / "fast") for p in (tmp_path / "fast").rglob("*.apkg"))
    assert plain == fast and len(plain) == 24 + 2 + 1  # episodes, two tags, changes
    for relative in plain:
        assert collection_rows(tmp_path / "fast" / relative) == collection_rows(tmp_path / "plain" / relative)
    state = State(tmp_path / "fast")
    episodes = state.known().episodes.values()
    assert len(collection_rows(tmp_path / "fast" / "changes.apkg")["notes"]) == 2 * 24  # each one's cloze and Q&A
    reader = StateReader(state.path)  # notes as packages take them: with their places in the new-card queue
    for episode in episodes:
        relative = f"episodes/{episode.slug}.apkg"
        spec = PackageSpec(tmp_path / "genanki" / relative,
                           (DeckContent(episode.deck, tuple(reader.notes(episode.key))),), 1_690_000_000)
        write_package_genanki(spec)
        assert collection_rows(spec.path) == collection_rows(tmp_path / "fast" / relative)
    reader.close()
    state.close()


@pytest.mark.parametrize("in_memory", [True, False], ids=["collection in memory", "collection in a file"])
def test_packages_from_a_state_in_an_awkward_folder(fixtures, tmp_path, monkeypatch, in_memory):
    """Spaces, `?` and `#` in the decks folder: the read-only state URI stays a path."""
    library = many_episodes(fixtures, tmp_path / "library", 2)
    out = tmp_path / "my decks #1 ?"
    monkeypatch.setattr("cards.package.LARGE_PACKAGE", 1)  # the SQL path, which ATTACHes the state
    monkeypatch.setattr("cards.package.MEMORY_PACKAGE", 8000 if in_memory else 0)
    build([library], out, now=1_700_000_000, workers=1)  # patched here: written here
    plain = tmp_path / "plain"
    monkeypatch.setattr("cards.package.LARGE_PACKAGE", 4000)
    build([library], plain, now=1_700_000_000)
    for package in sorted(plain.rglob("*.apkg")):
        assert collection_rows(out / package.relative_to(plain)) == collection_rows(package)


@pytest.mark.parametrize("limit", [ZIP_LIMIT, 10], ids=["isal", "zipfile for a huge collection"])
@pytest.mark.parametrize("as_file", [False, True], ids=["bytes", "streamed from a file"])
def test_packages_are_zips_that_zipfile_reads_back(tmp_path, monkeypatch, limit, as_file):
    monkeypatch.setattr("cards.package.ZIP_LIMIT", limit)
    collection = bytes(range(256)) * 9000 + b"the end"  # over two MiB: several chunks
    source = tmp_path / "collection.anki2"
    source.write_bytes(collection)
    _zip(tmp_path / "out.apkg", source if as_file else collection)
    with zipfile.ZipFile(tmp_path / "out.apkg") as archive:
        assert archive.testzip() is None  # every member's CRC checks out
        assert archive.namelist() == ["collection.anki2", "media"]
        assert archive.read("collection.anki2") == collection
        assert archive.read("media") == b"{}"
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())


def test_a_package_has_the_same_bytes_whatever_the_hash_seed(seeds, tmp_path):
    """Two builds of the same notes write the same bytes: nothing in a package follows a set's order, which
    PYTHONHASHSEED changes from run to run (the note types' order once did)."""
    import os
    import subprocess
    import sys

    script = ("import sys; from pathlib import Path; from cards.build import build; "
              "build([Path(sys.argv[1])], Path(sys.argv[2]), now=1_700_000_000, workers=1)")
    packages = []
    for seed in ("1", "2", "3", "4", "5", "6"):
        out = tmp_path / seed
        subprocess.run([sys.executable, "-c", script, str(seeds), str(out)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        packages.append({path.relative_to(out): path.read_bytes() for path in out.rglob("*.apkg")})
    assert packages[0] and all(built == packages[0] for built in packages[1:])
