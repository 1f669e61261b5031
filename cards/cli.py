"""The `cards` command: checks arguments, calls the library, prints.

The library is imported inside each command, so that `cards --version` and
`--help` start without loading the card maker, genanki, Anki, or even the
configuration file. Every command that reads notes resolves its settings in
one place, `_settings` (flag, else the configuration file, else the
environment, else a default: `cards.settings`).
"""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TextIO, TypeVar

import typer

from cards import __version__
from cards.errors import CardsError, ConfigError, NoSnipdNotesError, UsageError
from cards.model import Level, Problem, one_line
from cards.stopping import STOP, raise_if_lost, stop_on_signals, stopped

if TYPE_CHECKING:
    from cards.build import BuildReport
    from cards.cardmaker.writer import WriterOptions
    from cards.collection import NoteSummary
    from cards.settings import ConfigFile, Setting, Settings

T = TypeVar("T")

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: `[PATHS]...`, examples as written, and no rich to import
    context_settings={"help_option_names": ["-h", "--help"]},
)

PRUNE_LISTED = 20  # notes of vanished snips listed before the question; the rest are counted

# The card writer's options, the same on build, sync and preview. The choices are `cards.cardmaker.writer.WriterKind`'s
# (tests/test_cli.py checks it), not imported here, so that `cards --version` loads no more than it did; typer
# gives the choice in lower case whatever the case typed (case_sensitive=False).
WriterChoice = Literal["rules", "llm"]
# The help texts name the environment variables (`cards.settings.*_VARIABLE`) in words: the help is made at
# start-up, which does not import cards.settings (tests/test_cli.py checks that they agree).
# No default here: the flag, else the configuration file's [writer] table, else the rules (`cards.settings`).
WRITER = typer.Option(None, "--writer", case_sensitive=False, show_default=False,
                      help="Who writes the cards: the rules (offline, free), or a language model (llm, with "
                           "--llm-model). Default: the configuration file's [writer] kind, else rules.")
LLM_MODEL = typer.Option(None, "--llm-model", metavar="NAME", show_default=False,
                         help="The model that writes the cards with --writer llm (llama3.1, gpt-4o-mini, …). "
                              "An API key is read from OPENAI_API_KEY only. Default: the configuration file's "
                              "[writer] model.")
LLM_URL = typer.Option(None, "--llm-url", metavar="URL", show_default=False,
                       help="Its OpenAI-compatible server (Ollama: http://localhost:11434/v1). "
                            "Default: the configuration file's [writer] url, else OPENAI_BASE_URL, else OpenAI's "
                            "own.")


def _run(action, *args):
    """Run a library call; user errors become one line and an exit code.

    A bug becomes one line too (set CARDS_DEBUG=1 for the traceback).
    """
    try:
        raise_if_lost()  # a signal Python dropped while the command loaded
        return action(*args)
    except KeyboardInterrupt as stop:  # Ctrl-C, or `Terminated`: what the command made is cleaned up on the way
        _interrupted(stop)
    except UsageError as error:
        typer.echo(f"error: {one_line(str(error))}", err=True)
        raise typer.Exit(2) from None
    except CardsError as error:
        typer.echo(f"error: {one_line(str(error))}", err=True)
        raise typer.Exit(1) from None
    except Exception as error:
        if os.environ.get("CARDS_DEBUG"):
            raise
        typer.echo(f"error: internal error ({type(error).__name__}: {one_line(str(error))}); please report it "
                   "(CARDS_DEBUG=1 shows the details)", err=True)
        raise typer.Exit(1) from None


def _interrupted(stop: KeyboardInterrupt) -> NoReturn:
    """Ctrl-C, or `Terminated`: one line, and the exit code a shell gives for the signal (130: SIGINT)."""
    raise typer.Exit(stopped(stop)) from None


def _asked(ask: Callable[[], T], *, line_ended: bool = False) -> T:
    """The answer to a question; Ctrl-C there is raised again as the KeyboardInterrupt it was.

    click's prompt and confirm turn Ctrl-C (and `Terminated`) into `typer.Abort`, as they do the end of
    standard input: the interrupt stops the command as it does anywhere else, once the question's line is
    ended (`line_ended`: click's hidden prompt ends it itself). The end of input stays `typer.Abort`, for the
    caller to say what it means.
    """
    try:
        return ask()
    except (KeyboardInterrupt, typer.Abort) as error:
        stop = error if isinstance(error, KeyboardInterrupt) else error.__context__
        if not isinstance(stop, KeyboardInterrupt):
            raise  # the end of input
        if not line_ended:
            typer.echo(err=True)
        raise stop from None


