"""What a search is asked and what it answers: plain values, no Whoosh or NumPy (cached results are shared
by a process's threads and kept long after the searcher that found them is closed)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from markupsafe import Markup

from welfarepoint import territory
from welfarepoint.paging import page_count


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to. Empty values mean "any"."""

    audience: str | None = None
    categories: tuple[str, ...] = ()
    ats: str | None = None
    municipality: str | None = None
    #: A place of several municipalities as ``territory.resolve_place`` reads it ("Valtellina", "SO").
    area: str | None = None
    age: int | None = None
    free_only: bool = False
    period: str | None = None

    def without(self, name: str) -> Filters:
        """The same filters less one facet's own (for counts that show what choosing another value gives)."""
        key = {"category": "categories", "cost": "free_only"}.get(name, name)
        return replace(self, **{key: getattr(Filters, key)})


@dataclass(frozen=True)
class Widening:
    """A wider search than the one that found nothing: ``kind`` "ats" or "region", its text, filters and count."""

    kind: str
    name: str
    text: str
    filters: Filters
    count: int


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
    #: The place read from the text (a ``territory.Place``), and the text without it.
    place: territory.Place | None = None
    place_text: str | None = None
    #: Found with only some of the words (these); the words naming something outside the networks.
    partial: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()
    #: The need codes (or categories) the text named.
    needs: tuple[str, ...] = ()
    #: Welfare Points that match, apart from the services (with ``desks_apart``).
    desks: list[Hit] = field(default_factory=list)
    #: When nothing is found in a place: the wider searches, the nearest first.
    widenings: tuple[Widening, ...] = ()
    #: The index generation it was found in (what caches of anything drawn from it key on).
    generation: tuple = ()
    #: The text had no word to look for (signs, emoji, only words like "the"): every listing is shown.
    unread: bool = False

    @property
    def wider(self) -> Widening | None:
        """The nearest wider search that finds something."""
        return next((w for w in self.widenings if w.count), None)

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)
