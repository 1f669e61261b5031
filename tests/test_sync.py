"""`cards sync`, proved with Anki's own engine and Anki's own sync server on 127.0.0.1."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import tomllib
import zipfile
from contextlib import suppress
from pathlib import Path

import pytest
from ankitools import Collection, fresh_collection, import_package
from test_regenerate import NEW_SNIP, NEW_WORDING, OLD_WORDING, scheduling, study
from typer.testing import CliRunner

from cards import collection as anki
from cards import server as server_module
from cards.cli import app
from cards.errors import CardsError, SyncServerError
from cards.model import one_line
from cards.notetypes import CLOZE_NAME
from cards.server import SESSION_FILE, SessionStore
from cards.stopping import Terminated
from cards.sync import Syncing, SyncOptions, sync

runner = CliRunner()


@pytest.fixture
def library(fixtures, seeds, tmp_path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(fixtures / "plugin" / "tides.md", folder / "tides.md")
    shutil.copy(seeds / "export" / "snipd-export.md", folder / "export.md")
    return folder


def edit(library: Path) -> None:
    text = (library / "tides.md").read_text(encoding="utf-8")
    (library / "tides.md").write_text(text.replace(OLD_WORDING, NEW_WORDING) + NEW_SNIP, encoding="utf-8")


def notes_of(col: Collection) -> dict[str, tuple]:
    """GUID → (note type, fields, tags, deck of its first card) of every note."""
    found = {}
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        deck = col.decks.name(note.cards()[0].did)
        found[note.guid] = (note.note_type()["name"], tuple(note.fields), tuple(sorted(note.tags)), deck)
    return found


def collection_notes(path: Path) -> dict[str, tuple]:
    col = Collection(str(path))
    try:
        return notes_of(col)
    finally:
        col.close()


def run_sync(library: Path, out: Path, collection: Path, **options) -> object:
    return sync([library], out, SyncOptions(collection=collection, create=True, **options),
                confirm_prune=lambda notes: True)


def test_sync_gives_what_importing_the_episode_packages_by_hand_gives(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    report = run_sync(library, out, target)
    assert report.created and report.added == len(collection_notes(target)) > 10
    by_hand = fresh_collection(tmp_path / "by-hand")
    for package in sorted((out / "episodes").glob("*.apkg")):
        import_package(by_hand, package)
    assert collection_notes(target) == notes_of(by_hand)
    by_hand.close()
    again = run_sync(library, out, target)
    assert (again.added, again.updated, again.to_import) == (0, 0, 0)


def test_an_edit_and_a_new_snip_land_in_place_keeping_reviews_and_local_tags(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    col = Collection(str(target))
    edited = next(n for n in map(col.get_note, col.find_notes("")) if OLD_WORDING[:40] in " ".join(n.fields))
    studied = study(col, edited.cards()[0].id)
    kept = next(n for n in map(col.get_note, col.find_notes("")) if n.guid != edited.guid)
    kept.tags.append("mine")
    col.update_note(kept)
    before = set(col.find_notes(""))
    col.close()
    edit(library)
    report = run_sync(library, out, target)
    col = Collection(str(target))
    after = set(col.find_notes(""))
    assert report.updated >= 1 and report.added == len(after - before) == 2  # the new snip: cloze and Q&A
    assert NEW_WORDING[:40] in " ".join(col.get_note(edited.id).fields)  # same note id, new text
    assert scheduling(col.get_card(studied.id)) == scheduling(studied)
    assert "mine" in col.get_note(kept.id).tags
    col.close()


def imported_by_hand_then_changed(library: Path, tmp_path: Path) -> tuple[Path, Path, int, int]:
    """Packages imported by hand; in Anki, the cloze of one key point edited and its Q&A note only tagged; then
    the key point reworded and built again. (out, collection, the cloze's id, the Q&A note's id)"""
    from cards.build import build

    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    build([library], out, now=1_700_000_000)
    col = fresh_collection(target.parent)
    for package in sorted((out / "episodes").glob("*.apkg")):
        import_package(col, package)
    notes = [col.get_note(note_id) for note_id in col.find_notes("")]
    cloze = next(n for n in notes if "Text" in n and "Sun and the Moon line up" in n["Text"])
    question = next(n for n in notes if "KeyPoint" in n and n["KeyPoint"] == OLD_WORDING)
    cloze["Text"] += " My note."
    col.update_note(cloze)
    question.tags.append("mine")
    col.update_note(question)
    col.close()
    edit(library)
    build([library], out, now=2_000_000_000)  # reworded after the edit
    return out, target, cloze.id, question.id


def test_a_first_sync_after_importing_by_hand_keeps_edits_and_rewords_what_was_only_tagged(library, tmp_path):
    """Found by hostile users: the edit was replaced without a word (judged by the note's mtime, which a tag
    moves as an edit does). The state keeps what cards made of each note before a build replaced it: text that
    was cards' takes the new wording, any other text is the user's."""
    out, target, cloze, question = imported_by_hand_then_changed(library, tmp_path)
    report = run_sync(library, out, target)
    col = Collection(str(target))
    assert col.get_note(cloze)["Text"].endswith(" My note.")  # kept: cards never made this text
    assert col.get_note(question)["KeyPoint"] == NEW_WORDING and "mine" in col.get_note(question).tags
    col.close()
    assert (report.kept_edits, report.replaced_unrecorded) == (1, 0)
    overwritten = run_sync(library, out, target, overwrite_edits=True)  # recorded now: the record decides
    assert overwritten.overwrote_edits == 0  # cards' text did not change since the record was written


def test_with_no_earlier_version_known_an_edited_note_is_replaced_counted_and_backed_up(library, tmp_path):
    """A state that did not keep earlier versions (written before they were kept): the mtime decides, and the
    summary counts the notes changed in Anki whose text cards replaced; the backup holds them as they were."""
    out, target, cloze, question = imported_by_hand_then_changed(library, tmp_path)
    state = sqlite3.connect(out / ".cards-state.sqlite")  # as a state written before versions were kept
    state.execute("DROP TABLE versions")
    state.execute("DELETE FROM meta WHERE key = 'versions_complete'")
    state.commit()
    state.close()
    report = run_sync(library, out, target)
    col = Collection(str(target))
    assert "at new moon and at full moon" in col.get_note(cloze)["Text"]
    assert "My note." not in col.get_note(cloze)["Text"]
    assert col.get_note(question)["KeyPoint"] == NEW_WORDING and "mine" in col.get_note(question).tags
    col.close()
    assert (report.replaced_unrecorded, report.kept_edits) == (2, 0) and report.backup is not None
    with zipfile.ZipFile(report.backup) as backup:  # Anki's own backup, taken before the import
        assert backup.namelist()
    from cards.cli import sync_summary

    assert ("Edits: replaced the text of 2 notes you changed in Anki after importing them by hand: with no record of "
            "what cards delivered, an edit cannot be told from a tag or a flag; the backup above holds them as they "
            "were.") in sync_summary(report).splitlines()


def test_a_state_lost_after_importing_by_hand_never_freezes_the_old_wording(library, tmp_path):
    """Found by a hostile user: packages imported by hand, the state deleted, the key point reworded twice: the
    state remembered only the later versions, and the imported text, untouched, counted as the user's edit for
    good. A state made beside packages knows it may have forgotten versions: the mtime decides, as Anki's would."""
    from cards.build import build

    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    build([library], out, now=1_700_000_000)
    col = fresh_collection(target.parent)
    for package in sorted((out / "episodes").glob("*.apkg")):
        import_package(col, package)
    col.close()
    (out / ".cards-state.sqlite").unlink()
    edit(library)
    build([library], out, now=1_800_000_000)
    text = (library / "tides.md").read_text(encoding="utf-8")
    (library / "tides.md").write_text(text.replace(NEW_WORDING, NEW_WORDING.replace("Spring", "Big spring")),
                                      encoding="utf-8")
    build([library], out, now=1_900_000_000)
    report = run_sync(library, out, target)
    keypoints = [note[1][2] for note in collection_notes(target).values() if note[0].endswith("Q&A")]
    assert any(point.startswith("Big spring tides") for point in keypoints), keypoints
    assert OLD_WORDING not in keypoints and report.kept_edits == 0


def test_two_builds_without_a_sync_then_one_sync_lose_nothing(library, tmp_path):
    from cards.build import build

    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    edit(library)
    build([library], out)
    (library / "tides.md").write_text((library / "tides.md").read_text(encoding="utf-8").replace(
        "Neap tides come at the quarter moons", "Neap tides come at the first and last quarter moons"),
        encoding="utf-8")
    build([library], out)  # changes.apkg now holds only this build's change
    run_sync(library, out, target)
    fresh = tmp_path / "fresh" / "collection.anki2"
    run_sync(library, out, fresh)
    assert collection_notes(target) == collection_notes(fresh)


