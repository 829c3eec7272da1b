"""The index on disk: written aside and swapped in, written one listing at a time, read by pooled searchers.

``SEARCH_INDEX_DIR`` holds index folders and ``live``, a symbolic link to the one every process reads; a
rebuild writes a new folder and replaces the link when it is complete (``docs/search.md``). Segments are
non-compound (a new searcher costs no copy of the index). Searchers are pooled per process (a thread borrows
one per query) and replaced when the index or the live folder changed.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage

from welfarepoint.search.engine import view
from welfarepoint.search.schema import build_schema

log = logging.getLogger(__name__)

INDEX_NAME = "services"
LIVE = "live"
PREVIOUS = "previous"
FOLDER_PREFIX = "index-"
POOL_SIZE = 8
WRITE_TIMEOUT = 10.0
#: Postings per block (Whoosh's default is 128): fewer blocks to decode when a common word is read.
BLOCK_LIMIT = 1024
#: Memory for a rebuild's postings before they are spilled to disk, per writing process (MB).
REBUILD_LIMIT_MB = 256
SCHEMA_VERSION = "12"  # bump when the schema, analysis or codec changes: `flask setup` then rebuilds


class Codec(W3Codec):
    """Whoosh's W3 codec without the shortest and longest field length of each postings block.

    Only Whoosh's own searcher reads them (to skip blocks that cannot reach its best results when asked for a
    few; search scores every posting itself), and Whoosh's writer finds them by reading each posting's field
    length back from the file, a large share of a rebuild.
    """

    length_stats = False


def codec() -> W3Codec:
    """The index's codec, with postings blocks of ``BLOCK_LIMIT``."""
    return Codec(blocklimit=BLOCK_LIMIT)


