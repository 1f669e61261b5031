"""What cards init suggests: Anki's profiles and folders of Snipd notes, found as they are on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ankitools import fresh_collection

from cards.discover import anki_base, anki_profiles, count_snipd_notes, find_collection, snipd_folders
from cards.errors import UsageError


def ordinary_notes(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"note {number}.md").write_text(f"# Thought {number}\n\nNothing from Snipd.\n", encoding="utf-8")


def test_anki_profiles_are_the_folders_with_a_collection(tmp_path):
    base = tmp_path / "Anki2"
    fresh_collection(base / "User 1").close()
    fresh_collection(base / "Work").close()
    (base / "addons21").mkdir()  # Anki's own folders hold no collection
    assert anki_profiles(base) == ["User 1", "Work"]
    assert anki_base({"ANKI_BASE": str(base)}) == base
    assert anki_base({"XDG_DATA_HOME": str(tmp_path / "data")}) == tmp_path / "data" / "Anki2"


def test_snipd_folders_in_vaults_and_elsewhere_most_notes_first(fixtures, seeds, tmp_path):
    home = tmp_path / "home"
    vault = home / "Obsidian" / "Main"  # a vault with Snipd's plugin folder and 30 ordinary notes
    (vault / ".obsidian").mkdir(parents=True)
    ordinary_notes(vault / "Daily", 30)
    shutil.copytree(seeds / "Snipd", vault / "Snipd")
    shutil.copy(fixtures / "plugin" / "tides.md", vault / "Snipd" / "Data" / "tides.md")
    exported = home / "Documents" / "Snipd"  # Snipd's export to a folder, no vault
    exported.mkdir(parents=True)
    shutil.copy(seeds / "export" / "snipd-export.md", exported)
    elsewhere = tmp_path / "drive" / "Notes"  # a vault Obsidian knows of, outside the likely places
    (elsewhere / ".obsidian").mkdir(parents=True)
    shutil.copy(seeds / "readwise" / "how-ocean-currents-shape-climate.md", elsewhere)
    listing = tmp_path / "config" / "obsidian" / "obsidian.json"
    listing.parent.mkdir(parents=True)
    listing.write_text(json.dumps({"vaults": {"a1": {"path": str(elsewhere), "ts": 1}, "b2": {"path": "/gone"}}}),
                       encoding="utf-8")
    plain = home / "Obsidian" / "Plain"  # a vault with no Snipd note: not suggested
    (plain / ".obsidian").mkdir(parents=True)
    ordinary_notes(plain, 5)
    found = snipd_folders(home, {"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert found == [(vault / "Snipd", 2), (elsewhere, 1), (exported, 1)]
    assert count_snipd_notes(vault) == 2 and count_snipd_notes(plain) == 0


def test_a_home_with_nothing_suggests_nothing(tmp_path):
    ordinary_notes(tmp_path / "home" / "Documents", 3)
    assert snipd_folders(tmp_path / "home", {}) == []


def test_a_link_before_dot_dot_names_the_collection_anki_opens(tmp_path):
    """Anki takes `..` away as text (`os.path.abspath`), not after following a link: cards names the same file,
    so the collection it checks, backs up and imports into is the one Anki opens."""
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "profile").mkdir()
    (tmp_path / "profile" / "link").symlink_to(tmp_path / "real" / "sub")
    fresh_collection(tmp_path / "profile").close()
    found = find_collection(tmp_path / "profile" / "link" / ".." / "collection.anki2", None)
    assert found == tmp_path / "profile" / "collection.anki2" and found.is_file()


@pytest.mark.usefixtures("in_a_deleted_folder")
def test_a_relative_collection_from_a_deleted_folder_says_what_to_do():
    with pytest.raises(UsageError) as raised:
        find_collection("profile/collection.anki2", None)
    assert str(raised.value) == ("profile/collection.anki2: the current folder no longer exists; give --collection "
                                 "as a full path, or change to a folder that exists")


def test_a_collection_name_too_long_for_the_file_system_is_a_usage_error(tmp_path):
    long = tmp_path / ("a" * 300 + ".anki2")
    with pytest.raises(UsageError) as raised:
        find_collection(long, None)
    assert str(raised.value) == f"{long}: --collection cannot name a file here (File name too long); name another file"
