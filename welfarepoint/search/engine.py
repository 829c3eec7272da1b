"""Query evaluation over the index's postings, read once into NumPy arrays and scored with Whoosh's BM25F.

Kept per segment (immutable, so across commits): postings, columns, vocabularies; per commit (shared by its
searchers, and by the workers a master forks after its warm-up): idf, concept scores, filter and facet sets.
Read through Whoosh's public reader API, or :mod:`.whoosh_fast` on its version (tests run both)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial, reduce
from itertools import repeat
from math import log
from typing import Any

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length, length_to_byte

from welfarepoint.bounded import Bounded
from welfarepoint.search import whoosh_fast
from welfarepoint.vocabulary.spelling import NearWords

K1, B = 1.2, 0.75  # Whoosh's BM25F parameters
#: Postings (9 bytes each, so at most 18 MB) kept per process across all segments before the least used terms
#: go: room for most words of a day's searches at 100,000 listings (a smaller room read the same words again;
#: a larger one costs each worker more memory than it saves time: ``make bench`` weighs both).
MAX_CACHED_POSTINGS = 2_000_000
#: Fields whose postings no search reads: the listing's number and version, the spelling words (a vocabulary).
UNREAD = frozenset({"id", "version", "spell"})
#: Scores of concepts kept per commit, in numbers (a document number and a score per match, 8 bytes each): 4 MB.
MAX_CONCEPT_SCORES = 500_000
#: Bytes of filter sets (a bit per document each) kept per commit: 1,600 at 10,000 listings, 160 at 100,000.
MAX_SET_BYTES = 2 * 2**20
#: A length byte decoded (Whoosh keeps a field's length in one byte; 0: no length).
_LENGTH_OF_BYTE = np.array([0.0] + [byte_to_length(byte) for byte in range(1, 256)], dtype=np.float64)
#: Every segment's postings kept by this process, the least recently used going first (a term not found counts).
_postings = Bounded(MAX_CACHED_POSTINGS, weigh=lambda postings: len(postings) + 1)
#: This process's segment caches, by (index folder, segment id).
_segments: dict[tuple[str, str], SegmentCache] = {}
#: The caches of the latest commit this process searched in each index folder: (generation, caches), by folder.
_commits: dict[str, tuple[int, CommitCaches]] = {}
_segments_lock = threading.Lock()


@dataclass(frozen=True)
class Alternative:
    """One way a concept can match: all these tokens in this field (their scores add up), times ``boost``."""

    field: str
    tokens: tuple[str, ...]
    boost: float = 1.0


class Postings:
    """One term in one segment: sorted local document numbers (uint32), weights (float32), length bytes, and
    Whoosh's document frequency (deleted documents counted)."""

    __slots__ = ("docs", "frequencies", "length_bytes", "doc_frequency")

    def __init__(self, docs, frequencies, length_bytes, doc_frequency: int = 0):
        self.docs, self.frequencies, self.length_bytes = docs, frequencies, length_bytes
        self.doc_frequency = doc_frequency

    def __len__(self) -> int:
        return len(self.docs)

    def weights(self, average: float) -> np.ndarray:
        """Whoosh's BM25F term part of each document for the field's ``average`` length (computed each time:
        keeping it would double what a kept posting costs, and concepts' scores are kept anyway)."""
        tf = self.frequencies.astype(np.float64)
        lengths = _LENGTH_OF_BYTE[self.length_bytes]
        return (tf * (K1 + 1)) / (tf + K1 * (1 - B) + (K1 * B / average) * lengths)


EMPTY = Postings(np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.float32), np.empty(0, dtype=np.uint8))


