"""Demand against supply, from the anonymous counters and the published catalog.

Demand is what completed questionnaires asked for (``DemandCount``: week x ATS x need x outcome); supply is
what the published listings answer (a listing answers a need of its ATS when the need is among its codes).
Every count shown to anyone goes through :mod:`welfarepoint.insights.suppression` first: counts below 5 (10
for care and disability needs) are never published, and neither is anything that would reveal them.

Retention: the counters are weekly and anonymous; they are kept for ``RETENTION_WEEKS`` (104 weeks, two
three-year-plan cycles of comparison are not needed beyond that) and the search terms for
``SEARCH_RETENTION_WEEKS`` (52): ``flask insights purge`` deletes older rows and is meant to run weekly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func

from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.models import Alliance, Service, ServiceCoverage
from welfarepoint.extensions import db
from welfarepoint.insights.counters import iso_week
from welfarepoint.insights.models import DemandCount, SearchCount
from welfarepoint.insights.suppression import (
    Cell,
    SuppressedCounts,
    SuppressedTable,
    suppress,
    suppress_counts,
)

RETENTION_WEEKS = 104
SEARCH_RETENTION_WEEKS = 52
THRESHOLD = 5
SENSITIVE_THRESHOLD = 10


def threshold(need: str) -> int:
    """The smallest count of ``need`` that may be published."""
    return SENSITIVE_THRESHOLD if taxonomy.is_sensitive_need(need) else THRESHOLD


@dataclass(frozen=True)
class Period:
    """Whole ISO weeks from ``first`` to ``last`` (as ``YYYY-Www`` text, which sorts in time order)."""

    first: str
    last: str
    weeks: int

    @classmethod
    def last_weeks(cls, weeks: int, today: date | None = None) -> Period:
        """The ``weeks`` weeks ending with the current one."""
        today = today or date.today()
        return cls(iso_week(today - timedelta(weeks=weeks - 1)), iso_week(today), weeks)

    def week_labels(self, today: date | None = None) -> list[str]:
        """Every week of the period, oldest first."""
        today = today or date.today()
        return [iso_week(today - timedelta(weeks=back)) for back in range(self.weeks - 1, -1, -1)]


def _demand(ats: str | None, period: Period):
    query = db.select(
        DemandCount.ats, DemandCount.need, DemandCount.outcome, func.sum(DemandCount.count)
    ).where(DemandCount.week >= period.first, DemandCount.week <= period.last)
    if ats:
        query = query.where(DemandCount.ats == ats)
    return db.session.execute(query.group_by(DemandCount.ats, DemandCount.need, DemandCount.outcome)).all()


def needs_in_use(audience: str | None = None) -> tuple[str, ...]:
    """The need codes a questionnaire can ask about, in taxonomy order."""
    return taxonomy.need_codes(audience)


def demand_by_need(ats: str | None, period: Period) -> SuppressedTable:
    """Questionnaire requests per need (rows) and outcome (found something / found nothing), suppressed."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for _ats, need, outcome, total in _demand(ats, period):
        counts[(need, outcome)] += int(total)
    needs = list(needs_in_use())
    values = [[counts[(need, "matched")], counts[(need, "unmet")]] for need in needs]
    thresholds = [[threshold(need)] * 2 for need in needs]
    return suppress(needs, ["matched", "unmet"], values, thresholds)


def demand_by_need_and_ats(period: Period, outcome: str) -> SuppressedTable:
    """Requests per need (rows) and ATS (columns) with one outcome, suppressed: the open data tables.

    The open data publishes one table per outcome and never their sum: each table protects only itself, and
    a published sum beside its parts would let one subtract a hidden cell out of the others. Questionnaires
    that gave no place count in no ATS column (and so in no total): the tables are about territories.
    """
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for ats, need, row_outcome, total in _demand(None, period):
        if row_outcome == outcome:
            counts[(need, ats)] += int(total)
    needs = list(needs_in_use())
    columns = list(territory.ATS_NAMES)
    values = [[counts[(need, ats)] for ats in columns] for need in needs]
    thresholds = [[threshold(need)] * len(columns) for need in needs]
    return suppress(needs, columns, values, thresholds)


