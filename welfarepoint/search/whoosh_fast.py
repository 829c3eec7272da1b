"""Postings and field lengths read from whoosh-reloaded 2.7.5's W3 files a block or column at a time (the public
API goes one posting or document at a time). Only on that version (``ENABLED``; tests run both ways); the only
module that names a private attribute of Whoosh."""

from __future__ import annotations

import io
import struct
import zlib
from pickle import load, loads  # W3 postings blocks are pickles in Whoosh's own files

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.reading import TermNotFound

WRITTEN_FOR = "2.7.5"
#: Whether the engine takes this path (tests turn it off to run the public one).
ENABLED = whoosh.versionstring() == WRITTEN_FOR

_BLOCK_LENGTH = struct.Struct("!i")


def postings(reader, field: str, term_bytes: bytes) -> tuple[np.ndarray, np.ndarray, int]:
    """A term's document numbers (deleted ones too), weights and document frequency (0: absent) in one segment."""
    try:
        info = reader._terms.term_info(field, term_bytes)
    except TermNotFound:
        return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.float32), 0
    if info.is_inlined():
        ids, weights, _values = info.inlined_postings()
        return np.array(ids, dtype=np.uint32), np.array(weights, dtype=np.float32), info.doc_frequency()
    offset, length = info.extent()
    if isinstance(length, tuple):  # 2.7.5 reads the length back as struct.unpack's tuple
        length = length[0]
    return (*_read_blocks(reader._terms._postfile.get(offset, length)), info.doc_frequency())


def _read_blocks(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """After a 4-byte tag, each block is its length (negative for the last), a pickled header (count, max id,
    max weight, compression, shortest and longest length), then the (zlib'd) pickle of (ids delta-encoded from
    0, weights: None when all 1, a float when all equal, else one per id)."""
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("not a W3 postings list")
    stream, view, position = io.BytesIO(raw), memoryview(raw), 4
    blocks: list[np.ndarray] = []
    weights: list[float] = []
    while True:
        (size,) = _BLOCK_LENGTH.unpack_from(raw, position)
        stream.seek(position + _BLOCK_LENGTH.size)
        count, _maxid, _maxweight, compression, _shortest, _longest = load(stream)
        end = position + _BLOCK_LENGTH.size + abs(size)
        data = view[stream.tell() : end]
        deltas, block_weights = loads(zlib.decompress(data) if compression else data)[:2]
        blocks.append(np.cumsum(np.array(deltas, dtype=np.int64)))  # a block's first delta is from 0
        if block_weights is None or isinstance(block_weights, float):
            block_weights = [block_weights or 1.0] * count
        weights.extend(block_weights)
        if size < 0 or end >= len(raw):
            break
        position = end
    return np.concatenate(blocks).astype(np.uint32), np.array(weights, dtype=np.float32)


def length_bytes(reader, field: str) -> np.ndarray | None:
    """The field's length byte of each document of the segment (None: the segment has no lengths of it)."""
    perdoc, name = reader._perdoc, _lenfield(field)
    if not perdoc.has_column(name):
        return None
    column = perdoc.column_reader(name, LENGTHS_COLUMN)
    return np.frombuffer(column._dbfile.get(column._basepos, column._count), dtype=np.uint8)
