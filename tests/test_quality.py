"""Every card built from the seeds passes the automatic checks; precision holds."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from ankitools import fresh_collection, import_package, visible_text

from cards.build import build
from cards.cardmaker.frames import attribution
from cards.cardmaker.giveaway import contains_answer
from cards.cardmaker.plan import plan_cards
from cards.cardmaker.targets import topic_words
from cards.checks import card_problems
from cards.notes import proper_names
from cards.parse import find_sources, parse_file

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "quality.py"


def plans_of(paths):
    """Every key point's plan, made as a build makes it (with the episode's topic words)."""
    for path in find_sources(paths).sources:
        for episode in parse_file(path).episodes:
            topic = topic_words([k for snip in episode.snips for k in snip.key_points])
            for snip in episode.snips:
                names = proper_names(episode, snip)
                for key_point in snip.key_points:
                    yield plan_cards(key_point, episode.podcast, episode.title, names, topic)


def test_every_seed_card_passes_the_checks(seeds):
    failures = {p.key_point: card_problems(p) for p in plans_of([seeds]) if card_problems(p)}
    assert failures == {}


def test_every_card_of_the_real_note_passes_the_checks(seed_note):
    plans = list(plans_of([seed_note]))
    assert len(plans) == 42 and all(p.deletions for p in plans)
    assert {p.key_point: card_problems(p) for p in plans if card_problems(p)} == {}


def test_the_real_note_hides_no_topic_word_and_asks_for_no_speaker(seed_note):
    plans = list(plans_of([seed_note]))
    hidden = [d.text for p in plans for d in p.deletions]
    assert "AI" not in hidden  # it was hidden six times: the episode is about AI
    framed = [p for p in plans if attribution(p.key_point)]
    assert len(framed) >= 3  # `Dylan Patel believes …`, `… mentions that …`, `… states that …`
    for plan in framed:
        speaker = attribution(plan.key_point).speaker
        assert all(speaker not in d.text for d in plan.deletions), plan.key_point
        if plan.question:
            assert plan.question.answer != speaker and plan.question.text.startswith(f"According to {speaker}, ")


def test_precision_at_1_on_the_labelled_set():
    quality = _benchmark("quality")
    precision, count = quality.precision_at_1(verbose=False)
    # Issue 11 held this set at 0.95 when hand-ordered rules were tuned on it. The ranking is now fitted on all the
    # tuning sets at once (benchmarks/fit_ranking.py): counting these 64 textbook-style key points twice would keep
    # 0.95, at a small cost on the Snipd-style sets' cross-validated figures, so they count once.
    assert count >= 60 and precision >= 0.92


def test_anki_never_shows_a_cloze_answer_on_its_front(seed_note, seeds, tmp_path):
    out = tmp_path / "decks"
    build([seed_note, seeds], out, now=1_700_000_000)
    col = fresh_collection(tmp_path / "anki")
    for package in sorted((out / "episodes").glob("*.apkg")):
        import_package(col, package)
    checked = 0
    for card_id in col.find_cards("note:cards*cloze"):
        card = col.get_card(card_id)
        text = card.note()["Text"]
        hidden = re.search(rf"\{{\{{c{card.ord + 1}::(.*?)\}}\}}", text).group(1)
        front = visible_text(card.question())
        assert "[...]" in front and not contains_answer(front, visible_text(hidden)), (hidden, front)
        checked += 1
    assert checked >= 42  # at least one per key point of the real note
    col.close()


def test_the_snipd_style_set_holds_its_ground():
    """The 200 key points in Snipd's style the rules were first tuned on, held near issue 19's bounds: precision@1
    0.87 (issue 11 asked 0.90 of this set; the ranking fitted on all the tuning sets gives it 0.875, and
    cross-validated 0.865), coverage 0.70 (a question that cannot be read with confidence is not made), answer
    precision 0.85."""
    quality = _benchmark("quality")
    figures = quality.snipd_style(verbose=False)
    assert figures["key points"] >= 200 and figures["episodes"] >= 10
    assert figures["checks pass"] == 1.0
    assert figures["wrong-target share"] <= 0.03
    assert figures["cloze precision@1"] >= 0.87
    assert figures["Q&A coverage"] >= 0.70 and figures["Q&A answer precision"] >= 0.85


def test_the_held_out_set_passes_every_check():
    """The 40 key points the rules were not tuned on: their figures are reported, not pinned, but every card
    they make must pass the automatic checks and none may hide a tempting wrong target."""
    quality = _benchmark("quality")
    figures = quality.snipd_style(verbose=False, path=quality.HOLDOUT)
    assert figures["key points"] == 40 and figures["checks pass"] == 1.0
    assert figures["wrong-target share"] <= 0.03


# The people and groups of people the real note's key points name (read from the note).
PEOPLE_IN_THE_NOTE = {"Richard Chang", "Liang Mong Song", "Researchers", "Tool vendors", "Gordon Moore", "Dylan Patel",
                      "Xi Jinping", "Jon", "prodigies"}


def test_the_real_note_asks_who_for_people_and_hides_no_verb_adverb_or_topic_word(seed_note):
    """Issue 19: every question whose answer is a person or a group of people asks `Who` (or `Whose`); no cloze
    hides a verb, an adverb or a word of the episode's topic.

    Every candidate question is checked, not only the one asked: which is asked moves with each refit of the
    chooser's weights, and any of them may be."""
    from cards.cardmaker.plan import question_candidates_of
    from cards.cardmaker.words import parts_of_speech, tokens
    from cards.notes import episode_topic, proper_names, snip_plans

    asked_who = set()
    for episode in parse_file(seed_note).episodes:
        topic = episode_topic(episode)
        assert {"ai", "semiconductor"} <= topic
        for snip in episode.snips:
            names, speakers = proper_names(episode, snip), frozenset(turn.speaker for turn in snip.turns)
            for position, plan in snip_plans(episode, snip, topic):
                previous = snip.key_points[position - 1] if position else ""
                candidates = question_candidates_of(plan.key_point, episode.podcast, episode.title, names, topic,
                                                    previous, speakers)
                for question in [c.question for c in candidates] + ([plan.question] if plan.question else []):
                    if question.answer in PEOPLE_IN_THE_NOTE:
                        assert re.search(r"\bWho(?:se)?\b", question.text), question
                        asked_who.add(question.answer)
                for hidden in plan.deletions:
                    words = tokens(hidden.text)
                    assert not {w.lower.removesuffix("'s") for w in words} & topic, (hidden.text, plan.key_point)
                    if len(words) == 1 and words[0].text.islower():
                        assert parts_of_speech(words[0].lower) & {"NOUN", ""}, (hidden.text, plan.key_point)
    assert {"Richard Chang", "Liang Mong Song", "Researchers", "Tool vendors"} <= asked_who


