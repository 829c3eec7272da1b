"""Accounts managed from the backend: invitations by e-mail, roles, disabling, password resets, and the record
of every such act (who did what to whom, and when).

An invitation makes the account at once, *invited* (no password), and e-mails its owner a signed link, valid
``INVITE_DAYS`` days, to set a password. A forgotten password is reset from a signed link valid
:data:`RESET_HOURS` hours. Both links name the account and a fingerprint of its password and invitation: a link
for one account cannot act on another, a new password or a new invitation makes older links useless, and each
link works once (:func:`welfarepoint.signed.use_once`). A disabled account's links do nothing.

Messages are queued with the change (:func:`welfarepoint.mail.send`): a rollback drops them. Nothing here knows
HTTP; the caller commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from welfarepoint import mail, signed
from welfarepoint.accounts import scope
from welfarepoint.accounts.addresses import AddressProblem, clean_address, clean_name
from welfarepoint.accounts.models import LOCALES, AccountAct, User
from welfarepoint.accounts.operations import (
    AccountError,
    end_sessions,
    find_user,
    normalise_email,
    set_password,
)
from welfarepoint.catalog.models import Organisation, now_utc
from welfarepoint.catalog.validation import FieldError
from welfarepoint.extensions import db
from welfarepoint.paging import page_count, page_within

INVITE = "invite"
RESET = "reset"
#: How long a password-reset link works.
RESET_HOURS = 2
#: How many acts one page of the record shows.
ACTS_PER_PAGE = 50


class FormProblems(AccountError):
    """Problems of a form, by field (``problems``: FieldError list); nothing was changed."""

    def __init__(self, problems: list[FieldError]):
        super().__init__(problems[0].message)
        self.problems = problems


class LinkRefused(Exception):
    """A link that does not work (any more): ``reason`` is ``expired``, ``used`` or ``invalid``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def invite_days() -> int:
    """How many days an invitation's link works (``INVITE_DAYS``)."""
    return int(current_app.config["INVITE_DAYS"])


def record(actor: str, user: User, action: str, **details) -> AccountAct:
    """Write one act on ``user`` into the record; the caller commits."""
    act = AccountAct(
        actor=normalise_email(actor) if "@" in (actor or "") else (actor or "")[:200],
        user_id=user.id,
        target=user.email,
        action=action,
        ats=user.ats,
        details=details,
    )
    db.session.add(act)
    return act


# --- signed links -----------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    """The same moment in UTC, whatever the database gave back (SQLite: naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def fingerprint(user: User) -> str:
    """What a link must still match: the account, its password (none while invited) and its last invitation."""
    invited = _utc(user.invited_at).isoformat() if user.invited_at else ""
    text = f"{user.id}|{user.password_hash}|{invited}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def link_token(purpose: str, user: User) -> str:
    """A signed token for ``purpose`` (:data:`INVITE`, :data:`RESET`) that acts on ``user`` only."""
    return signed.sign(purpose, u=user.id, f=fingerprint(user))


def _max_age(purpose: str) -> int:
    return invite_days() * 24 * 3600 if purpose == INVITE else RESET_HOURS * 3600


def account_of_link(purpose: str, token: str) -> User:
    """The account a link acts on, if it still may: else LinkRefused (expired, used, or invalid)."""
    try:
        data = signed.unsign(purpose, token, max_age=_max_age(purpose))
    except signed.BadLink as error:
        raise LinkRefused("expired" if error.expired else "invalid") from error
    user = db.session.get(User, data["u"]) if isinstance(data.get("u"), int) else None
    if user is None or not user.active:
        raise LinkRefused("invalid")
    if signed.was_used(token) or data.get("f") != fingerprint(user):
        raise LinkRefused("used")  # used, or the password or the invitation changed since
    if purpose == INVITE and not user.invited:
        raise LinkRefused("used")
    return user


def _use(purpose: str, token: str, user: User, password: str, action: str) -> User:
    set_password(user, password)  # checks the rules, and ends any session
    if not signed.use_once(purpose, token):
        raise LinkRefused("used")
    record(user.email, user, action)
    return user


def accept_invitation(token: str, password: str) -> User:
    """Set the first password of an invited account from its invitation link; the caller commits."""
    return _use(INVITE, token, account_of_link(INVITE, token), password, "accept")


def reset_password(token: str, password: str) -> User:
    """Set a new password from a reset link (an invited account's first one too); the caller commits."""
    return _use(RESET, token, account_of_link(RESET, token), password, "reset")