def test_a_collection_open_in_another_process_is_left_untouched(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom anki.collection import Collection\n"
                               f"col = Collection({str(target)!r})\nprint('open', flush=True)\ntime.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = (target.read_bytes(), target.stat().st_mtime_ns)
        edit(library)
        result = runner.invoke(app, ["sync", str(library), "--out", str(out), "--collection", str(target)])
        assert (result.exit_code, result.stderr.strip()) == (
            1, f"error: {target}: Anki, or another program, has this collection open (another cards sync?); close "
               "it and run again")
        assert (target.read_bytes(), target.stat().st_mtime_ns) == before
    finally:
        holder.kill()
        holder.wait()


def test_prune_deletes_exactly_the_vanished_snips_and_only_after_yes(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    col = Collection(str(target))
    mine = col.new_note(col.models.by_name(CLOZE_NAME))  # the user's own note, in cards' note type
    mine["Text"] = "My own {{c1::note}}"
    col.add_note(mine, col.decks.id("Mine"))
    basic = col.new_note(col.models.by_name("Basic"))
    basic["Front"], basic["Back"] = "mine", "too"
    col.add_note(basic, col.decks.id("Mine"))
    tides = {n.guid for n in map(col.get_note, col.find_notes("")) if "Tides" in col.decks.name(n.cards()[0].did)}
    col.close()
    (library / "tides.md").unlink()
    args = ["sync", str(library), "--out", str(out), "--collection", str(target), "--prune"]
    declined = runner.invoke(app, args, input="n\n")
    assert declined.exit_code == 0, declined.output
    assert f"{len(tides)} notes of snips no longer in your notes:" in declined.stderr
    assert tides <= set(collection_notes(target))
    first = runner.invoke(app, [*args, "--yes"])  # unattended: only what the sync before found gone too
    assert first.exit_code == 0, first.output
    assert f"Waiting: {len(tides)} notes of snips gone since the last sync are deleted by the next --prune --yes " \
           "if still gone (a note file caught half-written loses nothing)." in first.stdout.splitlines()
    assert tides <= set(collection_notes(target))
    accepted = runner.invoke(app, [*args, "--yes"])
    assert accepted.exit_code == 0, accepted.output
    assert f"Deleted {len(tides)} of {len(tides)} notes of vanished snips." in accepted.stdout.splitlines()
    left = collection_notes(target)
    assert not tides & set(left)
    assert mine.guid in left and basic.guid in left
    backups = list((target.parent / "backups").glob("*.colpkg"))
    assert backups  # taken before anything was deleted


def test_an_unattended_prune_deletes_nothing_of_a_note_file_caught_half_written(library, tmp_path):
    """Found by a hostile user: a cron `cards sync --prune --yes` that read a note file a file-sync tool had cut
    mid-snip deleted the later snips' notes with their reviews; whole again, they came back as new notes."""
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    everything = collection_notes(target)
    whole = (library / "tides.md").read_text(encoding="utf-8")
    cut = whole[:whole.index("### ", whole.index("### ") + 1)]  # the file as far as its second snip
    args = ["sync", str(library), "--out", str(out), "--collection", str(target), "--prune", "--yes"]
    for whole_at in (args, args[:-2], args[:-1]):  # whole again at a sync with --yes, at a plain one, at one that asks
        (library / "tides.md").write_text(cut, encoding="utf-8")
        half = runner.invoke(app, args)
        assert half.exit_code == 0, half.output
        assert "Waiting: " in half.stdout
        (library / "tides.md").write_text(whole, encoding="utf-8")
        assert runner.invoke(app, whole_at, input="n\n").exit_code == 0
        assert collection_notes(target).keys() == everything.keys()
    # Found by a hostile user: the list of notes found gone was kept by every sync but an unattended prune, so
    # a note found back by a plain sync was deleted at the next bad read. Gone at two syncs in a row, it goes.
    (library / "tides.md").write_text(cut, encoding="utf-8")
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, args[:-2]).exit_code == 0  # a plain sync finds them gone too
    gone = runner.invoke(app, args)
    deleted = re.search(r"^Deleted (\d+) of \1 notes of vanished snips\.$", gone.stdout, re.M)
    assert deleted and len(collection_notes(target)) == len(everything) - int(deleted[1]) > 0, gone.stdout


def test_an_episode_pruned_whole_comes_back_when_its_note_does(library, tmp_path):
    """Pruning took the notes out of the episode's record but kept its digest: back unchanged, it was skipped as
    delivered, and its notes never came back."""
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    everything = collection_notes(target)
    note = (library / "tides.md").read_bytes()
    (library / "tides.md").unlink()
    pruned = run_sync(library, out, target, prune=True)
    assert pruned.pruned > 0 and len(collection_notes(target)) == len(everything) - pruned.pruned
    (library / "tides.md").write_bytes(note)
    back = run_sync(library, out, target)
    assert (back.added, back.updated) == (pruned.pruned, 0)
    assert collection_notes(target).keys() == everything.keys()


def test_a_tag_the_user_added_stays_when_the_note_adds_it_and_then_drops_it(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    col = Collection(str(target))
    tides = [col.get_note(i) for i in col.find_notes("tag:oceans")]
    for note in tides:
        note.tags.append("dreams")  # the user's own
        col.update_note(note)
    col.close()
    text = (library / "tides.md").read_text(encoding="utf-8")
    (library / "tides.md").write_text(text.replace("tags: [oceans]", "tags: [oceans, dreams]"), encoding="utf-8")
    run_sync(library, out, target)
    (library / "tides.md").write_text(text, encoding="utf-8")
    run_sync(library, out, target)
    assert tides and all("dreams" in tags for guid, (_, _, tags, _) in collection_notes(target).items()
                         if guid in {note.guid for note in tides})


def test_dry_run_changes_nothing(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    state = (out / ".cards-state.sqlite").read_bytes()
    edit(library)
    before = collection_notes(target)
    result = runner.invoke(app, ["sync", str(library), "--out", str(out), "--collection", str(target), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run: 4 notes would be imported" in result.stdout  # 2 new, 2 updated
    assert collection_notes(target) == before
    assert (out / ".cards-state.sqlite").read_bytes() == state


def test_the_collection_is_found_in_ankis_data_folder(library, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("ANKI_BASE", raising=False)
    base = tmp_path / "data" / "Anki2"
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks")])
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {base}: no Anki profile found; open Anki once, or name a collection with --collection FILE")
    fresh_collection(base / "User 1").close()
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks")])
    assert result.exit_code == 0, result.output
    assert collection_notes(base / "User 1" / "collection.anki2")
    fresh_collection(base / "Other").close()
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks")])
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {base}: several Anki profiles (Other, User 1); choose one with --profile")
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--profile", "Other"])
    assert result.exit_code == 0, result.output


def test_sync_runs_in_a_fresh_process(library, tmp_path):
    """The way users run it: nothing loaded before `cards sync` (Anki's modules load in a set order)."""
    target = tmp_path / "anki" / "collection.anki2"
    result = subprocess.run([sys.executable, "-m", "cards", "sync", str(library), "--out", str(tmp_path / "decks"),
                             "--collection", str(target), "--create"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"in {target} (created)." in result.stdout
    assert collection_notes(target)


def test_sync_help_documents_every_option():
    result = runner.invoke(app, ["sync", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--out", "--collection", "--create", "--profile", "--server", "--user", "--prune", "--yes",
                   "--dry-run", "--overwrite-edits", "--replace-server", "--replace-local"):
        assert option in result.stdout


def test_server_options_are_checked(library, tmp_path):
    base = ["sync", str(library), "--collection", str(tmp_path / "c.anki2"), "--create"]
    result = runner.invoke(app, [*base, "--server", "http://127.0.0.1:9/"])
    assert (result.exit_code, result.stderr.strip()) == (
        2, "error: --server needs --user NAME (your account on that sync server)")
    result = runner.invoke(app, [*base, "--user", "me"])
    assert (result.exit_code, result.stderr.strip()) == (
        2, "error: --user, --replace-server and --replace-local go with --server URL")
    result = runner.invoke(app, [*base, "--server", "http://127.0.0.1:9/", "--user", "me", "--replace-server",
                                 "--replace-local"])
    assert (result.exit_code, result.stderr.strip()) == (
        2, "error: --replace-server and --replace-local contradict each other; choose one")
    assert not (tmp_path / "c.anki2").exists()


# --- against Anki's own sync server ------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path):
    """Anki's sync server on 127.0.0.1, with one user and a folder of its own."""
    port = free_port()
    env = {**os.environ, "SYNC_USER1": "reader:secret", "SYNC_BASE": str(tmp_path / "server"),
           "SYNC_HOST": "127.0.0.1", "SYNC_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "anki.syncserver"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("Anki's sync server did not start")
    yield f"http://127.0.0.1:{port}/"
    process.kill()
    process.wait()


def phone_sync(path: Path, url: str) -> Collection:
    """A second client (the phone): log in, sync, downloading in full the first time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    col = Collection(str(path))
    auth = col.sync_login("reader", "secret", url)
    output = col.sync_collection(auth, False)
    if output.required in (output.FULL_DOWNLOAD, output.FULL_SYNC):
        col.close_for_full_sync()
        col.full_upload_or_download(auth=auth, server_usn=output.server_media_usn, upload=False)
        col.reopen(after_full_sync=True)
    return col


def add_basic_note(path: Path, front: str) -> str:
    """A note of the user's own (Anki's Basic type) in a collection; returns its GUID."""
    path.parent.mkdir(parents=True, exist_ok=True)
    col = Collection(str(path))
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = front, "kept"
    col.add_note(note, col.decks.id("Default"))
    col.close()
    return note.guid


def upload_from_another_device(path: Path, url: str) -> None:
    """Another device replaces the server's collection with its own (a full upload)."""
    device = Collection(str(path))
    auth = device.sync_login("reader", "secret", url)
    output = device.sync_collection(auth, False)
    device.close_for_full_sync()
    device.full_upload_or_download(auth=auth, server_usn=output.server_media_usn, upload=True)
    device.reopen(after_full_sync=True)
    device.close()


def test_desktop_and_phone_through_ankis_sync_server(library, tmp_path, server, monkeypatch):
    monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)
    out, desk = tmp_path / "decks", tmp_path / "desk" / "collection.anki2"
    args = ["sync", str(library), "--out", str(out), "--collection", str(desk), "--create", "--server", server,
            "--user", "reader"]
    first = runner.invoke(app, args, input="secret\n")  # asked for once, at the prompt
    assert first.exit_code == 0, first.output
    assert f"Password for reader on {server}" in first.stderr and "secret" not in first.output
    assert "Server: uploaded to the server (full upload)." in first.stdout
    session = desk.parent / SESSION_FILE
    assert oct(session.stat().st_mode & 0o777) == oct(0o600) and "secret" not in session.read_text()
    phone = phone_sync(tmp_path / "phone" / "collection.anki2", server)
    assert notes_of(phone) == collection_notes(desk)
    studied = study(phone, phone.find_cards("")[0])
    phone.sync_collection(phone.sync_login("reader", "secret", server), False)
    phone.close()

    edit(library)
    second = runner.invoke(app, args)  # no password: the kept session key is enough
    assert second.exit_code == 0, second.output
    assert "Anki: 2 added" in second.stdout
    desk_col = Collection(str(desk))
    assert scheduling(desk_col.get_card(studied.id)) == scheduling(studied)  # the phone's review came in
    desk_col.close()
    phone = phone_sync(tmp_path / "phone" / "collection.anki2", server)
    assert notes_of(phone) == collection_notes(desk)  # the phone received the new notes
    assert scheduling(phone.get_card(studied.id)) == scheduling(studied)
    phone.close()


def test_a_new_collection_is_filled_from_a_server_with_data(library, tmp_path, server, monkeypatch):
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    guid = add_basic_note(tmp_path / "phone" / "collection.anki2", "made on the phone")
    upload_from_another_device(tmp_path / "phone" / "collection.anki2", server)
    desk = tmp_path / "desk" / "collection.anki2"
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection",
                                 str(desk), "--create", "--server", server, "--user", "reader"])
    assert result.exit_code == 0, result.output
    assert "Server: filled from the server (full download)." in result.stdout
    notes = collection_notes(desk)
    assert guid in notes and len(notes) > 10
    phone = phone_sync(tmp_path / "phone" / "collection.anki2", server)
    assert guid in notes_of(phone) and notes_of(phone) == notes  # nothing on the server was replaced
    phone.close()


def test_a_wrong_password_and_an_unreachable_server_are_one_line(library, tmp_path, server, monkeypatch):
    desk = tmp_path / "desk" / "collection.anki2"
    (tmp_path / "desk").mkdir()
    base = ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk), "--create",
            "--user", "reader"]
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "wrong")
    result = runner.invoke(app, [*base, "--server", server])
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {server}: the sync server did not accept the user name or password; check them "
           "(or CARDS_SYNC_PASSWORD) and run again")
    assert sorted(p.name for p in desk.parent.iterdir()) == []  # the new collection is not left behind, empty
    closed = f"http://127.0.0.1:{free_port()}/"
    result = runner.invoke(app, [*base, "--server", closed])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {closed}: cannot reach the sync server (")
    assert result.stderr.strip().endswith("check the address and your connection, then run again")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not desk.exists()
    deeper = tmp_path / "desk" / "Anki2" / "new profile" / "collection.anki2"
    result = runner.invoke(app, [*base[:5], str(deeper), *base[6:], "--server", server])
    assert result.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "desk").iterdir()) == []  # nor the folders made for it


@pytest.fixture
def web_server():
    """Start a web server that is no sync server on 127.0.0.1: it answers every request with this status and a page
    of HTML (a wrong --server address); returns its URL."""
    import http.server

    started = []

    def start(status: int) -> str:
        class Page(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b"<html><body>Welcome to my blog</body></html>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        started.append(web)
        return f"http://127.0.0.1:{web.server_address[1]}/"

    yield start
    for web in started:
        web.shutdown()
        web.server_close()


@pytest.fixture
def web_page_server(web_server):
    """A web server that answers every request with a page of HTML."""
    return web_server(200)


def test_a_web_server_that_is_no_sync_server_is_named_as_such(library, tmp_path, web_page_server, monkeypatch):
    """Anki's own words for it were `the sync failed (HttpError { code: 400, context: "missing original size",
    source: None }); run again later`: no hint that the address was wrong."""
    desk = tmp_path / "desk" / "collection.anki2"
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk),
                                 "--create", "--server", web_page_server, "--user", "reader"])
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {web_page_server}: this does not answer as an Anki sync server (HttpError {{ code: 400, "
           'context: "missing original size", source: None }); check the address given with --server, or if it is '
           "your sync server, run again later")
    assert not desk.exists()


@pytest.mark.parametrize("status", [404, 405])
def test_a_web_server_answering_not_found_is_no_sync_server_not_unreachable(library, tmp_path, web_server, monkeypatch,
                                                                           status):
    """Anki calls its answer 'a network error', as it does a server that cannot be reached: its details tell."""
    url = web_server(status)
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection",
                                 str(tmp_path / "desk" / "collection.anki2"), "--create", "--server", url,
                                 "--user", "reader"])
    reason = {404: "404 Not Found", 405: "405 Method Not Allowed"}[status]
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {url}: this does not answer as an Anki sync server (HTTP {reason}); check the address given "
           "with --server, or if it is your sync server, run again later")


