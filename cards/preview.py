"""`cards preview`: every card as Anki renders it, light and night, on one page.

The cards go through the real thing: the packages are built into a temporary
folder, imported into a temporary collection with Anki's own engine (the
`anki` package), and each card's front and back come from
`card.render_output()`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cards.build import BuildReport, build, check_paths
from cards.cardmaker.writer import RULES_OPTIONS, WriterOptions
from cards.errors import CardsError, OutputError, UsageError
from cards.model import Problem
from cards.package import write_atomically
from cards.parse import find_sources
from cards.render import environment
from cards.workers import Progress

if TYPE_CHECKING:
    from cards.ask import ModelReport

# The classes Anki puts on the body: desktop/AnkiMobile and AnkiDroid at night.
LIGHT = "card"
NIGHT = "card nightMode night_mode"
PHONE_WIDTH = 390
PHONE_HEIGHT = 844


@dataclass(frozen=True)
class RenderedCard:
    """One card's two sides as Anki renders them, with the note type's CSS."""

    deck: str
    note_type: str
    front: str
    back: str
    css: str


def card_document(side_html: str, css: str, body_class: str, extra_head: str = "") -> str:
    """A card side as a complete page, the way Anki's card view wraps it."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{css}</style>{extra_head}</head>"
        f"<body class='{body_class}'><div id='qa'>{side_html}</div></body></html>"
    )


@dataclass(frozen=True)
class Preview:
    """A written preview page: where, how many cards, and what was wrong with the inputs."""

    page: Path
    cards: int
    problems: tuple[Problem, ...]
    model: ModelReport | None = None  # what the language model did (`--writer llm`)
    episodes: int = 0
    not_snipd: tuple[Path, ...] = ()  # files that are not Snipd notes
    on_stdout: bool = False  # the page went to standard output (`--out -`), not to `page`


def render_cards(paths: Sequence[Path | str]) -> list[RenderedCard]:
    """Build `paths` into a throwaway folder and render every card with Anki."""
    return _render(paths)[0]


def _render(paths: Sequence[Path | str], writer: WriterOptions = RULES_OPTIONS,
            progress: Progress | None = None) -> tuple[list[RenderedCard], BuildReport]:
    try:
        from anki.collection import Collection
        from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    except ImportError:
        raise CardsError("cards preview needs Anki's engine: pip install anki") from None
    try:
        scratch = tempfile.TemporaryDirectory(prefix="cards-preview-")
    except OSError as error:
        raise CardsError(f"no folder for temporary files can be written ({error.strerror or error}); "
                         "set TMPDIR to one that can") from None
    with scratch as folder:
        out = Path(folder) / "decks"
        report = build(paths, out, writer=writer, progress=progress)
        col = Collection(str(Path(folder) / "preview.anki2"))
        try:
            for package in sorted((out / "episodes").glob("*.apkg")):
                options = ImportAnkiPackageOptions(with_scheduling=False)
                col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=options))
            col.models._clear_cache()
            cards = [_rendered(col, card_id) for card_id in col.find_cards("", order="c.nid, c.ord")]
            return cards, report
        finally:
            col.close()


def _rendered(col, card_id) -> RenderedCard:
    card = col.get_card(card_id)
    output = card.render_output()
    return RenderedCard(
        deck=col.decks.name(card.did),
        note_type=card.note_type()["name"],
        front=output.question_text,
        back=output.answer_text,
        css=output.css,
    )


def preview_page(cards: list[RenderedCard]) -> str:
    """One page: each card's front and back, light and night, in phone-sized frames."""
    frames = [
        {
            "deck": card.deck,
            "note_type": card.note_type,
            "sides": [
                {"label": f"{side} · {mode}", "srcdoc": card_document(markup, card.css, body)}
                for side, markup in (("front", card.front), ("back", card.back))
                for mode, body in (("light", LIGHT), ("night", NIGHT))
            ],
        }
        for card in cards
    ]
    return environment().get_template("preview.html.j2").render(
        cards=frames, width=PHONE_WIDTH, height=PHONE_HEIGHT // 2
    )


