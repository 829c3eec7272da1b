"""A least-recently-used map bounded in weight, for what a process keeps between requests.

One mechanism for every such cache: drawn results pages (counted in bytes), search results (in results), a
commit's concept scores (in numbers) and filter sets (in bytes). Keys must name everything the value depends
on (the search index's generation among them, where the catalog matters). Thread-safe; a value being made is
made outside the lock, so two threads may both make it and the second one's is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class Bounded:
    """Values by key, the least recently used going first once their weights add up past ``limit`` (the newest
    always stays, whatever it weighs). ``weigh(value)`` is 1 unless given."""

    def __init__(self, limit: float, weigh: Callable[[Any], float] | None = None):
        self.limit = limit
        self.weigh = weigh or (lambda _value: 1)
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value kept for ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> Any:
        """Keep ``value`` for ``key``; return it."""
        with self._lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.size -= self.weigh(old)
            self.items[key] = value
            self.size += self.weigh(value)
            while self.size > self.limit and len(self.items) > 1:
                self.size -= self.weigh(self.items.popitem(last=False)[1])
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """What is kept for ``key``, or ``make()`` kept for the next time."""
        value = self.get(key)
        return self.put(key, make()) if value is None else value

    def clear(self) -> None:
        with self._lock:
            self.items.clear()
            self.size = 0
