"""Search: the only door to the index of published listings, and to matching's offers.

The rest of the application calls :func:`query` (with :class:`Filters`, answering a :class:`SearchResult`),
:func:`generation`, :func:`normalise_for_statistics` and :func:`ask`; :func:`init_app` keeps the index in step
with the catalog. Where the work is done is configuration:

- in this process (the default: ``make run``, the tests, a single-process server): :mod:`.local` holds the
  Whoosh index and its caches;
- with ``SEARCH_SERVICE_SOCKET`` set, in the instance's search process (``flask search serve``,
  :mod:`.service`), which holds the index, its caches and matching's offers once for every worker of the
  instance. A worker then never imports Whoosh or NumPy. When the search process cannot be reached, the worker
  does the work itself and logs it, so that visitors are still answered (at the price of that worker's memory).

:func:`ensure_index`, :func:`rebuild` and :func:`sync` (``flask setup``, ``flask search reindex``) always work in
the process that calls them; the index on disk is shared, and every process sees a change at its next search.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import Flask, current_app

from welfarepoint.catalog import events
from welfarepoint.search import service
from welfarepoint.search.results import Filters, Hit, SearchResult
from welfarepoint.search.text import fold, normalise_query

log = logging.getLogger(__name__)

__all__ = [
    "Filters",
    "Hit",
    "SearchResult",
    "ask",
    "ensure_index",
    "forget_all",
    "generation",
    "init_app",
    "normalise_for_statistics",
    "query",
    "rebuild",
    "sync",
]

#: An unreachable search process is logged at most this often per worker (it may be down for a while).
WARN_EVERY_SECONDS = 60.0
_warned_at: dict[str, float] = {}


def ask(name: str, *args: Any, **kwargs: Any) -> Any:
    """Do ``name`` (an operation of :func:`service.operation`) in the instance's search process, or here."""
    path = current_app.config.get("SEARCH_SERVICE_SOCKET")
    if path and not service.serving:
        try:
            return service.call(path, name, *args, **kwargs)
        except service.Unreachable as error:
            now = time.monotonic()
            if now - _warned_at.get(path, -WARN_EVERY_SECONDS) >= WARN_EVERY_SECONDS:
                _warned_at[path] = now
                log.warning("%s; this worker searches by itself meanwhile", error)
    return service.operation(name)(*args, **kwargs)


def query(
    text: str = "",
    filters: Filters | None = None,
    *,
    page: int = 1,
    per_page: int = 10,
    today: date | None = None,
) -> SearchResult:
    """Search the published listings: relevance first, a day-seeded tie-break, facets, spelling help."""
    return ask("query", text, filters, page=page, per_page=per_page, today=today)


def generation() -> tuple[int, int]:
    """The index's generation: it changes whenever a published listing changes, in any process or instance.

    Caches of published listings key on it to stay correct across workers; it catches up first.
    """
    return ask("generation")


def normalise_for_statistics(text: str) -> str:
    """The form of a query kept in the anonymous counters: folded, single-spaced, at most 100 characters."""
    return " ".join(fold(normalise_query(text)).split())[:100]


def ensure_index() -> str:
    """At start: rebuild a missing or unreadable index, repair a stale one. Never raises; returns what it did."""
    from welfarepoint.search import local

    return local.ensure_index()


def rebuild() -> int:
    """Rebuild the whole index from the published listings in the database; return how many."""
    from welfarepoint.search import local

    return local.rebuild()


def sync() -> tuple[int, int]:
    """Bring the index in line with the database (listings added, changed or removed); return (written, deleted)."""
    from welfarepoint.search import local

    return local.sync()


def forget_all() -> None:
    """Close this process's indexes and drop its cached results (before a fork; in tests and benchmarks)."""
    local = sys.modules.get("welfarepoint.search.local")
    if local is not None:
        local.forget_all()


def _on_listings_committed(sender, service_ids: Iterable[int], generation: int | None = None) -> None:
    try:
        ask("committed", sorted(service_ids), generation)
    except service.Failed:
        log.exception("the search process could not write listings %s", sorted(service_ids))


def init_app(app: Flask) -> None:
    """Keep the index of ``app`` in step with its database from now on.

    Never checks, rebuilds or repairs the index itself: that is ``flask setup``'s work (:func:`ensure_index`),
    so that building an app (``flask users list``) never waits for a rebuild.
    """
    events.listings_committed.connect(_on_listings_committed)
