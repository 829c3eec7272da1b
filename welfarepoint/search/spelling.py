"""The words a visitor may type correctly: a real lexicon of Italian and English, never "corrected".

The lexicon is pyspellchecker's word frequency lists (built from large Italian and English corpora, words seen
at least a few times), folded like query words and kept as a sorted array of 8-byte fingerprints, one file a
language beside this module (``lexicon-it.npy``, ``lexicon-en.npy``). ``tools/build_lexicon.py`` writes them
with :func:`build` (the site itself does not need pyspellchecker); every process maps the same file read-only,
so the lexicon costs neither start-up time nor memory of its own in each worker. :func:`known` answers whether a
folded word is in a language's list.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

import numpy as np

from welfarepoint.search.text import fold

LANGUAGES = ("it", "en")


def _fingerprint(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little", signed=True)


def build(words) -> np.ndarray:
    """The sorted fingerprints of the folded ``words`` (what a lexicon file holds)."""
    folded = {fold(word) for word in words}
    prints = np.fromiter((_fingerprint(word) for word in folded), dtype=np.int64, count=len(folded))
    prints.sort()
    return prints


def lexicon_file(language: str):
    return resources.files(__package__).joinpath(f"lexicon-{language}.npy")


@cache
def _lexicon(language: str) -> np.ndarray:
    """The fingerprints of every folded word of ``language``'s list, sorted (mapped, read-only)."""
    with resources.as_file(lexicon_file(language)) as path:
        return np.load(path, mmap_mode="r")


def known(word: str, language: str) -> bool:
    """Whether the folded ``word`` is a word of ``language`` ("it" or "en")."""
    prints = _lexicon(language)
    probe = _fingerprint(word)
    position = int(np.searchsorted(prints, probe))
    return position < len(prints) and int(prints[position]) == probe


def known_in_any(word: str) -> bool:
    """Whether the folded ``word`` is Italian or English."""
    return any(known(word, language) for language in LANGUAGES)
