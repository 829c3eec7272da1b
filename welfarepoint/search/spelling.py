"""The words a visitor may type correctly: a real lexicon of Italian and English, never "corrected".

The lexicon is pyspellchecker's word frequency lists (built from large Italian and English corpora, words seen
at least a few times), folded like query words. It is read once per process, at the first search that needs
spelling help, and kept as a sorted array of 8-byte fingerprints (a few MB, where a set of the words would take
ten times that): :func:`known` answers whether a folded word is in a language's list.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cache

import numpy as np

from welfarepoint.search.text import fold

LANGUAGES = ("it", "en")
_lock = threading.Lock()


def _fingerprint(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little", signed=True)


@cache
def _lexicon(language: str) -> np.ndarray:
    """The fingerprints of every folded word of ``language``'s list, sorted."""
    from spellchecker import SpellChecker  # imported on first use: only a search that needs help pays for it

    with _lock:
        frequencies = SpellChecker(language=language, distance=1).word_frequency
        words = {fold(word) for word in frequencies.words()}
        prints = np.fromiter((_fingerprint(word) for word in words), dtype=np.int64, count=len(words))
    prints.sort()
    prints.flags.writeable = False
    return prints


def known(word: str, language: str) -> bool:
    """Whether the folded ``word`` is a word of ``language`` ("it" or "en")."""
    prints = _lexicon(language)
    probe = _fingerprint(word)
    position = int(np.searchsorted(prints, probe))
    return position < len(prints) and int(prints[position]) == probe


def known_in_any(word: str) -> bool:
    """Whether the folded ``word`` is Italian or English."""
    return any(known(word, language) for language in LANGUAGES)
