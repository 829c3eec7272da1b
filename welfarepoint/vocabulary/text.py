"""Plain text: folding, words, a query made safe (neither Whoosh nor NumPy)."""

from __future__ import annotations

import re
import unicodedata

TOKEN_PATTERN = r"\w+"


#: The combining marks of Latin accents (U+0300-U+036F, but for the grapheme joiner, which is not one).
_LATIN_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents ("Città" -> "citta")."""
    lowered = text.lower()
    if lowered.isascii():  # most words; their decomposition is themselves
        return lowered
    folded = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", lowered))
    if folded.isascii():
        return folded
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def normalise_query(text: str, max_length: int = 200) -> str:
    """What a visitor typed, made safe and comparable: no control characters, single spaces, bounded length."""
    text = _CONTROL.sub(" ", text or "")
    return _SPACES.sub(" ", text).strip()[:max_length]


def words(text: str) -> list[str]:
    """The folded words of ``text`` (hyphens and apostrophes split words)."""
    return re.findall(TOKEN_PATTERN, fold(text))