def test_with_a_kept_login_the_first_request_names_a_web_server_as_no_sync_server(library, tmp_path,
                                                                                   web_page_server, monkeypatch):
    """With a session key kept from an earlier run there is no login: the sync's own request is the first."""
    desk = tmp_path / "desk" / "collection.anki2"
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    assert runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk),
                               "--create"]).exit_code == 0
    SessionStore(desk, web_page_server, "reader").save("a-key-from-an-earlier-run")
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk),
                                 "--server", web_page_server, "--user", "reader"])
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {web_page_server}: this does not answer as an Anki sync server (HttpError {{ code: 400, "
           'context: "missing original size", source: None }); check the address given with --server, or if it is '
           "your sync server, run again later")


def test_a_kept_login_the_server_no_longer_accepts_is_replaced_in_the_same_run(library, tmp_path, server,
                                                                               monkeypatch):
    """After a password change on the server, the kept key was refused as 'the user name or password', though the
    password given was right; the next run worked."""
    desk = tmp_path / "desk" / "collection.anki2"
    base = ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk), "--create",
            "--server", server, "--user", "reader"]
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    assert runner.invoke(app, base).exit_code == 0
    SessionStore(desk, server, "reader").save("a-key-the-server-forgot")
    result = runner.invoke(app, base)
    assert result.exit_code == 0, result.output
    assert SessionStore(desk, server, "reader").load() not in (None, "a-key-the-server-forgot")
    SessionStore(desk, server, "reader").save("a-key-the-server-forgot")
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "wrong")
    result = runner.invoke(app, base)
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {server}: the sync server did not accept the user name or password; check them "
           "(or CARDS_SYNC_PASSWORD) and run again")
    SessionStore(desk, server, "reader").save("a-key-the-server-forgot")
    monkeypatch.delenv("CARDS_SYNC_PASSWORD")
    unasked = runner.invoke(app, base, input="")  # a script: nobody types the password the server now wants
    assert (unasked.exit_code, unasked.stderr.strip().splitlines()[-1]) == (
        2, f"error: {server}: the sync server no longer accepts the login kept for reader (was the password "
           "changed?); --user reader: no password was given; type it when asked, or set CARDS_SYNC_PASSWORD")


def test_a_server_lost_after_the_import_keeps_the_summary_and_says_what_was_done(library, tmp_path, server,
                                                                                 monkeypatch):
    """The import was done and only sending it failed, but the one line said nothing of it: no summary, no backup,
    no count of what reached the collection."""
    desk = tmp_path / "desk" / "collection.anki2"
    args = ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk), "--create",
            "--server", server, "--user", "reader"]
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    real, calls = Syncing.with_server, []
    lost = f"{server}: cannot reach the sync server (A network error occurred.); check the address and your " \
           "connection, then run again"

    def then_lost(self, *args, **options):
        calls.append(args)
        if len(calls) == 2:
            raise SyncServerError(lost)
        return real(self, *args, **options)

    monkeypatch.setattr(Syncing, "with_server", then_lost)
    result = runner.invoke(app, args)
    added = len(collection_notes(desk))
    assert (result.exit_code, result.stderr.strip().splitlines()[-1]) == (1, f"error: {lost}")
    assert "Server: synced with the server." in result.stdout.splitlines()
    assert f"Anki: {added} added, 0 updated, 0 unchanged in {desk} (created)." in result.stdout.splitlines()
    assert ("Server: not sent: the collection holds the changes above, and the next sync sends them."
            in result.stdout.splitlines())
    monkeypatch.setattr(Syncing, "with_server", real)
    again = runner.invoke(app, args[:-5] + args[-4:])
    assert again.exit_code == 0  # the server never had them: the whole collection goes up
    assert "Server: uploaded to the server (full upload)." in again.stdout.splitlines()


def test_a_new_collection_is_removed_with_what_was_made_for_it_and_nothing_else(tmp_path):
    """As after a failed `--create` sync: the collection, the files beside it and the folders above it that the
    open made go; what was there stays."""
    home = tmp_path / "home"
    (home / "Anki2").mkdir(parents=True)
    (home / "Anki2" / "prefs21.db").write_text("the user's")
    path = home / "Anki2" / "profile" / "sub" / "collection.anki2"
    made = anki.NewCollection.before_opening(path)
    assert made.is_new
    with anki.open_collection(path):
        pass
    made.remove()
    assert sorted(p.name for p in (home / "Anki2").iterdir()) == ["prefs21.db"]
    path.parent.mkdir(parents=True)
    (path.parent / "notes.txt").write_text("the user's")
    made.remove()  # a folder that holds something now is someone's
    assert (path.parent / "notes.txt").read_text() == "the user's"


def test_what_was_beside_a_new_collection_stays_after_a_wrong_password(library, tmp_path, server, monkeypatch):
    anki_folder = tmp_path / "anki"
    (anki_folder / "collection.media").mkdir(parents=True)  # kept after a broken collection.anki2 was deleted
    (anki_folder / "collection.media" / "photo.jpg").write_bytes(b"photo")
    (anki_folder / "collection.media.db2").write_bytes(b"Anki's media database")
    (anki_folder / "other.media").mkdir()  # empty, but not this sync's
    (anki_folder / "other.media.db2").write_bytes(b"")
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "wrong")
    for name in ("collection.anki2", "other.anki2"):
        result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection",
                                     str(anki_folder / name), "--create", "--server", server, "--user", "reader"])
        assert result.exit_code == 1
    assert sorted(p.name for p in anki_folder.iterdir()) == ["collection.media", "collection.media.db2",
                                                             "other.media", "other.media.db2"]
    assert (anki_folder / "collection.media.db2").read_bytes() == b"Anki's media database"
    assert (anki_folder / "collection.media" / "photo.jpg").read_bytes() == b"photo"


def test_a_collection_made_while_the_password_is_asked_for_is_kept(library, tmp_path, server, monkeypatch):
    from cards.errors import CardsError

    desk = tmp_path / "desk" / "collection.anki2"
    monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)

    def meanwhile_anki_makes_it() -> str:  # the user opens a new profile in Anki while cards waits for them
        desk.parent.mkdir(exist_ok=True)
        col = Collection(str(desk))
        col.decks.id("Spanish")
        col.close()
        return "wrong"

    with pytest.raises(CardsError):
        sync([library], tmp_path / "decks", SyncOptions(collection=desk, create=True, server=server, user="reader"),
             password=meanwhile_anki_makes_it)
    col = Collection(str(desk))
    assert "Spanish" in col.decks.all_names()
    col.close()


def test_a_link_to_a_collection_not_made_yet_stays_after_a_wrong_password(library, tmp_path, server, monkeypatch):
    desk = tmp_path / "desk" / "collection.anki2"
    desk.parent.mkdir()
    desk.symlink_to(tmp_path / "synced-folder" / "collection.anki2")  # the user's link, to a file not there yet
    (tmp_path / "synced-folder").mkdir()
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "wrong")
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk),
                                 "--create", "--server", server, "--user", "reader"])
    assert result.exit_code == 1
    assert desk.is_symlink()
    # what the failed sync made is gone: the file at the link's end, and the media folder beside the link
    assert list((tmp_path / "synced-folder").iterdir()) == [] and list(desk.parent.iterdir()) == [desk]


def test_a_collection_that_was_there_stays_after_a_wrong_password(library, tmp_path, server, monkeypatch):
    desk = tmp_path / "desk" / "collection.anki2"
    desk.parent.mkdir()
    Collection(str(desk)).close()  # the user's, empty: made by Anki, not by this sync
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "wrong")
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk),
                                 "--server", server, "--user", "reader"])
    assert result.exit_code == 1
    col = Collection(str(desk))
    assert col.note_count() == 0  # there, and consistent
    col.close()


def test_a_link_to_a_missing_folder_on_the_way_is_one_line(library, tmp_path):
    (tmp_path / "Anki").symlink_to(tmp_path / "unplugged-drive" / "Anki")
    target = tmp_path / "Anki" / "User 1" / "collection.anki2"
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(target),
                                 "--create"])
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: {tmp_path / 'Anki'}: is a link to a folder that does not exist; make that folder, or name "
           "the collection by another path")


def test_a_collection_that_is_a_link_into_a_missing_folder_is_one_line(library, tmp_path):
    target = tmp_path / "collection.anki2"
    target.symlink_to(tmp_path / "unplugged-drive" / "collection.anki2")
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(target),
                                 "--create"])
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: {target}: is a link to {tmp_path / 'unplugged-drive' / 'collection.anki2'}, in a folder that "
           "does not exist; make that folder, or name the collection by another path")
    assert target.is_symlink() and not (tmp_path / "unplugged-drive").exists()


def test_a_media_folder_on_an_unplugged_drive_is_one_line_and_no_collection_is_left(library, tmp_path):
    anki_folder = tmp_path / "anki"
    anki_folder.mkdir()
    (anki_folder / "collection.media").symlink_to(tmp_path / "unplugged-drive" / "media")
    target = anki_folder / "collection.anki2"
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(target),
                                 "--create"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {target}: Anki cannot open this collection or make its media folder "
                                    f"{anki_folder / 'collection.media'} (")
    assert result.stderr.strip().endswith("); check that folder, or move what is in its way")
    assert sorted(p.name for p in anki_folder.iterdir()) == ["collection.media"]  # the link, and nothing made


def test_a_damaged_collection_is_one_line(library, tmp_path):
    target = tmp_path / "anki" / "collection.anki2"
    target.parent.mkdir()
    target.write_bytes(b"not a collection" * 100)
    result = runner.invoke(app, ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(target)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error: {target}: Anki cannot open this collection (DbError {{ info: "
                                     f"\"SqliteFailure(Error {{ code: NotADatabase, extended_code: 26 }}, "
                                     f"Some(\\\"file is not a database\\\"))\", kind: Other }}); check the file, or "
                                     f"restore it from a backup in Anki")


def test_a_diverged_collection_is_replaced_on_the_server_only_when_asked(library, tmp_path, server, monkeypatch):
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    desk = tmp_path / "desk" / "collection.anki2"
    args = ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk), "--create",
            "--server", server, "--user", "reader"]
    assert runner.invoke(app, args).exit_code == 0
    add_basic_note(tmp_path / "other" / "collection.anki2", "made on another device")
    upload_from_another_device(tmp_path / "other" / "collection.anki2", server)
    add_basic_note(desk, "made on the desktop")  # while the desktop changes too
    refused = runner.invoke(app, args)
    assert (refused.exit_code, refused.stderr.strip()) == (
        1, f"error: {server}: this collection and the server's have both changed in ways a normal sync cannot "
           "merge; sync in Anki to choose which to keep, or run again with --replace-server to replace the "
           "server's collection with this one, or with --replace-local to replace this one with the server's")
    replaced = runner.invoke(app, [*args, "--replace-server"])
    assert replaced.exit_code == 0, replaced.output
    assert "Server: uploaded to the server (full upload)." in replaced.stdout
    phone = phone_sync(tmp_path / "phone" / "collection.anki2", server)
    assert notes_of(phone) == collection_notes(desk)
    phone.close()


# --- issue 20: nothing the user has in Anki is ever lost ---------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def speed_module():
    """benchmarks/speed.py, whose generator makes a library shaped like a heavy listener's."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("speed", ROOT / "benchmarks" / "speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cli(library: Path, out: Path, target: Path, *options: str, input: str | None = None):
    return runner.invoke(app, ["sync", str(library), "--out", str(out), "--collection", str(target), *options],
                         input=input)


def held_by_another_process(path: Path) -> bool:
    """Whether some process holds SQLite's lock on the collection, asked without taking any lock (Linux)."""
    import fcntl
    import struct

    pending_byte, lock_bytes = 0x40000000, 512  # SQLite's lock range: pending, reserved and shared bytes
    query = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, pending_byte, lock_bytes, 0)
    with open(path, "rb") as handle:  # closing it drops only this process's locks, and it holds none
        answer = fcntl.fcntl(handle.fileno(), fcntl.F_GETLK, query)
    return struct.unpack("hhqqi4x", answer)[0] != fcntl.F_UNLCK


