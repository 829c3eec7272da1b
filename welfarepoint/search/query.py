"""Querying: synonyms, AND then OR, typo correction, filters as cached document sets, facet counts, ranking.

Filters and facet columns are cached per searcher (dropped when the index changes), so a search costs one
pass over the postings of its words, never a new searcher or a query per filter.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup
from whoosh import highlight
from whoosh.query import And, Or, Phrase, Term
from whoosh.searching import Hit as WhooshHit
from whoosh.spelling import ListCorrector

from welfarepoint import territory
from welfarepoint.search import synonyms
from welfarepoint.search.analysis import english_analyzer, italian_analyzer, plain_analyzer, words
from welfarepoint.search.schema import HIGHLIGHT_FIELDS, TEXT_FIELDS, age_token, ats_token

FACETS = ("audience", "category", "ats", "cost", "period")
#: Single-word municipality names that are everyday words: never read as a place in a query.
NOT_PLACES = {"mese", "cene", "ceto", "cevo", "pieve", "lodi"}
VARIANT_BOOST = 0.6
#: Short fields where a several-word synonym must appear as a phrase.
PHRASE_FIELDS = ("title", "summary", "tags", "title_en", "summary_en", "places")
MAX_CONCEPTS = 12


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to. Empty values mean "any"."""

    audience: str | None = None
    categories: tuple[str, ...] = ()
    ats: str | None = None
    municipality: str | None = None
    age: int | None = None
    free_only: bool = False
    period: str | None = None

    def without(self, name: str) -> Filters:
        """The same filters less one facet's own (for counts that show what choosing another value gives)."""
        values = dict(self.__dict__)
        key = {"category": "categories", "cost": "free_only"}.get(name, name)
        values[key] = () if key == "categories" else (False if key == "free_only" else None)
        return Filters(**values)


@dataclass
class Hit:
    """One listing found: its id, score and highlighted fields (safe HTML)."""

    service_id: int
    score: float
    highlights: dict[str, Markup] = field(default_factory=dict)


@dataclass
class SearchResult:
    """A page of results, the total, facet counts and what the search understood."""

    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[tuple[str, int]]]
    text: str
    suggestion: str | None = None
    corrected_from: str | None = None
    place: territory.Municipality | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


_ANALYZERS = {"it": italian_analyzer(), "en": english_analyzer(), "plain": plain_analyzer()}


def _tokens(language: str, text: str) -> list[str]:
    return [token.text for token in _ANALYZERS[language](text) if not token.stopped]


def _concept_query(concept: synonyms.Concept):
    """Any way of saying the concept, in any field; synonyms only in the short fields, each asked once."""
    alternatives = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for position, variant in enumerate(concept.variants):
        text = " ".join(variant)
        for fieldname, language in TEXT_FIELDS.items():
            if position and fieldname not in PHRASE_FIELDS:
                continue  # the words as typed are looked for in long texts; their synonyms are not (too costly)
            tokens = tuple(_tokens(language, text))
            if not tokens or (fieldname, tokens) in seen:
                continue
            seen.add((fieldname, tokens))
            if len(tokens) == 1:
                query = Term(fieldname, tokens[0])
            elif fieldname in PHRASE_FIELDS:
                query = Phrase(fieldname, list(tokens))
            else:
                # Positions in long texts are costly to walk: there, all the words anywhere will do.
                query = And([Term(fieldname, token) for token in tokens])
            if position:
                query.boost = VARIANT_BOOST
            alternatives.append(query)
    return Or(alternatives) if alternatives else None


def build_text_query(text: str, mode: str = "and"):
    """The query for ``text``: each concept (with its synonyms) in any field; all concepts, or any of them."""
    parts = [
        q for concept in synonyms.concepts(text)[:MAX_CONCEPTS] if (q := _concept_query(concept)) is not None
    ]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return And(parts) if mode == "and" else Or(parts)


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


# --- per-searcher caches -------------------------------------------------------------------------------


