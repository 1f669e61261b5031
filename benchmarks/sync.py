"""`cards sync` on a heavy listener's library: what the sync adds to the build, and the record's size.

    python benchmarks/sync.py                 # 1,000 episodes, 32,000 notes
    python benchmarks/sync.py --episodes 200

Uses speed.py's library. Each step runs `cards sync` as its own process into
one collection, and `cards build` of the same sources into another folder;
it prints both times and the sync's extra time as a share of the build's:

- the first sync, into a new collection;
- a sync with nothing changed;
- a sync after one new snip;
- a sync after every note changed (a word of every transcript), with the
  user's edits on a hundred notes, which are kept;

then the size of what cards records in the collection's settings (Anki
sends the settings whole at every sync).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import make_library, snip_text


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cards-sync-bench-") as scratch:
        work = Path(scratch)
        library = work / "library"
        make_library(library, args.episodes)
        collection = work / "anki" / "collection.anki2"
        sync = [sys.executable, "-m", "cards", "sync", str(library), "--out", str(work / "decks"),
                "--collection", str(collection), "--create"]
        build = [sys.executable, "-m", "cards", "build", str(library), "--out", str(work / "built")]

        def step(name: str) -> None:
            synced, built = timed(sync), timed(build)
            print(f"{name:<34} sync {synced:6.2f} s   build {built:6.2f} s   sync/build {synced / built:5.2f}x")

        step("first sync (new collection)")
        step("nothing changed")
        first = sorted(library.rglob("*.md"))[0]
        with first.open("a", encoding="utf-8") as out:
            out.write(snip_text(999_999, 1, random.Random(1)))
        step("one new snip")
        edit_a_hundred_notes(collection)
        for path in library.rglob("*.md"):
            path.write_text(path.read_text(encoding="utf-8").replace(" slow ", " patient "), encoding="utf-8")
        step("every note changed, 100 edited")
        print(record_size(collection))


def edit_a_hundred_notes(collection: Path) -> None:
    """The user's own edits, as Anki would make them."""
    from anki.collection import Collection

    col = Collection(str(collection))
    for note_id in col.find_notes("")[:100]:
        note = col.get_note(note_id)
        note.fields[0] += " (my note)"
        col.update_note(note)
    col.close()


def record_size(collection: Path) -> str:
    from anki.collection import Collection

    col = Collection(str(collection))
    try:
        records = {key: value for key, value in col.all_config().items() if key.startswith("cards:delivered:")}
        size = sum(len(json.dumps(value)) for value in records.values())
        notes = col.note_count()
        kept = sum(1 for note_id in col.find_notes("") if "(my note)" in col.get_note(note_id).fields[0])
    finally:
        col.close()
    return (f"record: {len(records)} settings, {size / 1e6:.2f} MB for {notes} notes ({size / notes:.0f} bytes a "
            f"note); user's edits kept on {kept} of 100 notes")


if __name__ == "__main__":
    main()
