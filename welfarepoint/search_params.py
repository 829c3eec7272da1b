"""Read the public search parameters from a query string, checking every value.

Shared by the ``/search`` page and the ``/api/v1/services`` endpoint so both understand the same addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.search.querying import place_filters
from welfarepoint.search.results import Filters
from welfarepoint.vocabulary.text import age_from_text, normalise_query

MAX_PAGE = 1000
MAX_PER_PAGE = 100


class Args(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[str]: ...


@dataclass
class SearchRequest:
    """A parsed search: the text, the filters, the page, and a message for every value not understood."""

    text: str
    filters: Filters
    page: int = 1
    per_page: int = 10
    errors: dict[str, Any] = field(default_factory=dict)
    municipality_suggestions: list[territory.Municipality] = field(default_factory=list)
    #: The place field as typed and the place it names (a comune, an area, a province, an ATS, Lombardy).
    place_input: str = ""
    place: territory.Place | None = None
    #: Whether a place named in the text may be read as one (``noplace=1``: the visitor said it is not).
    read_place: bool = True
    #: Filters understood but set aside, each with why (an ATS ticked that the place given is not in).
    set_aside: dict[str, Any] = field(default_factory=dict)


def whole_number(value: str) -> int | None:
    """``value`` as a whole number (a minus sign allowed), or None when it is not one or has more than 9 digits.

    ``isdecimal``, not ``isdigit``: "²" is a digit that ``int`` refuses.
    """
    value = (value or "").strip()
    if not value or not value.lstrip("-").isdecimal() or len(value) > 9:
        return None
    return int(value)


def parse_search_args(
    args: Args, *, text_param: str = "q", default_per_page: int = 10, per_page_param: str | None = None
) -> SearchRequest:
    """Parse ``args``; values not understood are left out of the filters and explained in ``errors``."""
    errors: dict[str, Any] = {}
    text = normalise_query(args.get(text_param) or "")

    audience = (args.get("audience") or "").strip() or None
    if audience and audience not in taxonomy.codes("audiences"):
        errors["audience"] = _l("Unknown audience “%(value)s”.", value=audience[:40])
        audience = None

    categories: list[str] = []
    for code in args.getlist("category"):
        code = code.strip().upper()
        if not code:
            continue
        if code not in taxonomy.codes("categories"):
            errors["category"] = _l("Unknown category “%(value)s”.", value=code[:40])
        elif code not in categories:
            categories.append(code)

    ats = None
    if raw_ats := (args.get("ats") or "").strip():
        ats = territory.ats_by_name(raw_ats)
        if ats is None:
            errors["ats"] = _l("Unknown ATS “%(value)s”.", value=raw_ats[:40])

    municipality = None
    suggestions: list[territory.Municipality] = []
    if raw_place := (args.get("municipality") or "").strip():
        place = territory.find(raw_place[:80])
        if place is None:
            suggestions = territory.suggest(raw_place[:80], limit=5)
            errors["municipality"] = _l(
                "No Lombardy municipality is called “%(value)s”.", value=raw_place[:80]
            )
        else:
            municipality = place.istat_code

    age = None
    if raw_age := (args.get("age") or "").strip():
        age = age_from_text(raw_age)  # "8", "8 anni", "otto"
        if age is None or not 0 <= age <= 120:
            errors["age"] = _l("The age must be a whole number between 0 and 120.")
            age = None

    free_only = False
    if raw_cost := (args.get("cost") or "").strip():
        if raw_cost == "free":
            free_only = True
        else:
            errors["cost"] = _l("The only cost filter is “free”.")

    period = (args.get("period") or "").strip() or None
    if period and period not in taxonomy.codes("periods"):
        errors["period"] = _l("Unknown period “%(value)s”.", value=period[:40])
        period = None

    page = 1
    if raw_page := (args.get("page") or "").strip():
        number = whole_number(raw_page)
        if number is None or not 1 <= number <= MAX_PAGE:
            errors["page"] = _l("The page must be a whole number between 1 and %(max)s.", max=MAX_PAGE)
        else:
            page = number

    per_page = default_per_page
    if per_page_param and (raw := (args.get(per_page_param) or "").strip()):
        number = whole_number(raw)
        if number is None or not 1 <= number <= MAX_PER_PAGE:
            errors[per_page_param] = _l(
                "The page size must be a whole number between 1 and %(max)s.", max=MAX_PER_PAGE
            )
        else:
            per_page = number

    filters = Filters(
        audience=audience,
        categories=tuple(categories),
        ats=ats,
        municipality=municipality,
        age=age,
        free_only=free_only,
        period=period,
    )
    place_input = " ".join((args.get("place") or "").split())[:80]
    place = None
    if place_input and not municipality:
        match = territory.resolve_place(place_input)
        place = match.place
        if place is not None and place.in_lombardy:
            filters = place_filters(filters, place)
        elif place is not None:
            errors["place"] = _l(
                "%(place)s is outside Lombardy: Welfare Point lists the services of Lombardy.",
                place=place.name,
            )
            place = None
        else:
            options = match.candidates or match.suggestions
            suggestions = [p.municipality for p in options if p.municipality is not None][:5]
            errors["place"] = _l("We do not know a place called “%(value)s” in Lombardy.", value=place_input)
    read_place = (args.get("noplace") or "") != "1"
    set_aside = {}
    # An ATS still ticked from an earlier search, and a place typed since that is not (all) in it: the place
    # wins (a place that is itself an ATS has already taken the filter's place).
    named = territory.by_istat(municipality) if municipality else place
    atses = {named.ats} if municipality else place.atses if place else set()
    if ats and atses and atses != {ats}:
        set_aside["ats"] = _l(
            "%(place)s is not in ATS %(ats)s: that filter is set aside.", place=named.name, ats=ats
        )
        if filters.ats == ats:
            filters = replace(filters, ats=None)
    return SearchRequest(
        text,
        filters,
        page,
        per_page,
        errors,
        suggestions,
        place_input,
        place,
        read_place=read_place,
        set_aside=set_aside,
    )
