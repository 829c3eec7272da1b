"""Search done in this process: the Whoosh index of published listings, its caches, and keeping it in step.

Reached through the front door, :mod:`welfarepoint.search` (nothing else imports this module or Whoosh): by a
worker that searches itself, or by the instance's search process (``search/service.py``) for its workers.

- :func:`listings_committed` writes every committed catalog change to the index right after the commit, and
  :func:`ensure_index` rebuilds or repairs a missing, stale or corrupt index at start.
- :func:`query` searches, with :class:`Filters`, and returns a :class:`SearchResult`.
- :func:`rebuild` and :func:`sync` are what ``flask search reindex`` runs.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from welfarepoint.bounded import Bounded
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db
from welfarepoint.search import engine as _engine
from welfarepoint.search.index import SearchIndex, get_index
from welfarepoint.search.index import forget_all as _forget_indexes
from welfarepoint.search.querying import run as run_query
from welfarepoint.search.results import Filters, Hit, SearchResult
from welfarepoint.search.schema import document
from welfarepoint.search.text import normalise_query

log = logging.getLogger(__name__)

__all__ = [
    "Filters",
    "Hit",
    "SearchResult",
    "ensure_index",
    "forget_all",
    "generation",
    "index_services",
    "listings_committed",
    "query",
    "rebuild",
    "sync",
]

BATCH = 500


def _index() -> SearchIndex:
    return get_index(current_app.config["SEARCH_INDEX_DIR"])


@contextmanager
def _exclusive(search_index: SearchIndex, settled: Callable[[], bool] | None = None) -> Iterator[bool]:
    """Serialise rebuilds, repairs and the writing of a commit across processes (never nested in one).

    Yields True with the lock held. With ``settled``, a process that finds the lock taken asks it every
    couple of milliseconds and, once it is true, goes on without the lock (yields False): a search waiting
    for another process's commit to reach the index need not also wait for that process's merge after it.
    """
    search_index.path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = Path(str(search_index.path) + ".lock")
    with lock_path.open("a") as handle:
        if settled is None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        else:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
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


LOCK_POLL_SECONDS = 0.002


def _published(session: Session, ids: Iterable[int] | None = None, between: tuple[int, int] | None = None):
    """Published listings (all, these ids, or those with ids ``between`` two, both included), loaded in batches
    so a large catalog never sits in memory."""
    id_query = select(Service.id).where(Service.status == "published").order_by(Service.id)
    if ids is not None:
        id_query = id_query.where(Service.id.in_(list(ids)))
    if between is not None:
        id_query = id_query.where(Service.id.between(*between))
    wanted = list(session.execute(id_query).scalars())
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        rows = session.execute(select(Service).where(Service.id.in_(batch)).order_by(Service.id))
        yield from rows.unique().scalars()
        session.expunge_all()


#: From this many published listings a rebuild writes them in ``REBUILD_PROCESSES`` processes at once (as many
#: as the machine has cores, if fewer), each reading and analysing its share of the listings.
PARALLEL_REBUILD_FROM = 2000
REBUILD_PROCESSES = 2


def rebuild() -> int:
    """Rebuild the whole index from the published listings in the database; return how many."""
    search_index = _index()
    with _exclusive(search_index):
        with Session(db.engine) as session:
            ids = list(
                session.execute(
                    select(Service.id).where(Service.status == "published").order_by(Service.id)
                ).scalars()
            )
        processes = min(REBUILD_PROCESSES, os.cpu_count() or 1) if len(ids) >= PARALLEL_REBUILD_FROM else 1
        count = search_index.rebuild(*_shares(ids, processes))
    log.info("search index rebuilt with %d listings in %s", count, search_index.path)
    return count


def _shares(ids: list[int], processes: int) -> list[Callable[[], Iterator[dict]]]:
    """The documents of ``ids`` (in order) as ``processes`` sources of consecutive listings."""
    if processes <= 1 or not ids:
        return [partial(_documents, None, forked=False)]
    size = -(-len(ids) // processes)
    return [
        partial(_documents, (ids[start], ids[min(start + size, len(ids)) - 1]), forked=True)
        for start in range(0, len(ids), size)
    ]


def _documents(between: tuple[int, int] | None, forked: bool) -> Iterator[dict]:
    """The index documents of the published listings (those with ids ``between`` two, or all)."""
    if forked:  # in a child process: connections of its own, the parent's left alone
        db.engine.dispose(close=False)
    with Session(db.engine) as session:
        for service in _published(session, between=between):
            yield document(service)
    if forked:  # and closed before the child ends, not dropped
        db.engine.dispose()


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
        # In batches: the ORM would hold every row at once (22 MB more at a worker's start at 100,000 listings).
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
            search_index.tidy()
    if stale or gone:
        log.info("search index repaired: %d listings written, %d removed", len(stale), len(gone))
    return len(stale), len(gone)


def ensure_index() -> str:
    """At start: rebuild a missing or unreadable index, repair a stale one. Never raises; returns what it did."""
    search_index = _index()
    try:
        if not inspect(db.engine).has_table(Service.__tablename__):
            log.info("search index not checked: the database is not set up yet (run `flask setup`)")
            return "no database"
        if not search_index.exists():
            log.warning("search index missing or from an older version in %s: rebuilding", search_index.path)
            rebuild()
            return "rebuilt"
        try:
            written, deleted = sync()
        except Exception:
            log.exception("search index in %s is unreadable: rebuilding", search_index.path)
            rebuild()
            return "rebuilt"
        return "repaired" if written or deleted else "current"
    except (OperationalError, ProgrammingError):
        log.warning("search index not checked: the database is not set up yet (run `flask setup`)")
        return "no database"
    except Exception:
        log.exception(
            "search index could not be prepared in %s; searches will fail until it is", search_index.path
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
    """Write a commit's listings to the index (never raises: a failure marks the index for repair)."""
    try:
        search_index = _index()
        with _exclusive(search_index):  # a reader waits, then finds the marker moved (see catch_up)
            index_services(service_ids)
            if generation is not None:
                _advance_marker(search_index, generation)
    except Exception:
        # The database change stands; the index is repaired from it at the next start or `flask search reindex`.
        log.exception("could not update the search index for listings %s", sorted(service_ids))
        _index().path.joinpath("needs-sync").touch()
        return
    try:
        if search_index.needs_tidy():  # after the lock is let go: other processes find the change first
            with _exclusive(search_index):
                search_index.tidy()
    except Exception:  # the index stays correct, with a few more segments than it needs
        log.exception("could not merge the small segments of the search index")


