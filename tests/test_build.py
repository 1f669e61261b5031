"""The orchestrator's invariant: whatever happens to builds, the packages equal a clean build.

Each test drives a failure (a failed write, a kill at some moment, two
builds at once, changed tags, a damaged package) and then compares every
package on disk, note by note (deck, fields, tags by GUID), with a clean
build of the same sources.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from unittest.mock import patch

import pytest
from conftest import FIXTURES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule
from packages import assert_same_as_clean_build, clean_build, package_notes, packages_on_disk

import cards.build
from cards.build import CHANGES_PACKAGE, _file_name, build, unique_names
from cards.errors import BusyError, NoNotesError
from cards.lock import LOCK_FILE
from cards.model import Episode, Shape, Snip
from cards.reconcile import merge_episodes
from cards.state import STATE_FILE, State

OLD_WORDING = "Spring tides happen when the Sun and the Moon line up at new and full moon."
NEW_WORDING = "Spring tides happen when the Sun and the Moon line up, at new moon and at full moon."
NEW_SNIP = """
###  [Neap Tides](https://share.snipd.com/snip/aa000000-0000-4000-8000-000000000003) [[lunar]]

🎧 12:00 - 12:40 (00:40)

- Neap tides come at the quarter moons, when the Sun partly cancels the Moon's pull.

#### 📚 Transcript

**Ines Duarte**
At the quarter moons the Sun pulls at right angles and the tides are weak: neap tides.

---
"""


@pytest.fixture
def library(fixtures, seeds, tmp_path) -> Path:
    """Four episodes in three shapes, with episode and snip tags."""
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(fixtures / "plugin" / "tides.md", folder / "tides.md")
    shutil.copy(fixtures / "legacy" / "two-episodes.md", folder / "two-episodes.md")
    shutil.copy(seeds / "readwise" / "how-ocean-currents-shape-climate.md", folder / "currents.md")
    return folder


def edit(library: Path) -> None:
    """A changed key point, a new snip with a new tag, and the episode's tag renamed."""
    text = (library / "tides.md").read_text(encoding="utf-8")
    text = text.replace(OLD_WORDING, NEW_WORDING).replace("tags: [oceans]", "tags: [seas]") + NEW_SNIP
    (library / "tides.md").write_text(text, encoding="utf-8")


def test_a_failed_package_write_is_written_by_the_next_build(library, tmp_path, monkeypatch):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    edit(library)
    real = __import__("cards.build", fromlist=["write_plan"]).write_plan

    def fail_episodes(out_folder, plan, reader):
        return "the disk is full" if plan.relative.startswith("episodes/") else real(out_folder, plan, reader)

    monkeypatch.setattr("cards.build.write_plan", fail_episodes)
    failed = build([library], out, now=1_750_000_000, workers=1)  # patched here: written here
    assert failed.failed
    assert [str(p) for p in failed.problems] == [
        f"{out}/episodes/why-the-tides-turn.apkg: could not be written: the disk is full; "
        "the next build writes it again"
    ]
    monkeypatch.undo()
    again = build([library], out, now=1_760_000_000)
    assert not again.failed
    # Only what is not in place yet: `changes.apkg` was written (and recorded) by the failed build.
    assert [p.relative_to(out).as_posix() for p in again.written] == ["episodes/why-the-tides-turn.apkg"]
    assert_same_as_clean_build([library], out, tmp_path / "clean")
    # The edit that the failed build made is still offered for import.
    changes = package_notes(out / CHANGES_PACKAGE)
    assert any("at new moon and at full moon" in fields for _, fields, _ in changes.values())


def test_a_package_that_failed_to_be_written_is_still_removed_once_no_build_wants_it(library, tmp_path,
                                                                                     monkeypatch):
    """Found by `BuildSequences`: a failed write used to forget the package, and so its older file stayed."""
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    monkeypatch.setattr("cards.build.write_plan", lambda folder, plan, reader: "the disk is full")
    assert build([library], out, now=1_750_000_000, force=True, workers=1).failed  # patched here: written here
    monkeypatch.undo()
    (library / "tides.md").unlink()
    report = build([library], out, now=1_760_000_000)
    assert out / "episodes" / "why-the-tides-turn.apkg" in report.removed
    assert_same_as_clean_build([library], out, tmp_path / "clean")


