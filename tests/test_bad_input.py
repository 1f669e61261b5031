"""Bad input never crashes a build or loses what was built before."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from ankitools import fresh_collection, import_package
from typer.testing import CliRunner

from cards.build import build
from cards.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_build_goes_on_past_bad_files_and_exits_1(fixtures, tmp_path):
    library = tmp_path / "vault"
    shutil.copytree(fixtures / "defects", library)
    shutil.copy(fixtures / "plugin" / "tides.md", library / "tides.md")
    result = CliRunner().invoke(app, ["build", str(library), "--out", str(tmp_path / "decks")])
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert f"error: {library / 'binary.md'}: is a binary file, not a text note" in errors
    assert f"warning: {library / 'windows-1252.md'}:4: not UTF-8; read as Windows-1252" in errors
    assert all(line.startswith(("error: ", "warning: ")) for line in errors)
    assert not any("empty.md" in line or "no-snips.md" in line for line in errors)  # not Snipd notes: counted
    assert "Skipped 2 notes that are not from Snipd (-v lists them)." in result.stdout.splitlines()
    assert "Traceback" not in result.output
    built = sorted(p.name for p in (tmp_path / "decks" / "episodes").glob("*.apkg"))
    assert built == [
        "12-fungi-are-everywhere.apkg", "cafe-culture.apkg", "fungis-secret-life.apkg",
        "life-under-the-forest-floor.apkg", "my-own-lecture-recording.apkg", "spores-on-the-wind.apkg",
        "why-the-tides-turn.apkg",
    ]
    assert "Files with problems: 1 error, 4 warnings (listed above)." in result.stdout


def test_same_episode_in_two_files_is_built_once(fixtures, tmp_path):
    library = tmp_path / "vault"
    library.mkdir()
    for name in ("a.md", "b.md"):
        shutil.copy(fixtures / "plugin" / "tides.md", library / name)
    report = build([library], tmp_path / "decks", now=1_700_000_000)
    once = build([library / "a.md"], tmp_path / "once", now=1_700_000_000)
    assert report.problems == []  # one episode, made from both files (the same snips)
    assert (report.episodes, report.snips, report.notes) == (1, once.snips, once.notes)


def built_with_tides(fixtures: Path, tmp_path: Path, other: Path, tides: Path | None = None) -> tuple[Path, Path, Path]:
    """A vault of the tides note (at `tides`, linked from the vault when elsewhere) and `other`, built once:
    (the vault, the output folder, the tides episode's package)."""
    library = tmp_path / "vault"
    library.mkdir(exist_ok=True)
    shutil.copy(fixtures / "plugin" / "tides.md", tides or library / "tides.md")
    if tides is not None:
        (library / "tides.md").symlink_to(tides)
    shutil.copy(other, library / ("forest.md" if other.name == "invalid-yaml.md" else "other.md"))
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    return library, out, out / "episodes" / "why-the-tides-turn.apkg"


def test_unreadable_source_keeps_its_package_and_its_tag_notes(fixtures, tmp_path):
    library, out, package = built_with_tides(fixtures, tmp_path, fixtures / "defects" / "invalid-yaml.md")
    before = package.read_bytes()
    (library / "tides.md").write_bytes(b"\x00\x01 not a note any more")
    (library / "forest.md").write_text(
        (library / "forest.md").read_text(encoding="utf-8").replace("[[fungi]]", "[[fungi]] [[oceans]]"),
        encoding="utf-8",
    )
    report = build([library], out, now=1_750_000_000)
    assert report.failed
    assert package.read_bytes() == before
    col = fresh_collection(tmp_path / "anki")
    tides_notes = len(import_package(col, package).new)
    col.close()
    col = fresh_collection(tmp_path / "anki-2")
    log = import_package(col, out / "tags" / "oceans.apkg")  # rewritten: a forest snip joined the tag
    assert len(log.new) == tides_notes + 2  # the tides notes, kept from the last good read
    col.close()


def test_a_note_emptied_since_the_last_build_keeps_its_package(fixtures, tmp_path):
    """A sync client that empties a file while it downloads it made every package of it go, and --prune after."""
    library, out, package = built_with_tides(fixtures, tmp_path, fixtures / "legacy" / "two-episodes.md")
    before = package.read_bytes()
    (library / "tides.md").write_bytes(b"")
    result = CliRunner().invoke(app, ["build", str(library), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {library / 'tides.md'}: held Snipd snips at the last build and holds none now (emptied while it "
        "syncs?); its cards are kept: delete the file to drop them"]
    assert package.read_bytes() == before
    shutil.copy(fixtures / "plugin" / "tides.md", library / "tides.md")
    assert CliRunner().invoke(app, ["build", str(library), "--out", str(out)]).exit_code == 0


def test_a_note_behind_a_link_to_an_unmounted_drive_keeps_its_package(fixtures, tmp_path):
    drive = tmp_path / "drive"
    drive.mkdir()
    library, out, package = built_with_tides(fixtures, tmp_path, fixtures / "legacy" / "two-episodes.md",
                                             tides=drive / "tides.md")
    before = package.read_bytes()
    drive.rename(tmp_path / "unmounted")
    result = CliRunner().invoke(app, ["build", str(library), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {library / 'tides.md'}: is a link that leads to no file (a drive not mounted?); its cards are "
        "kept: remove the link to drop them"]
    assert package.read_bytes() == before


KILLER = r"""
import os, signal, sys
from pathlib import Path
import cards.package as package

real_zip, calls = package._zip, []

def zip_then_die(out, collection):
    calls.append(out)
    if len(calls) == int(sys.argv[3]):
        Path(out).write_bytes(collection[: len(collection) // 2])  # half a package on disk
        os.kill(os.getpid(), signal.SIGKILL)
    real_zip(out, collection)

package._zip = zip_then_die
from cards.build import build
build([Path(sys.argv[1])], Path(sys.argv[2]), force=True, workers=1)
"""


def test_a_build_killed_while_writing_leaves_only_packages_that_import(seeds, tmp_path):
    out = tmp_path / "decks"
    build([seeds], out, now=1_700_000_000)
    packages = sorted(out.rglob("*.apkg"))
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(seeds), str(out), "3"], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert killed.returncode == -9
    assert list(out.rglob(".*.tmp")), "the kill should leave a half-written temporary file"
    assert sorted(out.rglob("*.apkg")) == packages
    col = fresh_collection(tmp_path / "anki")
    for package in packages:
        with zipfile.ZipFile(package) as archive:
            assert archive.testzip() is None
        import_package(col, package)
    assert col.note_count() > 0
    col.close()
    build([seeds], out, now=1_700_000_000)
    assert not list(out.rglob(".*.tmp"))


def test_first_build_killed_leaves_no_half_package(seeds, tmp_path):
    out = tmp_path / "decks"
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(seeds), str(out), "2"], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert killed.returncode == -9
    written = sorted(out.rglob("*.apkg"))
    assert len(written) == 1
    col = fresh_collection(tmp_path / "anki")
    assert len(import_package(col, written[0]).new) > 0
    col.close()


# --- bounds: a few bytes of input never cost more than a few MB ---------------------------

# The command runs with its address space limited to what it holds once everything it uses is
# loaded, plus 100 MB. The alias bomb once took 5.8 GB and was still going.
UNDER_A_LIMIT = r"""
import re, resource, sys, tempfile
import cards.build, cards.cardmaker.plan, cards.preview
from anki.collection import Collection

with tempfile.TemporaryDirectory() as folder:  # Anki's engine reserves its threads' memory at its first collection
    Collection(folder + "/warm-up.anki2").close()

def size() -> int:
    status = open("/proc/self/status").read()
    return int(re.search(r"VmSize:\s*(\d+) kB", status).group(1)) * 1024

limit = size() + 100 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.argv = ["cards", *sys.argv[1:]]
from cards.cli import run
run()
"""


def cards_under_a_memory_limit(*args: str) -> subprocess.CompletedProcess:
    if not sys.platform.startswith("linux"):
        pytest.skip("the address-space limit is enforced on Linux only")
    return subprocess.run([sys.executable, "-c", UNDER_A_LIMIT, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


@pytest.mark.parametrize("command", ["build", "preview"])
def test_a_yaml_alias_bomb_is_one_line_and_the_rest_is_built(fixtures, tmp_path, command):
    bomb = fixtures / "bounds" / "alias-bomb.md"
    out = tmp_path / ("decks" if command == "build" else "preview.html")
    result = cards_under_a_memory_limit(command, str(bomb), str(fixtures / "plugin" / "tides.md"), "--out", str(out))
    assert (result.returncode, result.stderr) == (1, (
        f"error: {bomb}: front matter's YAML aliases (*name) expand it past 64 KB; write the values out "
        "instead to build this file\n"))
    if command == "build":
        assert result.stdout.startswith("Built 1 episode (2 snips) from 2 files:")
        assert [p.name for p in (out / "episodes").glob("*.apkg")] == ["why-the-tides-turn.apkg"]
    else:
        assert re.fullmatch(rf"Wrote {re.escape(str(out))}: \d+ cards, front and back, light and night.\n",
                            result.stdout)


def test_folders_nested_1500_deep_are_walked(fixtures, tmp_path):
    """Deeper than Python's recursion limit (a recursive walk stopped at about 990), with a link back up."""
    library = tmp_path / "vault"
    deepest = nest_folders(library, 1500)
    shutil.copy(fixtures / "plugin" / "tides.md", deepest / "tides.md")
    (deepest / "up").symlink_to(library, target_is_directory=True)  # a loop, if links to folders were entered
    try:
        result = CliRunner().invoke(app, ["build", str(library), "--out", str(tmp_path / "decks")])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Built 1 episode (2 snips) from 1 file:")
    finally:
        remove_nested(library, 1500)


def nest_folders(top: Path, depth: int) -> Path:
    """`top/d/d/…/d`, made a level at a time (`os.makedirs` recurses once per level)."""
    folder = top
    folder.mkdir()
    for _ in range(depth):
        folder = folder / "d"
        folder.mkdir()
    return folder


def remove_nested(top: Path, depth: int) -> None:
    """Remove what `nest_folders` made, deepest first (`shutil.rmtree` would recurse too)."""
    for level in range(depth, -1, -1):
        folder = top.joinpath(*["d"] * level)
        for entry in folder.iterdir():
            if not entry.is_dir() or entry.is_symlink():
                entry.unlink()
        folder.rmdir()


def test_a_file_over_256_mb_is_one_line_and_is_not_read(fixtures, tmp_path):
    library = tmp_path / "vault"
    library.mkdir()
    shutil.copy(fixtures / "plugin" / "tides.md", library / "tides.md")
    with open(library / "huge.md", "wb") as huge:
        huge.truncate(300 * 2**20)  # sparse: 300 MB that take no room on disk, and would take 3 GB to build
    result = cards_under_a_memory_limit("build", str(library), "--out", str(tmp_path / "decks"))
    assert (result.returncode, result.stderr) == (
        1, f"error: {library / 'huge.md'}: is 300 MB, more than a note file can be (256 MB); split it to build it\n")
    assert result.stdout.startswith("Built 1 episode (2 snips) from 2 files:")
