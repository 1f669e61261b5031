"""Parsing every export shape, and every defect seen in real vaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import example, given
from hypothesis import strategies as st

from cards.model import Level, ParsedFile, Shape, Turn
from cards.parse import detect_shape, find_sources, is_snipd_note, parse_file
from cards.parse.text import _SPACES, clean, read_loose_front_matter, read_source


def only_episode(path: Path):
    parsed = parse_file(path)
    assert len(parsed.episodes) == 1, parsed.problems
    return parsed.episodes[0], [str(p) for p in parsed.problems]


# --- the three shapes ---------------------------------------------------------

def test_seed_note_quote_post_complete(seed_note):
    episode, problems = only_episode(seed_note)
    assert episode.shape is Shape.QUOTE_POST
    assert episode.title == "Dylan Patel & Jon (Asianometry) – How the Semiconductor Industry Actually Works"
    assert episode.podcast == "Dwarkesh Podcast"
    assert episode.podcast_link == "https://share.snipd.com/episode/d0ce4e49-5f2a-4843-a7a9-2e805d289b78"
    assert episode.key == "snipd:d0ce4e49-5f2a-4843-a7a9-2e805d289b78"
    assert episode.date == "2025-06-02" and episode.tags == ("quote",)
    assert len(episode.snips) == 22
    assert sum(len(s.key_points) for s in episode.snips) == 42
    assert [s.title for s in episode.snips if s.is_placeholder] == ["1min Snip"]
    first = episode.snips[0]
    assert first.title == "Semiconductor Industry Acceleration"
    assert first.key_points[1] == "Liang Mong Song, focused on pushing limits, later joined Samsung and then SMIC."
    assert first.turns[0] == Turn(
        "Dylan Patel", "Guy that went to Samsung and SMIC and all that, I think you should tell that story."
    )
    assert first.turns[1].speaker == "Jon Y" and "There's a guy" in first.turns[1].text
    titles = [s.title for s in episode.snips]
    assert "SMIC's Expansion" in titles and titles.count("Siloed Semiconductor Knowledge") == 2
    keys = [s.key for s in episode.snips]
    assert len(set(keys)) == len(keys)
    assert problems == [f"{seed_note}:4: repaired double-encoded UTF-8 (mojibake)"]


def test_readwise_variants(shared_examples):
    episode, problems = only_episode(shared_examples / "readwise-variants.md")
    assert problems == []
    assert [(s.title, s.key_points) for s in episode.snips] == [
        ("Key Takeaways Header", ("Groundwater moves through aquifers at centimeters to meters per day.",)),
        ("Bullet Character Variant", ("The Ogallala Aquifer underlies parts of eight US states.",
                                      "Irrigation draws it down faster than rain recharges it.")),
        ("Plain Title Without Bold", ("Springs appear where the water table meets the ground surface.",)),
        ("", ("A highlight with no title at all whose first line is a key point about karst caves "
              "forming in limestone.",)),
    ]
    assert episode.snips[3].turns[0].speaker == "Speaker 2"


def test_plugin_shape(shared_examples):
    episode, problems = only_episode(shared_examples / "plugin-rivers.md")
    assert episode.shape is Shape.PLUGIN and problems == []
    assert (episode.podcast, episode.title, episode.date) == ("Hydrology Hour", "Where Rivers Go", "2025-04-02")
    meanders, deltas, untitled = episode.snips
    assert meanders.key == "uuid:10000000-aaaa-4bbb-8ccc-000000000001"
    assert meanders.starred and meanders.tags == ("geology",)
    assert (meanders.start, meanders.end) == (310, 382)
    assert [t.speaker for t in meanders.turns] == ["Noor Haddad", "Host", "Noor Haddad"]
    assert not deltas.starred and deltas.turns[0].speaker == "Noor Haddad"
    assert deltas.key_points == (
        "The Mississippi delta loses land partly because levees and dams trap the sediment that used to "
        "rebuild it.",
    )
    assert untitled.is_placeholder
    assert all("My own note" not in s.title for s in episode.snips)


def test_legacy_shape(shared_examples):
    episode, problems = only_episode(shared_examples / "legacy-export.md")
    assert episode.shape is Shape.LEGACY and problems == []
    assert (episode.podcast, episode.title, episode.date) == ("Hydrology Hour", "How Glaciers Carve Valleys",
                                                              "2024-09-12")
    valleys, erratics = episode.snips
    assert valleys.key_points[1] == "Hanging valleys form where a small tributary glacier met a larger one."
    assert (valleys.start, valleys.end) == (470, 535)
    assert valleys.link == "https://share.snipd.com/snip/20000000-bbbb-4ccc-8ddd-000000000001"
    assert valleys.turns[0].speaker == "Speaker 1" and valleys.turns[0].text.startswith("Rivers cut down")
    assert erratics.turns[0].text.startswith("You find a granite boulder")


def test_legacy_file_holds_many_episodes(fixtures):
    parsed = parse_file(fixtures / "legacy" / "two-episodes.md")
    assert [e.title for e in parsed.episodes] == ["Why We Sleep in Stages", "Wild Fermentation Basics"]
    sleep, ferment = parsed.episodes
    assert sleep.tags == ("sleep", "neuroscience")
    assert [t.speaker for t in sleep.snips[1].turns] == ["Dr. Priya Natarajan", "Host"]
    assert ferment.snips[1].is_placeholder


@pytest.mark.parametrize(
    ("name", "shape"),
    [("readwise-variants.md", Shape.QUOTE_POST), ("plugin-rivers.md", Shape.PLUGIN),
     ("legacy-export.md", Shape.LEGACY)],
)
def test_shape_is_detected_per_file(shared_examples, name, shape):
    assert detect_shape(read_source(shared_examples / name)) is shape


# --- defects ---------------------------------------------------------------------

def test_snip_uuid_is_identity_so_renaming_keeps_it(fixtures, tmp_path):
    text = (fixtures / "plugin" / "tides.md").read_text(encoding="utf-8")
    renamed = tmp_path / "tides.md"
    renamed.write_text(text.replace("[Two Bulges]", "[Two Tidal Bulges]"), encoding="utf-8")
    before = parse_file(fixtures / "plugin" / "tides.md").episodes[0].snips[0]
    after = parse_file(renamed).episodes[0].snips[0]
    assert after.title == "Two Tidal Bulges" and after.key == before.key


def test_invalid_yaml_is_read_line_by_line_with_a_warning(fixtures):
    path = fixtures / "defects" / "invalid-yaml.md"
    episode, problems = only_episode(path)
    assert episode.title == "Life Under the Forest Floor" and episode.podcast == "Field Notes"
    assert problems == [f"{path}:5: front matter is not valid YAML (line 5); read it line by line"]


def test_title_starting_with_hash_is_read_with_a_warning(fixtures):
    path = fixtures / "defects" / "hash-title.md"
    episode, problems = only_episode(path)
    assert episode.title == "#12 Fungi Are Everywhere"
    assert problems == [
        f"{path}:2: front matter value of 'episode_title' starts with '#' (a YAML comment); read as text"
    ]


def test_bom_and_crlf_are_read_cleanly(fixtures):
    episode, problems = only_episode(fixtures / "defects" / "bom-crlf.md")
    assert problems == [] and episode.title == "Spores on the Wind"
    assert episode.snips[0].tags == ("fungi", "forest ecology") and episode.snips[0].starred
    assert (episode.snips[0].start, episode.snips[0].end) == (3730, 3820)  # h:mm:ss


def test_double_encoded_utf8_is_repaired_with_a_warning(fixtures):
    path = fixtures / "defects" / "double-encoded.md"
    episode, problems = only_episode(path)
    assert episode.title == "Fungi’s Secret Life"
    assert episode.snips[0].starred and episode.snips[0].start == 3730
    assert problems == [f"{path}:2: repaired double-encoded UTF-8 (mojibake)"]


def test_windows_1252_file_is_read_with_a_warning(fixtures):
    path = fixtures / "defects" / "windows-1252.md"
    episode, problems = only_episode(path)
    assert episode.title == "Café Culture in Vienna"
    assert episode.snips[0].key_points == ("Vienna’s first coffee house opened in 1685.",)
    assert problems == [f"{path}:4: not UTF-8; read as Windows-1252"]


def test_private_upload_without_links_or_emoji(fixtures):
    episode, problems = only_episode(fixtures / "defects" / "private-upload.md")
    assert problems == [] and episode.key == "file:private-upload.md" and episode.link is None
    photo, calvin = episode.snips
    assert (photo.title, photo.tags, photo.start, photo.link) == ("Photosynthesis Basics", ("biology",), 300, None)
    # what the listener typed after `---` ("- not a key point either") is not a key point
    assert photo.key_points == ("Chlorophyll absorbs red and blue light and reflects green.",)
    assert photo.turns == (Turn("Lecturer", "Chlorophyll takes the red and the blue and sends back the green, "
                                            "which is why leaves look green."),)
    assert calvin.turns[0].speaker == "" and calvin.turns[0].text.startswith("RuBisCO grabs")
    assert len(episode.snips) == 2  # snips_count says 7: the body is the truth


def test_a_binary_file_is_an_error(fixtures):
    path = fixtures / "defects" / "binary.md"
    parsed = parse_file(path)
    assert parsed.episodes == ()
    assert [(str(p), p.level) for p in parsed.problems] == [(f"{path}: is a binary file, not a text note",
                                                             Level.ERROR)]


@pytest.mark.parametrize("name", ["empty.md", "no-snips.md"])
def test_a_file_that_is_not_a_snipd_note_gives_nothing_and_is_no_problem(fixtures, name):
    """An ordinary note of a vault (or an empty one): no episode, no warning; the build counts it."""
    parsed = parse_file(fixtures / "defects" / name)
    assert (parsed.episodes, parsed.problems) == ((), ())


def test_an_ordinary_note_in_another_encoding_is_no_problem_either(tmp_path):
    note = tmp_path / "café.md"
    note.write_bytes("# Caf\u00e9 notes\n\nSome thoughts, in Windows-1252.\n".encode("cp1252"))
    assert parse_file(note) == ParsedFile(note)
    assert not is_snipd_note(note)


# --- front matter within bounds -------------------------------------------------------

TIDES = Path(__file__).parent / "fixtures" / "plugin" / "tides.md"
TIDES_BODY = TIDES.read_text(encoding="utf-8").split("---\n", 2)[2]


def with_front_matter(tmp_path: Path, front_matter: str) -> Path:
    """The tides note with other front matter (episode title and show first)."""
    path = tmp_path / "note.md"
    path.write_text(f"---\nepisode_title: Tides\nshow_title: Coast\n{front_matter}\n---\n{TIDES_BODY}",
                    encoding="utf-8")
    return path


def only_error(path: Path) -> str:
    parsed = parse_file(path)
    assert parsed.episodes == ()
    [problem] = parsed.problems
    assert problem.level is Level.ERROR
    return str(problem)


ALIASES = "front matter's YAML aliases (*name) expand it past 64 KB; write the values out instead to build this file"


@pytest.mark.parametrize("front_matter", [
    "a: &a [lol, lol, lol, lol]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: &d [*c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d]\nf: &f [*e, *e, *e, *e]\ng: &g [*f, *f, *f, *f]\nh: &h [*g, *g, *g, *g]\n",
    "loop: &loop [lol, *loop]\ntags: *loop",  # an alias within its own anchor never ends
    "a: &a {x: " + "y" * 9000 + "}\nb: &b {<<: [*a, *a, *a, *a, *a, *a, *a, *a]}",  # merge keys copy too
])
def test_yaml_aliases_that_expand_past_the_bound_are_an_error(tmp_path, front_matter):
    path = with_front_matter(tmp_path, front_matter)
    assert only_error(path) == f"{path}: {ALIASES}"


def test_yaml_aliases_within_the_bound_are_read(tmp_path):
    episode, problems = only_episode(with_front_matter(tmp_path, "mine: &mine [oceans, moon]\ntags: *mine"))
    assert problems == [] and episode.tags == ("oceans", "moon")


def test_front_matter_over_64_kb_is_an_error(tmp_path):
    path = with_front_matter(tmp_path, "guests: [" + ", ".join(["Someone"] * 8200) + "]")
    assert only_error(path) == (f"{path}: front matter is over 64 KB (Snipd writes a few hundred bytes); "
                                "shorten it to build this file")
    episode, _ = only_episode(with_front_matter(tmp_path, "guests: [" + ", ".join(["Someone"] * 7000) + "]"))
    assert episode.title == "Tides"


def test_front_matter_nested_more_than_32_deep_is_an_error(tmp_path):
    episode, _ = only_episode(with_front_matter(tmp_path, "tags: " + "[" * 31 + "moon" + "]" * 31))
    assert episode.tags == ("[" * 30 + "'moon'" + "]" * 30,)  # the front matter's mapping, then 32 lists
    path = with_front_matter(tmp_path, "tags: " + "[" * 32 + "moon" + "]" * 32)
    assert only_error(path) == (f"{path}: front matter nests lists or mappings more than 32 deep; "
                                "flatten it to build this file")


H1 = "Why the Tides Turn"  # the note's own heading: its title when the front matter has none


@pytest.mark.parametrize(("front_matter", "title", "date", "tags"), [
    ("tags: 5", H1, None, ("5",)),
    ("episode_publish_date: [1, 2]", H1, "1, 2", ()),
    ("episode_publish_date: 2025-02-11", H1, "2025-02-11", ()),
    ("tags: {moon: 1}", H1, None, ("{'moon': 1}",)),
    ("tags: [.inf, null, true, 0x10, [moon]]", H1, None, ("inf", "True", "16", "['moon']")),
    ("tags: !!binary bW9vbg==\nepisode_publish_date: !!set {a}", H1, "{'a'}", ("b'moon'",)),
    ("episode_title: 0x" + "f" * 4000, H1, None, ()),  # too many digits to write out
    ("episode_title: {a: b}", "{'a': 'b'}", None, ()),
    ("episode_title: null\ntags: null", H1, None, ()),
])
def test_front_matter_values_of_any_type_are_read_as_text(tmp_path, front_matter, title, date, tags):
    path = tmp_path / "note.md"
    path.write_text(f"---\nshow_title: Coast\n{front_matter}\n---\n{TIDES_BODY}", encoding="utf-8")
    episode, problems = only_episode(path)
    assert problems == []
    assert (episode.title, episode.date, episode.tags) == (title, date, tags)


def test_unreadable_file_is_an_error_naming_it(tmp_path, monkeypatch):
    path = tmp_path / "locked.md"
    path.write_text("x", encoding="utf-8")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    (problem,) = parse_file(path).problems
    assert (str(problem), problem.level) == (f"{path}: cannot be read (Permission denied)", Level.ERROR)


# --- text helpers ------------------------------------------------------------

def test_clean_unescapes_entities_even_twice_escaped():
    assert clean("R&amp;D isn&#39;t &amp;#34;easy&amp;#34;") == 'R&D isn\'t "easy"'


def test_a_title_keyed_snip_keeps_its_key_whatever_non_text_its_title_holds(tmp_path):
    """Snip keys (and so GUIDs) are cut from titles cleaned of C0 controls alone: cleaning C1 controls or
    line separators there too would give an existing note a new GUID. Fields drop them (test_hostile)."""
    note = tmp_path / "note.md"
    note.write_text("---\ntitle: Ep\nslug: ep\n---\n\nQuoting [Pod](https://x.y):\n\n> **Sea\x85level\u2028rise**\n\n"
                    "- Oceans rise three millimetres a year.\n", encoding="utf-8")
    episode, _ = only_episode(note)
    assert [snip.key for snip in episode.snips] == ["title:sealevelrise#1"]


def test_loose_front_matter_reads_lists_and_inline_lists():
    meta = read_loose_front_matter('title: "A: B"\nshow_author: @me\ntags:\n  - one\n  - two\nguests: [A, "B"]\n')
    assert meta == {"title": "A: B", "show_author": "@me", "tags": ["one", "two"], "guests": ["A", "B"]}


def test_find_sources_searches_folders_for_notes(tmp_path):
    for name in ("a.md", "b.markdown", "c.txt", "d.pdf", "sub/e.MD"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in find_sources([tmp_path]).sources]
    assert found == ["a.md", "b.markdown", "c.txt", "sub/e.MD"]


def test_find_sources_follows_links_to_files_not_to_folders(tmp_path):
    library, elsewhere = tmp_path / "library", tmp_path / "elsewhere"
    for name in ("library/a.md", "library/deep/er/b.md", "elsewhere/c.md", "elsewhere/d.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    (library / "c-link.md").symlink_to(elsewhere / "c.md")
    (library / "folder-link.md").symlink_to(elsewhere, target_is_directory=True)  # not entered, not a file
    (library / "broken.md").symlink_to(tmp_path / "nowhere.md")
    (library / ".md").write_text("x", encoding="utf-8")  # a name with no suffix
    found = [p.relative_to(library).as_posix() for p in find_sources([library]).sources]
    assert found == ["a.md", "c-link.md", "deep/er/b.md"]


@given(st.text(alphabet=" \t\u00a0\u200b\ufeffab\x01", max_size=30) | st.text(alphabet=" \tab", max_size=12))
@example("a\tb")
@example("a  b")
@example("a\u00a0b")
def test_clean_folds_white_space_as_one_substitution_would(text: str) -> None:
    """The shortcut for text with nothing to fold gives what folding every run gives."""
    assert clean(text) == _SPACES.sub(" ", text.replace("\x01", " ")).strip()


# --- hostile lines are read in linear time -------------------------------------------------

PLUGIN_NOTE = ("---\nepisode_title: T\nshow_title: S\n---\n# T\n\n## Snips\n\n### ⭐ {heading}\n\n"
               "🎧 01:00 - 02:00 (01:00)\n\n- Marie Curie won the Nobel Prize in 1903.\n\n#### 📚 Transcript\n\n"
               "**Ada**\nShe won it in 1903.\n")
QUOTE_POST = ("---\ntitle: T\n---\n\n{quoting}\n\n> **Snip**\n\n- Marie Curie won in 1903.\n{more}\n"
              "Transcript:\nAda\nx\n\n{said}")
LEGACY = ("# T\n\n## Episode metadata\n- Episode title:: [[T]]\n- Show:: {show}\n\n## Snips\n\n### [01:00] Snip\n\n"
          "1. Marie Curie won in 1903.\n\n#### 📚 Transcript\n\n<details>{quote}\n")
N = 2**18  # repeats of a few characters: about 1 MB, minutes for the patterns these replaced
HOSTILE_LINES = [  # a note; then its podcast, its first snip's title and key points, as read
    (PLUGIN_NOTE.format(heading="[" + "](x" * N), "S", "[" + "](x" * 6, 1),
    (PLUGIN_NOTE.format(heading="[Snip](https://share.snipd.com/snip/a) " + "[[" * N), "S", "Snip", 1),
    (QUOTE_POST.format(quoting="Quoting [" + "](" * N, more="", said=""), "Unknown podcast", "Snip", 1),
    (QUOTE_POST.format(quoting="Quoting [P](https://x.y):", more="and on\n" * N, said=""), "P", "Snip", 1),
    (QUOTE_POST.format(quoting="Quoting [P](https://x.y):", more="", said="and on.\n\n" * N), "P", "Snip", 1),
    (LEGACY.format(show="[[" * N, quote=""), "[[" * 9, "Snip", 1),
    (LEGACY.format(show="[[S]]", quote="<blockquote>" * N), "S", "Snip", 1),
    (LEGACY.format(show="[[S]]", quote="<blockquote>" + "<b>" * N + "</blockquote>"), "S", "Snip", 1),
]
# Reads each note under a limit of CPU time that the patterns these replaced would have spent many times over.
PARSE_UNDER_A_CPU_LIMIT = r"""
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_CPU, (30, 30))
from cards.parse import parse_file
for path in sys.argv[1:]:
    [episode] = parse_file(Path(path)).episodes
    print(episode.podcast[:18], episode.snips[0].title[:19], len(episode.snips[0].key_points))
