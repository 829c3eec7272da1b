"""Create and change accounts, and sign people in with throttling and a record of every attempt."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from welfarepoint import territory
from welfarepoint.accounts.models import ROLES, AuthEvent, User
from welfarepoint.accounts.passwords import hash_password, problem_with, verify
from welfarepoint.catalog.models import Alliance, now_utc
from welfarepoint.extensions import db

log = logging.getLogger(__name__)

#: Failed sign-ins are counted over this window, per (account, address) pair and per address.
FAILURE_WINDOW = timedelta(minutes=15)
#: After this many failures of one pair, each next attempt from that address must wait, twice as long each time.
SLOW_DOWN_AFTER = 3
SLOW_DOWN_STEP = timedelta(seconds=30)
#: After this many failures of one pair, that address cannot sign in to that account until the window has passed
#: (or an admin runs ``flask users unlock``); the account still signs in from any other address.
LOCK_AFTER = 5
#: After this many failures from one address, whatever the accounts, that address is refused (only that address).
MAX_FAILURES_PER_ADDRESS = 20
#: The event recorded when a pair is locked: what a mail job reads to tell the account's owner.
LOCKED_EVENT = "locked"
#: Checked when the e-mail is unknown, so that a wrong address takes as long as a wrong password. Written out
#: (``hash_password("not-a-real-password-just-for-timing")``) rather than computed at import: scrypt allocates
#: 128 × n × r bytes for a moment, and every public worker imports this module and never signs anyone in.
_DUMMY_HASH = (
    "scrypt:32768:8:1$wr3gpYcVtIpfYcSe$17fe444830bc1108c79d9c2a5a66f29e413dd6cf59035c4b067a77d302cfe7b1977330a7c93af8c"
    "68ac09893978328d0fc70053c34275f26d0c49972195856a4"
)


def active_user(session_id: str) -> User | None:
    """The account of a session (``"<id>:<version>"``, see ``User.get_id``), if it still exists, is active and
    the session's version is still the account's: sign-out, a new password, disabling the account and "sign out
    everywhere" raise the version, and every copy of an older session cookie is then signed out."""
    user_id, _, version = (session_id or "").partition(":")
    if not (user_id.isdecimal() and version.isdecimal()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """Sign the account out everywhere: every session started before this is refused; the caller commits."""
    user.session_version = (user.session_version or 0) + 1


class AccountError(Exception):
    """A refused account change or sign-in, with a message for the person."""

    def __init__(self, message: Any, status: int = 400, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        #: Seconds to wait before trying again (a refusal because of too many failures): the Retry-After header.
        self.retry_after = retry_after


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
    end_sessions(user)


def set_active(user: User, active: bool) -> None:
    """Enable or disable an account (a disabled account cannot sign in, and its sessions end)."""
    user.active = active
    if not active:
        end_sessions(user)


def record(email: str, event: str, address: str) -> None:
    """Write an authentication event (and log it); never a password."""
    db.session.add(AuthEvent(email=normalise_email(email), event=event, address=(address or "")[:64]))
    log.info("auth %s for %s from %s", event, normalise_email(email), address)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC


def _recent_failures(email: str | None, address: str) -> list[datetime]:
    """When the failures of the window happened, newest first: of the (email, address) pair, or of the address.

    For a pair, only failures after the account's last admin unlock count.
    """
    since = now_utc() - FAILURE_WINDOW
    query = db.select(AuthEvent.at).where(
        AuthEvent.event == "failure", AuthEvent.address == address, AuthEvent.at >= since
    )
    if email is not None:
        unlocked = db.session.execute(
            db.select(func.max(AuthEvent.at)).where(AuthEvent.email == email, AuthEvent.event == "unlock")
        ).scalar_one()
        if unlocked is not None:
            query = query.where(AuthEvent.at > unlocked)
        query = query.where(AuthEvent.email == email)
    return [_aware(at) for at in db.session.execute(query.order_by(AuthEvent.at.desc())).scalars()]


def wait_before_attempt(email: str, address: str) -> timedelta:
    """How long this address must still wait before trying a password for this account (zero: it may try now).

    Counted per (account, address) pair, so that failures from one address never hold the account back from
    another; plus a ceiling per address, whatever the accounts it tries.
    """
    now = now_utc()
    waits = [timedelta(0)]
    pair = _recent_failures(normalise_email(email), address)
    if len(pair) >= LOCK_AFTER:
        waits.append(pair[LOCK_AFTER - 1] + FAILURE_WINDOW - now)
    elif len(pair) >= SLOW_DOWN_AFTER:
        waits.append(pair[0] + SLOW_DOWN_STEP * 2 ** (len(pair) - SLOW_DOWN_AFTER) - now)
    from_address = _recent_failures(None, address)
    if len(from_address) >= MAX_FAILURES_PER_ADDRESS:
        waits.append(from_address[MAX_FAILURES_PER_ADDRESS - 1] + FAILURE_WINDOW - now)
    return max(waits)


def attempts_left(email: str, address: str) -> int:
    """How many more wrong passwords for this account from this address before it is locked out (issue 24)."""
    return max(LOCK_AFTER - len(_recent_failures(normalise_email(email), address)), 0)


def unlock(user: User) -> None:
    """Lift the sign-in lock and slow-down of an account from every address; the caller commits."""
    record(user.email, "unlock", "admin")


def authenticate(email: str, password: str, address: str) -> User:
    """Return the account if the password is right; else AccountError (401, or 429 while this address must wait)."""
    email = normalise_email(email)
    wait = wait_before_attempt(email, address)
    if wait > timedelta(0):
        record(email, "throttled", address)
        db.session.commit()
        seconds = math.ceil(wait.total_seconds())
        message = (
            _l(
                "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                minutes=math.ceil(seconds / 60),
            )
            if seconds > 60
            else _l("Too many failed attempts. Wait %(seconds)s seconds and try again.", seconds=seconds)
        )
        raise AccountError(message, 429, retry_after=seconds)
    user = find_user(email)
    # An invited account has no password yet: checked against the dummy hash, as long as a real one takes.
    valid = verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password or "")
    valid = valid and bool(user and user.password_hash)
    if user is None or not valid or not user.active:
        record(email, "failure", address)
        db.session.flush()
        if len(_recent_failures(email, address)) == LOCK_AFTER:
            record(email, LOCKED_EVENT, address)  # read by the mail job that tells the account's owner
        db.session.commit()
        raise AccountError(_l("The e-mail address or the password is not right."), 401)
    user.last_login_at = now_utc()
    record(email, "login", address)
    db.session.commit()
    return user
