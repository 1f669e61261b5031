"""The two Anki note types, with frozen ids, field names and template names.

Anki matches note types by id. If the field list or the template list of a
note type changes, Anki forks it on import ("Name+") and existing notes stop
updating for good. So the ids, field names and template names below must
never change; templates' HTML and the CSS may, and reach users through the
note type's mtime (see `cards.state`).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, NamedTuple

from cards.model import CardKind

if TYPE_CHECKING:
    import genanki

CLOZE_MODEL_ID = 1736452801
QA_MODEL_ID = 1736452802

CLOZE_NAME = "cards · Snip cloze"
QA_NAME = "cards · Snip Q&A"

CLOZE_FIELDS = ("Text", "Context", "Title", "Passage", "Transcript", "Source")
QA_FIELDS = ("Question", "Answer", "KeyPoint", "Context", "Title", "Passage", "Transcript", "Source")

CLOZE_TEMPLATE = "Cloze"
QA_TEMPLATE = "Question"


class NoteType(NamedTuple):
    """One note type: what Anki needs to know of it, and its files."""

    kind: CardKind
    model_id: int
    name: str
    fields: tuple[str, ...]
    template: str
    front_file: str
    back_file: str


NOTE_TYPES = {
    CardKind.CLOZE: NoteType(
        CardKind.CLOZE, CLOZE_MODEL_ID, CLOZE_NAME, CLOZE_FIELDS, CLOZE_TEMPLATE,
        "cloze_front.html", "cloze_back.html",
    ),
    CardKind.QA: NoteType(
        CardKind.QA, QA_MODEL_ID, QA_NAME, QA_FIELDS, QA_TEMPLATE,
        "qa_front.html", "qa_back.html",
    ),
}


def asset(name: str) -> str:
    """The text of a file shipped in `cards/anki_templates/`."""
    return resources.files("cards").joinpath("anki_templates", name).read_text(encoding="utf-8")


@cache
def css() -> str:
    """The note types' shared CSS."""
    return asset("cards.css")


@cache
def genanki_model(kind: CardKind) -> genanki.Model:
    """The genanki model for a note type."""
    import genanki  # here: a build with nothing to write never loads it

    note_type = NOTE_TYPES[kind]
    return genanki.Model(
        note_type.model_id,
        note_type.name,
        fields=[{"name": name} for name in note_type.fields],
        templates=[
            {
                "name": note_type.template,
                "qfmt": asset(note_type.front_file),
                "afmt": asset(note_type.back_file),
            }
        ],
        css=css(),
        model_type=genanki.Model.CLOZE if kind is CardKind.CLOZE else genanki.Model.FRONT_BACK,
    )


@cache
def notetype_digest() -> str:
    """A hash of everything in the note types that users see change."""
    digest = hashlib.sha256()
    for kind in CardKind:
        note_type = NOTE_TYPES[kind]
        for part in (note_type.name, asset(note_type.front_file), asset(note_type.back_file)):
            digest.update(part.encode())
    digest.update(css().encode())
    return digest.hexdigest()[:16]
