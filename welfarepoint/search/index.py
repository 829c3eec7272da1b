"""The index on disk: open or create, write one listing at a time or rebuild, and fresh searchers per process.

The database is the source of truth; the index holds published listings only and can always be rebuilt.
Every segment is written non-compound (opening a searcher then costs ~0.3 ms and ~3 MB instead of a copy of
the whole index). Writers are serialised by Whoosh's lock; a write that cannot get it within the timeout is
logged and repaired by :func:`sync` at the next start. Searchers are kept in a small per-process pool (a
thread borrows one for a query and gives it back) and replaced when the index changed, so a listing committed
by any process is found on the next request of every process, and no request opens a searcher of its own.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher
from whoosh.writing import MERGE_SMALL, LockError, fib

from welfarepoint.search import patches  # noqa: F401  (Whoosh 2.7.5 repaired before any use)
from welfarepoint.search.engine import view
from welfarepoint.search.schema import build_schema
from welfarepoint.search.writer import RebuildWriter

log = logging.getLogger(__name__)

INDEX_NAME = "services"
POOL_SIZE = 8
WRITE_TIMEOUT = 10.0
OPEN_ATTEMPTS = 50
#: Postings per block (Whoosh's default is 128): 100,000 listings, cold searches p95 61 → 48 ms, index 88 → 70 MB.
BLOCK_LIMIT = 1024
SCHEMA_VERSION = "10"  # bump when the schema, analysis or codec changes: the index is then rebuilt at start


def codec() -> W3Codec:
    """Whoosh's codec with postings blocks of ``BLOCK_LIMIT`` (Whoosh's default 128 means one unpickling and
    one decompression per 128 documents of a term, the largest part of reading a common word)."""
    return W3Codec(blocklimit=BLOCK_LIMIT)


class SearchIndex:
    """One index folder, with a searcher per thread and per-searcher caches of filter sets and facet columns."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._index = None
        self._lock = threading.RLock()
        self._pool: list = []

    # --- opening -------------------------------------------------------------------------------------------

    def _marker(self) -> Path:
        return self.path / "schema-version"

    def exists(self) -> bool:
        """Whether a readable index of the current schema version is on disk."""
        if not self._marker().exists() or self._marker().read_text().strip() != SCHEMA_VERSION:
            return False
        try:
            return whoosh_index.exists_in(str(self.path), indexname=INDEX_NAME)
        except Exception:  # a corrupt table of contents counts as missing
            return False

    def create(self) -> None:
        """Make a new empty index, replacing whatever is in the folder."""
        with self._lock:
            self.close()
            if self.path.exists():
                shutil.rmtree(self.path)
            self.path.mkdir(parents=True)
            FileStorage(str(self.path)).create_index(build_schema(), indexname=INDEX_NAME)
            self._marker().write_text(SCHEMA_VERSION)

    def index(self):
        """The open Whoosh index (opened on first use, in this process)."""
        with self._lock:
            if self._index is None:
                self._index = whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)
            return self._index

    def close(self) -> None:
        """Close the pooled searchers and forget the index (before a fork, or a rebuild)."""
        with self._lock:
            for searcher in self._pool:
                searcher.close()
            self._pool = []
            self._index = None

    # --- reading -------------------------------------------------------------------------------------------

    @contextmanager
    def searcher(self) -> Iterator:
        """Lend a searcher that sees the latest committed index, with its caches (``searcher.wp_cache``).

        Not ``searcher.refresh()`` when the index changed: it reuses segment readers by segment id and so keeps
        their old set of deleted documents (an archived listing would stay findable). A new searcher on
        non-compound segments costs well under a millisecond.
        """
        with self._lock:
            searcher = self._pool.pop() if self._pool else None
        if searcher is not None and not searcher.up_to_date():
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = self._open_searcher()
            searcher.wp_cache = {}
            searcher.wp_path = str(self.path)
        try:
            yield searcher
        finally:
            with self._lock:
                if len(self._pool) < POOL_SIZE and self._index is not None:
                    self._pool.append(searcher)
                else:
                    searcher.close()

    def _open_searcher(self):
        """A searcher of the latest committed index.

        Whoosh's own ``Index.searcher()`` sleeps 50 ms whenever a segment file vanished between reading the
        table of contents and opening the file (a merge committed by another process in between); the next
        table of contents is already there, so read it again at once.
        """
        index = self.index()
        for attempt in range(OPEN_ATTEMPTS):
            try:
                toc = index._read_toc()
                reader = index._reader(index.storage, toc.schema, toc.segments, toc.generation)
                return Searcher(reader, fromindex=index)
            except OSError:
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.001 * attempt)
        raise AssertionError("unreachable")

    def generation(self) -> tuple[int, int]:
        """What identifies the latest committed index: its generation number and when it was written.

        The number grows with every write in any process; the time tells a rebuilt index (whose numbers start
        again) from the one it replaced.
        """
        number = self.index().latest_generation()
        try:
            written = (self.path / f"_{INDEX_NAME}_{number}.toc").stat().st_mtime_ns
        except FileNotFoundError:
            written = 0
        return number, written

    def indexed_versions(self) -> tuple[np.ndarray, np.ndarray]:
        """The id and the version of every indexed listing, as two arrays in the same order (by id).

        Arrays, not a dictionary: every worker compares them with the database at start, and at 100,000
        listings a dictionary of them is some 10 MB more at the worker's peak.
        """
        with self.searcher() as searcher:
            found = view(searcher)
            live = found.live()
            ids, versions = found.integers("id")[live], found.integers("version")[live]
            order = np.argsort(ids, kind="stable")
            return ids[order], versions[order]

    # --- writing -------------------------------------------------------------------------------------------

    def write(self, documents: Iterable[dict[str, Any]] = (), delete_ids: Iterable[int] = ()) -> None:
        """Add or replace ``documents`` and delete ``delete_ids``, in one commit of a new segment.

        Never merges segments: a merge would hold back the commit (and so the moment other processes find the
        change) by up to ten times its cost. :meth:`tidy` merges afterwards.
        """
        writer = self.index().writer(timeout=WRITE_TIMEOUT, compound=False, codec=codec())
        try:
            for service_id in delete_ids:
                writer.delete_by_term("id", str(service_id))
            for document in documents:
                writer.update_document(**document)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(merge=False)

    def needs_tidy(self) -> bool:
        """Whether small segments have piled up enough for Whoosh's merge policy to merge them."""
        return _small_segments(self.index()._segments()) > 1

    def tidy(self) -> bool:
        """Merge the small segments left by :meth:`write` (Whoosh's ``MERGE_SMALL`` policy); whether it did.

        The caller holds the index's lock (see ``search._exclusive``). The merged segment is new to every
        searcher; the large segments and their caches are kept.
        """
        if not self.needs_tidy():
            return False
        writer = self.index().writer(timeout=WRITE_TIMEOUT, compound=False, codec=codec())
        writer.commit(mergetype=MERGE_SMALL)
        return True

    def rebuild(self, *sources: Callable[[], Iterable[dict[str, Any]]]) -> int:
        """Replace the whole index with the documents of ``sources`` (functions); return how many were written.

        One source is written in this process. Several are written at once, each in a child process of its own
        (forked, so a source may read its share of the listings itself) as one segment; the segments are then
        committed together, in the order of ``sources``. Either way with :class:`RebuildWriter` (same files
        as Whoosh's writer, about twice as fast).
        """
        with self._lock:
            self.create()
            index = self.index()
            writer = RebuildWriter(index, **_rebuild_options(timeout=WRITE_TIMEOUT))
            try:
                if len(sources) == 1:
                    count = _add_all(writer, sources[0]())
                    writer.commit(merge=False)
                    return count
                segments, count = _write_segments_in_children(index, sources)
            except BaseException:
                writer.cancel()
                raise
            # Whoosh's multiprocessing writer ends the same way: its own (empty) segment closed, the children's
            # segments committed as the index's table of contents.
            writer._close_segment()
            writer._commit_toc(segments)
            writer._finish()
            return count