def try_to_open(path: Path) -> str | int:
    """"busy", or the number of notes of the collection this other program could open."""
    try:
        col = Collection(str(path))
    except Exception as error:
        return "busy" if "already open" in str(error) else f"error: {error}"
    try:
        return col.note_count()
    finally:
        col.close()


@pytest.mark.skipif(sys.platform != "linux", reason="asks the lock with Linux's struct flock")
def test_the_collection_stays_locked_for_the_whole_of_a_long_sync(tmp_path):
    library = tmp_path / "notes"
    speed_module().make_library(library, 300)  # 4,800 key points, 8,000 notes or more: a sync of several seconds
    target = tmp_path / "anki" / "collection.anki2"
    add_basic_note(target, "the user's own")  # a collection with notes: the sync backs it up
    running = subprocess.Popen([sys.executable, "-m", "cards", "sync", str(library), "--out", str(tmp_path / "decks"),
                                "--collection", str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    while not held_by_another_process(target) and running.poll() is None:
        time.sleep(0.005)
    probes = []
    while running.poll() is None:  # another program tries to open the collection, again and again
        probes.append(try_to_open(target))
        time.sleep(0.25)
    out, err = running.communicate()
    assert running.returncode == 0, err
    assert "Backup: " in out  # the backup was taken, and the lock held through it
    built = int(out.split(" notes, ")[0].rsplit(" ", 1)[1])  # "Built … : 9,599 notes, …"
    assert f"Anki: {built} added, 0 updated" in out and built > 8000
    assert len(collection_notes(target)) == 1 + built
    # Busy until the sync was done with it; only once it had closed it (as the process ends) could
    # another program open it, and then it held every note.
    opened = [index for index, probe in enumerate(probes) if probe != "busy"]
    assert probes.count("busy") >= 4, probes
    assert not opened or set(probes[opened[0]:]) == {1 + built}, probes


def restore(target: Path, backup: Path) -> None:
    """Anki's own restore (File → Switch Profile → Open Backup does this, with the collection closed)."""
    from anki._backend import RustBackend

    RustBackend().import_collection_package(col_path=str(target), backup_path=str(backup),
                                            media_folder=str(target.with_suffix(".media")),
                                            media_db=str(target.with_suffix(".media.db2")))


def test_a_restored_backup_gets_back_the_notes_of_the_undone_sync(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    edit(library)  # a reworded key point and a new snip
    second = run_sync(library, out, target)
    assert (second.added, second.updated) == (2, 2) and second.backup is not None
    after_second = collection_notes(target)
    restore(target, second.backup)  # the README's undo
    assert len(collection_notes(target)) == len(after_second) - 2
    third = run_sync(library, out, target)
    assert (third.added, third.updated) == (2, 2)
    assert collection_notes(target) == after_second


def test_a_new_collection_in_the_place_of_a_synced_one_gets_everything(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    first = run_sync(library, out, target)
    shutil.rmtree(target.parent)  # deleted, then made anew at the same path
    again = cli(library, out, target, "--create")
    assert again.exit_code == 0, again.output
    assert f"Anki: {first.added} added, 0 updated, 0 unchanged in {target} (created)." in again.stdout
    assert len(collection_notes(target)) == first.added


def test_a_note_the_user_deleted_stays_deleted_until_cards_makes_a_new_version_of_it(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    col = Collection(str(target))
    deleted = spring_tides(col, "cards · Snip Q&A")
    col.remove_notes([deleted.id])
    col.close()
    kept_out = cli(library, out, target)
    assert kept_out.exit_code == 0, kept_out.output
    assert deleted.guid not in collection_notes(target)
    present = len(collection_notes(target))
    # counted as what it is, not among the unchanged: when the episode is as delivered (the record's shortcut) ...
    assert f"Anki: 0 added, 0 updated, {present} unchanged in {target}." in kept_out.stdout
    assert "Deleted in Anki: 1 note stays deleted until cards makes a new version of it." in kept_out.stdout
    tides = library / "tides.md"
    tides.write_text(tides.read_text(encoding="utf-8") + NEW_SNIP, encoding="utf-8")
    new_snip = cli(library, out, target)  # ... and when it is checked note by note, a new snip in it
    assert new_snip.exit_code == 0, new_snip.output
    counts = re.search(r"^Anki: (\d+) added, (\d+) updated, (\d+) unchanged in ", new_snip.stdout, re.MULTILINE)
    made = re.search(r"^Built .*: (\d+) notes", new_snip.stdout, re.MULTILINE)
    assert counts and made and sum(map(int, counts.groups())) + 1 == int(made[1])  # every note, counted once
    assert "Deleted in Anki: 1 note stays deleted until cards makes a new version of it." in new_snip.stdout
    assert deleted.guid not in collection_notes(target)
    edit(library)  # its key point reworded: a new version, delivered again
    back = cli(library, out, target)
    assert back.exit_code == 0, back.output
    assert NEW_WORDING in collection_notes(target)[deleted.guid][1]


def test_a_note_the_user_moved_to_another_note_type_is_theirs_and_counted_so(library, tmp_path):
    """It was counted `unchanged`, or nowhere; its new versions are not delivered, and now the summary says why."""
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    col = Collection(str(target))
    moved = spring_tides(col, "cards · Snip Q&A")
    request = col.models.change_notetype_info(old_notetype_id=moved.mid,
                                              new_notetype_id=col.models.by_name("Basic")["id"]).input
    request.note_ids.extend([moved.id])
    col.models.change_notetype_of_notes(request)
    col.close()
    line = "Moved to another note type in Anki: 1 note, left as you made it."
    as_delivered = cli(library, out, target)  # the episode as delivered (the record's shortcut) ...
    assert as_delivered.exit_code == 0, as_delivered.output
    assert f"Anki: 0 added, 0 updated, {len(collection_notes(target)) - 1} unchanged in {target}." \
        in as_delivered.stdout
    assert line in as_delivered.stdout
    reword(library, OLD_WORDING, NEW_WORDING)  # ... and checked note by note: its new version is not delivered
    reworded = cli(library, out, target)
    assert reworded.exit_code == 0, reworded.output
    assert line in reworded.stdout
    note_type, fields, *_ = collection_notes(target)[moved.guid]
    assert note_type == "Basic" and NEW_WORDING not in " ".join(fields)


def test_nothing_changes_no_backup_is_made(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    add_basic_note(target, "the user's own")
    first = cli(library, out, target)
    assert first.exit_code == 0, first.output
    assert "Backup: " in first.stdout
    backups = sorted((target.parent / "backups").iterdir())
    again = cli(library, out, target)
    assert again.exit_code == 0, again.output
    assert "Backup: " not in again.stdout
    assert sorted((target.parent / "backups").iterdir()) == backups


def test_a_dry_run_creates_nothing_and_lists_what_it_would_import(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    result = cli(library, out, target, "--create", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"Dry run: 16 notes would be imported into {target} (not created): Why the Tides Turn (6 new); "
        "Why We Sleep in Stages (6 new); Wild Fermentation Basics (4 new). Nothing was changed.")
    assert "changes.apkg" not in result.output and "cards-dry-run" not in result.output
    assert list(tmp_path.iterdir()) == [library]  # no collection, no folder for it, no decks/, no state


def test_a_collection_that_does_not_exist_is_refused_unless_create_is_given(library, tmp_path):
    out, real = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    add_basic_note(real, "the user's own")
    typo = tmp_path / "anki" / "colection.anki2"
    result = cli(library, out, typo)
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: {typo}: no such collection; check the path, or add --create to make a new one there")
    assert not typo.exists() and not out.exists()


@pytest.mark.parametrize("create", [False, True])
def test_a_file_that_is_no_anki_collection_is_refused_and_left_as_it_was(library, tmp_path, create):
    """Found by a hostile user: Anki adds its tables to any SQLite database, another program's included."""
    out, other = tmp_path / "decks", tmp_path / "anki" / "other.anki2"
    other.parent.mkdir()
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    before = other.read_bytes()
    result = cli(library, out, other, *(["--create"] if create else []))
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: {other}: is not an Anki collection (it holds no Anki notes and cards); check the path: "
           "cards changes no other file")
    assert other.read_bytes() == before
    assert [p.name for p in other.parent.iterdir()] == ["other.anki2"]


def test_another_programs_database_left_with_its_write_ahead_log_is_refused(library, tmp_path):
    """Found by a hostile user: the look at the tables skipped any file with a -wal beside it, and Anki added its
    tables to a crashed program's database."""
    other = tmp_path / "anki" / "crashed.anki2"
    other.parent.mkdir()
    subprocess.run([sys.executable, "-c", "import os, sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n"
                    "db.execute('PRAGMA journal_mode=WAL')\ndb.execute('CREATE TABLE t (x)')\ndb.commit()\n"
                    "os._exit(0)", str(other)], check=True)
    assert other.with_name("crashed.anki2-wal").stat().st_size > 0
    result = cli(library, tmp_path / "decks", other)
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: {other}: is not an Anki collection (it holds no Anki notes and cards); check the path: "
           "cards changes no other file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_named_as_the_collection_is_one_sentence(library, tmp_path):
    """Found by a hostile user: Anki's 'disk I/O error', which said to restore the collection from a backup."""
    pipe = tmp_path / "anki" / "collection.anki2"
    pipe.parent.mkdir()
    os.mkfifo(pipe)
    result = cli(library, tmp_path / "decks", pipe)
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: {pipe}: --collection names no ordinary file (a pipe or a device?); name the collection file "
           "(collection.anki2)")


def test_an_empty_file_becomes_a_collection_only_with_create(library, tmp_path):
    out, empty = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    empty.parent.mkdir()
    empty.touch()
    refused = cli(library, out, empty)
    assert (refused.exit_code, refused.stderr.strip()) == (
        2, f"error: {empty}: is an empty file, not an Anki collection; check the path, or add --create to make a "
           "new collection in it")
    assert empty.read_bytes() == b""
    made = cli(library, out, empty, "--create")
    assert made.exit_code == 0, made.output
    col = Collection(str(empty))
    assert len(col.find_notes("")) == 16
    col.close()


def test_a_collection_path_without_anki2_is_one_sentence(library, tmp_path):
    target = tmp_path / "anki" / "collection.db"
    result = cli(library, tmp_path / "decks", target, "--create")
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: {target}: --collection names an Anki collection file, whose name ends in .anki2 (such as "
           "collection.anki2)")
    assert not target.parent.exists()


# --- the user's edits and tags win; changed note types are reported ----------------------


def spring_tides(col: Collection, note_type: str):
    """The note of the Spring Tides key point, of one note type."""
    return next(note for note in map(col.get_note, col.find_notes(f'"note:{note_type}"'))
                if "Spring tides" in " ".join(note.fields) or "spring tides" in " ".join(note.fields))


def reword(library: Path, old: str, new: str) -> None:
    text = (library / "tides.md").read_text(encoding="utf-8")
    assert old in text
    (library / "tides.md").write_text(text.replace(old, new), encoding="utf-8")


def desk_and_phone(library: Path, tmp_path: Path, server: str) -> tuple[Path, Path, list[str], Path, Collection]:
    """cards syncs a new desktop collection through the server; the phone downloads it.

    Returns the decks folder, the desktop collection, the sync's options, the phone's collection path and
    the phone's collection, open.
    """
    out, desk = tmp_path / "decks", tmp_path / "desk" / "collection.anki2"
    args = ["--create", "--server", server, "--user", "reader"]
    assert cli(library, out, desk, *args).exit_code == 0
    phone_path = tmp_path / "phone" / "collection.anki2"
    return out, desk, args, phone_path, phone_sync(phone_path, server)


def test_the_users_edits_win_on_the_desktop_and_through_the_phone(library, tmp_path, server, monkeypatch):
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    out, desk, args, phone_path, phone = desk_and_phone(library, tmp_path, server)
    cloze = spring_tides(phone, CLOZE_NAME)  # on the phone: a mnemonic in the cloze's text
    mine = cloze["Text"] + " <i>(SPRING: Sun, Planet and moon Ride IN line)</i>"
    cloze["Text"] = mine
    phone.update_note(cloze)
    phone.sync_collection(phone.sync_login("reader", "secret", server), False)
    phone.close()
    col = Collection(str(desk))
    qa = spring_tides(col, "cards · Snip Q&A")  # on the desktop: a fixed title on the Q&A note
    qa["Title"] = "Spring tides (fixed)"
    col.update_note(qa)
    col.close()

    edit(library)  # cards rewords the key point: new text in both notes' fields
    result = cli(library, out, desk, *args)
    assert result.exit_code == 0, result.output
    assert "Edits: kept your edits on 1 note where cards' text changed (--overwrite-edits takes cards' text)." \
        in result.stdout.splitlines()
    phone = phone_sync(phone_path, server)
    for where in (Collection(str(desk)), phone):
        now_cloze, now_qa = where.get_note(cloze.id), where.get_note(qa.id)
        assert now_cloze["Text"] == mine  # the phone's edit, kept though cards' text changed
        assert now_qa["Title"] == "Spring tides (fixed)"  # the desktop's edit, kept
        assert NEW_WORDING in now_qa["KeyPoint"]  # cards' new text, in the fields the user left alone
        where.close()

    reword(library, NEW_WORDING, "Spring tides come when the Sun, the Moon and the Earth line up.")
    overwrite = cli(library, out, desk, *args, "--overwrite-edits")
    assert overwrite.exit_code == 0, overwrite.output
    assert "Edits: replaced your edits with cards' new text on 1 note (--overwrite-edits)." in overwrite.stdout
    col = Collection(str(desk))
    text = col.get_note(cloze.id)["Text"]
    assert "the Moon and the Earth line up" in text and "SPRING:" not in text
    col.close()


def test_tags_the_user_added_survive_every_update(library, tmp_path, server, monkeypatch):
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    out, desk, args, phone_path, phone = desk_and_phone(library, tmp_path, server)
    cloze = spring_tides(phone, CLOZE_NAME)
    cloze.tags.append("exam")  # the user's own tag, on the phone
    phone.update_note(cloze)
    phone.sync_collection(phone.sync_login("reader", "secret", server), False)
    phone.close()

    edit(library)  # a reworded key point: the note is updated
    assert cli(library, out, desk, *args).exit_code == 0
    reword(library, "tags: [oceans]", "tags: [tides]")  # a generated tag replaced by another
    assert cli(library, out, desk, *args).exit_code == 0
    phone = phone_sync(phone_path, server)
    for where in (Collection(str(desk)), phone):
        tags = where.get_note(cloze.id).tags
        assert "exam" in tags and "tides" in tags and "oceans" not in tags, tags
        assert "line up, at new moon and at full moon" in where.get_note(cloze.id)["Text"]
        where.close()


def add_field(target: Path, note_type: str, name: str) -> None:
    col = Collection(str(target))
    model = col.models.by_name(note_type)
    col.models.add_field(model, col.models.new_field(name))
    col.models.update_dict(model)
    col.close()


def remove_field(target: Path, note_type: str, name: str) -> None:
    col = Collection(str(target))
    model = col.models.by_name(note_type)
    col.models.remove_field(model, next(f for f in model["flds"] if f["name"] == name))
    col.models.update_dict(model)
    col.close()


def test_a_note_type_changed_in_anki_is_reported_and_its_notes_wait(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    add_field(target, CLOZE_NAME, "Mnemonic")  # the user adds a field to cards' cloze note type
    before = collection_notes(target)
    edit(library)  # a reworded key point and a new snip: two cloze notes and two Q&A notes to import
    held = ('Not imported: 2 notes of note type "cards · Snip cloze" (Spring tides happen when the {{c1::Sun}} '
            "and the Moon line u; Neap tides come at the {{c1::quarter}} moons, when the Sun p): its fields "
            "or card types were changed in Anki (field 'Mnemonic' added), and importing would make a copy of it "
            "and update none of its notes. Undo that change in Anki (Tools → Manage Note Types) and sync again; "
            "they wait until then.")
    dry = cli(library, out, target, "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert held in dry.stdout.splitlines()
    result = cli(library, out, target)
    assert result.exit_code == 1, result.output
    assert held in result.stdout.splitlines()
    assert "Anki: 1 added, 1 updated" in result.stdout  # the Q&A notes
    after = collection_notes(target)
    assert {kind for kind, *_ in after.values()} == {CLOZE_NAME, "cards · Snip Q&A"}  # no "cards · Snip cloze+"
    assert [guid for guid in before if after[guid] != before[guid]] == [
        guid for guid, (kind, *_) in before.items() if kind != CLOZE_NAME and after[guid] != before[guid]]
    remove_field(target, CLOZE_NAME, "Mnemonic")  # undone: the waiting notes arrive
    done = cli(library, out, target)
    assert done.exit_code == 0, done.output
    assert "Anki: 1 added, 1 updated" in done.stdout and "Not imported" not in done.stdout


# --- the sync server: never replacing what the user has, and the session key ---------------


def test_a_never_synced_collection_with_the_users_notes_is_not_replaced_without_a_choice(
        library, tmp_path, server, monkeypatch):
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    other = tmp_path / "other" / "collection.anki2"
    args = ["--server", server, "--user", "reader"]
    assert cli(library, tmp_path / "other-decks", other, "--create", *args).exit_code == 0  # the server has cards
    desk = tmp_path / "desk" / "collection.anki2"
    mine = add_basic_note(desk, "made on the desktop, never synced")
    before = (collection_notes(desk), desk.read_bytes())
    refused = cli(library, tmp_path / "decks", desk, *args)
    assert (refused.exit_code, refused.stderr.strip()) == (
        1, f"error: {desk}: this collection has notes that the server at {server} does not have, and the server "
           "has its own; they cannot be merged, so choose: run again with --replace-local to replace this "
           "collection with the server's, or with --replace-server to replace the server's with this one")
    assert (collection_notes(desk), desk.read_bytes()) == before
    assert not (desk.parent / "backups").exists() and not (tmp_path / "decks").exists()
    replaced = cli(library, tmp_path / "decks", desk, *args, "--replace-local")
    assert replaced.exit_code == 0, replaced.output
    assert "Server: replaced by the server's collection (full download, --replace-local)." in replaced.stdout
    assert mine not in collection_notes(desk) and collection_notes(desk) == collection_notes(other)
    backup = next(line for line in replaced.stdout.splitlines() if line.startswith("Backup: "))[len("Backup: "):]
    restored = tmp_path / "restored" / "collection.anki2"
    restored.parent.mkdir()
    restore(restored, Path(backup))  # the user's note is in the backup made before the replacement
    assert mine in collection_notes(restored)


class MemoryKeyring:
    """A keyring in memory: the system's is never touched by a test."""

    priority = 1

    def __init__(self):
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, user):
        return self.passwords.get((service, user))

    def set_password(self, service, user, password):
        self.passwords[(service, user)] = password

    def delete_password(self, service, user):
        self.passwords.pop((service, user), None)


def test_the_session_key_goes_to_the_keyring_where_there_is_one(library, tmp_path, server, monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(MemoryKeyring, KeyringBackend):
        pass

    memory = Memory()
    previous = keyring.get_keyring()
    keyring.set_keyring(memory)
    try:
        monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)
        desk = tmp_path / "desk" / "collection.anki2"
        args = ["--create", "--server", server, "--user", "reader"]
        first = cli(library, tmp_path / "decks", desk, *args, input="secret\n")
        assert first.exit_code == 0, first.output
        assert list(memory.passwords) == [("cards sync", f"reader on {server}")]
        assert "secret" not in memory.passwords.values()
        assert not (desk.parent / SESSION_FILE).exists()
        again = cli(library, tmp_path / "decks", desk, *args, input="")  # no password: the keyring has the key
        assert again.exit_code == 0, again.output
    finally:
        keyring.set_keyring(previous)


# --- issue 21: every failure one sentence, nothing created before the inputs are checked ---


@pytest.mark.parametrize("url", ["notaurl", "127.0.0.1:9"])
def test_a_server_that_is_not_a_url_is_refused_before_the_password(library, tmp_path, url, monkeypatch):
    monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)
    target = tmp_path / "anki" / "collection.anki2"
    result = cli(library, tmp_path / "decks", target, "--create", "--server", url, "--user", "me", input="x\n")
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"error: --server {url}: not a sync server address; give the whole URL, starting with https:// or "
           "http:// (such as https://sync.example.org/)")
    assert list(tmp_path.iterdir()) == [library]


WHOLE_URL = "give the whole URL, starting with https:// or http:// (such as https://sync.example.org/)"


@pytest.mark.parametrize(("url", "why"), [
    ("http://[::1", f"not a sync server address; {WHOLE_URL}"),
    ("http://ex ample.org/", f"the host name is no host name a server can have; {WHOLE_URL}"),
    ("http://%zz/", f"the host name is no host name a server can have; {WHOLE_URL}"),
    ("http://256.0.0.1/", f"the host name is no host name a server can have; {WHOLE_URL}"),
    ("http://1.2.3.4.5/", f"the host name is no host name a server can have; {WHOLE_URL}"),
    ("http://xn--a/", f"the host name is no host name a server can have; {WHOLE_URL}"),
    ("http://a\u202eb.org/", f"the host name is no host name a server can have; {WHOLE_URL}"),
    ("http://a{b/", f"the host name is no host name a server can have; {WHOLE_URL}"),
    ("http://[::1]x/", f"not a sync server address; {WHOLE_URL}"),
    ("http://x:0/", "the port is not a number from 1 to 65535; give the whole URL, such as http://127.0.0.1:8080/"),
    ("https://[fe80::1%eth0]/", "an IPv6 address with a zone (%eth0) is not one Anki can reach; give another "
                                "address of the server"),
    ("http://[not:an:address]/", f"not a sync server address; {WHOLE_URL}"),
    ("http://x:99999999/", "the port is not a number from 1 to 65535; give the whole URL, such as "
                           "http://127.0.0.1:8080/"),
])
def test_a_malformed_server_address_is_one_sentence_before_the_password(library, tmp_path, monkeypatch, url, why):
    """Found by a hostile user: these were an internal error after the password was asked."""
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "x")
    target = tmp_path / "anki" / "collection.anki2"
    result = cli(library, tmp_path / "decks", target, "--create", "--server", url, "--user", "me")
    assert (result.exit_code, result.stderr.strip()) == (2, f"error: --server {one_line(url)}: {why}")
    assert list(tmp_path.iterdir()) == [library]


def test_a_server_address_pasted_with_white_space_around_it_is_taken_without_it(tmp_path, monkeypatch):
    from cards.server import check_url
    from cards.settings import read_config

    assert check_url("  http://127.0.0.1:27701  \n") == "http://127.0.0.1:27701/"
    config = tmp_path / "config.toml"
    config.write_text('server = " https://sync.example.org/ "\n', encoding="utf-8")
    assert read_config(config).server == "https://sync.example.org/"


def test_the_servers_that_work_are_taken():
    from cards.settings import server_url_problem

    for url in ("http://127.0.0.1:8080/", "https://sync.example.org", "http://[::1]:27701/", "http://sync_box:8080/",
                "https://bücher.example/", "https://xn--bcher-kva.example/", "http://localhost/sync/",
                "HTTP://EXAMPLE.org./", "http://example.org/?a=b#c"):
        assert server_url_problem(url) is None, url


def test_a_server_address_holding_a_password_is_refused_and_never_shown(library, tmp_path, monkeypatch):
    """The endpoint is kept on disk (session file, keyring account): a password in it would be too."""
    monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)
    target = tmp_path / "anki" / "collection.anki2"
    result = cli(library, tmp_path / "decks", target, "--create", "--server", "https://me:s3cret@sync.example.org/",
                 "--user", "me", input="x\n")
    assert (result.exit_code, result.stderr.strip()) == (
        2, "error: --server https://sync.example.org/: the address holds a user name or password, which would be "
           "kept on disk; give the user with --user (the password is asked, or read from CARDS_SYNC_PASSWORD)")
    assert "s3cret" not in result.output
    assert list(tmp_path.iterdir()) == [library]


def test_no_password_and_nothing_on_standard_input_is_one_sentence(library, tmp_path, monkeypatch):
    monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)
    target = tmp_path / "anki" / "collection.anki2"
    result = cli(library, tmp_path / "decks", target, "--create", "--server", "http://127.0.0.1:9/", "--user",
                 "me", input="")
    assert (result.exit_code, result.stderr) == (
        2, "Password for me on http://127.0.0.1:9/: \n"
           "error: --user me: no password was given; type it when asked, or set CARDS_SYNC_PASSWORD\n")
    assert list(tmp_path.iterdir()) == [library]


def test_a_password_piped_in_is_read_without_warnings_about_echo(library, tmp_path, server):
    """No terminal: getpass warned twice that the password might be echoed, before the one line."""
    target = tmp_path / "anki" / "collection.anki2"
    result = subprocess.run(
        [sys.executable, "-m", "cards", "sync", str(library), "--out", str(tmp_path / "decks"), "--collection",
         str(target), "--create", "--server", server, "--user", "reader"], input="wrong\n", capture_output=True,
        text=True, env={k: v for k, v in os.environ.items() if k != "CARDS_SYNC_PASSWORD"})
    assert (result.returncode, result.stderr) == (
        1, f"Password for reader on {server}: \n"
           f"error: {server}: the sync server did not accept the user name or password; check them "
           "(or CARDS_SYNC_PASSWORD) and run again\n")


def test_a_file_named_backups_is_one_sentence(library, tmp_path):
    target = tmp_path / "anki" / "collection.anki2"
    add_basic_note(target, "the user's own")
    (target.parent / "backups").write_text("not a folder")
    before = target.read_bytes()
    result = cli(library, tmp_path / "decks", target)
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {target.parent / 'backups'}: is a file, but cards keeps Anki's backups in a folder of that "
           "name; move the file aside and run again")
    assert target.read_bytes() == before and not (tmp_path / "decks").exists()


