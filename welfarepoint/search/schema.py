"""The index schema and how a published listing becomes an index document."""

from __future__ import annotations

from typing import Any

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema

from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.search.analysis import analyzer
from welfarepoint.vocabulary.text import fold, words

#: Text fields searched, with the analyzer language of each ("it" or "en").
TEXT_FIELDS = {
    "title": "it", "summary": "it", "tags": "it", "body": "it",
    "title_en": "en", "summary_en": "en", "body_en": "en", "places": "plain",
}  # fmt: skip
#: Fields whose stored text is highlighted on result pages.
HIGHLIGHT_FIELDS = ("title", "summary", "title_en", "summary_en")
MAX_INDEXED_AGE = 100


def build_schema() -> Schema:
    it, en, plain = analyzer("it"), analyzer("en"), analyzer("plain")
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        version=ID(stored=True, sortable=True),
        # Text fields keep word counts, not positions: the search never asks for a phrase (see querying.py).
        title=TEXT(analyzer=it, stored=True, field_boost=3.0, phrase=False),
        summary=TEXT(analyzer=it, stored=True, field_boost=1.5, phrase=False),
        tags=TEXT(analyzer=it, field_boost=2.0, phrase=False),
        body=TEXT(analyzer=it, phrase=False),
        title_en=TEXT(analyzer=en, stored=True, field_boost=2.5, phrase=False),
        summary_en=TEXT(analyzer=en, stored=True, field_boost=1.2, phrase=False),
        body_en=TEXT(analyzer=en, phrase=False),
        places=TEXT(analyzer=plain, field_boost=0.5, phrase=False),
        # The words of a listing's short fields as written, once each: the vocabulary of spelling suggestions.
        spell=KEYWORD(lowercase=False, scorable=False),
        # What a listing answers (its need codes and category) and whether it has places (find: ranking).
        needs=KEYWORD(scorable=True),
        availability=ID(sortable=True),
        audience=ID(sortable=True),
        category=ID(sortable=True),
        ats=ID(sortable=True),
        cost=ID(sortable=True),
        periods=KEYWORD(),
        period_set=ID(sortable=True),
        coverage=KEYWORD(),
        # Ages served as two columns (not indexed: a filter compares them once per segment and age).
        age_min=COLUMN(NumericColumn("B", default=0)),
        age_max=COLUMN(NumericColumn("B", default=MAX_INDEXED_AGE)),
    )


def ats_token(ats: str) -> str:
    """The coverage token of a whole ATS."""
    return "ats:" + "-".join(fold(ats).split())


def clamp_age(age: int | None, default: int = 0) -> int:
    """An age as the columns hold it (None: ``default``; 100 stands for 100 and over)."""
    return min(max(default if age is None else age, 0), MAX_INDEXED_AGE)


def document(service: Any) -> dict[str, Any]:
    """The index document of a published service (a :class:`welfarepoint.catalog.models.Service`)."""
    needs_it = " ".join(taxonomy.label("needs", code, "it") for code in service.needs)
    needs_en = " ".join(taxonomy.label("needs", code, "en") for code in service.needs)
    covered = [place for code in service.coverage_codes if (place := territory.by_istat(code))]
    location = territory.by_istat(service.municipality_code) if service.municipality_code else None
    place_names = [place.name for place in covered] or [service.ats]
    place_names += [location.name] if location else []
    notes = [service.description, service.how_to_access, service.cost_notes, service.schedule_notes]
    alliance = service.alliance.name if service.alliance else ""
    body = " ".join([*notes, service.provider.name, alliance, needs_it])
    body_en = " ".join([service.description_en, service.how_to_access_en, service.cost_notes_en, needs_en])
    short_texts = [service.title, service.summary, *service.tags, service.title_en, service.summary_en]
    periods = service.periods or ["all_year"]
    return {
        "id": str(service.id),
        "version": str(service.version),
        "title": service.title,
        "summary": service.summary,
        # A free listing says so in its short fields too, so that "gratis" or "free" meets it cheaply.
        "tags": " ".join([*service.tags, *(["gratuito", "free"] if service.cost == "free" else [])]),
        "body": body,
        "title_en": service.title_en,
        "summary_en": service.summary_en,
        "body_en": body_en,
        "places": " ".join(place_names),
        # Short fields only: their words are what searches name; a word found only in descriptions is found
        # as typed (a correction is offered only when a search finds nothing).
        "spell": " ".join(sorted(set(words(" ".join(short_texts))))),
        "needs": " ".join([*service.needs, service.category]),
        "availability": service.availability or "open",
        "audience": service.audience,
        "category": service.category,
        "ats": service.ats,
        "cost": service.cost,
        "periods": " ".join(periods),
        "period_set": " ".join(periods),
        "coverage": " ".join([place.istat_code for place in covered] or [ats_token(service.ats)]),
        "age_min": clamp_age(service.age_min),
        "age_max": clamp_age(service.age_max, MAX_INDEXED_AGE),
    }
