"""Card quality on a hand-labelled set of key points.

    python benchmarks/quality.py [-v]

Prints target precision@1 (the first deletion is one of the acceptable
targets a person labelled) and the share of cards passing the automatic
checks, over the labelled set and over every key point in seeds/ (and the
real note in ../shared/seeds when it is there).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cards.checks import card_problems  # noqa: E402
from cards.make import plan_cards  # noqa: E402
from cards.parse import find_sources, parse_file  # noqa: E402

LABELLED = Path(__file__).with_name("labelled_key_points.json")
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"


def normalise(text: str) -> str:
    text = re.sub(r"^(the|a|an)\s+", "", text.strip().lower())
    return re.sub(r"[’']s$", "", text)


def precision_at_1(verbose: bool) -> tuple[float, int]:
    items = json.loads(LABELLED.read_text(encoding="utf-8"))
    hits = 0
    for item in items:
        plan = plan_cards(item["key_point"], "Eval Podcast", f"On {item['topic']}")
        first = plan.deletions[0].text if plan.deletions else ""
        ok = normalise(first) in {normalise(t) for t in item["targets"]}
        hits += ok
        if verbose and not ok:
            print(f"  miss: {first!r:32} in {item['key_point']}")
    return hits / len(items), len(items)


def seed_plans() -> list:
    folders = [ROOT / "seeds"] + ([SHARED_SEEDS] if SHARED_SEEDS.exists() else [])
    plans = []
    for path in find_sources(folders).sources:
        for episode in parse_file(path).episodes:
            for snip in episode.snips:
                plans += [plan_cards(k, episode.podcast, episode.title) for k in snip.key_points]
    return plans


def checks(plans: list, verbose: bool) -> tuple[int, int, int]:
    cards = passing = 0
    for plan in plans:
        count = len(plan.deletions) + (1 if plan.question else 0)
        problems = card_problems(plan)
        cards += count
        passing += count if not problems else 0
        if verbose and problems:
            print(f"  fails: {problems} in {plan.key_point}")
    return cards, passing, sum(1 for p in plans if p.question is None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and failures")
    args = parser.parse_args()
    precision, labelled = precision_at_1(args.verbose)
    labelled_plans = [plan_cards(i["key_point"], "Eval Podcast", f"On {i['topic']}")
                      for i in json.loads(LABELLED.read_text(encoding="utf-8"))]
    seed = seed_plans()
    print(f"target precision@1 on {labelled} labelled key points: {precision:.3f}")
    for name, plans in (("labelled set", labelled_plans), ("seed notes", seed)):
        cards, passing, no_question = checks(plans, args.verbose)
        print(f"{name}: {passing}/{cards} cards pass the automatic checks ({passing / cards:.1%}); "
              f"{no_question}/{len(plans)} key points without a good question (no Q&A card)")


if __name__ == "__main__":
    main()
