"""Writing a whole segment fast: the writer of a rebuild, with Whoosh's file format byte for byte.

Whoosh's ``SegmentWriter`` spends about 10 µs of Python per posting in a rebuild: the analyser's chain of
generators for every word, a five-item tuple per posting with its size estimated, a sort of all those tuples
(or, past ``limitmb``, a pickle and an unpickle each), and one method call per posting to the postings writer.
:class:`RebuildWriter` does the same work in larger pieces:

- **Words analysed once.** Our analysers act on one token at a time (tokenise with a regular expression,
  then lower-case, stop, fold, stem: no filter looks at a neighbour), so the terms of a raw word are the same
  wherever it occurs. Each raw word goes through Whoosh's own analyser the first time it is seen and its terms
  are remembered (:class:`WordMemo`); the counts and weights are Whoosh's ``Frequency`` format's.
- **Postings grouped by term** (:class:`GroupedPool`): three lists per term (documents, weights, values), in
  the order documents arrive, which is already the sorted order Whoosh's pool produces. Past ``limitmb`` the
  groups are spilled to disk a term at a time with ``marshal`` and merged back by term.
- **A block at a time** into Whoosh's W3 postings writer (:func:`write_terms`): the same blocks, statistics and
  term infos as its ``add_posting``, called once per posting, would make.

Anything else (another format or analyser, postings from merged segments) takes Whoosh's own path.
``tests/test_search_engine.py`` checks that both writers make the same postings and terms files.
"""

from __future__ import annotations

import heapq
import marshal
from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import Any

from whoosh.analysis import CharsetFilter, CompositeAnalyzer, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.codec.whoosh3 import W3FieldWriter
from whoosh.formats import Frequency
from whoosh.system import pack_uint
from whoosh.writing import PostingPool, SegmentWriter

from welfarepoint.search.analysis import StemFilter
from welfarepoint.search.patches import LENGTHS, field_length_bytes

#: Filters that act on each token alone, so a raw word's terms do not depend on its neighbours.
TOKEN_FILTERS = (LowercaseFilter, StopFilter, CharsetFilter, StemFilter)
#: Raw words remembered per analyser (a rebuild of 100,000 listings meets about 150,000).
MEMO_SIZE = 500_000


class WordMemo:
    """The terms of each raw word under one analyser, found by the analyser itself the first time."""

    def __init__(self, analyzer: CompositeAnalyzer):
        self.analyzer = analyzer
        self.find_words = analyzer.items[0].expression.findall
        self.terms: dict[str, tuple[str, ...]] = {}
        self.values: dict[int, tuple[float, bytes]] = {}

    @staticmethod
    def applies(field: Any) -> bool:
        """Whether ``field`` indexes word counts through an analyser of token-by-token filters."""
        analyzer = getattr(field, "analyzer", None)
        if type(field.format) is not Frequency or not isinstance(analyzer, CompositeAnalyzer):
            return False
        tokenizer, *filters = analyzer.items
        return (
            type(tokenizer) is RegexTokenizer
            and not tokenizer.gaps
            and tokenizer.expression.groups == 0
            and all(type(item) in TOKEN_FILTERS for item in filters)
        )

    def word_values(self, value: str, field_boost: float) -> tuple[int, list[tuple[bytes, float, bytes]]]:
        """What ``Frequency.word_values`` makes of ``value`` for the writer: the number of terms, and
        ``(term bytes, weight, encoded frequency)`` for each distinct term (the same weight and value objects
        for the same frequency, so that a million postings do not hold a million copies)."""
        memo, counts = self.terms, {}
        for word in self.find_words(value):
            terms = memo.get(word)
            if terms is None:
                terms = tuple(token.text for token in self.analyzer(word, mode="index") if not token.stopped)
                if len(memo) < MEMO_SIZE:
                    memo[word] = terms
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
        shared = self.values
        found = []
        for term, freq in counts.items():
            pair = shared.get(freq)
            if pair is None:
                # Whoosh sums a boost of 1.0 per token, then multiplies by the field's boost.
                pair = shared[freq] = (float(freq) * field_boost, pack_uint(freq))
            found.append((term.encode("utf-8"), *pair))
        return sum(counts.values()), found


