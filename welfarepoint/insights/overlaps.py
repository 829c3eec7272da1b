"""Published listings that repeat each other, for a Welfare Community Manager to mark "distinct" or "merge".

Pure: plain records in, plain records out; no Flask, no database, standard library only.

Two listings *overlap* when all of these hold:

* same ``audience``;
* they share at least one need;
* their age ranges intersect (bounds are inclusive, ``None`` is an open bound);
* their territories intersect: same ATS and either covers the whole ATS (empty ``coverage``) or the coverage
  sets intersect; different ATS never overlap;
* their periods intersect: ``"all_year"`` intersects every period, and an empty ``periods`` set (no period
  stated) is treated like ``"all_year"``;
* the cosine similarity of their texts' TF-IDF vectors is at least ``min_similarity``.

Overlapping pairs are joined into groups, the connected components of the "overlaps" graph (union-find). A
group can therefore hold two listings that do not overlap with each other directly (A repeats B, B repeats C),
including a pair a manager already marked distinct: the pair itself is never an edge, but a third listing that
repeats both still brings them together, and the manager should see it.

Text similarity
    Italian text is normalised (casefold, accents stripped, anything but letters and digits is a separator),
    stop words are dropped (:data:`STOP_WORDS`, the most common Italian function words, elided forms
    included), single letters are dropped, and every word is cut to its first :data:`STEM_LENGTH` characters
    (a crude but robust stemmer: "educativo", "educativi", "educative" are one term). In
    :func:`find_overlaps` each text becomes a vector of ``tf * idf`` with raw term counts and the smoothed
    ``idf = ln((1 + N) / (1 + df)) + 1`` over the ``N`` listings passed in, so words that every listing uses
    weigh less than the words that set a listing apart; :func:`text_similarity` on its own has no collection
    and uses plain term counts.

Complexity
    With ``n`` listings of at most ``w`` words: tokenising and weighting is ``O(n * w)``. Listings are then
    split into blocks by ``(audience, ats, need)`` (a listing with ``k`` needs sits in ``k`` blocks), and a
    pair is only ever scored inside a block, so listings of different audiences, ATS or needs are never
    compared. Inside a block an inverted index (term -> listings seen so far) accumulates dot products only for
    pairs that share at least one term: the cost of a block is ``sum over its terms of df_t ** 2`` (``df_t``
    the number of the block's listings containing term ``t``), at most ``O(b ** 2 * w)`` for a block of ``b``
    listings where all share the same words, and close to ``O(b * w)`` when vocabularies differ. The rule
    checks run only on pairs above the threshold, and union-find is almost linear in the number of edges. With
    10,000 listings over 8 ATS, 3 audiences and tens of needs, blocks hold tens to a few hundred listings, so
    the work is a few million term operations instead of 50 million pairs.

Determinism
    Listings are processed in id order and terms in sorted order, so the output, floating point included, does
    not depend on the order of the input.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "REASONS",
    "STEM_LENGTH",
    "STOP_WORDS",
    "Listing",
    "Overlap",
    "find_overlaps",
    "terms",
    "text_similarity",
]

STEM_LENGTH = 6
ALL_YEAR = "all_year"

# Why a group is reported: every pair that joins a group meets every rule, so every group carries all of them.
REASONS: tuple[str, ...] = (
    "same_need",
    "ages_overlap",
    "territory_overlap",
    "periods_overlap",
    "similar_text",
)


def _strip_accents(text: str) -> str:
    """``text`` without combining marks ("perché" -> "perche")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_STOP_WORDS_TEXT = """
    a ad al alla alle allo ai agli all anche avere c che chi ci coi col come con contro cui d da dal dalla dalle
    dallo dai dagli dall degli dei del della delle dello dell di dove e ed essere è fra gli ha hanno ho i il in
    l la le lei lo loro lui ma mi ne negli nei nel nella nelle nello nell ni no noi non nostro o od ogni per
    perché più poi quale quali quando quanto quella quelle quelli quello questa queste questi questo s se
    si sia siamo siete sono sotto sta su sua sue sugli sui sul sulla sulle sull suo suoi tra tu tutti tutto un
    una uno vi voi è stato stata stati essere viene vengono può possono loro nostra nostri vostro
"""