# A build in its own process group that SIGKILLs the whole group at one moment.
KILL_AT = r"""
import os, signal, sys
from pathlib import Path
import cards.build as build_module
import cards.package as package
import cards.reconcile as reconcile

moment, calls = sys.argv[3], []

def die():
    os.killpg(os.getpgid(0), signal.SIGKILL)

def after(name, module, count=1):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(name)
        if calls.count(name) == count:
            die()
        return result
    setattr(module, name, wrapper)

if moment == "reading":
    after("make_notes", reconcile)
elif moment == "state committed":
    build_module.write_packages = lambda *args: die()
elif moment == "some packages written":
    after("write_from_state", package, count=2)
elif moment == "all written, none recorded":
    build_module.record = lambda *args: die()
build_module.build([Path(sys.argv[1])], Path(sys.argv[2]), now=1_750_000_000, workers=int(sys.argv[4]))
"""


@pytest.mark.parametrize("moment", ["reading", "state committed", "some packages written",
                                    "all written, none recorded"])
def test_a_build_killed_at_any_moment_is_finished_by_the_next(library, tmp_path, moment):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    edit(library)
    killed = subprocess.run([sys.executable, "-c", KILL_AT, str(library), str(out), moment, "1"],
                            cwd=ROOT, start_new_session=True)
    assert killed.returncode == -signal.SIGKILL
    report = build([library], out, now=1_760_000_000)
    assert not report.failed
    assert not list(out.rglob(".*.tmp*"))  # nothing the killed build left behind
    assert_same_as_clean_build([library], out, tmp_path / "clean")
    changes = package_notes(out / CHANGES_PACKAGE)
    texts = [fields for _, fields, _ in changes.values()]
    assert any("at new moon and at full moon" in t for t in texts), "the edit is offered for import"
    assert any("Neap tides" in t for t in texts), "so is the new snip"


def test_two_builds_at_once_take_turns(library, tmp_path):
    out = tmp_path / "decks"
    command = [sys.executable, "-m", "cards", "build", str(library), "--out", str(out)]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [process.communicate(timeout=60) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], results
    assert_same_as_clean_build([library], out, tmp_path / "clean")


