"""Spelling help: a query's misspelt words replaced by the nearest words of the catalog or of the synonyms.

A word is never "corrected" when it is a real word: the lexicon is pyspellchecker's Italian and English word
lists folded like query words, kept as sorted 8-byte fingerprints (``lexicon-it.npy``, ``lexicon-en.npy``,
written by ``tools/build_lexicon.py`` with :func:`build`) that every process maps read-only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import numpy as np
from whoosh.spelling import ListCorrector
from whoosh.support.levenshtein import levenshtein

from welfarepoint import territory
from welfarepoint.vocabulary import synonyms
from welfarepoint.vocabulary.text import fold, words

LANGUAGES = ("it", "en")
#: Words a corrector suggests for a typed word, at most (the nearest and most used is kept).
SUGGESTIONS = 20


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
    with resources.as_file(lexicon_file(language)) as path:
        return np.load(path, mmap_mode="r")


def known(word: str, language: str) -> bool:
    """Whether the folded ``word`` is a word of ``language`` ("it" or "en")."""
    prints = _lexicon(language)
    probe = _fingerprint(word)
    position = int(np.searchsorted(prints, probe))
    return position < len(prints) and int(prints[position]) == probe


class NearWords:
    """Words found within two edits of a typed word without walking them (SymSpell): each word filed under itself
    and each form with one letter dropped, as hashes in a sorted array; a hash collision only adds a candidate,
    and callers measure the real distance."""

    def __init__(self, words: Iterable[str]):
        self.words = frozenset(words)
        self._ordered = tuple(sorted(self.words))
        hashes, owners = [], []
        for number, word in enumerate(self._ordered):
            forms = _one_letter_less(word)
            hashes.extend(map(hash, forms))
            owners.extend([number] * len(forms))
        keys = np.array(hashes, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self._hashes = keys[order]
        self._owners = np.array(owners, dtype=np.uint32)[order]

    def near(self, word: str) -> set[str]:
        probes = np.array([hash(form) for form in _one_letter_less(word)], dtype=np.int64)
        starts = np.searchsorted(self._hashes, probes, side="left")
        ends = np.searchsorted(self._hashes, probes, side="right")
        ordered, owners = self._ordered, self._owners
        return {
            ordered[number] for start, end in zip(starts, ends, strict=True) for number in owners[start:end]
        }


def _one_letter_less(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


@dataclass(frozen=True)
class Catalog:
    """The words of the published listings, as search lends them."""

    knows: Callable[[str], bool]  # a word of the listings (or one the analysis drops)
    near: Callable[[str], set[str]]  # their words that may be within two edits (a NearWords)
    suggest: Callable[[str, int], Iterable[str]]  # Whoosh's corrector: (word, maxdist) -> words
    frequency: Callable[[str], int]  # how many listings use a word


@lru_cache(maxsize=2)
def _synonym_words(version: object) -> tuple[NearWords, ListCorrector]:
    words = synonyms.vocabulary()
    return NearWords(words), ListCorrector(sorted(words))


@cache
def _place_words() -> frozenset[str]:
    """Every word of the names of Italy's comuni and of the areas people name ("ome", "valtellina")."""
    names = [m.name for m in territory.italian_municipalities()]
    names += [m.other_name for m in territory.italian_municipalities() if m.other_name]
    for area in territory.all_areas():
        names += [area.name, *area.aliases]
    return frozenset(word for name in names for word in words(name))


def _fits_language(word: str, language: str | None) -> bool:
    """Whether a catalog word may be offered on a page in ``language``: not a word of the other language only
    ("then" never on an Italian page); names and words of no dictionary ("grest") fit both."""
    if language not in LANGUAGES:
        return True
    other = "en" if language == "it" else "it"
    return known(word, language) or not known(word, other)


def _known(word: str, catalog: Catalog) -> bool:
    return (
        word.isdigit()
        or word in synonyms.vocabulary()
        or word in _place_words()
        or catalog.knows(word)
        or any(known(word, language) for language in LANGUAGES)
    )


def _closest(word: str, catalog: Catalog, language: str | None) -> str | None:
    """The nearest word (fewest edits, then most used), sharing the first letter: of the catalog fitting the
    page's language (never a place's name: "marziano" is no "Mazzano"), or of the synonyms. Whoosh walks its
    word graphs for words two edits away only when the one-letter-less forms give nothing."""
    maxdist = 1 if len(word) <= 4 else 2
    places = _place_words()
    near_synonyms, synonym_corrector = _synonym_words(synonyms.version())
    candidates = {w for w in catalog.near(word) if w not in places and _fits_language(w, language)}
    candidates = {
        candidate
        for candidate in candidates | near_synonyms.near(word)
        if candidate != word and candidate[:1] == word[:1] and levenshtein(word, candidate) <= maxdist
    }
    if not candidates:
        suggested = catalog.suggest(word, maxdist)
        candidates.update(w for w in suggested if w not in places and _fits_language(w, language))
        # Whoosh's MultiCorrector mixes up (score, word) pairs: each corrector is asked on its own.
        candidates.update(synonym_corrector.suggest(word, limit=SUGGESTIONS, maxdist=maxdist, prefix=1))
        candidates.discard(word)
    if not candidates:
        return None
    return min(candidates, key=lambda c: (levenshtein(word, c), -catalog.frequency(c), c))


def correct(text: str, catalog: Catalog, language: str | None = None) -> str | None:
    """``text`` with its misspelt words replaced by the closest words of the catalog (in the page's language) or
    of the synonyms, or None if nothing changed. A word of a lexicon, a place or the catalog is never replaced."""
    typed = words(text)
    corrected = [
        word
        if len(word) < 3 or not word.isalpha() or _known(word, catalog)
        else _closest(word, catalog, language) or word
        for word in typed
    ]
    return " ".join(corrected) if corrected != typed else None
