"""`cards sync`, proved with Anki's own engine and Anki's own sync server on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ankitools import Collection, fresh_collection, import_package
from test_regenerate import NEW_SNIP, NEW_WORDING, OLD_WORDING, scheduling, study
from typer.testing import CliRunner

from cards.cli import app
from cards.notetypes import CLOZE_NAME
from cards.server import SESSION_FILE
from cards.sync import SyncOptions, sync

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
            1, f"error: {target}: Anki has this collection open; close Anki and run again")
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
    accepted = runner.invoke(app, [*args, "--yes"])
    assert accepted.exit_code == 0, accepted.output
    left = collection_notes(target)
    assert not tides & set(left)
    assert mine.guid in left and basic.guid in left
    backups = list((target.parent / "backups").glob("*.colpkg"))
    assert backups  # taken before anything was deleted


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
    base = ["sync", str(library), "--out", str(tmp_path / "decks"), "--collection", str(desk), "--create",
            "--user", "reader"]
    monkeypatch.setenv("CARDS_SYNC_PASSWORD", "wrong")
    result = runner.invoke(app, [*base, "--server", server])
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: {server}: the sync server did not accept the user name or password; check them "
           "(or CARDS_SYNC_PASSWORD) and run again")
    closed = f"http://127.0.0.1:{free_port()}/"
    result = runner.invoke(app, [*base, "--server", closed])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {closed}: cannot reach the sync server (")
    assert result.stderr.strip().endswith("check the address and your connection, then run again")
    assert len(result.stderr.strip().splitlines()) == 1
    col = Collection(str(desk))
    assert col.note_count() == 0  # the local collection stays consistent (and empty)
    col.close()


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