def supply_by_need(ats: str | None) -> dict[str, int]:
    """How many published listings answer each need (in one ATS, or in the region)."""
    query = db.select(Service.needs).where(Service.status == "published")
    if ats:
        query = query.where(Service.ats == ats)
    counts: dict[str, int] = defaultdict(int)
    for needs in db.session.execute(query).scalars():
        for need in needs or ():
            counts[need] += 1
    return dict(counts)


def supply_by_category(ats: str | None) -> list[tuple[str, int]]:
    """Published listings per category (supply is public: no suppression needed)."""
    query = db.select(Service.category, func.count(Service.id)).where(Service.status == "published")
    if ats:
        query = query.where(Service.ats == ats)
    counts = dict(db.session.execute(query.group_by(Service.category)).all())
    return [(code, counts.get(code, 0)) for code in taxonomy.codes("categories")]


def supply_by_ats_and_category() -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Published listings per ATS (rows) and category (columns), for the region's comparison."""
    counts = {
        (ats, category): count
        for ats, category, count in db.session.execute(
            db.select(Service.ats, Service.category, func.count(Service.id))
            .where(Service.status == "published")
            .group_by(Service.ats, Service.category)
        ).all()
    }
    categories = list(taxonomy.codes("categories"))
    return categories, [
        (ats, [counts.get((ats, code), 0) for code in categories]) for ats in territory.ATS_NAMES
    ]


def zero_result_searches(period: Period, limit: int = 20) -> list[tuple[str, int]]:
    """Searches that found nothing, most frequent first; only those made at least ``THRESHOLD`` times."""
    total = func.sum(SearchCount.count)
    rows = db.session.execute(
        db.select(SearchCount.query, total)
        .where(
            SearchCount.had_results.is_(False),
            SearchCount.week >= period.first,
            SearchCount.week <= period.last,
        )
        .group_by(SearchCount.query)
        .having(total >= THRESHOLD)
        .order_by(total.desc(), SearchCount.query)
        .limit(limit)
    ).all()
    return [(query, int(count)) for query, count in rows]


def purge(today: date | None = None) -> dict[str, int]:
    """Delete counters older than the retention periods; return how many rows went."""
    today = today or date.today()
    demand_limit = iso_week(today - timedelta(weeks=RETENTION_WEEKS))
    search_limit = iso_week(today - timedelta(weeks=SEARCH_RETENTION_WEEKS))
    demand = db.session.execute(delete(DemandCount).where(DemandCount.week < demand_limit)).rowcount
    searches = db.session.execute(delete(SearchCount).where(SearchCount.week < search_limit)).rowcount
    return {"demand_count": demand, "search_count": searches}


# --- insights for a network's meeting (issue 24 point 6) ---------------------------------------------------


def week_start(week: str) -> date:
    """The Monday of an ISO week (``2026-W49`` -> 30 November 2026)."""
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def month_of_week(week: str) -> date:
    """The first day of the month an ISO week (``2026-W49``) counts in: the month of its Thursday, as ISO 8601
    places a week in the year of its Thursday."""
    year, number = week.split("-W")
    thursday = date.fromisocalendar(int(year), int(number), 4)
    return thursday.replace(day=1)


def months(period: Period, today: date | None = None) -> list[date]:
    """The months the weeks of ``period`` count in, oldest first (first days of the months)."""
    return sorted({month_of_week(week) for week in period.week_labels(today)})


def _threshold_of(needs: list[str]) -> int:
    """The threshold of a count that adds up requests of several needs: the strictest of them."""
    return max((threshold(need) for need in needs), default=THRESHOLD)


def _wanted_needs(need: str | None) -> list[str]:
    return [need] if need else list(needs_in_use())


