"""Signals: SIGINT, SIGTERM and SIGHUP stop a command as Ctrl-C does, once, whatever it is doing.

Light on purpose (no typer, no library): `python -m cards` and the `cards`
command install the handlers before they import anything else, so that a
signal while typer loads is the command's one line too, not a traceback.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["STOP", "Terminated", "raise_if_lost", "signal_exit_code", "stop_on_signals", "stopped",
           "stopped_while_starting", "taken"]


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a logout, `kill`, a service manager): the command stops as Ctrl-C stops it, so that
    what it made is removed or left whole (a failed `sync --create` removes its new collection), and exits with
    128 + the signal, as a shell reports a process the signal ended."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _Stop:
    """The first signal that stopped the command (see `stop_on_signals`); signals are the process's own."""

    installed = False
    raised: KeyboardInterrupt | None = None  # what the first signal raised
    handled = False  # the command has said it was stopped, and is on its way out


STOP = _Stop()


def signal_exit_code(stop: KeyboardInterrupt) -> int:
    """What a shell reports for a process the signal ended: 128 + the signal (130 for Ctrl-C)."""
    return 128 + stop.signum if isinstance(stop, Terminated) else 130


def stop_on_signals() -> None:
    """Raise `Terminated` in the main thread on SIGTERM and SIGHUP, KeyboardInterrupt on SIGINT; the first of them
    only. What the command made is then removed or left whole on the way out, and a second signal (Ctrl-C pressed
    again, SIGHUP after SIGTERM) would cut that short: a half-made collection left behind, a traceback.

    Unless the first was lost: Python ignores an exception raised where it cannot be passed on (in a fork hook of
    the logging module, in a finalizer), and the command went on. A later signal that finds no exception on its
    way out raises it again, so the command stays stoppable.
    """
    if STOP.installed:
        return
    STOP.installed = True
    import signal  # here: a millisecond of every command's start, --version's included

    names = [name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]  # Windows has no SIGHUP
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        names.remove("SIGINT")  # ignored by whoever started us (a background job): it stays so

    def stop(signum: int, frame: object) -> None:
        if STOP.raised is None:
            STOP.raised = KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)
            raise STOP.raised
        if not STOP.handled and sys.exc_info()[1] is None:  # not on the way out: the first was lost
            raise STOP.raised

    for name in names:
        signal.signal(getattr(signal, name), stop)


def raise_if_lost() -> None:
    """Raise again what a signal raised, if the command goes on as if it had not come (Python dropped it: see
    `stop_on_signals`). Called where a command takes its next step, where raising is always safe."""
    if (STOP.raised is not None and not STOP.handled and sys.exc_info()[1] is None
            and threading.current_thread() is threading.main_thread()):  # a signal is the main thread's
        raise STOP.raised


def taken() -> None:
    """The interrupt was a step's own to take (Ctrl-C stops only the asking of a language model): the command
    goes on, and the next signal stops it as the first would."""
    STOP.raised = None


def stopped(stop: KeyboardInterrupt) -> int:
    """The command was stopped: its one line on standard error, and the exit code a shell gives for the signal."""
    from cards.errors import InterruptedBuild

    STOP.handled = True
    print(f"error: {InterruptedBuild()}", file=sys.stderr)
    return signal_exit_code(stop)


def stopped_while_starting(stop: KeyboardInterrupt) -> None:
    """A signal before the command was loaded: nothing was made; one line and the signal's exit code."""
    code = stopped(stop)
    sys.stderr.flush()
    os._exit(code)
