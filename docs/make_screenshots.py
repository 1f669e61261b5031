"""Make docs/card-light.png and docs/card-night.png: a card's front and back on a phone.

    python docs/make_screenshots.py

Renders the cards of seeds/ with Anki's engine and photographs one of them
in headless Chromium (Debian's `chromium`) at 390×844 per side.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import screenshot  # noqa: E402

from cards.preview import LIGHT, NIGHT, PHONE_HEIGHT, PHONE_WIDTH, card_document, render_cards  # noqa: E402

GAP = 24


def side_by_side(front: str, back: str, background: str) -> str:
    frames = "".join(
        f'<iframe width="{PHONE_WIDTH}" height="{PHONE_HEIGHT}" srcdoc="{html.escape(page, quote=True)}" '
        f'style="border:0;margin-right:{GAP}px"></iframe>'
        for page in (front, back)
    )
    return f'<html><body style="margin:0;background:{background};display:flex">{frames}</body></html>'


def main() -> None:
    cards = render_cards([ROOT / "seeds"])
    card = next(c for c in cards if "Gutenberg" in c.front and "cloze" in c.note_type)
    for name, body, background in (("light", LIGHT, "#d9d6ce"), ("night", NIGHT, "#0d0e10")):
        page = side_by_side(card_document(card.front, card.css, body), card_document(card.back, card.css, body),
                            background)
        out = ROOT / "docs" / f"card-{name}.png"
        screenshot(page, out, 2 * PHONE_WIDTH + GAP, PHONE_HEIGHT)
        print(out)


if __name__ == "__main__":
    main()
