"""A message on its way: queued with the change that causes it, then sent (or written to the outbox) once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db

#: A message's life: ``queued`` (due at ``next_attempt_at``), ``sending`` (claimed by one sender), ``sent``, or
#: ``failed`` (given up after ``MAIL_GIVE_UP_HOURS``: the outbox page says why).
STATUSES = ("queued", "sending", "sent", "failed")


class MailMessage(db.Model):
    """One e-mail to one recipient, rendered when it was queued, in the recipient's language."""

    __tablename__ = "mail_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Set by the caller to queue a message only once ("digest:<user>:<day>"); unique when set.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="it")
    template: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    #: Extra headers (``List-Unsubscribe``...), already checked for line breaks.
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)

    def __repr__(self) -> str:
        return f"<MailMessage {self.id} {self.template} {self.status}>"
