"""Querying: concepts, AND then OR, typo correction, filters and facets, ranking, highlighting.

Document sets are boolean arrays over the searcher's document numbers, scores arrays of floats (see
``engine.SearcherView``): an "and", a filter or a facet count is one vectorised operation."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import cache, lru_cache, partial
from math import log

import numpy as np
from markupsafe import Markup, escape

from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.paging import page_within
from welfarepoint.search import engine
from welfarepoint.search.analysis import analyzer
from welfarepoint.search.engine import Alternative
from welfarepoint.search.results import Filters, Hit, SearchResult, Widening
from welfarepoint.search.schema import HIGHLIGHT_FIELDS, TEXT_FIELDS, ats_token, clamp_age
from welfarepoint.vocabulary import spelling, synonyms

FACETS = ("audience", "category", "ats", "cost", "period")
#: A listing open all year counts in the facet of every period.
ALL_PERIODS = ("all_year", "school_year", "summer", "christmas", "easter")
VARIANT_BOOST = 0.6
#: The weight of a listing answering the need a concept names (its words in short fields add to it).
NEED_BOOST = 2.0
#: Short fields, where synonyms are looked for too.
SHORT_FIELDS = ("title", "summary", "tags", "title_en", "summary_en", "places")
MAX_CONCEPTS = 12
#: What answers a family's need asked by an employer: brokering between companies and local services.
EMPLOYER_CATEGORY = "C2"
#: At equal relevance, listings with places first, then waiting lists, then full ones.
AVAILABILITY_RANK = {"open": 0, "waiting_list": 1, "full": 2}
#: The category of Welfare Points, and how many a search shows apart at most (with ``desks_apart``: never
#: counted as services).
DESK_CATEGORY, DESKS_SHOWN = "W1", 3
_ANALYZERS = {language: analyzer(language) for language in ("it", "en", "plain")}


@lru_cache(maxsize=16384)
def _tokens(language: str, text: str) -> tuple[str, ...]:
    return tuple(token.text for token in _ANALYZERS[language](text) if not token.stopped)


@lru_cache(maxsize=4096)
def concept_alternatives(concept: synonyms.Concept) -> tuple[Alternative, ...]:
    """Every way of saying the concept, in each field: the words as typed in every field, synonyms in the short
    fields only; a need's words, or a part of names, in short fields only (names never in places)."""
    alternatives: dict[tuple[str, tuple[str, ...]], Alternative] = {}  # the first of each field and words
    typed_alone = concept.typed[0] if len(concept.typed) == 1 else ""
    name_word = concept.name_word or any(stem in _name_stems() for stem in _tokens("it", typed_alone))
    short_only = bool(concept.needs) or name_word
    for position, variant in enumerate(concept.variants):
        text = " ".join(variant)
        for fieldname, language in TEXT_FIELDS.items():
            if (position or short_only) and fieldname not in SHORT_FIELDS:
                continue  # the words as typed are looked for in long texts; their synonyms are not (too costly)
            if fieldname == "places" and (concept.needs or name_word):
                continue
            # Several words ("lavoro agile") must all be in the field, not necessarily side by side.
            if tokens := _tokens(language, text):
                boost = VARIANT_BOOST if position else 1.0
                alternatives.setdefault((fieldname, tokens), Alternative(fieldname, tokens, boost))
    return tuple(alternatives.values())


@cache
def _name_stems() -> frozenset[str]:
    """The Italian stems of the words that are only parts of names ("camp" of "Campo": "campi" too)."""
    return frozenset(stem for word in synonyms.name_words() for stem in _tokens("it", word))


@dataclass(frozen=True)
class QueryConcept:
    """One concept of a query as the index is asked it: a listing matches if it answers one of ``needs`` (its
    ``words`` then rank it), else if it has ``words``; a ``context`` concept is never required alone."""

    typed: str
    words: tuple[Alternative, ...]
    needs: tuple[str, ...] = ()
    context: bool = False
    #: For a need: the words as typed, in short fields (a listing with them in its title matches too).
    typed_words: tuple[Alternative, ...] = ()


