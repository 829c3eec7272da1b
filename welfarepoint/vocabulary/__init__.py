"""How people ask: the words search reads a query with, never the index itself.

- :mod:`.text`: folding, words, a query made safe;
- :mod:`.synonyms`: the groups of ``synonyms.txt`` and those region administrators curate (:mod:`.models`), the
  needs they name, and a query split into concepts;
- :mod:`.spelling`: the Italian and English lexicons, and a query's misspelt words corrected against the words
  of the catalog (which search lends).

Search imports this package; this package never imports search.
"""

from __future__ import annotations

from welfarepoint.vocabulary import synonyms
from welfarepoint.vocabulary.models import changed, curated_lines, vocabulary_version

__all__ = ["changed", "refresh"]


def refresh() -> object:
    """Use the curated groups the database holds now; return their version (what caches of queries key on)."""
    version = vocabulary_version()
    synonyms.use_extra(version, curated_lines if version else str)
    return synonyms.version()
