"""Card quality on hand-labelled key points: held-out figures first, then the sets the rules were tuned on.

    python benchmarks/quality.py [-v] [--no-headline]   # --no-headline: during a round of work
    python benchmarks/quality.py --writer llm --llm-model NAME [--llm-url URL]  # a language model's cards

Key points are grouped by episode and labelled with the acceptable cloze
targets, the acceptable short Q&A answers (a reversed question counts: for
"Sleep cycles last about 90 minutes", both `90 minutes` and `sleep cycles`)
and the tempting wrong targets (the speaker, the topic word, a pronoun, a
verb). Two label formats are read: `targets`/`answers`/`wrong`, and
`ok`/`qa_ok`/`bad` with a `kind` per key point (fact, attributed, advice,
contrast, pronoun), the snip each key point belongs to, and the episode's
speakers. Key points are planned as a build plans them (`cards.notes.snip_plans`):
with their episode's topic words, the key point before them in their snip,
and the names the snip holds (its speakers among them).

Per set: cloze precision@1 (the first deletion is an acceptable target),
the share of first deletions that hide a tempting wrong target, Q&A coverage
(the share of key points with a question: where none can be read with
confidence none is made), Q&A answer precision, and the automatic checks'
pass rate.

Held out (aggregate figures only; nobody looks at their cards while tuning):
- `blind_key_points_17.json`: written and labelled by someone who had never
  seen the card maker or the other sets, committed before it ever ran on
  them, to be measured only at the end of issue 19's seventeenth round; also per kind;
- `blind_key_points_5.json`: written the same way; measured at the end of the
  fifth round and again at the end of the sixth, its aggregate figures read
  during the seventh; per kind;
- `blind_key_points_3.json`: written the same way; measured at the end of the
  third round, its aggregate figures were read during the fourth and fifth,
  so it is less blind; per kind;
- `blind_key_points_2.json`: written the same way; its aggregate figures
  guided issue 19's second to fourth rounds, so it is less blind still; per kind;
- `snipd_style_holdout.json`: 40 key points labelled after issue 11's rules.

Tuned on (`-v` lists their misses):
- `snipd_style_key_points.json`: 200 key points in Snipd's style;
- `snipd_style_tuning_2.json`: a second set written like the blind one;
- `snipd_style_tuning_3.json`: the first blind set, whose cards were looked
  at once at the end of a round of work, and so no longer blind;
- `snipd_style_tuning_4.json`: the fourth blind set, measured once at the end
  of round 4 and then looked at card by card, so no longer blind;
- `snipd_style_tuning_5.json`: the sixth blind set, likewise after round 6;
- `snipd_style_tuning_6.json`: the seventh blind set, likewise after round 7;
- `snipd_style_tuning_7.json`: the eighth blind set, likewise after round 8;
- `snipd_style_tuning_8.json`: the ninth blind set, likewise after round 9;
- `snipd_style_tuning_9.json`: the tenth blind set, likewise after round 10;
- `snipd_style_tuning_10.json`: the eleventh blind set, likewise after round 11;
- `snipd_style_tuning_11.json`: the twelfth blind set, likewise after round 12;
- `snipd_style_tuning_12.json`: the thirteenth blind set, likewise after round 13;
- `snipd_style_tuning_13.json`: the fourteenth blind set, likewise after round 14;
- `snipd_style_tuning_14.json`: the fifteenth blind set, likewise after round 15;
- `snipd_style_tuning_15.json`: the sixteenth blind set, likewise after round 16;
- `labelled_key_points.json`: 64 textbook-style key points (targets only).

Then the share of cards passing the automatic checks over every key point in
seeds/ (and the real note in ../shared/seeds when it is there).

With `--writer llm`, every key point is first sent to the model (one request
per snip, as a build sends them; the URL defaults to OPENAI_BASE_URL, the key
is OPENAI_API_KEY), and the same table is printed for its cards: a key point
whose answer fails a check gets the rules' cards, as in a build. One line on
standard error says how many key points the model wrote and what it cost.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cards.cardmaker import llm  # noqa: E402
from cards.cardmaker.llm import LlmSettings, LlmWriter, llm_settings  # noqa: E402
from cards.cardmaker.types import CardPlan, Question  # noqa: E402
from cards.cardmaker.words import tokens  # noqa: E402
from cards.cardmaker.writer import RULES, Writer  # noqa: E402
from cards.checks import card_problems  # noqa: E402
from cards.errors import CardsError  # noqa: E402
from cards.model import Episode, Shape, Snip, Turn  # noqa: E402
from cards.notes import episode_topic, snip_plans, writes_cards  # noqa: E402
from cards.parse import find_sources, parse_file  # noqa: E402

HERE = Path(__file__).resolve().parent
LABELLED = HERE / "labelled_key_points.json"
SNIPD_STYLE = HERE / "snipd_style_key_points.json"
TUNING_2 = HERE / "snipd_style_tuning_2.json"
TUNING_3 = HERE / "snipd_style_tuning_3.json"
TUNING_4 = HERE / "snipd_style_tuning_4.json"
TUNING_5 = HERE / "snipd_style_tuning_5.json"
TUNING_6 = HERE / "snipd_style_tuning_6.json"
TUNING_7 = HERE / "snipd_style_tuning_7.json"
TUNING_8 = HERE / "snipd_style_tuning_8.json"
TUNING_9 = HERE / "snipd_style_tuning_9.json"
TUNING_10 = HERE / "snipd_style_tuning_10.json"
TUNING_11 = HERE / "snipd_style_tuning_11.json"
TUNING_12 = HERE / "snipd_style_tuning_12.json"
TUNING_13 = HERE / "snipd_style_tuning_13.json"
TUNING_14 = HERE / "snipd_style_tuning_14.json"
TUNING_15 = HERE / "snipd_style_tuning_15.json"
TUNING_SETS = (("Snipd-style set", SNIPD_STYLE), ("second tuning set", TUNING_2), ("third tuning set", TUNING_3),
               ("fourth tuning set", TUNING_4), ("fifth tuning set", TUNING_5), ("sixth tuning set", TUNING_6),
               ("seventh tuning set", TUNING_7), ("eighth tuning set", TUNING_8), ("ninth tuning set", TUNING_9),
               ("tenth tuning set", TUNING_10), ("eleventh tuning set", TUNING_11),
               ("twelfth tuning set", TUNING_12), ("thirteenth tuning set", TUNING_13),
               ("fourteenth tuning set", TUNING_14), ("fifteenth tuning set", TUNING_15))
HOLDOUT = HERE / "snipd_style_holdout.json"
BLIND = HERE / "blind_key_points_17.json"
BLIND_5 = HERE / "blind_key_points_5.json"
BLIND_3 = HERE / "blind_key_points_3.json"
BLIND_2 = HERE / "blind_key_points_2.json"
BLIND_SETS = (("  blind set", BLIND), ("  fifth blind set", BLIND_5), ("  third blind set", BLIND_3),
              ("  second blind set", BLIND_2))
LABELLED_SETS = (*(path for _, path in BLIND_SETS), HOLDOUT, *(path for _, path in TUNING_SETS))  # every one
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"
KINDS = ("fact", "attributed", "advice", "contrast", "pronoun")
WRITER: Writer = RULES  # `--writer llm`: the model's writer, holding its answers for every key point here


class Labels(NamedTuple):
    """One labelled key point, whichever format it was written in."""

    text: str
    ok: tuple[str, ...]  # acceptable cloze targets
    qa_ok: tuple[str, ...]  # acceptable answers
    bad: tuple[str, ...]  # tempting wrong targets
    kind: str = ""
    snip: str = ""


class Row(NamedTuple):
    labels: Labels
    plan: CardPlan


class PlannedSet(NamedTuple):
    """A labelled set's key points, planned, and how many episodes it holds."""

    rows: list[Row]
    episodes: int