def test_a_second_build_waits_then_names_the_busy_folder(library, tmp_path):
    out = tmp_path / "decks"
    out.mkdir()
    with open(out / LOCK_FILE, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(BusyError) as error:
            build([library], out, lock_wait=0.5)
        assert time.monotonic() - started >= 0.5
    assert str(error.value) == (f"{out}: another cards build is writing into this folder (waited 0.5 s); "
                                "let it finish and run again")
    assert not list(out.rglob("*.apkg"))


def test_changed_and_removed_tags_leave_no_stale_tag_package(library, tmp_path):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    assert (out / "tags" / "oceans.apkg").exists()
    edit(library)  # `oceans` becomes `seas` for this episode
    report = build([library], out, now=1_750_000_000)
    assert_same_as_clean_build([library], out, tmp_path / "clean")
    oceans = package_notes(out / "tags" / "oceans.apkg")  # another episode keeps the tag
    assert oceans and not [deck for deck, _, _ in oceans.values() if "Why the Tides Turn" in deck]
    assert (out / "tags" / "seas.apkg").exists() and (out / "tags" / "lunar.apkg").exists()
    (library / "tides.md").unlink()
    report = build([library], out, now=1_760_000_000)
    assert {p.name for p in report.removed} >= {"seas.apkg", "lunar.apkg", "why-the-tides-turn.apkg"}
    assert_same_as_clean_build([library], out, tmp_path / "clean2")


@pytest.mark.parametrize("damage", ["truncated", "overwritten", "deleted"])
def test_a_damaged_package_is_rebuilt(library, tmp_path, damage):
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    target = out / "episodes" / "why-the-tides-turn.apkg"
    if damage == "truncated":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "overwritten":
        other = out / "tags" / "oceans.apkg"
        target.write_bytes(other.read_bytes())
    else:
        target.unlink()
    report = build([library], out, now=1_700_000_000)
    assert [p.relative_to(out).as_posix() for p in report.written] == ["episodes/why-the-tides-turn.apkg"]
    assert_same_as_clean_build([library], out, tmp_path / "clean")


def test_any_sequence_of_builds_equals_a_clean_build(library, tmp_path):
    """Edits, a removed file, a restored one and forced builds, in a row."""
    out = tmp_path / "decks"
    steps = [
        lambda: None,
        lambda: edit(library),
        lambda: (library / "currents.md").rename(tmp_path / "currents.md"),
        lambda: (tmp_path / "currents.md").rename(library / "currents.md"),
        lambda: (library / "two-episodes.md").write_text("# no snips\n", encoding="utf-8"),
    ]
    for i, step in enumerate(steps):
        step()
        build([library], out, now=1_700_000_000 + i, force=i == 3)
        assert_same_as_clean_build([library], out, tmp_path / f"clean{i}")


def test_packages_follow_the_umask(library, tmp_path):
    previous = os.umask(0o022)
    try:
        build([library], tmp_path / "decks")
    finally:
        os.umask(previous)
    modes = {oct(p.stat().st_mode & 0o777) for p in (tmp_path / "decks").rglob("*.apkg")}
    assert modes == {oct(0o644)}


def test_leftovers_of_a_killed_build_are_removed(library, tmp_path):
    out = tmp_path / "decks"
    build([library], out)
    leftovers = [out / "tags" / ".oceans.apkg.x1y2.tmp", out / "tags" / ".oceans.apkg.x1y2.tmp.anki2",
                 out / ".changes.apkg.abc.tmp"]
    for leftover in leftovers:
        leftover.write_bytes(b"half")
    build([library], out)
    assert not any(p.exists() for p in leftovers)


def test_workers_end_when_the_main_process_is_killed(tmp_path):
    script = ("import time, sys\nfrom cards.workers import run_all\n"
              "results = run_all(time.sleep, [(60,), (60,)], 2, True)\nnext(results)\n")
    main = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    children: list[int] = []
    deadline = time.monotonic() + 20
    while len(children) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        children = _children(main.pid)
    assert len(children) >= 2  # two workers (and a fork server where there is one)
    main.kill()
    main.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in children)


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (workers may be started by a fork server)."""
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            children = [int(child) for child in task.read_text().split()]
            found += children
            todo += children
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_tag_file_names_never_collide():
    names = unique_names({"AI/ML": "AI/ML", "AI+ML": "AI+ML", "🎧": "🎧", "🎵": "🎵", "Sleep": "Sleep",
                          "sleep": "sleep", "physics": "physics"}, "tag")
    assert len({n.casefold() for n in names.values()}) == len(names)
    assert names["physics"] == "physics"  # readable when nothing collides
    assert names["AI/ML"].startswith("AI_ML-") and names["Sleep"].startswith("Sleep-")


@given(st.text(max_size=120))
def test_a_file_name_keeps_letters_digits_dashes_underscores_and_dots(name: str) -> None:
    kept = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)  # any script's letters and digits
    assert _file_name(name, "tag") == (kept.strip(".")[:100] or "tag")


def test_tags_that_share_a_file_name_get_a_package_each(library, tmp_path):
    text = (library / "tides.md").read_text(encoding="utf-8")
    (library / "tides.md").write_text(text.replace("tags: [oceans]", "tags: [AI/ML, AI+ML, 🎧, 🎵, Sleep, sleep]"),
                                      encoding="utf-8")
    out = tmp_path / "decks"
    build([library], out)
    decks = {next(iter(notes.values()))[0] for notes in packages_on_disk(out).values() if notes}
    assert {"Tags::AI/ML", "Tags::AI+ML", "Tags::🎧", "Tags::🎵", "Tags::Sleep", "Tags::sleep"} <= decks


# --- an episode in two files --------------------------------------------------------

TWO_BULGES = "The Moon's gravity raises two tidal bulges"


def two_copies(fixtures: Path, folder: Path) -> Path:
    """One episode in two files: a.md has Two Bulges and Spring Tides; b.md has Spring Tides reworded and
    Neap Tides."""
    folder.mkdir()
    text = (fixtures / "plugin" / "tides.md").read_text(encoding="utf-8")
    (folder / "a.md").write_text(text, encoding="utf-8")
    start, end = text.index("### ⭐ [Two Bulges]"), text.index("###  [Spring Tides]")
    (folder / "b.md").write_text(text[:start] + text[end:].replace(OLD_WORDING, NEW_WORDING) + NEW_SNIP,
                                 encoding="utf-8")
    return folder


def episode_texts(out: Path) -> list[str]:
    return [fields for _, fields, _ in package_notes(out / "episodes" / "why-the-tides-turn.apkg").values()]


def test_an_episode_in_two_files_is_made_from_both(fixtures, tmp_path):
    library = two_copies(fixtures, tmp_path / "notes")
    report = build([library], tmp_path / "decks", now=1_700_000_000)
    assert report.problems == [] and (report.episodes, report.snips) == (1, 3)
    texts = episode_texts(tmp_path / "decks")
    assert any(TWO_BULGES in t for t in texts), "a.md's own snip"
    assert any("Neap tides" in t for t in texts), "b.md's own snip"
    spring = [re.sub(r"{{c\d+::(.*?)}}", r"\1", t) for t in texts if "8000-000000000002" in t]  # its link
    assert spring and all(OLD_WORDING in t and NEW_WORDING not in t for t in spring), "a.md's copy: it sorts first"


def test_removing_one_copy_keeps_every_note_the_other_still_has(fixtures, tmp_path):
    library = two_copies(fixtures, tmp_path / "notes")
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    (library / "a.md").unlink()
    report = build([library], out, now=1_750_000_000)
    assert report.disappeared == ["Two Bulges (Why the Tides Turn)"]
    assert report.removed == [out / "tags" / "physics.apkg"]  # Two Bulges' own tag; the episode stays
    # Nothing new: Spring Tides' notes are updated in place to b.md's wording (and others may change with
    # the episode's topic words, which come from all its key points).
    assert report.new == 0 and report.updated >= 2
    assert_same_as_clean_build([library], out, tmp_path / "clean")
    # What `cards sync --prune` keeps: every note of b.md's snips, by GUID, in the state.
    of_b = set(package_notes(tmp_path / "clean" / "episodes" / "why-the-tides-turn.apkg"))
    state = State(out)
    kept = state.note_versions()
    state.close()
    assert of_b and of_b <= set(kept)
    texts = episode_texts(out)
    assert not any(TWO_BULGES in t for t in texts) and any(NEW_WORDING in t for t in texts)


def test_any_change_to_either_copy_remakes_the_episode_from_all_that_hold_it(fixtures, tmp_path):
    library = two_copies(fixtures, tmp_path / "notes")
    out = tmp_path / "decks"

    def rewrite(name: str, old: str, new: str) -> None:
        path = library / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    steps = [
        lambda: None,
        lambda: rewrite("b.md", "Neap tides come", "Neap tides always come"),  # only in b.md
        lambda: rewrite("a.md", "two tidal bulges", "two great tidal bulges"),  # only in a.md
        lambda: rewrite("a.md", OLD_WORDING, "Spring tides come when Sun, Moon and Earth line up."),  # in both
        lambda: (library / "a.md").rename(tmp_path / "a.md"),
        lambda: (tmp_path / "a.md").rename(library / "c.md"),  # back, now after b.md in path order
        lambda: shutil.copy(library / "b.md", library / "sub-b.md"),  # a third copy
        lambda: (library / "b.md").unlink(),
    ]
    for i, step in enumerate(steps):
        step()
        report = build([library], out, now=1_700_000_000 + i)
        assert report.problems == [] and report.episodes == 1, i
        assert_same_as_clean_build([library], out, tmp_path / f"clean{i}")


def test_an_unchanged_copy_is_not_made_again(fixtures, tmp_path):
    library = two_copies(fixtures, tmp_path / "notes")
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    report = build([library], out, now=1_750_000_000)
    assert (report.sources_unchanged, report.new, report.updated, report.written) == (2, 0, 0, [])


def test_a_snip_is_taken_from_the_first_file_that_has_key_points_for_it():
    snip = Snip(key="uuid:1", title="1min Snip", key_points=())
    summarised = snip._replace(title="Tides", key_points=("The Moon raises two bulges.",))
    other = Snip(key="uuid:2", title="Neap", key_points=("Neap tides are weak.",))
    first = Episode("snipd:e", "e", "Show", "Episode", Path("a.md"), Shape.PLUGIN, snips=(snip,), tags=("a",))
    second = first._replace(title="Renamed", source=Path("b.md"), snips=(other, summarised), tags=("b",))
    merged = merge_episodes([first, second])
    assert merged.snips == (summarised, other)  # in the order first met; the summary, not the placeholder
    assert (merged.title, merged.tags, merged.source) == ("Episode", ("a",), Path("a.md"))
    assert merge_episodes([second, first]).snips == (other, summarised)


# --- builds of other folders into the same output folder ------------------------------

def add_key_point(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(
        "- Most coasts therefore see two high tides every 24 hours and 50 minutes.\n",
        "- Most coasts therefore see two high tides every 24 hours and 50 minutes.\n"
        "- The Sun raises bulges of its own, about half as high as the Moon's.\n"), encoding="utf-8")


def test_building_another_folder_and_back_leaves_what_a_clean_build_makes(library, tmp_path):
    """The issue's reproduction: build A; copy A to B and add a key point in B; build B; build A."""
    out, other = tmp_path / "decks", tmp_path / "B"
    build([library], out, now=1_700_000_000)
    shutil.copytree(library, other)
    add_key_point(other / "tides.md")
    build([other], out, now=1_750_000_000)
    assert_same_as_clean_build([other], out, tmp_path / "clean-B")
    report = build([library], out, now=1_760_000_000)
    assert_same_as_clean_build([library], out, tmp_path / "clean-A")
    clean = build([library], tmp_path / "clean-again", now=1_760_000_000)
    assert (report.notes, report.new, report.updated) == (clean.notes, 0, 0)
    assert report.disappeared == ["Two Bulges (Why the Tides Turn)"]  # B's extra key point
    again = build([library], out, now=1_770_000_000)
    assert (again.new, again.updated, again.written) == (0, 0, [])