NAMESPACE = """
import json, os, shutil, subprocess, sys, zipfile
from pathlib import Path
work, size = Path(sys.argv[1]), sys.argv[2]
disk = work / "disk"
mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], capture_output=True)
if mount.returncode:
    print(json.dumps({"skip": mount.stderr.decode()}))
    sys.exit()
if len(sys.argv) > 4 and sys.argv[4] == "readonly":
    shutil.copytree(work / "collection", disk / "anki")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
else:
    shutil.copytree(work / "collection", disk / "anki")
target = disk / "anki" / "collection.anki2"
before = sorted(p.name for p in target.parent.iterdir())
run = subprocess.run([sys.executable, "-m", "cards", "sync", sys.argv[3], "--out", str(work / "decks"),
                      "--collection", str(target)], capture_output=True, text=True)
from anki.collection import Collection
backups = target.parent / "backups"
found = sorted(p.name for p in backups.iterdir()) if backups.exists() else []
valid = [zipfile.is_zipfile(backups / name) for name in found if name.endswith(".colpkg")]
try:
    col = Collection(str(target)); notes = col.note_count(); col.close()
except Exception as error:
    notes = str(error)
print(json.dumps({"code": run.returncode, "stderr": run.stderr, "backups": found, "valid": valid, "notes": notes,
                  "target": str(target), "files": sorted(p.name for p in target.parent.iterdir()), "before": before}))
"""


