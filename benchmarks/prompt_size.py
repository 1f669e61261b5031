"""The size of what `--writer llm` sends, per 1,000 key points, counted from the prompts themselves.

    python benchmarks/prompt_size.py

Builds every request a build would send for the labelled sets in benchmarks/
and for the notes in seeds/ (and ../shared/seeds when it is there): the
system prompt, the user message and the JSON schema, one request per snip.
Tokens are estimated as characters / 4 (OpenAI's rule of thumb for English;
no tokenizer is downloaded); a model's own count, in the build's summary
line, may differ by a fifth either way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from quality import BLIND_3, HOLDOUT, SHARED_SEEDS, SNIPD_STYLE, TUNING_2, read_set, seed_episodes  # noqa: E402

from cards.cardmaker import llm  # noqa: E402
from cards.model import Episode  # noqa: E402
from cards.notes import writes_cards  # noqa: E402

CHARS_PER_TOKEN = 4


def request_chars(episodes: list[Episode]) -> tuple[int, int, int]:
    """Snips, key points, and the characters of every request their cards need."""
    snips = key_points = chars = 0
    for episode in episodes:
        for snip in episode.snips:
            if not writes_cards(snip):
                continue
            arguments = llm.request_arguments("model", llm.snip_request(episode, snip), schema=True)
            chars += len(json.dumps(arguments, ensure_ascii=False))
            snips += 1
            key_points += len(snip.key_points)
    return snips, key_points, chars


def main() -> None:
    labelled = [episode for path in (BLIND_3, HOLDOUT, SNIPD_STYLE, TUNING_2) if path.exists()
                for episode, _ in read_set(path)]
    print("| set | snips | key points | tokens in per 1,000 key points |")
    print("| --- | ---: | ---: | ---: |")
    for name, episodes in (("labelled sets (no transcripts)", labelled), ("seeds/", seed_episodes([ROOT / "seeds"])),
                           ("the real note (../shared/seeds, when there)", seed_episodes([SHARED_SEEDS]))):
        snips, key_points, chars = request_chars(episodes)
        if key_points:
            per_thousand = chars / CHARS_PER_TOKEN / key_points * 1000
            print(f"| {name} | {snips} | {key_points} | {per_thousand:,.0f} |")


if __name__ == "__main__":
    main()