def another_episode(folder: Path) -> Path:
    """A folder with one episode that no other test folder holds."""
    folder.mkdir()
    text = (FIXTURES / "plugin" / "tides.md").read_text(encoding="utf-8")
    (folder / "other.md").write_text(text.replace("4b7d9e21-0c3a-4f5e-8a6b-1c2d3e4f5a60", "4b7d9e21-0c3a-4f5e-8a6b-"
                                                  "00000000000b").replace("Why the Tides Turn", "Tides, Again"),
                                     encoding="utf-8")
    return folder


def test_building_another_folder_keeps_the_first_folders_mtimes(library, tmp_path):
    """Episodes of A that B lacks stay in the state: built again, their notes keep their mtimes."""
    out, other = tmp_path / "decks", another_episode(tmp_path / "B")
    build([library], out, now=1_700_000_000)
    before = stamps(out / "episodes" / "why-the-tides-turn.apkg")
    build([other], out, now=1_750_000_000)
    assert not (out / "episodes" / "why-the-tides-turn.apkg").exists()
    report = build([library], out, now=1_760_000_000)
    assert (report.new, report.updated, report.sources_unchanged) == (0, 0, 3)  # nothing read again
    assert stamps(out / "episodes" / "why-the-tides-turn.apkg") == before
    assert_same_as_clean_build([library], out, tmp_path / "clean")


