"""The `cards` command: checks arguments, calls the library, prints.

The library is imported inside each command, so that `cards --version` and
`--help` start without loading the card maker, genanki or Anki.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO, TypeVar

import typer

from cards import __version__
from cards.errors import CardsError, InterruptedBuild, UsageError
from cards.model import Level

if TYPE_CHECKING:
    from cards.build import BuildReport
    from cards.cardmaker.writer import WriterOptions

T = TypeVar("T")

app = typer.Typer(
    help="Turn Snipd podcast snips into Anki flashcards.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

DEFAULT_SOURCES = "seeds"
DEFAULT_OUT = "decks"

# The card writer's options, the same on build, sync and preview (the choices are `cards.cardmaker.writer.WriterKind`'s,
# not imported here, so that `cards --version` loads no more than it did).
WriterChoice = Literal["rules", "llm"]
WRITER = typer.Option("rules", "--writer", case_sensitive=False,
                      help="Who writes the cards: the rules (offline, free), or a language model (llm, with "
                           "--llm-model).")
LLM_MODEL = typer.Option(None, "--llm-model", metavar="NAME", show_default=False,
                         help="The model that writes the cards with --writer llm (llama3.1, gpt-4o-mini, …). "
                              "An API key is read from OPENAI_API_KEY only.")
LLM_URL = typer.Option(None, "--llm-url", metavar="URL", show_default=False,
                       help="Its OpenAI-compatible server (Ollama: http://localhost:11434/v1). "
                            "Default: OPENAI_BASE_URL, else OpenAI's own.")


def _run(action, *args):
    """Run a library call; user errors become one line and an exit code.

    A bug becomes one line too (set CARDS_DEBUG=1 for the traceback).
    """
    try:
        return action(*args)
    except KeyboardInterrupt:
        typer.echo(f"error: {InterruptedBuild()}", err=True)
        raise typer.Exit(130) from None
    except UsageError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except CardsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except Exception as error:
        if os.environ.get("CARDS_DEBUG"):
            raise
        typer.echo(f"error: internal error ({type(error).__name__}: {error}); please report it "
                   "(CARDS_DEBUG=1 shows the details)", err=True)
        raise typer.Exit(1) from None


def _writer_options(kind: str, model: str | None, url: str | None) -> WriterOptions:
    from cards.cardmaker.writer import WriterKind, WriterOptions

    return WriterOptions(WriterKind(kind.lower()), model, url)


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
    """Turn Snipd podcast snips into Anki flashcards."""


class _ProgressBar:
    """One progress bar per stage on a terminal; silent when piped."""

    def __init__(self) -> None:
        self.bar: Any = None  # click's progress bar
        self.stage: str | None = None
        self.shown = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
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
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@app.command("build")
def build_command(
    paths: list[str] | None = typer.Argument(
        None, help="Snip notes or folders of them (searched for *.md, *.markdown, *.txt). Default: seeds/.",
        show_default=False, metavar="PATHS",
    ),
    out: str = typer.Option(
        DEFAULT_OUT, "--out", "-o", metavar="DIR", help="Where the decks go (~ is your home folder).",
    ),
    force: bool = typer.Option(False, "--force", help="Rewrite every package, changed or not."),
    writer: WriterChoice = WRITER,
    llm_model: str | None = LLM_MODEL,
    llm_url: str | None = LLM_URL,
) -> None:
    """Build Anki packages: one per episode, one per tag, and changes.apkg."""
    from cards.build import build

    chosen = _writer_options(writer, llm_model, llm_url)
    report = _with_progress(lambda bar: build(paths or [DEFAULT_SOURCES], out, force=force, progress=bar,
                                              writer=chosen))
    _print_build(report, out)
    if report.failed:
        raise typer.Exit(1)


@app.command("preview")
def preview_command(
    paths: list[str] | None = typer.Argument(
        None, metavar="PATHS", show_default=False, help="Snip notes or folders of them. Default: seeds/.",
    ),
    out: str = typer.Option("preview.html", "--out", "-o", metavar="FILE", help="The HTML page to write."),
    writer: WriterChoice = WRITER,
    llm_model: str | None = LLM_MODEL,
    llm_url: str | None = LLM_URL,
) -> None:
    """Write one HTML page showing every card's front and back, light and night, as Anki renders them."""
    from cards.preview import write_preview  # imports Anki's engine: only when asked

    chosen = _writer_options(writer, llm_model, llm_url)
    preview = _with_progress(lambda bar: write_preview(paths or [DEFAULT_SOURCES], out, writer=chosen,
                                                       progress=bar))
    _print_problems(preview.problems)
    if preview.model:
        typer.echo(preview.model.line())
    typer.echo(f"Wrote {preview.page}: {_plural(preview.cards, 'card')}, front and back, light and night.")
    if any(p.level is Level.ERROR for p in preview.problems):
        raise typer.Exit(1)


