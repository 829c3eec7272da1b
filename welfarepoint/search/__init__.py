"""Search: the only door to the index of published listings (``docs/search.md``).

:func:`query` searches; :func:`generation` changes whenever a published listing does (what caches key on);
:func:`listings_committed` writes each commit's listings; :func:`catch_up` writes what another instance
committed; :func:`ensure_index` (``flask setup``), :func:`rebuild` and :func:`sync` (``flask search reindex``).
Every process searches by itself; the index on disk is shared."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import date

import numpy as np
from flask import Flask, current_app
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from welfarepoint import vocabulary
from welfarepoint.bounded import Bounded
from welfarepoint.catalog import events, queries
from welfarepoint.catalog.models import CatalogState, Service
from welfarepoint.extensions import db
from welfarepoint.locks import file_lock
from welfarepoint.search import engine as _engine
from welfarepoint.search import healing, querying
from welfarepoint.search.index import SearchIndex, get_index
from welfarepoint.search.index import forget_all as _forget_indexes
from welfarepoint.search.querying import run as run_query
from welfarepoint.search.results import Filters, Hit, SearchResult
from welfarepoint.search.schema import document
from welfarepoint.vocabulary import synonyms
from welfarepoint.vocabulary.text import fold, normalise_query

log = logging.getLogger(__name__)

__all__ = ["Filters", "Hit", "SearchResult"]  # re-exported: what search is asked and answers
_PUBLISHED = Service.status == "published"
_GENERATION = select(CatalogState.generation).where(CatalogState.id == 1)
#: From this many published listings a rebuild runs Whoosh's writer in ``REBUILD_PROCESSES`` (at most the cores).
PARALLEL_REBUILD_FROM, REBUILD_PROCESSES = 2000, 2
#: Seconds a process searches without asking the database about other instances' commits and the curated
#: vocabulary (its own commits are in the index at once); the query costs a cached search more than all else.
CATALOG_CHECK_SECONDS = 1.0


def _index() -> SearchIndex:
    return get_index(current_app.config["SEARCH_INDEX_DIR"])


def _exclusive(search_index: SearchIndex, settled: Callable[[], bool] | None = None):
    """One writer at a time across processes; a waiting search stops waiting once ``settled()``."""
    return file_lock(search_index.root / "write.lock", settled)


def rebuild(processes: int | None = None) -> int:
    """Rebuild the index into a new folder and swap it in; return how many listings. The generation is read
    first: a commit made meanwhile leaves the new index behind it, and :func:`catch_up` writes it."""
    search_index, generation = _index(), _catalog_generation()
    with Session(db.engine) as session:
        count = session.execute(select(func.count()).select_from(Service).where(_PUBLISHED)).scalar_one()
        if processes is None:
            processes = min(REBUILD_PROCESSES, os.cpu_count() or 1) if count >= PARALLEL_REBUILD_FROM else 1
        written = search_index.rebuild(
            map(document, queries.published_for_index(session)), processes, generation
        )
    log.info("search index rebuilt with %d listings in %s", written, search_index.path)
    return written


def sync() -> tuple[int, int]:
    """Write what differs between the index and the database; return (written, deleted)."""
    search_index = _index()
    with _exclusive(search_index):
        return _sync(search_index)


def _sync(search_index: SearchIndex) -> tuple[int, int]:
    with Session(db.engine) as session:
        published = select(Service.id, Service.version).where(_PUBLISHED).order_by(Service.id)
        rows = session.execute(published.execution_options(yield_per=5000))
        wanted = np.fromiter((value for row in rows for value in row), dtype=np.int64).reshape(-1, 2)
        ids, versions = search_index.indexed_versions()
        held = np.isin(wanted[:, 0] << 32 | wanted[:, 1], ids << 32 | versions)  # the same id and version
        stale = wanted[~held, 0].tolist()
        gone = ids[~np.isin(ids, wanted[:, 0])].tolist()
        if stale or gone:
            documents = [document(service) for service in queries.published_for_index(session, stale)]
            search_index.write(documents, gone)
            log.info("search index repaired: %d listings written, %d removed", len(stale), len(gone))
    return len(stale), len(gone)


def ensure_index() -> str:
    """``flask setup``: clean up, rebuild a missing or unreadable index, repair a stale one; never raises."""
    search_index = _index()
    try:
        if not inspect(db.engine).has_table(Service.__tablename__):
            log.info("search index not checked: the database is not set up yet (run `flask setup`)")
            return "no database"
        with file_lock(search_index.root / "rebuild.lock"):
            search_index.clean()
        if not search_index.exists():
            log.warning("search index missing or from an older version in %s: rebuilding", search_index.root)
        else:
            try:
                written, deleted = sync()
                return "repaired" if written or deleted else "current"
            except Exception:
                log.exception("search index in %s is unreadable: rebuilding", search_index.root)
        rebuild()
        return "rebuilt"
    except (OperationalError, ProgrammingError):
        log.warning("search index not checked: the database is not set up yet (run `flask setup`)")
        return "no database"
    except Exception:
        log.exception(
            "search index could not be prepared in %s; searches will fail until it is", search_index.root
        )
        return "failed"
    finally:
        search_index.close()  # workers forked after start open their own


def listings_committed(sender, service_ids: Iterable[int], generation: int | None = None) -> None:
    """Write a commit's listings (published in, others out). Never raises: after a failure the index is
    marked for repair and left alone for a while (``healing.writes_paused``); a catch-up then writes it."""
    search_index, ids = _index(), sorted(set(service_ids))
    if healing.writes_paused(search_index):
        return _needs_sync(search_index)
    try:
        with _exclusive(search_index):  # a reader waits, then finds the marker moved (see catch_up)
            with Session(db.engine) as session:
                documents = [document(service) for service in queries.published_for_index(session, ids)]
            published = {int(doc["id"]) for doc in documents}
            search_index.write(documents, [service_id for service_id in ids if service_id not in published])
            if generation is not None and search_index.marker() == generation - 1:
                search_index.set_marker(generation)  # else a commit was missed: catch_up compares
    except Exception:  # the database change stands
        healing.write_failed(search_index, "could not update the search index for listings %s", ids)
        search_index.checked_at = None  # the next search asks the database, and repairs
        return _needs_sync(search_index)
    try:  # small segments merged once the lock is released (not while another process writes)
        with _exclusive(search_index, settled=lambda: True) as held:
            if held:
                search_index.merge()
    except Exception:
        log.exception("could not merge the search index's small segments")


def _needs_sync(search_index: SearchIndex) -> None:
    """Leave ``needs-sync`` in the live folder: the next search of any process compares it with the database."""
    with contextlib.suppress(OSError):
        search_index.path.joinpath("needs-sync").touch()


RESULT_CACHE_SIZE = 512  # results kept per process (keyed by the index's generation)
_results = Bounded(RESULT_CACHE_SIZE)


@healing.heals
def query(
    text: str = "",
    filters: Filters | None = None,
    *,
    page: int = 1,
    per_page: int = 10,
    today: date | None = None,
    language: str | None = None,
    desks_apart: bool = False,
    read_place: bool = True,
) -> SearchResult:
    """Search the published listings (see :func:`querying.run`); ``language``, the page's, is the language of
    the words spelling help offers (None: both)."""
    search_index, vocabulary = catch_up(), synonyms.version()
    text, filters = normalise_query(text), filters or Filters()
    options = {"page": page, "per_page": per_page, "today": today or date.today(), "language": language}
    options |= {"desks_apart": desks_apart, "read_place": read_place}
    key = (str(search_index.root), search_index.generation(), text, filters, vocabulary, *options.values())
    cached = _results.get(key)
    if cached is not None:
        return cached
    with search_index.searcher() as searcher:
        result = run_query(searcher, text, filters, **options)
    result.generation = (key[1], vocabulary)
    return _results.put(key, result)


@healing.heals
def fitting_ids(
    text: str = "", filters: Filters | None = None, *, language: str | None = None, read_place: bool = True
) -> list[int]:
    """Every listing :func:`query` finds for the results page (Welfare Points apart), on all its pages, the most
    relevant first; without highlights and not kept (the feeds and alerts of a search, :mod:`welfarepoint.alerts`)."""
    options = {"language": language, "read_place": read_place, "desks_apart": True, "highlights": False}
    with catch_up().searcher() as searcher:  # per_page: every result, a whole catalog
        result = run_query(searcher, normalise_query(text), filters or Filters(), per_page=2**31, **options)
    return [hit.service_id for hit in result.hits]


def newly_answered(texts: Iterable[str], line: str) -> list[tuple[str, int]]:
    """Of these searches that found nothing, those a curated line would answer, with how many listings."""
    with catch_up().searcher() as searcher:
        return querying.newly_answered(searcher, [normalise_query(text) for text in texts], line)


def _catalog_generation() -> int | None:
    try:
        return db.session.execute(_GENERATION).scalar()
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        return None


def catch_up() -> SearchIndex:
    """Bring this instance's index up to the database (at most every ``SEARCH_CATALOG_CHECK_SECONDS``: the
    catalog's generation, and the curated vocabulary) before it is read; return the index."""
    search_index, now = _index(), time.monotonic()
    interval = current_app.config.get("SEARCH_CATALOG_CHECK_SECONDS", CATALOG_CHECK_SECONDS)
    if search_index.checked_at is not None and now - search_index.checked_at < interval:
        return search_index
    search_index.checked_at = now
    vocabulary.refresh()
    wanted = _catalog_generation()

    def behind() -> bool:
        folder = search_index.path
        return folder.joinpath("needs-sync").exists() or wanted not in (None, search_index.marker(folder))

    if behind():
        if healing.writes_paused(search_index):
            search_index.checked_at = None  # asked again at the next search, once the pause is over
            return search_index
        try:
            # The process holding the lock may be writing that very commit: asked again while waiting.
            with _exclusive(search_index, settled=lambda: not behind()) as held:
                if held and behind():
                    folder = search_index.path
                    _sync(search_index)
                    folder.joinpath("needs-sync").unlink(missing_ok=True)
                    if wanted is not None:
                        search_index.set_marker(wanted, folder)
                    search_index.write_failed_at = None
        except Exception:
            search_index.checked_at = None
            healing.write_failed(search_index, "search index could not catch up with the database")
    return search_index