def read_set(path: Path) -> list[tuple[Episode, list[Labels]]]:
    """A labelled set as episodes (as a parser would make them) and their key points' labels."""
    data = json.loads(path.read_text(encoding="utf-8"))
    episodes = data["episodes"] if isinstance(data, dict) else data
    found = []
    for number, raw in enumerate(episodes):
        labels = [Labels(text=k["text"], ok=tuple(k.get("ok", k.get("targets", ()))),
                         qa_ok=tuple(k.get("qa_ok", k.get("answers", ()))), bad=tuple(k.get("bad", k.get("wrong", ()))),
                         kind=k.get("kind", ""), snip=k.get("snip", "")) for k in raw["key_points"]]
        turns = tuple(Turn(speaker=name, text="") for name in raw.get("speakers", ()))
        snips: dict[str, list[str]] = {}
        for item in labels:  # key points in order; a set without snips is one snip an episode
            snips.setdefault(item.snip, []).append(item.text)
        episode = Episode(key=f"{path.stem}-{number}", slug=f"episode-{number}", podcast=raw["podcast"],
                          title=raw["episode"], source=path, shape=Shape.PLUGIN,
                          snips=tuple(Snip(key=f"{number}-{index}", title=title or raw["episode"],
                                           key_points=tuple(texts), turns=turns)
                                      for index, (title, texts) in enumerate(snips.items())))
        found.append((episode, labels))
    return found