"""


def test_hostile_lines_are_read_in_linear_time(tmp_path):
    paths = [tmp_path / f"{number}.md" for number in range(len(HOSTILE_LINES))]
    for path, (note, *_) in zip(paths, HOSTILE_LINES, strict=True):
        path.write_text(note, encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", PARSE_UNDER_A_CPU_LIMIT, *map(str, paths)], capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [f"{podcast} {title} {points}" for _, podcast, title, points in HOSTILE_LINES]


def test_tags_written_as_a_yaml_set_are_read_in_a_fixed_order(tmp_path):
    """`!!set {…}`: read as the text of a Python set, the tags (`{'gamma'`) and their order changed with every
    build, and so did the tag packages."""
    episode, problems = only_episode(with_front_matter(tmp_path, "tags: !!set {gamma, alpha, beta}"))
    assert problems == [] and episode.tags == ("alpha", "beta", "gamma")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf_16_note_with_its_byte_order_mark_is_read(fixtures, tmp_path, encoding):
    """Windows' "Unicode" text files: every other byte is a NUL, and they were refused as binary."""
    text = (fixtures / "plugin" / "tides.md").read_text(encoding="utf-8").replace("\n", "\r\n")
    note = tmp_path / "tides.md"
    note.write_bytes("\ufeff".encode(encoding) + text.encode(encoding))
    episode, problems = only_episode(note)
    assert problems == [] and episode.title == "Why the Tides Turn"
    assert episode.snips[0].key_points[0] == ("The Moon's gravity raises two tidal bulges on opposite sides of the "
                                              "Earth.")
