"""The note types: frozen names, and template/CSS changes that reach users."""

from __future__ import annotations

import time

import pytest
from ankitools import fresh_collection, import_package

from cards import notetypes
from cards.build import build
from cards.notetypes import NOTE_TYPES, CardKind


def test_ids_field_names_and_template_names_never_change():
    # Anki matches note types by id; a different field or template list makes it
    # fork the note type ("Name+") on import, and every user's existing notes
    # stop updating for good. If this test fails, undo the rename.
    assert notetypes.CLOZE_MODEL_ID == 1736452801
    assert notetypes.QA_MODEL_ID == 1736452802
    assert NOTE_TYPES[CardKind.CLOZE].fields == ("Text", "Context", "Title", "Passage", "Transcript", "Source")
    assert NOTE_TYPES[CardKind.QA].fields == (
        "Question", "Answer", "KeyPoint", "Context", "Title", "Passage", "Transcript", "Source",
    )
    assert NOTE_TYPES[CardKind.CLOZE].template == "Cloze"
    assert NOTE_TYPES[CardKind.QA].template == "Question"


@pytest.fixture
def restyled(monkeypatch):
    """The shipped CSS with one more rule, as a new release would have."""
    original = notetypes.asset

    def asset(name: str) -> str:
        text = original(name)
        return text + "\n.cards-card { letter-spacing: 0.01em; }\n" if name == "cards.css" else text

    def clear():
        for cached in (notetypes.css, notetypes.genanki_model, notetypes.notetype_digest):
            cached.cache_clear()

    clear()
    monkeypatch.setattr(notetypes, "asset", asset)
    yield clear
    monkeypatch.setattr(notetypes, "asset", original)
    clear()


def test_css_change_reaches_users_without_forking_or_touching_notes(seeds, tmp_path, request):
    out = tmp_path / "decks"
    build([seeds], out, now=int(time.time()) - 3600)
    col = fresh_collection(tmp_path / "anki")
    package = out / "episodes" / "why-we-sleep-in-stages.apkg"
    import_package(col, package)
    restyle = request.getfixturevalue("restyled")
    restyle()
    # One process: the new CSS is patched in here, where a release would ship a new file.
    report = build([seeds], out, now=int(time.time()) + 2, workers=1)
    assert report.new == report.updated == 0 and len(report.written) == 14
    log = import_package(col, package)
    assert len(log.new) == len(log.updated) == 0
    names = sorted(m["name"] for m in col.models.all() if m["name"].startswith("cards"))
    assert names == sorted([notetypes.CLOZE_NAME, notetypes.QA_NAME])
    for name in names:
        assert "letter-spacing: 0.01em" in col.models.by_name(name)["css"]
    col.close()
