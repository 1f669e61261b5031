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
    assert len(results) == len(pages) >= 96  # 48 cards or more from the repo alone, more with ../shared
    for result in results:
        assert result["texts"] > 0, result
        assert result["scrollWidth"] <= result["width"] == 390, result["label"]
        assert result["fontMin"] >= 16, (result["label"], result["small"])
        assert result["contrastMin"] >= 4.5, (result["label"], result["lowContrast"])
    backs = [r for r in results if r["label"].endswith("back")]
    assert len(backs) == len(rendered)
    for back in backs:  # every back has the transcript, folded at first, opening on a tap
        details = back["details"]
        assert details is not None, back["label"]
        assert (details["closedAtFirst"], details["openAfterClick"]) == (True, True), back["label"]
        assert details["contentHeight"] > 0, back["label"]
