"""The index on disk: folders of Whoosh's files and ``live``, a symbolic link to the one every process reads;
rebuilt aside and swapped in, written one commit at a time, read by pooled searchers (``docs/search.md``)."""

from __future__ import annotations

import functools
import gc
import logging
import os
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import MERGE_SMALL, NO_MERGE

from welfarepoint.locks import file_lock
from welfarepoint.search.engine import view
from welfarepoint.search.querying import run
from welfarepoint.search.results import Filters
from welfarepoint.search.schema import build_schema

log = logging.getLogger(__name__)

INDEX_NAME, LIVE, PREVIOUS, FOLDER_PREFIX = "services", "live", "previous", "index-"
POOL_SIZE, WRITE_TIMEOUT = 8, 10.0
#: Postings per block (Whoosh's default is 128): fewer blocks to decode when a common word is read.
BLOCK_LIMIT = 1024
#: Listings a rebuild writes into a segment per writing process: their postings sort in ``REBUILD_LIMIT_MB``
#: rather than spill to disk; not fewer, as every segment adds to every search's work.
REBUILD_SEGMENT_LISTINGS, REBUILD_LIMIT_MB = 25_000, 1024
#: Searches that warm a new live folder's caches.
WARM_QUERIES = ("", "servizi", "srevizi")
#: Seconds between the interpreter's thread switches while a thread warms a new folder (Python's default is
#: 0.005): a search waiting for the interpreter after each read it makes would otherwise wait that long each time.
WARMING_SWITCH_INTERVAL = 0.0001
_USUAL_SWITCH_INTERVAL = sys.getswitchinterval()
SCHEMA_VERSION = "12"  # bump when the schema, analysis or codec changes: `flask setup` then rebuilds
#: In a folder: the catalog generation its index is known to reflect.
GENERATION_FILE = "catalog-generation"
#: This process's indexes, by root (as given, and resolved).
_registry: dict[str, SearchIndex] = {}
_registry_lock = threading.Lock()


class Codec(W3Codec):
    """Whoosh's W3 codec without each postings block's shortest and longest field length: only Whoosh's
    searcher reads them, and writing them was a large share of a rebuild."""

    length_stats = False


codec = functools.partial(Codec, blocklimit=BLOCK_LIMIT)


