"""What is on this computer: Anki's profiles, and folders of Snipd notes (for `cards init` to suggest).

Nothing here changes anything, and every look is bounded (how deep, how
many folders, how many files), so that a home folder of any size is looked
through in a moment.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from cards.errors import NoCollectionError, UsageError

COLLECTION_FILE = "collection.anki2"
SNIPD_FOLDER = "snipd"  # Snipd's Obsidian plugin exports into a folder of this name (in any case) by default
DEPTH = 3  # folders below each likely place that are looked into
MAX_FOLDERS = 4000  # folders listed in all, whatever the home folder holds
MAX_FILES = 2000  # note files looked at in each folder suggested
# Folders that hold no notes, only a great many files.
SKIPPED = frozenset({"node_modules", "site-packages", "__pycache__", "Library", "AppData", "snap", "go", "venv"})


def anki_base(environ: Mapping[str, str] | None = None) -> Path:
    """Anki desktop's data folder on this system (ANKI_BASE, as for Anki itself, overrides it)."""
    environ = os.environ if environ is None else environ
    if environ.get("ANKI_BASE"):
        return Path(environ["ANKI_BASE"]).expanduser()
    if sys.platform == "win32":
        return Path(environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "Anki2"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Anki2"
    return Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "Anki2"


def anki_profiles(base: Path) -> list[str]:
    """The names of the Anki profiles in `base` that have a collection, sorted."""
    return sorted(path.parent.name for path in base.glob(f"*/{COLLECTION_FILE}"))


def find_collection(collection: Path | str | None, profile: str | None,
                    environ: Mapping[str, str] | None = None) -> Path:
    """The collection `cards sync` opens: `collection`, else that of the named (or the only) Anki profile.

    One rule for `cards sync` and `cards config`, which shows what a sync would open or why it would stop.
    """
    if collection is not None:
        if os.fspath(collection) == "":
            raise UsageError(f"--collection is empty: name an Anki collection file ({COLLECTION_FILE})")
        # As Anki spells it (`os.path.abspath`: `..` taken away as text), so that the file checked, backed up
        # and cleaned up is the one Anki opens, even when a link comes before the `..`.
        try:
            path = Path(os.path.abspath(Path(collection).expanduser()))
        except FileNotFoundError:  # a relative path, from a working folder that was deleted meanwhile
            raise UsageError(f"{collection}: the current folder no longer exists; give --collection as a full "
                             "path, or change to a folder that exists") from None
        except RuntimeError:  # `~nobody/…`
            raise UsageError(f"{collection}: --collection starts with a ~ that names no user on this computer; "
                             "give the path in full") from None
        try:
            folder = path.is_dir()
            special = path.exists() and not folder and not path.is_file()
        except OSError as error:  # a name too long for the file system, say
            raise UsageError(f"{path}: --collection cannot name a file here ({error.strerror or error}); name "
                             "another file") from None
        if folder:
            raise UsageError(f"{path}: --collection names a folder; name the collection file ({COLLECTION_FILE})")
        if special:  # a pipe, a socket, a device: Anki's own error for it reads as a damaged collection
            raise UsageError(f"{path}: --collection names no ordinary file (a pipe or a device?); name the "
                             f"collection file ({COLLECTION_FILE})")
        return path
    base = anki_base(environ)
    profiles = anki_profiles(base)
    if profile is not None:
        if profile not in profiles:
            raise NoCollectionError(f"{base}: no Anki profile named {profile!r} (found: "
                                    f"{', '.join(profiles) or 'none'})")
        return (base / profile / COLLECTION_FILE).absolute()
    if not profiles:
        raise NoCollectionError(f"{base}: no Anki profile found; open Anki once, or name a collection "
                                "with --collection FILE")
    if len(profiles) > 1:
        raise NoCollectionError(f"{base}: several Anki profiles ({', '.join(profiles)}); choose one with --profile")
    return (base / profiles[0] / COLLECTION_FILE).absolute()


class NotesFolder(NamedTuple):
    """A folder that holds Snipd notes, and how many (of the first `MAX_FILES` note files in it)."""

    path: Path
    notes: int


def snipd_folders(home: Path | None = None, environ: Mapping[str, str] | None = None) -> list[NotesFolder]:
    """Folders of Snipd notes: most notes first.

    Looked for in the Obsidian vaults that Obsidian knows of, and in the
    likely places (the home folder, ~/Obsidian, ~/Documents, cloud drives):
    a vault's `Snipd` folder (where Snipd's Obsidian plugin exports), else
    the vault itself, and any other folder called Snipd.
    """
    home = home or Path.home()
    environ = os.environ if environ is None else environ
    vaults, named = _look_around(home, environ)
    candidates: dict[Path, None] = {}
    for vault in vaults:
        inside = [child for child in _subfolders(vault) if child.name.casefold() == SNIPD_FOLDER]
        candidates.update(dict.fromkeys(inside or [vault]))
    candidates.update(dict.fromkeys(named))
    found = [NotesFolder(path, count) for path in candidates if (count := count_snipd_notes(path))]
    return sorted(found, key=lambda folder: (-folder.notes, str(folder.path)))


def count_snipd_notes(folder: Path) -> int:
    """How many of the first `MAX_FILES` note files in `folder` (and below) look like Snipd notes."""
    from cards.parse import find_sources, is_snipd_note

    files = find_sources([folder]).sources[:MAX_FILES]
    return sum(1 for path in files if is_snipd_note(path))


def obsidian_vaults(home: Path, environ: Mapping[str, str]) -> list[Path]:
    """The vaults listed in Obsidian's own settings (obsidian.json), that exist."""
    vaults = []
    for settings in _obsidian_settings(home, environ):
        try:
            listed = json.loads(settings.read_text(encoding="utf-8")).get("vaults", {})
        except (OSError, ValueError, AttributeError):
            continue
        for vault in listed.values() if isinstance(listed, dict) else ():
            path = Path(str(vault.get("path", ""))) if isinstance(vault, dict) else None
            if path and path.is_absolute() and path.is_dir():
                vaults.append(path)
    return vaults


def _obsidian_settings(home: Path, environ: Mapping[str, str]) -> list[Path]:
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    return [
        config / "obsidian" / "obsidian.json",  # Linux
        home / ".var" / "app" / "md.obsidian.Obsidian" / "config" / "obsidian" / "obsidian.json",  # Flatpak
        home / "Library" / "Application Support" / "obsidian" / "obsidian.json",  # macOS
        Path(environ.get("APPDATA") or home / "AppData" / "Roaming") / "obsidian" / "obsidian.json",  # Windows
    ]


def likely_places(home: Path) -> list[Path]:
    """Where notes usually are: the home folder, Obsidian's and the documents folder, cloud drives."""
    return [home / "Obsidian", home / "Documents", home / "Dropbox", home / "OneDrive", home / "iCloudDrive",
            home / "Library" / "Mobile Documents" / "iCloud~md~obsidian" / "Documents", home]


def _look_around(home: Path, environ: Mapping[str, str]) -> tuple[list[Path], list[Path]]:
    """Vaults (folders holding `.obsidian`) and folders called Snipd, in the likely places."""
    vaults = dict.fromkeys(obsidian_vaults(home, environ))
    named: dict[Path, None] = {}
    seen: set[Path] = set()
    for place in likely_places(home):
        for folder in _walk(place, DEPTH, seen):
            if (folder / ".obsidian").is_dir():
                vaults[folder] = None
            if folder.name.casefold() == SNIPD_FOLDER:
                named[folder] = None
    return list(vaults), list(named)


def _walk(top: Path, depth: int, seen: set[Path]) -> Iterator[Path]:
    """`top` and the folders below it, `depth` levels deep, skipping hidden and bulky ones and those `seen`."""
    if top in seen or len(seen) >= MAX_FOLDERS or not top.is_dir():
        return
    seen.add(top)
    yield top
    if depth == 0:
        return
    for child in _subfolders(top):
        if not child.name.startswith(".") and child.name not in SKIPPED:
            yield from _walk(child, depth - 1, seen)


def _subfolders(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as listing:
            return sorted(Path(entry.path) for entry in listing if entry.is_dir(follow_symlinks=False))
    except OSError:
        return []
