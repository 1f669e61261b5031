"""Card content → field HTML: escaped for HTML and for Anki's own syntax."""

from __future__ import annotations

import re

from conftest import FIXTURES
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from cards.cardmaker.plan import plan_cards
from cards.model import Episode, Shape, Snip, Turn
from cards.parse.text import replace_not_text
from cards.render import (
    _ANKI_SPECIAL,
    cloze_text,
    escape_text,
    passage,
    snip_link,
    source,
    transcript,
    transcript_allowance,
)


def test_escape_text_neutralises_html_and_anki_syntax():
    assert str(escape_text('<b onclick="x">R&D</b>')) == '&lt;b onclick="x"&gt;R&amp;D&lt;/b&gt;'
    assert str(escape_text("{{c1::x}}")) == "&#123;&#123;c1:&#58;x&#125;&#125;"
    assert str(escape_text("[sound:a.mp3] \\(x\\)")) == "&#91;sound:a.mp3&#93; &#92;(x&#92;)"
    assert str(escape_text("it's \"quoted\"")) == "it's \"quoted\""
    assert str(escape_text("a\x1fb")) == "a b"
    assert str(escape_text("a\x85b\x9bc\u2028d\ufffee\U0010ffff")) == "a b c d e "  # C1, separators, nonchars


def test_cloze_text_numbers_deletions_best_first():
    plan = plan_cards("Physicists at CERN announced the discovery of the Higgs boson on the Fourth of July "
                      "in 2012.", "Pod", "Ep")
    assert cloze_text(plan) == (
        "Physicists at CERN announced the discovery of the {{c1::Higgs boson}} on the Fourth of July in "
        "{{c2::2012}}."  # the second deletion is in the predicate too: `Physicists at CERN` is the subject
    )


SNIP = Snip(
    key="uuid:1", title="Two Bulges", key_points=("The Moon raises two tidal bulges.",),
    turns=(
        Turn("Ines Duarte", "Hello there. The Moon raises two bulges of water on the Earth. Then it moves on."),
        Turn("Host", "Wow."),
        Turn("Ines Duarte", "Tides follow."),
    ),
    start=190, end=245, link="https://share.snipd.com/snip/aa",
)
EPISODE = Episode(
    key="k", slug="tides", podcast="Coastal Notes", title="Why the Tides Turn", source=None,
    shape=Shape.PLUGIN, snips=(SNIP,), date="2025-02-11", link="https://share.snipd.com/episode/ee",
)


def test_passage_highlights_the_matching_sentence_in_place_and_folds_the_rest():
    assert passage(SNIP, SNIP.key_points[0]) == (
        '<p><span class="speaker">Ines Duarte</span>: Hello there. '
        "<mark>The Moon raises two bulges of water on the Earth.</mark> Then it moves on.</p>"
        '<details><summary></summary><p><span class="speaker">Host</span>: Wow.</p>'  # labelled by the CSS
        '<p><span class="speaker">Ines Duarte</span>: Tides follow.</p></details>'
    )


SLEEP = Snip(  # as in seeds/export/snipd-export.md
    key="uuid:2", title="Sleep Cycles",
    key_points=("A full sleep cycle lasts about 90 minutes and repeats four to six times a night.",
                "Deep slow-wave sleep dominates the first half of the night, REM sleep the second half."),
    turns=(Turn("Dr. Priya Natarajan", "Each cycle runs about ninety minutes, and you go through four to six of "
                                       "them. Early in the night it is mostly deep slow-wave sleep; towards morning "
                                       "REM takes over."),),
)
CYCLE = "Each cycle runs about ninety minutes, and you go through four to six of them."
NIGHT = "Early in the night it is mostly deep slow-wave sleep; towards morning REM takes over."


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_a_sentence_is_highlighted_only_for_the_key_point_it_supports():
    """Each key point's best two matches used to take in the other's sentence too (it matches both well enough)."""
    first, second = (passage(SLEEP, key_point) for key_point in SLEEP.key_points)
    assert (marked(first), marked(second)) == ([CYCLE], [NIGHT])


def test_a_key_point_no_sentence_supports_best_still_shows_its_nearest():
    snip = SLEEP._replace(key_points=(*SLEEP.key_points, "Each cycle runs about ninety minutes."))
    assert [marked(passage(snip, key_point)) for key_point in snip.key_points] == [[CYCLE], [NIGHT], [CYCLE]]
    alone = SLEEP._replace(key_points=("Dreams are mostly forgotten.",))
    assert len(marked(passage(alone, alone.key_points[0]))) == 1  # nothing matches well: still its nearest


def sentences_shown(html: str) -> list[str]:
    """The transcript's sentences as a passage shows them, in order, folded or not."""
    text = re.sub(r"<summary>.*?</summary>|<span class=\"speaker\">[^<]*</span>: |</?(?:mark|details)>|… | …", "",
                  html)
    return [s for p in re.findall(r"<p>(.*?)</p>", text) for s in re.split(r"(?<=[.!?…])\s+", p) if s]


def test_every_passage_holds_the_whole_transcript_once_in_order(seeds, seed_note_if_any):
    from cards.parse import find_sources, parse_file

    checked = 0
    for path in [*find_sources([seeds, FIXTURES]).sources, *seed_note_if_any]:
        for episode in parse_file(path).episodes:
            for snip in episode.snips:
                whole = sentences_shown(transcript(snip))
                for key_point in snip.key_points:
                    html = passage(snip, key_point)
                    if html:
                        assert sentences_shown(html) == whole, (snip.title, key_point)
                        assert 1 <= len(marked(html)) <= 2
                        checked += 1
    assert checked >= 30