def monthly_demand(
    ats: str | None, period: Period, need: str | None = None, today: date | None = None
) -> tuple[list[date], SuppressedCounts]:
    """Requests per month (every month of the period, zeros included), suppressed like any published count."""
    query = db.select(DemandCount.week, func.sum(DemandCount.count)).where(
        DemandCount.week >= period.first, DemandCount.week <= period.last
    )
    if ats:
        query = query.where(DemandCount.ats == ats)
    if need:
        query = query.where(DemandCount.need == need)
    every = months(period, today)
    counts = {month.isoformat(): 0 for month in every}
    for week, total in db.session.execute(query.group_by(DemandCount.week)).all():
        counts[month_of_week(week).isoformat()] = counts.get(month_of_week(week).isoformat(), 0) + int(total)
    return every, suppress_counts(counts, _threshold_of(_wanted_needs(need)))


def _outcomes_by(key, ats: str | None, period: Period, need: str | None) -> dict[tuple[str, str], int]:
    query = db.select(key, DemandCount.outcome, func.sum(DemandCount.count)).where(
        DemandCount.week >= period.first, DemandCount.week <= period.last
    )
    if ats:
        query = query.where(DemandCount.ats == ats)
    if need:
        query = query.where(DemandCount.need == need)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row_key, outcome, total in db.session.execute(query.group_by(key, DemandCount.outcome)).all():
        counts[(row_key or "", outcome)] += int(total)
    return counts


def demand_by_municipality(ats: str | None, period: Period, need: str | None = None) -> SuppressedTable:
    """Requests per municipality (rows: ISTAT codes of the municipalities with any request, by name; "" for
    questionnaires that gave no place) and outcome (found something, found nothing), suppressed."""
    counts = _outcomes_by(DemandCount.municipality, ats, period, need)
    codes = sorted({code for code, _outcome in counts}, key=lambda code: (not code, _place_name(code)))
    values = [[counts.get((code, "matched"), 0), counts.get((code, "unmet"), 0)] for code in codes]
    return suppress(codes, ["matched", "unmet"], values, _threshold_of(_wanted_needs(need)))


def _place_name(code: str) -> str:
    place = territory.by_istat(code) if code else None
    return place.name if place else code


def alliance_areas(ats: str | None) -> dict[str, set[str] | None]:
    """The municipalities each alliance (by name) serves: those its published listings cover; None when one of
    them covers its whole ATS."""
    query = (
        db.select(Alliance.name, Service.id)
        .join(Service, Service.alliance_id == Alliance.id)
        .where(Service.status == "published")
    )
    if ats:
        query = query.where(Alliance.ats == ats)
    listings: dict[str, list[int]] = defaultdict(list)
    for name, service_id in db.session.execute(query).all():
        listings[name].append(service_id)
    coverage: dict[int, set[str]] = defaultdict(set)
    ids = [service_id for ids in listings.values() for service_id in ids]
    if ids:
        for service_id, code in db.session.execute(
            db.select(ServiceCoverage.service_id, ServiceCoverage.municipality_code).where(
                ServiceCoverage.service_id.in_(ids)
            )
        ).all():
            coverage[service_id].add(code)
    areas: dict[str, set[str] | None] = {}
    for name in sorted(listings):
        area: set[str] | None = set()
        for service_id in listings[name]:
            if not coverage[service_id]:
                area = None
                break
            area |= coverage[service_id]
        areas[name] = area
    return areas