def _cached(searcher, key, compute):
    cache = searcher.wp_cache
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _all_docs(searcher) -> frozenset[int]:
    return _cached(searcher, "all", lambda: frozenset(searcher.reader().all_doc_ids()))


def _docs(searcher, query) -> frozenset[int]:
    return _cached(searcher, ("docs", repr(query)), lambda: frozenset(searcher.docs_for_query(query)))


def _column(searcher, name: str) -> list[Any]:
    """The values of a sortable field for every document number (read segment by segment).

    Whoosh's MultiReader leaves out segments that lack the column, which shifts document numbers: read each
    segment at its own offset instead.
    """

    def compute():
        values: list[Any] = [""] * searcher.doc_count_all()
        for reader, offset in searcher.reader().leaf_readers():
            if reader.has_column(name):
                for position, value in enumerate(reader.column_reader(name)):
                    values[offset + position] = value
        return values

    return _cached(searcher, ("column", name), compute)


def _ids(searcher) -> list[str]:
    def compute():
        ids: list[str] = [""] * searcher.doc_count_all()
        for docnum, fields in searcher.iter_docs():
            ids[docnum] = fields["id"]
        return ids

    return _cached(searcher, "ids", compute)


def filter_docs(searcher, filters: Filters) -> frozenset[int] | None:
    """The documents that pass every filter (None when nothing is filtered)."""
    sets: list[frozenset[int]] = []
    if filters.audience:
        sets.append(_docs(searcher, Term("audience", filters.audience)))
    if filters.categories:
        sets.append(_docs(searcher, Or([Term("category", code) for code in sorted(filters.categories)])))
    if filters.ats:
        sets.append(_docs(searcher, Term("ats", filters.ats)))
    if filters.municipality:
        place = territory.by_istat(filters.municipality)
        terms = [Term("coverage", filters.municipality)]
        if place:
            terms.append(Term("coverage", ats_token(place.ats)))
        sets.append(_docs(searcher, Or(terms)))
    if filters.age is not None:
        sets.append(_docs(searcher, Or([Term("ages", age_token(filters.age)), Term("ages", "any")])))
    if filters.free_only:
        sets.append(_docs(searcher, Term("cost", "free")))
    if filters.period:
        sets.append(_docs(searcher, Or([Term("periods", filters.period), Term("periods", "all_year")])))
    if not sets:
        return None
    result = sets[0]
    for docs in sets[1:]:
        result = result & docs
    return result


def facet_counts(searcher, matched: frozenset[int], filters: Filters) -> dict[str, list[tuple[str, int]]]:
    """For each facet, how many documents each value would give, with the other filters kept."""
    counts: dict[str, list[tuple[str, int]]] = {}
    for name in FACETS:
        others = filter_docs(searcher, filters.without(name))
        base = matched if others is None else matched & others
        if name == "period":
            column = _column(searcher, "period_set")
            counter: Counter[str] = Counter()
            for docnum in base:
                periods = column[docnum].split()
                if "all_year" in periods:
                    counter.update(["all_year", "school_year", "summer", "christmas", "easter"])
                else:
                    counter.update(periods)
        elif name == "cost":
            column = _column(searcher, "cost")
            counter = Counter(column[docnum] for docnum in base)
        else:
            column = _column(searcher, name)
            counter = Counter(column[docnum] for docnum in base)
        counts[name] = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return counts


# --- spelling ------------------------------------------------------------------------------------------


def _vocabulary_corrector(searcher) -> ListCorrector:
    return _cached(searcher, "synonym-corrector", lambda: ListCorrector(sorted(synonyms.vocabulary())))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two short words."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def _closest(searcher, word: str) -> str | None:
    """The known word nearest to ``word`` (fewest edits, then most used), sharing its first letter."""
    maxdist = 1 if len(word) <= 4 else 2
    candidates: set[str] = set()
    for corrector in (searcher.corrector("spell"), _vocabulary_corrector(searcher)):
        # Whoosh's MultiCorrector mixes up (score, word) pairs: ask each corrector on its own.
        candidates.update(suggestion for _score, suggestion in corrector._suggestions(word, maxdist, 1))
    candidates.discard(word)
    if not candidates:
        return None
    return min(candidates, key=lambda c: (edit_distance(word, c), -searcher.doc_frequency("spell", c), c))


