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
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db
from welfarepoint.insights.counters import iso_week
from welfarepoint.insights.models import DemandCount, SearchCount
from welfarepoint.insights.suppression import SuppressedTable, suppress

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


@dataclass(frozen=True)
class Gap:
    """A territory and need where families asked and found nothing, against what the catalog offers."""

    ats: str
    need: str
    unmet: int
    asked: int
    supply: int


def gaps(ats: str | None, period: Period) -> tuple[list[Gap], int]:
    """Territory x need ranked by unmet demand (then by scarce supply); and how many were left out because
    their counts are too small to show."""
    unmet: dict[tuple[str, str], int] = defaultdict(int)
    asked: dict[tuple[str, str], int] = defaultdict(int)
    for row_ats, need, outcome, total in _demand(ats, period):
        if not row_ats:
            continue
        asked[(row_ats, need)] += int(total)
        if outcome == "unmet":
            unmet[(row_ats, need)] += int(total)
    supply: dict[str, dict[str, int]] = {}
    shown, hidden = [], 0
    for (row_ats, need), count in unmet.items():
        if count < threshold(need) or asked[(row_ats, need)] < threshold(need):
            hidden += 1
            continue
        if row_ats not in supply:
            supply[row_ats] = supply_by_need(row_ats)
        shown.append(Gap(row_ats, need, count, asked[(row_ats, need)], supply[row_ats].get(need, 0)))
    shown.sort(key=lambda gap: (-gap.unmet, gap.supply, gap.ats, gap.need))
    return shown, hidden


def weekly_demand(ats: str | None, period: Period, today: date | None = None) -> list[tuple[str, int]]:
    """Completed questionnaires' requests per week (true counts: the caller hides the small ones)."""
    query = db.select(DemandCount.week, func.sum(DemandCount.count)).where(
        DemandCount.week >= period.first, DemandCount.week <= period.last
    )
    if ats:
        query = query.where(DemandCount.ats == ats)
    counts = dict(db.session.execute(query.group_by(DemandCount.week)).all())
    return [(week, int(counts.get(week, 0))) for week in period.week_labels(today)]


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