def in_a_small_disk(tmp_path: Path, size: str, library: Path, collection: Path, mode: str = "full") -> dict:
    """Run a sync into a copy of `collection` on a tmpfs of `size`, in a user and mount namespace of its own."""
    import json

    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) for a small disk of its own")
    (tmp_path / "disk").mkdir()
    shutil.copytree(collection.parent, tmp_path / "collection")
    script = tmp_path / "namespace.py"
    script.write_text(NAMESPACE, encoding="utf-8")
    run = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, str(script),
                          str(tmp_path), size, str(library), mode], capture_output=True, text=True)
    if run.returncode or not run.stdout.strip():
        pytest.skip(f"no mount namespace here: {run.stderr.strip()[-200:]}")
    answer = json.loads(run.stdout)
    if "skip" in answer:
        pytest.skip(f"cannot mount a tmpfs here: {answer['skip']}")
    return answer


def test_a_full_disk_during_the_import_is_one_sentence_and_changes_nothing(tmp_path):
    library = tmp_path / "notes"
    speed_module().make_library(library, 40)  # 1,280 notes: several MB, more than the disk has left
    start = tmp_path / "start" / "collection.anki2"
    add_basic_note(start, "the user's own")
    answer = in_a_small_disk(tmp_path, "1500k", library, start)
    target = answer["target"]
    assert (answer["code"], answer["stderr"].strip()) == (
        1, f"error: {target}: the disk is full; free some space and run again (the collection is as it was "
           "before this step)")
    assert answer["notes"] == 1  # the import was undone whole
    assert len(answer["backups"]) == 1 and answer["valid"] == [True]  # the backup before it is whole


def test_a_full_disk_during_the_backup_leaves_no_truncated_backup(tmp_path):
    library = tmp_path / "notes"
    speed_module().make_library(library, 3)
    start = tmp_path / "start" / "collection.anki2"
    add_basic_note(start, "the user's own")
    col = Collection(str(start))
    for index in range(450):  # 2.3 MB, on a 3 MB disk: the backup (half that, packed) does not fit
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = f"note {index}", os.urandom(2500).hex()
        col.add_note(note, col.decks.id("Default"))
    col.close()
    answer = in_a_small_disk(tmp_path, "3m", library, start)
    backups = str(Path(answer["target"]).parent / "backups")
    assert (answer["code"], answer["stderr"].strip()) == (
        1, f"error: {backups}: the disk is full; free some space and run again (the collection is as it was "
           "before this step)")
    assert answer["backups"] == [] and answer["notes"] == 451


def test_a_read_only_folder_holding_the_collection_is_one_sentence(tmp_path, library):
    start = tmp_path / "start" / "collection.anki2"
    add_basic_note(start, "the user's own")
    answer = in_a_small_disk(tmp_path, "4m", library, start, mode="readonly")
    folder = str(Path(answer["target"]).parent)
    assert (answer["code"], answer["stderr"].strip()) == (
        1, f"error: {folder}: the folder holding the collection cannot be written (read-only?); Anki writes "
           "beside its collection, so make the folder writable or move the collection to one that is")
    assert answer["files"] == answer["before"] and not (tmp_path / "decks").exists()


def forget_records(target: Path) -> None:
    """Remove cards' records from the collection, as an earlier version (which kept none there) left it."""
    col = Collection(str(target))
    for key in [key for key in col.all_config() if key.startswith("cards:delivered:")]:
        col.remove_config(key)
    col.close()


def as_an_earlier_version_left_it(out: Path, target: Path) -> None:
    """No record in the collection; what was delivered in the state's old `synced` table."""
    import sqlite3

    forget_records(target)
    state = sqlite3.connect(out / ".cards-state.sqlite")
    state.execute("CREATE TABLE synced (collection TEXT NOT NULL, guid TEXT NOT NULL, mtime INTEGER NOT NULL, "
                  "PRIMARY KEY (collection, guid)) WITHOUT ROWID")
    state.execute("INSERT INTO synced SELECT ?, guid, mtime FROM notes", (str(target),))
    state.commit()
    state.close()


def synced_by_an_earlier_version(library: Path, out: Path, target: Path) -> str:
    """A sync, the user's deletion of the Spring Tides Q&A note, then both as an earlier version left them;
    the deleted note's GUID."""
    run_sync(library, out, target)
    col = Collection(str(target))
    deleted = spring_tides(col, "cards · Snip Q&A")
    col.remove_notes([deleted.id])
    col.close()
    as_an_earlier_version_left_it(out, target)
    return deleted.guid


def collection_mod(target: Path) -> int:
    col = Collection(str(target))
    try:
        return col.db.scalar("SELECT mod FROM col")
    finally:
        col.close()


def test_a_collection_synced_by_an_earlier_version_keeps_its_deleted_notes_deleted(library, tmp_path):
    """Earlier versions kept what they delivered in the state's `synced` table; it seeds the collection's record."""
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    deleted = synced_by_an_earlier_version(library, out, target)
    again = run_sync(library, out, target)
    assert (again.added, again.updated) == (0, 0)
    assert deleted not in collection_notes(target)
    col = Collection(str(target))
    assert [key for key in col.all_config() if key.startswith("cards:delivered:")]  # recorded from now on
    col.close()


def test_a_dry_run_of_a_collection_synced_by_an_earlier_version_writes_nothing(library, tmp_path):
    """A dry run leaves the collection as it was, so the real sync after it still seeds from the old table."""
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    deleted = synced_by_an_earlier_version(library, out, target)
    (library / "export.md").unlink()  # its snips are gone: notes an earlier version delivered, of vanished snips
    before = (target.read_bytes(), collection_mod(target))
    dry = run_sync(library, out, target, dry_run=True, prune=True)
    assert dry.vanished  # the earlier version's notes of the gone snips, listed for --prune
    assert (target.read_bytes(), collection_mod(target)) == before
    again = run_sync(library, out, target)
    assert (again.added, again.updated) == (0, 0)
    assert deleted not in collection_notes(target)


# --- issue 23: cards init, cards config, and cards sync alone -------------------------------------


def a_home(fixtures, seeds, tmp_path: Path, monkeypatch) -> tuple[Path, Path, Path]:
    """A user's home: an Obsidian vault with Snipd's folder among other notes; Anki desktop with one profile.

    Returns the vault's Snipd folder, Anki's data folder (ANKI_BASE) and the configuration file (CARDS_CONFIG).
    """
    home = tmp_path / "home"
    snipd = home / "Obsidian" / "Main" / "Snipd"
    snipd.mkdir(parents=True)
    (snipd.parent / ".obsidian").mkdir()
    shutil.copy(fixtures / "plugin" / "tides.md", snipd / "tides.md")
    shutil.copy(seeds / "export" / "snipd-export.md", snipd / "export.md")
    for name in ("Groceries", "Ideas", "Reading list"):
        (snipd.parent / f"{name}.md").write_text(f"# {name}\n\n- one\n- two\n", encoding="utf-8")
    (snipd / "Index.md").write_text("# My snips\n\n[[tides]], [[export]]\n", encoding="utf-8")
    base = tmp_path / "Anki2"
    add_basic_note(base / "User 1" / "collection.anki2", "the user's own")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ANKI_BASE", str(base))
    config = tmp_path / "settings" / "config.toml"
    monkeypatch.setenv("CARDS_CONFIG", str(config))
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "hunter2")  # in the environment: never in the file
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-written")
    return snipd, base, config


def cards(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, prog_name="cards")