def _known(searcher, word: str) -> bool:
    return (
        word in synonyms.vocabulary()
        or not _tokens("it", word)
        or searcher.doc_frequency("spell", word) > 0
        or searcher.doc_frequency("places", word) > 0
        or word.isdigit()
    )


def correct(searcher, text: str) -> str | None:
    """The query with its unknown words replaced by the closest known ones, or None if nothing changed."""
    typed = words(text)
    corrected = []
    changed = False
    for word in typed:
        if len(word) < 3 or _known(searcher, word):
            corrected.append(word)
            continue
        suggestion = _closest(searcher, word)
        if suggestion:
            corrected.append(suggestion)
            changed = True
        else:
            corrected.append(word)
    return " ".join(corrected) if changed else None


# --- ranking -------------------------------------------------------------------------------------------


def tie_break(service_id: str, today: date) -> int:
    """A stable pseudo-random rank for the day: equal results change order daily, never within a day."""
    return zlib.crc32(f"{today.isoformat()}:{service_id}".encode())


def _highlighter():
    return highlight.Highlighter(
        fragmenter=highlight.WholeFragmenter(charlimit=None),
        formatter=highlight.HtmlFormatter(tagname="mark", classname="wp-hl", termclass="t"),
    )


class _Scored:
    """One evaluation of a text query: every matching document with its score (Whoosh scores them all anyway)."""

    def __init__(self, searcher, query):
        self.query = query
        if query is None:
            self.results = None
            self.docs = _all_docs(searcher)
            self.scores: dict[int, float] = {}
        else:
            self.results = searcher.search(query, limit=None, optimize=False)
            self.scores = {docnum: score for score, docnum in self.results.top_n}
            self.docs = frozenset(self.scores)

    def within(self, allowed: frozenset[int] | None) -> frozenset[int]:
        return self.docs if allowed is None else self.docs & allowed


def run(
    searcher, text: str, filters: Filters, *, page: int = 1, per_page: int = 10, today: date | None = None
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

    scored = _Scored(searcher, build_text_query(text, "and") if text else None)
    matched = scored.within(allowed)
    suggestion = corrected_from = None
    if text and not matched:
        corrected = correct(searcher, text)
        if corrected:
            retry = _Scored(searcher, build_text_query(corrected, "and"))
            if retry.within(allowed):
                corrected_from, text, scored = text, corrected, retry
            else:
                suggestion = corrected
        matched = scored.within(allowed)
        if not matched:
            scored = _Scored(searcher, build_text_query(text, "or"))
            matched = scored.within(allowed)

    facets = facet_counts(searcher, scored.docs, filters)
    total = len(matched)
    page = max(1, min(page, max(1, -(-total // per_page))))
    start = (page - 1) * per_page
    ids = _ids(searcher)
    hits: list[Hit] = []
    if total and scored.results is None:
        ordered = sorted(matched, key=lambda docnum: tie_break(ids[docnum], today))
        hits = [Hit(int(ids[docnum]), 0.0) for docnum in ordered[start : start + per_page]]
    elif total:
        # Order by score, then by the day's tie-break, so that equal listings take turns across pages too;
        # only the page shown is turned into hits (and highlighted).
        ranked = sorted(
            matched, key=lambda docnum: (-round(scored.scores[docnum], 4), tie_break(ids[docnum], today))
        )
        results = scored.results
        results.highlighter = _highlighter()
        for position, docnum in enumerate(ranked[start : start + per_page], start):
            score = scored.scores[docnum]
            whoosh_hit = WhooshHit(results, docnum, position, score)
            marks = {}
            for name in HIGHLIGHT_FIELDS:
                value = whoosh_hit.get(name)
                if value:
                    fragment = whoosh_hit.highlights(name, text=value)
                    if fragment:
                        marks[name] = Markup(fragment)
            hits.append(Hit(int(whoosh_hit["id"]), score, marks))
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
