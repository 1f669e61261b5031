from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_NOTE = SHARED / "seeds" / "000_a2ce4d61f4a9f45f.txt"

# No test may read or write the keyring of the machine it runs on (cards keeps sync session keys
# there): keyring's "no keyring" backend, for this process and every `cards` process it starts.
# A test that needs a keyring puts an in-memory one in place (tests/test_sync.py).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture
def seed_note() -> Path:
    """The real Snipd note in ../shared/seeds (skipped when shared/ is absent)."""
    if not SEED_NOTE.exists():
        pytest.skip("../shared/seeds is not here")
    return SEED_NOTE


@pytest.fixture
def shared_examples() -> Path:
    folder = SHARED / "formats" / "examples"
    if not folder.exists():
        pytest.skip("../shared/formats/examples is not here")
    return folder


@pytest.fixture
def seeds() -> Path:
    return ROOT / "seeds"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
