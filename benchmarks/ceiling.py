"""What a careful reader scores on the held-out sets, by `quality.py`'s measures: how high the labels let a card go.

    python benchmarks/ceiling.py                # every set a reader wrote cards for
    python benchmarks/ceiling.py --no-headline  # the headline blind set only as the reader wrote it

`careful_reader/<set>.json` holds, for each key point of a held-out set, the
one cloze target, question and answer a helper chose. The helper was told
what makes a good card (the same principles the card maker follows) and saw
only the key points: never their labels, never the card maker or its cards.
Each set is scored twice:

- as the reader wrote it: its cloze against the labelled targets, its
  answer against the labelled answers (exactly as `quality.py` scores the
  rules: precision@1 after `normalise`, a wrong target is a labelled `bad`
  one);
- through the language-model writer, as a build would take the reader's
  cards from a model (`LlmWriter`): every card passes the writer's checks or
  the key point gets the rules' cards. With `--no-headline` the headline
  blind set is not taken through the writer, since the rules' cards of the
  key points whose reader card fails a check would count in its figures.

The reader is a language model like the helpers that labelled the sets, so
its agreement with them is an upper bound for a writer of the same kind, not
for a person.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality

from cards.cardmaker.llm import Fallback, LlmWriter, Proposal, Reply, snip_job
from cards.cardmaker.types import CardPlan, Question, Target, TargetKind
from cards.notes import writes_cards

READER = "careful-reader"
FOLDER = Path(__file__).resolve().parent / "careful_reader"
SETS = (("blind set", quality.BLIND), ("fifth blind set", quality.BLIND_5),
        ("Snipd-style held-out set", quality.HOLDOUT))


class ReaderCard(NamedTuple):
    """The card a careful reader wrote for one key point (no question when it found none worth asking)."""

    text: str
    cloze: str
    question: str | None
    answer: str | None


def reader_cards(path: Path) -> dict[str, ReaderCard]:
    """The reader's cards for a labelled set, by key point, or none when it wrote none for this set."""
    found = FOLDER / path.name
    if not found.exists():
        return {}
    return {item["text"]: ReaderCard(**item) for item in json.loads(found.read_text(encoding="utf-8"))}


def as_written(labels: quality.Labels, card: ReaderCard) -> quality.Row:
    """The reader's card as a plan scored by `quality.figures` (its cloze as the first deletion)."""
    start = labels.text.find(card.cloze)
    target = Target(start=start, end=start + len(card.cloze), text=card.cloze, kind=TargetKind.NOUN_PHRASE,
                    score=0.0, first_token=0, last_token=0)
    question = Question(text=card.question, answer=card.answer) if card.question and card.answer else None
    plan = CardPlan(key_point=labels.text, deletions=(target,), question=question, cloze_context="",
                    qa_context="", before="")
    return quality.Row(labels, plan)


def reader_writer(path: Path, cards: dict[str, ReaderCard]) -> tuple[LlmWriter, int]:
    """A writer holding the reader's cards as a model's answers, and how many of them pass its checks."""
    answers: dict[str, Proposal] = {}
    kept = 0
    for episode, _ in quality.read_set(path):
        for snip in episode.snips:
            if not writes_cards(snip):
                continue
            job = snip_job(READER, episode, snip)
            for position, (key, text) in enumerate(zip(job.keys, snip.key_points, strict=True)):
                card = cards[text]
                answers[key] = Proposal(cloze=card.cloze, question=card.question or "", answer=card.answer or "")
                kept += not isinstance(job.judge(position, Reply(answers[key])), Fallback)
    return LlmWriter(READER, READER, answers), kept


def through_the_writer(path: Path, cards: dict[str, ReaderCard]) -> tuple[dict[str, float], int]:
    """The set's figures when a build takes the reader's cards from a model, and how many it kept."""
    writer, kept = reader_writer(path, cards)
    rules, quality.WRITER = quality.WRITER, writer
    try:
        return quality.figures(quality.plan_set(path).rows), kept
    finally:
        quality.WRITER = rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-headline", action="store_true",
                        help="take the headline blind set only as written, not through the writer")
    args = parser.parse_args()
    for name, path in SETS:
        cards = reader_cards(path)
        if not cards:
            print(f"{name}: no careful reader's cards in {FOLDER.name}/")
            continue
        rows = [as_written(labels, cards[labels.text]) for _, labelled in quality.read_set(path) for labels in labelled]
        print(quality.line(f"{name}, as the reader wrote it", quality.figures(rows)))
        if args.no_headline and path == quality.BLIND:
            print(f"  {path.name}: not taken through the writer (--no-headline)")
            continue
        figures, kept = through_the_writer(path, cards)
        print(quality.line(f"  through the language-model writer, {kept} of {len(rows)} cards kept", figures))


if __name__ == "__main__":
    main()
