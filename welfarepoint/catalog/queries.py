"""Read-only questions the public pages, the API and the backend ask of the catalog.

The backend's questions about one account's territory (its listings page, dashboard and queues) are in
:mod:`welfarepoint.accounts.scope`, built on :func:`overdue` here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import date
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Date, Row, Select, bindparam, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from welfarepoint import territory
from welfarepoint.catalog.models import Alliance, Organisation, Service, ServiceCoverage
from welfarepoint.extensions import db
from welfarepoint.paging import page_within

WELFARE_POINT_CATEGORY = "W1"
#: The columns of a listing that matching reads (with its coverage).
OFFER_COLUMNS = (
    "id", "audience", "category", "needs", "ats", "age_min", "age_max",
    "company_sizes", "periods", "cost", "languages", "availability", "municipality_code",
)  # fmt: skip


def published_services(ids: Iterable[int]) -> list[Service]:
    """The published listings with these ids, in the order given (missing ones left out)."""
    ids = list(ids)
    if not ids:
        return []
    rows = db.session.execute(db.select(Service).where(Service.id.in_(ids), Service.status == "published"))
    by_id = {service.id: service for service in rows.unique().scalars()}
    return [by_id[service_id] for service_id in ids if service_id in by_id]


#: The columns of a listing its card shows (:mod:`welfarepoint.public.cards`), besides its provider and coverage.
CARD_COLUMNS = (
    "id", "slug", "category", "title", "title_en", "summary", "summary_en", "description_en", "channel", "ats",
    "municipality_code", "age_min", "age_max", "age_of", "cost", "cost_cents", "cost_period", "cost_notes",
    "cost_notes_en", "hours", "schedule_notes", "enrolment_deadline", "enrolment_opens", "steps", "steps_en",
    "phone", "email", "availability",
)  # fmt: skip


class CardListing(SimpleNamespace):
    """A published listing read as the columns of its card, with ``provider.name`` and ``coverage_codes``; its
    texts and cost read as a :class:`Service`'s do (the same functions)."""

    text = Service.text
    texts = Service.texts
    cost_amount = Service.cost_amount


def listings_for_cards(ids: Iterable[int]) -> list[CardListing]:
    """The published listings with these ids as their cards show them, in the order given (missing ones left
    out): two queries of plain columns, no ORM objects (a results page reads ten of them for every search)."""
    ids = list(ids)
    if not ids:
        return []
    listings = _card_queries()[0]
    by_id: dict[int, CardListing] = {}
    rows = db.session.execute(listings, {"ids": ids}).all()
    coverage = _coverage_of(db.session, [row.id for row in rows])
    for row in rows:
        values = row._asdict()
        provider = SimpleNamespace(name=values.pop("provider_name"))
        by_id[row.id] = CardListing(**values, provider=provider, coverage_codes=coverage.get(row.id, []))
    return [by_id[service_id] for service_id in ids if service_id in by_id]


def _coverage_of(session: Any, ids: list[int]) -> dict[int, list[str]]:
    """The municipalities each of the listings ``ids`` covers, in order, by listing (none: not in it)."""
    coverage: dict[int, list[str]] = {}
    for service_id, code in session.execute(_card_queries()[1], {"ids": ids}) if ids else ():
        coverage.setdefault(service_id, []).append(code)
    return coverage


@cache
def _card_queries() -> tuple[Select, Select]:
    """The queries of :func:`listings_for_cards` (its listings; their coverage, also :func:`_coverage_of`'s),
    built once: Core statements of table columns, whose rows are not made into ORM objects (``ids`` is bound at
    each execution)."""
    listing, provider, covered = Service.__table__.c, Organisation.__table__.c, ServiceCoverage.__table__.c
    ids = bindparam("ids", expanding=True)
    listings = (
        select(*(listing[name] for name in CARD_COLUMNS), provider.name.label("provider_name"))
        .join_from(Service.__table__, Organisation.__table__, provider.id == listing.provider_id)
        .where(listing.id.in_(ids), listing.status == "published")
    )
    coverage = (
        select(covered.service_id, covered.municipality_code)
        .where(covered.service_id.in_(ids))
        .order_by(covered.service_id, covered.municipality_code)
    )
    return listings, coverage


def service_by_slug(slug: str) -> Service | None:
    """The listing at ``/services/<slug>``, whatever its status (the page says whether it is active)."""
    return db.session.execute(db.select(Service).where(Service.slug == slug)).unique().scalar_one_or_none()


def published_service_by_uuid(uuid: str) -> Service | None:
    """A published listing by its public UUID."""
    return (
        db.session.execute(db.select(Service).where(Service.uuid == uuid, Service.status == "published"))
        .unique()
        .scalar_one_or_none()
    )


#: What the Welfare Points page shows of a desk.
DESK_COLUMNS = (
    "id", "slug", "title", "title_en", "ats", "address", "municipality_code", "schedule_notes", "phone", "email",
)  # fmt: skip


