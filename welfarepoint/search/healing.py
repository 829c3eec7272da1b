"""The index heals itself: a broken index is rebuilt aside, and a failed index write never holds a request up.

:func:`heals` wraps search's front door: when reading fails and the index is indeed missing or damaged
(:func:`readable`), one process of the instance rebuilds it aside (:func:`rebuild_aside`, ``heal.lock``) and the
visitor gets :class:`SearchRebuilding` (a 503 with ``Retry-After``). After a failed write this process leaves the
index alone for ``WRITE_RETRY_SECONDS`` (:func:`writes_paused`); the next catch-up writes what differs."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from welfarepoint.locks import file_lock
from welfarepoint.logs import OncePerMinute
from welfarepoint.search.index import SearchIndex, get_index

log = logging.getLogger(__name__)
report = OncePerMinute(log)
#: This process's state of each index is kept on its :class:`SearchIndex` (forgotten with it, before a fork).
_state_lock = threading.Lock()

RETRY_AFTER_SECONDS = 60
#: After a failed write, this process leaves the index alone this long; after a failed rebuild (a full disk), it
#: starts no other this long.
WRITE_RETRY_SECONDS, REBUILD_RETRY_SECONDS = 30, 60
#: How long a failed request may spend reading the index whole (the rebuild thread reads the rest).
VERIFY_BUDGET_SECONDS = 1.0


class SearchRebuilding(ServiceUnavailable):
    """The index is being rebuilt: try again in a minute (503, ``Retry-After``)."""

    def __init__(self) -> None:
        super().__init__(retry_after=RETRY_AFTER_SECONDS)


def write_failed(search_index: SearchIndex, message: str, *args) -> None:
    """Remember that writing ``search_index`` failed just now, and log it (in ``except``)."""
    search_index.write_failed_at = time.monotonic()
    report(f"write {search_index.root}", message, *args)


def writes_paused(search_index: SearchIndex) -> bool:
    failed_at = search_index.write_failed_at
    return failed_at is not None and time.monotonic() - failed_at < WRITE_RETRY_SECONDS


def readable(search_index: SearchIndex, budget: float | None = None) -> bool | None:
    """Whether the live index opens and reads whole (every stored document and postings list); None when
    ``budget`` (seconds) runs out first. An index that passed is not read again until it changes."""
    search_index.close()  # pooled searchers may hold a folder or files that are gone
    if not search_index.exists():
        return False
    deadline = None if budget is None else time.monotonic() + budget
    try:
        key = (str(search_index.path), search_index.index().latest_generation())
        if key in search_index.verified:
            return True
        with search_index.searcher() as searcher:
            for reader, _ in searcher.reader().leaf_readers():
                for _ in reader.all_stored_fields():
                    pass
                for count, (fieldname, text) in enumerate(reader.all_terms()):
                    reader.postings(fieldname, text).all_ids()
                    if deadline is not None and count % 256 == 0 and time.monotonic() > deadline:
                        return None
        search_index.indexed_versions()
    except Exception:
        root = search_index.root
        report(f"unreadable {root}", "the search index in %s cannot be read whole", root)
        search_index.close()
        return False
    search_index.verified.add(key)
    return True


def rebuild_aside(search_index: SearchIndex) -> None:
    """Rebuild in a thread, unless one is running or started lately, or another process holds ``heal.lock``."""
    now = time.monotonic()
    with _state_lock:
        started = search_index.rebuild_started_at
        if search_index.rebuilding or (started is not None and now - started < REBUILD_RETRY_SECONDS):
            return
        search_index.rebuilding, search_index.rebuild_started_at = True, now
    app = current_app._get_current_object()
    threading.Thread(target=_rebuild, args=(app, search_index), name="search-index-heal", daemon=True).start()


def _rebuild(app, search_index: SearchIndex) -> None:
    from welfarepoint.extensions import db
    from welfarepoint.search import rebuild

    root = search_index.root
    with app.app_context():
        try:
            root.mkdir(parents=True, exist_ok=True)
            with file_lock(root / "heal.lock", settled=lambda: True) as held:
                if held and not readable(search_index):
                    log.warning("search index in %s missing or damaged: rebuilding it aside", root)
                    written = rebuild(processes=1)  # no fork from a thread
                    log.warning("search index in %s rebuilt with %d listings", root, written)
            search_index.rebuild_started_at = None  # only a rebuild that failed holds the next one back
        except Exception:
            report(f"rebuild {root}", "the search index in %s could not be rebuilt", root)
        finally:
            db.session.remove()
            search_index.rebuilding = False


def heals(function: Callable) -> Callable:
    """Make ``function`` answer :class:`SearchRebuilding` (and rebuild aside) when the index turns out broken."""

    @functools.wraps(function)
    def healing(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (HTTPException, SQLAlchemyError):
            raise  # an answer already (a 503, a 400), or a database outage, answered by errors.py
        except Exception as error:
            search_index = get_index(current_app.config["SEARCH_INDEX_DIR"])
            verdict = readable(search_index, budget=VERIFY_BUDGET_SECONDS)
            if verdict is False:
                rebuild_aside(search_index)
                raise SearchRebuilding() from error
        try:  # the index reads whole (or so far): asked once more with fresh searchers
            return function(*args, **kwargs)
        except Exception as error:
            if verdict is True or isinstance(error, (HTTPException, SQLAlchemyError)):
                raise  # not the index's doing
            # A large index not read whole yet: the thread reads it all, and rebuilds it only if damaged.
            rebuild_aside(search_index)
            raise SearchRebuilding() from error

    return healing
