"""Text analysis for Italian and English listings: tokens, stop words, accent folding, stemming.

Traps: Whoosh's ``StopFilter(lang="it")`` adds the English list (so the list is given); the Italian list is
accented (so folding comes after stopping); Snowball splits "anziano" from "anziani" (so overrides win)."""

from __future__ import annotations

from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

from welfarepoint.vocabulary.text import TOKEN_PATTERN, fold

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
ENGLISH_STEM_OVERRIDES = dict(caregivers="caregiver", carers="carer", elderly="elder", children="child")

#: Words kept although the Italian stop list has them ("fare" is in it, "pre" and "post" matter here).
ITALIAN_KEEP = {"pre", "post", "dopo", "prima", "fare", "sono"}
#: The Italian stop list, accented and folded, without the words this domain needs.
ITALIAN_STOP_WORDS = frozenset(
    {variant for word in stopwords_for_language("it") for variant in (word, fold(word))} - ITALIAN_KEEP
)
#: The English stop list, without words a carer or parent may mean ("after", "before").
ENGLISH_STOP_WORDS = frozenset(stopwords_for_language("en")) - {"after", "before", "over", "under"}

#: Each word's outcome by language, shared by every copy of a filter: each Whoosh writer and searcher unpickles
#: the schema (and so its analysers) afresh, and a memory per copy would analyse every word again.
_WORDS: dict[tuple, dict[str, tuple[str, bool]]] = {}


class WordFilter(Filter):
    """What Whoosh's ``LowercaseFilter | StopFilter | CharsetFilter`` and a stemmer with overrides give, in one
    step per word, each word's outcome remembered: a fraction of the calls (``tests/test_search.py`` compares)."""

    def __init__(self, language: str, stoplist: frozenset[str], overrides: dict[str, str]):
        self.language, self.stoplist, self.overrides = language, stoplist, overrides
        self._stem = stemmer_for_language(language)
        self._words = _WORDS.setdefault((language, stoplist, tuple(sorted(overrides.items()))), {})

    def __eq__(self, other):
        return isinstance(other, WordFilter) and self.__getstate__() == other.__getstate__()

    def __getstate__(self):
        return {"language": self.language, "stoplist": self.stoplist, "overrides": self.overrides}

    def __setstate__(self, state):
        self.__init__(state["language"], state["stoplist"], state["overrides"])

    def word(self, text: str) -> tuple[str, bool]:
        """The term of a raw word, and whether it is a stop word (then folded, not stemmed)."""
        found = self._words.get(text)
        if found is None:
            lowered = text.lower()
            folded = lowered.translate(accent_map)
            stopped = lowered in self.stoplist
            found = (folded if stopped else self.overrides.get(folded) or self._stem(folded), stopped)
            if len(self._words) < 200_000:
                self._words[text] = found
        return found

    def __call__(self, tokens):
        for token in tokens:
            token.text, stopped = self.word(token.text)
            if stopped and token.removestops:
                continue
            token.stopped = stopped
            yield token


def analyzer(language: str):
    """Tokens through a :class:`WordFilter` ("it", "en"), or ("plain") lower-cased and folded, nothing dropped."""
    if language == "plain":
        return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)
    if language == "en":
        return RegexTokenizer(TOKEN_PATTERN) | WordFilter("en", ENGLISH_STOP_WORDS, ENGLISH_STEM_OVERRIDES)
    return RegexTokenizer(TOKEN_PATTERN) | WordFilter(language, ITALIAN_STOP_WORDS, ITALIAN_STEM_OVERRIDES)
