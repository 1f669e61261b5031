"""The `cards` command, end to end, with typer's CliRunner."""

from __future__ import annotations

import errno
import fcntl
import os
import shlex
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from ankitools import fresh_collection, import_package
from typer.testing import CliRunner

from cards import __version__
from cards.cli import app
from cards.state import SCHEMA_VERSION

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False, prog_name="cards")


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"cards {__version__}"


def test_help_lists_build():
    result = run("--help")
    assert result.exit_code == 0
    assert "build" in result.stdout


def a_checkout(seeds, folder: Path) -> Path:
    """A checkout of cards as a fresh clone has it: pyproject.toml and seeds/ (and decks/ with its .gitignore)."""
    shutil.copytree(seeds, folder / "seeds")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


def test_build_in_a_checkout_defaults_to_seeds_into_decks(seeds, tmp_path, monkeypatch):
    checkout = a_checkout(seeds, tmp_path / "clone")
    monkeypatch.chdir(checkout)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (checkout / "decks" / "episodes").glob("*.apkg")) == [
        "how-ocean-currents-shape-climate.apkg",
        "the-press-that-changed-europe.apkg",
        "why-we-sleep-in-stages.apkg",
        "wild-fermentation-basics.apkg",
    ]
    assert (checkout / "decks" / "tags" / "oceans.apkg").exists()
    assert "Packages: 14 written, 0 unchanged, in decks/." in result.stdout.splitlines()
    monkeypatch.chdir(checkout / "seeds" / "export")  # from a folder inside the checkout: the same seeds and decks
    again = run("build")
    assert again.exit_code == 0, again.output
    assert f"Packages: 0 written, 14 unchanged, in {checkout / 'decks'}/." in again.stdout.splitlines()
    assert sorted(p.name for p in checkout.iterdir()) == ["decks", "pyproject.toml", "seeds"]


def test_build_outside_a_checkout_without_a_configuration_file_says_how_to_name_the_notes(
        seeds, tmp_path, monkeypatch):
    shutil.copytree(seeds, tmp_path / "seeds")  # seeds/ alone is no checkout: no pyproject.toml of cards'
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "another"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = os.environ["CARDS_CONFIG"]
    for command in ("build", "sync", "preview"):
        result = run(command)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", (
            f"error: which notes? None were named and there is no configuration file ({config}): name the folder "
            f"of your Snipd notes (cards {command} ~/Obsidian/Snipd), or run cards init to keep it in a "
            "configuration file\n"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml", "seeds"]  # no decks/ appeared here


def test_the_readmes_first_command_builds_the_seeds_of_a_fresh_clone(seeds, tmp_path):
    """`pip install . && cards build` in the clone, as a fresh machine runs it: no configuration file."""
    checkout = a_checkout(seeds, tmp_path / "clone")
    built = subprocess.run([sys.executable, "-m", "cards", "build"], cwd=checkout, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert "Packages: 14 written, 0 unchanged, in decks/." in built.stdout.splitlines()
    assert len(list((checkout / "decks" / "episodes").glob("*.apkg"))) == 4


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
        "Skipped: 11 × key point with no good question (no Q&A); "
        "1 × placeholder snip (1min Snip / Untitled)."
    )
    assert lines[3] == "Files with problems: 0 errors, 1 warning (listed above)."
    assert lines[4] == f"Packages: 2 written, 0 unchanged, in {tmp_path / 'decks'}/."
    assert lines[5] == (f"First build into {tmp_path / 'decks'}/: import its episode packages (or its tag "
                        "packages) into Anki; from now on changes.apkg collects what changes.")
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
    assert "Changes:" not in second.stdout and "First build" not in second.stdout  # none yet, and not the first


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


# --- every failure is one sentence, with the right exit code ----------------------