class SearchIndex:
    """The index of one ``SEARCH_INDEX_DIR``, with a pool of searchers of its live folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._index = None
        self._folder: Path | None = None
        self._lock = threading.RLock()
        self._pool: list = []
        self._warming: threading.Thread | None = None
        self.checked_at: float | None = None  # when this process last asked the database (catch_up)
        # This process's healing (healing.py): a failed write, a rebuild aside, the folders read whole.
        self.write_failed_at: float | None = None
        self.rebuild_started_at: float | None = None
        self.rebuilding, self.verified = False, set()

    def _linked(self, name: str) -> Path | None:
        try:
            return self.root / os.readlink(self.root / name)
        except OSError:
            return None

    @property
    def path(self) -> Path:
        """The live folder (FileNotFoundError when there is none)."""
        folder = self._linked(LIVE)
        if folder is None:
            raise FileNotFoundError(f"no search index in {self.root} (run `flask setup`)")
        return folder

    def exists(self) -> bool:
        """Whether a readable index of the current schema version is live."""
        folder = self._linked(LIVE)
        try:
            version = (folder / "schema-version").read_text().strip()
            return version == SCHEMA_VERSION and whoosh_index.exists_in(str(folder), indexname=INDEX_NAME)
        except Exception:
            return False

    def marker(self, folder: Path | None = None) -> int | None:
        """The catalog generation the live folder (or ``folder``) reflects (None when unknown)."""
        try:
            return int(((folder or self.path) / GENERATION_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def set_marker(self, generation: int, folder: Path | None = None) -> None:
        marker = (folder or self.path) / GENERATION_FILE
        temporary = marker.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(str(generation))
        temporary.replace(marker)

    def index(self):
        """The Whoosh index searches read: the live one, or the one before while a thread warms the new one."""
        folder = self.path
        with self._lock:
            if self._index is None:
                self._index, self._folder = whoosh_index.open_dir(str(folder), indexname=INDEX_NAME), folder
            elif folder != self._folder and self._warming is None:
                self._warming = threading.Thread(target=self._open_warmed, args=(folder,), daemon=True)
                self._warming.start()
            return self._index

    def _open_warmed(self, folder: Path) -> None:
        """Open ``folder``, :func:`warm` a searcher of it, then make it the one searches read."""
        try:
            index = whoosh_index.open_dir(str(folder), indexname=INDEX_NAME)
            searcher = _new_searcher(index, folder)
            sys.setswitchinterval(WARMING_SWITCH_INTERVAL)
            try:
                warm(searcher)
            finally:
                sys.setswitchinterval(_USUAL_SWITCH_INTERVAL)
        except Exception:  # the next search opens it by itself (and fails as it would have)
            log.exception("could not open and warm the search index in %s", folder)
            return self.close()
        with self._lock:
            if self._warming is not threading.current_thread():  # closed meanwhile (a fork, a test)
                return searcher.close()
            self.close()
            self._index, self._folder = index, folder
            self._pool.append(searcher)

    def close(self) -> None:
        with self._lock:
            for searcher in self._pool:
                searcher.close()
            self._pool = []
            self._index = self._folder = self._warming = None

    @contextmanager
    def searcher(self) -> Iterator:
        """Lend a searcher of the latest commit, with its view (``searcher.wp_cache``; what searches compute is
        kept per commit, :class:`~welfarepoint.search.engine.CommitCaches`); never
        ``searcher.refresh()``, which keeps old sets of deleted documents."""
        with self._lock:
            index, folder = self.index(), self._folder
            searcher = self._pool.pop() if self._pool else None
        if searcher is not None and not searcher.up_to_date():
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = _new_searcher(index, folder)
        try:
            yield searcher
        finally:
            with self._lock:
                if len(self._pool) < POOL_SIZE and self._folder == folder:
                    self._pool.append(searcher)
                else:
                    searcher.close()

    def generation(self) -> tuple[str, int]:
        """The folder and Whoosh generation searches read."""
        with self._lock:
            index = self.index()
            return self._folder.name, index.latest_generation()

    def _live_index(self):
        """The live folder's Whoosh index, to write or compare (searches may read the one before)."""
        folder = self.path
        with self._lock:
            if self._index is not None and folder == self._folder:
                return self._index
        return whoosh_index.open_dir(str(folder), indexname=INDEX_NAME)

    def _writer(self):
        return self._live_index().writer(timeout=WRITE_TIMEOUT, compound=False, codec=codec())

    def indexed_versions(self) -> tuple[np.ndarray, np.ndarray]:
        """The id and version of every listing in the live folder (two arrays)."""
        with _new_searcher(self._live_index(), self.path) as searcher:
            found = view(searcher)
            return found.integers("id")[found.live], found.integers("version")[found.live]

    def write(self, documents: Iterable[dict[str, Any]] = (), delete_ids: Iterable[int] = ()) -> None:
        """Add or replace ``documents`` and delete ``delete_ids`` in one commit that merges nothing."""
        with _writing(self._writer()) as writer:
            for service_id in delete_ids:
                writer.delete_by_term("id", str(service_id))
            for document in documents:
                writer.update_document(**document)

    def merge(self) -> bool:
        """Merge small segments by Whoosh's rule (``MERGE_SMALL``) if it finds any; return whether it did."""
        writer = self._writer()
        try:
            kept = MERGE_SMALL(writer, list(writer.segments))  # gives the writer the documents it merges
        except BaseException:
            writer.cancel()
            raise
        if len(kept) == len(writer.segments):
            writer.cancel()
            return False
        writer.commit(mergetype=lambda _writer, _segments: kept)
        return True

    def rebuild(
        self, documents: Iterable[dict[str, Any]], processes: int = 1, generation: int | None = None
    ) -> int:
        """Write ``documents`` into a new folder (``processes``: Whoosh's multiprocessing writer) that reflects
        the catalog's ``generation``, then make it live; return how many. One at a time per ``SEARCH_INDEX_DIR``."""
        self.root.mkdir(parents=True, exist_ok=True)
        with file_lock(self.root / "rebuild.lock"):
            first = self._linked(LIVE) is None
            self.clean()
            folder = self.root / f"{FOLDER_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
            folder.mkdir()
            new_index = FileStorage(str(folder)).create_index(build_schema(), indexname=INDEX_NAME)
            options: dict[str, Any] = {"limitmb": REBUILD_LIMIT_MB, "compound": False, "codec": codec()}
            if processes > 1:
                options |= {"procs": processes, "multisegment": True}
            documents, count, per_segment = iter(documents), 0, REBUILD_SEGMENT_LISTINGS * processes
            with _no_cycle_collection(processes > 1):
                # Read as written: the listings are read while the writing processes index the ones before.
                while (head := next(documents, None)) is not None:
                    with _writing(new_index.writer(**options)) as writer:
                        for document in chain([head], islice(documents, per_segment - 1)):
                            writer.add_document(**document)
                            count += 1
            written = whoosh_index.open_dir(str(folder), indexname=INDEX_NAME).doc_count()
            if written != count:  # a process of Whoosh's multiprocessing writer died: its segment is missing
                raise RuntimeError(f"rebuilt {written} of {count} listings: the live index is unchanged")
            (folder / "schema-version").write_text(SCHEMA_VERSION)
            if generation is not None:
                self.set_marker(generation, folder)
            self._swap(folder)
            self.close()  # this process's next search opens the new folder (others warm it first)
            self.clean(loose=not first)
        return count

    def _swap(self, folder: Path) -> None:
        """Make ``folder`` live in one step; the one it replaces becomes ``previous``."""
        for name, target in ((PREVIOUS, self._linked(LIVE)), (LIVE, folder)):
            if target is None:
                continue
            temporary = self.root / f".{name}-{os.getpid()}"
            temporary.unlink(missing_ok=True)
            os.symlink(target.name, temporary)
            os.replace(temporary, self.root / name)

    def clean(self, loose: bool = True) -> None:
        """Remove folders neither live nor previous (a dead rebuild's too) and, with ``loose`` once one is live,
        files of the old layout (kept at the first rebuild: processes of the release before still read them)."""
        live = self._linked(LIVE)
        keep = {folder.name for folder in (live, self._linked(PREVIOUS)) if folder is not None}
        keep |= {LIVE, PREVIOUS, "rebuild.lock", "write.lock", "heal.lock"}
        for entry in self.root.iterdir() if self.root.is_dir() else ():
            if entry.name in keep:
                continue
            if entry.is_dir() and not entry.is_symlink():
                if entry.name.startswith(FOLDER_PREFIX):
                    shutil.rmtree(entry, ignore_errors=True)
            elif (loose and live is not None) or entry.name.startswith("."):
                entry.unlink(missing_ok=True)


