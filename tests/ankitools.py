"""Ground truth: import packages into a fresh collection with Anki's own engine."""

from __future__ import annotations

import html
import re
from pathlib import Path

from anki.collection import Collection  # first: the rest of anki needs it loaded
from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.scheduler.v3 import CardAnswer

__all__ = ["CardAnswer", "Collection", "fresh_collection", "import_package", "notes_by_type", "rendered_cards",
           "visible_text"]


def fresh_collection(folder: Path) -> Collection:
    """A new, empty Anki collection in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_package(col: Collection, path: Path):
    """Import an .apkg as Anki does by default (update notes if newer)."""
    request = ImportAnkiPackageRequest(
        package_path=str(path), options=ImportAnkiPackageOptions(with_scheduling=False)
    )
    log = col.import_anki_package(request).log
    col.models._clear_cache()
    return log


def notes_by_type(col: Collection) -> dict[str, list]:
    """Note type name → notes of that type."""
    found: dict[str, list] = {}
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        found.setdefault(note.note_type()["name"], []).append(note)
    return found


def rendered_cards(col: Collection) -> list[tuple[object, str, str]]:
    """(card, front HTML, back HTML) for every card, as Anki renders them."""
    cards = []
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        output = card.render_output()
        cards.append((card, output.question_text, output.answer_text))
    return cards


def visible_text(html_text: str) -> str:
    """What a reader sees: tags dropped, entities decoded once (as a browser does)."""
    text = re.sub(r"<style.*?</style>", " ", html_text, flags=re.S)
    text = re.sub(r"</?(?:p|div|br|hr|details|summary|li|ul)\b[^>]*>", " ", text)  # blocks break lines
    return html.unescape(re.sub(r"<[^>]+>", "", text))  # inline tags do not
