"""What packages hold, read straight from their collections, for comparing builds."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

from cards.build import CHANGES_PACKAGE, build


def package_notes(package: Path) -> dict[str, tuple]:
    """GUID → (deck, fields, tags) of every note in one `.apkg`."""
    with zipfile.ZipFile(package) as archive:
        data = archive.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    decks = {int(k): v["name"] for k, v in json.loads(db.execute("SELECT decks FROM col").fetchone()[0]).items()}
    rows = db.execute(
        "SELECT n.guid, c.did, n.flds, n.tags FROM notes n JOIN cards c ON c.nid = n.id GROUP BY n.id"
    ).fetchall()
    db.close()
    return {guid: (decks[did], fields, tags.strip()) for guid, did, fields, tags in rows}


def packages_on_disk(out: Path) -> dict[str, dict[str, tuple]]:
    """Every episode and tag package under `out` (not `changes.apkg`), by relative path."""
    return {
        package.relative_to(out).as_posix(): package_notes(package)
        for package in sorted(out.rglob("*.apkg"))
        if package.name != CHANGES_PACKAGE or package.parent != out
    }


def clean_build(sources: list[Path], out: Path) -> dict[str, dict[str, tuple]]:
    """What a first build of `sources` into an empty folder puts on disk."""
    build(sources, out, now=1_800_000_000, workers=1)
    return packages_on_disk(out)


def assert_same_as_clean_build(sources: list[Path], out: Path, scratch: Path) -> None:
    """The invariant: the packages in `out` equal a clean build of the same sources."""
    expected = clean_build(sources, scratch)
    actual = packages_on_disk(out)
    assert sorted(actual) == sorted(expected)
    for relative, notes in expected.items():
        assert actual[relative] == notes, relative
