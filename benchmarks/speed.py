"""Build speed and memory on a heavy listener's library, against a genanki floor.

    python benchmarks/speed.py                 # 4,000 episodes, 32,000 snips
    python benchmarks/speed.py --episodes 400  # smaller
    python benchmarks/speed.py --episodes 1000 --repeat 3 --no-big-source  # medians of three rounds

Generates a synthetic library (Snipd plugin shape: 8 snips an episode, two key
points a snip, transcripts of about 150 words, two tags an episode out of
ten), then measures in one run:

- the full build (fresh output folder);
- a rebuild with nothing changed;
- a rebuild after one new snip in one episode;
- the floor: a minimal genanki script writing the same number of notes, with
  ready-made fields of the same size, one package per episode and one per tag;
- the build state's size as a share of the episode and tag packages' size;
- start-up: `cards --version` against `python -c "import typer"` (median of 7);
- peak memory (resident set of the build process and its workers together),
  and the peak of a build of one 50 MB source (26,000 snips in one file,
  transcripts of about 240 words);
- a build of one snip whose one key point is 1 MB long (card making must be
  linear in a key point's length: the target is under 2 seconds).

Each step runs as its own process, on this checkout compiled to bytecode as
`pip install .` would; times are wall-clock seconds, taken when the process
ends (memory is sampled on the side). The machine's speed varies from run to
run: `--repeat 3` measures everything three times and reports the medians.
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAGS = ["history", "science", "economics", "health", "technology", "music", "politics", "climate",
        "psychology", "business"]
WORDS = ("river delta sediment market capital protein neuron galaxy orbit engine circuit policy treaty "
         "harvest glacier theorem signal archive vaccine enzyme tariff reactor canyon lagoon").split()
NAMES = ["Ada Lovelace", "Niels Bohr", "Rosalind Franklin", "Alan Turing", "Marie Curie", "Carl Sagan",
         "Emmy Noether", "Grace Hopper", "Srinivasa Ramanujan", "Lise Meitner"]


def key_point(rng: random.Random) -> str:
    forms = [
        lambda: f"{rng.choice(NAMES)} showed that the {rng.choice(WORDS)} grows about {rng.randint(2, 99)}% "
                f"faster near the {rng.choice(WORDS)}.",
        lambda: f"The {rng.choice(WORDS)} {rng.choice(WORDS)} lasts roughly {rng.randint(2, 900)} years "
                f"before the {rng.choice(WORDS)} collapses.",
        lambda: f"In {rng.randint(1600, 2024)}, {rng.choice(NAMES)} described the {rng.choice(WORDS)} "
                f"as a kind of {rng.choice(WORDS)}.",
        lambda: f"A {rng.choice(WORDS)} converts {rng.choice(WORDS)} into {rng.choice(WORDS)} through "
                f"{rng.choice(['photolysis', 'osmosis', 'catalysis', 'diffusion', 'fermentation'])}.",
    ]
    return rng.choice(forms)()


def transcript(rng: random.Random, words: int = 150) -> str:
    filler = ("so what happens is that the thing you see there is really a result of many small steps and "
              "people tend to forget how slow and strange the whole process actually is").split()
    turns, left = [], words
    while left > 0:
        size = min(left, rng.randint(30, 60))
        text = " ".join(rng.choice(filler + WORDS) for _ in range(size)).capitalize() + "."
        turns.append(f"**{rng.choice(NAMES)}**\n{text}\n")
        left -= size
    return "\n".join(turns)


def episode_file(index: int, rng: random.Random, snips: int = 8) -> str:
    tags = rng.sample(TAGS, 2)
    body = [textwrap.dedent(f"""\
        ---
        episode_title: "Episode {index}: The {rng.choice(WORDS).title()} Question"
        show_title: "Show {index % 97}"
        episode_publish_date: 2024-{index % 12 + 1:02d}-{index % 28 + 1:02d}
        episode_url: https://share.snipd.com/episode/{index:08d}-0000-4000-8000-000000000000
        tags: [{", ".join(tags)}]
        from_snipd: true
        ---
        ## Snips
        """)]
    for snip in range(snips):
        body.append(snip_text(index, snip, rng))
    return "\n".join(body)


def snip_text(index: int, snip: int, rng: random.Random, words: int = 150) -> str:
    return (f"\n###  [Snip {snip} about the {rng.choice(WORDS)}](https://share.snipd.com/snip/"
            f"{index:08d}-{snip:06d}-4000-8000-000000000000)\n\n🎧 {snip % 60}:00 - {snip % 60}:59 (00:59)\n\n"
            f"- {key_point(rng)}\n- {key_point(rng)}\n\n#### 📚 Transcript\n\n{transcript(rng, words)}\n---\n")


def make_big_source(path: Path, snips: int = 26_000) -> float:
    """One plugin-shape file of `snips` snips (about 50 MB for 26,000); returns its size in MB."""
    rng = random.Random(3)
    with path.open("w", encoding="utf-8") as out:
        out.write(episode_file(0, rng, snips=0))
        for snip in range(snips):
            out.write(snip_text(0, snip, rng, words=240))
    return path.stat().st_size / 1e6


def make_long_key_point(path: Path, size: int = 1_000_000) -> float:
    """One episode with one snip whose one key point is `size` characters of sentences; returns its size in MB."""
    rng = random.Random(11)
    sentences, length = [], 0
    while length < size:
        sentences.append(key_point(rng))
        length += len(sentences[-1]) + 1
    snip = snip_text(0, 0, rng).split("\n- ", 1)
    text = episode_file(0, rng, snips=0) + snip[0] + "\n- " + " ".join(sentences) + "\n#### 📚 Transcript" \
        + snip[1].split("#### 📚 Transcript", 1)[1]
    path.write_text(text, encoding="utf-8")
    return path.stat().st_size / 1e6


def make_library(folder: Path, episodes: int) -> None:
    rng = random.Random(7)
    for index in range(episodes):
        show = folder / f"Show {index % 97}"
        show.mkdir(parents=True, exist_ok=True)
        (show / f"Episode {index}.md").write_text(episode_file(index, rng), encoding="utf-8")


FLOOR = r"""
import sys, random, genanki
from pathlib import Path
episodes, out, field_sizes = int(sys.argv[1]), Path(sys.argv[2]), [int(x) for x in sys.argv[3].split(",")]
notes_per_episode, tags = 32, [f"tag{i}" for i in range(10)]
model = genanki.Model(1607392319, "Floor", fields=[{"name": f"F{i}"} for i in range(len(field_sizes))],
                      templates=[{"name": "Card 1", "qfmt": "{{F0}}", "afmt": "{{F1}}"}])
