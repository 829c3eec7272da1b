"""What the freshness e-mails leave behind: each listing's reminders (who was written to, when, who answered)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db

#: How a reminder was answered: the one-click "still correct", or the "needs changes" form.
ANSWERS = ("verified", "changes")


class Reminder(db.Model):
    """One listing named in one digest to one recipient (a provider account, or the listing's contact address).

    ``cycle`` is the listing's last check when the reminder was sent (ISO date, empty: never checked): a check
    starts a new cycle, and the reminders of the old one need no answer any more. ``round`` 1 is the first
    digest naming the listing, 2 the second reminder after no answer.
    """

    __tablename__ = "fresh_reminder"
    __table_args__ = (Index("ix_fresh_reminder_service_cycle", "service_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    cycle: Mapped[str] = mapped_column(String(10), default="")
    round: Mapped[int] = mapped_column(Integer, default=1)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    answer: Mapped[str] = mapped_column(String(20), default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return (
            f"<Reminder {self.service_id} {self.recipient} round {self.round} {self.answer or 'no answer'}>"
        )
