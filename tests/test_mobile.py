"""Cards rendered by Anki, measured in headless Chromium at 390×844, light and night."""

from __future__ import annotations

import pytest
from browser import measure_pages

from cards.preview import LIGHT, card_document, render_cards

pytestmark = pytest.mark.browser

MODES = {"light": LIGHT, "night (desktop, AnkiMobile)": "card nightMode", "night (AnkiDroid)": "card night_mode"}


@pytest.fixture(scope="module")
def rendered(request):
    from conftest import ROOT, SEED_NOTE

    paths = [ROOT / "seeds", ROOT / "tests" / "fixtures" / "hostile"]
    if SEED_NOTE.exists():
        paths.append(SEED_NOTE)
    return render_cards(paths)


@pytest.mark.parametrize("mode", list(MODES))
def test_cards_fit_read_and_contrast_on_a_phone(rendered, mode):
    pages = [
        (f"{i} {side}", card_document(getattr(card, side), card.css, MODES[mode]))
        for i, card in enumerate(rendered) for side in ("front", "back")
    ]
    results = measure_pages(pages)
    assert len(results) == len(pages) >= 90  # 45 cards or more from the repo alone (47 today), more with ../shared
    for result in results:
        assert result["texts"] > 0, result
        assert result["scrollWidth"] <= result["width"] == 390, result["label"]
        assert result["fontMin"] >= 16, (result["label"], result["small"])
        assert result["contrastMin"] >= 4.5, (result["label"], result["lowContrast"])
        assert result["hanging"] == [], result["label"]
    backs = [r for r in results if r["label"].endswith("back")]
    assert len(backs) == len(rendered)
    for back in backs:  # the transcript's folded parts: closed at first, each opening on a tap
        for details in back["details"]:
            assert (details["closedAtFirst"], details["openAfterClick"]) == (True, True), back["label"]
            assert details["contentHeight"] > 0, back["label"]
    assert sum(len(back["details"]) for back in backs) >= 15  # what lies away from the passage is folded
    labels = [details["label"] for back in backs for details in back["details"]]
    assert set(labels) <= {"Earlier in the transcript", "More of the transcript", "Later in the transcript",
                           "Full transcript"}
    assert {"Earlier in the transcript", "Later in the transcript"} <= set(labels)


@pytest.mark.parametrize("width", [360, 412, 430])
def test_no_separator_hangs_at_the_end_of_a_line(rendered, width):
    """The source line (and every other): a "·" never ends a line, at any phone width (390: the test above)."""
    pages = [(f"{i} {side}", card_document(getattr(card, side), card.css, LIGHT))
             for i, card in enumerate(rendered) for side in ("front", "back")]
    results = measure_pages(pages, width=width)
    assert len(results) == len(pages)
    for result in results:
        assert result["hanging"] == [], result["label"]
        assert result["scrollWidth"] <= result["width"] == width, result["label"]