def test_init_then_config_then_sync_alone_into_an_anki_profile(fixtures, seeds, tmp_path, monkeypatch):
    snipd, base, config = a_home(fixtures, seeds, tmp_path, monkeypatch)
    data = Path(os.environ["XDG_DATA_HOME"]) / "cards" / "decks"
    # Enter takes each suggestion; a folder that does not exist is asked for again.
    # `²` is a digit to `isdigit` but no number: it was a traceback.
    init = cards("init", input=f"²\n{tmp_path / 'nowhere'}\n1\n\n\n\n\n")
    assert init.exit_code == 0, init.output
    out = init.stdout
    assert "  1) ~/Obsidian/Main/Snipd  (2 Snipd notes)" in out.splitlines()
    assert f"Error: {tmp_path / 'nowhere'}: no such folder" in out and "²: no such folder" in out
    assert f"Anki profiles in {base}:\n  1) User 1\n" in out
    assert out.splitlines()[-2:] == [f"Wrote {config}.",
                                     "Every day: close Anki, then cards sync (cards config shows every setting)."]
    text = config.read_text(encoding="utf-8")
    assert tomllib.loads(text) == {"sources": ["~/Obsidian/Main/Snipd"], "out": str(data), "profile": "User 1",
                                   "writer": {"kind": "rules"}}
    assert "hunter2" not in text and "sk-never" not in text

    shown = cards("config").stdout.splitlines()
    assert shown[1] == f"sources      {snipd}  (file: {config})"
    assert shown[4] == f"collection   {base / 'User 1' / 'collection.anki2'}  (file: {config}: the profile 'User 1')"

    first = cards("sync")  # the daily job: nothing on the command line
    assert first.exit_code == 0, first.output
    assert "Skipped 1 note that is not from Snipd (-v lists it)." in first.stdout.splitlines()
    assert f"Packages: 9 written, 0 unchanged, in {data}/." in first.stdout.splitlines()
    notes = collection_notes(base / "User 1" / "collection.anki2")
    assert f"Anki: {len(notes) - 1} added, 0 updated, 0 unchanged in {base / 'User 1' / 'collection.anki2'}." \
        in first.stdout.splitlines()
    edit(snipd)
    second = cards("sync")
    assert second.exit_code == 0, second.output
    assert f"Anki: 2 added, 2 updated, {len(notes) - 1 - 2} unchanged" in second.stdout

    fresh_collection(base / "Other").close()  # a flag still overrides the file
    other = cards("sync", "--profile", "Other")
    assert other.exit_code == 0, other.output
    assert len(collection_notes(base / "Other" / "collection.anki2")) == len(notes) + 2 - 1

    again = cards("init", input="\n" * 5 + "y\n")  # the file's settings are the suggestions: the same file
    assert again.exit_code == 0, again.output
    assert config.read_text(encoding="utf-8") == text
    kept = cards("init", input="/\n" + "\n" * 4 + "n\n")
    assert kept.stdout.splitlines()[-1] == f"Kept {config} as it was."
    assert config.read_text(encoding="utf-8") == text


def test_init_and_sync_alone_through_a_sync_server(fixtures, seeds, tmp_path, server, monkeypatch):
    snipd, _, config = a_home(fixtures, seeds, tmp_path, monkeypatch)
    desk = tmp_path / "desk" / "collection.anki2"
    answers = ["1", str(tmp_path / "decks"), str(desk), "not a url", server, "reader", "llm", "llama3.1", "none"]
    init = cards("init", input="\n".join(answers) + "\n")
    assert init.exit_code == 0, init.output
    assert "Error: --server not a url: not a sync server address" in init.stdout
    assert init.stdout.splitlines()[-1] == (f"{desk} does not exist yet: the first sync makes it with cards sync "
                                            "--create; after that, cards sync is all (cards config shows every "
                                            "setting).")
    assert tomllib.loads(config.read_text(encoding="utf-8")) == {
        "sources": ["~/Obsidian/Main/Snipd"], "out": str(tmp_path / "decks"), "collection": str(desk),
        "server": server, "user": "reader", "writer": {"kind": "llm", "model": "llama3.1"}}
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "secret")
    first = cards("sync", "--create")
    assert first.exit_code == 0, first.output
    assert "Server: uploaded to the server (full upload)." in first.stdout
    phone = phone_sync(tmp_path / "phone" / "collection.anki2", server)
    assert notes_of(phone) == collection_notes(desk)
    phone.close()
    monkeypatch.delenv("CARDS_SYNC_PASSWORD")  # the session key kept by the first sync is enough
    edit(snipd)
    second = cards("sync", input="")
    assert second.exit_code == 0, second.output
    assert "Anki: 2 added, 2 updated" in second.stdout and "Server: sent to the server." in second.stdout
    assert "secret" not in config.read_text(encoding="utf-8")


def test_init_without_answers_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = tmp_path / "config.toml"
    monkeypatch.setenv("CARDS_CONFIG", str(config))
    result = cards("init", input="")
    assert (result.exit_code, result.stderr) == (1, "\nerror: cards init stopped before the end; nothing was written\n")
    assert not config.exists()


