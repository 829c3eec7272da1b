"""Users and the record of their sign-ins."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db

ROLES = ("admin", "ats_manager", "alliance_editor")


class User(UserMixin, db.Model):
    """A curator: ``admin`` (whole region), ``ats_manager`` (one ATS) or ``alliance_editor`` (one alliance)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    ats: Mapped[str | None] = mapped_column(String(40))
    alliance_id: Mapped[int | None] = mapped_column(ForeignKey("alliance.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Written into the session at sign-in (see :meth:`get_id`); raising it ends every session of the account.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The language of the e-mails the account receives ("it" or "en").
    locale: Mapped[str] = mapped_column(String(5), default="it", server_default="it")
    #: The organisation a provider's account works for (the role ``provider``); empty for the other roles.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )

    alliance = relationship("Alliance")
    organisation = relationship("Organisation")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the account and its session version, ``"<id>:<version>"``."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class AuthEvent(db.Model):
    """One sign-in, failed sign-in, refusal or sign-out: who, what, when and from which address."""

    __tablename__ = "auth_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    email: Mapped[str] = mapped_column(String(200), index=True)
    event: Mapped[str] = mapped_column(String(30))
    address: Mapped[str] = mapped_column(String(64), index=True)
