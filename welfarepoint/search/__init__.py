"""Search: the only door to the index of published listings (nothing outside this package imports Whoosh).

- :func:`query` searches, with :class:`Filters`, and returns a :class:`SearchResult`; :func:`generation` says
  when the published listings changed (what caches of them key on); :func:`normalise_for_statistics`.
- :func:`init_app` connects :func:`listings_committed`, which writes every committed catalog change to the index
  right after the commit; :func:`catch_up` writes what another instance committed before the index is read.
- :func:`ensure_index` (``flask setup``), :func:`rebuild` and :func:`sync` (``flask search reindex``): a rebuild
  is written aside and swapped in, so searches never wait for it (``docs/search.md``).

Every process searches by itself (each gunicorn worker, each of its threads with a searcher of its own); the
index on disk is shared, and every process sees a change at its next search.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import numpy as np
from flask import Flask, current_app
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from welfarepoint import vocabulary
from welfarepoint.bounded import Bounded
from welfarepoint.catalog import events
from welfarepoint.catalog.models import CatalogState, Service
from welfarepoint.extensions import db
from welfarepoint.locks import file_lock
from welfarepoint.search import engine as _engine
from welfarepoint.search import healing
from welfarepoint.search.index import SearchIndex, get_index
from welfarepoint.search.index import forget_all as _forget_indexes
from welfarepoint.search.querying import newly_answered as newly_found
from welfarepoint.search.querying import run as run_query
from welfarepoint.search.results import Filters, Hit, SearchResult
from welfarepoint.search.schema import document
from welfarepoint.vocabulary import synonyms
from welfarepoint.vocabulary.text import fold, normalise_query

log = logging.getLogger(__name__)

__all__ = [
    "Filters",
    "Hit",
    "SearchResult",
    "ensure_index",
    "forget_all",
    "generation",
    "init_app",
    "newly_answered",
    "normalise_for_statistics",
    "query",
    "rebuild",
    "sync",
]
BATCH = 500


def _index() -> SearchIndex:
    return get_index(current_app.config["SEARCH_INDEX_DIR"])


def _exclusive(search_index: SearchIndex, settled: Callable[[], bool] | None = None):
    """Serialise repairs and the writing of a commit across processes (never nested in one): a search waiting
    for another process's commit to reach the index waits only until ``settled()``."""
    return file_lock(search_index.root / "write.lock", settled)


def _published(session: Session, ids: Iterable[int] | None = None):
    """Published listings (all, or these ids), loaded in batches so a large catalog never sits in memory."""
    id_query = select(Service.id).where(Service.status == "published").order_by(Service.id)
    if ids is not None:
        id_query = id_query.where(Service.id.in_(list(ids)))
    wanted = list(session.execute(id_query).scalars())
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        rows = session.execute(select(Service).where(Service.id.in_(batch)).order_by(Service.id))
        yield from rows.unique().scalars()
        session.expunge_all()


#: From this many published listings a rebuild analyses them in ``REBUILD_PROCESSES`` processes (Whoosh's
#: multiprocessing writer; as many as the machine has cores, if fewer).
PARALLEL_REBUILD_FROM, REBUILD_PROCESSES = 2000, 2


def rebuild(processes: int | None = None) -> int:
    """Rebuild the whole index from the published listings into a new folder, then swap it in; return how many.

    ``processes``: how many processes analyse the listings (by default from the catalog's size).

    Every process keeps searching the old index meanwhile. The catalog's generation is read before the
    listings: a commit made during the rebuild leaves the new index behind that number, and the first search
    after the swap writes it (see :func:`catch_up`).
    """
    search_index = _index()
    generation = _catalog_generation()
    with Session(db.engine) as session:
        count = session.execute(
            select(func.count()).select_from(Service).where(Service.status == "published")
        ).scalar_one()
        if processes is None:
            processes = min(REBUILD_PROCESSES, os.cpu_count() or 1) if count >= PARALLEL_REBUILD_FROM else 1

        def prepare(folder: Path) -> None:
            if generation is not None:
                _write_marker(folder, generation)

        documents = (document(service) for service in _published(session))
        written = search_index.rebuild(documents, processes, prepare)
    log.info("search index rebuilt with %d listings in %s", written, search_index.path)
    return written


def sync() -> tuple[int, int]:
    """Bring the index in line with the database (listings added, changed or removed); return (written, deleted)."""
    search_index = _index()
    with _exclusive(search_index):
        return _sync(search_index)