#: Memory for a rebuild's postings before they are spilled to disk, per writing process (MB).
REBUILD_LIMIT_MB = 256


def _rebuild_options(**options: Any) -> dict[str, Any]:
    return {"compound": False, "limitmb": REBUILD_LIMIT_MB, "codec": codec(), **options}


def _add_all(writer: RebuildWriter, documents: Iterable[dict[str, Any]]) -> int:
    count = 0
    for document in documents:
        writer.add_document(**document)
        count += 1
    return count


def _write_segments_in_children(index, sources) -> tuple[list, int]:
    """Each source written as one segment by a forked child; the segments in order, and how many documents."""
    context = multiprocessing.get_context("fork")
    children = []
    for number, source in enumerate(sources):
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(
            target=_write_segment, args=(index, source, sending), name=f"search-rebuild-{number}"
        )
        child.start()
        sending.close()
        children.append((child, receiving))
    segments, count, failures = [], 0, []
    for child, receiving in children:
        try:
            outcome = receiving.recv()
        except EOFError:
            outcome = ("failed", "the process ended without a word", "")
        child.join()
        if outcome[0] == "written":
            segments.append(outcome[1])
            count += outcome[2]
        else:
            failures.append(f"{child.name}: {outcome[1]}")
            log.error("search index rebuild failed in %s:\n%s", child.name, outcome[2])
    if failures:
        raise RuntimeError("the rebuild failed in " + "; ".join(failures))
    return segments, count


def _write_segment(index, source, sending) -> None:
    """In a child process: write the documents of ``source`` as one segment and send it to the parent."""
    try:
        writer = RebuildWriter(index, _lk=False, **_rebuild_options())
        count = _add_all(writer, source())
        sending.send(("written", writer._finalize_segment(), count))
    except BaseException as error:
        sending.send(("failed", f"{type(error).__name__}: {error}", traceback.format_exc()))
    finally:
        sending.close()


def _small_segments(segments) -> int:
    """How many of ``segments`` Whoosh's ``MERGE_SMALL`` would merge (0 when it would leave them alone)."""
    total = 0
    for position, count in enumerate(sorted(segment.doc_count_all() for segment in segments)):
        total += count
        if position > 3 and total < fib(position + 5):
            return position + 1
    return 0


_registry: dict[str, SearchIndex] = {}
_registry_lock = threading.Lock()


def get_index(path: str | Path) -> SearchIndex:
    """The process's :class:`SearchIndex` for ``path`` (one per folder)."""
    key = str(Path(path).resolve())
    with _registry_lock:
        if key not in _registry:
            _registry[key] = SearchIndex(key)
        return _registry[key]


def forget_all() -> None:
    """Close every index of this process (used before a server forks its workers, and by tests)."""
    with _registry_lock:
        for search_index in _registry.values():
            search_index.close()
        _registry.clear()


__all__ = ["LockError", "SearchIndex", "forget_all", "get_index"]
