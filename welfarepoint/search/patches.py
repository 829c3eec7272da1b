"""Four repairs of Whoosh 2.7.5 (``whoosh-reloaded``), applied when the search package is imported.

Each keeps Whoosh's file format byte for byte (``tests/test_search_engine.py`` checks it) and only removes
work Whoosh did one small step at a time:

- :func:`cached_column_reader`: ``W3PerDocReader._cached_reader`` looked a field's length column up again, with
  a ``stat`` of the file system, for every posting of a field without one (keywords, the spelling
  vocabulary): a third of a rebuild.
- :func:`read_hash_directory`: ``HashReader.__init__`` read the 256 entries of a terms file's directory in 256
  reads. A searcher opens every segment's terms file, and so does every writer that replaces a listing: with
  ten segments that was about 10 ms of each publication and of the first search after it.
- :func:`write_hash_tables`: ``HashWriter._write_hashes`` wrote each slot of its 256 hash tables with its
  own call (a few thousand per published listing).
- :func:`doc_field_length`: ``W3PerDocReader.doc_field_length`` read a document's field length back from the
  file with a seek and a read, once for every posting a writer writes (a tenth of a rebuild): the column is
  read once per field instead.
"""

from __future__ import annotations

import os

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
from whoosh.filedb import filetables
from whoosh.filedb.filetables import FileFormatError, HashReader, HashWriter
from whoosh.util.numeric import byte_to_length

_DIRECTORY = filetables._dir_entry
_POINTER = filetables._pointer


def cached_column_reader(self, fieldname, column):
    """``W3PerDocReader._cached_reader``, remembering absent columns too."""
    if fieldname not in self._readers:
        self._readers[fieldname] = (
            self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        )
    return self._readers[fieldname]


def read_hash_directory(self, dbfile, length=None, magic=b"HSH3", startoffset=0):
    """``HashReader.__init__``, reading the directory of hash tables at once."""
    self.dbfile = dbfile
    self.startoffset = startoffset
    self.is_closed = False
    if length is None:
        dbfile.seek(0, os.SEEK_END)
        length = dbfile.tell() - startoffset
    dbfile.seek(startoffset)
    filemagic = dbfile.read(4)
    if filemagic != magic:
        raise FileFormatError(f"Unknown file header {filemagic!r}")
    self.hashtype = dbfile.read_byte()
    self.hashfn = filetables._hash_functions[self.hashtype]
    dbfile.read_int()
    dbfile.read_int()
    self.startofdata = dbfile.tell()
    exptr = startoffset + length - filetables._INT_SIZE
    exlen = dbfile.get_int(exptr)
    expos = exptr - exlen
    dbfile.seek(expos)
    self._read_extras()
    dbfile.seek(expos - filetables._directory_size)
    self.tables = list(_DIRECTORY.iter_unpack(dbfile.read(filetables._directory_size)))
    self.endofdata = self.tables[0][0]


def write_hash_tables(self):
    """``HashWriter._write_hashes``, one write per table."""
    dbfile = self.dbfile
    null = (0, 0)
    for entries in self.buckets:
        pos = dbfile.tell()
        numslots = 2 * len(entries)
        self.directory.append((pos, numslots))
        hashtable = [null] * numslots
        for hashval, position in entries:
            slot = (hashval >> 8) % numslots
            while hashtable[slot] != null:
                slot = (slot + 1) % numslots
            hashtable[slot] = (hashval, position)
        if hashtable:
            dbfile.write(b"".join(_POINTER.pack(hashval, position) for hashval, position in hashtable))


#: A length byte decoded (Whoosh stores field lengths in one byte each).
LENGTHS = [byte_to_length(byte) for byte in range(256)]


def field_length_bytes(self, fieldname) -> bytes | None:
    """A ``W3PerDocReader``'s length column of a field, one byte per document, read once (None: no column)."""
    columns = self.__dict__.setdefault("_wp_lengths", {})
    raw = columns.get(fieldname, False)
    if raw is False:
        reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        raw = columns[fieldname] = (
            None if reader is None else reader._dbfile.get(reader._basepos, reader._count)
        )
    return raw


def doc_field_length(self, docnum, fieldname, default=0):
    """``W3PerDocReader.doc_field_length``, from the field's length column read once into memory."""
    if docnum > self._doccount:
        raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
    raw = field_length_bytes(self, fieldname)
    if raw is None:
        return default
    lbyte = raw[docnum] if docnum < len(raw) else 0
    if lbyte:
        return LENGTHS[lbyte]
    return None


ORIGINALS = {
    (W3PerDocReader, "_cached_reader"): W3PerDocReader._cached_reader,
    (HashReader, "__init__"): HashReader.__init__,
    (HashWriter, "_write_hashes"): HashWriter._write_hashes,
    (W3PerDocReader, "doc_field_length"): W3PerDocReader.doc_field_length,
}

W3PerDocReader._cached_reader = cached_column_reader
HashReader.__init__ = read_hash_directory
HashWriter._write_hashes = write_hash_tables
W3PerDocReader.doc_field_length = doc_field_length
