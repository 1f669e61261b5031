"""The `cards` command, end to end, with typer's CliRunner."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from ankitools import fresh_collection, import_package

from cards import __version__
from cards.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"cards {__version__}"


def test_help_lists_build():
    result = run("--help")
    assert result.exit_code == 0
    assert "build" in result.stdout


def test_build_defaults_to_seeds_into_decks(seeds, tmp_path, monkeypatch):
    shutil.copytree(seeds, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "decks" / "episodes").glob("*.apkg")) == [
        "how-ocean-currents-shape-climate.apkg",
        "the-press-that-changed-europe.apkg",
        "why-we-sleep-in-stages.apkg",
        "wild-fermentation-basics.apkg",
    ]
    assert (tmp_path / "decks" / "tags" / "oceans.apkg").exists()


def test_build_out_option(seeds, tmp_path):
    result = run("build", str(seeds), "--out", str(tmp_path / "elsewhere"))
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "elsewhere" / "episodes").glob("*.apkg"))) == 4


def test_missing_path_is_a_clear_error_with_exit_2(tmp_path):
    missing = tmp_path / "nope"
    result = run("build", str(missing), "--out", str(tmp_path / "decks"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {missing}: no such file or folder"
    assert not (tmp_path / "decks").exists()


def test_summary_figures_match_what_anki_imports(seed_note, tmp_path):
    result = run("build", str(seed_note), "--out", str(tmp_path / "decks"))
    assert result.exit_code == 0, result.output
    col = fresh_collection(tmp_path / "anki")
    import_package(col, next((tmp_path / "decks" / "episodes").glob("*.apkg")))
    notes, cards = col.note_count(), col.card_count()
    col.close()
    lines = result.stdout.splitlines()
    assert lines[0] == f"Built 1 episode (21 snips) from 1 file: {notes} notes, {cards} cards."
    assert lines[1] == f"Notes: {notes} new, 0 updated, 0 unchanged."
    assert lines[2] == (
        "Skipped: 6 × key point with no good question (no Q&A); "
        "1 × placeholder snip (1min Snip / Untitled)."
    )
    assert lines[3] == "Files with problems: 0 errors, 1 warning (listed above)."
    assert lines[4] == f"Packages: 3 written, 0 unchanged, in {tmp_path / 'decks'}/."
    assert result.stderr.splitlines() == [
        f"warning: {seed_note}:4: repaired double-encoded UTF-8 (mojibake)"
    ]


def test_second_build_reports_everything_unchanged(seeds, tmp_path):
    out = tmp_path / "decks"
    first = run("build", str(seeds), "--out", str(out))
    second = run("build", str(seeds), "--out", str(out))
    assert first.exit_code == second.exit_code == 0
    built = first.stdout.splitlines()[0]
    assert second.stdout.splitlines()[0] == built
    notes = int(built.split(": ")[1].split(" notes")[0])
    assert second.stdout.splitlines()[1] == f"Notes: 0 new, 0 updated, {notes} unchanged."
    assert "Packages: 0 written, 14 unchanged" in second.stdout
    assert "Changes:" not in second.stdout


def test_preview_shows_every_card_front_and_back_light_and_night(seeds, tmp_path):
    out = tmp_path / "preview.html"
    result = run("preview", str(seeds / "export"), "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    cards = int(result.stdout.split(": ")[1].split(" cards")[0])
    assert result.stdout.strip() == f"Wrote {out}: {cards} cards, front and back, light and night."
    assert cards > 5 and page.count("<iframe") == 4 * cards
    assert page.count("front · light") == page.count("back · night") == cards
    assert "data-ordinal" in page  # Anki's own cloze renderer made these
    assert "nightMode night_mode" in page


def test_preview_of_a_missing_path_exits_2(tmp_path):
    result = run("preview", str(tmp_path / "nope"), "--out", str(tmp_path / "p.html"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'}: no such file or folder"


def test_an_internal_error_is_one_line_not_a_traceback(seeds, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr("cards.build.build", broken)
    result = run("build", str(seeds), "--out", str(tmp_path / "decks"))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: internal error (KeyError: 'boom'); please report it (CARDS_DEBUG=1 shows the details)"
    )