def plan_set(path: Path) -> PlannedSet:
    """Every key point of a labelled set, planned as a build plans it (the set read once)."""
    rows = []
    episodes = read_set(path)
    for episode, labels in episodes:
        topic = episode_topic(episode)
        by_text = {}
        for snip in episode.snips:
            for position, plan in snip_plans(episode, snip, topic, WRITER):
                by_text[(snip.title, position)] = plan
        positions: dict[str, int] = {}
        for item in labels:
            title = item.snip or episode.title
            position = positions.get(title, 0)
            positions[title] = position + 1
            rows.append(Row(item, by_text[(title, position)]))
    return PlannedSet(rows=rows, episodes=len(episodes))


def normalise(text: str) -> str:
    """Lower case, without a leading article, a trailing `'s` or a final full stop (`4 p.m.` is the labelled
    `4 p.m`)."""
    text = re.sub(r"^(the|a|an)\s+", "", text.strip().lower().removesuffix("."))
    return re.sub(r"[’']s$", "", text)


def acceptable_answer(question: Question, answers: Iterable[str]) -> bool:
    """The answer is labelled acceptable, with or without words the question already shows.

    `How many stars did the Kepler telescope watch?` → `150,000 stars` is the
    labelled `150,000`: the unit the question names adds nothing.
    """
    labels = {normalise(a) for a in answers}
    shown = {w.lower for w in tokens(question.text)}
    bare = " ".join(w.text for w in tokens(question.answer) if w.lower not in shown)
    return normalise(question.answer) in labels or (bool(bare) and normalise(bare) in labels)


def first_deletion(plan: CardPlan) -> str:
    return normalise(plan.deletions[0].text) if plan.deletions else ""


def cloze_hit(row: Row) -> bool:
    return first_deletion(row.plan) in {normalise(t) for t in row.labels.ok}


def cloze_wrong(row: Row) -> bool:
    first = first_deletion(row.plan)
    return bool(first) and first in {normalise(t) for t in row.labels.bad}


def answer_right(row: Row) -> bool:
    return row.plan.question is not None and acceptable_answer(row.plan.question, row.labels.qa_ok)


def figures(rows: list[Row]) -> dict[str, float]:
    """The issue's measures over some planned key points."""
    asked = [row for row in rows if row.plan.question]
    cards, passing, _ = checks([row.plan for row in rows], verbose=False)
    return {
        "key points": len(rows),
        "cloze precision@1": sum(map(cloze_hit, rows)) / max(1, len(rows)),
        "wrong-target share": sum(map(cloze_wrong, rows)) / max(1, len(rows)),
        "Q&A coverage": len(asked) / max(1, len(rows)),
        "Q&A answer precision": sum(map(answer_right, asked)) / max(1, len(asked)),
        "checks pass": passing / max(1, cards),
    }


def snipd_style(verbose: bool, path: Path | None = None) -> dict[str, float]:
    """The figures of one labelled set (the 200 Snipd-style key points by default), with its episode count."""
    planned = plan_set(path or SNIPD_STYLE)
    if verbose:
        list_misses(planned.rows)
    return {**figures(planned.rows), "episodes": planned.episodes}


def list_misses(rows: list[Row]) -> None:
    for row in rows:
        if not cloze_hit(row):
            shown = row.plan.deletions[0].text if row.plan.deletions else ""
            print(f"  cloze {'WRONG' if cloze_wrong(row) else 'miss '}: {shown!r:28} in {row.labels.text}")
    for row in rows:
        if row.plan.question and not answer_right(row):
            print(f"  answer miss: {row.plan.question.answer!r:28} for {row.plan.question.text}")