class SegmentCache:
    """What never changes in one segment: postings, lengths, columns and vocabularies."""

    def __init__(self, key: tuple[str, str]):
        self.key = key  # (index folder, segment id)
        self.memos: dict[Any, Any] = {}
        #: The words of the fields whose postings were all read (:meth:`SearcherView.read_ahead`), by field.
        self.postings_of: dict[str, frozenset[str]] = {}

    def _lengths(self, reader, field: str) -> np.ndarray:
        def read() -> np.ndarray:
            count = reader.doc_count_all()
            lengths = np.zeros(count, dtype=np.uint8)
            if not whoosh_fast.ENABLED:
                for docnum in range(count):
                    lengths[docnum] = length_to_byte(reader.doc_field_length(docnum, field) or 0)
            elif (raw := whoosh_fast.length_bytes(reader, field)) is not None:
                lengths[: len(raw)] = raw[:count]
            return lengths

        return self.memo(("lengths", field), read)

    def postings(self, reader, field: str, term: str) -> Postings:
        if field in self.postings_of and term not in self.postings_of[field]:
            return EMPTY

        def read() -> Postings:
            read_postings = whoosh_fast.postings if whoosh_fast.ENABLED else _public_postings
            ids, weights, frequency = read_postings(reader, field, reader.schema[field].to_bytes(term))
            return (
                Postings(ids, weights, self._lengths(reader, field)[ids], frequency) if frequency else EMPTY
            )

        return _postings.get_or_make((self.key, field, term), read)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Anything computed from this segment alone (kept as long as the segment)."""
        value = self.memos.get(key)
        if value is None:
            value = self.memos[key] = compute()
        return value

    def vocabulary(self, reader, field: str) -> NearWords:
        """The words of ``field`` in this segment, for spelling suggestions."""
        words = reader.schema[field].from_bytes
        return self.memo(("vocabulary", field), lambda: NearWords(map(words, reader.lexicon(field))))


def _column_values(reader, name: str) -> Iterable[Any]:
    """A segment's sortable column, every document's value in order ("" where it has none); walked, never kept."""
    return iter(reader.column_reader(name)) if reader.has_column(name) else repeat("", reader.doc_count_all())


def _public_postings(reader, field: str, term_bytes: bytes) -> tuple[np.ndarray, np.ndarray, int]:
    """A term's live document numbers, weights and document frequency in one segment, through Whoosh's matcher."""
    try:
        matcher = reader.postings(field, term_bytes)
    except TermNotFound:
        return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.float32), 0
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    frequency = reader.doc_frequency(field, term_bytes)
    return np.array(ids, dtype=np.uint32), np.array(weights, dtype=np.float32), frequency


def _read_only(array: np.ndarray) -> np.ndarray:
    """``array``, which every searcher of a commit (and every thread) now shares, made read-only."""
    array.flags.writeable = False
    return array


def forget_all() -> None:
    with _segments_lock:
        _segments.clear()
        _commits.clear()
    _postings.clear()


def view(searcher) -> SearcherView:
    """The :class:`SearcherView` of a searcher (made once, kept with it)."""
    found = searcher.wp_cache.get("view")
    if found is None:
        found = searcher.wp_cache["view"] = SearcherView(searcher, searcher.wp_path)
    return found


class CommitCaches:
    """What searches compute from one commit of an index, kept while it is the latest this process searched and
    shared by every searcher of it (each thread borrows a searcher of its own). A worker forked after the master's
    warm-up starts with the master's, sharing their memory, instead of computing its own."""

    def __init__(self) -> None:
        self.idf: dict[tuple[str, str], float] = {}
        self.columns: dict[Any, Any] = {}  # per document, or per value of a column (value_sets)
        self.averages: dict[str, float] = {}
        self.concepts = Bounded(MAX_CONCEPT_SCORES, weigh=lambda kept: 2 * len(kept[0]) + 1)
        #: Documents that pass a filter (``querying``), by key, packed a bit each; weighed in bytes.
        self.sets = Bounded(MAX_SET_BYTES, weigh=lambda docs: docs.nbytes)


