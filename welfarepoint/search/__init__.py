"""Search: the only door to the index of published listings.

The rest of the application calls :func:`query` (with :class:`Filters`, answering a :class:`SearchResult`),
:func:`generation` and :func:`normalise_for_statistics`; :func:`init_app` keeps the index in step with the
catalog. Every process searches by itself (each gunicorn worker, and each of its threads with a searcher of
its own); the index on disk is shared, and every process sees a change at its next search.

:func:`ensure_index`, :func:`rebuild` and :func:`sync` (``flask setup``, ``flask search reindex``) work in the
process that calls them; a rebuild is written aside and swapped in, so searches never wait for it
(``docs/search.md``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask

from welfarepoint.catalog import events
from welfarepoint.search.local import (
    ensure_index,
    forget_all,
    generation,
    listings_committed,
    query,
    rebuild,
    sync,
)
from welfarepoint.search.results import Filters, Hit, SearchResult
from welfarepoint.search.text import fold, normalise_query

log = logging.getLogger(__name__)

__all__ = [
    "Filters",
    "Hit",
    "SearchResult",
    "ensure_index",
    "forget_all",
    "generation",
    "init_app",
    "normalise_for_statistics",
    "query",
    "rebuild",
    "sync",
]


def normalise_for_statistics(text: str) -> str:
    """The form of a query kept in the anonymous counters: folded, single-spaced, at most 100 characters."""
    return " ".join(fold(normalise_query(text)).split())[:100]


def _on_listings_committed(sender, service_ids: Iterable[int], generation: int | None = None) -> None:
    listings_committed(service_ids, generation)


def init_app(app: Flask) -> None:
    """Keep the index of ``app`` in step with its database from now on.

    Never checks, rebuilds or repairs the index itself: that is ``flask setup``'s work (:func:`ensure_index`),
    so that building an app (``flask users list``) never waits for a rebuild.
    """
    events.listings_committed.connect(_on_listings_committed)