rng = random.Random(7)
by_tag = {t: [] for t in tags}
out.mkdir(parents=True, exist_ok=True)
for e in range(episodes):
    deck = genanki.Deck(2059400110 + e, f"Episode {e}")
    notes = [genanki.Note(model=model, fields=["x" * size for size in field_sizes], guid=f"{e}-{n}")
             for n in range(notes_per_episode)]
    for note in notes:
        deck.add_note(note)
    genanki.Package(deck).write_to_file(out / f"e{e}.apkg")
    for tag in rng.sample(tags, 2):
        by_tag[tag].extend(notes)
for i, (tag, notes) in enumerate(by_tag.items()):
    deck = genanki.Deck(1059400110 + i, f"Tags::{tag}")
    for note in notes:
        deck.add_note(note)
    genanki.Package(deck).write_to_file(out / f"t-{tag}.apkg")
"""


def compile_bytecode() -> None:
    """Compile the checkout's `cards` to bytecode, as `pip install .` does for its users.

    The builds run this checkout (`python -m cards` from its folder). Where it
    has no bytecode and none may be written (`PYTHONDONTWRITEBYTECODE`),
    every build would compile every module from source first: 0.04 s that no
    installed copy spends.
    """
    compileall.compile_dir(ROOT / "cards", quiet=1)


def run_measured(command: list[str], tmp: Path | None = None) -> tuple[float, float]:
    """(seconds, peak MB of the process tree) for one command; `tmp`, when given, is its TMPDIR.

    The time is taken when the process ends (this thread waits on it); the
    memory is sampled every 50 ms by another thread, so the sampling neither
    rounds the time up to its interval nor holds up the end.
    """
    peak = 0
    done = threading.Event()

    def sample(pid: int) -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(pid))
            done.wait(0.05)

    start = time.perf_counter()
    env = {**os.environ, "TMPDIR": str(tmp)} if tmp else None
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    sampler = threading.Thread(target=sample, args=(process.pid,))
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command[:3]} failed: {stderr.decode()[-2000:]}")
    return seconds, peak / 1024


def tree_rss(pid: int) -> int:
    """Resident kB of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def startup(command: list[str], runs: int = 7) -> float:
    """Median wall-clock seconds of a short command."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def footprint(out: Path) -> tuple[float, float]:
    """(state MB, episode and tag packages MB)."""
    packages = sum(p.stat().st_size for p in out.rglob("*.apkg") if p.name != "changes.apkg")
    return (out / ".cards-state.sqlite").stat().st_size / 1e6, packages / 1e6


def field_sizes(out: Path) -> str:
    """The average size of each field of the built Q&A notes, for the floor."""
    import sqlite3
    db = sqlite3.connect(out / ".cards-state.sqlite")
    from cards.state import note_fields
    rows = [note_fields(own, body).split("\x1f") for own, body in db.execute(
        "SELECT n.own, s.body FROM notes n JOIN snips s ON s.episode = n.episode AND s.key = n.snip "
        "WHERE n.kind = 'qa' LIMIT 2000")]
    db.close()
    return ",".join(str(sum(len(r[i]) for r in rows) // len(rows)) for i in range(len(rows[0])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=4000)
    parser.add_argument("--keep", action="store_true", help="keep the generated library and decks")
    parser.add_argument("--big-source", action=argparse.BooleanOptionalAction, default=True,
                        help="also build one 50 MB source and report its peak memory (about a minute)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure the floor and the three builds this many times and report the medians")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cards-bench-"))
    try:
        measure(args, work)
    finally:  # a failed run leaves nothing behind either
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, work: Path) -> None:
    """Every measurement of the run, printed; `work` holds the generated library and decks."""
    library, out = work / "library", work / "decks"
    print(f"generating {args.episodes} episodes ({args.episodes * 8} snips) in {work} …", flush=True)
    make_library(library, args.episodes)
    compile_bytecode()
    rounds = [measure_round(library, out, work, args.episodes) for _ in range(max(1, args.repeat))]
    (full, full_mb), (noop, noop_mb), (one, one_mb), (floor, floor_mb) = (
        (statistics.median(r[step][0] for r in rounds), max(r[step][1] for r in rounds)) for step in range(4)
    )
    notes = count_notes(out)
    state_mb, packages_mb = footprint(out)
    cards_start = startup([str(Path(sys.executable).with_name("cards")), "--version"])
    typer_start = startup([sys.executable, "-c", "import typer"])
    print(f"\n{notes:,} notes in {args.episodes:,} episode packages and {len(TAGS)} tag packages; "
          f"{os.cpu_count()} cores" + (f"; medians of {len(rounds)} rounds" if len(rounds) > 1 else "") + "\n")
    print("| step | seconds | notes/s | × floor | peak MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds, mb in (("genanki floor", floor, floor_mb), ("full build", full, full_mb),
                              ("no-op rebuild", noop, noop_mb), ("rebuild, one new snip", one, one_mb)):
        print(f"| {name} | {seconds:.2f} | {notes / seconds:,.0f} | {seconds / floor:.3f} | {mb:,.0f} |")
    print(f"| start-up, `cards --version` | {cards_start:.3f} | — | {cards_start / typer_start:.2f}× "
          f"`import typer` ({typer_start:.3f} s) | — |")
    print(f"| build state | — | — | {state_mb / packages_mb:.2f}× the packages ({state_mb:.1f} MB of "
          f"{packages_mb:.1f} MB) | — |")
    print(f"\nno-op rebuild = {noop / full:.1%} of the full build; one new snip = {one / full:.1%}; "
          f"peak memory {max(full_mb, noop_mb, one_mb):,.0f} MB")
    long_source = work / "long" / "long.md"
    long_source.parent.mkdir()
    size = make_long_key_point(long_source)
    seconds, mb = run_measured([sys.executable, "-m", "cards", "build", str(long_source.parent), "--out",
                                str(work / "long-decks")])
    print(f"one key point of {size:.1f} MB: built in {seconds:.2f} s, peak memory {mb:,.0f} MB (target < 2 s)")
    if args.big_source:
        size = make_big_source(work / "big.md")
        seconds, mb = run_measured([sys.executable, "-m", "cards", "build", str(work / "big.md"), "--out",
                                    str(work / "big-decks")])
        print(f"one {size:.0f} MB source (26,000 snips): built in {seconds:.1f} s, peak memory {mb:,.0f} MB "
              "(target ≤ 500 MB)")


def measure_round(library: Path, out: Path, work: Path, episodes: int) -> list[tuple[float, float]]:
    """(seconds, peak MB) of a full build, a no-op rebuild, a rebuild after one new snip, and the floor."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work / "floor", ignore_errors=True)
    cards = [sys.executable, "-m", "cards", "build", str(library), "--out", str(out)]
    full = run_measured(cards)
    noop = run_measured(cards)
    target = next(library.rglob("Episode 0.md"))
    original = target.read_text(encoding="utf-8")
    target.write_text(original + snip_text(0, 99, random.Random(1)), encoding="utf-8")
    one = run_measured(cards)
    # genanki leaves a temporary SQLite file behind for every package it writes (180 KB each here): in a folder of
    # the work tree, removed with it, not in the system's /tmp (a day of runs filled the disk)
    floor_tmp = work / "floor-tmp"
    floor_tmp.mkdir(exist_ok=True)
    floor = run_measured([sys.executable, "-c", FLOOR, str(episodes), str(work / "floor"), field_sizes(out)], floor_tmp)
    shutil.rmtree(floor_tmp, ignore_errors=True)
    target.write_text(original, encoding="utf-8")  # the next round adds the same snip again
    return [full, noop, one, floor]


def count_notes(out: Path) -> int:
    import sqlite3
    db = sqlite3.connect(out / ".cards-state.sqlite")
    (count,) = db.execute("SELECT COUNT(*) FROM notes").fetchone()
    db.close()
    return count


if __name__ == "__main__":
    main()
