"""Create and change accounts, and sign people in with throttling and a record of every attempt."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from welfarepoint import territory
from welfarepoint.accounts.models import ROLES, AuthEvent, User
from welfarepoint.accounts.passwords import hash_password, problem_with, verify
from welfarepoint.catalog.models import Alliance, now_utc
from welfarepoint.extensions import db

log = logging.getLogger(__name__)

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
#: Checked when the e-mail is unknown, so that a wrong address takes as long as a wrong password. Written out
#: (``hash_password("not-a-real-password-just-for-timing")``) rather than computed at import: scrypt allocates
#: 128 × n × r bytes for a moment, and every public worker imports this module and never signs anyone in.
_DUMMY_HASH = (
    "scrypt:32768:8:1$wr3gpYcVtIpfYcSe$17fe444830bc1108c79d9c2a5a66f29e413dd6cf59035c4b067a77d302cfe7b1977330a7c93af8c"
    "68ac09893978328d0fc70053c34275f26d0c49972195856a4"
)


def active_user(user_id: str) -> User | None:
    """The account of a session (its id as text), if it still exists and is active."""
    user = db.session.get(User, int(user_id)) if user_id.isdecimal() else None
    return user if user is not None and user.active else None


class AccountError(Exception):
    """A refused account change or sign-in, with a message for the person."""

    def __init__(self, message: Any, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def normalise_email(email: str) -> str:
    """E-mail addresses compare without case and surrounding spaces."""
    return (email or "").strip().lower()[:200]


def find_user(email: str) -> User | None:
    """The account with this e-mail address, if any."""
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def create_user(
    email: str,
    password: str,
    role: str,
    *,
    name: str = "",
    ats: str | None = None,
    alliance: str | None = None,
) -> User:
    """Add an account with its role and territory; the caller commits."""
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError(_l("“%(value)s” is not an e-mail address.", value=email))
    if find_user(email) is not None:
        raise AccountError(_l("An account for %(email)s already exists.", email=email))
    if role not in ROLES:
        raise AccountError(_l("The role must be one of: %(roles)s.", roles=", ".join(ROLES)))
    ats_name = territory.ats_by_name(ats) if ats else None
    alliance_row = None
    if role == "ats_manager":
        if ats_name is None:
            raise AccountError(
                _l("An ATS manager needs an ATS: one of %(names)s.", names=", ".join(territory.ATS_NAMES))
            )
    elif role == "alliance_editor":
        alliance_row = db.session.execute(
            db.select(Alliance).where(func.lower(Alliance.name) == (alliance or "").strip().lower())
        ).scalar_one_or_none()
        if alliance_row is None:
            raise AccountError(_l("An alliance editor needs the exact name of an existing alliance."))
        ats_name = alliance_row.ats
    if problem := problem_with(password, email):
        raise AccountError(problem)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        ats=ats_name if role != "admin" else None,
        alliance_id=alliance_row.id if alliance_row else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace the password (checked against the rules); the caller commits."""
    if problem := problem_with(password, user.email):
        raise AccountError(problem)
    user.password_hash = hash_password(password)


def set_active(user: User, active: bool) -> None:
    """Enable or disable an account (a disabled account cannot sign in)."""
    user.active = active


def record(email: str, event: str, address: str) -> None:
    """Write an authentication event (and log it); never a password."""
    db.session.add(AuthEvent(email=normalise_email(email), event=event, address=(address or "")[:64]))
    log.info("auth %s for %s from %s", event, normalise_email(email), address)


def _recent_failures(**where: str) -> int:
    since = now_utc() - FAILURE_WINDOW
    query = db.select(func.count(AuthEvent.id)).where(AuthEvent.event == "failure", AuthEvent.at >= since)
    for name, value in where.items():
        query = query.where(getattr(AuthEvent, name) == value)
    return db.session.execute(query).scalar_one()


def authenticate(email: str, password: str, address: str) -> User:
    """Return the account if the password is right; else AccountError (401, or 429 when throttled)."""
    email = normalise_email(email)
    if (
        _recent_failures(email=email) >= MAX_FAILURES_PER_ACCOUNT
        or _recent_failures(address=address) >= MAX_FAILURES_PER_ADDRESS
    ):
        record(email, "throttled", address)
        db.session.commit()
        raise AccountError(
            _l(
                "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                minutes=FAILURE_WINDOW.seconds // 60,
            ),
            429,
        )
    user = find_user(email)
    valid = verify(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not valid or not user.active:
        record(email, "failure", address)
        db.session.commit()
        raise AccountError(_l("The e-mail address or the password is not right."), 401)
    user.last_login_at = now_utc()
    record(email, "login", address)
    db.session.commit()
    return user