def welfare_points(
    ats: str | None = None, near: str | None = None, page: int = 1, per_page: int = 24
) -> tuple[list[SimpleNamespace], int, int]:
    """A page of the published Welfare Points (desks), of one ATS or all, by ATS then title; nearest first to
    ``near``: (the page's desks, how many there are, the page shown: the last one when ``page`` is beyond it).

    Only the page's desks are read in full, as columns: with every listing of a country a catalog can hold
    thousands of desks (5,846 at 100,000 listings).
    """
    total = db.session.execute(_desks(ats, func.count()).order_by(None)).scalar_one()
    page = page_within(page, total, per_page)
    return _desks_between(ats, near, (page - 1) * per_page, per_page, DESK_COLUMNS), total, page


def nearest_desks(
    ats: str | None, near: str | None, limit: int, places: list[Row] | None = None
) -> list[SimpleNamespace]:
    """The ``limit`` published Welfare Points of ``ats`` (or all) nearest to municipality ``near`` (else by ATS
    and title): what a results page names of them (address, title, phone, municipality), read as columns.

    ``places`` are :func:`desk_places`, when the caller keeps them while the catalog stays the same; else
    they are read.
    """
    names = ("id", "slug", "title", "phone", "municipality_code")
    if places is None or territory.by_istat(near or "") is None:
        return _desks_between(ats, near, 0, limit, names)
    chosen = [row.id for row in _nearest_first([p for p in places if not ats or p.ats == ats], near)[:limit]]
    return _desks_by_id(chosen, names)


def desk_places() -> list[Row]:
    """Every published Welfare Point as (id, ats, municipality_code), by ATS then title: what choosing the
    nearest ones needs (:func:`nearest_desks`)."""
    return list(db.session.execute(_desks(None, Service.id, Service.ats, Service.municipality_code)))


def _desks_between(
    ats: str | None, near: str | None, offset: int, limit: int, names: Iterable[str]
) -> list[SimpleNamespace]:
    """``limit`` desks from the ``offset``-th, in the order of :func:`_desks` or nearest first to ``near``.

    Nearest first needs every desk's municipality, not the rest of it: the page's ids are chosen from those,
    then only the page's desks are read in full.
    """
    if territory.by_istat(near or "") is None:
        columns = [getattr(Service, name) for name in names]
        rows = db.session.execute(_desks(ats, *columns).offset(offset).limit(limit))
        return [SimpleNamespace(**row._asdict()) for row in rows]
    places = db.session.execute(_desks(ats, Service.id, Service.municipality_code)).all()
    return _desks_by_id([row.id for row in _nearest_first(places, near)[offset : offset + limit]], names)


def _desks_by_id(chosen: list[int], names: Iterable[str]) -> list[SimpleNamespace]:
    """The desks ``chosen``, in that order, as the columns ``names``."""
    columns = [getattr(Service, name) for name in names]
    found = {
        row.id: SimpleNamespace(**row._asdict())
        for row in db.session.execute(db.select(*columns).where(Service.id.in_(chosen)))
    }
    return [found[desk_id] for desk_id in chosen if desk_id in found]


def _desks(ats: str | None, *columns: Any):
    """The query of the published Welfare Points of ``ats`` (or all), by ATS then title (then id: many desks
    share a title)."""
    query = db.select(*columns).where(
        Service.category == WELFARE_POINT_CATEGORY, Service.status == "published"
    )
    if ats:
        query = query.where(Service.ats == ats)
    return query.order_by(Service.ats, Service.title, Service.id)


def _nearest_first(desks: list, near: str | None) -> list:
    """``desks`` (anything with a ``municipality_code``) nearest first to municipality ``near``, if known."""
    origin = territory.by_istat(near or "")
    if origin is None:
        return desks

    def distance(desk: Any) -> float:
        place = territory.by_istat(desk.municipality_code or "")
        return territory.distance_km(origin, place) if place else float("inf")

    return sorted(desks, key=distance)


def count_published() -> int:
    """How many listings the public can find."""
    return db.session.execute(
        db.select(func.count(Service.id)).where(Service.status == "published")
    ).scalar_one()