# --- invitations ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """What an invitation form says: the person, the role with its territory, the language of the e-mail."""

    email: str
    name: str
    role: str
    locale: str
    ats: str = ""
    alliance: str = ""
    organisation: str = ""


def _typed(invitation: Invitation) -> tuple[str, str, list[FieldError]]:
    problems = []
    email = name = ""
    try:
        email = clean_address(invitation.email)
    except AddressProblem as problem:
        problems.append(FieldError("email", problem.message))
    try:
        name = clean_name(invitation.name)
    except AddressProblem as problem:
        problems.append(FieldError("name", problem.message))
    if invitation.locale not in LOCALES:
        problems.append(FieldError("locale", _l("choose Italian or English")))
    return email, name, problems


def invite(inviter: User, invitation: Invitation) -> User:
    """Make an invited account with the role and territory chosen, and e-mail its owner the link.

    Refused (FormProblems, by field) when the address is not one address, already has an account, or the role
    or territory is not one the inviter may give.
    """
    email, name, problems = _typed(invitation)
    given, refused = scope.grant(
        inviter,
        invitation.role,
        ats=invitation.ats,
        alliance=invitation.alliance,
        organisation=invitation.organisation,
    )
    problems += refused
    if email and find_user(email) is not None:
        problems.append(
            FieldError(
                "email",
                _l(
                    "%(email)s already has an account: its owner can set a new password with “Forgotten "
                    "password?” on the sign-in page.",
                    email=normalise_email(email),
                ),
            )
        )
    if problems or given is None:
        raise FormProblems(problems)
    user = User(
        email=normalise_email(email),
        name=name,
        password_hash="",
        role=given.role,
        ats=given.ats,
        alliance_id=given.alliance_id,
        organisation_id=given.organisation_id,
        locale=invitation.locale,
        invited_at=now_utc(),
        invited_by=inviter.email,
    )
    db.session.add(user)
    db.session.flush()
    record(inviter.email, user, "invite", role=user.role, territory=territory_name(user))
    _send_invitation(inviter, user)
    return user


def invite_again(inviter: User, user: User) -> None:
    """Send a new invitation to an account still invited (the older link stops working)."""
    if not user.invited:
        raise AccountError(_l("This account has a password already: nothing to send."))
    user.invited_at = now_utc()
    user.invited_by = inviter.email
    record(inviter.email, user, "invite", role=user.role, territory=territory_name(user), again=True)
    _send_invitation(inviter, user)


def _send_invitation(inviter: User, user: User) -> None:
    # The page opens in the language of the e-mail.
    link = mail.absolute_url("manage.accept_invitation", token=link_token(INVITE, user), lang=user.locale)
    mail.send(
        to=user.email,
        template="account_invite",
        locale=user.locale,
        context={
            "link": link,
            "days": invite_days(),
            "name": user.name,
            "inviter": inviter.name or inviter.email,
            "role": user.role,
            "territory": territory_name(user),
            "sign_in_url": mail.absolute_url("manage.login", lang=user.locale),
        },
    )


def territory_name(user: User) -> str:
    """Where an account works, in words: an ATS, an alliance, an organisation ("" for an admin)."""
    if user.role == "alliance_editor" and user.alliance is not None:
        return user.alliance.name
    if user.role == "provider" and user.organisation_id is not None:
        organisation = db.session.get(Organisation, user.organisation_id)
        return organisation.name if organisation else ""
    return user.ats or ""


# --- roles and disabling ----------------------------------------------------------------------------------


def change_role(
    actor: User, user: User, role: str, *, ats: str = "", alliance: str = "", organisation: str = ""
) -> bool:
    """Give ``user`` another role or territory, if ``actor`` may (FormProblems otherwise); its sessions end so
    that the new permissions apply at once. Returns whether anything changed."""
    if not scope.may_manage_account(actor, user):
        raise FormProblems([FieldError("role", _l("You cannot change this account."))])
    given, problems = scope.grant(actor, role, ats=ats, alliance=alliance, organisation=organisation)
    if given is None:
        raise FormProblems(problems)
    before = (user.role, user.ats, user.alliance_id, user.organisation_id)
    after = (given.role, given.ats, given.alliance_id, given.organisation_id)
    if before == after:
        return False
    was = {"role": user.role, "territory": territory_name(user)}
    user.role, user.ats, user.alliance_id, user.organisation_id = after
    db.session.flush()
    db.session.expire(user, ["alliance", "organisation"])  # loaded again for the new territory
    end_sessions(user)
    record(
        actor.email, user, "role", before=was, after={"role": user.role, "territory": territory_name(user)}
    )
    return True


