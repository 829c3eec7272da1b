"""An e-mail alert (avviso): only the address, the permalink it follows, the language and four dates."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db


class Alert(db.Model):
    """A visitor's request to be told by e-mail of new or changed listings that fit a search or a questionnaire.

    Nothing but what the privacy notice says is kept: the address, the permalink (the results page's address),
    the page's language, and when it was asked, confirmed, last sent and last renewed. An alert is deleted when
    its person unsubscribes, when it is not confirmed within 7 days and when it is not renewed for 12 months
    (:mod:`welfarepoint.alerts.operations`).
    """

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    permalink: Mapped[str] = mapped_column(String(2000))
    locale: Mapped[str] = mapped_column(String(5), default="it")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The end of the last stretch of catalog changes the alert was sent (its next message covers what changed
    #: after it); set to the confirmation when confirmed.
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    renewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<Alert {self.id} {'confirmed' if self.confirmed_at else 'waiting'}>"


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC with its time zone (SQLite gives naive UTC times back)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def stamp(moment: datetime | None) -> int:
    """``moment`` as whole seconds since 1970 (0 for none): what signed links and mail keys name it by."""
    return int(aware(moment).timestamp()) if moment is not None else 0