def organisations_with_published_services(page: int, per_page: int) -> tuple[list[Organisation], int]:
    """Organisations that provide at least one published listing, by name, paginated; and their total."""
    providers = db.select(Service.provider_id).where(Service.status == "published").distinct()
    query = db.select(Organisation).where(Organisation.id.in_(providers)).order_by(Organisation.name)
    total = db.session.execute(db.select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(query.offset((page - 1) * per_page).limit(per_page)).unique().scalars()
    return list(rows), total


def organisation_by_uuid(uuid: str) -> Organisation | None:
    """An organisation by its public UUID, if it provides a published listing."""
    providers = db.select(Service.provider_id).where(Service.status == "published")
    return (
        db.session.execute(
            db.select(Organisation).where(Organisation.uuid == uuid, Organisation.id.in_(providers))
        )
        .unique()
        .scalar_one_or_none()
    )


def published_services_of(organisation: Organisation) -> list[Service]:
    """The published listings an organisation provides."""
    return list(
        db.session.execute(
            db.select(Service)
            .where(Service.provider_id == organisation.id, Service.status == "published")
            .order_by(Service.title)
        )
        .unique()
        .scalars()
    )


def published_for_audience(audience: str) -> Iterator[SimpleNamespace]:
    """What matching needs of every published listing for ``persons`` or ``companies``: plain values, one
    listing at a time.

    Read as columns, not as ORM objects, and handed over one by one: a worker keeps what matching makes of these
    for every questionnaire, and holding 100,000 listings' rows at once would make its peak memory.
    """
    published = (Service.audience == audience) & (Service.status == "published")
    coverage: dict[int, list[str]] = {}
    covered = (
        db.select(ServiceCoverage.service_id, ServiceCoverage.municipality_code)
        .join(Service, Service.id == ServiceCoverage.service_id)
        .where(published)
        .order_by(ServiceCoverage.service_id, ServiceCoverage.municipality_code)
        .execution_options(yield_per=5000)  # the ORM would hold every row at once
    )
    for service_id, code in db.session.execute(covered):
        coverage.setdefault(service_id, []).append(sys.intern(code))  # a code per row: 1,500 in all
    columns = [getattr(Service, name) for name in OFFER_COLUMNS]
    query = db.select(*columns).where(published).order_by(Service.id).execution_options(yield_per=2000)
    for row in db.session.execute(query):
        yield SimpleNamespace(**row._asdict(), coverage_codes=coverage.pop(row.id, []))


#: The columns of a listing its search document reads (:func:`welfarepoint.search.schema.document`), besides
#: its provider's and alliance's names and its coverage.
INDEX_COLUMNS = (
    "id", "version", "title", "summary", "description", "title_en", "summary_en", "description_en", "audience",
    "category", "needs", "tags", "ats", "age_min", "age_max", "periods", "schedule_notes", "cost", "cost_notes",
    "cost_notes_en", "how_to_access", "how_to_access_en", "municipality_code", "availability",
)  # fmt: skip


def published_for_index(session: Any, ids: Iterable[int] | None = None) -> Iterator[SimpleNamespace]:
    """Every published listing (or those among ``ids``), by id, as its search document reads it: the columns of
    :data:`INDEX_COLUMNS`, ``provider.name``, ``alliance.name`` (or no ``alliance``) and ``coverage_codes``.

    Plain columns, not ORM objects: a rebuild reads every listing, and making each an ORM object cost it four
    times the time of the columns, on the cores Whoosh's writers need. A batch's listings are read before their
    coverage: a listing changed between the two reads is read with its older version, which the next comparison
    of versions (:func:`welfarepoint.search.sync`, ``catch_up``) writes again (read the other way round, a
    listing published meanwhile would be read with no coverage and its current version, and never repaired).
    """
    listing = Service.__table__.c
    organisation, alliance = Organisation.__table__.c, Alliance.__table__.c
    published = listing.status == "published"
    if ids is None:
        ids = session.execute(select(listing.id).where(published)).scalars()
    wanted = sorted(set(ids))
    listings = (
        select(
            *(listing[name] for name in INDEX_COLUMNS),
            organisation.name.label("provider_name"),
            alliance.name.label("alliance_name"),
        )
        .join_from(Service.__table__, Organisation.__table__, organisation.id == listing.provider_id)
        .outerjoin(Alliance.__table__, alliance.id == listing.alliance_id)
        .order_by(listing.id)
    )
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        rows = session.execute(listings.where(published, listing.id.in_(batch))).all()
        coverage = _coverage_of(session, [row.id for row in rows])
        for row in rows:
            values = row._asdict()
            provider, alliance_name = values.pop("provider_name"), values.pop("alliance_name")
            yield SimpleNamespace(
                **values,
                provider=SimpleNamespace(name=provider),
                alliance=SimpleNamespace(name=alliance_name) if alliance_name is not None else None,
                coverage_codes=coverage.get(row.id, []),
            )


# --- verification due dates, in SQL ------------------------------------------------------------------------


class day_number(FunctionElement):
    """``day_number(day)``: a date as a value that a number of days can be added to and compared with.

    PostgreSQL adds days to a date (the value is the date itself); SQLite keeps dates as ISO text, so it is
    the date's Julian day number there (arithmetic on numbers, not on text).
    """

    name = "day_number"
    inherit_cache = True


@compiles(day_number)
def _day_number(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"


def review_due() -> ColumnElement:
    """The SQL of :meth:`Service.review_due`, as a :class:`day_number` (NULL if never verified)."""
    return day_number(Service.last_verified) + Service.review_interval_days


def overdue(today: date) -> ColumnElement[bool]:
    """The SQL of :meth:`Service.is_overdue`: never verified, or due before ``today``."""
    return or_(Service.last_verified.is_(None), review_due() < day_number(literal(today, Date)))