def _sync(search_index: SearchIndex) -> tuple[int, int]:
    with Session(db.engine) as session:
        published = (
            select(Service.id, Service.version).where(Service.status == "published").order_by(Service.id)
        )
        # In batches: the ORM would hold every row at once.
        rows = session.execute(published.execution_options(yield_per=5000))
        wanted = np.fromiter((value for row in rows for value in row), dtype=np.int64).reshape(-1, 2)
        indexed_ids, indexed_versions = search_index.indexed_versions()
        # Listings whose (id, version) the index does not hold are stale; ids it holds and the database does
        # not publish are gone.
        position = np.searchsorted(indexed_ids, wanted[:, 0]).clip(max=max(len(indexed_ids) - 1, 0))
        held = (
            (indexed_ids[position] == wanted[:, 0]) & (indexed_versions[position] == wanted[:, 1])
            if len(indexed_ids)
            else np.zeros(len(wanted), dtype=bool)
        )
        stale = wanted[~held, 0].tolist()
        gone = indexed_ids[~np.isin(indexed_ids, wanted[:, 0])].tolist()
        if stale or gone:
            documents = [document(service) for service in _published(session, stale)] if stale else []
            search_index.write(documents, gone)
    if stale or gone:
        log.info("search index repaired: %d listings written, %d removed", len(stale), len(gone))
    return len(stale), len(gone)


def ensure_index() -> str:
    """At start (``flask setup``): remove leftovers, rebuild a missing or unreadable index (aside, while the
    old one serves), repair a stale one. Never raises; returns what it did."""
    search_index = _index()
    try:
        if not inspect(db.engine).has_table(Service.__tablename__):
            log.info("search index not checked: the database is not set up yet (run `flask setup`)")
            return "no database"
        with file_lock(search_index.root / "rebuild.lock"):
            search_index.clean()
        if not search_index.exists():
            log.warning("search index missing or from an older version in %s: rebuilding", search_index.root)
            rebuild()
            return "rebuilt"
        try:
            written, deleted = sync()
        except Exception:
            log.exception("search index in %s is unreadable: rebuilding", search_index.root)
            rebuild()
            return "rebuilt"
        return "repaired" if written or deleted else "current"
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


def index_services(service_ids: Iterable[int]) -> None:
    """Write the current state of these listings to the index (published ones in, others out)."""
    ids = sorted(set(service_ids))
    if not ids:
        return
    search_index = _index()
    with Session(db.engine) as session:
        documents = [document(service) for service in _published(session, ids)]
    published = {int(doc["id"]) for doc in documents}
    search_index.write(documents, [service_id for service_id in ids if service_id not in published])


def listings_committed(service_ids: Iterable[int], generation: int | None = None) -> None:
    """Write a commit's listings to the index (never raises: a failure marks the index for repair).

    After a failed write the index is left alone for a while (``healing.writes_paused``): the commit's generation
    runs ahead of the index's marker, and a catch-up after the pause writes what differs.
    """
    search_index = _index()
    if healing.writes_paused(search_index):
        # A write failed a moment ago: not tried again for every commit (nor the pause prolonged).
        with contextlib.suppress(OSError):
            search_index.path.joinpath("needs-sync").touch()
        return
    try:
        with _exclusive(search_index):  # a reader waits, then finds the marker moved (see catch_up)
            index_services(service_ids)
            if generation is not None:
                _advance_marker(search_index, generation)
    except Exception:
        # The database change stands; the next catch-up (any search, after the pause) writes it.
        healing.write_failed(
            search_index, "could not update the search index for listings %s", sorted(service_ids)
        )
        with contextlib.suppress(OSError):
            search_index.path.joinpath("needs-sync").touch()
        search_index.checked_at = None  # the next search asks the database, and repairs
        return
    try:  # small segments merged once the lock is released (not while another process writes)
        with _exclusive(search_index, settled=lambda: True) as held:
            if held:
                search_index.merge()
    except Exception:
        log.exception("could not merge the search index's small segments")


#: Results kept per process; results pages are kept besides, drawn (`public/views.py`).
RESULT_CACHE_SIZE = 512
_results = Bounded(RESULT_CACHE_SIZE)


def _rebuild_in_a_thread() -> int:
    return rebuild(processes=1)  # no fork from a worker's thread


@healing.heals(_rebuild_in_a_thread)
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
    """Search the published listings: relevance first, a day-seeded tie-break, facets, spelling help.

    ``language`` is the page's ("it" or "en"): spelling help offers only words of the catalog in that language
    (and of the synonyms); None offers both. ``desks_apart``: Welfare Points are returned apart (``desks``) and
    never counted, unless the search asks for them. ``read_place``: a place named in the text becomes a filter.

    Results are kept in a per-process cache keyed by the index generation, so a repeated search costs a
    dictionary look-up and any change to the index, by any process, makes every cached result stale at once.
    """
    search_index = catch_up()
    vocabulary = synonyms.version()
    text = normalise_query(text)
    filters = filters or Filters()
    today = today or date.today()
    options = (language, desks_apart, read_place, vocabulary)
    key = (str(search_index.root), search_index.generation(), text, filters, page, per_page, today, options)
    cached = _results.get(key)
    if cached is not None:
        return cached
    with search_index.searcher() as searcher:
        result = run_query(
            searcher,
            text,
            filters,
            page=page,
            per_page=per_page,
            today=today,
            language=language,
            desks_apart=desks_apart,
            read_place=read_place,
        )
    result.generation = (key[1], vocabulary)
    return _results.put(key, result)


