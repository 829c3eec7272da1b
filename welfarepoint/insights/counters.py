"""Increment the anonymous weekly counters (nothing else about a visitor is ever written)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update

from welfarepoint.extensions import db
from welfarepoint.insights.models import DemandCount, SearchCount

CHANNELS = ("web", "desk")


def iso_week(day: date) -> str:
    """The ISO week of ``day`` as ``YYYY-Www``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _add_one(model: Any, keys: list[dict[str, Any]]) -> None:
    """Add one to each counter row of ``model`` with these keys, creating rows as needed, and commit."""
    for attempt in (1, 2):
        for key in keys:
            conditions = [getattr(model, name) == value for name, value in key.items()]
            updated = db.session.execute(
                update(model).where(*conditions).values(count=model.count + 1)
            ).rowcount
            if not updated:
                db.session.add(model(**key, count=1))
        try:
            db.session.commit()
            return
        except Exception:
            # Another request created the same row at the same moment: count again on the row it made.
            db.session.rollback()
            if attempt == 2:
                raise


def count_search(normalised_query: str, had_results: bool, *, day: date | None = None) -> None:
    """Add one to the counter of this query in this week."""
    if normalised_query:
        week = iso_week(day or date.today())
        _add_one(SearchCount, [{"week": week, "query": normalised_query, "had_results": had_results}])


def count_questionnaire(
    audience: str, ats: str, needs_outcomes: dict[str, str], channel: str = "web", *, day: date | None = None
) -> None:
    """Add one completed questionnaire: one count per need asked, with its outcome (matched or unmet)."""
    week = iso_week(day or date.today())
    channel = channel if channel in CHANNELS else "web"
    keys = [
        {"week": week, "ats": ats, "audience": audience, "need": need, "outcome": outcome, "channel": channel}
        for need, outcome in needs_outcomes.items()
    ]
    _add_one(DemandCount, keys)
