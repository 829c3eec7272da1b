"""Increment the anonymous weekly counters (nothing else about a visitor is ever written).

Search counters are buffered per process and written together every ``COUNTER_FLUSH_SECONDS`` (10 by
default), so a busy site does not write to the database on every search; a process that stops writes what it
holds (at most those seconds of counts can be lost if it is killed). Questionnaire counters are written at
once: a completed questionnaire is rare and its count is what the networks plan with.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import UniqueConstraint
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from welfarepoint.extensions import db
from welfarepoint.insights.models import DemandCount, SearchCount

CHANNELS = ("web", "desk")
log = logging.getLogger(__name__)


def iso_week(day: date) -> str:
    """The ISO week of ``day`` as ``YYYY-Www``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _add(model: Any, keys: list[tuple[dict[str, Any], int]]) -> None:
    """Add to each counter row of ``model`` with these keys, creating rows as needed, and commit.

    One ``INSERT ... ON CONFLICT DO UPDATE`` per row (SQLite and PostgreSQL both have it): two processes creating
    the same row at the same moment both count, and neither fails.
    """
    columns = [
        constraint for constraint in model.__table__.constraints if isinstance(constraint, UniqueConstraint)
    ]
    key_columns = [column.name for column in columns[0].columns]
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key, amount in keys:
        statement = insert(model).values(**key, count=amount)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=key_columns, set_={"count": model.count + statement.excluded["count"]}
            )
        )
    db.session.commit()


_pending: Counter[tuple[str, str, bool, str]] = Counter()
_pending_since: float | None = None
_pending_lock = threading.Lock()


def count_search(normalised_query: str, had_results: bool, *, ats: str = "", day: date | None = None) -> None:
    """Add one to the counter of this query in this week and ``ats`` (the ATS of the place searched, "" for
    none), written with the next flush."""
    global _pending_since
    if not normalised_query:
        return
    week = iso_week(day or date.today())
    with _pending_lock:
        _pending[(week, normalised_query, had_results, ats or "")] += 1
        if _pending_since is None:
            _pending_since = time.monotonic()
        due = time.monotonic() - _pending_since >= current_app.config.get("COUNTER_FLUSH_SECONDS", 10)
    if due:
        try:
            flush_counts()
        except SQLAlchemyError:  # the visitor's search stands; the counts wait for the next flush
            log.exception("The search counters could not be written; they are kept for the next flush.")


def flush_counts() -> int:
    """Write the buffered search counts of this process; return how many counters were written."""
    global _pending_since
    with _pending_lock:
        batch = dict(_pending)
        _pending.clear()
        _pending_since = None
    if batch:
        try:
            _add(
                SearchCount,
                [
                    ({"week": week, "query": query, "had_results": had_results, "ats": ats}, amount)
                    for (week, query, had_results, ats), amount in sorted(batch.items())
                ],
            )
        except SQLAlchemyError:
            db.session.rollback()
            with _pending_lock:  # nothing was written: keep the counts for the next flush
                _pending.update(batch)
                if _pending_since is None:
                    _pending_since = time.monotonic()
            raise
    return len(batch)


def flush_at_exit(app) -> None:
    """Write what this process still holds when it stops."""

    def flush() -> None:
        if _pending:
            with app.app_context():
                flush_counts()

    atexit.register(flush)


def count_questionnaire(
    audience: str,
    ats: str,
    needs_outcomes: dict[str, str],
    channel: str = "web",
    *,
    municipality: str = "",
    day: date | None = None,
) -> None:
    """Add one completed questionnaire: one count per need asked, with its outcome (matched or unmet), in the
    ATS and the municipality (ISTAT code, "" when none was given) it was about."""
    week = iso_week(day or date.today())
    channel = channel if channel in CHANNELS else "web"
    keys = [
        {
            "week": week,
            "ats": ats,
            "municipality": municipality or "",
            "audience": audience,
            "need": need,
            "outcome": outcome,
            "channel": channel,
        }
        for need, outcome in needs_outcomes.items()
    ]
    _add(DemandCount, [(key, 1) for key in keys])
