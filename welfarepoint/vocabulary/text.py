"""Plain text: folding, words, a query made safe (neither Whoosh nor NumPy)."""

from __future__ import annotations

import re
import unicodedata

TOKEN_PATTERN = r"\w+"


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents ("Città" -> "citta")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def normalise_query(text: str, max_length: int = 200) -> str:
    """What a visitor typed, made safe and comparable: no control characters, single spaces, bounded length."""
    text = _CONTROL.sub(" ", text or "")
    return _SPACES.sub(" ", text).strip()[:max_length]


def words(text: str) -> list[str]:
    """The folded words of ``text`` (hyphens and apostrophes split words)."""
    return re.findall(TOKEN_PATTERN, fold(text))