def test_episodes_of_another_folder_go_from_the_state_once_its_files_are_gone(library, tmp_path):
    out, other = tmp_path / "decks", another_episode(tmp_path / "B")
    build([other], out, now=1_700_000_000)
    build([library], out, now=1_750_000_000)
    state = State(out)
    kept = len(state.known().episodes)
    state.close()
    shutil.rmtree(other)
    report = build([library], out, now=1_760_000_000)
    state = State(out)
    known = state.known()
    state.close()
    assert kept > report.episodes == len(known.episodes)
    assert not [path for path in known.sources if path.startswith(str(other))]
    assert report.disappeared == []  # they were not this folder's


def stamps(package: Path) -> dict[str, int]:
    """GUID → mtime of every note in an .apkg."""
    with zipfile.ZipFile(package) as archive:
        data = archive.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    found = dict(db.execute("SELECT guid, mod FROM notes"))
    db.close()
    return found


# --- the invariant, for any sequence -------------------------------------------------------

def _variants() -> dict[str, str]:
    """The contents a note file takes in `BuildSequences`: overlapping episodes in two shapes."""
    tides = (FIXTURES / "plugin" / "tides.md").read_text(encoding="utf-8")
    start, end = tides.index("### ⭐ [Two Bulges]"), tides.index("###  [Spring Tides]")
    return {
        "tides": tides,
        "tides, edited": tides.replace(OLD_WORDING, NEW_WORDING).replace("tags: [oceans]", "tags: [seas]") + NEW_SNIP,
        "tides, part": tides[:start] + tides[end:].replace(OLD_WORDING, NEW_WORDING) + NEW_SNIP,
        "two episodes": (FIXTURES / "legacy" / "two-episodes.md").read_text(encoding="utf-8"),
        "no snips": "# no snips\n",
    }