def crowded_snip(key_points: int, transcript: str) -> Snip:
    """A snip no export holds: many key points over a long transcript (every note carries the transcript)."""
    return Snip(key="uuid:crowded", title="Crowded",
                key_points=tuple(f"Delta {i} carries {i} tonnes of silt." for i in range(key_points)),
                turns=(Turn("Host", "Welcome."), Turn("Ines Duarte", transcript), Turn("Host", "Thanks.")))


def test_a_snip_too_long_for_every_note_gives_each_the_stretch_near_its_key_point():
    """Each of a snip's notes holds its transcript: 400 key points over 1 MB of it made 800 MB of fields."""
    snip = crowded_snip(300, " ".join(f"Delta {i} carries {i} tonnes of silt to the sea." for i in range(5_000)))
    allowance = transcript_allowance(snip)
    assert allowance < 5_000 * 40
    whole = sentences_shown(transcript(crowded_snip(1, snip.turns[1].text)))  # one key point: all of it
    for number in (0, 7, 299):
        html = passage(snip, snip.key_points[number])
        assert len(html) <= 1.5 * allowance
        assert f"Delta {number} carries {number} tonnes of silt to the sea." in marked(html)
        shown = sentences_shown(html)
        assert shown == [s for s in whole if s in set(shown)]  # in order, none twice
        assert "… " in html  # where the stretch starts, the cut shows
    cut = transcript(snip)
    assert len(cut) <= 1.5 * allowance and cut.startswith('<p><span class="speaker">Host</span>: Welcome.</p>')
    assert cut.endswith(" …</p>")


def test_a_transcript_without_full_stops_is_cut_too():
    snip = crowded_snip(300, " ".join(f"delta {i} carries {i} tonnes of silt" for i in range(10_000)))
    allowance = transcript_allowance(snip)
    for key_point in snip.key_points[:3]:
        assert 0 < len(passage(snip, key_point)) <= 1.5 * allowance
    assert len(transcript(snip)) <= 1.5 * allowance


def test_a_snip_as_exports_have_them_carries_all_of_its_transcript():
    text = " ".join(f"Delta {i} carries {i} tonnes of silt to the sea." for i in range(2_000))  # 90 KB: hours
    snip = crowded_snip(5, text)
    assert transcript_allowance(snip) > len(text)
    html = passage(snip, snip.key_points[3])
    assert sentences_shown(html) == sentences_shown(transcript(snip))


def test_transcript_has_every_turn_with_speakers():
    html = transcript(SNIP)
    assert html.count('<span class="speaker">') == 3 and "Tides follow." in html


def test_source_line_links_to_the_snip_at_its_time():
    html = source(EPISODE, SNIP)
    assert html == (
        '<span class="podcast">Coastal Notes</span>&nbsp;·&nbsp;<span class="episode">Why the Tides Turn</span>'
        '&nbsp;·&nbsp;<span class="date">2025-02-11</span><div class="open">'
        '<a href="https://share.snipd.com/snip/aa">Open in Snipd (3:10–4:05)</a></div>'
    )


def test_without_a_snip_link_the_episode_opens_at_the_start_time():
    snip = Snip(key="t", title="x", key_points=("y",), start=3730)
    assert snip_link(EPISODE, snip) == "https://share.snipd.com/episode/ee?t=3730"
    assert "1:02:10" in source(EPISODE, snip)


LEANING = """---
episode_title: "Chips and Power"
show_title: "Silicon Hour"
from_snipd: true
---
## Snips

###  [Scale](https://share.snipd.com/snip/bb000000-0000-4000-8000-000000000001)

- If Xi Jinping were scale-pilled, he should centralize compute <resources>.
- This would address sanctions and maximize large-scale training potential.

#### 📚 Transcript

**Dylan Patel**
He should centralize compute; that addresses sanctions and maximizes training.
"""


def test_a_key_point_that_leans_on_the_one_before_shows_it_on_the_front(tmp_path):
    from ankitools import fresh_collection, import_package, rendered_cards, visible_text

    from cards.build import build

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "chips.md").write_text(LEANING, encoding="utf-8")
    build([tmp_path / "notes"], tmp_path / "decks", now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    import_package(col, next((tmp_path / "decks" / "episodes").glob("*.apkg")))
    fronts = [visible_text(front) for _, front, _ in rendered_cards(col)]
    leaning = [f for f in fronts if "This would address" in f]
    assert leaning and all("he should centralize compute <resources>." in f for f in leaning)
    first = [f for f in fronts if "If Xi Jinping" in f and "This would" not in f]
    assert first  # the first key point's own cards show no earlier key point
    col.close()


@given(st.text(alphabet="ab {}[]\\:'\"&<>#;\x01\x1fé\x85\u2028\ufffe\U0010ffff", max_size=40))
def test_escape_text_fast_paths_match_the_full_escape(value: str) -> None:
    """Skipping the Anki-special translation when there is nothing to translate changes no output."""
    full = str(escape(replace_not_text(value, " "))).replace("&#39;", "'").replace("&#34;", '"')
    assert str(escape_text(value)) == full.translate(_ANKI_SPECIAL).replace("::", ":&#58;")
