"""An exclusive lock on a file across processes (``flock``), for what a process must not do while another does."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_POLL_SECONDS = 0.002


@contextmanager
def file_lock(path: Path, settled: Callable[[], bool] | None = None) -> Iterator[bool]:
    """Hold an exclusive lock on ``path`` across processes (yields True); with ``settled``, one that finds it
    taken asks ``settled()`` every couple of milliseconds and, once true, goes on without it (yields False)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (fcntl.LOCK_NB if settled else 0))
                break
            except BlockingIOError:
                if settled():
                    yield False
                    return
                time.sleep(LOCK_POLL_SECONDS)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