VARIANTS = _variants()
NAMES = ["x.md", "y.md"]  # few: the same episode is often in both
FAILING = ["episodes/", "tags/", CHANGES_PACKAGE]


class BuildSequences(RuleBasedStateMachine):
    """Two folders of notes built, in any order, into one output folder: after every build the packages
    equal a clean build of that build's sources (but for packages it reports it could not write), and
    changes.apkg holds every change since the user last deleted it (or since the first build)."""

    def __init__(self) -> None:
        super().__init__()
        self.scratch = Path(tempfile.mkdtemp(prefix="cards-sequences-"))
        self.folders = {name: self.scratch / name for name in ("A", "B")}
        for folder in self.folders.values():
            folder.mkdir()
        self.out = self.scratch / "decks"
        self.builds = 0
        self.content: dict[str, tuple] = {}  # GUID → (fields, tags) as the last build that made it made it
        self.owed: dict[str, tuple] = {}  # changed since changes.apkg was deleted: GUID → (fields, tags)
        # (the first build to put a package in the folder makes no changes.apkg: everything is in its packages)
        self.delivered = False  # a package has reached the folder

    @rule(folder=st.sampled_from("AB"), name=st.sampled_from(NAMES), variant=st.sampled_from(sorted(VARIANTS)))
    def write(self, folder: str, name: str, variant: str) -> None:
        (self.folders[folder] / name).write_text(VARIANTS[variant], encoding="utf-8")

    @rule(folder=st.sampled_from("AB"), name=st.sampled_from(NAMES))
    def delete(self, folder: str, name: str) -> None:
        (self.folders[folder] / name).unlink(missing_ok=True)

    @rule()
    def copy_a_to_b(self) -> None:
        shutil.rmtree(self.folders["B"])
        shutil.copytree(self.folders["A"], self.folders["B"])

    @rule()
    def delete_changes(self) -> None:
        """The user imported changes.apkg and deleted it."""
        if (self.out / CHANGES_PACKAGE).exists():
            (self.out / CHANGES_PACKAGE).unlink()
            self.owed.clear()

    # Three rules of eight build, so that most sequences build often.
    @rule(fail=st.sampled_from([None, None, *FAILING]), force=st.booleans())
    def build_a(self, fail: str | None, force: bool) -> None:
        self.build("A", fail, force)

    @rule(fail=st.sampled_from([None, None, *FAILING]), force=st.booleans())
    def build_b(self, fail: str | None, force: bool) -> None:
        self.build("B", fail, force)

    @rule(fail=st.sampled_from([None, None, *FAILING]), force=st.booleans())
    def build_both(self, fail: str | None, force: bool) -> None:
        self.build("AB", fail, force)

    def build(self, which: str, fail: str | None, force: bool) -> None:
        roots = [self.folders[name] for name in which]
        real = cards.build.write_plan

        def write_plan(out: Path, plan, reader):
            return "the disk is full" if fail and plan.relative.startswith(fail) else real(out, plan, reader)

        if not any(path.is_file() for root in roots for path in root.iterdir()):
            # No note file at all (a folder not synced yet?): refused, and nothing changes.
            before = {path: path.read_bytes() for path in self.out.rglob("*") if path.is_file()}
            with pytest.raises(NoNotesError):
                build(roots, self.out, now=1_700_000_000 + self.builds, workers=1, force=force)
            assert {path: path.read_bytes() for path in self.out.rglob("*") if path.is_file()} == before
            return
        self.builds += 1
        with patch("cards.build.write_plan", write_plan):
            report = build(roots, self.out, now=1_700_000_000 + self.builds, workers=1, force=force)
        failed = {str(p.path.relative_to(self.out)) for p in report.problems if "could not be written" in p.message}
        assert all(f.startswith(fail or "-") for f in failed)
        expected = clean_build(roots, self.scratch / f"clean{self.builds}")
        actual = packages_on_disk(self.out)
        assert sorted(set(actual) - failed) == sorted(set(expected) - failed)
        for relative, notes in expected.items():
            if relative not in failed:
                assert actual[relative] == notes, relative
        self._check_changes(expected, CHANGES_PACKAGE in failed)
        self.delivered = self.delivered or bool(actual)

    def _check_changes(self, expected: dict[str, dict[str, tuple]], failed: bool) -> None:
        """Every note new or changed since changes.apkg was deleted is in it, as it now is."""
        now = {guid: (fields, tags) for notes in expected.values() for guid, (_, fields, tags) in notes.items()}
        if self.delivered:
            self.owed.update({guid: note for guid, note in now.items() if self.content.get(guid) != note})
        self.content.update(now)
        self.owed = {guid: note for guid, note in self.owed.items() if guid in self.content}
        if failed:
            return
        changes = {guid: (fields, tags) for guid, (_, fields, tags) in package_notes(self.out / CHANGES_PACKAGE)
                   .items()} if (self.out / CHANGES_PACKAGE).exists() else {}
        for guid in now.keys() & self.owed.keys():
            assert changes.get(guid) == now[guid], guid

    def teardown(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


TestBuildSequences = BuildSequences.TestCase
TestBuildSequences.settings = settings(max_examples=40, stateful_step_count=20, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])


