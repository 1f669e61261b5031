from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_NOTE = SHARED / "seeds" / "000_a2ce4d61f4a9f45f.txt"
# Why a test skips in a fresh clone: said where pytest -rs (and the summary) shows it.
SHARED_MISSING = (
    "needs {what} from ../shared/{where}, a folder kept beside the checkout, not in the repository; "
    "a clone has no ../shared, so this test is skipped (CI and the project's own machines have it)"
)

# No test may read or write the keyring of the machine it runs on (cards keeps sync session keys
# there): keyring's "no keyring" backend, for this process and every `cards` process it starts.
# A test that needs a keyring puts an in-memory one in place (tests/test_sync.py).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def no_users_settings(tmp_path_factory, monkeypatch) -> Path:
    """No test reads the machine's own settings or Anki profiles, or writes into its user folders.

    The configuration file is one that does not exist (a test that wants one sets CARDS_CONFIG),
    the user data and config folders (platformdirs: XDG_* on Linux) are empty folders of the test's
    own, and Anki's data folder is found there too. Set for every `cards` process a test starts.
    """
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("CARDS_CONFIG", str(home / "no-config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("ANKI_BASE", raising=False)
    return home


@pytest.fixture
def seed_note() -> Path:
    """The real Snipd note in ../shared/seeds (skipped when shared/ is absent)."""
    if not SEED_NOTE.exists():
        pytest.skip(SHARED_MISSING.format(what="a real Snipd export", where="seeds/"))
    return SEED_NOTE


@pytest.fixture
def shared_examples() -> Path:
    """Snipd's export shapes, one example file each, in ../shared/formats/examples (skipped when absent)."""
    folder = SHARED / "formats" / "examples"
    if not folder.exists():
        pytest.skip(SHARED_MISSING.format(what="Snipd's format examples", where="formats/examples/"))
    return folder


@pytest.fixture
def seed_note_if_any() -> list[Path]:
    """The real Snipd note when ../shared is here, else nothing: for tests that run either way."""
    return [SEED_NOTE] if SEED_NOTE.exists() else []


@pytest.fixture
def seeds() -> Path:
    return ROOT / "seeds"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def in_a_deleted_folder(tmp_path, monkeypatch) -> None:
    """The working folder is one that was deleted after the shell went into it."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