def test_init_over_a_file_that_cannot_be_read_says_how_to_start_again(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = tmp_path / "config.toml"
    config.write_text("sources = [\n", encoding="utf-8")
    monkeypatch.setenv("CARDS_CONFIG", str(config))
    result = cards("init", input="")
    assert (result.exit_code, result.stderr) == (
        2, f"error: {config}: is not valid TOML (Invalid value (at end of document)); correct it, or move it "
           "aside and run cards init again to write a new one\n")
    assert config.read_text(encoding="utf-8") == "sources = [\n"


def test_prune_shows_a_terminal_escape_the_user_put_in_a_note_and_does_not_obey_it(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    col = Collection(str(target))
    note = col.get_note(col.find_notes('"KeyPoint:Spring tides*"')[0])
    note["KeyPoint"] = "Spring tides\x9b2J come\u202e twice a month."  # Anki drops C0 controls itself
    col.update_note(note)
    col.close()
    (library / "tides.md").unlink()
    args = ["sync", str(library), "--out", str(out), "--collection", str(target), "--prune"]
    declined = runner.invoke(app, args, input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "  Q&A   · Why the Tides Turn · Spring tides\\x9b2J come\\u202e twice a month." in (
        declined.stderr.splitlines())


def test_prune_at_the_end_of_input_deletes_nothing_and_ends_the_questions_line(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    (library / "tides.md").unlink()
    result = runner.invoke(app, ["sync", str(library), "--out", str(out), "--collection", str(target), "--prune"],
                           input="")
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith("Delete them from the collection? [y/N]:\n")
    assert "Deleted 0 of 6 notes of vanished snips." in result.stdout.splitlines()
    assert len(collection_notes(target)) > 6


def test_prune_lists_one_plain_line_a_note_and_the_summary_follows_what_was_done(library, tmp_path):
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    (library / "tides.md").unlink()
    args = ["sync", str(library), "--out", str(out), "--collection", str(target), "--prune"]
    declined = runner.invoke(app, args, input="n\n")
    assert declined.exit_code == 0, declined.output
    points = ["Most coasts therefore see two high tides every 24 hours and 50 minutes.",
              "Spring tides happen when the Sun and the Moon line up at new and full moon.",
              "The Moon's gravity raises two tidal bulges on opposite sides of the Earth."]
    listed = [f"  {kind} · Why the Tides Turn · {point}" for point in points for kind in ("cloze", "Q&A  ")]
    assert declined.stderr.splitlines() == ["6 notes of snips no longer in your notes:", *listed,
                                            "Delete them from the collection? [y/N]:"]
    gone = next(line for line in declined.stdout.splitlines() if line.startswith("No longer in the sources"))
    assert gone.startswith("No longer in the sources (Anki keeps their notes; cards sync --prune deletes them, "
                           "after asking): ")
    accepted = runner.invoke(app, args, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Deleted 6 of 6 notes of vanished snips." in accepted.stdout.splitlines()
    assert "No longer in the sources" not in accepted.stdout


CTRL_C = "\x03"  # an answer to `in_a_terminal`'s question: Ctrl-C


def _as_a_shell_starts_it() -> None:
    """Ctrl-C as a shell leaves it to a command it starts: a test run that ignores SIGINT (some runners do)
    would pass that on, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def in_a_terminal(args: list[str], answers: dict[str, str], timeout: float = 120) -> tuple[list[str], int]:
    """Run `cards` on a terminal of its own (a pty: progress bars show, questions are read from it),
    answering each question that appears; returns the lines as the terminal shows them, and the exit code.

    The answer CTRL_C is SIGINT, as a terminal sends it for Ctrl-C (the pty is not the process's controlling
    terminal, so typing \x03 on it would not).

    A password is typed only once the terminal stops echoing: getpass turns echo off with TCSAFLUSH,
    which throws away whatever was typed before.
    """
    import pty
    import re
    import select
    import termios

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "cards", *args], stdin=follower, stdout=follower,
                               stderr=follower, close_fds=True, preexec_fn=_as_a_shell_starts_it)
    os.close(follower)
    received, pending = b"", dict(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the process ended and closed its side
                break
            if not chunk:
                break
            received += chunk
        echoing = bool(termios.tcgetattr(leader)[3] & termios.ECHO)
        for question in [q for q in pending if q.encode() in received]:
            if question.startswith("Password") and echoing:
                continue
            answer = pending.pop(question)
            if answer == CTRL_C:
                process.send_signal(signal.SIGINT)
            else:
                os.write(leader, answer.encode() + b"\n")
        if process.poll() is not None and not ready:
            break
    process.wait(timeout=10)
    os.close(leader)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", received.decode("utf-8", "replace"))
    shown = [line.split("\r")[-1] for line in text.replace("\r\n", "\n").split("\n")]  # what stays on screen
    return shown, process.returncode


def test_every_question_starts_a_line_of_its_own_after_the_progress_bars(library, tmp_path, server, monkeypatch):
    monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    args = ["sync", str(library), "--out", str(out), "--collection", str(target), "--server", server,
            "--user", "reader"]
    shown, _ = in_a_terminal([*args, "--create"], {"Password for reader": "secret"})
    assert f"Password for reader on {server}: " in shown, shown
    assert any(line.startswith("reading ") for line in shown), shown  # the bars were there
    (library / "tides.md").unlink()
    shown, _ = in_a_terminal([*args, "--prune"], {"Delete them from the collection?": "n"})
    assert any(line.startswith("checking ") for line in shown), shown
    question = shown.index("6 notes of snips no longer in your notes:")  # not at the end of the bar's line
    # click writes the prompt's last space when it reads the answer: the echoed answer may come first
    assert shown[question + 7].startswith("Delete them from the collection? [y/N]:"), shown


def test_a_build_into_the_same_folder_waits_while_a_sync_reads_its_state(library, tmp_path):
    """The sync holds the output folder's lock from its build to its end, as a build does."""
    from cards.build import build
    from cards.errors import BusyError

    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    edit(library)
    refused: list[str] = []

    def build_meanwhile(stage: str, done: int, total: int) -> None:
        if stage == "checking" and not refused:  # the sync's own stage: after its build, before the import
            try:
                build([library], out, lock_wait=0.5)
            except BusyError as error:
                refused.append(str(error))
            else:
                refused.append("built")

    report = sync([library], out, SyncOptions(collection=target), progress=build_meanwhile)
    assert refused == [f"{out}: another cards build is writing into this folder (waited 0.5 s); "
                       "let it finish and run again"]
    assert (report.added, report.updated) == (2, 2)


def test_a_backup_from_before_the_upgrade_restored_gets_what_it_lacks(library, tmp_path):
    """Once the collection holds its record, the state's old `synced` table no longer speaks for it."""
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    forget_records(target)  # the earlier version kept no record in the collection
    edit(library)
    second = run_sync(library, out, target)  # the earlier version's second sync, after its backup
    assert (second.added, second.updated) == (2, 2) and second.backup is not None
    as_an_earlier_version_left_it(out, target)
    upgrade = run_sync(library, out, target)  # the first sync of this version: seeded from the old table
    assert (upgrade.added, upgrade.updated) == (0, 0)
    after_upgrade = collection_notes(target)
    restore(target, second.backup)  # a backup made before the upgrade, without the new snip's notes
    assert len(collection_notes(target)) == len(after_upgrade) - 2
    again = run_sync(library, out, target)
    assert (again.added, again.updated) == (2, 2)
    assert collection_notes(target) == after_upgrade


def test_a_dry_run_reads_a_state_in_a_read_only_folder(library, tmp_path):
    """A dry run only copies the state: an output folder it cannot write into (a read-only mount) is no error."""
    from test_cli import mounted_tmpfs

    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    out.mkdir()
    if not mounted_tmpfs(out, "size=4m"):
        pytest.skip("cannot mount a tmpfs here (needs root on Linux)")
    try:
        run_sync(library, out, target)
        edit(library)
        subprocess.run(["mount", "-o", "remount,ro", str(out)], check=True)
        result = runner.invoke(app, ["sync", str(library), "--out", str(out), "--collection", str(target),
                                     "--dry-run"])
    finally:
        subprocess.run(["umount", str(out)], check=True)
    assert result.exit_code == 0, result.output
    assert "Dry run: 4 notes would be imported" in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM and SIGHUP are POSIX signals")
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP"])
def test_a_terminated_create_sync_removes_what_it_made(library, tmp_path, stop):
    """`kill` or a closed terminal while the server does not answer: the new collection, its files and the
    folders made for it go, as after Ctrl-C, and the exit code is the shell's for that signal."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)

    def answer_late() -> None:  # takes the connection and closes it after a while: the signal comes meanwhile
        with suppress(OSError):
            connection, _ = silent.accept()
            time.sleep(2)
            connection.close()

    threading.Thread(target=answer_late, daemon=True).start()
    target = tmp_path / "Anki2" / "new profile" / "collection.anki2"
    running = subprocess.Popen(
        [sys.executable, "-m", "cards", "sync", str(library), "--out", str(tmp_path / "decks"), "--collection",
         str(target), "--create", "--server", f"http://127.0.0.1:{silent.getsockname()[1]}/", "--user", "reader"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "CARDS_SYNC_PASSWORD": "x"})
    try:
        deadline = time.monotonic() + 60
        while not target.exists() and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)  # on its way to the server
        running.send_signal(getattr(signal, stop))
        _, err = running.communicate(timeout=60)
    finally:
        silent.close()
    assert (running.returncode, err.splitlines()[-1]) == (
        128 + getattr(signal, stop), "error: interrupted: nothing is lost; the next build finishes the work")
    assert not (tmp_path / "Anki2").exists()


def test_the_session_file_keeps_a_key_for_each_server_and_takes_back_only_its_own(tmp_path, monkeypatch):
    """Two collections in one folder, two servers: neither's key overwrites the other's; a failed sync takes
    back the key it wrote, and not one another sync wrote since."""
    monkeypatch.setattr("cards.server._keyring_call", lambda *args: server_module._NO_KEYRING)
    first = SessionStore(tmp_path / "a.anki2", "http://127.0.0.1:1/", "reader")
    second = SessionStore(tmp_path / "b.anki2", "http://127.0.0.1:2/", "reader")
    first.save("key one")
    second.save("key two")
    assert (first.load(), second.load()) == ("key one", "key two")
    assert stat.S_IMODE(os.stat(tmp_path / SESSION_FILE).st_mode) == 0o600
    second.discard_saved()  # its sync failed
    assert (first.load(), second.load()) == ("key one", None)
    again = SessionStore(tmp_path / "b.anki2", "http://127.0.0.1:1/", "reader")
    again.save("key three")  # another sync, same server and user as the first: the newer key
    first.discard_saved()  # the first run fails late: the key is not the one it wrote
    assert first.load() == "key three"
    again.forget()
    assert not (tmp_path / SESSION_FILE).exists()
    (tmp_path / SESSION_FILE).write_text('{"endpoint": "http://127.0.0.1:1/", "user": "reader", "hkey": "old"}')
    assert first.load() == "old"  # a file an earlier version wrote


def test_a_session_file_that_is_a_folder_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr("cards.server._keyring_call", lambda *args: server_module._NO_KEYRING)
    (tmp_path / SESSION_FILE).mkdir()
    with pytest.raises(CardsError) as raised:
        SessionStore(tmp_path / "c.anki2", "http://127.0.0.1:1/", "reader").save("key")
    assert str(raised.value) == (f"{tmp_path / SESSION_FILE}: the sync server's session key cannot be kept there "
                                 "(Is a directory); move what is there aside and run again")


# --- Ctrl-C at a question: the command stops as it does anywhere else --------------------------

INTERRUPTED = "error: interrupted: nothing is lost; the next build finishes the work"


class Typing(io.BytesIO):
    """Standard input as a user gives it: these answers, then `then` (Ctrl-C) where more would be read.

    `terminal`: whether it is a terminal, as `isatty` says (the runner's standard input is not one).
    """

    def __init__(self, answers: bytes, terminal: bool, then: BaseException):
        super().__init__(answers)
        self.terminal, self.then = terminal, then

    def isatty(self) -> bool:
        return self.terminal

    def read(self, size: int | None = -1) -> bytes:
        return self.more(super().read(size))

    def read1(self, size: int = -1) -> bytes:
        return self.more(super().read1(size))

    def more(self, data: bytes) -> bytes:
        if not data:
            raise self.then
        return data


def typing(monkeypatch, answers: str = "", *, terminal: bool = True,
           then: BaseException | None = None) -> None:
    """The runner's standard input from now on: `answers`, then Ctrl-C (or `then`: EOFError for Ctrl-D)."""
    monkeypatch.setattr("typer.testing.make_input_stream",
                        lambda input, charset: Typing(answers.encode(charset), terminal, then or KeyboardInterrupt()))


@pytest.mark.parametrize(("terminal", "then", "code", "error"), [
    (True, KeyboardInterrupt(), 130, INTERRUPTED),
    (False, KeyboardInterrupt(), 130, INTERRUPTED),
    (True, Terminated(signal.SIGTERM), 143, INTERRUPTED),
    (True, EOFError(), 2, "error: --user me: no password was given; type it when asked, or set CARDS_SYNC_PASSWORD"),
])
def test_ctrl_c_at_the_password_question_stops_the_sync_and_makes_nothing(library, tmp_path, monkeypatch,
                                                                          terminal, then, code, error):
    """It was a missing password (exit 2), as the end of standard input (Ctrl-D) still is."""
    monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)
    typing(monkeypatch, terminal=terminal, then=then)
    result = cli(library, tmp_path / "decks", tmp_path / "anki" / "collection.anki2", "--create", "--server",
                 "http://127.0.0.1:9/", "--user", "me")
    # On a terminal click asks (its last space goes where getpass writes), else cards reads the line itself.
    question = "Password for me on http://127.0.0.1:9/:" + ("" if terminal else " ")
    assert (result.exit_code, result.stderr) == (code, f"{question}\n{error}\n")
    assert result.stdout == (" \n" if terminal else "")
    assert list(tmp_path.iterdir()) == [library]


def test_ctrl_c_at_a_real_password_prompt_shows_it_once_and_exits_130(library, tmp_path, monkeypatch):
    """getpass itself, on a terminal: the question once, then the interrupt's line."""
    monkeypatch.delenv("CARDS_SYNC_PASSWORD", raising=False)
    args = ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection",
            str(tmp_path / "anki" / "collection.anki2"), "--create", "--server", "http://127.0.0.1:9/", "--user", "me"]
    shown, code = in_a_terminal(args, {"Password for me": CTRL_C})
    assert (code, [line.rstrip() for line in shown if line]) == (
        130, ["Password for me on http://127.0.0.1:9/:", INTERRUPTED])  # getpass's own space may come after echo
    assert list(tmp_path.iterdir()) == [library]


@pytest.fixture
def silent_server():
    """A server that takes connections and never answers (a hung sync server): Anki waits 30 s for it."""
    listener = socket.create_server(("127.0.0.1", 0))
    taken: list[socket.socket] = []

    def take() -> None:
        with suppress(OSError):
            while True:
                taken.append(listener.accept()[0])

    threading.Thread(target=take, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/", taken
    listener.close()
    for connection in taken:
        connection.close()


def interrupt_a_waiting_sync(library: Path, folder: Path, silent: tuple[str, list], signals: list[int],
                             pause: float) -> tuple[int, str]:
    """`cards sync --create` into `folder` with a server that never answers: once its request has reached the
    server and `pause` seconds more, send `signals` a millisecond apart; its exit code and standard error."""
    url, taken = silent
    reached = len(taken)
    process = subprocess.Popen(
        [sys.executable, "-m", "cards", "sync", str(library), "--out", str(folder / "decks"), "--collection",
         str(folder / "anki" / "collection.anki2"), "--create", "--server", url, "--user", "me"],
        env={**os.environ, "CARDS_SYNC_PASSWORD": "secret"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=_as_a_shell_starts_it)
    deadline = time.monotonic() + 60
    while len(taken) == reached and time.monotonic() < deadline:  # the login's request reached the server
        time.sleep(0.01)
    assert len(taken) > reached, "the sync never reached the server"
    time.sleep(pause)  # and waits for its answer
    for signum in signals:
        process.send_signal(signum)
        time.sleep(0.001)
    try:
        _, stderr = process.communicate(timeout=10)  # not Anki's 30 s
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the signal did not stop the sync while the server was silent")
    return process.returncode, stderr


def test_ctrl_c_while_a_server_does_not_answer_stops_the_sync_at_once(library, tmp_path, silent_server):
    """Ctrl-C waited for Anki's 30-second timeout: the main thread was inside Anki's backend, which does not see
    signals. Now the request is given up at once, and nothing is left behind."""
    code, stderr = interrupt_a_waiting_sync(library, tmp_path, silent_server, [signal.SIGINT], 0.5)
    assert (code, stderr.strip().splitlines()) == (130, [INTERRUPTED])
    assert not (tmp_path / "anki").exists()  # the collection it was creating is not left behind


@pytest.mark.parametrize(("signals", "code"), [([signal.SIGINT] * 4, 130), ([signal.SIGTERM, signal.SIGHUP], 143)])
def test_a_second_signal_does_not_cut_the_first_ones_cleanup_short(library, tmp_path, silent_server, signals, code):
    """Ctrl-C pressed again at once, or SIGTERM then SIGHUP (as a service manager sends them): the cleanup the first
    began was cut short, and left a half-made collection, no line or two, or a traceback."""
    for attempt in range(3):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        assert interrupt_a_waiting_sync(library, folder, silent_server, signals, 0) == (code, INTERRUPTED + "\n")
        assert list(folder.iterdir()) == []


def test_an_interrupted_request_has_ended_before_the_interrupt_goes_on():
    """The collection is closed after an interrupt: not while Anki still works on the request. (Thread.join, once
    interrupted, may say a running thread has ended: bpo-45274.)"""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # some runners ignore SIGINT
    released, ended, aborted = threading.Event(), [], []

    def request() -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the request waits for the server
        released.wait(10)
        ended.append(True)

    def abort() -> None:  # as Anki's: the request ends soon after, not at once
        aborted.append(True)
        threading.Timer(0.3, released.set).start()

    try:
        with pytest.raises(KeyboardInterrupt):
            server_module.interruptible(request, abort)
    finally:
        signal.signal(signal.SIGINT, before)
    assert (aborted, ended) == ([True], [True])


@pytest.mark.parametrize(("then", "code"), [(KeyboardInterrupt(), 130), (Terminated(signal.SIGTERM), 143)])
def test_ctrl_c_at_the_prune_question_deletes_nothing_and_stops_the_sync(library, tmp_path, monkeypatch, then, code):
    """It was a no: the sync went on, synced with the server, and ended with exit code 0."""
    out, target = tmp_path / "decks", tmp_path / "anki" / "collection.anki2"
    run_sync(library, out, target)
    before = collection_notes(target)
    (library / "tides.md").unlink()
    typing(monkeypatch, then=then)
    result = cli(library, out, target, "--prune")
    assert (result.exit_code, result.stderr.splitlines()[-2:]) == (
        code, ["Delete them from the collection? [y/N]:", INTERRUPTED])
    assert result.stdout == " "  # the question's last space: no summary of a sync that did not finish
    assert collection_notes(target) == before
    assert not list(target.parent.glob("backups/*.colpkg"))  # nothing was about to change


@pytest.mark.parametrize(("existing", "answered"), [(False, 0), (False, 3), (True, 5)])
def test_ctrl_c_at_an_init_question_writes_nothing_and_exits_130(fixtures, seeds, tmp_path, monkeypatch,
                                                                 existing, answered):
    """At the first question, in the middle, or at `Replace …?`: it was exit code 1."""
    _, _, config = a_home(fixtures, seeds, tmp_path, monkeypatch)
    if existing:
        assert cards("init", input="\n" * 5).exit_code == 0
    before = config.read_bytes() if existing else None
    typing(monkeypatch, "\n" * answered)
    result = cards("init")
    assert (result.exit_code, result.stderr) == (130, f"\n{INTERRUPTED}\n")
    assert (config.read_bytes() if config.exists() else None) == before
