"""Querying: synonyms, AND then OR, typo correction, filters as cached document sets, facet counts, ranking.

Filters and facet columns are cached per searcher (dropped when the index changes), so a search costs one
pass over the postings of its words, never a new searcher or a query per filter. Document sets are boolean
arrays over the searcher's document numbers and scores arrays of floats (see ``engine.SearcherView``): an
"and" of two concepts, a filter or a facet count is one vectorised operation, whatever the catalog's size.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache, lru_cache

import numpy as np
from markupsafe import Markup, escape
from whoosh.spelling import ListCorrector

from welfarepoint import territory
from welfarepoint.bounded import Bounded
from welfarepoint.paging import page_within
from welfarepoint.search import engine, spelling, synonyms
from welfarepoint.search.analysis import english_analyzer, italian_analyzer, plain_analyzer, words
from welfarepoint.search.engine import Alternative, NearWords
from welfarepoint.search.results import Filters, Hit, SearchResult
from welfarepoint.search.schema import HIGHLIGHT_FIELDS, TEXT_FIELDS, ats_token, clamp_age

FACETS = ("audience", "category", "ats", "cost", "period")
#: A listing open all year counts in the facet of every period.
ALL_PERIODS = ("all_year", "school_year", "summer", "christmas", "easter")
#: Single-word municipality names that are everyday words: never read as a place in a query.
NOT_PLACES = {"mese", "cene", "ceto", "cevo", "pieve", "lodi"}
VARIANT_BOOST = 0.6
#: Short fields, where synonyms are looked for too.
SHORT_FIELDS = ("title", "summary", "tags", "title_en", "summary_en", "places")
MAX_CONCEPTS = 12
#: Words Whoosh's correctors suggest for a typed word, at most (the nearest and most used is kept).
SUGGESTIONS = 20


_ANALYZERS = {"it": italian_analyzer(), "en": english_analyzer(), "plain": plain_analyzer()}


def _tokens(language: str, text: str) -> list[str]:
    return [token.text for token in _ANALYZERS[language](text) if not token.stopped]


def concept_alternatives(concept: synonyms.Concept) -> tuple[Alternative, ...]:
    """Any way of saying the concept, in any field; synonyms only in the short fields, each asked once."""
    alternatives = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for position, variant in enumerate(concept.variants):
        text = " ".join(variant)
        for fieldname, language in TEXT_FIELDS.items():
            if position and fieldname not in SHORT_FIELDS:
                continue  # the words as typed are looked for in long texts; their synonyms are not (too costly)
            tokens = tuple(_tokens(language, text))
            if not tokens or (fieldname, tokens) in seen:
                continue
            seen.add((fieldname, tokens))
            # Several words (a synonym such as "lavoro agile") must all be in the field, not necessarily
            # side by side: in short fields that is what a phrase finds, at a fraction of the cost.
            alternatives.append(Alternative(fieldname, tokens, VARIANT_BOOST if position else 1.0))
    return tuple(alternatives)


@lru_cache(maxsize=4096)
def text_concepts(text: str) -> tuple[tuple[Alternative, ...], ...]:
    """The concepts of ``text`` (at most ``MAX_CONCEPTS``), each as its alternatives."""
    found = []
    for concept in synonyms.concepts(text)[:MAX_CONCEPTS]:
        alternatives = concept_alternatives(concept)
        if alternatives:
            found.append(alternatives)
    return tuple(found)


def detect_place(text: str) -> tuple[str, territory.Municipality | None]:
    """Take a municipality named in the query out of the text ("doposcuola sondrio" -> filter on Sondrio)."""
    typed = words(text)
    if len(typed) < 2:
        return text, None
    for size in (4, 3, 2, 1):
        for start in range(len(typed) - size + 1):
            chunk = typed[start : start + size]
            name = " ".join(chunk)
            if size == 1 and (len(name) < 4 or name in NOT_PLACES or name in synonyms.vocabulary()):
                continue
            place = territory.by_name(name)
            if place is not None:
                rest = typed[:start] + typed[start + size :]
                if rest:
                    return " ".join(rest), place
    return text, None


#: Bytes of filter sets (a boolean per document each) kept per searcher before the least used go: at 10,000
#: listings 800 of them, at 100,000 eighty (a territory's municipalities can ask for a few hundred).
MAX_SET_BYTES = 8 * 2**20


def _cached(searcher, key, compute):
    cache = searcher.wp_cache
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _kept_set(searcher, key, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """A filter set, kept with the searcher within ``MAX_SET_BYTES``."""
    sets = _cached(searcher, "sets", lambda: Bounded(MAX_SET_BYTES, weigh=lambda docs: docs.nbytes))
    return sets.get_or_make(key, compute)


def _all_docs(searcher) -> np.ndarray:
    return _cached(searcher, "all", lambda: engine.view(searcher).live())


def _term_docs(searcher, field: str, terms: tuple[str, ...]) -> np.ndarray:
    """Live documents with any of ``terms`` in a keyword field."""

    def compute():
        view = engine.view(searcher)
        return np.logical_or.reduce([view.term_docs(field, term) for term in terms])

    return _kept_set(searcher, ("docs", field, terms), compute)


def _age_docs(searcher, age: int) -> np.ndarray:
    """Live documents whose ages served include ``age``."""

    def compute():
        view = engine.view(searcher)
        return (view.numbers("age_min") <= age) & (view.numbers("age_max") >= age) & view.live()

    return _kept_set(searcher, ("age", age), compute)


def _ids(searcher) -> np.ndarray:
    """The listing id of every document number (each segment's read once per process)."""
    return _cached(searcher, "ids", lambda: engine.view(searcher).integers("id"))


def _ties(searcher, today: date) -> np.ndarray:
    """Every document's tie-break of the day."""

    def compute():
        return engine.view(searcher).per_document(
            ("ties", today),
            lambda ids: np.fromiter((tie_break(service_id, today) for service_id in ids), dtype=np.int64),
        )

    return _cached(searcher, ("ties", today), compute)


def _period_keys(value: str) -> Iterable[str]:
    periods = value.split()
    return ALL_PERIODS if "all_year" in periods else periods


def _value_sets(searcher, name: str) -> dict[str, np.ndarray]:
    """For a facet, the live documents of each value (a listing open all year counts in every period)."""
    column, keys_of = ("period_set", _period_keys) if name == "period" else (name, lambda value: (value,))
    return _cached(searcher, ("values", name), lambda: engine.view(searcher).value_sets(column, keys_of))


def filter_docs(searcher, filters: Filters) -> np.ndarray | None:
    """The documents that pass every filter (None when nothing is filtered)."""
    sets: list[np.ndarray] = []
    if filters.audience:
        sets.append(_term_docs(searcher, "audience", (filters.audience,)))
    if filters.categories:
        sets.append(_term_docs(searcher, "category", tuple(sorted(filters.categories))))
    if filters.ats:
        sets.append(_term_docs(searcher, "ats", (filters.ats,)))
    if filters.municipality:
        place = territory.by_istat(filters.municipality)
        terms = (filters.municipality, ats_token(place.ats)) if place else (filters.municipality,)
        sets.append(_term_docs(searcher, "coverage", terms))
    if filters.age is not None:
        sets.append(_age_docs(searcher, clamp_age(filters.age)))
    if filters.free_only:
        sets.append(_term_docs(searcher, "cost", ("free",)))
    if filters.period:
        sets.append(_term_docs(searcher, "periods", (filters.period, "all_year")))
    if not sets:
        return None
    return sets[0] if len(sets) == 1 else np.logical_and.reduce(sets)


def facet_counts(searcher, matched: np.ndarray, filters: Filters) -> dict[str, list[tuple[str, int]]]:
    """For each facet, how many documents each value would give, with the other filters kept."""
    counts: dict[str, list[tuple[str, int]]] = {}
    for name in FACETS:
        others = filter_docs(searcher, filters.without(name))
        base = matched if others is None else matched & others
        found = [
            (value, int(np.count_nonzero(base & docs))) for value, docs in _value_sets(searcher, name).items()
        ]
        counts[name] = sorted(
            ((value, count) for value, count in found if count), key=lambda i: (-i[1], i[0])
        )
    return counts


@cache
def _synonym_words() -> NearWords:
    return NearWords(synonyms.vocabulary())


@cache
def _synonym_corrector() -> ListCorrector:
    return ListCorrector(sorted(synonyms.vocabulary()))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two short words."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


@cache
def _place_words() -> frozenset[str]:
    """Every word of the names of Italy's comuni and of the areas people name ("ome", "valtellina")."""
    names = [m.name for m in territory.italian_municipalities()]
    names += [m.other_name for m in territory.italian_municipalities() if m.other_name]
    for area in territory.all_areas():
        names += [area.name, *area.aliases]
    return frozenset(word for name in names for word in words(name))


def _fits_language(word: str, language: str | None) -> bool:
    """Whether a word of the catalog may be offered on a page in ``language``: not a word of the other language
    only ("then" is never offered to an Italian page, "parte" never to an English one). Names and words of no
    dictionary ("grest") fit both."""
    if language not in spelling.LANGUAGES:
        return True
    other = "en" if language == "it" else "it"
    return spelling.known(word, language) or not spelling.known(word, other)


def _closest(searcher, word: str, language: str | None = None) -> str | None:
    """The known word nearest to ``word`` (fewest edits, then most used), sharing its first letter.

    Candidates are the catalog's words that fit the page's language and the synonyms' words. They come from
    the vocabularies' one-letter-less forms (fast, see :class:`NearWords`); only when they give nothing does
    Whoosh walk its word graph for words two edits away.
    """
    maxdist = 1 if len(word) <= 4 else 2
    catalog = {w for w in engine.view(searcher).near("spell", word) if _fits_language(w, language)}
    candidates = catalog | _synonym_words().near(word)
    candidates = {
        candidate
        for candidate in candidates
        if candidate != word and candidate[:1] == word[:1] and edit_distance(word, candidate) <= maxdist
    }
    if not candidates:
        suggested = searcher.corrector("spell").suggest(word, limit=SUGGESTIONS, maxdist=maxdist, prefix=1)
        candidates.update(w for w in suggested if _fits_language(w, language))
        # Whoosh's MultiCorrector mixes up (score, word) pairs: each corrector is asked on its own.
        candidates.update(_synonym_corrector().suggest(word, limit=SUGGESTIONS, maxdist=maxdist, prefix=1))
        candidates.discard(word)
    if not candidates:
        return None
    return min(candidates, key=lambda c: (edit_distance(word, c), -searcher.doc_frequency("spell", c), c))


def _known(searcher, word: str) -> bool:
    """Whether ``word`` is spelled right: a word of the synonyms, the catalog, a place, Italian or English."""
    view = engine.view(searcher)
    return (
        word.isdigit()
        or word in synonyms.vocabulary()
        or not _tokens("it", word)
        or not _tokens("en", word)
        or view.knows("spell", word)
        or view.knows("places", word)
        or word in _place_words()
        or spelling.known_in_any(word)
    )


def correct(searcher, text: str, language: str | None = None) -> str | None:
    """The query with its misspelt words replaced by the closest words of the catalog (in the page's language)
    or of the synonyms, or None if nothing changed. A word of the lexicon or the catalog is never replaced."""
    typed = words(text)
    corrected = []
    changed = False
    for word in typed:
        if len(word) < 3 or not word.isalpha() or _known(searcher, word):
            corrected.append(word)
            continue
        suggestion = _closest(searcher, word, language)
        if suggestion:
            corrected.append(suggestion)
            changed = True
        else:
            corrected.append(word)
    return " ".join(corrected) if changed else None


def tie_break(service_id: str, today: date) -> int:
    """A stable pseudo-random rank for the day: equal results change order daily, never within a day."""
    return zlib.crc32(f"{today.isoformat()}:{service_id}".encode())


@lru_cache(maxsize=8192)
def _marked_tokens(language: str, text: str) -> tuple[tuple[str, int, int], ...]:
    """Each word of ``text`` as analysed (stop words kept), with where it starts and ends."""
    return tuple(
        (token.text, token.startchar, token.endchar)
        for token in _ANALYZERS[language](text, chars=True, removestops=False, mode="index")
    )


def highlight(text: str, language: str, words: frozenset[str]) -> Markup | None:
    """``text`` escaped, with the words whose analysed form is in ``words`` marked; None if none is."""
    parts: list[str] = []
    last = 0
    for stem, start, end in _marked_tokens(language, text):
        if stem in words and start >= last:
            parts.append(str(escape(text[last:start])))
            parts.append(f'<mark class="wp-hl">{escape(text[start:end])}</mark>')
            last = end
    if not parts:
        return None
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


class _Scored:
    """One evaluation of a text query: every matching live document with its score.

    Each concept's scores over the whole index come from the engine (cached per searcher); "and" keeps the
    documents every concept matches, "or" those any concept matches; a document's score is the sum of its
    concepts' scores (as Whoosh's ``And``/``Or`` would give), added in the same order as Whoosh would.
    """

    def __init__(self, searcher, text: str, mode: str = "and"):
        concepts = text_concepts(text) if text else ()
        self.text = text
        self.mode = mode
        self.concepts = concepts
        if not concepts:
            self.docs = _all_docs(searcher)
            self.scores: np.ndarray | None = None
            return
        view = engine.view(searcher)
        parts = sorted(
            (view.concept(alternatives) for alternatives in concepts), key=lambda part: np.count_nonzero(part)
        )
        if len(parts) == 1:
            scores = parts[0]
            docs = scores > 0
        elif mode == "and":
            docs = np.logical_and.reduce([part > 0 for part in parts])
            scores = sum(parts[1:], parts[0]) * docs
        else:
            scores = sum(parts[:-1], parts[-1])
            docs = scores > 0
        self.scores = scores
        self.docs = docs

    def within(self, allowed: np.ndarray | None) -> np.ndarray:
        return self.docs if allowed is None else self.docs & allowed

    def ranked(self, matched: np.ndarray, ties: np.ndarray, end: int) -> list[int]:
        """The first ``end`` of ``matched``: by score (to 4 decimals), then by the day's tie-break."""
        candidates = np.flatnonzero(matched)
        if self.scores is None:
            if len(candidates) > end:
                candidates = candidates[np.argpartition(ties[candidates], end - 1)[:end]]
            return candidates[np.argsort(ties[candidates], kind="stable")].tolist()
        scores = self.scores[candidates]
        if len(candidates) > end:
            # Only documents that can reach the page are sorted: those at most a rounding below the end-th score.
            cutoff = np.partition(scores, len(scores) - end)[len(scores) - end] - 1e-4
            keep = scores >= cutoff
            candidates, scores = candidates[keep], scores[keep]
        order = np.lexsort((ties[candidates], -np.round(scores, 4)))
        return candidates[order[:end]].tolist()


def _highlight_words(concepts) -> dict[str, frozenset[str]]:
    """For each highlighted field, the analysed words of the query's concepts (synonyms included)."""
    found: dict[str, set[str]] = {name: set() for name in HIGHLIGHT_FIELDS}
    for alternatives in concepts:
        for alternative in alternatives:
            if alternative.field in found:
                found[alternative.field].update(alternative.tokens)
    return {name: frozenset(words) for name, words in found.items()}


def run(
    searcher,
    text: str,
    filters: Filters,
    *,
    page: int = 1,
    per_page: int = 10,
    today: date | None = None,
    language: str | None = None,
) -> SearchResult:
    """Search the index behind ``searcher`` (see the module docstring).

    The text query is evaluated once, without filters: its matches give the facet counts, and the filters
    (cached document sets) narrow them to the results. Only a search that finds nothing is evaluated again,
    with its spelling corrected, then with any of its words.
    """
    today = today or date.today()
    if not searcher.doc_count_all():
        return SearchResult([], 0, 1, per_page, {name: [] for name in FACETS}, text)
    place = None
    if text and not filters.municipality:
        text, place = detect_place(text)
        if place is not None:
            filters = Filters(**{**filters.__dict__, "municipality": place.istat_code})
    allowed = filter_docs(searcher, filters)

    scored = _Scored(searcher, text)
    matched = scored.within(allowed)
    suggestion = corrected_from = None
    if text and not matched.any():
        corrected = correct(searcher, text, language)
        if corrected:
            retry = _Scored(searcher, corrected)
            if retry.within(allowed).any():
                corrected_from, text, scored = text, corrected, retry
            else:
                suggestion = corrected
        matched = scored.within(allowed)
        if not matched.any():
            scored = _Scored(searcher, text, "or")
            matched = scored.within(allowed)

    facets = facet_counts(searcher, scored.docs, filters)
    total = int(np.count_nonzero(matched))
    page = page_within(page, total, per_page)
    start = (page - 1) * per_page
    hits: list[Hit] = []
    if total:
        # Equal listings take turns by the day's tie-break, across pages too; only the page shown is turned
        # into hits (and highlighted).
        shown = scored.ranked(matched, _ties(searcher, today), start + per_page)[start:]
        ids = _ids(searcher)
        if scored.scores is None:
            hits = [Hit(int(ids[docnum]), 0.0) for docnum in shown]
        else:
            marked = _highlight_words(scored.concepts)
            for docnum in shown:
                stored = searcher.stored_fields(docnum)
                marks = {}
                for name in HIGHLIGHT_FIELDS:
                    value = stored.get(name)
                    if value and marked[name]:
                        fragment = highlight(value, TEXT_FIELDS[name], marked[name])
                        if fragment is not None:
                            marks[name] = fragment
                hits.append(Hit(int(ids[docnum]), float(scored.scores[docnum]), marks))
    return SearchResult(
        hits=hits,
        total=total,
        page=page,
        per_page=per_page,
        facets=facets,
        text=text,
        suggestion=suggestion,
        corrected_from=corrected_from,
        place=place,
    )