def one_file(fixtures, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(fixtures / "plugin" / "tides.md", folder / "tides.md")
    return folder


def test_a_damaged_state_is_moved_aside_and_the_build_goes_on(fixtures, tmp_path):
    notes, out = one_file(fixtures, tmp_path), tmp_path / "decks"
    assert run("build", str(notes), "--out", str(out)).exit_code == 0
    (out / ".cards-state.sqlite").write_bytes(b"this is not a database" * 100)
    result = run("build", str(notes), "--out", str(out))
    assert result.exit_code == 0, result.output
    [aside] = out.glob(".cards-state.sqlite.damaged-*")
    assert aside.read_bytes() == b"this is not a database" * 100
    assert (f"The build state was damaged and was moved aside to {aside}; this build counted every note as "
            "new (see the README: when the state is missing).") in result.stdout
    assert run("build", str(notes), "--out", str(out)).stdout.count("unchanged") >= 1


def test_out_naming_a_file_exits_2(fixtures, tmp_path):
    target = tmp_path / "decks.txt"
    target.write_text("mine", encoding="utf-8")
    result = run("build", str(one_file(fixtures, tmp_path)), "--out", str(target))
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: {target}: --out names a file; name a folder for the decks")
    assert target.read_text(encoding="utf-8") == "mine"


def test_empty_out_and_empty_path_exit_2(fixtures, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("build", str(one_file(fixtures, tmp_path)), "--out", "")
    assert (result.exit_code, result.stderr.strip()) == (
        2, "error: --out is empty: name the folder for the decks (for example --out decks)")
    result = run("build", "")
    assert (result.exit_code, result.stderr.strip()) == (
        2, "error: an empty path was given: name a note file or a folder of notes")
    assert list(tmp_path.iterdir()) == [tmp_path / "notes"]


def test_out_with_a_tilde_means_the_home_folder(fixtures, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    result = run("build", str(one_file(fixtures, tmp_path)), "--out=~/decks")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "decks" / "episodes" / "why-the-tides-turn.apkg").exists()
    assert not (tmp_path / "~").exists()


@pytest.mark.parametrize("value", ["0", "99999999999999999999", "yesterday", "1700000000²", "1" * 5000])
def test_source_date_epoch_out_of_range_exits_2(fixtures, tmp_path, monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    result = run("build", str(one_file(fixtures, tmp_path)), "--out", str(tmp_path / "decks"))
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: SOURCE_DATE_EPOCH={value[:24]} is not a time Anki can use: give seconds since 1970 "
           "between 2000 and 2100, or unset it")
    assert not (tmp_path / "decks").exists()  # nothing is made before every argument is checked


def test_a_fifo_or_a_device_is_skipped_not_read(fixtures, tmp_path):
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    result = run("build", str(pipe), "/dev/zero", str(one_file(fixtures, tmp_path)), "--out",
                 str(tmp_path / "decks"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"error: {pipe}: is not a regular file; skipped",
                                          "error: /dev/zero: is not a regular file; skipped"]
    assert "Built 1 episode" in result.stdout


def test_a_file_name_that_is_not_utf8_is_skipped_with_a_warning(fixtures, tmp_path):
    notes = one_file(fixtures, tmp_path)
    odd = os.fsdecode(bytes(notes) + b"/caf\xe9.md")
    shutil.copy(fixtures / "legacy" / "two-episodes.md", odd)
    result = run("build", str(notes), "--out", str(tmp_path / "decks"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {notes}/caf\\xe9.md: has a file name that is not UTF-8; rename it to build it"]
    assert "Built 1 episode" in result.stdout


def test_a_file_name_with_a_line_break_or_an_escape_is_shown_on_one_line(fixtures, tmp_path):
    notes = one_file(fixtures, tmp_path)
    (notes / "a\nerror: fake\x1b[31m.md").write_text("", encoding="utf-8")
    result = run("build", str(notes), "--out", str(tmp_path / "decks"), "-v")
    assert result.stderr.splitlines() == [f"skipped: {notes}/a\\x0aerror: fake\\x1b[31m.md: not a Snipd note"]


def test_a_file_name_with_a_c1_escape_or_a_line_separator_is_shown_on_one_line(fixtures, tmp_path):
    """`\\x9b` opens an escape sequence for some terminals, U+2028 breaks a line for some readers, U+202E
    shows the rest of the line backwards (`gnp.md` as `dm.png`)."""
    notes = one_file(fixtures, tmp_path)
    (notes / "a\u2028error: fake\x9b31m\u202egnp.md").write_text("", encoding="utf-8")
    result = run("build", str(notes), "--out", str(tmp_path / "decks"), "-v")
    assert result.stderr.splitlines() == [
        f"skipped: {notes}/a\\u2028error: fake\\x9b31m\\u202egnp.md: not a Snipd note"]


def test_an_error_naming_a_path_with_a_line_break_or_an_escape_stays_one_line(tmp_path):
    """The path comes from the user's own arguments, but an error is one line, and a terminal's escape is shown,
    not obeyed."""
    collection = tmp_path / "a\nerror: fake\x1b[31m" / "collection.anki2"
    result = run("sync", str(tmp_path), "--out", str(tmp_path / "decks"), "--collection", str(collection))
    assert (result.exit_code, result.stderr.splitlines()) == (2, [
        f"error: {tmp_path}/a\\x0aerror: fake\\x1b[31m/collection.anki2: no such collection; check the path, "
        "or add --create to make a new one there"])


def test_one_file_named_twice_is_read_once(fixtures, tmp_path, monkeypatch):
    notes = one_file(fixtures, tmp_path)
    monkeypatch.chdir(notes)
    out = tmp_path / "decks"
    result = run("build", "tides.md", str(notes / "tides.md"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Built 1 episode (2 snips) from 1 file:")
    again = run("build", "tides.md", "--out", str(out))
    assert "Packages: 0 written" in again.stdout and "Built 1 episode" in again.stdout


def test_preview_of_a_binary_file_is_an_error(fixtures, tmp_path):
    page = tmp_path / "p.html"
    binary = fixtures / "defects" / "binary.md"
    result = run("preview", str(binary), "--out", str(page))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {binary}: is a binary file, not a text note"


def test_ctrl_c_says_the_next_build_finishes_the_work(fixtures, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("cards.build.reconcile", interrupted)
    result = run("build", str(one_file(fixtures, tmp_path)), "--out", str(tmp_path / "decks"))
    assert (result.exit_code, result.stderr.strip()) == (
        130, "error: interrupted: nothing is lost; the next build finishes the work")


def test_a_busy_folder_is_one_line_and_exit_1(fixtures, tmp_path, monkeypatch):
    out = tmp_path / "decks"
    out.mkdir()
    monkeypatch.setattr("cards.build.LOCK_WAIT", 0.2)
    monkeypatch.setattr("cards.build.build.__kwdefaults__", {**build_defaults(), "lock_wait": 0.2})
    with open(out / ".cards.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run("build", str(one_file(fixtures, tmp_path)), "--out", str(out))
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {out}: another cards build is writing into this folder (waited 0.2 s); "
           "let it finish and run again")


def build_defaults():
    from cards.build import build

    return dict(build.__kwdefaults__)


def mounted_tmpfs(folder, options: str) -> bool:
    """Mount a small tmpfs (root, Linux); False where this machine does not allow it."""
    folder.mkdir(parents=True, exist_ok=True)
    if not shutil.which("mount") or os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def test_a_read_only_output_folder_is_one_line_and_exit_1(fixtures, tmp_path):
    folder = tmp_path / "ro"
    if not mounted_tmpfs(folder, "ro,size=1m"):
        pytest.skip("cannot mount a read-only tmpfs here (needs root on Linux)")
    try:
        result = run("build", str(one_file(fixtures, tmp_path)), "--out", str(folder))
    finally:
        subprocess.run(["umount", str(folder)], check=True)
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {folder}: cannot be written (read-only or no permission); choose another --out folder "
           "or make it writable")


def test_a_full_disk_is_one_line_then_the_next_build_finishes(fixtures, tmp_path):
    from packages import assert_same_as_clean_build

    folder = tmp_path / "small"
    if not mounted_tmpfs(folder, "size=120k"):
        pytest.skip("cannot mount a small tmpfs here (needs root on Linux)")
    notes = one_file(fixtures, tmp_path)
    shutil.copy(fixtures / "legacy" / "two-episodes.md", notes / "two.md")
    try:
        filler = folder / "filler"
        filler.write_bytes(b"x" * 40_000)
        full = run("build", str(notes), "--out", str(folder / "decks"))
        assert full.exit_code == 1
        lines = [line for line in full.stderr.splitlines() if line.startswith("error:")]
        assert lines and all("the disk is full" in line for line in lines), full.stderr
        filler.unlink()
        subprocess.run(["mount", "-o", "remount,size=20m", str(folder)], check=True)
        again = run("build", str(notes), "--out", str(folder / "decks"))
        assert again.exit_code == 0, again.output
        assert_same_as_clean_build([notes], folder / "decks", tmp_path / "clean")
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_folder_that_cannot_be_read_is_one_line_and_its_notes_are_kept(fixtures, tmp_path, monkeypatch):
    notes = one_file(fixtures, tmp_path)
    locked = notes / "locked"
    locked.mkdir()
    shutil.copy(fixtures / "legacy" / "two-episodes.md", locked / "two.md")
    out = tmp_path / "decks"
    assert run("build", str(notes), "--out", str(out)).exit_code == 0
    before = sorted(p.name for p in (out / "episodes").glob("*.apkg"))
    real_scandir = os.scandir

    def refuse(path="."):  # what the system says to a folder without read permission (root reads all)
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    real_lexists = os.path.lexists

    def unseen(path):  # and, without search permission, not even whether a file in it exists
        return False if os.fspath(path).startswith(str(locked)) else real_lexists(path)

    monkeypatch.setattr(os, "scandir", refuse)
    monkeypatch.setattr(os.path, "lexists", unseen)
    result = run("build", str(notes), "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {locked}: folder cannot be read (Permission denied); its notes are kept as last built"]
    assert sorted(p.name for p in (out / "episodes").glob("*.apkg")) == before


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_only_the_cli(flag):
    script = ("import sys\nfrom cards.cli import app\ntry:\n    app([sys.argv[1]])\nexcept SystemExit:\n    pass\n"
              "heavy = ('cards.build', 'cards.cardmaker', 'cards.sync', 'genanki', 'anki', 'wordfreq', 'jinja2')\n"
              "print(sorted(m for m in sys.modules if m.startswith(heavy)))")
    result = subprocess.run([sys.executable, "-c", script, flag], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_summary_names_the_packages_it_removed(fixtures, tmp_path):
    notes, out = one_file(fixtures, tmp_path), tmp_path / "decks"
    assert run("build", str(notes), "--out", str(out)).exit_code == 0
    tides = notes / "tides.md"
    tides.write_text(tides.read_text(encoding="utf-8").replace("tags: [oceans]", "tags: [seas]"), encoding="utf-8")
    result = run("build", str(notes), "--out", str(out))
    assert "Removed 1 package that no note belongs to any more: oceans.apkg." in result.stdout.splitlines()
    (notes / "tides.md").unlink()  # every note of changes.apkg is gone: it goes too, quietly
    (notes / "ideas.md").write_text("# Ideas\n\nNot from Snipd.\n", encoding="utf-8")
    again = run("build", str(notes), "--out", str(out))
    assert "Removed 3 packages that no note belongs to any more: " in again.stdout
    assert "changes.apkg" not in again.stdout and not (out / "changes.apkg").exists()
    assert (again.exit_code, again.stderr) == (1, (
        f"error: no Snipd notes in {notes}: the one note file there is not one; name the folder your Snipd "
        "notes are exported to (or run cards init)\n"))


def test_the_command_leaves_with_its_exit_code_and_all_its_output(seeds, tmp_path):
    """`cards` ends the process itself once done (`cards.cli.run`): exit codes and output survive that."""
    def cards(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cards", *args], capture_output=True, text=True, cwd=tmp_path)

    version = cards("--version")
    assert (version.returncode, version.stdout, version.stderr) == (0, f"cards {__version__}\n", "")
    missing = cards("build", str(tmp_path / "nope"))
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == f"error: {tmp_path / 'nope'}: no such file or folder\n"
    built = cards("build", str(seeds), "--out", str(tmp_path / "decks"))
    assert built.returncode == 0, built.stderr
    assert built.stdout.splitlines()[-1].startswith("First build into ")  # the summary's last line, flushed
    assert len(list((tmp_path / "decks" / "episodes").glob("*.apkg"))) == 4


# --- standard output that cannot be written -------------------------------------------------

def cards_command(*args: str, stdout, cwd) -> subprocess.CompletedProcess:
    """`cards` in a process of its own, with its standard output as given (a descriptor, or a shell redirection)."""
    if isinstance(stdout, str):  # a redirection, e.g. ">&-": as the user types it
        script = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "cards", *args)) + " " + stdout
        return subprocess.run(["sh", "-c", script], stderr=subprocess.PIPE, text=True, cwd=cwd)
    return subprocess.run([sys.executable, "-m", "cards", *args], stdout=stdout, stderr=subprocess.PIPE, text=True,
                          cwd=cwd)


@pytest.mark.parametrize(("redirection", "reason"), [(">&-", "it is closed"), ("> /dev/full", "the disk is full")])
def test_a_closed_or_full_standard_output_is_one_line_and_exit_1(fixtures, tmp_path, redirection, reason):
    from packages import assert_same_as_clean_build

    notes, out = one_file(fixtures, tmp_path), tmp_path / "decks"
    result = cards_command("build", str(notes), "--out", str(out), stdout=redirection, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        1, f"error: cannot write to standard output ({reason}); send it to a file or a terminal that can take it\n")
    assert_same_as_clean_build([notes], out, tmp_path / "clean")  # the build itself was done, and done right
    assert (out / ".cards.lock").read_bytes() == b""  # no file took the closed descriptor's place
    again = run("build", str(notes), "--out", str(out))
    assert "Notes: 0 new, 0 updated, 6 unchanged." in again.stdout and "Packages: 0 written" in again.stdout
    version = cards_command("--version", stdout=redirection, cwd=tmp_path)
    assert (version.returncode, version.stderr) == (1, result.stderr)


def test_a_closed_pipe_ends_the_command_with_141_and_no_message(fixtures, tmp_path):
    """As `cards build | head -1` once `head` has gone: what other Unix tools do (128 + SIGPIPE)."""
    from packages import assert_same_as_clean_build

    notes, out = one_file(fixtures, tmp_path), tmp_path / "decks"
    reader, writer = os.pipe()
    os.close(reader)  # nobody will ever read
    try:
        result = cards_command("build", str(notes), "--out", str(out), stdout=writer, cwd=tmp_path)
    finally:
        os.close(writer)
    assert (result.returncode, result.stderr) == (141, "")
    assert_same_as_clean_build([notes], out, tmp_path / "clean")


def test_a_path_that_is_not_utf8_is_printed_escaped_where_python_writes_strictly(fixtures, tmp_path):
    out = os.fsdecode(bytes(tmp_path) + b"/d\xe9cks")
    result = subprocess.run([sys.executable, "-m", "cards", "build", str(one_file(fixtures, tmp_path)), "--out", out],
                            capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert (result.returncode, result.stderr) == (0, "")
    # (3: a first build makes no changes.apkg)
    assert f"Packages: 3 written, 0 unchanged, in {tmp_path}/d\\udce9cks/." in result.stdout.splitlines()


# --- what stands in --out -------------------------------------------------------------------

@pytest.mark.parametrize("written_by", ["0.9.0", None])
def test_a_state_written_by_a_newer_cards_stops_the_build_and_is_left_as_it_is(fixtures, tmp_path, written_by):
    notes, out = one_file(fixtures, tmp_path), tmp_path / "decks"
    assert run("build", str(notes), "--out", str(out)).exit_code == 0
    state = out / ".cards-state.sqlite"
    db = sqlite3.connect(state)
    assert db.execute("SELECT value FROM meta WHERE key = 'written_by'").fetchone() == (__version__,)
    later = str(int(SCHEMA_VERSION) + 1)
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (later,))  # as a later version would write it
    db.execute("DELETE FROM meta WHERE key = 'written_by'")
    if written_by:
        db.execute("INSERT INTO meta VALUES ('written_by', ?)", (written_by,))
    db.commit()
    db.close()
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    notes.joinpath("tides.md").write_text(
        notes.joinpath("tides.md").read_text(encoding="utf-8").replace("two high tides", "two high waters"),
        encoding="utf-8")  # a change this build would otherwise record
    result = run("build", str(notes), "--out", str(out))
    writer = f"cards {written_by}" if written_by else f"a newer cards (state format {later})"
    assert (result.exit_code, result.stderr) == (1, (
        f"error: {state}: was written by {writer}, which this cards ({__version__}) cannot read; nothing was "
        "changed: upgrade cards (pip install --upgrade snipcards), or choose another --out folder\n"))
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


@pytest.mark.parametrize(("name", "make", "message", "code"), [
    (".cards-state.sqlite", "folder",
     "is a folder, but cards keeps its build state in a file of this name; move it away, or choose another --out "
     "folder", 1),
    (".cards-state.sqlite-journal", "folder",
     "is a folder, but cards keeps its build state in a file of this name; move it away, or choose another --out "
     "folder", 1),
    (".cards.lock", "folder", "is a folder, where cards writes a file; move the folder away and run again", 1),
    (".cards.lock", "fifo", "is not a file, where cards keeps the folder's lock; remove it and run again", 1),
    ("episodes", "file", "is a file, but cards keeps the episode packages in a folder of this name; move it away "
                         "and build again", 1),
    ("tags", "loop", "is a symbolic link that leads to no folder, but cards keeps the tag packages in a folder of "
                     "this name; move it away and build again", 1),
])
def test_what_stands_where_cards_writes_is_named_with_what_to_do(fixtures, tmp_path, name, make, message, code):
    notes, out = one_file(fixtures, tmp_path), tmp_path / "decks"
    out.mkdir()
    path = out / name
    if make == "folder":
        path.mkdir()
    elif make == "file":
        path.write_text("mine", encoding="utf-8")
    elif make == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(path)
    result = run("build", str(notes), "--out", str(out))
    assert (result.exit_code, result.stderr) == (code, f"error: {path}: {message}\n")
    assert not (out / "episodes").is_dir() and not (out / "tags").is_dir()  # stopped before any package


def test_an_out_that_is_a_link_leading_nowhere_exits_2(fixtures, tmp_path):
    loop = tmp_path / "decks"
    loop.symlink_to(loop)
    result = run("build", str(one_file(fixtures, tmp_path)), "--out", str(loop))
    assert (result.exit_code, result.stderr) == (
        2, f"error: {loop}: --out names a symbolic link that leads to no folder; name a folder for the decks\n")
    result = run("build", str(loop), "--out", str(tmp_path / "elsewhere"))
    assert (result.exit_code, result.stderr) == (
        2, f"error: {loop}: cannot be read (Too many levels of symbolic links); name another path\n")


def test_preview_into_a_folder_exits_2_before_building(fixtures, tmp_path, monkeypatch):
    def not_now(*args, **kwargs):
        raise AssertionError("the page is checked before anything is built")

    monkeypatch.setattr("cards.preview._render", not_now)
    folder = tmp_path / "pages"
    folder.mkdir()
    result = run("preview", str(one_file(fixtures, tmp_path)), "--out", str(folder))
    assert (result.exit_code, result.stderr) == (2, (
        f"error: {folder}: --out names a folder; name the HTML page to write "
        f"(for example --out {folder / 'preview.html'})\n"))


def test_a_preview_page_that_cannot_be_written_is_one_line_and_the_old_page_stays(fixtures, tmp_path, monkeypatch):
    notes, page = one_file(fixtures, tmp_path), tmp_path / "preview.html"
    page.write_text("the last preview", encoding="utf-8")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    result = run("preview", str(notes), "--out", str(page))
    monkeypatch.undo()
    assert (result.exit_code, result.stderr) == (
        1, f"error: {page}: the disk is full; free some space and build again\n")
    assert page.read_text(encoding="utf-8") == "the last preview"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    in_a_file = notes / "tides.md" / "preview.html"
    result = run("preview", str(notes), "--out", str(in_a_file))
    assert (result.exit_code, result.stderr) == (
        1, f"error: {in_a_file}: a file stands where cards makes a folder; move the file away and run again\n")


def _not_built(*args, **kwargs):
    raise AssertionError("the page is checked before anything is built")


def test_preview_will_not_write_over_a_note_it_reads(fixtures, tmp_path, monkeypatch):
    monkeypatch.setattr("cards.preview._render", _not_built)
    notes = one_file(fixtures, tmp_path)
    note = notes / "tides.md"
    before = note.read_bytes()
    result = run("preview", str(notes), "--out", str(note))
    assert (result.exit_code, result.stderr) == (2, (
        f"error: {note}: --out names one of the notes this preview reads; name another file for the HTML page "
        f"(for example --out {note.with_suffix('.html')})\n"))
    assert note.read_bytes() == before
    page = notes / "tides.html"  # a note named on the command line is read, whatever its name
    page.write_bytes(before)
    result = run("preview", str(page), "--out", str(page))
    assert (result.exit_code, result.stderr) == (2, (
        f"error: {page}: --out names one of the notes this preview reads; name another file for the HTML page "
        f"(for example --out {notes / 'preview.html'})\n"))
    assert page.read_bytes() == before
    link = tmp_path / "link.html"  # another name for a note is the note
    link.symlink_to(note)
    result = run("preview", str(notes), "--out", str(link))
    assert (result.exit_code, result.stderr) == (2, (
        f"error: {link}: --out names one of the notes this preview reads; name another file for the HTML page "
        f"(for example --out {tmp_path / 'preview.html'})\n"))
    assert link.is_symlink() and note.read_bytes() == before


def test_preview_will_not_write_over_a_file_that_is_not_an_html_page(fixtures, tmp_path, monkeypatch):
    monkeypatch.setattr("cards.preview._render", _not_built)
    notes = one_file(fixtures, tmp_path)
    for name in ("victim.anki2", ".cards-state.sqlite", "notes.txt"):
        other = tmp_path / name
        other.write_bytes(b"not a page")
        result = run("preview", str(notes), "--out", str(other))
        assert (result.exit_code, result.stderr) == (2, (
            f"error: {other}: --out names a file that is not an HTML page, and cards preview replaces only "
            f".html and .htm files; name another file (for example --out {other.with_suffix('.html')}) "
            "or move this one away\n"))
        assert other.read_bytes() == b"not a page"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cards-state.sqlite", "notes", "notes.txt",
                                                          "victim.anki2"]


def test_preview_replaces_an_html_page_and_writes_a_new_file_of_any_name(fixtures, tmp_path):
    notes = one_file(fixtures, tmp_path)
    for name in ("old.html", "OLD.HTM", "new-page"):
        page = tmp_path / name
        if name != "new-page":
            page.write_text("an older page", encoding="utf-8")
        result = run("preview", str(notes), "--out", str(page))
        assert result.exit_code == 0, result.output
        assert page.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_preview_without_a_folder_for_temporary_files_is_one_line(fixtures, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    result = run("preview", str(one_file(fixtures, tmp_path)), "--out", str(tmp_path / "p.html"))
    assert (result.exit_code, result.stderr) == (
        1, "error: no folder for temporary files can be written (No such file or directory); "
           "set TMPDIR to one that can\n")


def test_preview_into_a_pipe_writes_into_it_and_leaves_it_a_pipe(fixtures, tmp_path):
    """As `--out /dev/stdout` should: a rename would put a file in its place (and, as root, in /dev/null's)."""
    pipe = tmp_path / "page"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    holder = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)  # so that the reader sees no end before cards writes
    os.set_blocking(reader, True)
    received = bytearray()

    def read_to_the_end() -> None:
        with os.fdopen(reader, "rb") as page:
            received.extend(page.read())

    drain = threading.Thread(target=read_to_the_end)
    drain.start()
    try:
        result = run("preview", str(one_file(fixtures, tmp_path)), "--out", str(pipe))
    finally:
        os.close(holder)
        drain.join()
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert received.startswith(b"<!doctype html>") and received.count(b"<iframe") == 4 * 7  # 7 cards, 4 views each


def test_a_folder_named_like_a_temporary_package_is_left_alone(fixtures, tmp_path):
    out = tmp_path / "decks"
    (out / "episodes" / ".mine.apkg.1.tmp").mkdir(parents=True)  # what a killed build's leftovers are called
    result = run("build", str(one_file(fixtures, tmp_path)), "--out", str(out))
    assert (result.exit_code, result.stderr) == (0, "")
    assert (out / "episodes" / ".mine.apkg.1.tmp").is_dir()


def test_a_first_build_says_what_to_import_and_a_first_sync_does_not(fixtures, tmp_path):
    notes = one_file(fixtures, tmp_path)
    built = run("build", str(notes), "--out", str(tmp_path / "decks"))
    assert built.stdout.splitlines()[-1] == (
        f"First build into {tmp_path / 'decks'}/: import its episode packages (or its tag packages) into Anki; "
        "from now on changes.apkg collects what changes.")
    synced = run("sync", str(notes), "--out", str(tmp_path / "synced"), "--collection",
                 str(tmp_path / "anki" / "collection.anki2"), "--create")
    assert synced.exit_code == 0, synced.output
    assert "Built 1 episode" in synced.stdout and "First build" not in synced.stdout  # the sync imported them


# --- issue 23: help, a quiet vault, where things go, the settings in force ------------------------

COMMANDS = ("build", "preview", "sync", "config", "init")


def test_dash_h_works_everywhere_and_says_what_help_says():
    for command in ((), *((name,) for name in COMMANDS)):
        short, long = run(*command, "-h"), run(*command, "--help")
        assert (short.exit_code, long.exit_code) == (0, 0)
        assert short.stdout == long.stdout and short.stdout.startswith("Usage: cards")


def test_every_commands_help_has_two_or_three_examples_that_use_real_options():
    from typer.main import get_command

    commands = get_command(app).commands  # type: ignore[attr-defined]
    for name in COMMANDS:
        text = runner.invoke(app, [name, "-h"], env={"COLUMNS": "200"}, prog_name="cards").stdout
        block = text.split("Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
        examples = [line.split("#")[0].split() for line in block]
        assert 2 <= len(examples) <= 3, text
        known = {opt for param in commands[name].params for opt in param.opts}
        for words in examples:
            words = words[words.index("cards"):]  # CARDS_CONFIG=... cards config
            assert words[1] == name, words
            assert {word for word in words if word.startswith("-")} <= known, words
    for name in ("build", "preview", "sync", "config"):
        text = run(name, "-h").stdout
        assert text.startswith(f"Usage: cards {name} [OPTIONS] [PATHS]...\n")
        assert "\n  [PATHS]...  " in text and "<str>" not in text


def a_vault(fixtures, tmp_path: Path) -> Path:
    """A small Obsidian vault: two Snipd notes among 30 ordinary notes, an empty one and Obsidian's settings."""
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / ".obsidian" / "app.json").write_text("{}", encoding="utf-8")
    (vault / "Snipd").mkdir()
    shutil.copy(fixtures / "plugin" / "tides.md", vault / "Snipd" / "tides.md")
    shutil.copy(fixtures / "legacy" / "two-episodes.md", vault / "Snipd" / "two.md")
    for number in range(30):
        folder = vault / ("Daily" if number % 2 else "Ideas")
        folder.mkdir(exist_ok=True)
        (folder / f"note {number:02}.md").write_text(f"# Note {number}\n\n- [ ] something to do\n", encoding="utf-8")
    (vault / "Untitled.md").write_text("", encoding="utf-8")
    return vault


def test_a_vault_is_quiet_the_other_notes_are_counted_and_v_lists_them(fixtures, tmp_path):
    vault, out = a_vault(fixtures, tmp_path), tmp_path / "decks"
    first = run("build", str(vault), "--out", str(out))
    assert (first.exit_code, first.stderr) == (0, "")
    assert "Skipped 31 notes that are not from Snipd (-v lists them)." in first.stdout.splitlines()
    assert first.stdout.startswith("Built 3 episodes (")
    again = run("build", str(vault), "--out", str(out), "-v")  # unchanged files: counted as well
    assert again.exit_code == 0
    assert "Skipped 31 notes that are not from Snipd (listed above)." in again.stdout.splitlines()
    others = sorted([*vault.glob("Daily/*.md"), *vault.glob("Ideas/*.md"), vault / "Untitled.md"])
    assert again.stderr.splitlines() == [f"skipped: {path}: not a Snipd note" for path in others]


def test_a_folder_with_no_note_file_is_one_sentence_and_exit_1_and_nothing_is_touched(fixtures, tmp_path):
    notes, out = one_file(fixtures, tmp_path), tmp_path / "decks"
    assert run("build", str(notes), "--out", str(out)).exit_code == 0
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    (notes / "tides.md").unlink()  # as an unmounted drive, or a cloud folder not synced yet, looks
    result = run("build", str(notes), "--out", str(out))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", (
        f"error: no Snipd notes in {notes}: there is no .md, .markdown or .txt file there; name the folder your "
        "Snipd notes are exported to (or run cards init)\n"))
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("build", str(empty), "--out", str(tmp_path / "new"))
    assert result.exit_code == 1 and not (tmp_path / "new").exists()


def test_files_but_no_snipd_note_say_where_cards_looked(fixtures, tmp_path):
    vault = a_vault(fixtures, tmp_path)
    shutil.rmtree(vault / "Snipd")
    result = run("build", str(vault), "--out", str(tmp_path / "decks"))
    assert result.exit_code == 1
    assert result.stdout.startswith("Built 0 episodes (0 snips) from 31 files")
    assert result.stderr == (f"error: no Snipd notes in {vault}: none of the 31 note files there is one; name the "
                             "folder your Snipd notes are exported to (or run cards init)\n")


def a_config(tmp_path: Path, monkeypatch, text: str) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CARDS_CONFIG", str(path))
    return path


def test_preview_writes_into_the_output_folder_not_the_current_one(fixtures, seeds, tmp_path, monkeypatch):
    notes, here = one_file(fixtures, tmp_path), tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    a_config(tmp_path, monkeypatch, f'sources = ["{notes}"]\nout = "{tmp_path / "decks"}"\n')
    result = run("preview")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote {tmp_path / 'decks' / 'preview.html'}: 7 cards")
    assert list(here.iterdir()) == []
    checkout = a_checkout(seeds, tmp_path / "clone")  # a checkout without a configuration file: into decks/
    monkeypatch.setenv("CARDS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.chdir(checkout)
    result = run("preview")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Wrote decks/preview.html: ")
    assert (checkout / "decks" / "preview.html").exists() and not (checkout / "preview.html").exists()


def test_the_build_state_stays_in_one_place_whatever_the_current_folder(fixtures, tmp_path, monkeypatch):
    notes = one_file(fixtures, tmp_path)
    data = Path(os.environ["XDG_DATA_HOME"]) / "cards" / "decks"  # the user data folder (platformdirs)
    results = []
    for here in ("a", "b/c"):
        (tmp_path / here).mkdir(parents=True)
        monkeypatch.chdir(tmp_path / here)
        results.append(run("build", str(notes)))
    assert [result.exit_code for result in results] == [0, 0]
    assert f"Packages: 3 written, 0 unchanged, in {data}/." in results[0].stdout.splitlines()
    assert "Notes: 0 new, 0 updated, 6 unchanged." in results[1].stdout.splitlines()  # the same state, found again
    assert (data / ".cards-state.sqlite").is_file()
    assert [path for path in tmp_path.rglob("*") if path.name in ("decks", ".cards-state.sqlite")] == []
    out = tmp_path / "configured"
    a_config(tmp_path, monkeypatch, f'out = "{out}"\n')
    assert run("build", str(notes)).exit_code == 0
    assert (out / ".cards-state.sqlite").is_file() and len(list((out / "episodes").glob("*.apkg"))) == 1


def test_config_shows_each_setting_and_where_it_came_from(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = a_config(tmp_path, monkeypatch, 'sources = ["~/Snipd"]\nout = "decks"\nprofile = "User 1"\n'
                                           'server = "https://sync.example.org/"\n\n[writer]\nkind = "llm"\n')
    monkeypatch.setenv("ANKI_BASE", str(tmp_path / "Anki2"))
    (tmp_path / "Anki2" / "User 1").mkdir(parents=True)
    (tmp_path / "Anki2" / "User 1" / "collection.anki2").touch()  # the profile the file names: sync would open it
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "hunter2")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
    result = run("config", "--user", "me")
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert result.stdout.splitlines() == [
        f"config file  {path}  (environment: CARDS_CONFIG)",
        f"sources      {tmp_path / 'home' / 'Snipd'}  (file: {path})",
        f"out          {tmp_path / 'config' / 'decks'}  (file: {path})",
        f"build state  {tmp_path / 'config' / 'decks' / '.cards-state.sqlite'}  (beside the packages)",
        f"collection   {tmp_path / 'Anki2' / 'User 1' / 'collection.anki2'}  (file: {path}: the profile 'User 1')",
        f"server       https://sync.example.org/  (file: {path})",
        "user         me  (flag: --user)",
        "password     set (not shown)  (environment: CARDS_SYNC_PASSWORD)",
        f"writer       llm  (file: {path})",
        "llm model    none  (default)",
        "llm url      http://localhost:11434/v1  (environment: OPENAI_BASE_URL)",
        "llm key      none (a local model needs none)  (default)",
    ]
    monkeypatch.setenv("CARDS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("CARDS_SYNC_PASSWORD")
    bare = run("config").stdout.splitlines()
    assert bare[0] == (f"config file  {tmp_path / 'none.toml'}  (environment: CARDS_CONFIG; not found: cards init "
                       "writes it)")
    assert bare[4] == (f"collection   {tmp_path / 'Anki2' / 'User 1' / 'collection.anki2'}  (environment: the only "
                       "Anki profile in ANKI_BASE)")
    monkeypatch.setenv("ANKI_BASE", str(tmp_path / "empty"))
    assert run("config").stdout.splitlines()[4] == (
        f"collection   none  (environment: ANKI_BASE: {tmp_path / 'empty'}: no Anki profile found; open Anki once, "
        "or name a collection with --collection FILE)")
    assert bare[7] == "password     asked at the first sync; never stored  (default)"


def test_a_configuration_file_that_cannot_be_used_stops_every_command_with_exit_2(tmp_path, monkeypatch):
    path = a_config(tmp_path, monkeypatch, 'password = "hunter2"\n')
    for command in ("build", "sync", "preview", "config"):
        result = run(command)
        assert (result.exit_code, result.stderr) == (2, (
            f"error: {path}: holds password: a secret is never kept in a file; remove it, and set "
            "CARDS_SYNC_PASSWORD in the environment instead\n"))


def test_config_and_the_password_question_never_show_a_password_in_a_url(fixtures, tmp_path, monkeypatch):
    path = a_config(tmp_path, monkeypatch, 'server = "https://me:s3cretpw@sync.example.org/"\n')
    monkeypatch.setenv("ANKI_BASE", str(tmp_path / "Anki2"))
    monkeypatch.setenv("OPENAI_BASE_URL", "http://me:s3cretpw@localhost:11434/v1")
    monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)
    for command in ("config", "sync"):  # a password never goes in the file: the file is named, not --server
        refused = run(command)
        assert (refused.exit_code, refused.stderr) == (2, (
            f'error: {path}: server = "https://sync.example.org/": the address holds a user name or password, which '
            "would be kept on disk; give the user with --user (the password is asked, or read from "
            "CARDS_SYNC_PASSWORD)\n"))
    path.write_text('server = "https://sync.example.org/"\n', encoding="utf-8")
    lines = run("config").stdout.splitlines()
    assert "s3cretpw" not in "\n".join(lines)
    assert lines[5] == f"server       https://sync.example.org/  (file: {tmp_path / 'config' / 'config.toml'})"
    assert lines[10] == "llm url      http://localhost:11434/v1  (environment: OPENAI_BASE_URL)"
    flags = run("config", "--server", "http://u:flagpw@127.0.0.1:9/", "--llm-url", "https://k:flagpw@api.example/v1")
    assert "flagpw" not in flags.output
    assert flags.stdout.splitlines()[5] == "server       http://127.0.0.1:9/  (flag: --server)"
    assert flags.stdout.splitlines()[10] == "llm url      https://api.example/v1  (flag: --llm-url)"
    notes = one_file(fixtures, tmp_path)
    asked = runner.invoke(app, ["sync", str(notes), "--out", str(tmp_path / "decks"), "--collection",
                                str(tmp_path / "anki" / "collection.anki2"), "--create",
                                "--server", "http://me:flagpw@127.0.0.1:9/", "--user", "me"],
                          input="", catch_exceptions=False, prog_name="cards")
    assert (asked.exit_code, asked.stderr) == (2, (  # refused before the password is asked
        "error: --server http://127.0.0.1:9/: the address holds a user name or password, which would be kept on "
        "disk; give the user with --user (the password is asked, or read from CARDS_SYNC_PASSWORD)\n"))
    assert "flagpw" not in asked.output


def test_config_shows_the_collection_sync_would_open_or_why_sync_would_stop(fixtures, tmp_path, monkeypatch):
    base = tmp_path / "Anki2"
    (base / "User 1").mkdir(parents=True)
    fresh_collection(base / "User 1" / "collection.anki2").close()
    monkeypatch.setenv("ANKI_BASE", str(base))
    monkeypatch.setenv("CARDS_CONFIG", str(tmp_path / "none.toml"))
    notes = one_file(fixtures, tmp_path)
    typo = run("config", "--profile", "Typo")
    assert typo.stdout.splitlines()[4] == (
        f"collection   none  (flag: --profile: {base}: no Anki profile named 'Typo' (found: User 1))")
    synced = run("sync", str(notes), "--out", str(tmp_path / "decks"), "--profile", "Typo")
    assert (synced.exit_code, synced.stderr) == (1, f"error: {base}: no Anki profile named 'Typo' (found: User 1)\n")
    found = run("config", "--profile", "User 1")
    assert found.stdout.splitlines()[4] == (
        f"collection   {base / 'User 1' / 'collection.anki2'}  (flag: --profile: the profile 'User 1')")
    (base / "Other").mkdir()
    (base / "Other" / "collection.anki2").touch()
    assert run("config").stdout.splitlines()[4] == (
        f"collection   none  (environment: ANKI_BASE: {base}: several Anki profiles (Other, User 1); choose one "
        "with --profile)")
    assert run("config", "--collection", str(tmp_path)).stdout.splitlines()[4] == (
        f"collection   none  (flag: --collection: {tmp_path}: --collection names a folder; name the collection "
        "file (collection.anki2))")


def test_the_help_names_the_environment_variables_cards_reads():
    from cards.settings import API_KEY_VARIABLE, BASE_URL_VARIABLE, PASSWORD_VARIABLE

    build, sync = " ".join(run("build", "--help").stdout.split()), " ".join(run("sync", "--help").stdout.split())
    assert f"An API key is read from {API_KEY_VARIABLE} only." in build
    assert f"else {BASE_URL_VARIABLE}, else OpenAI's own." in build
    assert f"or read from {PASSWORD_VARIABLE}; it is never stored." in sync


def test_the_writer_choices_are_the_writer_kinds_in_any_case(tmp_path, monkeypatch):
    from typing import get_args

    from cards.cardmaker.writer import WriterKind
    from cards.cli import WriterChoice

    assert get_args(WriterChoice) == tuple(kind.value for kind in WriterKind)
    monkeypatch.setenv("CARDS_CONFIG", str(tmp_path / "none.toml"))
    assert run("config", "--writer", "LLM").stdout.splitlines()[8] == "writer       llm  (flag: --writer)"


def test_preview_to_dash_writes_the_page_alone_to_standard_output(fixtures, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("preview", str(one_file(fixtures, tmp_path)), "--out", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!doctype html>") and result.stdout.rstrip().endswith("</html>")
    assert result.stdout.count("<iframe") == 4 * 7  # 7 cards, 4 views each
    assert result.stderr == "Wrote the page to standard output: 7 cards, front and back, light and night.\n"
    assert not (tmp_path / "-").exists()


def test_the_folder_multiprocessing_made_goes_with_the_command(tmp_path, monkeypatch):
    """`run` ends with `os._exit`, which skips multiprocessing's own cleanup: a `pymp-…` folder (a fork
    server's socket) was left in TMPDIR after each `cards sync --server`."""
    import multiprocessing.process
    import multiprocessing.util

    from cards.cli import _remove_workers_folder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delitem(multiprocessing.process.current_process()._config, "tempdir", raising=False)
    folder = Path(multiprocessing.util.get_temp_dir())
    assert folder.parent == tmp_path and folder.name.startswith("pymp-")
    _remove_workers_folder()
    assert list(tmp_path.iterdir()) == []
    folder.mkdir()  # for multiprocessing's own handler, which runs as pytest ends (cards leaves with os._exit)


def test_a_preview_page_under_a_tilde_that_names_no_user_exits_2(fixtures, tmp_path):
    result = run("preview", str(one_file(fixtures, tmp_path)), "--out", "~nobody-here/page.html")
    assert (result.exit_code, result.stderr) == (
        2, "error: ~nobody-here/page.html: --out starts with a ~ that names no user on this computer; give the path "
           "in full\n")


def test_the_page_on_standard_output_is_utf_8_whatever_the_locale(fixtures, tmp_path):
    """The page says `charset=utf-8`: in a Latin-1 or ASCII locale its `·` and `–` were written in that encoding
    (or as `\\u2013`), or not at all."""
    result = CliRunner(charset="ascii").invoke(app, ["preview", str(one_file(fixtures, tmp_path)), "--out", "-"],
                                               catch_exceptions=False, prog_name="cards")
    assert result.exit_code == 0, result.output
    page = result.stdout_bytes.decode("utf-8")
    assert "·" in page and "\\u" not in page and page.rstrip().endswith("</html>")


STOPPED = "error: interrupted: nothing is lost; the next build finishes the work\n"
# A build that SIGTERMs itself at a chosen moment, in a process of its own (signals are the process's).
SIGNALLED = r"""
import os, signal, sys
import cards.build, cards.cli

moment = sys.argv[3]

class Finalized:  # Python ignores an exception raised in a finalizer, as in the logging module's fork hooks
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)

if moment == "lost while starting":  # nothing else happens: the command's first step must notice
    import typer.main
    real_get_command = typer.main.get_command
    def starting(*args, **kwargs):
        Finalized()
        return real_get_command(*args, **kwargs)
    typer.main.get_command = starting
elif moment == "starting":
    import typer.main
    real_get_command = typer.main.get_command
    def starting(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return real_get_command(*args, **kwargs)
    typer.main.get_command = starting
elif moment == "between steps":
    real_run = cards.cli._run
    def early(action, *args):
        os.kill(os.getpid(), signal.SIGTERM)
        return real_run(action, *args)
    cards.cli._run = early
else:
    real_write = cards.build.write_packages
    def lost_then_again(*args, **kwargs):
        Finalized()  # made and freed at once: its SIGTERM is lost
        os.kill(os.getpid(), signal.SIGTERM)
        return real_write(*args, **kwargs)
    cards.build.write_packages = lost_then_again
sys.argv = ["cards", "build", sys.argv[1], "--out", sys.argv[2]]
cards.cli.run()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")
@pytest.mark.parametrize("moment", ["between steps", "starting", "lost while starting"])
def test_a_sigterm_before_the_command_begins_is_one_line_and_143(fixtures, tmp_path, moment):
    """Found by hostile users: typer made it a silent 130 once it handled the command, and a traceback and exit 1
    while it was still building the command."""
    notes = one_file(fixtures, tmp_path)
    result = subprocess.run([sys.executable, "-c", SIGNALLED, str(notes), str(tmp_path / "decks"), moment],
                            capture_output=True, text=True)
    if moment == "lost while starting":  # found by a hostile user: the build then ran to the end, exit 0
        # (Python's own "Exception ignored" lines for the dropped one come first)
        assert (result.returncode, result.stderr.endswith(STOPPED), result.stdout) == (143, True, "")
        assert not (tmp_path / "decks").exists()
        return
    assert (result.returncode, result.stderr, result.stdout) == (143, STOPPED, "")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")
def test_a_sigterm_after_one_python_lost_stops_the_build(fixtures, tmp_path):
    """Found by a hostile user: a SIGTERM raised inside logging's fork hook was ignored by Python, the build went on,
    and every later signal was ignored too (the handler had set them to be), so nothing could stop it."""
    notes, out = one_file(fixtures, tmp_path), tmp_path / "decks"
    result = subprocess.run([sys.executable, "-c", SIGNALLED, str(notes), str(out), "lost"],
                            capture_output=True, text=True)
    assert result.returncode == 143 and result.stderr.endswith(STOPPED) and "Built" not in result.stdout
    assert "Terminated" in result.stderr  # Python's own "Exception ignored" lines for the lost one
    assert not list(out.rglob("*.apkg"))  # stopped before any package was written


def test_snip_titles_no_longer_in_the_sources_are_shown_not_obeyed(fixtures, tmp_path):
    """Found by a hostile user: a title's C1 escape and bidirectional override reached the terminal as they were."""
    notes = one_file(fixtures, tmp_path)
    text = (notes / "tides.md").read_text(encoding="utf-8")
    first = text.index("### ")
    title_start = text.index("[", first) + 1
    odd = text[:title_start] + "Odd \x9b[31m\u202e " + text[title_start:]
    (notes / "tides.md").write_text(odd, encoding="utf-8")
    assert run("build", str(notes), "--out", str(tmp_path / "decks")).exit_code == 0
    second = odd.index("###  [Spring Tides]")
    (notes / "tides.md").write_text(odd[:first] + odd[second:], encoding="utf-8")  # the odd snip is gone
    result = run("build", str(notes), "--out", str(tmp_path / "decks"))
    gone = next(line for line in result.stdout.splitlines() if line.startswith("No longer in the sources"))
    assert "Odd \\x9b[31m\\u202e " in gone and "\x9b" not in gone and "\u202e" not in gone


WHILE_LOADING = r"""
import builtins, os, signal, sys

real_import = builtins.__import__
number = signal.SIGTERM if sys.argv[2] == "TERM" else signal.SIGINT

def importing(name, *args, **kwargs):
    if name == "typer":  # the command's own modules are loading: typer takes a tenth of a second
        os.kill(os.getpid(), number)
    return real_import(name, *args, **kwargs)

builtins.__import__ = importing
sys.argv = ["cards", "build", sys.argv[1]]
from cards.__main__ import main
main()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")
@pytest.mark.parametrize(("signal_name", "code"), [("TERM", 143), ("INT", 130)])
def test_a_signal_while_the_command_loads_is_one_line(fixtures, tmp_path, signal_name, code):
    """Found by a hostile user: in the first tenth of a second, a traceback (Ctrl-C) or a silent death (SIGTERM)."""
    notes = one_file(fixtures, tmp_path)
    result = subprocess.run([sys.executable, "-c", WHILE_LOADING, str(notes), signal_name], capture_output=True,
                            text=True, cwd=tmp_path)
    assert (result.returncode, result.stderr, result.stdout) == (code, STOPPED, "")


def test_the_cards_command_and_python_m_cards_run_the_same_entry_point():
    import tomllib

    from conftest import ROOT

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"cards": "cards.__main__:main"}
    version = subprocess.run([sys.executable, "-m", "cards", "--version"], capture_output=True, text=True)
    assert (version.returncode, version.stdout.startswith("cards ")) == (0, True)