def line(name: str, figures: dict[str, float], episodes: int | None = None) -> str:
    size = f"{figures['key points']:.0f} key points" + (f", {episodes} episodes" if episodes is not None else "")
    return (f"{name} ({size}): cloze precision@1 {figures['cloze precision@1']:.3f}; wrong-target share "
            f"{figures['wrong-target share']:.1%}; Q&A coverage {figures['Q&A coverage']:.2f}, answer precision "
            f"{figures['Q&A answer precision']:.2f}; {figures['checks pass']:.1%} of cards pass the checks")


def labelled_episode(number: int, item: dict) -> Episode:
    """A textbook-style key point as an episode of its own (what a model is asked about it)."""
    title = f"On {item['topic']}"
    return Episode(key=f"labelled-{number}", slug=f"labelled-{number}", podcast="Eval Podcast", title=title,
                   source=LABELLED, shape=Shape.PLUGIN,
                   snips=(Snip(key=f"labelled-{number}", title=title, key_points=(item["key_point"],), turns=()),))


def plan_labelled(number: int, item: dict) -> CardPlan:
    """A textbook-style key point's plan, as a build plans it, by the rules or the model."""
    episode = labelled_episode(number, item)
    return next(snip_plans(episode, episode.snips[0], frozenset(), WRITER))[1]


def plan_labelled_set() -> list[tuple[dict, CardPlan]]:
    """Every textbook-style key point (as labelled) with its plan."""
    items = json.loads(LABELLED.read_text(encoding="utf-8"))
    return [(item, plan_labelled(number, item)) for number, item in enumerate(items)]


def precision_at_1(verbose: bool, planned: list[tuple[dict, CardPlan]] | None = None) -> tuple[float, int]:
    """The share of textbook-style key points whose first deletion is a labelled target (`planned`: the set's
    plans, when the caller has them already), and their number."""
    planned = plan_labelled_set() if planned is None else planned
    hits = 0
    for item, plan in planned:
        first = plan.deletions[0].text if plan.deletions else ""
        ok = normalise(first) in {normalise(t) for t in item["targets"]}
        hits += ok
        if verbose and not ok:
            print(f"  miss: {first!r:32} in {item['key_point']}")
    return hits / len(planned), len(planned)


def seed_episodes(folders: list[Path] | None = None) -> list[Episode]:
    """The episodes of the notes in `folders` that exist (default: seeds/, and ../shared/seeds when there)."""
    present = [folder for folder in folders or [ROOT / "seeds", SHARED_SEEDS] if folder.exists()]
    if not present:
        return []
    return [episode for path in find_sources(present).sources for episode in parse_file(path).episodes]


def seed_plans() -> list[CardPlan]:
    plans = []
    for episode in seed_episodes():
        topic = episode_topic(episode)
        for snip in episode.snips:
            plans += [plan for _, plan in snip_plans(episode, snip, topic, WRITER)]
    return plans


def checks(plans: list[CardPlan], verbose: bool) -> tuple[int, int, int]:
    cards = passing = 0
    for plan in plans:
        count = len(plan.deletions) + (1 if plan.question else 0)
        problems = card_problems(plan)
        cards += count
        passing += count if not problems else 0
        if verbose and problems:
            print(f"  fails: {problems} in {plan.key_point}")
    return cards, passing, sum(1 for p in plans if p.question is None)


def look_at_blind_cards() -> None:
    """Every card of the blind set, one by one: for the one look at the end of a round of work."""
    for row in plan_set(BLIND).rows:
        plan, labels = row.plan, row.labels
        print(f"[{labels.kind}] {labels.text}")
        for target in plan.deletions:
            verdict = "ok  " if normalise(target.text) in map(normalise, labels.ok) else "MISS"
            print(f"    cloze {verdict} {target.text!r}")
        if plan.question:
            verdict = "ok  " if answer_right(row) else "MISS"
            print(f"    Q&A   {verdict} {plan.question.text} → {plan.question.answer}")
        else:
            print("    Q&A   none")


def print_blind_set(name: str, path: Path) -> None:
    """A blind set's figures, then its figures per kind of key point."""
    if not path.exists():
        print(f"{name}: {path.name} is not here")
        return
    planned = plan_set(path)
    print(line(name, figures(planned.rows), planned.episodes))
    for kind in KINDS:
        of_kind = [row for row in planned.rows if row.labels.kind == kind]
        if of_kind:
            print(line(f"    {kind}", figures(of_kind)))


