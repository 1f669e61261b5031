"""Card writers: who writes a key point's cards, the rules (the default) or a language model.

A writer makes the card plans of one snip's key points, in their order;
`cards.notes.snip_plans` is the one place a build asks one. Writers are
sent to worker processes with the work they are to do, so each holds only
what its snips need (the language-model writer: the answers already
received for them, see `cards.ask`).

A writer's `identity` names what it writes ("" for the rules). It is part of
every source's digest, so that changing the writer, its model or its prompt
makes every note again; GUIDs never depend on it, so switching writer
updates notes in place.

Light on purpose: a build imports this module, never the card maker behind it
or the language-model client, until a card is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple, Protocol

from cards.settings import WriterKind  # the kinds a configuration file names too

if TYPE_CHECKING:
    from cards.cardmaker.llm import LlmSettings
    from cards.cardmaker.types import CardPlan
    from cards.model import Episode, Snip


class WriterOptions(NamedTuple):
    """What `--writer`, `--llm-model` and `--llm-url` asked for (the model options go with `--writer llm` only)."""

    kind: WriterKind = WriterKind.RULES
    model: str | None = None
    url: str | None = None

    def settings(self) -> LlmSettings | None:
        """The language model's settings, checked (None for the rules); `UsageError` says what is wrong."""
        if self.kind is WriterKind.RULES:
            return None
        from cards.cardmaker.llm import llm_settings  # only a run that asks for the model loads it

        return llm_settings(self.model, self.url)


RULES_OPTIONS = WriterOptions()  # the default: the rules write every card


class Writer(Protocol):
    """Writes the card plans of a snip's key points."""

    @property
    def identity(self) -> str:
        """What this writer writes with ("" for the rules): notes are made again when it changes."""
        ...

    def plans(self, episode: Episode, snip: Snip, names: frozenset[str], topic: frozenset[str]) -> Iterator[CardPlan]:
        """One plan for each of the snip's key points, in their order.

        `names` are the words the snip writes with a capital, `topic` the
        words of the episode's subject (see `cards.notes.snip_plans`).
        """
        ...


class RulesWriter:
    """Today's card maker: rules, offline, free (`plan.plan_cards`)."""

    identity = ""

    def plans(self, episode: Episode, snip: Snip, names: frozenset[str], topic: frozenset[str]) -> Iterator[CardPlan]:
        # Imported here, not with this module: a build whose sources did not change
        # makes no card and need not load the card maker and its word lists.
        from cards.cardmaker.plan import rules_plan

        speakers = frozenset(turn.speaker for turn in snip.turns)
        for position in range(len(snip.key_points)):
            yield rules_plan(episode, snip, position, names, topic, speakers)


RULES = RulesWriter()