class GroupedPool(PostingPool):
    """Whoosh's posting pool, kept as documents, weights and values per term instead of a tuple per posting.

    ``add_terms`` takes one field of one document; documents arrive in increasing order, so each term's lists
    are sorted as they grow. Whoosh's one-posting ``add`` is kept (merges use it); out of order it makes the
    pool sort each term's postings at the end, which gives the same order as Whoosh's sort of all tuples.
    """

    #: Estimated bytes per posting and per term, for ``limitmb`` (three list slots, a float, shared values).
    POSTING_BYTES = 48
    TERM_BYTES = 400

    def __init__(self, tempstore, segment, limitmb: int = 128):
        super().__init__(tempstore, segment, limitmb=limitmb)
        self.terms: dict[str, dict[bytes, tuple[list, list, list]]] = {}
        self.postings = 0
        self.term_count = 0
        self.in_order = True
        self._last = (-1, "")

    def add(self, item: tuple) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        if (docnum, fieldname) <= self._last:
            self.in_order = False
        self.add_terms(fieldname, docnum, ((tbytes, weight, vbytes),))

    def add_terms(
        self, fieldname: str, docnum: int, items: Iterable[tuple[bytes, float, bytes | None]]
    ) -> None:
        """The postings of one field of document ``docnum``: ``(term bytes, weight, value bytes)``."""
        if (docnum, fieldname) < self._last:
            self.in_order = False
        self._last = (docnum, fieldname)
        field_terms = self.terms.get(fieldname)
        if field_terms is None:
            field_terms = self.terms[fieldname] = {}
            self.fieldnames.add(fieldname)
        added = 0
        for tbytes, weight, vbytes in items:
            postings = field_terms.get(tbytes)
            if postings is None:
                postings = field_terms[tbytes] = ([], [], [])
                self.term_count += 1
            postings[0].append(docnum)
            postings[1].append(weight)
            postings[2].append(vbytes)
            added += 1
        self.postings += added
        if self.postings * self.POSTING_BYTES + self.term_count * self.TERM_BYTES > self.limit:
            self.save()

    def _sorted_groups(self) -> Iterator[tuple[str, bytes, list, list, list]]:
        for fieldname in sorted(self.terms):
            field_terms = self.terms[fieldname]
            for tbytes in sorted(field_terms):
                yield (fieldname, tbytes, *field_terms[tbytes])

    #: Runs on disk at most: past it they are merged into one (each run is an open file while merging).
    MAX_RUNS = 64

    def save(self) -> None:
        """Spill the groups to a run on disk, a term at a time, in order."""
        if not self.postings:
            return
        self.runs.append(self._write_groups(self._sorted_groups()))
        self.terms, self.postings, self.term_count = {}, 0, 0
        if len(self.runs) >= self.MAX_RUNS:
            runs, self.runs = self.runs, []
            self.runs.append(self._write_groups(self._merged(runs)))

    def _write_groups(self, groups: Iterable[tuple]) -> str:
        path, handle = self._new_run()
        with handle:
            for group in groups:
                marshal.dump(group, handle)
        return path

    def _merged(self, runs: list[str], *more: Iterable[tuple]) -> Iterator[tuple]:
        """The groups of ``runs`` (in the order they were written), then ``more``, merged by term."""
        sources = [self._read_groups(path) for path in runs] + list(more)
        merged = heapq.merge(*sources, key=_term_key)  # stable: earlier runs (earlier documents) first
        return (_joined(list(same)) for _, same in groupby(merged, key=_term_key))

    def _read_groups(self, path: str) -> Iterator[tuple]:
        handle = self._open_run(path)
        try:
            while True:
                try:
                    yield marshal.load(handle)
                except EOFError:
                    return
        finally:
            handle.close()
            self._remove_run(path)

    def iter_terms(self) -> Iterator[tuple[str, bytes, list, list, list]]:
        """Every term in order, with its documents, weights and values in Whoosh's sorted order."""
        if self.runs:
            runs, self.runs = self.runs, []
            groups: Iterable = self._merged(runs, self._sorted_groups())
        else:
            groups = self._sorted_groups()
        for fieldname, tbytes, docs, weights, values in groups:
            if not self.in_order:
                docs, weights, values = (
                    list(column)
                    for column in zip(*sorted(zip(docs, weights, values, strict=True)), strict=True)
                )
            yield fieldname, tbytes, docs, weights, values

    def iter_postings(self) -> Iterator[tuple]:
        """Whoosh's interface: ``(fieldname, term bytes, document, weight, value bytes)`` in sorted order."""
        for fieldname, tbytes, docs, weights, values in self.iter_terms():
            for docnum, weight, vbytes in zip(docs, weights, values, strict=True):
                yield fieldname, tbytes, docnum, weight, vbytes

    def cleanup(self) -> None:
        super().cleanup()
        self.terms = {}