def write_preview(paths: Sequence[Path | str], out: Path | str, writer: WriterOptions = RULES_OPTIONS,
                  progress: Progress | None = None) -> Preview:
    """Write the preview page of every card the notes make, written by `writer`.

    The build is thrown away, and with it what a language model answered:
    a preview asks the model every time. A page (or nothing yet) at `out` is
    replaced by a temporary file renamed into place, so a failed write leaves
    the page that was there before. Anything else (`/dev/stdout`, a pipe) is
    written into, as a shell would: renaming over it would replace a device
    with a file. `-` is standard output, as for most tools. Nothing but an
    HTML page that is not one of the notes is written over (`check_not_overwriting`).
    """
    on_stdout = os.fspath(out) == "-"  # `./-` is a file of that name
    page = Path("-") if on_stdout else check_page(out)
    if not on_stdout:
        check_not_overwriting(page, paths)
    writer.settings()  # a mistaken option stops the preview before anything is built
    cards, report = _render(paths, writer, progress)
    text = preview_page(cards)

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    if on_stdout:  # a closed pipe or a full disk there is the caller's to report, as for any output
        _write_to_stdout(text)
    else:
        try:
            if os.path.exists(page) and not os.path.isfile(page):
                write(page)
            else:
                write_atomically(page, write)
        except OSError as error:
            raise OutputError(page, error) from None
    return Preview(page=page, cards=len(cards), problems=tuple(report.problems), model=report.model,
                   episodes=report.episodes, not_snipd=tuple(report.not_snipd), on_stdout=on_stdout)


def _write_to_stdout(text: str) -> None:
    """The page as UTF-8, the encoding it declares, whatever the terminal's or the locale's (`> page.html`
    from a C locale, or Windows' code page)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a stream of text only (a caller's own)
        sys.stdout.write(text)
    else:
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def check_page(out: Path | str) -> Path:
    """The page to write; `~` is the home folder."""
    if str(out) == "":
        raise UsageError("--out is empty: name the HTML page to write (for example --out preview.html)")
    page = Path(out).expanduser()
    if os.path.isdir(page):
        raise UsageError(f"{page}: --out names a folder; name the HTML page to write "
                         f"(for example --out {page / 'preview.html'})")
    return page


PAGE_SUFFIXES = (".html", ".htm")  # the only files a preview writes over


def check_not_overwriting(page: Path, paths: Sequence[Path | str]) -> None:
    """Stop (a usage error) before `page` writes over a file that is not an HTML page, or over a note read.

    Only an existing regular file is looked at: a new name is written, and a
    device or a pipe is written into. One of the notes under `paths` (the
    same file, by any name or link) is refused, and so is a file whose name
    does not end in .html or .htm, whatever it holds (a collection, cards'
    state).
    """
    if not os.path.isfile(page):
        return
    if _is_a_note(page, paths):
        raise UsageError(f"{page}: --out names one of the notes this preview reads; name another file for the "
                         f"HTML page (for example --out {_instead(page)})")
    if page.suffix.lower() not in PAGE_SUFFIXES:
        raise UsageError(f"{page}: --out names a file that is not an HTML page, and cards preview replaces only "
                         f".html and .htm files; name another file (for example --out {_instead(page)}) "
                         "or move this one away")


def _is_a_note(page: Path, paths: Sequence[Path | str]) -> bool:
    """Whether `page` is the same file as one of the notes the build of `paths` reads."""
    try:
        target = os.stat(page)
    except OSError:
        return False
    for note in find_sources(check_paths(paths)).sources:
        try:
            if os.path.samestat(os.stat(note), target):
                return True
        except OSError:
            continue
    return False


def _instead(page: Path) -> Path:
    """A page to suggest instead of `page`: its name ending in .html, else preview.html beside it."""
    suggestion = page.with_suffix(".html")
    return suggestion if suggestion != page else page.parent / "preview.html"
