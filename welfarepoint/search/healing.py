"""The index heals itself: a broken index is rebuilt aside, and a failed index write never holds a request up.

- :func:`heals` wraps search's front door (:func:`~welfarepoint.search.query`, ``generation``): when reading the
  index fails and the index is indeed missing, unreadable or half-written (:func:`readable`), one process rebuilds
  it aside in a thread of its own (:func:`rebuild_aside`; ``heal.lock`` lets one process of the instance do it)
  and the visitor gets :class:`SearchRebuilding`, a 503 with ``Retry-After`` that ``errors.py`` renders in
  the visitor's language. An error the index does not explain (the index reads whole) is raised as it was.
- :func:`write_failed` / :func:`writes_paused`: after a failed write (disk full, permissions) this process does not
  write the index again for ``WRITE_RETRY_SECONDS``; the database change stands, the catalog generation in the
  database runs ahead of the index's marker, and the next catch-up after the pause writes what differs.
- :class:`OncePerMinute`: failures are logged once a minute, with how many were left out meanwhile.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from welfarepoint.locks import file_lock
from welfarepoint.search.index import SearchIndex, get_index

log = logging.getLogger(__name__)

#: What the 503 tells a visitor (and a client) to wait before asking again.
RETRY_AFTER_SECONDS = 60
#: After a failed index write, this process leaves the index alone for this long (the changes wait in the database).
WRITE_RETRY_SECONDS = 30
#: After a rebuild started by a failed search, this process starts no other for this long (a rebuild that failed,
#: on a full disk, is not tried again at every request).
REBUILD_RETRY_SECONDS = 60
#: A failure of the same kind is logged at most once in this many seconds per process.
LOG_EVERY_SECONDS = 60
#: How long a request that failed may spend reading the index whole to tell whether it is damaged; a larger
#: index is read to the end by the thread that would rebuild it.
VERIFY_BUDGET_SECONDS = 1.0
#: The lock file, in ``SEARCH_INDEX_DIR``, held by the one process that heals the instance's index.
HEAL_LOCK = "heal.lock"


class SearchRebuilding(ServiceUnavailable):
    """The index is being rebuilt: the visitor is asked to try again in a minute (503, ``Retry-After``)."""

    def __init__(self) -> None:
        super().__init__(retry_after=RETRY_AFTER_SECONDS)


class OncePerMinute:
    """Log a failure of each kind at most once every ``LOG_EVERY_SECONDS``, saying how many were left out."""

    def __init__(self, logger: logging.Logger, seconds: float = LOG_EVERY_SECONDS):
        self.logger = logger
        self.seconds = seconds
        self._last: dict[str, float] = {}
        self._left_out: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, kind: str, message: str, *args, exc_info: bool = True) -> bool:
        """Log ``message`` unless ``kind`` was logged less than ``seconds`` ago; return whether it was logged."""
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


report = OncePerMinute(log)

_state_lock = threading.Lock()
_write_failed_at: dict[str, float] = {}
_rebuild_started_at: dict[str, float] = {}
_rebuilding: set[str] = set()
#: Indexes read whole after a failed search, by (folder, Whoosh generation): not read again until they change.
_verified: set[tuple[str, int]] = set()


def write_failed(search_index: SearchIndex, message: str, *args) -> None:
    """Remember that writing ``search_index`` failed just now, and log it (once a minute). Call in ``except``."""
    with _state_lock:
        _write_failed_at[str(search_index.root)] = time.monotonic()
    report(f"write {search_index.root}", message, *args)


def write_succeeded(search_index: SearchIndex) -> None:
    """Writing ``search_index`` works again: no pause any more."""
    with _state_lock:
        _write_failed_at.pop(str(search_index.root), None)


def writes_paused(search_index: SearchIndex) -> bool:
    """Whether a write of ``search_index`` failed less than ``WRITE_RETRY_SECONDS`` ago in this process."""
    with _state_lock:
        failed_at = _write_failed_at.get(str(search_index.root))
    return failed_at is not None and time.monotonic() - failed_at < WRITE_RETRY_SECONDS


def readable(search_index: SearchIndex, budget: float | None = None) -> bool | None:
    """Whether the live index opens and every one of its files reads whole (a fresh look: searchers are dropped).

    Reads every stored document and every term's postings once; an index that passed is not read again until it
    changes. With ``budget`` (seconds), gives up when it runs out and returns None (not known yet): a request
    never waits long for this.
    """
    search_index.close()  # pooled searchers may hold a folder or files that are gone
    if not search_index.exists():
        return False
    deadline = None if budget is None else time.monotonic() + budget
    try:
        key = (str(search_index.path), search_index.index().latest_generation())
        if key in _verified:
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
        report(
            f"unreadable {search_index.root}",
            "the search index in %s cannot be read whole",
            search_index.root,
        )
        search_index.close()
        return False
    with _state_lock:
        _verified.add(key)
    return True


def rebuild_aside(search_index: SearchIndex, rebuild: Callable[[], int]) -> None:
    """Start rebuilding ``search_index`` in a thread of this process, unless one is running or started lately.

    The thread holds ``heal.lock`` (without waiting for it): when another process of the instance holds it, that
    process is rebuilding and this one does nothing. Every process keeps answering meanwhile.
    """
    root = str(search_index.root)
    now = time.monotonic()
    with _state_lock:
        started = _rebuild_started_at.get(root)
        if root in _rebuilding or (started is not None and now - started < REBUILD_RETRY_SECONDS):
            return
        _rebuilding.add(root)
        _rebuild_started_at[root] = now
    app = current_app._get_current_object()
    thread = threading.Thread(
        target=_rebuild, args=(app, search_index, rebuild), name="search-index-heal", daemon=True
    )
    thread.start()


def _rebuild(app, search_index: SearchIndex, rebuild: Callable[[], int]) -> None:
    from welfarepoint.extensions import db

    try:
        with app.app_context():
            try:
                search_index.root.mkdir(parents=True, exist_ok=True)
                with file_lock(search_index.root / HEAL_LOCK, settled=lambda: True) as held:
                    if held and not readable(search_index):
                        log.warning(
                            "search index in %s missing or damaged: rebuilding it aside", search_index.root
                        )
                        written = rebuild()
                        log.warning("search index in %s rebuilt with %d listings", search_index.root, written)
            except Exception:
                report(
                    f"rebuild {search_index.root}",
                    "the search index in %s could not be rebuilt",
                    search_index.root,
                )
            finally:
                db.session.remove()
    finally:
        with _state_lock:
            _rebuilding.discard(str(search_index.root))


T = TypeVar("T")


def heals(rebuild: Callable[[], int]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Make a function that reads the index answer :class:`SearchRebuilding` when the index turns out broken.

    ``rebuild`` rebuilds the index of the current app aside and swaps it in (search's own :func:`rebuild`).
    """

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(function)
        def healing(*args, **kwargs) -> T:
            try:
                return function(*args, **kwargs)
            except (HTTPException, SQLAlchemyError):
                raise  # an answer already (a 503, a 400), or a database outage, answered by errors.py
            except Exception as error:
                search_index = get_index(current_app.config["SEARCH_INDEX_DIR"])
                verdict = readable(search_index, budget=VERIFY_BUDGET_SECONDS)
                if verdict is False:
                    rebuild_aside(search_index, rebuild)
                    raise SearchRebuilding() from error
            try:
                # The index reads whole (or so far): it was replaced meanwhile (a rebuild swapped in), or the
                # error is not the index's doing. Asked once more with fresh searchers.
                return function(*args, **kwargs)
            except (HTTPException, SQLAlchemyError):
                raise
            except Exception as error:
                if verdict is True:
                    raise  # not the index's doing
                # A large index not read whole yet: the rebuild thread reads it all first, and rebuilds it
                # only if it is damaged.
                rebuild_aside(search_index, rebuild)
                raise SearchRebuilding() from error

        return healing

    return decorate


def forget() -> None:
    """Forget this process's pauses, rebuild times and verified indexes (in tests, like ``search.forget_all``)."""
    with _state_lock:
        _write_failed_at.clear()
        _rebuild_started_at.clear()
        _verified.clear()


def state(
    search_index: SearchIndex,
    generation: int | None,
    read_marker: Callable[[Path], int | None],
    rebuild: Callable[[], int],
) -> dict:
    """The index as ``/readyz`` reports it: ``status`` ("ok", or "missing" while it is rebuilt: a rebuild aside is
    started when ``generation``, the database's, is known) and ``lag`` (catalog changes not yet in the index, None
    when unknown); ``read_marker(folder)`` is the generation the index reflects."""
    if not search_index.exists():
        if generation is not None:
            rebuild_aside(search_index, rebuild)
        return {"status": "missing", "lag": None}
    try:
        folder = search_index.path
        marker = read_marker(folder)
    except OSError:
        return {"status": "missing", "lag": None}
    lag = generation - marker if generation is not None and marker is not None else None
    return {"status": "ok", "lag": lag, "repair_pending": folder.joinpath("needs-sync").exists()}
