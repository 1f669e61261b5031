"""Builds with the language-model writer (`--writer llm`) against a fake OpenAI-compatible server on 127.0.0.1.

Whatever the server does, a key point it touches gets exactly the rules' notes,
the others the model's, and the summary says so in one line; GUIDs are the
rules build's; the state keeps every answer, so a rebuild asks nothing.
"""

from __future__ import annotations

import functools
import html
import re
import signal
from pathlib import Path

import pytest
from fake_openai import Answer, FakeServer, Seen, closed_port_url
from packages import package_notes
from test_llm import CHANG, GOOD, PATEL, RECIPES, SECRET, SONG, TOOLS, answer_with, good_answer
from typer.testing import CliRunner

from cards.build import BuildReport, build
from cards.cardmaker import llm
from cards.cardmaker.writer import WriterKind, WriterOptions
from cards.cli import app

FIXTURE = Path(__file__).parent / "fixtures" / "llm" / "semiconductors.md"
MODEL = "fake-model"
ALL = (CHANG, SONG, RECIPES, TOOLS, PATEL)


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    """A key in the environment; short timeouts and backoffs, so that failing servers fail fast."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setattr(llm, "llm_settings", functools.partial(llm.llm_settings, timeout=1.0, backoff=0.01))


def llm_build(out: Path, url: str, model: str = MODEL) -> BuildReport:
    return build([FIXTURE], out, workers=1, writer=WriterOptions(WriterKind.LLM, model, url))


def notes_by_key_point(out: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """Key point → {"cloze": (guid, fields), "qa": (guid, fields)} from the episode package."""
    (package,) = (out / "episodes").glob("*.apkg")
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for guid, (_, fields, _) in package_notes(package).items():
        parts = fields.split("\x1f")
        if "{{c" in parts[0]:  # a cloze note: its key point is its text without the deletion
            text = parts[0]
            key_point = next(k for k in ALL if _without_cloze(text) == html.escape(k, quote=False))
            found.setdefault(key_point, {})["cloze"] = (guid, fields)
        else:  # a Q&A note: its third field is its key point
            key_point = next(k for k in ALL if html.escape(k, quote=False) in parts[2])
            found.setdefault(key_point, {})["qa"] = (guid, fields)
    return found


def _without_cloze(text: str) -> str:
    import re

    return re.sub(r"\{\{c\d+::(.*?)(::[^}]*)?\}\}", r"\1", re.sub(r"<[^>]+>", "", text)).strip()


@pytest.fixture(scope="module")
def rules_notes(tmp_path_factory) -> dict[str, dict[str, tuple[str, str]]]:
    out = tmp_path_factory.mktemp("rules")
    build([FIXTURE], out, workers=1)
    return notes_by_key_point(out)


def test_valid_answers_become_the_notes_and_pass_the_checks(tmp_path, rules_notes):
    with FakeServer(good_answer) as server:
        report = llm_build(tmp_path, server.url)
    assert len(server.seen) == 3  # one request per snip
    assert report.model is not None
    assert report.model.line() == (f"Language model {MODEL}: 5 key points from the model, 0 from the rules; "
                                   "3 requests, 300 tokens in and 60 out, " + report.model.line().split(", ")[-1])
    notes = notes_by_key_point(tmp_path)
    for key_point, (cloze, question, answer) in GOOD.items():
        qa = notes[key_point]["qa"][1].split("\x1f")
        assert qa[0] == html.escape(question, quote=False)
        assert qa[1] == html.escape(answer, quote=False)
        assert f"{{{{c1::{cloze}}}}}" in notes[key_point]["cloze"][1]
    # The checks a rules card passes (stage 1 judged each plan; here: nothing the build dropped).
    assert report.problems == []


def _touching(key_points: tuple[str, ...], answer) -> object:
    """A server that answers `answer(seen)` for requests holding any of `key_points`, good answers otherwise."""
    def reply(seen: Seen) -> Answer:
        return answer(seen) if set(seen.key_points) & set(key_points) else good_answer(seen)
    return reply


_state = {"429": 0}


def _429_then_200(seen: Seen) -> Answer:
    _state["429"] += 1
    if _state["429"] == 1:
        return Answer(status=429, body='{"error": {"message": "slow down"}}', headers=(("Retry-After", "0"),))
    return good_answer(seen)


CASES = {
    "prose": ((PATEL,), lambda seen: Answer("Here are some lovely cards about export controls!"),
              "1 the answer was not JSON"),
    "malformed JSON": ((PATEL,), lambda seen: Answer('{"cards": [{"key_point": 1, "cloze": "export'),
                       "1 malformed JSON"),
    "span not in key point": ((CHANG,), functools.partial(answer_with, {CHANG: (
        "Morris Chang", "Who left TSMC for China?", "Richard Chang")}), "1 a cloze not in the key point"),
    "HTML": ((CHANG,), functools.partial(answer_with, {CHANG: (
        "Richard Chang", "Who <b>left</b> TSMC for China?", "Richard Chang")}), "1 markup in the answer"),
    "answer in question": ((CHANG,), functools.partial(answer_with, {CHANG: (
        "Richard Chang", "Did Richard Chang leave TSMC for China?", "Richard Chang")}),
        "1 the answer in its question"),
    "500": ((PATEL,), lambda seen: Answer(status=500, body='{"error": {"message": "boom"}}'),
            "1 server errors (HTTP 5xx)"),
    "timeout": ((PATEL,), lambda seen: Answer(good_answer(seen).content, delay=3.0), "1 the server timed out"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_answer_or_server_gives_the_rules_notes_for_exactly_the_key_points_it_touches(
        case, tmp_path, rules_notes):
    touched, answer, why = CASES[case]
    with FakeServer(_touching(touched, answer)) as server:
        report = llm_build(tmp_path, server.url)
    notes = notes_by_key_point(tmp_path)
    for key_point in ALL:
        if key_point in touched:
            assert notes[key_point] == rules_notes[key_point], key_point
        else:
            qa = notes[key_point]["qa"][1].split("\x1f")
            assert qa[0] == html.escape(GOOD[key_point][1], quote=False), key_point
    assert report.model is not None
    line = report.model.line()
    assert "\n" not in line
    assert f"4 key points from the model, 1 from the rules ({why})" in line


def test_429_then_200_gives_the_models_notes(tmp_path):
    _state["429"] = 0
    with FakeServer(_429_then_200) as server:
        report = llm_build(tmp_path, server.url)
    assert report.model is not None
    assert "5 key points from the model, 0 from the rules; 4 requests" in report.model.line()


def test_a_refused_connection_gives_the_rules_notes_and_one_line(tmp_path, rules_notes):
    report = llm_build(tmp_path, closed_port_url())
    assert notes_by_key_point(tmp_path) == rules_notes
    assert report.model is not None
    line = report.model.line()
    assert line.startswith(f"Language model {MODEL}: 0 key points from the model, 5 from the rules (")
    assert "could not be reached" in line
    assert line.endswith("the next build asks again for the 5 key points left unanswered.")
    assert not report.failed


def test_guids_never_depend_on_the_writer(tmp_path, rules_notes):
    with FakeServer(good_answer) as server:
        llm_build(tmp_path, server.url)
    notes = notes_by_key_point(tmp_path)
    # the model may write a question where the rules abstain (and back): every note both make has one GUID
    both = [(k, kind) for k, v in notes.items() for kind in v if kind in rules_notes.get(k, {})]
    assert {(k, "cloze") for k in rules_notes} <= set(both)
    assert {(k, kind): notes[k][kind][0] for k, kind in both} == {(k, kind): rules_notes[k][kind][0]
                                                                    for k, kind in both}


def test_a_rebuild_asks_nothing_and_a_new_model_asks_again(tmp_path):
    with FakeServer(good_answer) as server:
        llm_build(tmp_path, server.url)
        first = len(server.seen)
        llm_build(tmp_path, server.url)
        assert len(server.seen) == first
        # Forced: every source is read again, and every answer found in the state.
        report = build([FIXTURE], tmp_path, workers=1, force=True,
                       writer=WriterOptions(WriterKind.LLM, MODEL, server.url))
        assert len(server.seen) == first
        assert report.model is not None
        assert "5 key points from the model (5 answered for an earlier build), 0 from the rules" in \
            report.model.line()
        llm_build(tmp_path, server.url, model="another-model")
        assert len(server.seen) == 2 * first
        assert {seen.body["model"] for seen in server.seen[first:]} == {"another-model"}


def test_key_points_left_unanswered_are_asked_for_by_the_next_build(tmp_path):
    failing = _touching((PATEL,), lambda seen: Answer(status=500, body="{}"))
    with FakeServer(failing) as server:
        llm_build(tmp_path, server.url)
    with FakeServer(good_answer) as server:
        report = llm_build(tmp_path, server.url)
    assert [seen.key_points for seen in server.seen] == [[PATEL]]
    assert report.model is not None
    assert "5 key points from the model (4 answered for an earlier build), 0 from the rules; 1 request" in \
        report.model.line()
    assert notes_by_key_point(tmp_path)[PATEL]["qa"][1].startswith(html.escape(GOOD[PATEL][1], quote=False))


def test_switching_back_to_the_rules_updates_the_notes_in_place(tmp_path, rules_notes):
    with FakeServer(good_answer) as server:
        llm_build(tmp_path, server.url)
    written = notes_by_key_point(tmp_path)
    both = [(k, kind) for k in ALL for kind in ("cloze", "qa") if kind in rules_notes[k]]
    differ = sum(written[k][kind] != rules_notes[k][kind] for k, kind in both)
    assert differ >= sum(kind == "qa" for _, kind in both)  # every question both ask differs: the model's are new
    report = build([FIXTURE], tmp_path, workers=1)
    # the notes both write update in place; a question only the model asked leaves the packages
    assert (report.new, report.updated, report.unchanged) == (0, differ, len(both) - differ)
    assert notes_by_key_point(tmp_path) == rules_notes


def test_ctrl_c_keeps_what_the_model_wrote_and_the_build_finishes(tmp_path, monkeypatch, rules_notes):
    real = llm.ask_all

    def interrupted(settings, requests, answered, progress=None, usage=None):
        real(settings, requests[:1], answered, progress, usage)  # the first snip is answered, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr("cards.ask.ask_all", interrupted)
    with FakeServer(good_answer) as server:
        report = llm_build(tmp_path, server.url)
    assert report.model is not None
    assert "2 key points from the model, 3 from the rules (3 not asked after Ctrl-C)" in report.model.line()
    assert notes_by_key_point(tmp_path)[PATEL] == rules_notes[PATEL]
    monkeypatch.undo()
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with FakeServer(good_answer) as server:
        report = llm_build(tmp_path, server.url)
    assert sorted(k for seen in server.seen for k in seen.key_points) == sorted((RECIPES, TOOLS, PATEL))


def test_after_a_ctrl_c_that_only_stops_the_asking_ctrl_c_stops_the_build_again(tmp_path, monkeypatch):
    """The command's handler ignores signals after the first, so that a second cannot cut its cleanup short; the
    interrupt the asking takes lets the build go on, so the handlers come back with it."""
    real = llm.ask_all

    def interrupted(settings, requests, answered, progress=None, usage=None):
        real(settings, requests[:1], answered, progress, usage)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as the command's handler does at Ctrl-C
        raise KeyboardInterrupt

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGINT, handler)
    try:
        monkeypatch.setattr("cards.ask.ask_all", interrupted)
        with FakeServer(good_answer) as server:
            llm_build(tmp_path, server.url)
        assert signal.getsignal(signal.SIGINT) is handler
    finally:
        signal.signal(signal.SIGINT, before)


# --- the command ---------------------------------------------------------------------------

runner = CliRunner()


def test_cards_build_with_a_model_keeps_the_key_out_of_every_file_and_output(tmp_path):
    out = tmp_path / "decks"
    with FakeServer(good_answer) as server:
        result = runner.invoke(app, ["build", str(FIXTURE), "--out", str(out), "--writer", "llm",
                                     "--llm-model", MODEL, "--llm-url", server.url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert server.seen[0].headers["authorization"] == f"Bearer {SECRET}"  # sent to the server, and only there
    lines = result.output.splitlines()
    assert [line for line in lines if line.startswith("Language model")] == [
        next(line for line in lines if line.startswith(f"Language model {MODEL}: 5 key points from the model, "
                                                       "0 from the rules; 3 requests, 300 tokens in and 60 out, "))]
    assert SECRET not in result.output
    files = [path for path in out.rglob("*") if path.is_file()]
    assert files
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("command", ["build", "preview"])
def test_a_hostile_server_never_stops_a_command(command, tmp_path):
    """Bodies no chat completion has (nested past any parser, content not text, a lone surrogate)."""
    def hostile(seen: Seen) -> Answer:
        if CHANG in seen.key_points:
            return Answer(body="[" * 100_000 + "]" * 100_000)
        if PATEL in seen.key_points:
            return Answer(body='{"choices": [{"message": {"content": 7}}], "usage": {"prompt_tokens": "x"}}')
        return answer_with({RECIPES: ("many experiments", "What does \ud800 take?", "many experiments")}, seen)

    with FakeServer(hostile) as server:
        result = runner.invoke(app, [command, str(FIXTURE), "--out", str(tmp_path / "x"), "--writer", "llm",
                                     "--llm-model", MODEL, "--llm-url", server.url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("Language model")]
    assert re.fullmatch(re.escape(f"Language model {MODEL}: 1 key point from the model, 4 from the rules (3 the "
                                  "answer was not JSON, 1 malformed JSON); 3 requests, 100 tokens in and 20 out, ")
                        + r"\d+\.\d s\.", line), line


def test_cards_build_gives_the_url_from_openai_base_url(tmp_path, monkeypatch):
    with FakeServer(good_answer) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        result = runner.invoke(app, ["build", str(FIXTURE), "--out", str(tmp_path), "--writer", "llm",
                                     "--llm-model", MODEL], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(server.seen) == 3


@pytest.mark.parametrize("command", ["build", "sync", "preview"])
def test_writer_llm_without_a_model_is_one_sentence_and_exit_2(command, tmp_path):
    result = runner.invoke(app, [command, str(FIXTURE), "--out", str(tmp_path / "x"), "--writer", "llm"],
                           catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output == ("error: --writer llm needs --llm-model NAME (the model to ask, for example "
                             "--llm-model llama3.1)\n")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("key", ["sk-é-7f3c", "sk-7f3c\n9a1e"])
def test_a_key_that_cannot_be_sent_is_one_sentence_and_exit_2(key, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", key)
    result = runner.invoke(app, ["build", str(FIXTURE), "--out", str(tmp_path / "x"), "--writer", "llm",
                                 "--llm-model", MODEL, "--llm-url", closed_port_url()], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output == ("error: OPENAI_API_KEY holds a character a key cannot hold (a space, a line break, "
                             "an accent?): set it to the key alone\n")
    assert not (tmp_path / "x").exists()


def test_an_unknown_writer_is_refused_by_the_command(tmp_path):
    result = runner.invoke(app, ["build", str(FIXTURE), "--out", str(tmp_path), "--writer", "gpt"])
    assert result.exit_code == 2
    assert "Invalid value for '--writer'" in result.output


def test_the_configuration_files_writer_table_chooses_the_writer_and_flags_override_it(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    monkeypatch.setenv("CARDS_CONFIG", str(config))
    with FakeServer(good_answer) as server:
        config.write_text(f'sources = ["{FIXTURE}"]\nout = "{tmp_path / "decks"}"\n\n[writer]\nkind = "llm"\n'
                          f'model = "{MODEL}"\nurl = "{server.url}"\n', encoding="utf-8")
        shown = runner.invoke(app, ["config"], catch_exceptions=False).stdout.splitlines()
        assert shown[-4:-1] == [f"writer       llm  (file: {config})", f"llm model    {MODEL}  (file: {config})",
                                f"llm url      {server.url}  (file: {config})"]
        by_rules = runner.invoke(app, ["build", "--writer", "rules", "--out", str(tmp_path / "rules")],
                                 catch_exceptions=False)
        assert by_rules.exit_code == 0, by_rules.output
        assert server.seen == [] and "Language model" not in by_rules.output  # the flag wins over the file
        by_file = runner.invoke(app, ["build"], catch_exceptions=False)  # nothing on the command line
        assert by_file.exit_code == 0, by_file.output
        assert len(server.seen) == 3 and server.seen[0].body["model"] == MODEL
        assert f"Language model {MODEL}: 5 key points from the model" in by_file.output
    with FakeServer(good_answer) as other:
        by_flag = runner.invoke(app, ["build", "--llm-model", "another", "--llm-url", other.url, "--out",
                                      str(tmp_path / "other")], catch_exceptions=False)
    assert by_flag.exit_code == 0, by_flag.output
    assert len(other.seen) == 3 and other.seen[0].body["model"] == "another"  # kind from the file, the rest flags
