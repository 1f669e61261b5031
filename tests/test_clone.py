"""A fresh clone: no ../shared beside it, and every test that needs it says why it skips."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import ROOT


def test_a_clone_without_shared_skips_saying_why(tmp_path):
    clone = tmp_path / "clone"  # no tmp_path / "shared" beside it
    for part in ("tests", "seeds"):
        shutil.copytree(ROOT / part, clone / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", clone)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/test_end_to_end.py::test_seed_note_gives_one_episode_package",
         "tests/test_parse.py::test_seed_note_quote_post_complete", "tests/test_parse.py::test_plugin_shape"],
        cwd=clone, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    reasons = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(reasons) == 3 and "Snipd's format examples" in reasons[-1] and "a real Snipd export" in reasons[0]
    for line in reasons:
        assert "from ../shared/" in line and "not in the repository" in line and "a clone has no ../shared" in line


def test_the_readme_says_why_tests_skip():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" in readme and "pytest -q -rs" in readme
