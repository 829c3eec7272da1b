"""Users, the record of their sign-ins, and the record of what was done to each account (invitations, roles)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db

ROLES = ("admin", "ats_manager", "alliance_editor", "provider")
#: The languages an account's e-mails are written in.
LOCALES = ("it", "en")


class User(UserMixin, db.Model):
    """A curator: ``admin`` (whole region), ``ats_manager`` (one ATS), ``alliance_editor`` (one alliance) or
    ``provider`` (the listings of one organisation, an ente gestore).

    An account invited by e-mail has no password (``password_hash`` empty) until its owner sets one from the
    link: it is *invited* and cannot sign in.
    """

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

    # --- helper "accounts", issue 25 points 2-3 (migration 0018) ---
    #: When the account was (last) invited, and by whom; a new invitation makes the older links useless.
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    invited_by: Mapped[str] = mapped_column(String(200), default="", server_default="")

    alliance = relationship("Alliance")
    organisation = relationship("Organisation")

    @property
    def invited(self) -> bool:
        """Whether the account waits for its owner to set a password from the invitation."""
        return not self.password_hash

    @property
    def state(self) -> str:
        """``disabled``, ``invited`` or ``active``."""
        return "disabled" if not self.active else "invited" if self.invited else "active"

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


class AccountAct(db.Model):
    """One act on an account, recorded for the managers of its territory: who did what to whom, and when.

    ``action``: ``invite``, ``accept`` (the invitation was used), ``role`` (role or territory changed),
    ``disable``, ``enable``, ``reset_requested``, ``reset`` (a new password from a reset link), ``password``
    (changed on the preferences page), ``preferences``. ``details`` holds the before and after of a change.
    ``ats`` is the territory of the account at that moment: an ATS manager sees the acts of its ATS.
    """

    __tablename__ = "account_act"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    actor: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    ats: Mapped[str | None] = mapped_column(String(40), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
