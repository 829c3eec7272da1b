"""Text analysis for Italian and English listings: tokens, stop words, accent folding, stemming.

Traps measured on this project (WHOOSH_NOTES.md): Whoosh's ``StopFilter(lang="it")`` adds the English list, so
the stop list is given explicitly; the Italian list is accented, so folding comes after stopping; the Snowball
stemmer splits "anziano" from "anziani" and shortens place names, so a small override table wins over it.
"""

from __future__ import annotations

from functools import cache

from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

from welfarepoint.search.text import TOKEN_PATTERN, fold, normalise_query, words

__all__ = ["TOKEN_PATTERN", "fold", "normalise_query", "words"]  # re-exported: plain text, no Whoosh

#: Words whose Snowball stem is wrong for this domain, folded and lower-cased, mapped to the stem to use.
ITALIAN_STEM_OVERRIDES = {
    "anziano": "anzian", "anziana": "anzian", "anziani": "anzian", "anziane": "anzian",
    "caregiver": "caregiver", "caregivers": "caregiver",
    "milano": "milano", "italiano": "italian", "italiana": "italian", "italiani": "italian", "italiane": "italian",
    "disabile": "disabil", "disabili": "disabil", "disabilita": "disabil",
    "asilo": "asil", "asili": "asil", "nido": "nid", "nidi": "nid",
    "estivo": "estiv", "estiva": "estiv", "estivi": "estiv", "estive": "estiv",
    "compiti": "compit", "compito": "compit",
    "badante": "badant", "badanti": "badant",
    "working": "working", "sitter": "sitter", "sitters": "sitter",
    "welfare": "welfare", "concierge": "concierge", "campus": "campus", "grest": "grest",
}  # fmt: skip
ENGLISH_STEM_OVERRIDES = {
    "caregivers": "caregiver",
    "carers": "carer",
    "elderly": "elder",
    "children": "child",
}

#: Words kept although the Italian stop list has them ("fare" is in it, "pre" and "post" matter here).
ITALIAN_KEEP = {"pre", "post", "dopo", "prima", "fare", "sono"}


@cache
def italian_stop_words() -> frozenset[str]:
    """The Italian stop list, accented and folded, without the words this domain needs."""
    words = set(stopwords_for_language("it"))
    return frozenset((words | {fold(word) for word in words}) - ITALIAN_KEEP)


@cache
def english_stop_words() -> frozenset[str]:
    """The English stop list, without words a carer or parent may mean ("after", "before")."""
    return frozenset(set(stopwords_for_language("en")) - {"after", "before", "over", "under"})


#: Stems by language, shared by every copy of a filter: each Whoosh writer and searcher unpickles the schema
#: (and so its analysers) afresh, and a cache per copy would stem every word of a publication again.
_STEMS: dict[tuple[str, tuple], dict[str, str]] = {}


class StemFilter(Filter):
    """Snowball stemming for one language, with an override table and a per-process cache."""

    def __init__(self, language: str, overrides: dict[str, str]):
        self.language = language
        self.overrides = overrides
        self._cache = _STEMS.setdefault((language, tuple(sorted(overrides.items()))), {})

    def __eq__(self, other):
        return isinstance(other, StemFilter) and (self.language, self.overrides) == (
            other.language,
            other.overrides,
        )

    def __getstate__(self):
        return {"language": self.language, "overrides": self.overrides}

    def __setstate__(self, state):
        self.__init__(state["language"], state["overrides"])

    def stem(self, word: str) -> str:
        """The stem of one folded word."""
        stem = self._cache.get(word)
        if stem is None:
            stem = self.overrides.get(word) or stemmer_for_language(self.language)(word)
            if len(self._cache) < 100_000:
                self._cache[word] = stem
        return stem

    def __call__(self, tokens):
        for token in tokens:
            if not token.stopped:
                token.text = self.stem(token.text)
            yield token


def italian_analyzer():
    """Tokens, lower case, Italian stop words, accent folding, stemming with overrides."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(stoplist=italian_stop_words(), minsize=1)
        | CharsetFilter(accent_map)
        | StemFilter("it", ITALIAN_STEM_OVERRIDES)
    )


def english_analyzer():
    """Tokens, lower case, English stop words, accent folding, stemming with overrides."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(stoplist=english_stop_words(), minsize=1)
        | CharsetFilter(accent_map)
        | StemFilter("en", ENGLISH_STEM_OVERRIDES)
    )


def plain_analyzer():
    """Words as typed, lower-cased and folded, nothing dropped: the vocabulary for spelling suggestions."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)