def test_an_episode_found_again_later_in_a_build_is_stamped_against_the_state_before_it(library, tmp_path):
    """tides.md gains a snip and a new file later in path order holds the episode too: the episode is stored
    twice in one build, and the second time its new notes are still new, and offered in changes.apkg."""
    out = tmp_path / "decks"
    build([library], out, now=1_700_000_000)
    before = set(package_notes(out / "episodes" / "why-the-tides-turn.apkg"))
    original = (library / "tides.md").read_text(encoding="utf-8")
    (library / "tides.md").write_text(original + NEW_SNIP, encoding="utf-8")
    (library / "zz-tides.md").write_text(original, encoding="utf-8")
    report = build([library], out, now=1_750_000_000)
    assert report.new == 2  # Neap Tides' cloze and Q&A (a note or two may change with the topic words)
    changes = package_notes(out / CHANGES_PACKAGE)
    new = set(package_notes(out / "episodes" / "why-the-tides-turn.apkg")) - before
    assert len(new) == 2 and new <= set(changes) and len(changes) == report.new + report.updated
    assert_same_as_clean_build([library], out, tmp_path / "clean")


WORKER_PARENTS = """
import os, sys, tempfile
from cards.workers import run_all
if sys.argv[1] == "after-a-server-call":
    from anki.collection import Collection
    col = Collection(os.path.join(tempfile.mkdtemp(), "collection.anki2"))
    try:
        col.sync_login("user", "password", "http://127.0.0.1:9/")  # refused: its runtime has started all the same
    except Exception:
        pass
parents = set(run_all(os.getppid, [()] * 4, 2, True))
print("forked" if parents == {os.getpid()} else "from a fork server")
"""