def demand_by_alliance(ats: str | None, period: Period, need: str | None = None) -> SuppressedTable:
    """Requests per alliance (rows, by name) and outcome: the requests about the municipalities the alliance's
    listings serve. An area served by two alliances counts in both, so the rows do not add up to the ATS."""
    alliance_ats = dict(db.session.execute(db.select(Alliance.name, Alliance.ats)).all())
    by_place: dict[tuple[str, str, str], int] = defaultdict(int)
    query = db.select(
        DemandCount.ats, DemandCount.municipality, DemandCount.outcome, func.sum(DemandCount.count)
    ).where(DemandCount.week >= period.first, DemandCount.week <= period.last)
    if ats:
        query = query.where(DemandCount.ats == ats)
    if need:
        query = query.where(DemandCount.need == need)
    grouped = query.group_by(DemandCount.ats, DemandCount.municipality, DemandCount.outcome)
    for row_ats, code, outcome, total in db.session.execute(grouped).all():
        by_place[(row_ats, code or "", outcome)] += int(total)
    areas = alliance_areas(ats)
    names = list(areas)
    values = []
    for name in names:
        area = areas[name]
        row = [0, 0]
        for (row_ats, code, outcome), total in by_place.items():
            if row_ats != alliance_ats.get(name) or (area is not None and code not in area):
                continue
            row[0 if outcome == "matched" else 1] += total
        values.append(row)
    return suppress(names, ["matched", "unmet"], values, _threshold_of(_wanted_needs(need)))


@dataclass(frozen=True)
class GapRow:
    """A territory and need where somebody asked and found nothing: the counts as the needs table of that ATS
    shows them (``unmet`` its "found nothing" cell, ``asked`` its row total), and the listings answering."""

    ats: str
    need: str
    unmet: Cell
    asked: Cell
    supply: int


def gap_table(ats: str | None, period: Period) -> list[GapRow]:
    """Every territory and need where somebody asked and found nothing, none left out: small counts carry the
    labels ("<5", "<10", "*") of the ATS's own needs table (:func:`demand_by_need`), so this table publishes
    nothing that one does not. Shown counts first, most unmet first (fewer listings first when equal); rows
    whose count is hidden follow in the taxonomy's order, so their place tells nothing."""
    rows: list[GapRow] = []
    for name in [ats] if ats else territory.ATS_NAMES:
        table = demand_by_need(name, period)
        supply = None
        for index, need in enumerate(table.rows):
            unmet = table.cells[index][1]
            if unmet.value == 0:
                continue
            if supply is None:
                supply = supply_by_need(name)
            rows.append(GapRow(name, need, unmet, table.row_totals[index], supply.get(need, 0)))
    order = {need: index for index, need in enumerate(needs_in_use())}
    rows.sort(
        key=lambda row: (
            (row.unmet.hidden, -(row.unmet.value or 0), row.supply if not row.unmet.hidden else 0)
            + (territory.ATS_NAMES.index(row.ats), order.get(row.need, 0))
        )
    )
    return rows


def zero_result_searches_by_ats(
    period: Period, ats: str | None = None, limit: int = 20
) -> list[tuple[str, list[tuple[str, int]], int]]:
    """Per ATS (one, or the eight and "" for searches without a place): the searches that found nothing made
    at least ``THRESHOLD`` times, most frequent first, and how many other searches that found nothing were
    made fewer times (their words are never shown: a rare search can name a person)."""
    total = func.sum(SearchCount.count)
    query = (
        db.select(SearchCount.ats, SearchCount.query, total)
        .where(
            SearchCount.had_results.is_(False),
            SearchCount.week >= period.first,
            SearchCount.week <= period.last,
        )
        .group_by(SearchCount.ats, SearchCount.query)
    )
    if ats:  # an ATS's own searches, and those that named no place (they may come from anywhere)
        query = query.where(SearchCount.ats.in_((ats, "")))
    shown: dict[str, list[tuple[str, int]]] = defaultdict(list)
    rare: dict[str, int] = defaultdict(int)
    for row_ats, text, count in db.session.execute(query).all():
        if int(count) >= THRESHOLD:
            shown[row_ats or ""].append((text, int(count)))
        else:
            rare[row_ats or ""] += 1
    names = [ats, ""] if ats else [*territory.ATS_NAMES, ""]
    return [
        (name, sorted(shown[name], key=lambda item: (-item[1], item[0]))[:limit], rare[name])
        for name in names
    ]