@cache
def _persons_needs() -> frozenset[str]:
    return frozenset(taxonomy.need_codes("persons")) | {"P1", "P2"}


@lru_cache(maxsize=4096)
def text_concepts(text: str, vocabulary: object = None) -> tuple[tuple[QueryConcept, ...], tuple[str, ...]]:
    """:func:`prepared_concepts` of ``text``, kept per ``vocabulary`` (the synonyms' version)."""
    _analyse_vocabulary(vocabulary)
    return prepared_concepts(synonyms.concepts(text))


@lru_cache(maxsize=2)
def _analyse_vocabulary(vocabulary: object) -> None:
    """Analyse every variant of the synonyms in every language once a version, rather than a few each query."""
    for group in synonyms.groups():
        for variant in group.variants:
            for language in _ANALYZERS:
                _tokens(language, " ".join(variant))


def prepared_concepts(concepts: list[synonyms.Concept]) -> tuple[tuple[QueryConcept, ...], tuple[str, ...]]:
    """The synonyms' concepts of a query as the index is asked them, and the phrases outside the networks."""
    found: list[QueryConcept] = []
    outside, concepts = [], concepts[:MAX_CONCEPTS]
    # An employer asking for a family's need ("centri estivi per i figli dei dipendenti") is answered by the
    # services that broker local services for companies.
    employer = any(c.employer or (c.needs and not set(c.needs) & _persons_needs()) for c in concepts)
    for concept in concepts:
        typed = " ".join(concept.typed)
        if concept.outside:
            outside.append(typed)
            continue
        plain = not concept.needs and len(concept.variants) == 1 and len(concept.typed) == 1
        if plain and (typed.isdigit() or not _tokens("it", typed) or not _tokens("en", typed)):
            continue  # a year, an age, "per" or "for": nothing a listing answers
        needs = concept.needs
        if employer and needs and set(needs) <= _persons_needs():
            needs = (EMPLOYER_CATEGORY,)
        alternatives = concept_alternatives(concept)
        as_typed = concept_alternatives(replace(concept, variants=concept.variants[:1])) if needs else ()
        if alternatives or needs:
            found.append(QueryConcept(typed, alternatives, needs, concept.context, as_typed))
    return tuple(found), tuple(outside)


