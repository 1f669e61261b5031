"""One build per output folder at a time: an advisory lock on `<out>/.cards.lock`.

The operating system releases the lock when the process ends, however it
ends, so a killed build never leaves a folder locked.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from cards.errors import BusyError, OutputError

LOCK_FILE = ".cards.lock"

try:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

except ImportError:  # Windows
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True


@contextmanager
def output_lock(out: Path, wait: float) -> Iterator[None]:
    """Hold the folder's lock; wait up to `wait` seconds for another build to finish."""
    lock = out / LOCK_FILE
    try:
        # Without waiting: a named pipe in its place would block the open.
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0), 0o644)
    except OSError as error:  # what stands in its place (a folder), else the folder it cannot be made in
        raise OutputError(lock if os.path.lexists(lock) else out, error) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OutputError(lock, "is not a file, where cards keeps the folder's lock; remove it and run again")
    handle = os.fdopen(fd, "a+")
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                raise BusyError(out, wait)
            time.sleep(0.1)
        yield
    finally:
        handle.close()  # closing releases the lock