# The most common Italian function words, accents stripped like the text they are matched against.
STOP_WORDS: frozenset[str] = frozenset(_strip_accents(_STOP_WORDS_TEXT.casefold()).split())

_WORD = re.compile(r"[^\W_]+")


def terms(text: str) -> list[str]:
    """The terms of an Italian ``text``: normalised words, stop words dropped, cut to :data:`STEM_LENGTH`."""
    words = _WORD.findall(_strip_accents(text.casefold()))
    return [
        word[:STEM_LENGTH] for word in words if word not in STOP_WORDS and (len(word) > 1 or word.isdigit())
    ]


@dataclass(frozen=True)
class Listing:
    """A published service listing, reduced to what decides whether it repeats another one."""

    id: int
    title: str
    text: str  # title + summary + description, Italian
    ats: str  # one of the 8 ATS names
    coverage: frozenset[str]  # ISTAT municipality codes; empty means the whole ATS
    needs: frozenset[str]  # need codes, e.g. "childcare_0_3", "after_school"
    age_min: int | None  # None: no lower bound
    age_max: int | None  # None: no upper bound
    periods: frozenset[str]  # "school_year", "summer", "christmas", "easter", "all_year"
    audience: str  # "persons", "companies" or "network"


@dataclass(frozen=True)
class Overlap:
    """A group of listings that repeat each other.

    ``ids`` are sorted; ``shared_needs`` are the needs shared by at least one overlapping pair of the group,
    sorted; ``similarity`` is the *lowest* text similarity among the overlapping pairs that hold the group
    together (its weakest link, so always at least ``min_similarity``); ``reasons`` are machine codes from
    :data:`REASONS`.
    """

    ids: tuple[int, ...]
    shared_needs: tuple[str, ...]
    similarity: float
    reasons: tuple[str, ...]


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two sparse vectors, summed in sorted term order; 0 if either is empty."""
    if len(a) > len(b):
        a, b = b, a
    dot = math.fsum(weight * b[term] for term, weight in sorted(a.items()) if term in b)
    norm_a = math.sqrt(math.fsum(weight * weight for weight in a.values()))
    norm_b = math.sqrt(math.fsum(weight * weight for weight in b.values()))
    if not dot or not norm_a or not norm_b:
        return 0.0
    return min(1.0, dot / (norm_a * norm_b))


def text_similarity(a: str, b: str) -> float:
    """Cosine similarity, 0..1, of the term-count vectors of two Italian texts (see :func:`terms`)."""
    return _cosine(Counter(terms(a)), Counter(terms(b)))


def _ages_overlap(a: Listing, b: Listing) -> bool:
    """Whether the inclusive age ranges intersect; ``None`` is an open bound."""
    low = max(
        a.age_min if a.age_min is not None else -math.inf, b.age_min if b.age_min is not None else -math.inf
    )
    high = min(
        a.age_max if a.age_max is not None else math.inf, b.age_max if b.age_max is not None else math.inf
    )
    return low <= high


def _territory_overlap(a: Listing, b: Listing) -> bool:
    """Same ATS, and either covers the whole ATS or the coverage sets intersect."""
    if a.ats != b.ats:
        return False
    return not a.coverage or not b.coverage or not a.coverage.isdisjoint(b.coverage)


def _periods_overlap(a: Listing, b: Listing) -> bool:
    """Whether the periods intersect; "all_year", or no period stated, intersects every period."""
    if not a.periods or not b.periods or ALL_YEAR in a.periods or ALL_YEAR in b.periods:
        return True
    return not a.periods.isdisjoint(b.periods)


def _rules_hold(a: Listing, b: Listing) -> bool:
    """Every rule but text similarity (which the caller has already checked)."""
    return (
        a.audience == b.audience
        and not a.needs.isdisjoint(b.needs)
        and _ages_overlap(a, b)
        and _territory_overlap(a, b)
        and _periods_overlap(a, b)
    )


def _unit_vectors(texts: list[list[str]]) -> list[list[tuple[str, float]]]:
    """TF-IDF vectors of tokenised texts, scaled to length 1, as ``(term, weight)`` lists in term order."""
    document_frequency: Counter[str] = Counter()
    counts = [Counter(words) for words in texts]
    for count in counts:
        document_frequency.update(count.keys())
    size = len(texts)
    idf = {term: math.log((1 + size) / (1 + df)) + 1 for term, df in document_frequency.items()}
    vectors = []
    for count in counts:
        weighted = sorted((term, tf * idf[term]) for term, tf in count.items())
        norm = math.sqrt(math.fsum(weight * weight for _, weight in weighted))
        vectors.append([(term, weight / norm) for term, weight in weighted] if norm else [])
    return vectors


def _similar_pairs(
    block: list[int], vectors: list[list[tuple[str, float]]], min_similarity: float
) -> Iterable[tuple[int, int, float]]:
    """Pairs ``(i, j, cosine)``, ``i < j``, of the listings in ``block`` (sorted indices) at least this similar.

    Only pairs that share a term are ever touched: each listing, in turn, meets the earlier listings through
    the postings of its own terms, which accumulate the dot products of unit vectors, i.e. the cosines.
    """
    postings: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
    for j in block:
        dots: defaultdict[int, float] = defaultdict(float)
        for term, weight in vectors[j]:
            entries = postings[term]
            for i, other in entries:
                dots[i] += weight * other
            entries.append((j, weight))
        for i, dot in dots.items():
            if dot >= min_similarity:
                yield i, j, min(1.0, dot)


class _UnionFind:
    """Disjoint sets over ``0..size-1`` with path halving and union by size."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size

    def find(self, item: int) -> int:
        """The representative of ``item``'s set."""
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        """Merge the sets of ``a`` and ``b``."""
        a, b = self.find(a), self.find(b)
        if a == b:
            return
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]


