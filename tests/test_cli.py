"""The `cards` command, end to end, with typer's CliRunner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from typer.testing import CliRunner

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


def test_summary_figures(seed_note, tmp_path):
    result = run("build", str(seed_note), "--out", str(tmp_path / "decks"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Built 1 episode (21 snips) from 1 file: 84 notes, 84 cards."
    assert lines[1] == "Notes: 84 new, 0 updated, 0 unchanged."
    assert "1 × placeholder snip (1min Snip / Untitled)" in lines[2]
    assert result.stderr.splitlines() == [
        f"warning: {seed_note}:4: repaired double-encoded UTF-8 (mojibake)"
    ]
