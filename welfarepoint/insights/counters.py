"""Increment the anonymous weekly counters."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from welfarepoint.extensions import db
from welfarepoint.insights.models import SearchCount


def iso_week(day: date) -> str:
    """The ISO week of ``day`` as ``YYYY-Www``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def count_search(normalised_query: str, had_results: bool, *, day: date | None = None) -> None:
    """Add one to the counter of this query in this week (and commit: a counter is its own transaction)."""
    if not normalised_query:
        return
    week = iso_week(day or date.today())
    key = (
        SearchCount.week == week,
        SearchCount.query == normalised_query,
        SearchCount.had_results == had_results,
    )
    updated = db.session.execute(update(SearchCount).where(*key).values(count=SearchCount.count + 1)).rowcount
    if not updated:
        db.session.add(SearchCount(week=week, query=normalised_query, had_results=had_results, count=1))
    try:
        db.session.commit()
    except Exception:
        # Two requests created the same row at once: the other one won; count on it.
        db.session.rollback()
        db.session.execute(update(SearchCount).where(*key).values(count=SearchCount.count + 1))
        db.session.commit()