@contextmanager
def file_lock(path: Path, settled: Callable[[], bool] | None = None) -> Iterator[bool]:
    """Hold an exclusive lock on ``path`` (created if missing) across processes: yields True.

    With ``settled``, a process that finds the lock taken asks it every couple of milliseconds and, once it is
    true, goes on without the lock (yields False).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (fcntl.LOCK_NB if settled else 0))
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


class SearchIndex:
    """The index of one ``SEARCH_INDEX_DIR``, with a pool of searchers of its live folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._index = None
        self._folder: Path | None = None
        self._lock = threading.RLock()
        self._pool: list = []

    def _linked(self, name: str) -> Path | None:
        try:
            return self.root / os.readlink(self.root / name)
        except (FileNotFoundError, OSError):
            return None

    @property
    def path(self) -> Path:
        """The live index folder (FileNotFoundError when there is none yet)."""
        folder = self._linked(LIVE)
        if folder is None:
            raise FileNotFoundError(f"no search index in {self.root} (run `flask setup`)")
        return folder

    def exists(self) -> bool:
        """Whether a readable index of the current schema version is live."""
        folder = self._linked(LIVE)
        if folder is None:
            return False
        try:
            if (folder / "schema-version").read_text().strip() != SCHEMA_VERSION:
                return False
            return whoosh_index.exists_in(str(folder), indexname=INDEX_NAME)
        except Exception:  # a corrupt table of contents counts as missing
            return False

    def index(self):
        """The open Whoosh index of the live folder (opened again when the live folder was replaced)."""
        folder = self.path
        with self._lock:
            if self._index is None or folder != self._folder:
                self.close()
                self._index = whoosh_index.open_dir(str(folder), indexname=INDEX_NAME)
                self._folder = folder
            return self._index

    def close(self) -> None:
        """Close the pooled searchers and forget the index (before a fork, and when the live folder changes)."""
        with self._lock:
            for searcher in self._pool:
                searcher.close()
            self._pool = []
            self._index = None
            self._folder = None

    @contextmanager
    def searcher(self) -> Iterator:
        """Lend a searcher that sees the latest committed index, with its caches (``searcher.wp_cache``).

        Not ``searcher.refresh()`` when the index changed: it reuses segment readers by segment id and so keeps
        their old set of deleted documents (an archived listing would stay findable).
        """
        with self._lock:
            index, folder = self.index(), self._folder
            searcher = self._pool.pop() if self._pool else None
        if searcher is not None and not searcher.up_to_date():
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = index.searcher()
            searcher.wp_cache = {}
            searcher.wp_path = str(folder)
        try:
            yield searcher
        finally:
            with self._lock:
                if len(self._pool) < POOL_SIZE and self._folder == folder:
                    self._pool.append(searcher)
                else:
                    searcher.close()

    def generation(self) -> tuple[str, int]:
        """What identifies the latest committed index: its folder and its generation number there."""
        return self.path.name, self.index().latest_generation()

    def indexed_versions(self) -> tuple[np.ndarray, np.ndarray]:
        """The id and the version of every indexed listing, as two arrays in the same order (by id)."""
        with self.searcher() as searcher:
            found = view(searcher)
            live = found.live()
            ids, versions = found.integers("id")[live], found.integers("version")[live]
            order = np.argsort(ids, kind="stable")
            return ids[order], versions[order]

    def write(self, documents: Iterable[dict[str, Any]] = (), delete_ids: Iterable[int] = ()) -> None:
        """Add or replace ``documents`` and delete ``delete_ids`` in the live folder, in one commit."""
        with self.index().writer(timeout=WRITE_TIMEOUT, compound=False, codec=codec()) as writer:
            for service_id in delete_ids:
                writer.delete_by_term("id", str(service_id))
            for document in documents:
                writer.update_document(**document)

    def rebuild(
        self,
        documents: Iterable[dict[str, Any]],
        processes: int = 1,
        prepare: Callable[[Path], None] | None = None,
    ) -> int:
        """Write ``documents`` into a new folder, then make it the live one; return how many were written.

        With ``processes`` > 1 Whoosh's own multiprocessing writer analyses them in that many processes, each
        writing a segment of its own. ``prepare(folder)`` runs once the new folder is complete, just before
        the swap. One rebuild at a time per ``SEARCH_INDEX_DIR``; searches never wait for it.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with file_lock(self.root / "rebuild.lock"):
            first = self.clean() is None
            folder = self.root / f"{FOLDER_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
            folder.mkdir()
            new_index = FileStorage(str(folder)).create_index(build_schema(), indexname=INDEX_NAME)
            options: dict[str, Any] = {"limitmb": REBUILD_LIMIT_MB, "compound": False, "codec": codec()}
            if processes > 1:
                options |= {"procs": processes, "multisegment": True}
            count = 0
            with new_index.writer(**options) as writer:  # committed when all are in, cancelled on an error
                for document in documents:
                    writer.add_document(**document)
                    count += 1
            written = whoosh_index.open_dir(str(folder), indexname=INDEX_NAME).doc_count()
            if (
                written != count
            ):  # Whoosh's multiprocessing writer leaves out the segment of a process that died
                raise RuntimeError(
                    f"the rebuild wrote {written} of {count} listings; the live index is unchanged"
                )
            (folder / "schema-version").write_text(SCHEMA_VERSION)
            if prepare is not None:
                prepare(folder)
            self._swap(folder)
            self.clean(loose=not first)
        return count

    def _swap(self, folder: Path) -> None:
        """Make ``folder`` the live one in one step; remember the one it replaces as ``previous``."""
        replaced = self._linked(LIVE)
        for name, target in ((PREVIOUS, replaced), (LIVE, folder)):
            if target is None:
                continue
            temporary = self.root / f".{name}-{os.getpid()}"
            temporary.unlink(missing_ok=True)
            os.symlink(target.name, temporary)
            os.replace(temporary, self.root / name)

    def clean(self, loose: bool = True) -> list[str] | None:
        """Remove what no process reads any more: folders neither live nor previous (a dead rebuild's too) and,
        with ``loose`` once a folder is live, the files of an index of the old layout (no folders); return what
        went (None: nothing is live yet)."""
        live = self._linked(LIVE)
        keep = {folder.name for folder in (live, self._linked(PREVIOUS)) if folder is not None}
        keep |= {LIVE, PREVIOUS, "rebuild.lock", "write.lock"}
        removed = []
        for entry in self.root.iterdir() if self.root.is_dir() else ():
            if entry.name in keep:
                continue
            if entry.is_dir() and not entry.is_symlink():
                if entry.name.startswith(FOLDER_PREFIX):
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry.name)
            elif (loose and live is not None) or entry.name.startswith("."):
                entry.unlink(missing_ok=True)
                removed.append(entry.name)
        return removed if live is not None else None


_registry: dict[str, SearchIndex] = {}
_registry_lock = threading.Lock()


def get_index(root: str | Path) -> SearchIndex:
    """The process's :class:`SearchIndex` for ``root`` (one per ``SEARCH_INDEX_DIR``)."""
    key = str(Path(root).resolve())
    with _registry_lock:
        if key not in _registry:
            _registry[key] = SearchIndex(key)
        return _registry[key]


def forget_all() -> None:
    """Close every index of this process (before a server forks its workers, and in tests)."""
    with _registry_lock:
        for search_index in _registry.values():
            search_index.close()
        _registry.clear()