def index_state(generation: int | None) -> dict:
    """For ``/readyz``: ``status`` ("ok", or "missing": then rebuilt aside if the database's ``generation`` is
    known) and ``lag`` (catalog changes not in the index yet; None when unknown)."""
    search_index = _index()
    if not search_index.exists():
        if generation is not None:
            healing.rebuild_aside(search_index)
        return {"status": "missing", "lag": None}
    try:
        folder = search_index.path
        marker = search_index.marker(folder)
    except OSError:
        return {"status": "missing", "lag": None}
    lag = generation - marker if generation is not None and marker is not None else None
    return {"status": "ok", "lag": lag, "repair_pending": folder.joinpath("needs-sync").exists()}


def close_all() -> None:
    """Close this process's indexes, keeping what was read from their segments (before gunicorn forks its
    workers: each opens the index again and finds the master's caches of the same segments, shared)."""
    _forget_indexes()  # with their state of healing
    _results.clear()


def read_ahead() -> int:
    """Read every posting searches read when the cache holds them all (a master before forking); their weight."""
    with catch_up().searcher() as searcher:
        return _engine.view(searcher).read_ahead()


def forget_all() -> None:
    """Close this process's indexes and drop every cache (in tests and benchmarks: a cold process)."""
    close_all()
    _engine.forget_all()


@healing.heals
def generation() -> tuple[str, int]:
    """The index's generation: it changes whenever a published listing does."""
    return catch_up().generation()


def normalise_for_statistics(text: str) -> str:
    """The form of a query kept in the anonymous counters: folded, single-spaced, at most 100 characters."""
    return " ".join(fold(normalise_query(text)).split())[:100]


def init_app(app: Flask) -> None:
    """Keep the index in step with the database (never checking it: that is :func:`ensure_index`)."""
    events.listings_committed.connect(listings_committed)
    vocabulary.changed.connect(_on_vocabulary_changed)


def _on_vocabulary_changed(sender) -> None:
    _index().checked_at = None  # this process reads the curated groups again at its next search