@pytest.mark.parametrize(("moment", "started"), [("first", "forked"), ("after-a-server-call", "from a fork server")])
def test_workers_are_not_forked_from_a_process_with_native_threads(tmp_path, moment, started):
    """A worker forked after Anki's engine started its runtime's threads could hang for good (seen in cards sync)."""
    done = subprocess.run([sys.executable, "-c", WORKER_PARENTS, moment], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (done.returncode, done.stdout.strip()) == (0, started), done.stderr


FIRST_HERE = """
import os, sys, tempfile
from cards.workers import run_all
if sys.argv[1] == "after-a-server-call":  # native threads running: workers come from a fork server
    from anki.collection import Collection
    col = Collection(os.path.join(tempfile.mkdtemp(), "collection.anki2"))
    try:
        col.sync_login("user", "password", "http://127.0.0.1:9/")
    except Exception:
        pass
from task import task  # a module of its own: a fork server's workers cannot find what `-c` defines
done = list(run_all(task, [(n,) for n in range(5)], 2, True, first_here=True))
print([n for n, _ in done], [pid == os.getpid() for _, pid in done])
"""


@pytest.mark.parametrize(("moment", "here"), [("first", "[True, False, False, False, False]"),
                                              ("after-a-server-call", "[False, False, False, False, False]")])
def test_the_first_task_runs_in_the_main_process_only_when_workers_are_forked_from_it(tmp_path, moment, here):
    """Forked workers inherit what the first task loaded (the card maker, templates, word tables) instead of each
    loading it again; workers from a fork server would not, so there every task runs in a worker. Results keep
    their order either way."""
    (tmp_path / "task.py").write_text("import os\n\ndef task(n):\n    return n, os.getpid()\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", FIRST_HERE, moment], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (done.returncode, done.stdout.strip()) == (0, f"[0, 1, 2, 3, 4] {here}"), done.stderr


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process state in /proc (Linux)")
def test_a_killed_main_process_not_yet_reaped_counts_as_gone_for_its_workers():
    """A caller that reads the build's output to the end before reaping it keeps the killed process a zombie,
    which still takes signals: its workers waited for it and held the output folder's lock for good."""
    from cards.workers import _running

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while b") Z" not in Path(f"/proc/{child.pid}/stat").read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)  # exited, not reaped
    try:
        assert not _running(child.pid)
        assert _running(os.getpid())
    finally:
        child.wait()


def test_a_first_build_stopped_before_its_packages_is_still_a_first_build_when_run_again(seeds, tmp_path,
                                                                                            monkeypatch):
    """Its notes are stored, but no package reached the folder: the next build is the first the user sees, with
    no changes.apkg of every note, and the folder is a clean build's; the build after it owes no changes."""
    out = tmp_path / "decks"

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(cards.build, "write_packages", stopped)
        with pytest.raises(KeyboardInterrupt):
            build([seeds], out, now=1_700_000_000)
    assert (out / STATE_FILE).exists() and not any(out.rglob("*.apkg"))
    report = build([seeds], out, now=1_700_000_100)
    assert report.first
    assert not (out / CHANGES_PACKAGE).exists()
    assert_same_as_clean_build([seeds], out, tmp_path / "clean")
    again = build([seeds], out, now=1_700_000_200)
    assert (again.first, again.new, again.updated) == (False, 0, 0)
    assert not (out / CHANGES_PACKAGE).exists()
