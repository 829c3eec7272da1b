"""Anonymous counters: nothing here can point to a person (no IP, no session, no time finer than a week)."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from welfarepoint.extensions import db


class SearchCount(db.Model):
    """How many searches of one normalised query, in one ISO week, found something or nothing."""

    __tablename__ = "search_count"
    __table_args__ = (UniqueConstraint("week", "query", "had_results"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), index=True)  # ISO week, e.g. "2026-W48"
    query: Mapped[str] = mapped_column(String(100))
    had_results: Mapped[bool] = mapped_column(Boolean)
    count: Mapped[int] = mapped_column(Integer, default=0)
