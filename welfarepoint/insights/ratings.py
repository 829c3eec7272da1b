"""The page rating ("Quanto sono chiare le informazioni su questa pagina?"), counted anonymously.

One row per page, ISO week and score (1 to 5) with how many times it was given: no address, no session, no time
finer than a week, like every counter of :mod:`welfarepoint.insights`. Managers read the counts of their
territory's pages with small-cell suppression (:func:`welfarepoint.insights.suppression.suppress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, String, UniqueConstraint, func, update
from sqlalchemy.orm import Mapped, mapped_column

from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db
from welfarepoint.insights.counters import iso_week
from welfarepoint.insights.suppression import SuppressedTable, suppress

SCORES = (1, 2, 3, 4, 5)


class PageRating(db.Model):
    """How many visitors gave one score to one page in one ISO week."""

    __tablename__ = "page_rating"
    __table_args__ = (UniqueConstraint("week", "page", "score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), index=True)
    #: The page's path ("/services/pre-scuola-a-sondrio").
    page: Mapped[str] = mapped_column(String(200), index=True)
    score: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)


def count_rating(page: str, score: int, *, day: date | None = None) -> None:
    """Add one to the counter of ``score`` for ``page`` this week, and commit (ValueError for a bad score)."""
    if score not in SCORES:
        raise ValueError(score)
    week = iso_week(day or date.today())
    key = {"week": week, "page": page[:200], "score": score}
    for attempt in (1, 2):
        updated = db.session.execute(
            update(PageRating)
            .where(*(getattr(PageRating, name) == value for name, value in key.items()))
            .values(count=PageRating.count + 1)
        ).rowcount
        if not updated:
            db.session.add(PageRating(**key, count=1))
        try:
            db.session.commit()
            return
        except Exception:
            # Another request created the same row at the same moment: count again on the row it made.
            db.session.rollback()
            if attempt == 2:
                raise


@dataclass(frozen=True)
class RatingsReport:
    """The ratings of a territory's service pages since a week: titles by page, and the suppressed table."""

    titles: dict[str, str]
    table: SuppressedTable | None


def service_ratings(ats: str | None, since: date) -> RatingsReport:
    """The scores given to the service pages of ``ats`` (None: the region) from the week of ``since`` on."""
    rows = db.session.execute(
        db.select(PageRating.page, PageRating.score, func.sum(PageRating.count))
        .where(PageRating.week >= iso_week(since), PageRating.page.like("/services/%"))
        .group_by(PageRating.page, PageRating.score)
    ).all()
    slugs = {page.removeprefix("/services/") for page, _score, _count in rows}
    query = db.select(Service.slug, Service.title).where(Service.slug.in_(slugs))
    if ats:
        query = query.where(Service.ats == ats)
    titles = {f"/services/{slug}": title for slug, title in db.session.execute(query)}
    pages = sorted(titles, key=lambda page: titles[page].casefold())
    if not pages:
        return RatingsReport(titles, None)
    counts = {(page, score): int(count) for page, score, count in rows}
    values = [[counts.get((page, score), 0) for score in SCORES] for page in pages]
    return RatingsReport(titles, suppress(pages, [str(score) for score in SCORES], values))