@contextmanager
def _no_cycle_collection(wanted: bool) -> Iterator[None]:
    """The cycle collector off while the block runs, if ``wanted``: Whoosh's writer keeps each posting of its
    segment as Python objects until it commits, and the collector walks them all again and again as they grow.
    Only for a rebuild that forks its writers (they inherit it), never in a thread of a serving process."""
    switched = wanted and gc.isenabled()
    if switched:
        gc.disable()
    try:
        yield
    finally:
        if switched:
            gc.enable()


@contextmanager
def _writing(writer) -> Iterator:
    """``writer``, committed without merging when the block ends, cancelled if it raises (its lock released
    too: Whoosh releases it only after a commit that succeeds)."""
    try:
        yield writer
        writer.commit(mergetype=NO_MERGE)
    except BaseException:
        if not writer.is_closed:
            try:
                writer.cancel()
            except Exception:  # cancelling closes files, which can fail on a full disk too
                if writer.writelock is not None and writer.writelock.fd is not None:
                    writer.writelock.release()
        raise


def _new_searcher(index, folder: Path):
    searcher = index.searcher()
    searcher.wp_cache = {}
    searcher.wp_path = str(folder)
    return searcher


def warm(searcher) -> None:
    """Fill a new index's caches as its first searches would."""
    for text in WARM_QUERIES:
        run(searcher, text, Filters(), today=date.today())


def get_index(root: str | Path) -> SearchIndex:
    """The process's :class:`SearchIndex` for ``root`` (found by the path as given, then resolved)."""
    found = _registry.get(str(root))
    if found is None:
        with _registry_lock:
            resolved = Path(root).resolve()
            found = _registry[str(root)] = _registry.setdefault(str(resolved), SearchIndex(resolved))
    return found


def forget_all() -> None:
    """Close every index of this process (before a fork, and in tests)."""
    with _registry_lock:
        for search_index in _registry.values():
            search_index.close()
        _registry.clear()