class SearcherView:
    """The searcher's segments with their caches and global offsets; made once per searcher."""

    def __init__(self, searcher, index_path: str):
        self.schema = searcher.schema
        self.leaves = []
        self.count = searcher.doc_count_all()
        #: Every document not deleted (read-only: every search of this searcher shares it).
        self.live = np.ones(self.count, dtype=bool)
        root = os.path.dirname(index_path)
        with _segments_lock:
            for reader, offset in searcher.reader().leaf_readers():
                if reader.segment() is None:  # an empty index has one reader and no segment
                    continue
                if reader.has_deletions():
                    deleted = reader.deleted_docs_set
                    self.live[offset + np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
                key = (index_path, reader.segment().segment_id())
                self.leaves.append((reader, offset, _segments.setdefault(key, SegmentCache(key))))
            # Forget the segments merged away from this folder, and those of the folders it replaced.
            kept = {cache.key for _reader, _offset, cache in self.leaves}
            for key in [key for key in _segments if key not in kept and os.path.dirname(key[0]) == root]:
                del _segments[key]
            generation = searcher.reader().generation()
            held = _commits.get(index_path)
            if held is None or held[0] != generation:
                held = _commits[index_path] = (generation, CommitCaches())
                for folder in [
                    folder for folder in _commits if folder != index_path and os.path.dirname(folder) == root
                ]:
                    del _commits[folder]
        self.live.flags.writeable = False
        self.shared: CommitCaches = held[1]

    def idf(self, field: str, term: str) -> float:
        """Whoosh's inverse document frequency (deleted documents counted)."""
        value = self.shared.idf.get((field, term))
        if value is None:
            frequency = sum(
                cache.postings(reader, field, term).doc_frequency for reader, _o, cache in self.leaves
            )
            value = self.shared.idf[field, term] = log(self.count / (frequency + 1)) + 1 if frequency else 0.0
        return value

    def average(self, field: str) -> float:
        """Whoosh's average length of ``field`` over the whole index (``avg_field_length(...) or 1``)."""
        value = self.shared.averages.get(field)
        if value is None:
            total = sum(reader.field_length(field) for reader, _offset, _cache in self.leaves)
            value = self.shared.averages[field] = (total / (self.count or 1)) or 1
        return value

    def _placed(self, parts: Iterable[tuple[int, np.ndarray]]) -> np.ndarray:
        """The live documents among each segment's local numbers (``(offset, numbers)`` pairs)."""
        found = np.zeros(self.count, dtype=bool)
        for offset, local in parts:
            found[offset + local] = True
        found &= self.live
        return found

    def term_docs(self, field: str, *terms: str) -> np.ndarray:
        return self._placed(
            (offset, cache.postings(reader, field, term).docs)
            for term in terms
            for reader, offset, cache in self.leaves
        )

    def read_ahead(self) -> int:
        """Read every posting of the fields searches read (not :data:`UNREAD`) when they all fit in the cache (a
        master before it forks: its workers share them); what they weigh in the cache, postings and terms (0:
        nothing read). A word not read is then known to be absent, without asking the index."""
        terms: dict[tuple, list[str]] = {}
        total = 0
        for reader, _offset, cache in self.leaves:
            for (field, text), info in reader:
                if field not in UNREAD:
                    terms.setdefault((reader, cache, field), []).append(self.schema[field].from_bytes(text))
                    total += info.doc_frequency() + 1  # as the cache weighs a term
        if total > MAX_CACHED_POSTINGS:
            return 0
        for (reader, cache, field), words in terms.items():
            for word in words:
                cache.postings(reader, field, word)
            cache.postings_of[field] = frozenset(words)
        return total

    def knows(self, field: str, word: str) -> bool:
        return any(word in cache.vocabulary(reader, field).words for reader, _offset, cache in self.leaves)

    def near(self, field: str, word: str) -> set[str]:
        """Terms of ``field`` that may be within two edits of ``word`` (see :class:`NearWords`)."""
        return set().union(*(cache.vocabulary(reader, field).near(word) for reader, _o, cache in self.leaves))

    def value_sets(self, name: str, keys_of: Callable[[Any], Iterable[str]]) -> dict[str, np.ndarray]:
        """For each key of a sortable column's values (``keys_of(value)``), its live documents (kept)."""
        if ("values", name) in self.shared.columns:
            return self.shared.columns["values", name]
        parts: dict[str, list[tuple[int, np.ndarray]]] = {}
        for reader, offset, cache in self.leaves:

            def group(reader=reader) -> dict[str, np.ndarray]:
                grouped: dict[str, list[int]] = {}
                for docnum, value in enumerate(_column_values(reader, name)):
                    for key in keys_of(value):
                        grouped.setdefault(key, []).append(docnum)
                return {key: np.array(docs, dtype=np.uint32) for key, docs in grouped.items()}

            for key, local in cache.memo(("values", name), group).items():
                parts.setdefault(key, []).append((offset, local))
        found = self.shared.columns["values", name] = {
            key: _read_only(self._placed(docs)) for key, docs in parts.items()
        }
        return found

    def per_document(self, key: Any, number: Callable[[Any], int], name: str = "id") -> np.ndarray:
        """Every document's ``number(value)`` of its value in column ``name`` (kept, and per segment)."""
        found = self.shared.columns.get(key)
        if found is None:

            def read(reader) -> np.ndarray:
                return np.fromiter(map(number, _column_values(reader, name)), np.int64)

            parts = [cache.memo(key, partial(read, reader)) for reader, _offset, cache in self.leaves]
            found = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
            found = self.shared.columns[key] = _read_only(found)
        return found

    def integers(self, name: str) -> np.ndarray:
        """Every document's whole number in a sortable column (numeric, or text as ``id``; none: the default)."""
        default = self.schema[name].column_type.default_value() or 0
        empty = ("", b"", None)  # no value: the default
        return self.per_document(("integers", name), lambda v: default if v in empty else int(v), name)

    def _add(self, total: np.ndarray, alternative: Alternative) -> None:
        field, tokens = alternative.field, alternative.tokens
        factors = [alternative.boost * self.idf(field, token) for token in tokens]
        if not all(factors):  # no listing has one of the words in this field: the alternative matches nothing
            return
        average = self.average(field)
        for reader, offset, cache in self.leaves:
            lists = [cache.postings(reader, field, token) for token in tokens]
            if not all(lists):
                continue
            if len(lists) == 1:
                total[offset + lists[0].docs] += lists[0].weights(average) * factors[0]
                continue
            common = reduce(
                lambda docs, other: np.intersect1d(docs, other, assume_unique=True),
                sorted((postings.docs for postings in lists), key=len),
            )
            if not len(common):
                continue
            score = np.zeros(len(common), dtype=np.float64)
            for postings, factor in zip(lists, factors, strict=True):
                score += postings.weights(average)[np.searchsorted(postings.docs, common)] * factor
            total[offset + common] += score

    def concept(self, alternatives: tuple[Alternative, ...]) -> np.ndarray:
        """The scores of every live document for a concept: the sum of its alternatives' (0: no match)."""

        def matched() -> tuple[np.ndarray, np.ndarray]:  # kept so: most concepts match few documents
            total = np.zeros(self.count, dtype=np.float64)
            for alternative in alternatives:
                self._add(total, alternative)
            total[~self.live] = 0.0
            docs = np.flatnonzero(total)
            return docs, total[docs]

        docs, scores = self.shared.concepts.get_or_make(alternatives, matched)
        total = np.zeros(self.count, dtype=np.float64)
        total[docs] = scores
        return total