def newly_answered(texts: Iterable[str], line: str) -> list[tuple[str, int]]:
    """Of these searches that found nothing, those a vocabulary line being curated would now answer (with
    how many listings each would find)."""
    search_index = catch_up()
    with search_index.searcher() as searcher:
        return newly_found(searcher, [normalise_query(text) for text in texts], line)


GENERATION_FILE = "catalog-generation"


@functools.cache
def _generation_statement():  # built once
    return select(CatalogState.generation).where(CatalogState.id == 1)


def _catalog_generation() -> int | None:
    try:
        return db.session.execute(_generation_statement()).scalar()
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        return None


#: Seconds a process searches without asking the database about other instances' commits (its own instance's
#: are in the index at once); the query and its session cost a cached search more than all else it does.
CATALOG_CHECK_SECONDS = 1.0


def catch_up() -> SearchIndex:
    """Bring this instance's index up to the database before it is read; return the index.

    Another instance (its own index folder) may have changed the catalog: its generation in the database says so
    (asked at most every ``SEARCH_CATALOG_CHECK_SECONDS``), and a sync writes what changed, as after a failed
    index update of this process (``needs-sync``).
    """
    search_index, now = _index(), time.monotonic()
    interval = current_app.config.get("SEARCH_CATALOG_CHECK_SECONDS", CATALOG_CHECK_SECONDS)
    if search_index.checked_at is not None and now - search_index.checked_at < interval:
        return search_index
    search_index.checked_at = now
    vocabulary.refresh()
    wanted = _catalog_generation()

    def behind() -> bool:
        folder = search_index.path
        return folder.joinpath("needs-sync").exists() or (
            wanted is not None and wanted != _read_marker(folder)
        )

    if behind():
        if healing.writes_paused(search_index):
            search_index.checked_at = None  # asked again at the next search, once the pause is over
            return search_index
        try:
            # The process holding the lock may be writing that very commit (and moving the marker) or
            # repairing the index already: asked again while waiting, and with the lock held.
            with _exclusive(search_index, settled=lambda: not behind()) as held:
                if held and behind():
                    folder = search_index.path
                    _sync(search_index)
                    folder.joinpath("needs-sync").unlink(missing_ok=True)
                    if wanted is not None:
                        _write_marker(folder, wanted)
                    healing.write_succeeded(search_index)
        except Exception:
            search_index.checked_at = None
            healing.write_failed(search_index, "search index could not catch up with the database")
    return search_index


def _read_marker(folder: Path) -> int | None:
    """The catalog generation the index in ``folder`` is known to reflect (None when unknown)."""
    try:
        return int((folder / GENERATION_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write_marker(folder: Path, generation: int) -> None:
    marker = folder / GENERATION_FILE
    temporary = marker.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(str(generation))
    temporary.replace(marker)


def _advance_marker(search_index: SearchIndex, generation: int) -> None:
    """After this process wrote the listings of the commit that made ``generation`` (lock held): the index
    reflects it, if it reflected the one just before; otherwise the next :func:`catch_up` compares everything."""
    folder = search_index.path
    if _read_marker(folder) == generation - 1:
        _write_marker(folder, generation)


def index_state(generation: int | None) -> dict:
    """This instance's index for ``/readyz``: present or not (a missing one is rebuilt aside), and how many of the
    database's catalog changes (``generation``) it has not written yet."""
    return healing.state(_index(), generation, _read_marker, _rebuild_in_a_thread)


def forget_all() -> None:
    """Close this process's indexes and drop its cached results (before a fork; in tests and benchmarks)."""
    _forget_indexes()
    _engine.forget_all()
    _results.clear()
    healing.forget()


@healing.heals(_rebuild_in_a_thread)
def generation() -> tuple[str, int]:
    """The index's generation, which caches of published listings key on: it changes whenever one changes."""
    return catch_up().generation()


def normalise_for_statistics(text: str) -> str:
    """The form of a query kept in the anonymous counters: folded, single-spaced, at most 100 characters."""
    return " ".join(fold(normalise_query(text)).split())[:100]


def _on_listings_committed(sender, service_ids: Iterable[int], generation: int | None = None) -> None:
    listings_committed(service_ids, generation)


def init_app(app: Flask) -> None:
    """Keep the index of ``app`` in step with its database from now on (never checking, rebuilding or repairing
    it: that is ``flask setup``'s :func:`ensure_index`, so that building an app never waits for a rebuild)."""
    events.listings_committed.connect(_on_listings_committed)
    vocabulary.changed.connect(_on_vocabulary_changed)


def _on_vocabulary_changed(sender) -> None:
    _index().checked_at = None  # this process reads the curated groups again at its next search