def set_enabled(actor: User, user: User, enabled: bool) -> None:
    """Disable (its sessions end, its links stop working) or enable an account, if ``actor`` may."""
    if not scope.may_manage_account(actor, user):
        raise AccountError(_l("You cannot change this account."), 403)
    if user.active == enabled:
        return
    user.active = enabled
    if not enabled:
        end_sessions(user)
    record(actor.email, user, "enable" if enabled else "disable")


# --- forgotten passwords ----------------------------------------------------------------------------------


def address_problems(typed: str) -> list[FieldError]:
    """Why ``typed`` is not one e-mail address, for the field ``email`` (empty: it is one)."""
    try:
        clean_address(typed)
    except AddressProblem as problem:
        return [FieldError("email", problem.message)]
    return []


def request_reset(typed_email: str) -> None:
    """E-mail a reset link to the account with this address, if there is an active one; nothing otherwise.

    The caller answers the same either way: the page never tells whether an address has an account.
    """
    try:
        email = clean_address(typed_email)
    except AddressProblem:
        return
    user = find_user(email)
    if user is None or not user.active:
        return
    record("", user, "reset_requested")
    mail.send(
        to=user.email,
        template="account_reset",
        locale=user.locale or "it",
        context={
            "link": mail.absolute_url(
                "manage.reset_password", token=link_token(RESET, user), lang=user.locale
            ),
            "hours": RESET_HOURS,
            "name": user.name,
            "invited": user.invited,
        },
    )


# --- the account's own preferences -------------------------------------------------------------------------


def update_preferences(user: User, name: str, locale: str) -> None:
    """Change the account's name and the language of its e-mails (FormProblems by field)."""
    problems = []
    try:
        cleaned = clean_name(name)
    except AddressProblem as problem:
        problems.append(FieldError("name", problem.message))
    if locale not in LOCALES:
        problems.append(FieldError("locale", _l("choose Italian or English")))
    if problems:
        raise FormProblems(problems)
    if (user.name, user.locale) != (cleaned, locale):
        record(user.email, user, "preferences", name=cleaned, locale=locale)
    user.name, user.locale = cleaned, locale


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password, after checking the current one (FormProblems by field); other sessions end."""
    from welfarepoint.accounts.passwords import verify

    if not verify(user.password_hash, current or ""):
        raise FormProblems([FieldError("current", _l("This is not your current password."))])
    try:
        set_password(user, new)
    except AccountError as error:
        raise FormProblems([FieldError("password", error.message)]) from None
    record(user.email, user, "password")


# --- the record -----------------------------------------------------------------------------------------


def acts_page(
    viewer: User, page: int, *, user_id: int | None = None
) -> tuple[list[AccountAct], int, int, int]:
    """The acts of ``viewer``'s territory (of one account when ``user_id``), newest first, a page at a time:
    (acts, total, the page shown, pages). Admins see all; ATS managers their ATS's (never an admin's)."""
    query = db.select(AccountAct)
    if viewer.role != "admin":
        seen = scope.accounts(viewer).with_only_columns(User.id).order_by(None)
        query = query.where(AccountAct.user_id.in_(seen))
        if viewer.role == "ats_manager":
            query = query.where(AccountAct.ats == viewer.ats)
    if user_id is not None:
        query = query.where(AccountAct.user_id == user_id)
    total = db.session.execute(query.with_only_columns(func.count(AccountAct.id))).scalar_one()
    page = page_within(page, total, ACTS_PER_PAGE)
    acts = db.session.execute(
        query.order_by(AccountAct.at.desc(), AccountAct.id.desc())
        .offset((page - 1) * ACTS_PER_PAGE)
        .limit(ACTS_PER_PAGE)
    ).scalars()
    return list(acts), total, page, page_count(total, ACTS_PER_PAGE)


def organisation_people(organisation: Organisation) -> list[User]:
    """The provider accounts of an organisation, by address."""
    query = db.select(User).where(User.role == "provider", User.organisation_id == organisation.id)
    return list(db.session.execute(query.order_by(User.email)).scalars())


__all__ = [
    "INVITE",
    "RESET",
    "RESET_HOURS",
    "FormProblems",
    "Invitation",
    "LinkRefused",
    "accept_invitation",
    "address_problems",
    "account_of_link",
    "acts_page",
    "change_password",
    "change_role",
    "invite",
    "invite_again",
    "invite_days",
    "link_token",
    "organisation_people",
    "record",
    "request_reset",
    "reset_password",
    "set_enabled",
    "territory_name",
    "update_preferences",
]
