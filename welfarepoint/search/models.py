"""The ``search_synonym`` table: groups of the people's vocabulary curated in the backend by region
administrators, beside the shipped ``synonyms.txt`` (which stays the default)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Mapped, mapped_column

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db


class SearchSynonym(db.Model):
    """One group, written like a line of ``synonyms.txt`` ("[summer_closure] cred | centro ricreativo")."""

    __tablename__ = "search_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    line: Mapped[str] = mapped_column(String(1000))
    author: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)


def vocabulary_version() -> tuple:
    """Which curated groups there are: changes with any addition, change or removal, seen by every process at
    its next search (one tiny query)."""
    try:
        row = db.session.execute(
            select(
                func.count(SearchSynonym.id), func.max(SearchSynonym.updated_at), func.sum(SearchSynonym.id)
            )
        ).one()
    except (OperationalError, ProgrammingError):  # the database is not set up yet
        db.session.rollback()
        return ()
    return (row[0], str(row[1]), row[2]) if row[0] else ()


def curated_lines() -> str:
    """Every curated group, one per line."""
    return "\n".join(db.session.execute(select(SearchSynonym.line).order_by(SearchSynonym.id)).scalars())
