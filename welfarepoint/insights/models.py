"""Anonymous counters: nothing here can point to a person (no IP, no session, no time finer than a week)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from welfarepoint.extensions import db


class SearchCount(db.Model):
    """How many searches of one normalised query, in one ISO week, found something or nothing."""

    __tablename__ = "search_count"
    __table_args__ = (UniqueConstraint("week", "query", "had_results", "ats"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), index=True)  # ISO week, e.g. "2026-W48"
    query: Mapped[str] = mapped_column(String(100))
    had_results: Mapped[bool] = mapped_column(Boolean)
    count: Mapped[int] = mapped_column(Integer, default=0)
    ats: Mapped[str] = mapped_column(String(40), default="")  # the ATS of the place searched; "" for none


class DemandCount(db.Model):
    """How many completed questionnaires, in one ISO week, asked for one need in one ATS, and with what outcome."""

    __tablename__ = "demand_count"
    __table_args__ = (
        UniqueConstraint("week", "ats", "municipality", "audience", "need", "outcome", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), index=True)
    ats: Mapped[str] = mapped_column(String(40), index=True)  # "" when no place was given
    audience: Mapped[str] = mapped_column(String(20))
    need: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(10))  # matched | unmet
    channel: Mapped[str] = mapped_column(String(10))  # web | desk
    count: Mapped[int] = mapped_column(Integer, default=0)
    #: The ISTAT code of the municipality the questionnaire was about ("" when none was given).
    municipality: Mapped[str] = mapped_column(String(6), default="")


class OverlapDecision(db.Model):
    """A manager's verdict on two listings found to repeat each other: ``distinct`` (leave both) or ``merged``."""

    __tablename__ = "overlap_decision"
    __table_args__ = (UniqueConstraint("first_id", "second_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))  # the smaller id
    second_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(10))
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
