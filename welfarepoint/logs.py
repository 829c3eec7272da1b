"""Logging a failure that may repeat at every request without flooding the log."""

from __future__ import annotations

import logging
import threading
import time


class OncePerMinute:
    """Log a failure of each kind at most once every ``seconds``, saying how many were left out."""

    def __init__(self, logger: logging.Logger, seconds: float = 60):
        self.logger = logger
        self.seconds = seconds
        self._last: dict[str, float] = {}
        self._left_out: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, kind: str, message: str, *args, exc_info: bool = True) -> bool:
        """Log ``message`` unless ``kind`` was logged less than ``seconds`` ago; return whether it was."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.seconds:
                self._left_out[kind] = self._left_out.get(kind, 0) + 1
                return False
            self._last[kind] = now
            left_out = self._left_out.pop(kind, 0)
        if left_out:
            message += " (%d more times since the last report)"
            args = (*args, left_out)
        self.logger.error(message, *args, exc_info=exc_info)
        return True