def _writer_options(settings: Settings) -> WriterOptions:
    """The card writer in force (flag, else the file's [writer] table, else the rules), for the library."""
    from cards.cardmaker.writer import WriterKind, WriterOptions

    writer = settings.writer
    return WriterOptions(kind=WriterKind(writer.kind.value), model=writer.model.value, url=writer.url.value)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cards {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool | None = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Turn Snipd podcast snips into Anki flashcards.

    \b
    Examples:
      cards init        # once: where your notes are, which Anki collection, which sync server
      cards sync        # every day: build, then import into Anki (close Anki first)
      cards build -h    # any command's options and examples
    """


class _ProgressBar:
    """One progress bar per stage on a terminal; silent when piped."""

    def __init__(self) -> None:
        self.bar: Any = None  # click's progress bar
        self.stage: str | None = None
        self.shown = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        raise_if_lost()  # a signal Python dropped stops the command at its next step
        if not sys.stderr.isatty():
            return
        if stage != self.stage:
            self.close()
            self.stage, self.shown = stage, 0
            self.bar = typer.progressbar(length=total, label=stage.ljust(8), file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        """End the bar's line (the next output starts a line of its own); a later step starts a new bar."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
            self.stage = None


def _paths(help: str) -> Any:
    """The PATHS argument of the commands that read notes."""
    return typer.Argument(None, help=help, show_default=False, metavar="[PATHS]...")


def _verbose() -> Any:
    return typer.Option(False, "--verbose", "-v", help="Also list the files that are not Snipd notes.")


# --- settings: the one place a command's flags meet the configuration file ----------------

def _settings(paths: Sequence[str] | None = None, *, out: str | None = None, collection: str | None = None,
              profile: str | None = None, server: str | None = None, user: str | None = None,
              writer: str | None = None, llm_model: str | None = None, llm_url: str | None = None) -> Settings:
    """The settings in force for a command: each flag given, else the configuration file, else defaults.

    `writer`, `llm_model`, `llm_url`: --writer, --llm-model and --llm-url as given; `_writer_options` turns
    the writer in force (flag, else the file's [writer] table, else OPENAI_BASE_URL and the rules) into the
    library's options.
    """
    from cards.settings import Flags, WriterInput, resolve

    flags = Flags(paths=tuple(paths or ()), out=out, collection=collection, profile=profile, server=server,
                  user=user, writer=WriterInput(kind=writer, model=llm_model, url=llm_url))
    settings: Settings = _run(resolve, flags)
    return settings


# --- build ---------------------------------------------------------------------------------

@app.command("build", short_help="Build Anki packages from your Snipd notes.")
def build_command(
    paths: list[str] | None = _paths(
        "Snip notes or folders of them (searched for *.md, *.markdown, *.txt). Default: the configuration "
        "file's sources (in a checkout of cards without one: seeds/)."),
    out: str | None = typer.Option(
        None, "--out", "-o", metavar="DIR", show_default=False,
        help="Where the decks and the build state go (~ is your home folder). Default: the configuration "
             "file's out, else a folder in your user data folder (in a checkout of cards: decks/).",
    ),
    force: bool = typer.Option(False, "--force", help="Rewrite every package, changed or not."),
    writer: WriterChoice | None = WRITER,
    llm_model: str | None = LLM_MODEL,
    llm_url: str | None = LLM_URL,
    verbose: bool = _verbose(),
) -> None:
    """Build Anki packages: one per episode, one per tag, and changes.apkg.

    \b
    Examples:
      cards build                                    # the notes and folder of your configuration file
      cards build ~/Obsidian/Snipd -o ~/anki-decks   # these notes, into this folder
      cards build -v                                 # and list the files that are not Snipd notes

    cards config shows which notes and folder a build uses, and why.
    """
    settings = _settings(paths, out=out, writer=writer, llm_model=llm_model, llm_url=llm_url)
    notes = _run(settings.notes, "build")
    from cards.build import build

    chosen = _writer_options(settings)
    report = _with_progress(lambda bar: build(notes, settings.out.value, force=force, progress=bar, writer=chosen))
    _print_build(report, settings.out.value, verbose=verbose)
    _end(report, notes)


# --- preview -------------------------------------------------------------------------------

@app.command("preview", short_help="Write a page showing every card as Anki renders it.")
def preview_command(
    paths: list[str] | None = _paths("Snip notes or folders of them. Default: as for build."),
    out: str | None = typer.Option(
        None, "--out", "-o", metavar="FILE", show_default=False,
        help="The HTML page to write, or - for standard output. Default: preview.html in the output folder "
             "(as for build).",
    ),
    writer: WriterChoice | None = WRITER,
    llm_model: str | None = LLM_MODEL,
    llm_url: str | None = LLM_URL,
    verbose: bool = _verbose(),
) -> None:
    """Write one HTML page showing every card's front and back, light and night, as Anki renders them.

    \b
    Examples:
      cards preview                                  # preview.html in the output folder
      cards preview ~/Obsidian/Snipd/Episode.md -o ~/episode.html
    """
    settings = _settings(paths, writer=writer, llm_model=llm_model, llm_url=llm_url)
    if out is not None:
        from cards.settings import check_user_path

        _run(check_user_path, out, "--out")
    notes = _run(settings.notes, "preview")
    page = out if out is not None else str(Path(settings.out.value).expanduser() / "preview.html")
    from cards.preview import write_preview  # imports Anki's engine: only when asked

    chosen = _writer_options(settings)
    preview = _with_progress(lambda bar: write_preview(notes, page, writer=chosen, progress=bar))
    _print_problems(preview.problems)
    _print_not_snipd(preview.not_snipd, verbose)
    aside = preview.on_stdout  # the page alone on standard output: what is said goes to stderr
    if preview.model:
        typer.echo(preview.model.line(), err=aside)
    where = "the page to standard output" if aside else preview.page
    typer.echo(f"Wrote {where}: {_plural(preview.cards, 'card')}, front and back, light and night.", err=aside)
    if preview.not_snipd:
        typer.echo(_not_snipd_line(preview.not_snipd, verbose), err=aside)
    if any(p.level is Level.ERROR for p in preview.problems):
        raise typer.Exit(1)
    if not preview.episodes:
        _no_snipd_notes(notes, preview.not_snipd)


# --- sync ----------------------------------------------------------------------------------

@app.command("sync", short_help="Build, then import into your Anki collection.")
def sync_command(
    paths: list[str] | None = _paths("Snip notes or folders of them. Default: as for build."),
    out: str | None = typer.Option(
        None, "--out", "-o", metavar="DIR", show_default=False,
        help="Where the decks and the build state go. Default: as for build.",
    ),
    collection: str | None = typer.Option(
        None, "--collection", metavar="FILE", show_default=False,
        help="The Anki collection file to sync into (its name ends in .anki2). "
             "Default: the configuration file's, else the collection of your only Anki profile.",
    ),
    create: bool = typer.Option(
        False, "--create", help="Make the --collection file if it does not exist yet (else that is an error).",
    ),
    profile: str | None = typer.Option(
        None, "--profile", metavar="NAME", show_default=False, help="The Anki profile whose collection to use.",
    ),
    server: str | None = typer.Option(
        None, "--server", metavar="URL", show_default=False,
        help="A sync server URL (AnkiWeb-compatible, e.g. Anki's own sync server): sync before importing "
             "and after, so your phone gets the cards.",
    ),
    user: str | None = typer.Option(
        None, "--user", metavar="NAME", show_default=False,
        help="Your user name on the sync server. The password is asked for once, or read from "
             "CARDS_SYNC_PASSWORD; it is never stored.",
    ),
    prune: bool = typer.Option(
        False, "--prune",
        help="Delete from the collection the notes of snips that are gone from your notes "
             "(only notes cards made; asks first).",
    ),
    yes: bool = typer.Option(
        False, "--yes",
        help="Answer yes to --prune's question (for scripts): a note is deleted once two syncs in a row find its "
             "snip gone, so a note file caught half-written by a file-sync tool loses nothing.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what the sync would import; create and change nothing.",
    ),
    overwrite_edits: bool = typer.Option(
        False, "--overwrite-edits",
        help="Where cards' text changed in a field you edited in Anki, take cards' new text "
             "(by default your edit is kept). Your own tags are kept either way.",
    ),
    replace_server: bool = typer.Option(
        False, "--replace-server",
        help="When the server's collection and this one cannot be merged, replace the server's with this one "
             "(your phone then downloads it).",
    ),
    replace_local: bool = typer.Option(
        False, "--replace-local",
        help="When the server's collection and this one cannot be merged, replace this one with the server's "
             "(a backup of this one is made first).",
    ),
    writer: WriterChoice | None = WRITER,
    llm_model: str | None = LLM_MODEL,
    llm_url: str | None = LLM_URL,
    verbose: bool = _verbose(),
) -> None:
    """Build, then import every new or changed note straight into your Anki collection (close Anki first).

    \b
    Examples:
      cards sync                                     # every setting from your configuration file
      cards sync ~/Obsidian/Snipd --profile "User 1"
      cards sync --prune --dry-run                   # what would be imported, and deleted
    """
    settings = _settings(paths, out=out, collection=collection, profile=profile, server=server, user=user,
                         writer=writer, llm_model=llm_model, llm_url=llm_url)
    notes = _run(settings.notes, "sync")
    from cards.settings import PASSWORD_VARIABLE, shown_url
    from cards.sync import SyncOptions, sync

    options = SyncOptions(collection=settings.collection.value, profile=settings.profile.value,
                          server=settings.server.value, user=settings.user.value, prune=prune,
                          prune_unattended=yes, dry_run=dry_run,
                          replace_server=replace_server, replace_local=replace_local, create=create,
                          overwrite_edits=overwrite_edits, writer=_writer_options(settings))
    bar = _ProgressBar()

    def ask_password() -> str:
        bar.close()  # the question starts a line of its own
        question = one_line(f"Password for {options.user} on {shown_url(options.server or '')}")
        if not sys.stdin.isatty():  # piped in, or nothing: read as it is, without getpass's warnings about echo
            typer.echo(f"{question}: ", err=True, nl=False)
            given = _asked(sys.stdin.readline).rstrip("\r\n")
            typer.echo(err=True)  # what was typed is not shown: the line ends here
            if given:
                return given
            raise UsageError(f"--user {options.user}: no password was given; type it when asked, or set "
                             f"{PASSWORD_VARIABLE}")
        try:
            return str(_asked(lambda: typer.prompt(question, hide_input=True, err=True), line_ended=True))
        except typer.Abort:  # the end of input (Ctrl-D)
            raise UsageError(f"--user {options.user}: no password was given; type it when asked, or set "
                             f"{PASSWORD_VARIABLE}") from None

    def confirm(notes: list[NoteSummary]) -> bool:
        bar.close()
        typer.echo(f"{_plural(len(notes), 'note')} of snips no longer in your notes:", err=True)
        for line in _prune_lines(notes):
            typer.echo(f"  {line}", err=True)
        if yes:
            return True
        try:
            return bool(_asked(lambda: typer.confirm("Delete them from the collection?", default=False, err=True)))
        except typer.Abort:  # no answer (the end of input): nothing is deleted, and the question's line ends
            typer.echo(err=True)
            return False

    out_folder = settings.out.value
    report = _with_progress(lambda bar: sync(notes, out_folder, options, password=ask_password,
                                             confirm_prune=confirm, progress=bar), bar)
    if report.dry_run:
        _print_problems(report.build.problems)
        _print_not_snipd(report.build.not_snipd, verbose)
        typer.echo("\n".join(summary(report.build, Path(out_folder).expanduser()).splitlines()[:2]))
        if report.build.model:
            typer.echo(report.build.model.line())
    else:  # the sync imports the packages, and deleted what it pruned
        _print_build(report.build, out_folder, importing=False, pruned=bool(report.pruned), verbose=verbose)
    typer.echo(sync_summary(report))
    if report.not_sent:
        typer.echo(f"error: {report.not_sent}", err=True)
    if report.failed:
        raise typer.Exit(1)
    _end(report.build, notes)


def _prune_lines(notes: list[NoteSummary]) -> list[str]:
    """One line a note: its kind, its episode, its key point (shortened), as plain text.

    What the collection holds may be the user's own editing, a terminal's escape included: shown, not obeyed.
    """
    lines = [one_line(f"{'cloze' if note.kind.value == 'cloze' else 'Q&A  '} · {note.episode or 'unknown episode'}"
                      f" · {_shortened(note.key_point, 100)}") for note in notes[:PRUNE_LISTED]]
    if len(notes) > PRUNE_LISTED:
        lines.append(f"… and {len(notes) - PRUNE_LISTED} more")
    return lines


def _shortened(text: str, width: int) -> str:
    """`text`, cut at a word to at most `width` characters, with "…" when it was cut."""
    if len(text) <= width:
        return text
    cut = text[:width - 1].rsplit(" ", 1)[0] or text[:width - 1]
    return cut.rstrip(" ,;:") + "…"


def sync_summary(report) -> str:
    """What reached the collection, as Anki counted it, and what did not and why."""
    lines = []
    if report.backup:
        lines.append(f"Backup: {report.backup}")
    for step in report.server:
        lines.append(f"Server: {step}.")
    if report.not_sent:
        lines.append("Server: not sent: the collection holds the changes above, and the next sync sends them.")
    if report.dry_run:
        lines.append(_dry_run_line(report))
    else:
        made = " (created)" if report.created else ""
        lines.append(f"Anki: {report.added} added, {report.updated} updated, {report.unchanged} unchanged "
                     f"in {report.collection}{made}.")
    if report.left_deleted:
        one = report.left_deleted == 1
        lines.append(f"Deleted in Anki: {_plural(report.left_deleted, 'note')} {'stays' if one else 'stay'} deleted "
                     f"until cards makes a new version of {'it' if one else 'them'}.")
    if report.moved:
        one = report.moved == 1
        lines.append(f"Moved to another note type in Anki: {_plural(report.moved, 'note')}, left as you made "
                     f"{'it' if one else 'them'}.")
    if report.kept_edits:
        would = "would keep" if report.dry_run else "kept"
        lines.append(f"Edits: {would} your edits on {_plural(report.kept_edits, 'note')} where cards' text "
                     "changed (--overwrite-edits takes cards' text).")
    if report.overwrote_edits:
        would = "would replace" if report.dry_run else "replaced"
        lines.append(f"Edits: {would} your edits with cards' new text on "
                     f"{_plural(report.overwrote_edits, 'note')} (--overwrite-edits).")
    if report.replaced_unrecorded:
        would = "would replace" if report.dry_run else "replaced"
        lines.append(f"Edits: {would} the text of {_plural(report.replaced_unrecorded, 'note')} you changed in Anki "
                     "after importing them by hand: with no record of what cards delivered, an edit cannot be told "
                     "from a tag or a flag" + ("" if report.dry_run else "; the backup above holds them as they were")
                     + ".")
    for held in report.held:
        examples = "; ".join(note[:60] for note in held.notes[:3]) + ("; …" if len(held.notes) > 3 else "")
        lines.append(
            f"Not imported: {_plural(len(held.notes), 'note')} of note type \"{held.note_type}\" ({examples}): "
            f"its fields or card types were changed in Anki ({held.change}), and importing would make a copy "
            "of it and update none of its notes. Undo that change in Anki (Tools → Manage Note Types) and "
            "sync again; they wait until then."
        )
    if report.vanished and not report.dry_run:
        lines.append(f"Deleted {report.pruned} of {_plural(len(report.vanished), 'note')} of vanished snips.")
    if report.prune_waiting:
        one = report.prune_waiting == 1
        lines.append(f"Waiting: {_plural(report.prune_waiting, 'note')} of snips gone since the last sync "
                     f"{'is' if one else 'are'} deleted by the next --prune --yes if still gone (a note file "
                     "caught half-written loses nothing).")
    return "\n".join(lines)


def _dry_run_line(report) -> str:
    """What a dry run would import, episode by episode."""
    where = f"{report.collection}" + ("" if report.collection.exists() else " (not created)")
    line = f"Dry run: {_plural(report.to_import, 'note')} would be imported into {where}"
    if report.episodes:
        line += ": " + "; ".join(f"{episode.title} ({_changes(episode)})" for episode in report.episodes[:10])
        line += "; …" if len(report.episodes) > 10 else ""
    if report.vanished:
        line += f"; {_plural(len(report.vanished), 'note')} of vanished snips would be deleted with --prune"
    return line + ". Nothing was changed."


def _changes(episode) -> str:
    """`2 new, 1 updated`, leaving out what is none."""
    return ", ".join(f"{count} {what}" for count, what in ((episode.added, "new"), (episode.updated, "updated"))
                     if count)


# --- config ---------------------------------------------------------------------------------

@app.command("config", short_help="Show the settings in force and where each came from.")
def config_command(
    paths: list[str] | None = _paths("Snip notes or folders of them: show the settings as a build of these "
                                     "would use them."),
    out: str | None = typer.Option(None, "--out", "-o", metavar="DIR", show_default=False,
                                   help="As for build and sync."),
    collection: str | None = typer.Option(None, "--collection", metavar="FILE", show_default=False,
                                          help="As for sync."),
    profile: str | None = typer.Option(None, "--profile", metavar="NAME", show_default=False, help="As for sync."),
    server: str | None = typer.Option(None, "--server", metavar="URL", show_default=False, help="As for sync."),
    user: str | None = typer.Option(None, "--user", metavar="NAME", show_default=False, help="As for sync."),
    writer: WriterChoice | None = WRITER,
    llm_model: str | None = LLM_MODEL,
    llm_url: str | None = LLM_URL,
) -> None:
    """Show the settings in force, and where each came from: flag, environment, file or default.

    \b
    Examples:
      cards config                       # what cards build and cards sync would use
      cards config --profile Other       # ... with this flag
      CARDS_CONFIG=~/work.toml cards config
    """
    settings = _settings(paths, out=out, collection=collection, profile=profile, server=server, user=user,
                         writer=writer, llm_model=llm_model, llm_url=llm_url)
    from cards.settings import (
        API_KEY_VARIABLE,
        PASSWORD_VARIABLE,
        collection_in_force,
        secret_in_force,
        shown_url,
    )
    from cards.state import STATE_FILE

    config = settings.config
    rows = [
        ("config file", str(config.value), _origin(config) + ("" if settings.config_found else
                                                              "; not found: cards init writes it")),
        ("sources", ", ".join(settings.sources.value) or "none", _origin(settings.sources)),
        ("out", settings.out.value, _origin(settings.out)),
        ("build state", str(Path(settings.out.value).expanduser() / STATE_FILE), "beside the packages"),
        ("collection", *_shown(collection_in_force(settings))),
        ("server", shown_url(settings.server.value or "none"), _origin(settings.server)),
        ("user", settings.user.value or "none", _origin(settings.user)),
        ("password", *_shown(secret_in_force(PASSWORD_VARIABLE, "asked at the first sync; never stored"))),
        ("writer", settings.writer.kind.value, _origin(settings.writer.kind)),
        ("llm model", settings.writer.model.value or "none", _origin(settings.writer.model)),
        ("llm url", shown_url(settings.writer.url.value or "OpenAI's own"), _origin(settings.writer.url)),
        ("llm key", *_shown(secret_in_force(API_KEY_VARIABLE, "none (a local model needs none)"))),
    ]
    width = max(len(name) for name, _, _ in rows) + 2
    for name, value, origin in rows:
        typer.echo(f"{name:<{width}}{value}  ({origin})")


def _origin(setting: Setting[Any]) -> str:
    """`file: /path`, `flag: --out`, `environment: CARDS_CONFIG`, `default: ...`."""
    return f"{setting.origin.value}: {setting.detail}" if setting.detail else setting.origin.value


def _shown(setting: Setting[str]) -> tuple[str, str]:
    return setting.value, _origin(setting)


# --- init -------------------------------------------------------------------------------------

@app.command("init", short_help="Ask for your settings; write the configuration file.")
def init_command() -> None:
    """Ask where your notes are, which Anki collection and which sync server; write the configuration file.

    It suggests what it finds: folders of Snipd notes (in your Obsidian vaults, or any folder called
    Snipd) and Anki's profiles. Press Enter to take the answer in brackets. The file never holds a
    password or an API key.

    \b
    Examples:
      cards init                             # writes ~/.config/cards/config.toml (on Linux)
      CARDS_CONFIG=~/other.toml cards init   # writes another file
    """
    from cards.settings import config_location, read_config

    location = config_location(os.environ)
    try:
        existing = read_config(location.value)
    except ConfigError as error:  # what to do differs here: init is how a new file is written
        typer.echo(f"error: {error}; correct it, or move it aside and run cards init again to write a new one",
                   err=True)
        raise typer.Exit(2) from None
    answers = _init_answers(existing)
    if answers is None:
        typer.echo(f"Kept {existing.path} as it was.")
        return
    from cards.settings import write_config

    _run(write_config, answers)
    typer.echo(f"Wrote {answers.path}.")
    typer.echo(_init_next_step(answers))


def _init_answers(existing: ConfigFile) -> ConfigFile | None:
    """The settings to write, or None when the user keeps the file there is; nothing is written here.

    Ctrl-C stops cards init as it stops any command (exit code 130); standard input that ends before the
    last answer stops it with exit code 1.
    """
    try:
        answers = _asked(lambda: _ask_settings(existing))
        if existing.found and not _asked(lambda: typer.confirm(f"Replace {existing.path}?", default=True)):
            return None
        return answers
    except KeyboardInterrupt as stop:
        _interrupted(stop)
    except typer.Abort:  # no more answers on standard input
        typer.echo("\nerror: cards init stopped before the end; nothing was written", err=True)
        raise typer.Exit(1) from None


def _ask_settings(existing: ConfigFile) -> ConfigFile:
    """Each setting in turn, with what was found (or is in the file now) as the suggestion."""
    from cards.settings import ConfigFile, default_out, tilde

    typer.echo(f"cards keeps its settings in {existing.path}" + (" (it exists: its settings are suggested)."
                                                                 if existing.found else "."))
    typer.echo("Press Enter to take the answer in brackets. Looking for Snipd notes and Anki profiles…")
    sources = _ask_sources(existing)
    out = typer.prompt("Folder for the decks and the build state",
                       default=tilde(existing.out or str(default_out())),
                       value_proc=_folder_answer)
    collection, profile = _ask_collection(existing)
    server, user = _ask_server(existing)
    return ConfigFile(path=existing.path, found=existing.found, sources=sources, out=out, collection=collection,
                      profile=profile, server=server, user=user, writer=_ask_writer(existing))


def _ask_sources(existing: ConfigFile) -> tuple[str, ...]:
    from cards.discover import count_snipd_notes, snipd_folders
    from cards.settings import tilde

    found = snipd_folders()[:9]
    if found:
        typer.echo("Folders with Snipd notes:")
        for number, folder in enumerate(found, start=1):
            typer.echo(f"  {number}) {tilde(str(folder.path))}  ({_plural(folder.notes, 'Snipd note')})")
    if existing.sources and len(existing.sources) > 1:
        default = "keep"
        typer.echo(f"Your configuration file names {len(existing.sources)} folders: "
                   f"{', '.join(map(tilde, existing.sources))} (keep: all of them).")
    elif existing.sources:
        default = tilde(existing.sources[0])
    else:
        default = "1" if found else None  # type: ignore[assignment]

    def answer(text: str) -> tuple[str, ...]:
        text = text.strip()
        if text == "keep" and existing.sources:
            return existing.sources
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(found):  # not `²`
            return (str(found[int(text) - 1].path),)
        return (_existing_path(text),)

    chosen: tuple[str, ...] = typer.prompt(
        "Your Snipd notes (a number above, or a folder)" if found else "Your Snipd notes (a folder)",
        default=default, value_proc=answer)
    listed = {str(folder.path) for folder in found}
    if len(chosen) == 1 and chosen[0] not in listed and not count_snipd_notes(Path(chosen[0])):
        typer.echo(f"Note: {tilde(chosen[0])} holds no Snipd note yet; a build says so until Snipd exports "
                   "there.")
    return chosen


def _existing_path(text: str) -> str:
    if not text:
        raise typer.BadParameter("give a folder")
    path = Path(text).expanduser().absolute()
    if not path.exists():
        raise typer.BadParameter(f"{path}: no such folder")
    return str(path)


def _folder_answer(text: str) -> str:
    path = Path(text.strip()).expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{path}: is a file; name a folder")
    return str(path)


def _ask_collection(existing: ConfigFile) -> tuple[str | None, str | None]:
    """(collection, profile): a profile of Anki desktop's, or a collection file, or neither."""
    from cards.discover import anki_base, anki_profiles
    from cards.settings import tilde

    base = anki_base()
    profiles = anki_profiles(base)
    if profiles:
        typer.echo(f"Anki profiles in {base}:")
        for number, name in enumerate(profiles, start=1):
            typer.echo(f"  {number}) {name}")
    else:
        typer.echo(f"No Anki profile in {base} (Anki's data folder; ANKI_BASE names another).")
    if existing.profile or existing.collection:
        default = existing.profile or tilde(existing.collection or "")
    else:
        default = "1" if len(profiles) == 1 else "none" if not profiles else None  # type: ignore[assignment]

    def answer(text: str) -> tuple[str | None, str | None]:
        text = text.strip()
        if text == "none":
            return None, None
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(profiles):  # not `²`
            return None, profiles[int(text) - 1]
        if text in profiles:
            return None, text
        if text.endswith(".anki2"):
            return str(Path(text).expanduser().absolute()), None
        raise typer.BadParameter(f"no Anki profile called {text!r} in {base}; give a number, a profile's name, "
                                 "a collection file (ending in .anki2), or none")

    chosen: tuple[str | None, str | None] = typer.prompt(
        "Anki collection to sync into (a number, a profile's name, a collection file ending in .anki2, or none)",
        default=default, value_proc=answer)
    return chosen


def _ask_server(existing: ConfigFile) -> tuple[str | None, str | None]:
    """(server, user): a sync server to reach a phone through, and the user's name there."""
    from cards.server import check_url  # imports Anki's engine: fine, once, in cards init
    from cards.settings import PASSWORD_VARIABLE

    def answer(text: str) -> str | None:
        text = text.strip()
        if text == "none":
            return None
        try:
            return check_url(text)
        except UsageError as error:
            raise typer.BadParameter(str(error)) from None

    server: str | None = typer.prompt("Sync server URL, for your phone (or none)",
                                      default=existing.server or "none", value_proc=answer)
    if server is None:
        return None, None
    user = str(typer.prompt(f"Your user name on {server}", default=existing.user)).strip()
    typer.echo(f"The password is asked for at the first sync (or read from {PASSWORD_VARIABLE}); it is never "
               "written down.")
    return server, user


def _ask_writer(existing: ConfigFile) -> Any:
    """The [writer] table: rules, or a language model (its name and URL; its key stays in the environment)."""
    from cards.settings import API_KEY_VARIABLE, BASE_URL_VARIABLE, WRITER_KINDS, WriterInput

    def kind(text: str) -> str:
        if text.strip() not in WRITER_KINDS:
            raise typer.BadParameter("answer rules or llm")
        return text.strip()

    chosen = typer.prompt("Card writer: rules, or llm (a language model, see the README)",
                          default=existing.writer.kind or "rules", value_proc=kind)
    if chosen == "rules":
        return WriterInput(kind="rules")
    model = str(typer.prompt("The language model's name", default=existing.writer.model)).strip()
    url = str(typer.prompt(f"Its API's URL (or none: {BASE_URL_VARIABLE}, else OpenAI's own)",
                           default=existing.writer.url or "none")).strip()
    typer.echo(f"The API key stays in {API_KEY_VARIABLE}; it is never written down.")
    return WriterInput(kind="llm", model=model, url=None if url == "none" else url)


def _init_next_step(config: ConfigFile) -> str:
    """What to run now."""
    if config.collection and not Path(config.collection).exists():
        return (f"{config.collection} does not exist yet: the first sync makes it with cards sync --create; "
                "after that, cards sync is all (cards config shows every setting).")
    if config.collection or config.profile:
        return "Every day: close Anki, then cards sync (cards config shows every setting)."
    return ("No Anki collection was chosen: cards build makes the packages to import by hand, and cards sync uses "
            "the collection of your only Anki profile (cards config shows every setting).")


# --- output -------------------------------------------------------------------------------------

def _with_progress(action: Callable[[_ProgressBar], T], bar: _ProgressBar | None = None) -> T:
    """Run a library call with a progress bar on the terminal, closed whatever happens."""
    bar = bar or _ProgressBar()
    try:
        return _run(lambda: action(bar))
    finally:
        bar.close()


def _print_build(report: BuildReport, out: str, *, importing: bool = True, pruned: bool = False,
                 verbose: bool = False) -> None:
    """A build's problems (standard error) and its summary; `importing`: the user imports its packages."""
    _print_problems(report.problems)
    _print_not_snipd(report.not_snipd, verbose)
    typer.echo(summary(report, Path(out).expanduser(), importing=importing, pruned=pruned, verbose=verbose))


def _print_problems(problems) -> None:
    for problem in problems:
        typer.echo(f"{problem.level.value}: {problem}", err=True)


def _print_not_snipd(files: Sequence[Path], verbose: bool) -> None:
    """With -v, each file that is not a Snipd note, on standard error with the problems."""
    if verbose:
        for path in files:
            typer.echo(f"skipped: {Problem(path, 'not a Snipd note')}", err=True)


def _not_snipd_line(files: Sequence[Path], verbose: bool) -> str:
    one = len(files) == 1
    listed = "listed above" if verbose else f"-v lists {'it' if one else 'them'}"
    return f"Skipped {_plural(len(files), 'note')} that {'is' if one else 'are'} not from Snipd ({listed})."


def _end(report: BuildReport, notes: Sequence[str]) -> None:
    """The exit code: 1 when a file could not be read or a package written, or when no Snipd note was found."""
    if report.failed:
        raise typer.Exit(1)
    if not report.episodes:
        _no_snipd_notes(notes, report.not_snipd)


def _no_snipd_notes(notes: Sequence[str], not_snipd: Sequence[Path]) -> None:
    """No Snipd note where cards looked: one sentence naming where (after the summary), and exit code 1."""
    error = NoSnipdNotesError([Path(note).expanduser() for note in notes], len(not_snipd))
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(1)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def summary(report: BuildReport, out: Path, *, importing: bool = True, pruned: bool = False,
            verbose: bool = False) -> str:
    """The short account a build ends with.

    `importing`: the user imports its packages (not a sync); `pruned`: the sync deleted the notes of the
    snips that disappeared.
    """
    lines = [
        f"Built {_plural(report.episodes, 'episode')} ({_plural(report.snips, 'snip')}) "
        f"from {_plural(report.sources, 'file')}: {_plural(report.notes, 'note')}, "
        f"{_plural(report.cards, 'card')}.",
        f"Notes: {report.new} new, {report.updated} updated, {report.unchanged} unchanged.",
    ]
    if report.skipped:
        reasons = "; ".join(f"{count} × {reason}" for reason, count in sorted(report.skipped.items()))
        lines.append(f"Skipped: {reasons}.")
    if report.model:
        lines.append(report.model.line())
    if report.not_snipd:
        lines.append(_not_snipd_line(report.not_snipd, verbose))
    errors = sum(1 for p in report.problems if p.level is Level.ERROR)
    warnings = len(report.problems) - errors
    if report.problems:
        lines.append(f"Files with problems: {_plural(errors, 'error')}, {_plural(warnings, 'warning')} (listed above).")
    lines.append(
        f"Packages: {len(report.written)} written, {report.packages_unchanged} unchanged, in {out}/."
    )
    # changes.apkg goes only once none of its notes is left in any source: that needs no line.
    removed = [p for p in report.removed if p != out / "changes.apkg"]
    if removed:
        lines.append(f"Removed {_plural(len(removed), 'package')} that no note belongs to any more: "
                     + ", ".join(p.name for p in removed) + ".")
    if importing and report.first and report.written:
        lines.append(f"First build into {out}/: import its episode packages (or its tag packages) into Anki; "
                     "from now on changes.apkg collects what changes.")
    if report.changes:
        lines.append(
            f"Changes: {report.changes} holds {_plural(report.changes_notes, 'new or changed note')}, every "
            "change since you last deleted it: import it into Anki, then delete it."
        )
    if report.disappeared and not pruned:
        where = ("delete them there if you wish" if importing else
                 "cards sync --prune deletes them, after asking")
        lines.append(f"No longer in the sources (Anki keeps their notes; {where}): "
                     + one_line("; ".join(report.disappeared)))  # snip titles: shown, never obeyed
    if report.state_moved_aside:
        lines.append(
            f"The build state was damaged and was moved aside to {report.state_moved_aside}; this build "
            "counted every note as new (see the README: when the state is missing)."
        )
    if report.state_was_missing:
        lines.append(
            f"No build state was found beside the packages in {out}/: every note counts as new, and "
            "importing updates each once (review history is kept; edits made in Anki to these notes are not)."
        )
    return "\n".join(lines)


def run() -> None:
    """The `cards` command (and `python -m cards`): run it, then leave at once.

    By the time a command returns, its work is written and every file is
    closed; what Python would still do on the way out is free every object
    one by one, the card maker's half a million words among them. That took
    60 ms, a tenth of a rebuild after one new snip, so the process ends here
    with its exit code once its output is flushed.

    Standard output that cannot be written (closed, on a full disk, a pipe
    whose reader has gone) ends the command with one line on standard error
    and exit code 1, or silently with 141 for a closed pipe as other Unix
    tools do; what the command wrote to disk is not affected.
    """
    closed = _hold_standard_descriptors()
    stop_on_signals()
    sys.stdout = _standard_stream(1, sys.stdout, usable=1 not in closed, failures_end_the_command=True)
    sys.stderr = _standard_stream(2, sys.stderr, usable=2 not in closed, failures_end_the_command=False)
    try:
        try:
            app(prog_name="cards")
            code = 0
        except SystemExit as done:
            code = _exit_code(done.code)
        except KeyboardInterrupt:  # a signal while typer was still building the command, before its own handling
            code = 130
        if code == 130 and STOP.raised is not None and not STOP.handled:
            # A signal before a command's own handling began (or between two of its steps): typer made it a
            # silent 130, whatever the signal was. Nothing had been made yet.
            code = stopped(STOP.raised)
        sys.stdout.flush()
    except OutputFailed as failed:
        code = _output_failed(failed.error)
    sys.stderr.flush()
    _remove_workers_folder()
    os._exit(code)


def _remove_workers_folder() -> None:
    """Remove the temporary folder Python's multiprocessing made for the workers (a fork server's socket), as
    its exit handler would: `os._exit` skips that handler, and a `pymp-…` folder was left in TMPDIR."""
    process = sys.modules.get("multiprocessing.process")
    folder = process.current_process()._config.get("tempdir") if process else None
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def _exit_code(code: object) -> int:
    """What Python makes of `sys.exit(code)`: None is 0, a number itself, anything else is printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


# --- standard output that cannot be written ------------------------------------------

CLOSED_PIPE = 141  # what a shell reports for a process that SIGPIPE ended: 128 + 13


class OutputFailed(BaseException):
    """Standard output cannot be written: the command ends where it is.

    Not an OSError, which typer would turn into exit code 1 (a closed pipe) or
    a traceback (anything else), nor an Exception that a caller might catch.
    """

    def __init__(self, error: OSError):
        super().__init__(error)
        self.error = error


class _Descriptor(io.RawIOBase):
    """Writes to a standard file descriptor; a failure ends the command, or is ignored.

    `usable` is False when the descriptor was closed when cards started: it
    then holds /dev/null's place (see `_hold_standard_descriptors`), and
    writing to it fails as writing to a closed descriptor does.
    """

    def __init__(self, fd: int, usable: bool, failures_end_the_command: bool):
        super().__init__()
        self.fd, self.usable, self.failures_end_the_command = fd, usable, failures_end_the_command

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return self.usable and os.isatty(self.fd)

    def write(self, data) -> int:
        try:
            if not self.usable:
                raise OSError(errno.EBADF, os.strerror(errno.EBADF))
            return os.write(self.fd, data)
        except OSError as error:
            if self.failures_end_the_command:
                raise OutputFailed(error) from None
            return len(data)  # standard error cannot be written: there is nowhere left to say so


def _standard_stream(fd: int, stream: TextIO | None, usable: bool, failures_end_the_command: bool) -> TextIO:
    """A text stream on `fd` like `stream` (its encoding, its buffering), whose failures `_Descriptor` handles.

    Text the encoding cannot hold is written as backslash escapes: a path
    that is not UTF-8 (`--out caf$'\\xe9'`) used to stop the summary with a
    UnicodeEncodeError wherever Python writes strictly (a UTF-8 locale other
    than C). Where it writes such a path's bytes as they are (the C locale), it
    still does.
    """
    descriptor = _Descriptor(fd, usable, failures_end_the_command)
    errors = getattr(stream, "errors", None)
    return io.TextIOWrapper(
        io.BufferedWriter(descriptor), encoding=getattr(stream, "encoding", None) or "utf-8",
        errors=errors if errors == "surrogateescape" else "backslashreplace",
        line_buffering=getattr(stream, "line_buffering", True),
    )


def _hold_standard_descriptors() -> set[int]:
    """Put /dev/null in the place of any of descriptors 0, 1 and 2 that is closed; say which were.

    Otherwise the next file cards opens (a package, the lock) would take that
    number, and whatever is written to standard output or error would land
    in it.
    """
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(fd)
    for fd in sorted(closed):
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    return closed


def _output_failed(error: OSError) -> int:
    """Say on standard error why standard output could not be written; the exit code."""
    if error.errno == errno.EPIPE:
        return CLOSED_PIPE
    reason = {errno.EBADF: "it is closed", errno.ENOSPC: "the disk is full"}.get(
        error.errno or 0, error.strerror or str(error))
    sys.stderr.write(f"error: cannot write to standard output ({reason}); send it to a file or a terminal that "
                     "can take it\n")
    return 1
