"""Running a stage's work in worker processes, or in this one when that is cheaper.

The build reads sources and writes packages on all cores when there are
many; each stage hands `run_all` a module-level function and its arguments,
a few items to a task (one at a time, passing them to and fro costs as much
as the work). Workers ignore Ctrl-C (the main process handles it) and end
when the main process dies, however it dies.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Progress = Callable[[str, int, int], None]  # a stage's name, items done, items in all
SMALL_MAIN_MB = 128  # above this, a forked worker would carry (and count) too much of the main process


def in_batches(items: Sequence[T], size: int) -> list[tuple[T, ...]]:
    """`items` in tuples of `size` (the last may be shorter): a worker's task takes a few at a time."""
    return [tuple(items[i:i + size]) for i in range(0, len(items), size)]


def run_all(function: Callable[..., Any], arguments: list[tuple], workers: int | None,
            parallel: bool, window: int = 64, first_here: bool = False) -> Iterator[Any]:
    """`function(*args)` for each, in order: in worker processes when `parallel`.

    At most `window` results wait at once, so memory stays flat. Workers
    ignore Ctrl-C (the main process handles it) and end when it dies.
    `first_here` runs the first task in this process when workers are forked
    from it: they then inherit what it loaded (modules, templates, word
    tables), which each of them would otherwise load again for itself.
    """
    if not parallel:
        yield from (function(*args) for args in arguments)
        return
    context = pool_context()
    if first_here and arguments and _forks(context):
        yield function(*arguments[0])
        arguments = arguments[1:]
    pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count(), mp_context=context,
                               initializer=_worker_start, initargs=(os.getpid(),))
    pending: deque[Future] = deque()
    try:
        for args in arguments:
            pending.append(pool.submit(function, *args))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)


def pool_context() -> Any:
    """How workers are started: forked from this process, unless that could hang them.

    A forked child has only the thread that forked it, with every lock as it
    was at that moment. Threads Python knows of are safe to leave behind; a
    native runtime's are not: once Anki's engine has talked to a sync server,
    its runtime has threads of its own, and a worker forked then hung for good
    in that runtime when it freed an object it had inherited (`cards sync`
    builds while it holds the collection). Such a process starts its workers
    from a fork server instead, a fresh process with no threads.
    """
    if not _foreign_threads():
        return None  # the platform's default: fork on Linux, spawn on macOS and Windows
    import multiprocessing

    return multiprocessing.get_context("forkserver")


def _forks(context: Any) -> bool:
    """Whether workers started in `context` (None: the platform's default) are forked from this process."""
    import multiprocessing

    return (context or multiprocessing.get_context()).get_start_method() == "fork"


def _foreign_threads() -> bool:
    """Whether this process runs threads Python did not start (Linux: /proc; elsewhere workers are spawned)."""
    try:
        return len(os.listdir("/proc/self/task")) > threading.active_count()
    except OSError:
        return False


def small_main() -> bool:
    """Whether the main process is small enough to fork for a few packages.

    A forked worker carries a copy of whatever the main process holds; after
    a huge export was parsed here, that is mostly freed memory the allocator
    keeps, and a couple of large packages are written here instead.
    """
    return _resident_mb() < SMALL_MAIN_MB


def _resident_mb() -> float:
    """The main process's resident memory now (Linux), else its peak so far (macOS), else 0 (Windows)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, kB elsewhere


def _worker_start(main: int) -> None:
    """In each worker: leave Ctrl-C to the main process, and die with it.

    The main process itself is watched (by its pid, not as the parent): a
    worker's parent may be a helper process that outlives it.
    """
    gc.freeze()  # what the worker starts with (modules, word tables, templates) lives as long as it: never collect it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):  # a forked worker inherits the command's handlers: it ends as it always did
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)

    def watch() -> None:
        while _running(main):
            time.sleep(0.5)
        os._exit(1)  # the main process is gone (killed): nobody waits for our results

    threading.Thread(target=watch, daemon=True).start()


def _running(pid: int) -> bool:
    """Whether the process is alive. A killed process its parent has not reaped yet (a zombie: a caller that
    reads its output to the end first) still takes signals, so on Linux its state is read as well: workers
    that waited for a zombie held the output folder's lock for good."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]  # after the name, which may hold anything
    except (OSError, IndexError):
        return True  # no /proc (macOS, Windows): the signal's answer stands
    return state not in (b"Z", b"X")