def _term_key(group: tuple) -> tuple[str, bytes]:
    return group[0], group[1]


def _joined(groups: list[tuple]) -> tuple:
    if len(groups) == 1:
        return groups[0]
    fieldname, tbytes = groups[0][:2]
    return (
        fieldname,
        tbytes,
        *([item for group in groups for item in group[column]] for column in (2, 3, 4)),
    )


def write_terms(fieldwriter, schema, lengths, terms: Iterable[tuple[str, bytes, list, list, list]]) -> None:
    """``FieldWriter.add_postings`` for grouped postings, a block at a time into Whoosh's W3 writers.

    Makes the calls ``add_postings`` makes (``start_field``, ``start_term``, ``finish_term``,
    ``finish_field``) and fills each block as its ``add`` would one posting at a time: blocks of
    ``blocklimit`` postings, the largest weight, the shortest and longest non-zero field lengths.
    """
    lastfn = None
    postwriter = None
    field_lengths = None
    for fieldname, tbytes, docs, weights, values in terms:
        if fieldname != lastfn:
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            postwriter = fieldwriter._postwriter
            # One byte per document, 0 past the column's end or without one (as ``doc_field_length`` reads it).
            field_lengths = (
                (field_length_bytes(lengths, fieldname) or b"").ljust(lengths.doc_count_all(), b"\0")
                if lengths
                else None
            )
            lastfn = fieldname
        fieldwriter.start_term(tbytes)
        limit = postwriter._blocklimit
        start, count = 0, len(docs)
        while start < count:
            if len(postwriter._ids) >= limit:
                postwriter._write_block()
            end = min(count, start + limit - len(postwriter._ids))
            chunk = docs[start:end]
            postwriter._ids.extend(chunk)
            chunk_weights = weights[start:end]
            postwriter._weights.extend(chunk_weights)
            heaviest = max(chunk_weights)
            if heaviest > postwriter._maxweight:
                postwriter._maxweight = heaviest
            postwriter._values.extend(value for value in values[start:end] if value)
            if field_lengths is not None:
                present = [field_lengths[docnum] for docnum in chunk if field_lengths[docnum]]
                if present:
                    shortest, longest = LENGTHS[min(present)], LENGTHS[max(present)]
                    if postwriter._minlength is None or shortest < postwriter._minlength:
                        postwriter._minlength = shortest
                    if longest > postwriter._maxlength:
                        postwriter._maxlength = longest
            start = end
        fieldwriter.finish_term()
    if lastfn is not None:
        fieldwriter.finish_field()


class RebuildWriter(SegmentWriter):
    """A ``SegmentWriter`` for adding many new documents: words analysed once, postings grouped by term."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = GroupedPool(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))
        self._memos: dict[str, WordMemo | None] = {}

    def _memo(self, fieldname: str, field) -> WordMemo | None:
        if fieldname not in self._memos:
            self._memos[fieldname] = WordMemo(field.analyzer) if WordMemo.applies(field) else None
        return self._memos[fieldname]

    def add_document(self, **fields: Any) -> None:
        """Whoosh's ``add_document`` for documents without per-document boosts, spelling or vector fields."""
        self._check_state()
        schema, pool, perdocwriter, docnum = self.schema, self.pool, self.perdocwriter, self.docnum
        if any(name.startswith("_") for name in fields):
            raise ValueError("RebuildWriter does not take boosts or separate stored values (_ keys)")
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                if field.separate_spelling() or field.vector:
                    raise ValueError(f"RebuildWriter does not write spelling or vectors ({fieldname})")
                length = 0
                if field.indexed:
                    memo = self._memo(fieldname, field) if isinstance(value, str) else None
                    if memo is not None:
                        length, items = memo.word_values(value, field.format.field_boost)
                    else:
                        found = list(field.index(value))
                        length = sum(freq for _, freq, _, _ in found)
                        items = [(tbytes, weight * 1.0, vbytes) for tbytes, _, weight, vbytes in found]
                    if not field.scorable:
                        length = 0
                    pool.add_terms(fieldname, docnum, items)
                stored = value if field.stored else None
                perdocwriter.add_field(fieldname, field, stored, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        if type(self.fieldwriter) is W3FieldWriter:
            write_terms(self.fieldwriter, self.schema, lengths, self.pool.iter_terms())
        else:
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if lengths:
            lengths.close()


__all__ = ["GroupedPool", "RebuildWriter", "WordMemo", "write_terms"]
