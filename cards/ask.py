"""Asking a language model for cards (`--writer llm`): the build stage between check and read.

    parse the sources to read → look up the answers the state keeps → ask
    for the others, several requests at once → keep each answer as it
    arrives → judge every answer → hand each note maker the answers for its
    sources

Notes are made in worker processes, which never go to the network: the
model is asked here, in the main process, before any note is made, and the
note makers get the answers with their work (`Answers` is the build's
`Writers`). This stage neither reads nor writes the state: the answers
kept before come with the rest of what the build read (`Known.answers`),
and every answer the server gave goes into the build's one write
(`Answers.to_keep`), so a rebuild never asks again, and a new model or
prompt (another cache key) asks anew. Key points the server did not answer
(it was down, slow, or refused) get the rules' cards; their sources are
read again by the next build, which asks for them again.

Ctrl-C stops the asking, not the build: the key points not yet answered get
the rules' cards, and what the model wrote is kept (a second Ctrl-C stops
the build, and with it the write).

Only a build with this writer imports this module, and only the requests
load the `openai` SDK.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cards import stopping
from cards.cardmaker.llm import (
    Fallback,
    LlmSettings,
    LlmWriter,
    Proposal,
    Reply,
    SnipJob,
    SnipRequest,
    Tally,
    Usage,
    ask_all,
    snip_job,
    summary_line,
)
from cards.model import Episode, Level
from cards.notes import writes_cards
from cards.reconcile import SourceCheck, parse_source, to_read
from cards.state import KeptAnswers
from cards.workers import Progress


@dataclass
class ModelReport:
    """What the language model did for this build, for its summary line."""

    model: str
    tally: Tally = field(default_factory=Tally)
    usage: Usage = field(default_factory=Usage)

    def line(self) -> str:
        """`Language model NAME: N key points from the model, M from the rules (why); requests, tokens, time`."""
        if not self.tally.model and not self.tally.rules:
            return f"Language model {self.model}: no key point to write."
        return f"Language model {self.model}: {summary_line(self.tally, self.usage)}."


class _Pending(NamedTuple):
    """A request to send: a snip's job and the positions of its key points not answered before."""

    job: SnipJob
    positions: tuple[int, ...]


class Answers:
    """The model's answers for this build's key points, judged; the writer each note maker takes along.

    `for_sources` hands a few sources' note makers the answers for their key
    points (found before by `ask_model`); `for_episodes` looks up those of
    episodes made from several files, which may hold snips of files this
    build did not read.
    """

    def __init__(self, kept: Mapping[str, str], settings: LlmSettings):
        self.kept, self.settings = kept, settings  # `kept`: the answers earlier builds received
        self.report = ModelReport(settings.model)
        self.proposals: dict[str, Proposal] = {}  # by cache key: answers that passed every check
        self.judged: set[str] = set()  # cache keys counted in the report
        self.keys_of: dict[str, list[str]] = {}  # source key → the cache keys of its key points
        self.unanswered: set[str] = set()  # cache keys the server gave no answer for
        self.new: dict[str, str] = {}  # by cache key: what the server answered this build, to keep

    @property
    def read_next_time(self) -> frozenset[str]:
        """The sources (by source key) with a key point the server did not answer: the next build asks again."""
        return frozenset(source for source, keys in self.keys_of.items() if not self.unanswered.isdisjoint(keys))

    def to_keep(self) -> KeptAnswers:
        """The answers this build received, for the state."""
        return KeptAnswers(self.settings.model, self.new)

    def writer(self, keys: Iterable[str]) -> LlmWriter:
        """A writer holding the proposals kept under these cache keys."""
        proposals = {key: self.proposals[key] for key in keys if key in self.proposals}
        return LlmWriter(self.settings.model, self.settings.identity, proposals)

    def for_sources(self, keys: Sequence[str]) -> LlmWriter:
        return self.writer(key for source in keys for key in self.keys_of.get(source, ()))

    def for_episodes(self, episodes: Sequence[Episode]) -> LlmWriter:
        keys, missing = self.look_up(episodes)
        for job, positions in missing:
            for position in positions:
                # Every source was read, and so asked for, by some earlier build with this writer.
                self.judge(job, position, Reply(failure=Fallback.NOT_KEPT), earlier=False)
        return self.writer(keys)

    def look_up(self, episodes: Iterable[Episode]) -> tuple[list[str], list[_Pending]]:
        """Judge the key points of these episodes answered before; their cache keys, and those still to judge."""
        jobs = _jobs(self.settings.model, episodes)
        missing = []
        for job in jobs:
            positions = []
            for position, key in enumerate(job.keys):
                if key in self.kept:
                    self.judge(job, position, Reply.from_json(self.kept[key]), earlier=True)
                elif key not in self.judged:
                    positions.append(position)
            if positions:
                missing.append(_Pending(job, tuple(positions)))
        return [key for job in jobs for key in job.keys], missing

    def judge(self, job: SnipJob, position: int, reply: Reply, earlier: bool) -> None:
        """Judge one key point's reply once; count it in the report."""
        key = job.keys[position]
        if key in self.judged:
            return
        self.judged.add(key)
        outcome = job.judge(position, reply)
        self.report.tally.add(outcome, earlier)
        if isinstance(outcome, Fallback):
            if not outcome.answered:
                self.unanswered.add(key)
        elif reply.proposal is not None:
            self.proposals[key] = reply.proposal