#: Results kept per process (some 6 kB each); results pages are kept besides, drawn (`public/views.py`).
RESULT_CACHE_SIZE = 512
_results = Bounded(RESULT_CACHE_SIZE)


def query(
    text: str = "",
    filters: Filters | None = None,
    *,
    page: int = 1,
    per_page: int = 10,
    today: date | None = None,
) -> SearchResult:
    """Search the published listings: relevance first, a day-seeded tie-break, facets, spelling help.

    Results are kept in a per-process cache keyed by the index generation, so a repeated search costs a
    dictionary look-up and any change to the index, by any process, makes every cached result stale at once.
    """
    search_index = catch_up()
    text = normalise_query(text)
    filters = filters or Filters()
    today = today or date.today()
    key = (str(search_index.path), search_index.generation(), text, filters, page, per_page, today)
    cached = _results.get(key)
    if cached is not None:
        return cached
    with search_index.searcher() as searcher:
        result = run_query(searcher, text, filters, page=page, per_page=per_page, today=today)
    result.generation = key[1]
    return _results.put(key, result)


GENERATION_FILE = "catalog-generation"


def _catalog_generation() -> int | None:
    from welfarepoint.catalog.models import CatalogState

    try:
        return db.session.execute(select(CatalogState.generation).where(CatalogState.id == 1)).scalar()
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        return None


def catch_up() -> SearchIndex:
    """Bring this instance's index up to the database before it is read; return the index.

    Another app instance (another machine, its own index folder) may have changed the catalog: the catalog's
    generation in the database says so for the price of one tiny query, and a sync then writes what changed.
    A failed index update of this process (``needs-sync``) is repaired the same way.
    """
    search_index = _index()
    wanted = _catalog_generation() if current_app.config.get("SEARCH_FOLLOW_DATABASE", True) else None

    def behind() -> bool:
        return search_index.path.joinpath("needs-sync").exists() or (
            wanted is not None and wanted != _read_marker(search_index)
        )

    if behind():
        try:
            # The process holding the lock may be writing that very commit (and moving the marker) or
            # repairing the index already: asked again while waiting, and with the lock held.
            with _exclusive(search_index, settled=lambda: not behind()) as held:
                if held and behind():
                    _sync(search_index)
                    search_index.path.joinpath("needs-sync").unlink(missing_ok=True)
                    if wanted is not None:
                        _write_marker(search_index, wanted)
        except Exception:
            log.exception("search index could not catch up with the database")
    return search_index


def _read_marker(search_index: SearchIndex) -> int | None:
    """The catalog generation this index is known to reflect (None when unknown)."""
    try:
        return int((search_index.path / GENERATION_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write_marker(search_index: SearchIndex, generation: int) -> None:
    marker = search_index.path / GENERATION_FILE
    temporary = marker.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(str(generation))
    temporary.replace(marker)


def _advance_marker(search_index: SearchIndex, generation: int) -> None:
    """After this process wrote the listings of the commit that made ``generation``: the index reflects it.

    Called with the index's lock held.

    Only when the index reflected the generation just before (no other commit in between, from this index's
    point of view); otherwise the next :func:`catch_up` compares everything. Without this, every worker of
    every instance would compare the whole catalog with its index after each publication.
    """
    if _read_marker(search_index) == generation - 1:
        _write_marker(search_index, generation)


def forget_all() -> None:
    """Close this process's indexes and drop its cached results (before a fork; in tests and benchmarks)."""
    _forget_indexes()
    _engine.forget_all()
    _results.clear()


def generation() -> tuple[int, int]:
    """The index's generation: it changes whenever a published listing changes, in any process or instance.

    Caches of published listings key on it to stay correct across workers; it catches up first.
    """
    return catch_up().generation()