def test_the_table_can_be_taken_through_a_language_model(monkeypatch):
    """`benchmarks/quality.py --writer llm` asks the endpoint about every key point and prints the same table."""
    import json
    import subprocess
    import sys

    from fake_openai import Answer, FakeServer

    def one_word_cards(seen) -> Answer:  # a model that hides each key point's first word
        cards = [{"key_point": n, "cloze": k.split()[0], "question": "What is it?", "answer": k.split()[0]}
                 for n, k in enumerate(seen.key_points, start=1)]
        return Answer(json.dumps({"cards": cards}))

    script = Path(__file__).parent.parent / "benchmarks" / "quality.py"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-quality-test")
    with FakeServer(one_word_cards) as server:
        result = subprocess.run([sys.executable, str(script), "--writer", "llm", "--llm-model", "fake",
                                 "--llm-url", server.url], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Held out:\n")
    assert "target precision@1 on 64 textbook-style key points" in result.stdout
    last = result.stderr.splitlines()[-1]
    assert last.startswith("fake: ") and " key points from the model, " in last
    assert f"; {len(server.seen):,} requests, " in last
    quality = _benchmark("quality")
    asked = {key_point for seen in server.seen for key_point in seen.key_points}
    labelled = {label.text for path in quality.LABELLED_SETS
                for _, labels in quality.read_set(path) for label in labels}
    assert len(labelled) > 400 and labelled <= asked  # every labelled set, the third tuning set among them


def test_the_language_model_writer_keeps_a_careful_readers_cards():
    """Its checks refuse bad cards, not good ones: of the cards a careful reader wrote for two held-out sets
    (`benchmarks/careful_reader/`), at most one in twenty is refused (an answer of more than six words, a
    cloze of more than five, a question without its `?`), and every card the writer keeps passes the checks."""
    ceiling = _benchmark("ceiling")
    kept = total = 0
    for path in (ceiling.quality.BLIND_5, ceiling.quality.HOLDOUT):
        cards = ceiling.reader_cards(path)
        figures, kept_here = ceiling.through_the_writer(path, cards)
        assert figures["checks pass"] == 1.0
        kept, total = kept + kept_here, total + len(cards)
    assert total == 160 and kept >= 0.95 * total


def _benchmark(name: str):
    """A script of benchmarks/, imported as a module (it imports its neighbours by name)."""
    import sys

    folder = BENCHMARK.parent
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module