def _kept_set(searcher, key, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """A filter's documents, kept a bit each (an eighth of a boolean array) and unpacked at each use."""
    view = engine.view(searcher)
    packed = view.shared.sets.get_or_make(key, lambda: np.packbits(compute()))
    return np.unpackbits(packed, count=view.count).view(bool)


def _term_docs(searcher, field: str, terms: tuple[str, ...]) -> np.ndarray:
    return _kept_set(searcher, ("docs", field, terms), lambda: engine.view(searcher).term_docs(field, *terms))


def _value_sets(searcher, name: str) -> dict[str, np.ndarray]:
    """For a facet, the live documents of each value (open all year counts in every period)."""
    if name == "period":
        return engine.view(searcher).value_sets(
            "period_set", lambda value: ALL_PERIODS if "all_year" in value else value.split()
        )
    return engine.view(searcher).value_sets(name, lambda value: (value,))


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
    if filters.area:  # a place of several comuni: one of them, or an ATS of one
        place = territory.resolve_place(filters.area).place
        towns = place.municipalities if place else ()
        codes = sorted({m.istat_code for m in towns} | {ats_token(m.ats) for m in towns})
        sets.append(_term_docs(searcher, "coverage", tuple(codes)))
    if filters.age is not None:
        age, view = clamp_age(filters.age), engine.view(searcher)

        def of_age() -> np.ndarray:
            return (view.integers("age_min") <= age) & (view.integers("age_max") >= age) & view.live

        sets.append(_kept_set(searcher, ("age", age), of_age))
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
        found = ((v, int(np.count_nonzero(base & d))) for v, d in _value_sets(searcher, name).items())
        counts[name] = sorted(((v, c) for v, c in found if c), key=lambda i: (-i[1], i[0]))
    return counts


def _catalog_words(searcher) -> spelling.Catalog:
    """The index's words (short fields and places) as spelling help asks them."""
    view = engine.view(searcher)

    def knows(word: str) -> bool:
        dropped = not _tokens("it", word) or not _tokens("en", word)  # a stop word
        return dropped or view.knows("spell", word) or view.knows("places", word)

    def suggest(word: str, maxdist: int):
        corrector = searcher.corrector("spell")
        return corrector.suggest(word, limit=spelling.SUGGESTIONS, maxdist=maxdist, prefix=1)

    return spelling.Catalog(
        knows, partial(view.near, "spell"), suggest, partial(searcher.doc_frequency, "spell")
    )


def tie_break(service_id: str, today: date) -> int:
    """A pseudo-random rank for the day: equal results change order daily, never within a day."""
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
            parts += [str(escape(text[last:start])), f'<mark class="wp-hl">{escape(text[start:end])}</mark>']
            last = end
    return Markup("".join([*parts, str(escape(text[last:]))])) if parts else None


class _Scored:
    """One evaluation of a text query: the documents that match every required concept, scored by the sum of
    their concepts' scores; :meth:`partial` falls back to the best partial match."""

    def __init__(self, searcher, text: str, prepared=None):
        if prepared is None:
            prepared = text_concepts(text, synonyms.version()) if text else ((), ())
        self.concepts, self.outside = concepts, outside = prepared
        view = engine.view(searcher)
        self.scores: np.ndarray | None = None
        self.parts: list[tuple[QueryConcept, np.ndarray]] = []
        if not concepts:
            self.docs = np.zeros_like(view.live) if outside else view.live
            return
        for concept in concepts:
            found = view.concept(concept.words) if concept.words else None
            if concept.needs:
                docs = _term_docs(searcher, "needs", tuple(sorted(concept.needs)))
                # An inverse document frequency, as a word's: "Christmas" outranks "childcare".
                need = docs * NEED_BOOST * (log(view.count / (int(np.count_nonzero(docs)) + 1)) + 1)
                if concept.typed_words:
                    docs = docs | (view.concept(concept.typed_words) > 0)
                part = need if found is None else need + found * docs
            else:
                part, docs = found, found > 0
            self.parts.append((concept, docs))
            self.scores = part if self.scores is None else self.scores + part
        required = self._required()
        self.docs = np.logical_and.reduce(required) if len(required) > 1 else required[0]
        if outside and all(concept.context for concept in concepts):
            self.docs = np.zeros_like(self.docs)  # "rsa per la nonna": nothing the networks offer

    def _required(self) -> list[np.ndarray]:
        """The sets a listing must be in: the needs the query names, if any; else its words but context."""
        parts = self.parts
        if any(concept.needs for concept, _ in parts):
            return [docs for concept, docs in parts if concept.needs]
        return [docs for concept, docs in parts if not concept.context] or [docs for _, docs in parts]

    def within(self, allowed: np.ndarray | None) -> np.ndarray:
        return self.docs if allowed is None else self.docs & allowed

    def partial(self, allowed: np.ndarray | None) -> None:
        """Keep the documents that match the most of what is required (when nothing matches it all)."""
        required = self._required()
        if len(required) < 2 or (self.outside and all(concept.context for concept, _ in self.parts)):
            return
        weights = sum(docs.astype(np.int64) for docs in required)
        within = weights if allowed is None else weights * allowed
        if len(within) and within.max():
            self.docs = weights == within.max()

    def words_found(self, matched: np.ndarray) -> tuple[str, ...]:
        """When none of ``matched`` has every word of the query: the words some of them have (else ())."""
        words = [(concept, docs) for concept, docs in self.parts if not concept.context]
        if len(words) < 2 or not matched.any():
            return ()
        if (np.logical_and.reduce([docs for _, docs in words]) & matched).any():
            return ()
        return tuple(concept.typed for concept, docs in words if (docs & matched).any())

    def ranked(self, matched: np.ndarray, ties: np.ndarray, available: np.ndarray, end: int) -> list[int]:
        """The first ``end`` of ``matched``: by score (to 4 decimals), availability, the day's tie-break."""
        candidates = np.flatnonzero(matched)
        if self.scores is None:
            keys = (available[candidates] << 32) | ties[candidates]  # a tie-break is a 32-bit CRC
            if len(candidates) > end:
                keep = np.argpartition(keys, end - 1)[:end]
                candidates, keys = candidates[keep], keys[keep]
            return candidates[np.argsort(keys, kind="stable")].tolist()
        scores = self.scores[candidates]
        if len(candidates) > end:  # only documents that can reach the page are sorted
            keep = scores >= np.partition(scores, len(scores) - end)[len(scores) - end] - 1e-4
            candidates, scores = candidates[keep], scores[keep]
        order = np.lexsort((ties[candidates], available[candidates], -np.round(scores, 4)))
        return candidates[order[:end]].tolist()


def place_filters(filters: Filters, place: territory.Place) -> Filters:
    """``filters`` narrowed to a place (Lombardy narrows nothing)."""
    kind = place.kind
    if kind is territory.PlaceKind.MUNICIPALITY:
        return replace(filters, municipality=place.code)
    if kind in (territory.PlaceKind.AREA, territory.PlaceKind.PROVINCE):
        return replace(filters, area=place.code)
    return replace(filters, ats=place.code) if kind is territory.PlaceKind.ATS else filters


def _evaluate(searcher, text: str, allowed: np.ndarray | None, language: str | None, partial: bool = True):
    """The text's matches within ``allowed`` (every word; else corrected; else with ``partial``, the best partial
    match): the evaluation, the text it ran, the text corrected and a correction only suggested."""
    scored = _Scored(searcher, text)
    if not text or not scored.concepts or scored.within(allowed).any():
        return scored, text, None, None
    corrected = spelling.correct(text, _catalog_words(searcher), language)
    if corrected and (retry := _Scored(searcher, corrected)).within(allowed).any():
        return retry, corrected, text, None
    if partial:
        scored.partial(allowed)
    return scored, text, None, corrected


def run(
    searcher,
    text: str,
    filters: Filters,
    *,
    page: int = 1,
    per_page: int = 10,
    today: date | None = None,
    language: str | None = None,
    desks_apart: bool = False,
    read_place: bool = True,
    highlights: bool = True,
) -> SearchResult:
    """Search the index behind ``searcher``. A place named in the text ("badante sondrio") becomes a filter (with
    ``read_place``, unless the filters name one). The text is evaluated once without filters (the facet counts),
    then narrowed by them; a search that finds nothing is corrected, then partial, and in a place told what wider
    searches find. With ``desks_apart``, Welfare Points are returned apart, never counted, unless asked for."""
    today = today or date.today()
    if not searcher.doc_count_all():
        return SearchResult([], 0, 1, per_page, {name: [] for name in FACETS}, text)
    place = place_text = None
    if text and read_place and not (filters.municipality or filters.area):
        found = territory.find_place_in_text(text)
        if found is not None and found.match.place is not None and found.match.place.in_lombardy:
            place, text, place_text = found.match.place, found.rest, found.rest
            filters = place_filters(filters, place)
    allowed = filter_docs(searcher, filters)
    in_place = bool(filters.municipality or filters.area or filters.ats)  # then told what wider searches find
    scored, text, corrected_from, suggestion = _evaluate(searcher, text, allowed, language, not in_place)
    asked = DESK_CATEGORY in filters.categories or any(DESK_CATEGORY in c.needs for c in scored.concepts)
    desk_docs = _term_docs(searcher, "category", (DESK_CATEGORY,)) if desks_apart and not asked else None

    def services(docs: np.ndarray) -> np.ndarray:
        return docs if desk_docs is None else docs & ~desk_docs

    matched = services(scored.within(allowed))
    widenings = ()
    if in_place and not matched.any():
        widenings = _widenings(searcher, text, filters, language, services)
        if not any(w.count for w in widenings):
            scored.partial(allowed)
            matched = services(scored.within(allowed))
            if not matched.any():
                widenings = _widenings(searcher, text, filters, language, services, partial=True)
    total = int(np.count_nonzero(matched))
    page = page_within(page, total, per_page)
    start = (page - 1) * per_page
    view = engine.view(searcher)
    ties = view.per_document(("ties", today), lambda service_id: tie_break(service_id, today))
    available = view.per_document(
        ("availability-rank",), lambda v: AVAILABILITY_RANK.get(v, 0), "availability"
    )
    shown = scored.ranked(matched, ties, available, start + per_page)[start:] if total else []
    desks: list[Hit] = []
    if desk_docs is not None and scored.concepts:
        found_desks = scored.within(allowed) & desk_docs
        if found_desks.any():
            desks = _hits(searcher, scored, scored.ranked(found_desks, ties, available, DESKS_SHOWN))
    return SearchResult(
        hits=_hits(searcher, scored, shown, highlights),
        total=total,
        page=page,
        per_page=per_page,
        facets=facet_counts(searcher, services(scored.docs), filters),
        text=text,
        suggestion=suggestion,
        corrected_from=corrected_from,
        place=place,
        place_text=place_text,
        partial=scored.words_found(matched),
        outside=scored.outside,
        needs=tuple(dict.fromkeys(code for concept in scored.concepts for code in concept.needs)),
        desks=desks,
        widenings=widenings,
        unread=bool(text.strip()) and not scored.concepts and not scored.outside,
    )


def _hits(searcher, scored: _Scored, shown: list[int], highlights: bool = True) -> list[Hit]:
    """The listings at ``shown``, with the query's analysed words marked in their highlighted fields."""
    ids, scores = engine.view(searcher).integers("id"), scored.scores
    hits = [Hit(int(ids[docnum]), 0.0 if scores is None else float(scores[docnum])) for docnum in shown]
    marked: dict[str, set[str]] = {name: set() for name in HIGHLIGHT_FIELDS}
    for alternative in (a for concept in scored.concepts for a in concept.words) if highlights else ():
        marked.get(alternative.field, set()).update(alternative.tokens)
    if not any(marked.values()):
        return hits
    for hit, docnum in zip(hits, shown, strict=True):
        stored = searcher.stored_fields(docnum)
        for name, words in marked.items():
            if words and stored.get(name) and (fragment := highlight(stored[name], TEXT_FIELDS[name], words)):
                hit.highlights[name] = fragment
    return hits


def _widenings(
    searcher, text: str, filters: Filters, language, services, partial: bool = False
) -> tuple[Widening, ...]:
    """What the same text finds in the place's whole ATS and in all of Lombardy."""
    code = filters.municipality or filters.area
    place = territory.resolve_place(code).place if code else None
    without = replace(filters, municipality=None, area=None)
    atses = place.atses if place else frozenset()
    wider = [("ats", ats, replace(without, ats=ats)) for ats in atses if len(atses) == 1]
    found = []
    for kind, name, wider_filters in [*wider, ("region", "Lombardia", replace(without, ats=None))]:
        allowed = filter_docs(searcher, wider_filters)
        scored, wider_text, *_ = _evaluate(searcher, text, allowed, language, partial)
        count = int(np.count_nonzero(services(scored.within(allowed))))
        found.append(Widening(kind, name, wider_text, wider_filters, count))
    return tuple(found)


def newly_answered(searcher, texts: Iterable[str], line: str) -> list[tuple[str, int]]:
    """Of ``texts``, those the vocabulary line ``line`` would answer, with how many listings (in their place)."""
    groups, _names = synonyms.parse(line)
    found = []
    for text in texts:
        place_in_text, filters = territory.find_place_in_text(text), Filters()
        if place_in_text is not None and place_in_text.match.place and place_in_text.match.place.in_lombardy:
            text, filters = place_in_text.rest, place_filters(filters, place_in_text.match.place)
        after = synonyms.concepts(text, extra=groups)
        if not text or after == synonyms.concepts(text):
            continue
        scored = _Scored(searcher, text, prepared_concepts(after))
        count = int(np.count_nonzero(scored.within(filter_docs(searcher, filters))))
        if count:
            found.append((text if place_in_text is None else place_in_text.matched + ": " + text, count))
    return found