def ask_model(kept: Mapping[str, str], checks: list[SourceCheck], settings: LlmSettings, progress: Progress, *,
              send: bool = True) -> Answers:
    """Find an answer for every key point of the sources this build reads: `kept` ones, then the model's.

    Without `send` (a dry run) nothing is asked: key points without a kept
    answer get the rules' cards. Ctrl-C stops the requests; the answers
    received so far are kept.
    """
    answers = Answers(kept, settings)
    pending = _look_up(answers, to_read(checks))
    if pending and send:
        _send(answers, pending, progress)
    else:
        for job, positions in pending:
            for position in positions:
                answers.judge(job, position, Reply(failure=Fallback.NOT_SENT), earlier=False)
    return answers


def _look_up(answers: Answers, checks: list[SourceCheck]) -> list[_Pending]:
    """Judge every key point answered before; the requests left to send (each snip once)."""
    pending: dict[tuple[str, ...], _Pending] = {}
    asked: set[str] = set()
    for check in checks:
        parsed = parse_source(check.path)
        if any(problem.level is Level.ERROR for problem in parsed.problems):
            continue  # its notes are kept as they were (the read stage says why)
        answers.keys_of[check.key], missing = answers.look_up(parsed.episodes)
        for job, positions in missing:
            to_ask = tuple(position for position in positions if job.keys[position] not in asked)
            asked.update(job.keys[position] for position in to_ask)
            if to_ask:
                pending[job.keys] = _Pending(job, to_ask)
    return list(pending.values())


def _interrupt_handlers() -> dict[int, Any]:
    """The handlers of the signals that interrupt a command (the command's own may ignore those that follow the
    first, so that nothing cuts its cleanup short: see `cards.cli`); none outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    numbers = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    return {number: signal.getsignal(number) for number in numbers}


def _restore(handlers: dict[int, Any]) -> None:
    for number, handler in handlers.items():
        if handler is not None:
            signal.signal(number, handler)


def _jobs(model: str, episodes: Iterable[Episode]) -> list[SnipJob]:
    """A job for every snip whose key points become notes."""
    return [snip_job(model, episode, snip) for episode in episodes for snip in episode.snips if writes_cards(snip)]


def _send(answers: Answers, pending: list[_Pending], progress: Progress) -> None:
    """Ask for every pending key point; Ctrl-C leaves those not answered yet to the rules."""
    requests: list[SnipRequest] = [item.job.asking(item.positions) for item in pending]

    def answered(index: int, replies: tuple[Reply, ...]) -> None:
        item = pending[index]
        for position, reply in zip(item.positions, replies, strict=True):
            if reply.failure is None or reply.failure.answered:
                answers.new[item.job.keys[position]] = reply.to_json()
            answers.judge(item.job, position, reply, earlier=False)

    kept = _interrupt_handlers()
    try:
        ask_all(answers.settings, requests, answered, lambda done, total: progress("asking", done, total),
                answers.report.usage)
    except KeyboardInterrupt:
        _restore(kept)  # the build goes on: Ctrl-C must stop it again
        stopping.taken()
        for item in pending:
            for position in item.positions:
                answers.judge(item.job, position, Reply(failure=Fallback.STOPPED), earlier=False)
