"""What fits a permalink: the same search or the same matching as its results page, all of its pages.

Nothing here is stored: a feed runs it at each request (kept a while per process, until the catalog, the
vocabulary or the day changes), an alert's job once per alert.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from welfarepoint import search, territory
from welfarepoint.alerts.permalinks import Permalink
from welfarepoint.bounded import Bounded
from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db
from welfarepoint.matching import profile_from
from welfarepoint.matching.runner import run_questionnaire
from welfarepoint.search_params import parse_search_args
from welfarepoint.vocabulary import synonyms

#: Entries of a feed (the latest changes first) and listings named in one alert message.
FEED_ENTRIES = 30
#: Listings read at a time, the most recently changed first, while looking for a feed's entries.
SCAN_BATCH = 500
#: Characters of a search's text named in a feed's title and the messages (what a stranger can make a request
#: to confirm say to someone else's address is kept short).
TEXT_SHOWN = 60

_fitting = Bounded(256)


def fitting_ids(permalink: Permalink, language: str) -> list[int]:
    """The ids of the published listings the results page of ``permalink`` finds, on all its pages."""
    key = (search.generation(), synonyms.version(), date.today(), permalink, language)
    found = _fitting.get(key)
    return found if found is not None else _fitting.put(key, _find(permalink, language))


def _find(permalink: Permalink, language: str) -> list[int]:
    args = permalink.args()
    if permalink.audience is None:
        parsed = parse_search_args(args)
        return search.fitting_ids(
            parsed.text, parsed.filters, language=language, read_place=parsed.read_place
        )
    _profile, _errors, result = run_questionnaire(args, permalink.audience, language)
    return [match.offer.id for match in result.matches]


def latest(ids: list[int], limit: int = FEED_ENTRIES) -> list[Service]:
    """Of the published listings ``ids``, the ``limit`` changed last, the latest first."""
    if not ids:
        return []
    wanted = set(ids)
    recent = (
        select(Service).where(Service.status == "published").order_by(Service.updated_at.desc(), Service.id)
    )
    if len(wanted) <= SCAN_BATCH:
        rows = db.session.execute(recent.where(Service.id.in_(wanted)).limit(limit))
        return list(rows.unique().scalars())
    found: list[Service] = []
    offset = 0
    while len(found) < limit:
        batch = list(db.session.execute(recent.offset(offset).limit(SCAN_BATCH)).unique().scalars())
        found += [service for service in batch if service.id in wanted]
        if len(batch) < SCAN_BATCH:
            break
        offset += SCAN_BATCH
    return found[:limit]


def describe(permalink: Permalink, language: str) -> str:
    """What a permalink asks, in a few words of ``language`` ("Summer camps · Sondrio")."""
    args = permalink.args()
    parts: list[str] = []
    if permalink.audience is None:
        parsed = parse_search_args(args)
        if parsed.text:
            parts.append(f"“{parsed.text[:TEXT_SHOWN]}”")
        if parsed.place is not None:
            parts.append(parsed.place.name)
        elif parsed.filters.municipality:
            place = territory.by_istat(parsed.filters.municipality)
            parts.append(place.name if place else parsed.filters.municipality)
        if parsed.filters.ats:
            parts.append(f"ATS {parsed.filters.ats}")
        parts += [taxonomy.label("categories", code, language) for code in parsed.filters.categories]
        if parsed.filters.audience:
            parts.append(taxonomy.label("audiences", parsed.filters.audience, language))
        return " · ".join(parts)
    profile = profile_from(args, permalink.audience)[0]
    parts += [_need_words(code, permalink.audience, language) for code in profile.needs]
    parts += list(dict.fromkeys(place.municipality.name for place in profile.places))
    return " · ".join(parts)


def _need_words(code: str, audience: str, language: str) -> str:
    if audience == "companies":
        return taxonomy.need_plain_words(code, language)[0]
    return taxonomy.label("needs", code, language)
