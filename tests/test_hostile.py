"""Hostile text in any field: shown as text, never run, never breaking Anki's syntax."""

from __future__ import annotations

import re

from ankitools import fresh_collection, import_package, rendered_cards, visible_text
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from safety import live_content

from cards.build import build
from cards.model import Level

EVIL = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">x</a>',
    "{{c1::x}}", "{{", "}}", "::", "{{Text}}", "[sound:x.mp3]", "\\(x\\)", "&#39;", "&amp;", "\n", "---",
    "> ", "### ", "[[tag]]", "- ", "Transcript:", "#", "\x00", "\ufeff", "â€™", "🎧", "⭐",
]


def import_all(col, out):
    for package in sorted(out.rglob("*.apkg")):
        import_package(col, package)


def test_hostile_fixtures_render_as_text(fixtures, tmp_path):
    out = tmp_path / "decks"
    report = build([fixtures / "hostile"], out, now=1_700_000_000)
    assert report.notes > 0 and not report.failed
    col = fresh_collection(tmp_path / "anki")
    import_all(col, out)
    cards = rendered_cards(col)
    assert cards
    shown = ""
    for _card, front, back in cards:
        assert live_content(front) == [] and live_content(back) == []
        shown += visible_text(front) + visible_text(back)
    assert "<script>alert(1)</script>" in shown  # visible as text
    assert "{{c1::Magna Carta}}" in shown  # the source's own cloze syntax stays text
    assert "King John :: really" in shown
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        assert all(re.fullmatch(r'[^\s"<>]+', tag) for tag in note.tags), note.tags  # see cards.notes.clean_tag
    names = [d.name for d in col.decks.all_names_and_ids()]
    # `::` would nest decks and quotes break Anki's search syntax: both are taken out.
    hostile = "Hostile <script>alert(x)</script><img src=x onerror=alert(1)> :deck: name"
    assert f"Podcasts::Show : With : Colons::{hostile}" in names
    col.close()


def test_user_text_cannot_add_cloze_cards(fixtures, tmp_path):
    out = tmp_path / "decks"
    build([fixtures / "hostile" / "quote-post.md"], out, now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    import_package(col, next((out / "episodes").glob("*.apkg")))
    cloze_notes = col.find_notes("note:cards*cloze")
    assert cloze_notes, "the search must find the cloze notes it checks"
    for note_id in cloze_notes:
        note = col.get_note(note_id)
        ours = set(re.findall(r"\{\{c(\d+)::", note["Text"]))
        assert len(note.cards()) == len(ours) >= 1
    col.close()


fragment = st.one_of(st.text(max_size=12), st.sampled_from(EVIL))
field = st.lists(fragment, max_size=6).map("".join)


def quote_post(title, key_point, speaker, words, podcast, tag):
    return (f"---\ntitle: {title}\nslug: s\ntags:\n  - {tag}\n---\n\nQuoting [{podcast}](https://x.y):\n\n"
            f"> **{title}**\n\n- {key_point}\n\nTranscript:\n{speaker}\n{words}\n")


def plugin(title, key_point, speaker, words, podcast, tag):
    return (f"---\nepisode_title: {title}\nshow_title: {podcast}\nfrom_snipd: true\n---\n## Snips\n\n"
            f"### ⭐ [{title}](https://share.snipd.com/snip/ab) [[{tag}]]\n\n🎧 01:00 - 02:00 (01:00)\n\n"
            f"- {key_point}\n\n#### 📚 Transcript\n\n**{speaker}**\n{words}\n\n---\n")


def legacy(title, key_point, speaker, words, podcast, tag):
    return (f"# {title}\n\n## Episode metadata\n- Episode title:: [[{title}]]\n- Show:: [[{podcast}]]\n"
            f"- Tags: #{tag}\n\n## Snips\n\n### [01:00] {title}\n\n### ✨ Key takeaways\n\n1. {key_point}\n\n"
            f"#### 📚 Transcript\n\n<details><blockquote><b>{speaker}</b><br/><br/>{words}</blockquote></details>\n")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shape=st.sampled_from([quote_post, plugin, legacy]),
    title=field, key_point=field, speaker=field, words=field, podcast=field, tag=field,
)
# Found by this test: \x1f is Anki's field separator and once split a note's fields.
@example(shape=quote_post, title="", key_point="", speaker="", words="", podcast="0\x1f0", tag="")
def test_any_text_in_any_field_never_crashes_or_runs(tmp_path_factory, shape, title, key_point, speaker,
                                                      words, podcast, tag):
    folder = tmp_path_factory.mktemp("prop")
    note = folder / "notes" / "note.md"
    note.parent.mkdir()
    note.write_text(shape(title, "Marie Curie won " + key_point + " in 1903.", speaker, words, podcast, tag),
                    encoding="utf-8", errors="surrogatepass")
    report = build([note.parent], folder / "decks", now=1_700_000_000)
    assert not [p for p in report.problems if p.level is Level.ERROR and "Error" in p.message]
    col = fresh_collection(folder / "anki")
    import_all(col, folder / "decks")
    for _card, front, back in rendered_cards(col):
        assert live_content(front) == [] and live_content(back) == [], (front, back)
    col.close()


NOT_TEXT_CHARACTERS = "\x85\x9b\u2028\u2029\ufffe\U0010ffff"


def test_c1_controls_separators_and_noncharacters_never_reach_a_field(tmp_path):
    """They are not text: `\\x9b` opens a terminal's escape, U+2028 ends a JavaScript string."""
    odd = "a\x85b\x9bc\u2028d\u2029e\ufffef\U0010ffffg"
    note = tmp_path / "notes" / "note.md"
    note.parent.mkdir()
    note.write_text(plugin(f"Title {odd}", f"Oysters filter {odd} litres of water a day.", f"Ana {odd}",
                           f"Oysters filter a lot {odd}.", "Show", "tag"), encoding="utf-8")
    build([note.parent], tmp_path / "decks", now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    import_all(col, tmp_path / "decks")
    fields = [field for note_id in col.find_notes("") for field in col.get_note(note_id).fields]
    assert any("Oysters filter" in field for field in fields)
    assert [field for field in fields if any(ch in field for ch in NOT_TEXT_CHARACTERS)] == []
    col.close()