@app.command("sync")
def sync_command(
    paths: list[str] | None = typer.Argument(
        None, metavar="PATHS", show_default=False,
        help="Snip notes or folders of them, as for build. Default: seeds/.",
    ),
    out: str = typer.Option(
        DEFAULT_OUT, "--out", "-o", metavar="DIR", help="Where the decks and the build state go.",
    ),
    collection: str | None = typer.Option(
        None, "--collection", metavar="FILE", show_default=False,
        help="The Anki collection file to sync into (its name ends in .anki2). "
             "Default: the collection of your only Anki profile.",
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
    yes: bool = typer.Option(False, "--yes", help="Answer yes to --prune's question (for scripts)."),
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
    writer: WriterChoice = WRITER,
    llm_model: str | None = LLM_MODEL,
    llm_url: str | None = LLM_URL,
) -> None:
    """Build, then import every new or changed note straight into your Anki collection (close Anki first)."""
    from cards.sync import SyncOptions, sync

    options = SyncOptions(collection=collection, profile=profile, server=server, user=user, prune=prune,
                          dry_run=dry_run, replace_server=replace_server, replace_local=replace_local,
                          create=create, overwrite_edits=overwrite_edits,
                          writer=_writer_options(writer, llm_model, llm_url))

    def ask_password() -> str:
        try:
            return str(typer.prompt(f"Password for {user} on {server}", hide_input=True, err=True))
        except typer.Abort:  # no terminal and nothing on standard input
            raise UsageError(f"--user {user}: no password was given; type it when asked, or set "
                             "CARDS_SYNC_PASSWORD") from None

    def confirm(notes: list[str]) -> bool:
        typer.echo(f"{_plural(len(notes), 'note')} of snips no longer in your notes:", err=True)
        for note in notes[:20]:
            typer.echo(f"  {note}", err=True)
        if len(notes) > 20:
            typer.echo(f"  … and {len(notes) - 20} more", err=True)
        if yes:
            return True
        try:
            return bool(typer.confirm("Delete them from the collection?", default=False, err=True))
        except typer.Abort:  # no answer: nothing is deleted
            return False

    report = _with_progress(lambda bar: sync(paths or [DEFAULT_SOURCES], out, options, password=ask_password,
                                             confirm_prune=confirm, progress=bar))
    if report.dry_run:
        _print_problems(report.build.problems)
        typer.echo("\n".join(summary(report.build, Path(out).expanduser()).splitlines()[:2]))
        if report.build.model:
            typer.echo(report.build.model.line())
    else:
        _print_build(report.build, out, importing=False)  # the sync imports them
    typer.echo(sync_summary(report))
    if report.failed:
        raise typer.Exit(1)


def sync_summary(report) -> str:
    """What reached the collection, as Anki counted it, and what did not and why."""
    lines = []
    if report.backup:
        lines.append(f"Backup: {report.backup}")
    for step in report.server:
        lines.append(f"Server: {step}.")
    if report.dry_run:
        lines.append(_dry_run_line(report))
    else:
        made = " (created)" if report.created else ""
        lines.append(f"Anki: {report.added} added, {report.updated} updated, {report.unchanged} unchanged "
                     f"in {report.collection}{made}.")
    if report.kept_edits:
        would = "would keep" if report.dry_run else "kept"
        lines.append(f"Edits: {would} your edits on {_plural(report.kept_edits, 'note')} where cards' text "
                     "changed (--overwrite-edits takes cards' text).")
    if report.overwrote_edits:
        would = "would replace" if report.dry_run else "replaced"
        lines.append(f"Edits: {would} your edits with cards' new text on "
                     f"{_plural(report.overwrote_edits, 'note')} (--overwrite-edits).")
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


def _with_progress(action: Callable[[_ProgressBar], T]) -> T:
    """Run a library call with a progress bar on the terminal, closed whatever happens."""
    bar = _ProgressBar()
    try:
        return _run(lambda: action(bar))
    finally:
        bar.close()


def _print_build(report: BuildReport, out: str, *, importing: bool = True) -> None:
    """A build's problems (standard error) and its summary; `importing`: the user imports its packages."""
    _print_problems(report.problems)
    typer.echo(summary(report, Path(out).expanduser(), importing=importing))


def _print_problems(problems) -> None:
    for problem in problems:
        typer.echo(f"{problem.level.value}: {problem}", err=True)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def summary(report: BuildReport, out: Path, *, importing: bool = True) -> str:
    """The short account a build ends with (`importing`: the user imports its packages, not a sync)."""
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
    if report.disappeared:
        lines.append(
            "No longer in the sources (Anki keeps their notes; delete them there if you wish): "
            + "; ".join(report.disappeared)
        )
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
    sys.stdout = _standard_stream(1, sys.stdout, usable=1 not in closed, failures_end_the_command=True)
    sys.stderr = _standard_stream(2, sys.stderr, usable=2 not in closed, failures_end_the_command=False)
    try:
        try:
            app(prog_name="cards")
            code = 0
        except SystemExit as done:
            code = _exit_code(done.code)
        sys.stdout.flush()
    except OutputFailed as failed:
        code = _output_failed(failed.error)
    sys.stderr.flush()
    os._exit(code)


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