def every_episode() -> list[Episode]:
    """Every episode the table plans: the labelled sets, the textbook-style key points, the seed notes."""
    episodes = [episode for path in LABELLED_SETS if path.exists() for episode, _ in read_set(path)]
    items = json.loads(LABELLED.read_text(encoding="utf-8"))
    return episodes + [labelled_episode(n, item) for n, item in enumerate(items)] + seed_episodes()


def model_writer(settings: LlmSettings) -> LlmWriter:
    """Ask the model about every key point in the table, once; the writer holding its answers."""
    jobs = [llm.snip_job(settings.model, episode, snip)
            for episode in every_episode() for snip in episode.snips if writes_cards(snip)]
    proposals: dict[str, llm.Proposal] = {}
    tally = llm.Tally()

    def answered(index: int, replies: tuple[llm.Reply, ...]) -> None:
        job = jobs[index]
        for position, reply in enumerate(replies):
            tally.add(job.judge(position, reply))
            if reply.proposal is not None:
                proposals[job.keys[position]] = reply.proposal

    def progress(done: int, total: int) -> None:
        print(f"\rasking {settings.model}: {done}/{total} key points", end="", file=sys.stderr, flush=True)

    usage = llm.ask_all(settings, [job.request for job in jobs], answered, progress)
    print(f"\r{settings.model}: {llm.summary_line(tally, usage)}", file=sys.stderr)
    return LlmWriter(settings.model, settings.identity, proposals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list the tuning sets' misses and failures")
    parser.add_argument("--holdout", action="store_true",
                        help="list the held-out set's misses too (look only once the rules are settled)")
    parser.add_argument("--no-headline", action="store_true",
                        help="leave the headline blind set unread (during a round: it is read once, at its end)")
    parser.add_argument("--look-at-blind-cards", action="store_true",
                        help="print every card of the blind set (once, at the very end of a round of work)")
    parser.add_argument("--writer", choices=("rules", "llm"), default="rules", help="who writes the cards")
    parser.add_argument("--llm-model", metavar="NAME", help="the model, with --writer llm")
    parser.add_argument("--llm-url", metavar="URL", help="its server (default: OPENAI_BASE_URL, else OpenAI's)")
    args = parser.parse_args()
    if args.writer == "llm":
        global WRITER
        try:
            WRITER = model_writer(llm_settings(args.llm_model, args.llm_url))
        except CardsError as error:
            parser.exit(2, f"error: {error}\n")
    if args.look_at_blind_cards:
        look_at_blind_cards()
        return
    print("Held out:")
    tuning_rows: list[Row] = []
    for name, path in BLIND_SETS:
        if args.no_headline and path == BLIND:
            print(f"{name}: {path.name} left unread (--no-headline)")
            continue
        print_blind_set(name, path)
    holdout = plan_set(HOLDOUT)
    print(line("  Snipd-style held-out set", figures(holdout.rows), holdout.episodes))
    if args.holdout:
        list_misses(holdout.rows)
    print("Tuned on:")
    for name, path in TUNING_SETS:
        if not path.exists():
            print(f"  {name}: {path.name} is not here")
            continue
        planned = plan_set(path)
        tuning_rows += planned.rows
        print(line(f"  {name}", figures(planned.rows), planned.episodes))
        if args.verbose:
            list_misses(planned.rows)
    print(line("  the fifteen tuning sets", figures(tuning_rows)))
    labelled_set = plan_labelled_set()  # planned once: for precision@1 and for the checks
    precision, labelled = precision_at_1(args.verbose, labelled_set)
    labelled_plans = [plan for _, plan in labelled_set]
    print(f"  target precision@1 on {labelled} textbook-style key points: {precision:.3f}")
    seed = seed_plans()
    for name, plans in (("labelled set", labelled_plans), ("seed notes", seed)):
        cards, passing, no_question = checks(plans, args.verbose)
        print(f"{name}: {passing}/{cards} cards pass the automatic checks ({passing / cards:.1%}); "
              f"{no_question}/{len(plans)} key points without a good question (no Q&A card)")


if __name__ == "__main__":
    main()