def find_overlaps(
    listings: Iterable[Listing],
    *,
    min_similarity: float = 0.35,
    ignore: Collection[frozenset[int]] = (),
) -> list[Overlap]:
    """Groups of listings that repeat each other, most similar first, then by ids.

    ``ignore`` holds pairs, as ``frozenset({id1, id2})``, a manager already marked distinct: they are never an
    overlapping pair (see the module docstring for what that means for groups). TF-IDF weights are computed over
    ``listings``. Raises ``ValueError`` for a repeated id or a ``min_similarity`` outside ``(0, 1]`` (texts
    that share no term have similarity 0 and are never compared).
    """
    if not 0 < min_similarity <= 1:
        raise ValueError(f"min_similarity must be in (0, 1], not {min_similarity!r}")
    ordered = sorted(listings, key=lambda listing: listing.id)
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if previous.id == current.id:
            raise ValueError(f"listing id {current.id} appears more than once")
    ignored = {frozenset(pair) for pair in ignore}
    vectors = _unit_vectors([terms(listing.text) for listing in ordered])

    blocks: defaultdict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, listing in enumerate(ordered):
        for need in sorted(listing.needs):
            blocks[(listing.audience, listing.ats, need)].append(index)

    seen: set[tuple[int, int]] = set()
    edges: list[tuple[int, int, float]] = []
    for key in sorted(blocks):
        for i, j, similarity in _similar_pairs(blocks[key], vectors, min_similarity):
            if (i, j) in seen:  # pairs sharing several needs meet in several blocks
                continue
            seen.add((i, j))
            a, b = ordered[i], ordered[j]
            if frozenset((a.id, b.id)) not in ignored and _rules_hold(a, b):
                edges.append((i, j, similarity))

    groups = _UnionFind(len(ordered))
    for i, j, _ in edges:
        groups.union(i, j)
    members: defaultdict[int, set[int]] = defaultdict(set)
    needs: defaultdict[int, set[str]] = defaultdict(set)
    weakest: dict[int, float] = {}
    for i, j, similarity in edges:
        root = groups.find(i)
        members[root].update((i, j))
        needs[root].update(ordered[i].needs & ordered[j].needs)
        weakest[root] = min(weakest.get(root, 1.0), similarity)

    overlaps = [
        Overlap(
            ids=tuple(sorted(ordered[index].id for index in members[root])),
            shared_needs=tuple(sorted(needs[root])),
            similarity=weakest[root],
            reasons=REASONS,
        )
        for root in members
    ]
    overlaps.sort(key=lambda overlap: (-overlap.similarity, overlap.ids))
    return overlaps
