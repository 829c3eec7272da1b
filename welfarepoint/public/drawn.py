"""What a public page has drawn, kept per process for the next request that would draw the same.

Keys name everything the drawing depends on; the search index's generation among them makes any catalog change,
in any process, a new key. Old entries go first when it is full.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class Drawn:
    """A small least-recently-used map of drawn HTML (thread-safe)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def get_or_draw(self, key: Any, draw: Callable[[], Any]) -> Any:
        """What was drawn for ``key``, or ``draw()`` kept for the next time."""
        value = self.get(key)
        return self.put(key, draw()) if value is None else value

    def put(self, key: Any, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value
